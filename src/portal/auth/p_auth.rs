//! `p_auth`: the host's own token on every action form and resource link it renders.
//!
//! Liferay puts an authentication token on action URLs so that a page from elsewhere
//! cannot make the browser act for its user (CSRF). The host does the same, but the
//! token is also bound to *what* it may do: consumer, user, portlet instance and the
//! one action or resource it was rendered for. A token lifted from one form is
//! useless on any other form, for any other user, in any other placement. The same
//! tokens seal the outcome an action sends back to its page ([`super::outcome`]).
//!
//! Format: URL-safe base64 (no padding) of `expiry (u64 BE seconds) || tag`, where
//! `tag` is the first 16 bytes of HMAC-SHA256 over a length-prefixed encoding of the
//! expiry and every bound field. 128 bits of tag is far beyond what an online forger
//! can guess, and keeps the token at 32 characters.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::AuthError;
use crate::clock::unix_secs;

/// How long a rendered form stays usable: long enough for a tab left open through a
/// working day, short enough that a leaked token soon dies.
pub const DEFAULT_P_AUTH_TTL: Duration = Duration::from_secs(12 * 60 * 60);

/// How long a `save-preferences` form stays usable. Its token stands for the role its
/// viewer had when the form was rendered, and a portal takes a role away without the
/// host hearing of it: the role lasts no longer than a portal session commonly does.
pub const ADMIN_P_AUTH_TTL: Duration = Duration::from_secs(60 * 60);

/// How long a link to a download of a whole list (the connections' vCards) stays
/// usable. Unlike a form, a link travels (a download history, a proxy's log, a message
/// it was pasted into), and this one hands over everyone's addresses and phones: it
/// dies within the hour, and a page left open longer gets a fresh one on reload.
pub const LIST_LINK_P_AUTH_TTL: Duration = Duration::from_secs(60 * 60);

/// The message a page shows when a person's form had expired: the host sent them back
/// to the page, which now has fresh forms, without doing anything.
pub const FORM_EXPIRED: &str = "the-form-had-expired-nothing-was-done-please-try-again";

/// The message a page shows when a person's download link had expired (a list's
/// export lives an hour): the host sent them back to the page, whose links are fresh.
pub const LINK_EXPIRED: &str = "the-download-link-had-expired-please-try-again";

/// Seconds a token's expiry may lie beyond its target's whole [`PAuthTarget::lifetime`]
/// from now: a clock slewed back a little between a render and its form's post.
const CLOCK_STEP_SECS: u64 = 60;

/// Bytes of HMAC kept in the token.
const TAG_LEN: usize = 16;
/// Bytes of the whole decoded token.
const TOKEN_LEN: usize = 8 + TAG_LEN;
/// Separates this use of the host key from any other the host may make of it.
const DOMAIN: &[u8] = b"widget-host p_auth v1";

/// What a `p_auth` token may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PAuthTarget<'a> {
    /// `POST .../actions/{name}`.
    Action(&'a str),
    /// `GET .../resources/{name}` with exactly the widget's own parameters `query`
    /// ([`resource_query`]). A link travels where a form does not (history, a proxy's
    /// log, a message it was pasted into): bound to its parameters, a card's vCard
    /// link cannot be turned into the export of its viewer's whole network.
    Resource { name: &'a str, query: &'a str },
    /// The render parameters that say what an action did ([`super::outcome`]), as
    /// [`resource_query`] writes them: a render shows an outcome only under its seal.
    Outcome { query: &'a str },
}

impl<'a> PAuthTarget<'a> {
    /// The target as the token binds it, in pieces: `action:{name}`,
    /// `resource:{name}?{query}` or `outcome:?{query}`. A resource name is a fixed
    /// identifier, never holding `?`. The MAC is fed the pieces, with no string
    /// formatted first.
    fn pieces(&self) -> [&'a str; 4] {
        match *self {
            Self::Action(name) => ["action:", name, "", ""],
            Self::Resource { name, query } => ["resource:", name, "?", query],
            Self::Outcome { query } => ["outcome:", "", "?", query],
        }
    }
}

impl PAuthTarget<'_> {
    /// How long a token for this target lives: [`ADMIN_P_AUTH_TTL`] for the
    /// preferences form, [`LIST_LINK_P_AUTH_TTL`] for a link to the download of a list
    /// (`filter`, as render parameters name one, not one person), the outcome's
    /// [`OUTCOME_TTL`](super::outcome::OUTCOME_TTL) for its seal, and
    /// [`DEFAULT_P_AUTH_TTL`] for every other form and link.
    pub fn lifetime(&self) -> Duration {
        match *self {
            Self::Action("save-preferences") => ADMIN_P_AUTH_TTL,
            Self::Resource { query, .. }
                if form_urlencoded::parse(query.as_bytes()).any(|(name, _)| name == "filter") =>
            {
                LIST_LINK_P_AUTH_TTL
            }
            Self::Outcome { .. } => super::outcome::OUTCOME_TTL,
            _ => DEFAULT_P_AUTH_TTL,
        }
    }
}

impl fmt::Display for PAuthTarget<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.pieces()
            .iter()
            .try_for_each(|piece| f.write_str(piece))
    }
}

