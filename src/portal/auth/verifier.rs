//! Verifying the Bearer JWT a consumer portal sends (DESIGN.md section 3, "Who the user is").
//!
//! Each consumer has its own keys: an HS256 shared secret, public keys from a JWKS
//! document, or both. The unverified `iss` only chooses whose keys to try; the token
//! is then checked against those keys alone, so one consumer can never speak for another.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, Header, Validation, dangerous, decode, decode_header};
use rustc_hash::FxHashMap;
use sha2::Digest;

use super::claims::{Claims, UnverifiedIssuer, audience_said, quoted_claim};
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

/// What a refused token says of its signer ([`Verifier::names_of`]).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenNames {
    pub consumer: Option<String>,
    pub kid: Option<String>,
}

/// One key a consumer signs with, and the single algorithm it is used for.
/// Binding each key to one algorithm is what rules out algorithm confusion.
struct ConsumerKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

/// One consumer's keys, and the audience its tokens must name, if any.
/// A token's consumer and the keys it holds, as [`Verifier::signers`] found them.
struct Signers<'a> {
    issuer: String,
    /// The token's `aud`, unverified, as a refusal for the wrong audience says it.
    audience_said: String,
    consumer: &'a Consumer,
    header: Header,
    keys: Arc<[ConsumerKey]>,
}

impl Signers<'_> {
    /// The keys that may have signed the token: of its algorithm and, when it names a
    /// `kid`, of that id (or of none).
    fn candidates(&self) -> impl Iterator<Item = &ConsumerKey> {
        let (alg, kid) = (self.header.alg, self.header.kid.as_deref());
        self.keys.iter().filter(move |k| {
            k.algorithm == alg
                && kid.is_none_or(|kid| k.kid.as_deref().is_none_or(|own| own == kid))
        })
    }
}

struct Consumer {
    /// Replaced whole when the JWKS file changes (see [`Verifier::reload_jwks`]); a
    /// check works on the set it took.
    keys: RwLock<Arc<[ConsumerKey]>>,
    audience: Option<String>,
    /// What the keys are loaded from, to load them again.
    config: ConsumerConfig,
    /// The JWKS file as it was when last looked at.
    jwks_seen: Mutex<Option<JwksSeen>>,
}

/// A consumer's JWKS file as [`Verifier::reload_jwks`] last found it.
struct JwksSeen {
    stamp: FileStamp,
    /// Whether it could be read and parsed then; one that could not is tried again at
    /// each call.
    usable: bool,
    /// The SHA-256 of the text the keys in use were read from: a file written again
    /// with the same text (a fetcher that renames a fresh copy in every few minutes, a
    /// `touch`) leaves the keys, and the tokens checked with them, as they are.
    loaded: [u8; 32],
    /// Why the file, as it is now, is not wholly in use (see [`Verifier::jwks_problems`]).
    problem: Option<String>,
}

/// Why a JWKS file that parsed is not wholly in use: it lists no usable signing key,
/// or some of its keys could not be decoded.
fn loaded_problem(keys: usize, skipped: &[String]) -> Option<String> {
    if keys == 0 {
        Some("lists no usable RS256 or ES256 key: none of its tokens is accepted".into())
    } else if !skipped.is_empty() {
        Some(format!("keys left out: {}", skipped.join("; ")))
    } else {
        None
    }
}

impl Consumer {
    fn keys(&self) -> Arc<[ConsumerKey]> {
        Arc::clone(&self.keys.read().unwrap_or_else(PoisonError::into_inner))
    }
}

/// What tells one version of a file from the next without reading it: its length,
/// when it was last written, and (on Unix) its inode, which a file renamed into place
/// changes, as a Kubernetes ConfigMap or `mv` does, and when its inode last changed
/// (a `chmod` that makes it readable). `None` for a file that cannot be looked at
/// (removed, say).
type FileStamp = Option<(u64, Option<std::time::SystemTime>, u64, (i64, i64))>;

fn stamp(path: &Path) -> FileStamp {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let (inode, changed) = {
        use std::os::unix::fs::MetadataExt;
        (meta.ino(), (meta.ctime(), meta.ctime_nsec()))
    };
    #[cfg(not(unix))]
    let (inode, changed) = (0, (0, 0));
    Some((meta.len(), meta.modified().ok(), inode, changed))
}

/// What [`Verifier::reload_jwks`] found for one consumer whose JWKS file it read again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwksReload {
    /// The file was read again: the consumer now has `keys` keys (none at all when a
    /// well-formed file lists none: a portal revoking every key it had), and
    /// `skipped` names the file's signing keys that could not be decoded.
    Replaced {
        consumer: String,
        keys: usize,
        skipped: Vec<String>,
    },
    /// The file changed but cannot be used; the keys loaded before stay.
    Kept { consumer: String, error: String },
    /// The file, unusable before, can be used again, and holds the keys in use.
    UsableAgain { consumer: String },
}

/// The configured consumers' verification keys, loaded at start; JWKS files are read
/// again when they change ([`Verifier::reload_jwks`]).
pub struct Verifier {
    consumers: BTreeMap<String, Consumer>,
    verified: Verified,
}

