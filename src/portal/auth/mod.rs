//! Who the user is: consumer JWTs and host-signed `p_auth` tokens.
//!
//! A portal proves its user with a Bearer JWT ([`Verifier`]); the host proves that an
//! action form or resource link came from one of its own fragments with `p_auth`
//! ([`PAuth`]). Both end in the same error type, which the HTTP layer maps to 401/403.

mod claims;
mod mint;
pub mod outcome;
mod p_auth;
pub mod refusals;
mod verifier;

pub use mint::{DEFAULT_TOKEN_TTL, mint, mint_for_audience};
pub use p_auth::{
    ADMIN_P_AUTH_TTL, DEFAULT_P_AUTH_TTL, FORM_EXPIRED, LINK_EXPIRED, LIST_LINK_P_AUTH_TTL, PAuth,
    PAuthBinding, PAuthTarget, resource_query,
};
pub use verifier::{CLOCK_SKEW_SECS, JwksReload, MAX_TOKEN_BYTES, TokenNames, Verifier};

/// Why a token was refused, or why the keys could not be loaded.
///
/// The HTTP layer maps the token variants to 401 (Bearer) or 403 (`p_auth`) and
/// [`AuthError::Config`] to a start-up failure. Messages never echo token contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// `exp` (or the `p_auth` expiry) has passed.
    #[error("the token has expired")]
    Expired,
    /// `nbf` or `iat` lies in the future.
    #[error("the token is not valid yet")]
    NotYetValid,
    /// The host's clock reads before [`crate::clock::EARLIEST_BELIEVABLE`]: no token's
    /// expiry can be judged until it is set.
    #[error("the host's clock reads before 2026-01-01: no token can be checked until it is set")]
    ClockUnset,
    /// The signature or MAC does not match, or no configured key fits the token.
    #[error("the token signature is invalid")]
    InvalidSignature,
    /// `iss` names no configured consumer. It holds the token's `iss` (at most 128
    /// characters), which the log gives: a portal's OAuth server names itself by a
    /// URL, which is then the consumer's `id`.
    #[error("the token issuer is not a configured consumer (iss: {0})")]
    UnknownIssuer(String),
    /// The consumer has an `audience` and the token's `aud` does not name it: a token
    /// its authorization server made for another application. It holds what the
    /// token's `aud` says (cut as above) and the audience configured, for the log.
    #[error(
        "the token is not meant for this host (aud: {aud}; the consumer's audience: {expected})"
    )]
    WrongAudience { aud: String, expected: String },
    /// The token's `alg` is not one its consumer's keys use (`none`, or HS256 against
    /// public keys: algorithm confusion).
    #[error("the token algorithm is not accepted for this consumer")]
    AlgorithmNotAllowed,
    /// The token is not shaped as required; the reason is safe to log.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// A consumer's keys could not be loaded.
    #[error("consumer {consumer}: {message}")]
    Config { consumer: String, message: String },
}

/// Seconds since the Unix epoch now (see [`crate::clock`]): `jsonwebtoken`'s own
/// clock panics before 1970, which would turn every portal call into a 500.
pub(crate) use crate::clock::unix_now;

/// Whether `id` is a portal user id the host accepts (a token's `sub`): the
/// directory's own rule, so that every id a token names can be stored.
pub use crate::store::{MAX_USER_ID_LEN, is_portal_user_id as is_user_id};

/// The token of an `Authorization: Bearer <token>` value. The scheme is matched without
/// regard to case (RFC 9110, section 11.1), so `bearer` and `BEARER` work too.
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let (scheme, token) = authorization.trim_start().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// Whether an `Authorization` header speaks the Bearer scheme at all, token or not.
/// Another scheme (a proxy's or an SSO gateway's `Basic`) is not addressed to the host.
pub fn is_bearer_scheme(authorization: &[u8]) -> bool {
    let value = authorization.trim_ascii_start();
    let end = value
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(value.len());
    value[..end].eq_ignore_ascii_case(b"bearer")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_bearer_scheme_is_the_hosts() {
        for header in ["Bearer abc", "bearer", " BEARER\tabc", "Bearer "] {
            assert!(is_bearer_scheme(header.as_bytes()), "{header:?}");
        }
        for header in [
            "Basic dXNlcjpwdw==",
            "Bearerx abc",
            "",
            "Negotiate abc",
            "Token Bearer",
        ] {
            assert!(!is_bearer_scheme(header.as_bytes()), "{header:?}");
        }
    }

    #[test]
    fn the_bearer_scheme_is_matched_in_any_case() {
        for header in ["Bearer abc", "bearer abc", "BEARER  abc ", " Bearer abc"] {
            assert_eq!(bearer_token(header), Some("abc"), "{header:?}");
        }
        for header in [
            "Basic abc",
            "Bearer",
            "Bearer ",
            "Bearerabc",
            "Token abc",
            "",
        ] {
            assert_eq!(bearer_token(header), None, "{header:?}");
        }
    }

    #[test]
    fn user_ids() {
        assert!(is_user_id("20123"));
        assert!(is_user_id("jane.doe@example.com"));
        assert!(is_user_id(&"a".repeat(64)));
        assert!(!is_user_id(""));
        assert!(!is_user_id(&"a".repeat(65)));
        assert!(!is_user_id("a b"));
        assert!(!is_user_id("a/b"));
        assert!(!is_user_id("jöhn"));
    }
}