/// The parameters a resource token is bound to, written one way whatever their order
/// or encoding in the URL: sorted, form-encoded.
pub fn resource_query<'p>(params: impl Iterator<Item = (&'p str, &'p str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.collect();
    pairs.sort_unstable();
    let mut query = form_urlencoded::Serializer::new(String::new());
    query.extend_pairs(pairs);
    query.finish()
}

/// Everything a `p_auth` token is bound to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PAuthBinding<'a> {
    /// The consumer id ([`crate::portal::PortalUser::consumer`]).
    pub consumer: &'a str,
    /// The portal's user id.
    pub user_id: &'a str,
    /// The full portlet id, instance included (`contacts_center_INSTANCE_abc`).
    pub portlet_id: &'a str,
    pub target: PAuthTarget<'a>,
}

/// Issues and checks `p_auth` tokens with the host's secret key.
#[derive(Clone)]
pub struct PAuth {
    /// HMAC-SHA256 keyed with the host key, nothing written yet. HMAC hashes the key
    /// twice (inner and outer pad) before any message: keyed once here and copied for
    /// each token, a token costs three SHA-256 blocks instead of five. A list render
    /// mints about six.
    keyed: Hmac<Sha256>,
}

impl fmt::Debug for PAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PAuth { host_key: <secret> }")
    }
}

impl PAuth {
    /// Uses `host_key`; keep it stable across restarts so open pages keep working.
    pub fn new(host_key: [u8; 32]) -> Self {
        // HMAC pads a key shorter than the hash's 64-byte block with zeros (RFC 2104),
        // so the padded block keys exactly what the 32-byte key does, through the
        // constructor that takes a whole block and cannot fail.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(&host_key);
        Self {
            keyed: <Hmac<Sha256> as KeyInit>::new(&block.into()),
        }
    }

    /// A fresh random key: tokens die with the process. Fine for tests and demos.
    pub fn random() -> Self {
        Self::new(rand::random())
    }

    /// A token for `binding`, valid for `ttl` from now.
    pub fn issue(&self, binding: &PAuthBinding<'_>, ttl: Duration) -> String {
        self.issue_at(binding, SystemTime::now(), ttl)
    }

    /// A token for `binding`, valid for `ttl` from `now`.
    pub fn issue_at(&self, binding: &PAuthBinding<'_>, now: SystemTime, ttl: Duration) -> String {
        let expires = unix_secs(now).saturating_add(ttl.as_secs());
        let mut raw = [0u8; TOKEN_LEN];
        raw[..8].copy_from_slice(&expires.to_be_bytes());
        let tag = self.mac(binding, expires).finalize().into_bytes();
        raw[8..].copy_from_slice(&tag[..TAG_LEN]);
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// Checks `token` against `binding` now.
    pub fn verify(&self, token: &str, binding: &PAuthBinding<'_>) -> Result<(), AuthError> {
        self.verify_at(token, binding, SystemTime::now())
    }

    /// Checks `token` against `binding` at `now`. The MAC is checked before the
    /// expiry so that an expiry is only reported for a token the host really issued.
    pub fn verify_at(
        &self,
        token: &str,
        binding: &PAuthBinding<'_>,
        now: SystemTime,
    ) -> Result<(), AuthError> {
        // The encoded length is fixed; refuse anything else before decoding.
        if token.len() != URL_SAFE_NO_PAD_LEN {
            return Err(AuthError::Malformed("p_auth has the wrong length".into()));
        }
        let raw = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| AuthError::Malformed("p_auth is not base64url".into()))?;
        let (expiry, tag) = raw.split_at(8);
        let mut expiry_bytes = [0u8; 8];
        expiry_bytes.copy_from_slice(expiry);
        let expires = u64::from_be_bytes(expiry_bytes);
        self.mac(binding, expires)
            .verify_truncated_left(tag)
            .map_err(|_| AuthError::InvalidSignature)?;
        let now = unix_secs(now);
        if now >= expires {
            return Err(AuthError::Expired);
        }
        // No token has more of its life ahead than its target's whole lifetime. One
        // that has was issued while the clock ran ahead, or is checked while it reads
        // behind (a dead clock battery, a machine restored from a snapshot): its
        // expiry says nothing then, and an hour's export link would live a year.
        // Refused as expired, a form sends its person back to fresh forms.
        let longest = binding.target.lifetime().as_secs() + CLOCK_STEP_SECS;
        if expires > now.saturating_add(longest) {
            return Err(AuthError::Expired);
        }
        Ok(())
    }

    fn mac(&self, binding: &PAuthBinding<'_>, expires: u64) -> Hmac<Sha256> {
        let mut mac = self.keyed.clone();
        // Length prefixes make the encoding unambiguous: ("ab", "c") never equals ("a", "bc").
        for field in [
            DOMAIN,
            binding.consumer.as_bytes(),
            binding.user_id.as_bytes(),
            binding.portlet_id.as_bytes(),
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        let pieces = binding.target.pieces();
        let length: usize = pieces.iter().map(|p| p.len()).sum();
        mac.update(&(length as u64).to_be_bytes());
        for piece in pieces {
            mac.update(piece.as_bytes());
        }
        mac.update(&expires.to_be_bytes());
        mac
    }
}

/// Characters of an encoded token: 24 bytes are exactly 32 base64 characters.
const URL_SAFE_NO_PAD_LEN: usize = TOKEN_LEN / 3 * 4;