/// Most tokens each of [`Verified`]'s two maps holds. A portal sends one token per
/// user for as long as it lives, so this covers the users active at once on a busy
/// host: the two maps hold about 4 MB with tokens of the usual few hundred bytes, at
/// most 16 MiB of tokens (see [`MAX_VERIFIED_TOKEN_BYTES`]) and their users.
const MAX_VERIFIED_TOKENS: usize = 4096;

/// Longest token [`Verified`] keeps. Longer ones (a profile with many claims) are
/// checked every time: kept, two maps of 4,096 of the longest accepted would be
/// 64 MiB.
const MAX_VERIFIED_TOKEN_BYTES: usize = 2048;

/// Tokens whose signature and claims were checked, by their exact text, with the
/// user each speaks for, its `exp`, and the later of its `nbf` and `iat`. A portal sends a user's token with every
/// request, and checking it again cost 8 µs of a request's CPU (HS256; an RS256
/// signature costs more): the header and claims decoded and parsed four times, and
/// the HMAC. The answer cannot change while the token is the same text and the keys
/// are the same: a JWKS file read again empties it. What can change is the clock, so
/// `exp` is checked on every hit, and so are `nbf` and `iat` (the later of the two is
/// kept): not ahead of the clock when the token was checked, they are ahead again if
/// the clock is set back (a virtual machine's snapshot restored, a time service's
/// step), and a token a fresh check would refuse is then not taken from here either.
/// Only tokens that passed are kept, so nobody can fill it without a consumer's key.
///
/// Two maps, so that a full one does not forget the users active now: when the
/// newer fills, it becomes the older and the one before it is let go; a token found
/// in the older is moved to the newer. A token is checked again only once a whole
/// map's worth of others came after its last use, not every user at once whenever
/// the map fills (a burst of signature checks, costly with RS256).
#[derive(Default)]
struct Verified(Mutex<Checked>);

/// Each token's user, `exp`, and the later of its `nbf` and `iat` (0 without either).
type Tokens = FxHashMap<Box<str>, (PortalUser, u64, u64)>;

/// Whether a remembered token's times still hold at `now`, as [`check_times`] has
/// them.
fn still_valid(exp: u64, not_before: u64, now: u64) -> bool {
    exp > now && not_before <= now.saturating_add(CLOCK_SKEW_SECS)
}

#[derive(Default)]
struct Checked {
    tokens: Tokens,
    /// The map before `tokens` filled: looked in second.
    older: Tokens,
    /// Counts the times the keys changed: a token checked with keys that were
    /// replaced while it was checked is not kept.
    generation: u64,
}

impl Verified {
    fn lock(&self) -> std::sync::MutexGuard<'_, Checked> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The user `token` speaks for, if it passed before and has not expired at `now`.
    fn user(&self, token: &str, now: u64) -> Option<PortalUser> {
        let mut checked = self.lock();
        match checked.tokens.get(token) {
            Some((user, exp, not_before)) if still_valid(*exp, *not_before, now) => {
                return Some(user.clone());
            }
            Some(_) => {
                checked.tokens.remove(token);
                return None;
            }
            None => {}
        }
        let (kept, entry) = checked.older.remove_entry(token)?;
        if !still_valid(entry.1, entry.2, now) {
            return None;
        }
        let user = entry.0.clone();
        let let_go = checked.keep(kept, entry);
        drop(checked);
        // Freed after the lock: every Bearer request takes it, on an async worker.
        drop(let_go);
        Some(user)
    }

    /// Taken before a check reads the keys, and handed to [`Self::remember`].
    fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Forgets every token: the keys changed.
    fn forget_all(&self) {
        let forgotten = {
            let mut checked = self.lock();
            checked.generation = checked.generation.wrapping_add(1);
            (
                std::mem::take(&mut checked.tokens),
                std::mem::take(&mut checked.older),
            )
        };
        // Freed after the lock, as in `user`.
        drop(forgotten);
    }

    fn remember(
        &self,
        token: &str,
        user: &PortalUser,
        (exp, not_before): (u64, u64),
        generation: u64,
    ) {
        if token.len() > MAX_VERIFIED_TOKEN_BYTES {
            return;
        }
        let mut checked = self.lock();
        if checked.generation != generation {
            return;
        }
        let let_go = checked.keep(token.into(), (user.clone(), exp, not_before));
        drop(checked);
        // The thousands of tokens let go are freed after the lock, as in `user`.
        drop(let_go);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let checked = self.lock();
        checked.tokens.len() + checked.older.len()
    }
}

