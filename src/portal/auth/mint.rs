//! Minting HS256 consumer tokens: for the `token` CLI, the demo portal and tests.
//! A real portal mints its own; the host only needs this to stand in for one.

use std::time::Duration;

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};

use super::claims::{Claims, Roles};
use super::{AuthError, is_user_id};
use crate::portal::Profile;

/// Lifetime of a minted token when the caller has no better idea: one hour, like
/// a typical portal session token.
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(60 * 60);

/// An HS256 token saying that `consumer_id`'s user `user_id`, with these roles and
/// profile, is calling; it expires after `ttl`.
pub fn mint(
    consumer_id: &str,
    hs256_secret: &str,
    user_id: &str,
    roles: &[String],
    profile: &Profile,
    ttl: Duration,
) -> Result<String, AuthError> {
    mint_for_audience(
        consumer_id,
        hs256_secret,
        None,
        user_id,
        roles,
        profile,
        ttl,
    )
}

/// [`mint`], naming `audience` in `aud` when the consumer has one configured.
pub fn mint_for_audience(
    consumer_id: &str,
    hs256_secret: &str,
    audience: Option<&str>,
    user_id: &str,
    roles: &[String],
    profile: &Profile,
    ttl: Duration,
) -> Result<String, AuthError> {
    let refuse = |message: &str| AuthError::Config {
        consumer: consumer_id.to_owned(),
        message: message.to_owned(),
    };
    // A short secret is the consumer's choice, warned of at start (see
    // `Config::warnings`); a blank one would let anyone sign as the consumer.
    if hs256_secret.trim().is_empty() {
        return Err(refuse("hs256_secret must not be empty"));
    }
    if !is_user_id(user_id) {
        return Err(AuthError::Malformed(
            "user id must be 1-64 of letters, digits, '.', '_', '@', '-'".into(),
        ));
    }
    let now = std::time::SystemTime::now();
    let iat = crate::clock::unix_secs(now);
    // `exp` from the second after this one: the host refuses a token from the second
    // `exp` names, so one counted from this second's start would live up to a second
    // less than `ttl` (a `token --ttl 1` could die before its first use).
    let started = u64::from(
        now.duration_since(std::time::UNIX_EPOCH)
            .is_ok_and(|d| d.subsec_nanos() > 0),
    );
    let claims = Claims {
        iss: consumer_id.to_owned(),
        sub: user_id.to_owned(),
        aud: audience.map(str::to_owned),
        iat: Some(iat),
        exp: Some(iat.saturating_add(started).saturating_add(ttl.as_secs())),
        roles: (!roles.is_empty()).then(|| Roles::Many(roles.to_vec())),
        ..Claims::default()
    }
    .with_profile(profile);
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(hs256_secret.as_bytes()),
    )
    .map_err(|e| refuse(&format!("cannot sign: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token minted for `ttl` lives `ttl` at least, counted from the moment it was
    /// minted, not from the start of that second.
    #[test]
    fn a_minted_token_lives_its_whole_lifetime() {
        let before = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let token = mint(
            "portal",
            "a-secret-of-at-least-thirty-two-bytes",
            "ada",
            &[],
            &Profile::default(),
            Duration::from_secs(1),
        )
        .expect("mint");
        let after = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs_f64();
        let claims: serde_json::Value = jsonwebtoken::dangerous::insecure_decode(&token)
            .expect("decode")
            .claims;
        let exp = claims["exp"].as_u64().expect("exp") as f64;
        let iat = claims["iat"].as_u64().expect("iat") as f64;
        assert!(
            exp >= before + 1.0,
            "exp {exp} lives less than a second from {before}"
        );
        assert!(
            exp <= after + 2.0 && iat <= after,
            "exp {exp}, iat {iat}, {after}"
        );
    }
}
