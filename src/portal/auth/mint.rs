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
    let now = super::unix_now();
    let claims = Claims {
        iss: consumer_id.to_owned(),
        sub: user_id.to_owned(),
        aud: audience.map(str::to_owned),
        iat: Some(now),
        exp: Some(now.saturating_add(ttl.as_secs())),
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