impl Checked {
    /// Keeps `token` in the newer map. A full one becomes the older, and the older
    /// map it replaces is handed back, to be freed once the lock is let go.
    fn keep(&mut self, token: Box<str>, entry: (PortalUser, u64, u64)) -> Option<Tokens> {
        let let_go = (self.tokens.len() >= MAX_VERIFIED_TOKENS).then(|| {
            let full = std::mem::take(&mut self.tokens);
            std::mem::replace(&mut self.older, full)
        });
        self.tokens.insert(token, entry);
        let_go
    }
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
            // Stamped before it is read: a change made while it is read is seen later.
            let stamped = consumer.jwks_file.as_deref().map(stamp);
            let Loaded {
                keys,
                skipped,
                digest,
            } = load_keys(consumer)?;
            let seen = stamped.map(|stamp| JwksSeen {
                stamp,
                usable: true,
                loaded: digest,
                problem: None,
            });
            // At start someone is there to fix the file: a key it cannot use, or a
            // file with none, stops the start rather than passing unnoticed.
            let bad = |message: String| AuthError::Config {
                consumer: consumer.id.clone(),
                message,
            };
            if let Some(first) = skipped.first() {
                return Err(bad(first.clone()));
            }
            if consumer.jwks_file.is_some() && keys.iter().all(|k| k.algorithm == Algorithm::HS256)
            {
                let path = consumer.jwks_file.as_deref().unwrap_or(Path::new(""));
                return Err(bad(format!(
                    "{}: holds no RS256 or ES256 signing key",
                    path.display()
                )));
            }
            consumers.insert(
                consumer.id.clone(),
                Consumer {
                    keys: RwLock::new(keys.into()),
                    audience: consumer.audience.clone(),
                    config: consumer.clone(),
                    jwks_seen: Mutex::new(seen),
                },
            );
        }
        Ok(Self {
            consumers,
            verified: Verified::default(),
        })
    }

    /// Whether `id` is a configured consumer.
    pub fn knows(&self, id: &str) -> bool {
        self.consumers.contains_key(id)
    }

    /// What a refused token names, for the log's line: the consumer its `iss` names
    /// when that is a configured one (an id the administrator wrote, never a
    /// stranger's text), and its header's `kid`, cut to a quoted claim's length, which
    /// tells a key rotated away from one still in use. Neither is verified: the line
    /// says what the token claimed.
    pub fn names_of(&self, token: &str) -> TokenNames {
        let token = token.trim();
        if token.len() > MAX_TOKEN_BYTES {
            return TokenNames::default();
        }
        let consumer = dangerous::insecure_decode::<UnverifiedIssuer>(token)
            .ok()
            .and_then(|t| t.claims.iss)
            .filter(|iss| self.knows(iss));
        let kid = decode_header(token)
            .ok()
            .and_then(|h| h.kid)
            .map(|kid| quoted_claim(&kid));
        TokenNames { consumer, kid }
    }

    /// Whether any consumer's keys come from a JWKS file, which
    /// [`Self::reload_jwks`] then watches.
    pub fn reads_jwks(&self) -> bool {
        self.consumers
            .values()
            .any(|c| c.config.jwks_file.is_some())
    }

    /// Reads again each JWKS file that changed since it was last read, so that a
    /// portal that rotates its signing keys needs no restart of the host: a key added
    /// to the file signs in from then on, and one taken out stops. A file that can no
    /// longer be read or parsed leaves the keys as they were (a file half written must
    /// not sign everyone out): it is answered once, and tried again at each call until
    /// it can be used. A file that parses is the portal's word, down to no usable key
    /// at all (every key revoked); a key in it that cannot be decoded is named and
    /// left out. When a consumer's keys are replaced, the
    /// tokens remembered as checked are forgotten, and each is checked again with the
    /// new keys. Blocking: it reads files.
    pub fn reload_jwks(&self) -> Vec<JwksReload> {
        let mut changes = Vec::new();
        for (id, consumer) in &self.consumers {
            let Some(path) = consumer.config.jwks_file.as_deref() else {
                continue;
            };
            let now = stamp(path);
            // What was seen, copied out: the lock is not held while the file is read,
            // since `/readyz` takes it (`jwks_problems`) and a read may stall.
            let before = consumer
                .jwks_seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .as_ref()
                .map(|s| (s.stamp == now, s.usable, s.loaded));
            let known = before.is_some_and(|(same_stamp, ..)| same_stamp);
            let was_usable = before.is_none_or(|(_, usable, _)| usable);
            if known && was_usable {
                continue;
            }
            let loaded_before = before.map_or([0; 32], |(.., loaded)| loaded);
            let loaded = load_keys(&consumer.config);
            let mut seen = consumer
                .jwks_seen
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match loaded {
                Ok(Loaded {
                    keys,
                    skipped,
                    digest,
                }) => {
                    let count = signing_keys(&keys);
                    let same = before.is_some() && loaded_before == digest;
                    *seen = Some(JwksSeen {
                        stamp: now,
                        usable: true,
                        loaded: digest,
                        problem: loaded_problem(count, &skipped),
                    });
                    if same {
                        // The keys in use are this text's already. Said only where
                        // the file had been unusable, and so was told of.
                        if !was_usable {
                            changes.push(JwksReload::UsableAgain {
                                consumer: id.clone(),
                            });
                        }
                        continue;
                    }
                    *consumer
                        .keys
                        .write()
                        .unwrap_or_else(PoisonError::into_inner) = keys.into();
                    // At once, before the next consumer's file is read: a key just
                    // dropped must not pass meanwhile.
                    self.verified.forget_all();
                    changes.push(JwksReload::Replaced {
                        consumer: id.clone(),
                        keys: count,
                        skipped,
                    });
                }
                Err(error) => {
                    *seen = Some(JwksSeen {
                        stamp: now,
                        usable: false,
                        loaded: loaded_before,
                        problem: Some(format!(
                            "{error}; the keys read before stay until it can be used"
                        )),
                    });
                    // Tried again at every call; told of once for each version.
                    if !known {
                        changes.push(JwksReload::Kept {
                            consumer: id.clone(),
                            error: error.to_string(),
                        });
                    }
                }
            }
        }
        changes
    }

    /// Each consumer whose JWKS file, as it is now, is not wholly in use, and why: it
    /// changed but cannot be read or parsed (the keys read before stay), it lists no
    /// usable key, or some of its keys could not be decoded. For `/readyz`, where a
    /// broken key rotation shows without reading the log.
    pub fn jwks_problems(&self) -> Vec<(String, String)> {
        self.consumers
            .iter()
            .filter_map(|(id, consumer)| {
                let seen = consumer
                    .jwks_seen
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                let problem = seen.as_ref()?.problem.clone()?;
                Some((id.clone(), problem))
            })
            .collect()
    }

    /// Each consumer with a JWKS file, and how many of its signing keys are in use.
    pub fn jwks_key_counts(&self) -> Vec<(String, usize)> {
        self.consumers
            .iter()
            .filter(|(_, c)| c.config.jwks_file.is_some())
            .map(|(id, c)| (id.clone(), signing_keys(&c.keys())))
            .collect()
    }

    /// The user of a token that passed before and has not expired, from memory: a
    /// map lookup, where [`Self::verify_bearer`] may check a signature.
    pub fn remembered(&self, token: &str) -> Option<PortalUser> {
        self.remembered_at(token, super::unix_now())
    }

    /// [`Self::remembered`] with the clock at `now`. Nothing is remembered while the
    /// clock reads before [`crate::clock::EARLIEST_BELIEVABLE`]: a clock set back
    /// while the host runs would keep every token of the last hour good for years,
    /// and [`Self::verify_bearer`] refuses them as the clock's fault.
    fn remembered_at(&self, token: &str, now: u64) -> Option<PortalUser> {
        let token = token.trim();
        (token.len() <= MAX_TOKEN_BYTES && now >= crate::clock::EARLIEST_BELIEVABLE)
            .then(|| self.verified.user(token, now))
            .flatten()
    }

    /// Whether checking `token` would check a public-key signature (RS256, ES256 …),
    /// tens of microseconds or more: its header names such an algorithm and its `iss`
    /// a consumer with a key of that algorithm (and of its `kid`, if it names one).
    /// Everything else is refused, or checked by an HMAC, in a microsecond. Only the
    /// header and the claims are decoded, as the check itself begins by doing.
    pub fn costly(&self, token: &str) -> bool {
        let token = token.trim();
        if token.len() > MAX_TOKEN_BYTES {
            return false;
        }
        let Ok(header) = decode_header(token) else {
            return false;
        };
        if matches!(
            header.alg,
            Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
        ) {
            return false;
        }
        self.signers(token, header)
            .is_ok_and(|signers| signers.candidates().next().is_some())
    }

    /// What a check learns of `token` (whose `header` was read) before any signature:
    /// its consumer, and that consumer's keys. Refuses a token no key of its
    /// algorithm could have signed.
    fn signers(&self, token: &str, header: Header) -> Result<Signers<'_>, AuthError> {
        let unverified = dangerous::insecure_decode::<UnverifiedIssuer>(token)
            .map_err(|_| AuthError::Malformed("unreadable claims".into()))?
            .claims;
        let issuer = unverified
            .iss
            .ok_or_else(|| AuthError::Malformed("missing iss".into()))?;
        let consumer = self
            .consumers
            .get(&issuer)
            .ok_or_else(|| AuthError::UnknownIssuer(quoted_claim(&issuer)))?;
        let keys = consumer.keys();
        if !keys.iter().any(|k| k.algorithm == header.alg) {
            return Err(AuthError::AlgorithmNotAllowed);
        }
        Ok(Signers {
            audience_said: audience_said(unverified.aud.as_ref()),
            issuer,
            consumer,
            header,
            keys,
        })
    }

    /// Verifies a Bearer token and returns the portal user it speaks for.
    pub fn verify_bearer(&self, token: &str) -> Result<PortalUser, AuthError> {
        self.verify_at(token, super::unix_now())
    }

    /// [`Self::verify_bearer`] with the clock at `now`.
    fn verify_at(&self, token: &str, now: u64) -> Result<PortalUser, AuthError> {
        let token = token.trim();
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthError::Malformed(format!(
                "longer than {MAX_TOKEN_BYTES} bytes"
            )));
        }
        // Before the tokens remembered as good, which a clock set back would keep.
        if now < crate::clock::EARLIEST_BELIEVABLE {
            return Err(AuthError::ClockUnset);
        }
        if let Some(user) = self.verified.user(token, now) {
            return Ok(user);
        }
        // `alg: none` fails here: jsonwebtoken has no such algorithm.
        let header =
            decode_header(token).map_err(|_| AuthError::Malformed("unreadable header".into()))?;
        // Taken before the keys are read (see `remember`).
        let generation = self.verified.generation();
        let signers = self.signers(token, header)?;
        let (issuer, consumer) = (&signers.issuer, signers.consumer);

        let mut outcome = Err(AuthError::InvalidSignature);
        for candidate in signers.candidates() {
            let rules = validation(candidate, issuer, consumer.audience.as_deref());
            outcome = decode::<Claims>(token, &candidate.key, &rules)
                .map_err(|e| map_jwt_error(e, &signers));
            // Only a signature mismatch is worth trying the next key for.
            if !matches!(outcome, Err(AuthError::InvalidSignature)) {
                break;
            }
        }
        let mut claims = outcome?.claims;
        check_times(&claims, now)?;

        if !is_user_id(&claims.sub) {
            return Err(AuthError::Malformed(
                "sub must be 1-64 of letters, digits, '.', '_', '@', '-'".into(),
            ));
        }
        let profile = claims.take_profile();
        let user = PortalUser {
            consumer: signers.issuer,
            user_id: claims.sub,
            roles: claims.roles.map(|r| r.into_vec()).unwrap_or_default(),
            profile,
        };
        // `check_times` refused a token without `exp`.
        if let Some(exp) = claims.exp {
            let not_before = claims.nbf.into_iter().chain(claims.iat).max().unwrap_or(0);
            self.verified
                .remember(token, &user, (exp, not_before), generation);
        }
        Ok(user)
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

