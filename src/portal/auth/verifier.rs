//! Verifying the Bearer JWT a consumer portal sends (DESIGN.md section 3, "Who the user is").
//!
//! Each consumer has its own keys: an HS256 shared secret, public keys from a JWKS
//! document, or both. The unverified `iss` only chooses whose keys to try; the token
//! is then checked against those keys alone, so one consumer can never speak for another.

use std::collections::BTreeMap;
use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, dangerous, decode, decode_header};

use super::claims::{Claims, UnverifiedIssuer};
use super::{AuthError, is_user_id};
use crate::config::{Config, ConsumerConfig};
use crate::portal::PortalUser;

/// Largest token accepted. Real tokens are well under 2 KiB; the limit bounds the
/// work an anonymous caller can cause before any signature is checked.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Clock skew tolerated on `nbf` and `iat`, in seconds: a portal whose clock runs a
/// little ahead of the host's mints tokens that look issued in the future here, and
/// refusing those would turn a drifting clock into failed sign-ins. None is given on
/// `exp`: DESIGN says an expired token gets 401, and a token lives as long as its
/// issuer said.
pub const CLOCK_SKEW_SECS: u64 = 30;

/// Largest JWKS document read from disk.
const MAX_JWKS_BYTES: u64 = 1024 * 1024;

/// One key a consumer signs with, and the single algorithm it is used for.
/// Binding each key to one algorithm is what rules out algorithm confusion.
struct ConsumerKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// One consumer's keys, and the audience its tokens must name, if any.
struct Consumer {
    keys: Vec<ConsumerKey>,
    audience: Option<String>,
}

/// The configured consumers' verification keys, loaded once at start.
pub struct Verifier {
    consumers: BTreeMap<String, Consumer>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print key material.
        f.debug_struct("Verifier")
            .field("consumers", &self.consumers.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// Loads every `[[consumers]]` entry's keys. A JWKS file that cannot be read, or
    /// that holds no RS256/ES256 key, is an error naming the consumer.
    pub fn from_config(config: &Config) -> Result<Self, AuthError> {
        let mut consumers = BTreeMap::new();
        for consumer in &config.consumers {
            let keys = load_keys(consumer)?;
            let audience = consumer.audience.clone();
            consumers.insert(consumer.id.clone(), Consumer { keys, audience });
        }
        Ok(Self { consumers })
    }

    /// Whether `id` is a configured consumer.
    pub fn knows(&self, id: &str) -> bool {
        self.consumers.contains_key(id)
    }

    /// Verifies a Bearer token and returns the portal user it speaks for.
    pub fn verify_bearer(&self, token: &str) -> Result<PortalUser, AuthError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed(format!(
                "longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        // `alg: none` fails here: jsonwebtoken has no such algorithm.
        let header =
            decode_header(token).map_err(|_| AuthError::Malformed("unreadable header".into()))?;
        let issuer = dangerous::insecure_decode::<UnverifiedIssuer>(token)
            .map_err(|_| AuthError::Malformed("unreadable claims".into()))?
            .claims
            .iss
            .ok_or_else(|| AuthError::Malformed("missing iss".into()))?;
        let consumer = self
            .consumers
            .get(&issuer)
            .ok_or(AuthError::UnknownIssuer)?;

        let same_alg: Vec<&ConsumerKey> = consumer
            .keys
            .iter()
            .filter(|k| k.algorithm == header.alg)
            .collect();
        if same_alg.is_empty() {
            return Err(AuthError::AlgorithmNotAllowed);
        }
        // With a `kid`, only the key of that id (or keys without one) may answer.
        let candidates: Vec<&ConsumerKey> = match &header.kid {
            Some(kid) => same_alg
                .into_iter()
                .filter(|k| k.kid.as_deref().is_none_or(|own| own == kid))
                .collect(),
            None => same_alg,
        };

        let mut outcome = Err(AuthError::InvalidSignature);
        for candidate in candidates {
            let rules = validation(candidate, &issuer, consumer.audience.as_deref());
            outcome = decode::<Claims>(token, &candidate.key, &rules).map_err(map_jwt_error);
            // Only a signature mismatch is worth trying the next key for.
            if !matches!(outcome, Err(AuthError::InvalidSignature)) {
                break;
            }
        }
        let mut claims = outcome?.claims;
        check_times(&claims, jsonwebtoken::get_current_timestamp())?;

        if !is_user_id(&claims.sub) {
            return Err(AuthError::Malformed(
                "sub must be 1-64 of letters, digits, '.', '_', '@', '-'".into(),
            ));
        }
        let profile = claims.take_profile();
        Ok(PortalUser {
            consumer: issuer,
            user_id: claims.sub,
            roles: claims.roles.map(|r| r.into_vec()).unwrap_or_default(),
            profile,
        })
    }
}

/// The token's times against the host's clock `now`, once its signature is known good.
///
/// `exp` is strict: from the second it names the token is refused (RFC 7519 section
/// 4.1.4, "on or after"). `nbf` and `iat` may lie up to [`CLOCK_SKEW_SECS`] ahead; a
/// token dated further ahead comes from a clock that is wrong, or was dated ahead to
/// outlive its issuer's own rules on how long a token lasts.
fn check_times(claims: &Claims, now: u64) -> Result<(), AuthError> {
    // `exp` is a required claim: `jsonwebtoken` refuses a token without one first.
    if claims.exp.is_none_or(|exp| exp <= now) {
        return Err(AuthError::Expired);
    }
    let skewed = now.saturating_add(CLOCK_SKEW_SECS);
    if claims.nbf.is_some_and(|nbf| nbf > skewed) || claims.iat.is_some_and(|iat| iat > skewed) {
        return Err(AuthError::NotYetValid);
    }
    Ok(())
}

fn validation(key: &ConsumerKey, issuer: &str, audience: Option<&str>) -> Validation {
    let mut v = Validation::new(key.algorithm);
    // jsonwebtoken's one `leeway` widens `exp` and `nbf` alike, where only `nbf` (and
    // `iat`, which it does not read) should get any: [`check_times`] checks all three.
    v.leeway = 0;
    v.validate_exp = false;
    v.validate_nbf = false;
    v.set_issuer(&[issuer]);
    match audience {
        Some(audience) => {
            v.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
            v.set_audience(&[audience]);
        }
        None => {
            // Without a configured audience the issuer's own key is the binding.
            v.set_required_spec_claims(&["exp", "iss", "sub"]);
            v.validate_aud = false;
        }
    }
    v
}

fn map_jwt_error(e: jsonwebtoken::errors::Error) -> AuthError {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        ErrorKind::InvalidIssuer => AuthError::UnknownIssuer,
        ErrorKind::InvalidAudience => AuthError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => AuthError::AlgorithmNotAllowed,
        ErrorKind::MissingRequiredClaim(claim) => AuthError::Malformed(format!("missing {claim}")),
        ErrorKind::InvalidClaimFormat(claim) => {
            AuthError::Malformed(format!("claim {claim} has the wrong type"))
        }
        ErrorKind::Json(_) => AuthError::Malformed("claims are not the expected JSON".into()),
        // A key that cannot verify this token is as good as a wrong signature.
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            AuthError::InvalidSignature
        }
        _ => AuthError::Malformed("not a valid JWT".into()),
    }
}

