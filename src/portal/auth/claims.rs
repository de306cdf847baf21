//! The JWT claims the host reads and writes, as they travel.

use serde::{Deserialize, Serialize};

use crate::portal::Profile;

/// `roles` as portals send it: an array of names, or one name as a plain string.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(super) enum Roles {
    Many(Vec<String>),
    One(String),
}

impl Roles {
    pub(super) fn into_vec(self) -> Vec<String> {
        match self {
            Self::Many(roles) => roles,
            Self::One(role) => vec![role],
        }
    }
}

/// The claims of a consumer token. `iss` (and `aud`) are checked by `jsonwebtoken`
/// before these are looked at, `exp`, `nbf` and `iat` by the verifier after (see
/// `verifier::check_times`); they are kept here for minting too.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Claims {
    pub iss: String,
    pub sub: String,
    /// Minted only for a consumer that has an `audience`. Not read back: `jsonwebtoken`
    /// checks it on the raw claims, where it may also be an array.
    #[serde(default, skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub aud: Option<String>,
    #[serde(
        default,
        deserialize_with = "date_rounded_down",
        skip_serializing_if = "Option::is_none"
    )]
    pub exp: Option<u64>,
    #[serde(
        default,
        deserialize_with = "date_rounded_up",
        skip_serializing_if = "Option::is_none"
    )]
    pub nbf: Option<u64>,
    #[serde(
        default,
        deserialize_with = "date_rounded_up",
        skip_serializing_if = "Option::is_none"
    )]
    pub iat: Option<u64>,
    #[serde(
        default,
        deserialize_with = "roles_named",
        skip_serializing_if = "Option::is_none"
    )]
    pub roles: Option<Roles>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub given_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub middle_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub family_name: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub preferred_username: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub locale: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub picture: Option<String>,
    #[serde(
        default,
        deserialize_with = "text_or_nothing",
        skip_serializing_if = "Option::is_none"
    )]
    pub job_title: Option<String>,
}

/// A profile claim as text, or nothing where a portal sent another type (`"picture":
/// {}`, a number for a name): the profile is what the token offers beside who signed
/// in, and one odd field of it must not refuse the whole token, which would lock the
/// person out. The claims that say who and when (`sub`, `exp` …) stay strict.
fn text_or_nothing<'de, D>(d: D) -> Result<Option<String>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(text) => Some(text),
        _ => None,
    })
}

/// `roles` as names: an array's entries that are text (another kind is no role's
/// name, and leaving it out can only give less), or one name as a string; anything
/// else is no roles.
fn roles_named<'de, D>(d: D) -> Result<Option<Roles>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    Ok(match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(role) => Some(Roles::One(role)),
        serde_json::Value::Array(entries) => Some(Roles::Many(
            entries
                .into_iter()
                .filter_map(|entry| match entry {
                    serde_json::Value::String(role) => Some(role),
                    _ => None,
                })
                .collect(),
        )),
        _ => None,
    })
}

/// A NumericDate (RFC 7519, section 2) in whole seconds. It may have a fraction
/// (`"iat": 1717171717.532`, as some identity providers write it); read as whole
/// seconds only, every token of such a portal would be refused as malformed. Rounded
/// so that a token is taken for no longer than it says: `exp` down, `nbf` and `iat`
/// up. A negative, infinite or out-of-range date is refused.
fn numeric_date<'de, D>(d: D, up: bool) -> Result<Option<u64>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let Some(number) = Option::<serde_json::Number>::deserialize(d)? else {
        return Ok(None);
    };
    if let Some(whole) = number.as_u64() {
        return Ok(Some(whole));
    }
    let seconds = number
        .as_f64()
        .map(|s| if up { s.ceil() } else { s.floor() })
        .filter(|s| s.is_finite() && (0.0..1.8e19).contains(s))
        .ok_or_else(|| serde::de::Error::custom("a NumericDate must be seconds since 1970"))?;
    // In range and whole: the conversion is exact.
    Ok(Some(seconds as u64))
}

fn date_rounded_down<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    numeric_date(d, false)
}

fn date_rounded_up<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    numeric_date(d, true)
}

/// An empty claim says nothing; it must not blank a directory entry's field.
fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl Claims {
    /// The profile part of the claims.
    pub(super) fn take_profile(&mut self) -> Profile {
        Profile {
            given_name: present(self.given_name.take()),
            middle_name: present(self.middle_name.take()),
            family_name: present(self.family_name.take()),
            email: present(self.email.take()),
            screen_name: present(self.preferred_username.take()),
            locale: present(self.locale.take()),
            picture: present(self.picture.take()),
            job_title: present(self.job_title.take()),
        }
    }

    /// Claims carrying `profile`, for minting.
    pub(super) fn with_profile(mut self, profile: &Profile) -> Self {
        self.given_name = profile.given_name.clone();
        self.middle_name = profile.middle_name.clone();
        self.family_name = profile.family_name.clone();
        self.email = profile.email.clone();
        self.preferred_username = profile.screen_name.clone();
        self.locale = profile.locale.clone();
        self.picture = profile.picture.clone();
        self.job_title = profile.job_title.clone();
        self
    }
}

/// What is read before the signature is checked: only enough to pick the consumer.
#[derive(Debug, Deserialize)]
pub(super) struct UnverifiedIssuer {
    #[serde(default)]
    pub iss: Option<String>,
    /// Read only to say, when the audience check fails, what the token named.
    #[serde(default)]
    pub aud: Option<serde_json::Value>,
}

/// Most characters of a token's own `iss` or `aud` an error quotes.
pub(super) const QUOTED_CLAIM_CHARS: usize = 128;

/// A claim's text as an error quotes it: at most [`QUOTED_CLAIM_CHARS`] characters.
pub(super) fn quoted_claim(text: &str) -> String {
    text.chars().take(QUOTED_CLAIM_CHARS).collect()
}

/// What an `aud` claim says, for an error: its string, or its strings separated by
/// `, `, `none` when absent, cut as [`quoted_claim`] cuts.
pub(super) fn audience_said(aud: Option<&serde_json::Value>) -> String {
    match aud {
        None | Some(serde_json::Value::Null) => "none".to_owned(),
        Some(serde_json::Value::String(one)) => quoted_claim(one),
        Some(serde_json::Value::Array(many)) => quoted_claim(
            &many
                .iter()
                .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        Some(other) => quoted_claim(&other.to_string()),
    }
}