fn map_jwt_error(e: jsonwebtoken::errors::Error, signers: &Signers<'_>) -> AuthError {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => AuthError::Expired,
        ErrorKind::ImmatureSignature => AuthError::NotYetValid,
        ErrorKind::InvalidSignature => AuthError::InvalidSignature,
        ErrorKind::InvalidIssuer => AuthError::UnknownIssuer(quoted_claim(&signers.issuer)),
        ErrorKind::InvalidAudience => AuthError::WrongAudience {
            aud: signers.audience_said.clone(),
            expected: signers.consumer.audience.clone().unwrap_or_default(),
        },
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

/// How many of `keys` came from a JWKS file: every one but the HS256 secret.
fn signing_keys(keys: &[ConsumerKey]) -> usize {
    keys.iter()
        .filter(|k| k.algorithm != Algorithm::HS256)
        .count()
}

/// A consumer's keys as [`load_keys`] read them.
struct Loaded {
    keys: Vec<ConsumerKey>,
    /// The JWKS file's signing keys that could not be decoded, named.
    skipped: Vec<String>,
    /// The SHA-256 of the JWKS file's text (zeros without one).
    digest: [u8; 32],
}

/// The consumer's keys, and the JWKS file's signing keys that could not be decoded
/// (each named). A JWKS file that cannot be read or parsed is an error; one that
/// parses but lists no usable key gives none from the file.
fn load_keys(consumer: &ConsumerConfig) -> Result<Loaded, AuthError> {
    let mut keys = Vec::new();
    let mut skipped = Vec::new();
    let mut digest = [0; 32];
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
        // Named by its key, and in full: a relative path is read from the service's
        // working folder, which is not where an administrator reading the log stands.
        let named = format!(
            "jwks_file {}",
            std::path::absolute(path)
                .unwrap_or_else(|_| path.clone())
                .display()
        );
        let text = read_jwks(path).map_err(|e| bad(format!("{named}: {e}")))?;
        digest = sha2::Sha256::digest(text.as_bytes()).into();
        let (public, bad_keys) = jwks_keys(&text).map_err(|e| bad(format!("{named}: {e}")))?;
        keys.extend(public);
        skipped = bad_keys
            .into_iter()
            .map(|e| format!("{named}: {e}"))
            .collect();
    } else if keys.is_empty() && consumer.wsrp_secret.is_none() {
        // A consumer with only a `wsrp_secret` consumes over WSRP alone: no key, so
        // every Bearer token naming it is refused.
        return Err(AuthError::Config {
            consumer: consumer.id.clone(),
            message: "needs hs256_secret or jwks_file".into(),
        });
    }
    Ok(Loaded {
        keys,
        skipped,
        digest,
    })
}