fn load_keys(consumer: &ConsumerConfig) -> Result<Vec<ConsumerKey>, AuthError> {
    let mut keys = Vec::new();
    if let Some(secret) = &consumer.hs256_secret {
        keys.push(ConsumerKey {
            kid: None,
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret.as_bytes()),
        });
    }
    if let Some(path) = &consumer.jwks_file {
        let bad = |message: String| AuthError::Config {
            consumer: consumer.id.clone(),
            message,
        };
        let text = read_jwks(path).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        let public = jwks_keys(&text).map_err(|e| bad(format!("{}: {e}", path.display())))?;
        keys.extend(public);
    }
    if keys.is_empty() {
        return Err(AuthError::Config {
            consumer: consumer.id.clone(),
            message: "needs hs256_secret or jwks_file".into(),
        });
    }
    Ok(keys)
}

fn read_jwks(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)?
        .take(MAX_JWKS_BYTES)
        .read_to_string(&mut text)?;
    Ok(text)
}

/// The RS256/ES256 keys of a JWKS document. Keys of other kinds (encryption keys,
/// symmetric `oct` keys, other curves) are skipped: a symmetric key published in a
/// JWKS would let anyone who reads the document sign tokens.
fn jwks_keys(text: &str) -> Result<Vec<ConsumerKey>, String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_str(text).map_err(|e| format!("not a JWKS document: {e}"))?;
    let mut keys = Vec::new();
    for value in document.keys {
        // Parsed one by one so that a key of an unknown kind does not sink the rest.
        let Ok(jwk) = serde_json::from_value::<Jwk>(value) else {
            continue;
        };
        if let Some(key) = public_key(&jwk)? {
            keys.push(key);
        }
    }
    if keys.is_empty() {
        return Err("holds no RS256 or ES256 signing key".into());
    }
    Ok(keys)
}

fn public_key(jwk: &Jwk) -> Result<Option<ConsumerKey>, String> {
    use jsonwebtoken::jwk::PublicKeyUse;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption) | Some(PublicKeyUse::Other(_))
    ) {
        return Ok(None);
    }
    let declared = jwk.common.key_algorithm;
    let algorithm = match &jwk.algorithm {
        AlgorithmParameters::RSA(_) if matches!(declared, None | Some(KeyAlgorithm::RS256)) => {
            Algorithm::RS256
        }
        AlgorithmParameters::EllipticCurve(p)
            if p.curve == EllipticCurve::P256
                && matches!(declared, None | Some(KeyAlgorithm::ES256)) =>
        {
            Algorithm::ES256
        }
        _ => return Ok(None),
    };
    let kid = jwk.common.key_id.clone();
    let key = DecodingKey::from_jwk(jwk)
        .map_err(|e| format!("key {}: {e}", kid.as_deref().unwrap_or("without kid")))?;
    Ok(Some(ConsumerKey {
        kid,
        algorithm,
        key,
    }))
}