/// The JWKS file's text. One past [`MAX_JWKS_BYTES`] is refused as too large, where
/// reading only its first MiB would call it "not a JWKS document" (or not UTF-8, when
/// the cut fell inside a character) and leave the administrator looking for a typo.
fn read_jwks(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_JWKS_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_JWKS_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::FileTooLarge,
            format!(
                "larger than {} KiB, which no JWKS document of a portal's keys comes near (a few KiB): is it the file meant?",
                MAX_JWKS_BYTES / 1024
            ),
        ));
    }
    String::from_utf8(bytes).map_err(|_| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "not UTF-8 text, as a JWKS document is",
        )
    })
}

/// The RS256/ES256 keys of a JWKS document, and why each signing key that could not
/// be decoded was left out. Keys of other kinds (encryption keys, symmetric `oct`
/// keys, other curves) are skipped silently: a symmetric key published in a JWKS
/// would let anyone who reads the document sign tokens. A bad key does not sink the
/// others: a portal that replaces a leaked key must not keep it trusted because its
/// new file has a flaw elsewhere.
fn jwks_keys(text: &str) -> Result<(Vec<ConsumerKey>, Vec<String>), String> {
    #[derive(serde::Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document =
        serde_json::from_str(text).map_err(|e| format!("not a JWKS document: {e}"))?;
    let (mut keys, mut skipped) = (Vec::new(), Vec::new());
    for value in document.keys {
        // Parsed one by one so that a key of an unknown kind does not sink the rest.
        let jwk = match serde_json::from_value::<Jwk>(value.clone()) {
            Ok(jwk) => jwk,
            Err(e) => {
                // One that says it is an RS256 or ES256 signing key and does not parse
                // (a field missing) is named, as one that does not decode is.
                if is_meant_for_signing(&value) {
                    let kid = value.get("kid").and_then(|k| k.as_str());
                    skipped.push(format!("key {}: {e}", kid.unwrap_or("without kid")));
                }
                continue;
            }
        };
        match public_key(&jwk) {
            Ok(Some(key)) => keys.push(key),
            Ok(None) => {}
            Err(why) => skipped.push(why),
        }
    }
    Ok((keys, skipped))
}

/// Whether a JWK that did not parse says it is a key the host would verify with: an
/// RSA or EC key, not for encryption, of RS256 or ES256 or no stated algorithm.
fn is_meant_for_signing(value: &serde_json::Value) -> bool {
    let text = |name: &str| value.get(name).and_then(|v| v.as_str());
    matches!(text("kty"), Some("RSA" | "EC"))
        && matches!(text("use"), None | Some("sig"))
        && matches!(text("alg"), None | Some("RS256" | "ES256"))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::Profile;
    use crate::portal::auth::mint;
    use std::time::Duration;

    const SECRET: &str = "a-secret-of-at-least-thirty-two-bytes";

    fn verifier() -> Verifier {
        let config = Config::from_toml(&format!(
            "[[consumers]]\nid = \"portal\"\nhs256_secret = \"{SECRET}\"\n"
        ))
        .expect("config");
        Verifier::from_config(&config).expect("keys")
    }

    fn token(user: &str, ttl: u64) -> String {
        token_with(user, ttl, &Profile::default())
    }

    fn token_with(user: &str, ttl: u64, profile: &Profile) -> String {
        mint(
            "portal",
            SECRET,
            user,
            &[],
            profile,
            Duration::from_secs(ttl),
        )
        .expect("mint")
    }

    /// A JWKS file that cannot be read is named by its key, in full: a relative path
    /// is the service's working folder's.
    #[test]
    fn an_unreadable_jwks_file_is_named_by_its_key_in_full() {
        let config =
            Config::from_toml("[[consumers]]\nid = \"p\"\njwks_file = \"no-such-jwks.json\"\n")
                .expect("config");
        let Err(error) = Verifier::from_config(&config) else {
            panic!("a JWKS file that is not there was read");
        };
        let full = std::env::current_dir()
            .expect("working folder")
            .join("no-such-jwks.json");
        assert!(
            error
                .to_string()
                .starts_with(&format!("consumer p: jwks_file {}: ", full.display())),
            "{error}"
        );
    }

    /// A refused token's line names the configured consumer its `iss` names and its
    /// `kid`; a stranger's `iss` is not written, and a long `kid` is cut.
    #[test]
    fn a_tokens_names_are_its_configured_consumer_and_its_kid() {
        let v = verifier();
        let signed = |iss: &str, kid: Option<String>| {
            let header = Header {
                kid,
                ..Header::new(Algorithm::HS256)
            };
            let claims = serde_json::json!({"iss": iss, "sub": "jose", "exp": 4_000_000_000u64});
            jsonwebtoken::encode(
                &header,
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(b"another secret altogether, 32+ bytes"),
            )
            .expect("encode")
        };
        assert_eq!(
            v.names_of(&signed("portal", Some("2026-11".into()))),
            TokenNames {
                consumer: Some("portal".into()),
                kid: Some("2026-11".into()),
            }
        );
        let stranger = v.names_of(&signed("https://elsewhere.example", Some("k".repeat(500))));
        assert_eq!(stranger.consumer, None);
        assert_eq!(stranger.kid.map(|k| k.chars().count()), Some(128));
        assert_eq!(v.names_of("not a token"), TokenNames::default());
        assert_eq!(v.names_of(&token("jose", 60)).kid, None);
    }

    /// `nbf` and `iat` may each lie [`CLOCK_SKEW_SECS`] ahead, to the second, and not
    /// one second more: judged at a fixed instant, so the test does not race the clock.
    #[test]
    fn the_skew_allowed_ends_at_its_last_second() {
        let v = verifier();
        let now = super::super::unix_now();
        let signed = |claim: &str, at: u64| {
            let mut claims = serde_json::json!({"iss": "portal", "sub": "ada", "exp": now + 600});
            claims[claim] = serde_json::json!(at);
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .expect("encode")
        };
        for claim in ["nbf", "iat"] {
            let last = signed(claim, now + CLOCK_SKEW_SECS);
            assert!(v.verify_at(&last, now).is_ok(), "{claim} at the skew's end");
            let past = signed(claim, now + CLOCK_SKEW_SECS + 1);
            assert_eq!(
                v.verify_at(&past, now),
                Err(AuthError::NotYetValid),
                "{claim} a second past it"
            );
        }
    }

    /// A token whose times have a fraction (RFC 7519 allows it; some identity
    /// providers write them so) is a token like any other, taken for no longer than
    /// it says; a time that is no date is malformed.
    #[test]
    fn times_with_a_fraction_are_read() {
        let v = verifier();
        let now = super::super::unix_now();
        let signed = |claims: serde_json::Value| {
            jsonwebtoken::encode(
                &jsonwebtoken::Header::default(),
                &claims,
                &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
            )
            .expect("encode")
        };
        let at = |seconds: u64, fraction: f64| seconds as f64 + fraction;
        let fractional = signed(serde_json::json!({
            "iss": "portal", "sub": "ada",
            "iat": at(now - 10, 0.532), "nbf": at(now - 10, 0.25), "exp": at(now + 60, 0.75),
        }));
        let user = v.verify_at(&fractional, now).expect("valid");
        assert_eq!(user.user_id, "ada");
        // `exp` rounded down: gone at the whole second it names.
        assert_eq!(v.verify_at(&fractional, now + 60), Err(AuthError::Expired));
        // `iat` rounded up: a fraction past the skew allowed is past it.
        let ahead = signed(serde_json::json!({
            "iss": "portal", "sub": "ada",
            "iat": at(now + CLOCK_SKEW_SECS, 0.25), "exp": now + 60,
        }));
        assert_eq!(v.verify_at(&ahead, now), Err(AuthError::NotYetValid));
        for bad in [serde_json::json!(-5.5), serde_json::json!(1e300)] {
            let token = signed(serde_json::json!({
                "iss": "portal", "sub": "ada", "iat": bad, "exp": now + 60,
            }));
            assert!(
                matches!(v.verify_at(&token, now), Err(AuthError::Malformed(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_long_token_is_checked_every_time() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let profile = Profile {
            given_name: Some("A".repeat(MAX_VERIFIED_TOKEN_BYTES)),
            ..Profile::default()
        };
        let long = token_with("ada", 60, &profile);
        assert!(long.len() > MAX_VERIFIED_TOKEN_BYTES);
        assert!(v.verify_at(&long, now).is_ok());
        assert_eq!(v.verified.len(), 0);
    }

    /// A clock that lost its setting judges no token: against a clock reading 1970, a
    /// token naming no issue time would pass however long ago it expired, and one
    /// remembered as good would pass for years.
    #[test]
    fn a_clock_set_before_this_release_checks_no_token() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let remembered = token("ada", 60);
        v.verify_at(&remembered, now).expect("valid");
        let long_expired = jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &serde_json::json!({ "iss": "portal", "sub": "ada", "exp": now - 3600 }),
            &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
        )
        .expect("encode");
        let floor = crate::clock::EARLIEST_BELIEVABLE;
        assert!(v.remembered_at(&remembered, now).is_some(), "remembered");
        for clock in [0, floor - 1] {
            assert_eq!(v.remembered_at(&remembered, clock), None, "{clock}");
            assert_eq!(v.verify_at(&remembered, clock), Err(AuthError::ClockUnset));
            assert_eq!(
                v.verify_at(&long_expired, clock),
                Err(AuthError::ClockUnset)
            );
        }
        assert_eq!(v.verify_at(&long_expired, now), Err(AuthError::Expired));
        // A clock at the floor is set: the token is looked at, and refused as one
        // issued after it (its `iat`), from the memory as by a fresh check.
        assert_eq!(v.verify_at(&remembered, floor), Err(AuthError::NotYetValid));
    }

    /// A remembered token is refused once the clock is set back before it was
    /// issued, as a fresh check refuses it, and taken again once the clock is right.
    #[test]
    fn a_remembered_token_is_refused_after_the_clock_goes_back() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let t = token("ada", 3_600);
        let user = v.verify_at(&t, now).expect("valid");
        assert_eq!(v.verified.len(), 1);
        // From the memory: good with the clock back by the skew allowed (the token
        // may have been minted a second after `now`), not a second further.
        assert_eq!(
            v.remembered_at(&t, now + 1 - CLOCK_SKEW_SECS),
            Some(user.clone())
        );
        assert_eq!(v.remembered_at(&t, now - CLOCK_SKEW_SECS - 2), None);
        let back = now - 2 * 3_600;
        assert_eq!(v.remembered_at(&t, back), None);
        assert_eq!(v.verify_at(&t, back), Err(AuthError::NotYetValid));
        // Within the skew allowed it is still good.
        assert_eq!(v.verify_at(&t, now - CLOCK_SKEW_SECS + 1), Ok(user.clone()));
        assert_eq!(v.verify_at(&t, now), Ok(user));
    }

    #[test]
    fn a_remembered_token_still_expires() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let t = token("ada", 60);
        let first = v.verify_at(&t, now).expect("valid");
        assert_eq!(v.verified.len(), 1);
        assert_eq!(v.verify_at(&t, now + 30), Ok(first));
        assert_eq!(v.verified.len(), 1, "the same token is not kept twice");
        // `exp` is at most 61 s on (minted a second later at worst): expired from then.
        assert_eq!(v.verify_at(&t, now + 62), Err(AuthError::Expired));
        assert_eq!(v.verified.len(), 0, "an expired token is forgotten");
    }

    /// A token checked with keys that were replaced while it was being checked is
    /// not kept: the next request checks it against the keys there are now.
    #[test]
    fn a_token_checked_across_a_change_of_keys_is_not_remembered() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let t = token("ada", 60);
        let user = v.verify_at(&t, now).expect("valid");
        v.verified.forget_all();
        let before = v.verified.generation();
        // The keys change between a check's start and its end.
        v.verified.forget_all();
        v.verified.remember(&t, &user, (now + 60, now), before);
        assert_eq!(v.verified.len(), 0, "checked with keys since replaced");
        v.verified
            .remember(&t, &user, (now + 60, now), v.verified.generation());
        assert_eq!(v.verified.len(), 1);
        v.verified.forget_all();
        assert_eq!(v.verified.len(), 0);
    }

    /// A JWKS file past the limit is refused as too large, not read in part and then
    /// called a broken document; one at the limit is read whole.
    #[test]
    fn a_jwks_file_past_the_limit_is_refused_as_too_large() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jwks.json");
        let limit = usize::try_from(MAX_JWKS_BYTES).expect("small");
        // A document padded with spaces to the limit: read whole, and valid.
        let document = r#"{"keys": []}"#;
        let padded = |len: usize| format!("{document}{}", " ".repeat(len - document.len()));
        std::fs::write(&path, padded(limit)).expect("write");
        assert_eq!(read_jwks(&path).expect("at the limit").len(), limit);
        std::fs::write(&path, padded(limit + 1)).expect("write");
        let error = read_jwks(&path).expect_err("past the limit");
        assert_eq!(error.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(
            error.to_string().contains("larger than 1024 KiB"),
            "{error}"
        );
        std::fs::write(&path, b"{\"keys\": [\xff]}").expect("write");
        assert!(
            read_jwks(&path)
                .expect_err("not UTF-8")
                .to_string()
                .contains("not UTF-8"),
        );
    }

    /// What tells a JWKS file's versions apart: a rewrite of the same length, a new
    /// file renamed over it, a change of mode (a file made readable), its removal.
    #[cfg(unix)]
    #[test]
    fn a_files_stamp_changes_with_each_new_version() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("jwks.json");
        std::fs::write(&path, "one").expect("write");
        let mut stamps = vec![stamp(&path)];
        assert_eq!(stamp(&path), stamps[0], "unchanged");
        std::thread::sleep(Duration::from_millis(10));
        std::fs::write(&path, "two").expect("rewrite");
        stamps.push(stamp(&path));
        let staged = dir.path().join("staged");
        std::fs::write(&staged, "two").expect("write");
        std::fs::rename(&staged, &path).expect("rename");
        stamps.push(stamp(&path));
        std::thread::sleep(Duration::from_millis(10));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        stamps.push(stamp(&path));
        std::fs::remove_file(&path).expect("remove");
        stamps.push(stamp(&path));
        assert_eq!(stamps.last(), Some(&None));
        for (i, a) in stamps.iter().enumerate() {
            for b in &stamps[i + 1..] {
                assert_ne!(a, b, "{stamps:?}");
            }
        }
    }

    #[test]
    fn only_the_exact_token_that_passed_is_remembered() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let t = token("ada", 60);
        v.verify_at(&t, now).expect("valid");
        // The same claims under another signature are checked, and refused.
        let (signed, signature) = t.rsplit_once('.').expect("three parts");
        // Another first character is still base64url (the last one carries padding
        // bits, and not every change of it decodes).
        let other = if signature.starts_with('A') { 'B' } else { 'A' };
        let forged = format!("{signed}.{other}{}", &signature[1..]);
        assert_eq!(v.verify_at(&forged, now), Err(AuthError::InvalidSignature));
        assert_eq!(v.verified.len(), 1, "a refused token is not kept");
        // Surrounding spaces are not part of the token.
        assert!(v.verify_at(&format!(" {t} "), now).is_ok());
        assert_eq!(v.verified.len(), 1);
    }

    #[test]
    fn the_remembered_tokens_are_bounded() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        for n in 0..3 * MAX_VERIFIED_TOKENS + 10 {
            v.verify_at(&token(&format!("user{n}"), 60), now)
                .expect("valid");
            assert!(v.verified.len() <= 2 * MAX_VERIFIED_TOKENS);
        }
        // The newer map holds the last 10, the older the full map before them.
        assert_eq!(v.verified.len(), MAX_VERIFIED_TOKENS + 10);
    }

    /// A full map does not forget the users active now: a token in use stays
    /// remembered however many others come, and only one unused for a whole map's
    /// worth of others is checked again.
    #[test]
    fn a_token_in_use_outlives_full_maps() {
        let v = verifier();
        let now = jsonwebtoken::get_current_timestamp();
        let (ada, idle) = (token("ada", 60), token("idle", 60));
        let ada_user = v.verify_at(&ada, now).expect("valid");
        v.verify_at(&idle, now).expect("valid");
        for round in 0..3 {
            for n in 0..MAX_VERIFIED_TOKENS {
                v.verify_at(&token(&format!("user{round}-{n}"), 60), now)
                    .expect("valid");
            }
            // Found without a check: in the older map at first, then kept again.
            assert_eq!(v.remembered(&ada), Some(ada_user.clone()), "round {round}");
        }
        assert_eq!(v.remembered(&idle), None);
        // An expired token in the older map is not moved back.
        let v = verifier();
        v.verify_at(&ada, now).expect("valid");
        for n in 0..MAX_VERIFIED_TOKENS {
            v.verify_at(&token(&format!("user{n}"), 60), now)
                .expect("valid");
        }
        assert_eq!(v.verify_at(&ada, now + 62), Err(AuthError::Expired));
        assert_eq!(v.verified.len(), MAX_VERIFIED_TOKENS);
    }
}
