//! Consumer JWTs (HS256, RS256, ES256 via JWKS) and host `p_auth` tokens.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use serde_json::{Value, json};
use widget_host::config::{Config, ConsumerConfig};
use widget_host::portal::Profile;
use widget_host::portal::auth::{
    AuthError, CLOCK_SKEW_SECS, DEFAULT_P_AUTH_TTL, JwksReload, PAuth, PAuthBinding, PAuthTarget,
    Verifier, mint,
};

const SECRET: &str = "0123456789abcdef0123456789abcdef-portal";
const OTHER_SECRET: &str = "fedcba9876543210fedcba9876543210-other";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keys")
        .join(name)
}

fn consumer(id: &str) -> ConsumerConfig {
    ConsumerConfig {
        id: id.into(),
        hs256_secret: None,
        jwks_file: None,
        allowed_origins: Vec::new(),
        wsrp_secret: None,
        audience: None,
        wsrp_guest_users: Vec::new(),
    }
}

fn config() -> Config {
    Config {
        consumers: vec![
            ConsumerConfig {
                hs256_secret: Some(SECRET.into()),
                ..consumer("portal")
            },
            ConsumerConfig {
                hs256_secret: Some(OTHER_SECRET.into()),
                ..consumer("other")
            },
            ConsumerConfig {
                jwks_file: Some(fixture("jwks.json")),
                ..consumer("liferay")
            },
        ],
        ..Config::default()
    }
}

fn verifier() -> Verifier {
    Verifier::from_config(&config()).expect("keys load")
}

fn now() -> u64 {
    jsonwebtoken::get_current_timestamp()
}

fn sign(alg: Algorithm, kid: Option<&str>, key: &EncodingKey, claims: &Value) -> String {
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    encode(&header, claims, key).expect("sign")
}

fn hs(claims: &Value, secret: &str) -> String {
    sign(
        Algorithm::HS256,
        None,
        &EncodingKey::from_secret(secret.as_bytes()),
        claims,
    )
}

fn rsa_key(name: &str) -> EncodingKey {
    EncodingKey::from_rsa_pem(&std::fs::read(fixture(name)).expect("read key")).expect("rsa pem")
}

fn ec_key() -> EncodingKey {
    EncodingKey::from_ec_pem(&std::fs::read(fixture("ec-1.pem")).expect("read key"))
        .expect("ec pem")
}

fn claims(iss: &str, sub: &str) -> Value {
    json!({"iss": iss, "sub": sub, "exp": now() + 300})
}

#[test]
fn hs256_good_token_maps_profile_and_roles() {
    let token = hs(
        &json!({
            "iss": "portal", "sub": "20123", "exp": now() + 300, "nbf": now() - 10,
            "given_name": "Jane", "middle_name": "Q", "family_name": "Doe",
            "email": "jane@example.com", "preferred_username": "jdoe", "locale": "es_ES",
            "picture": "https://p.example/jane.png", "job_title": "Engineer",
            "roles": ["Administrator", "User"],
        }),
        SECRET,
    );
    let user = verifier().verify_bearer(&token).expect("valid token");
    assert_eq!(user.consumer, "portal");
    assert_eq!(user.user_id, "20123");
    assert_eq!(user.roles, ["Administrator", "User"]);
    assert!(user.is_portal_admin());
    assert_eq!(
        user.profile,
        Profile {
            given_name: Some("Jane".into()),
            middle_name: Some("Q".into()),
            family_name: Some("Doe".into()),
            email: Some("jane@example.com".into()),
            screen_name: Some("jdoe".into()),
            locale: Some("es_ES".into()),
            picture: Some("https://p.example/jane.png".into()),
            job_title: Some("Engineer".into()),
        }
    );
}

/// A profile claim of another type than text (`"picture": {}`, a number for a name)
/// is no value, and a role that is not text no role: one odd field must not refuse
/// the token, which would lock the person out. Who signed in stays strict.
#[test]
fn an_odd_profile_claim_is_passed_over_not_a_reason_to_refuse() {
    let token = hs(
        &json!({
            "iss": "portal", "sub": "u7", "exp": now() + 300,
            "given_name": "Ann", "family_name": 5, "picture": {}, "email": ["a@example.com"],
            "locale": null, "job_title": true,
            "roles": ["Site Owner", 1, {"name": "Administrator"}],
        }),
        SECRET,
    );
    let user = verifier().verify_bearer(&token).expect("valid token");
    assert_eq!(user.roles, ["Site Owner"]);
    assert!(
        !user.is_portal_admin(),
        "a role that is not text gives nothing"
    );
    assert_eq!(
        user.profile,
        Profile {
            given_name: Some("Ann".into()),
            ..Profile::default()
        }
    );
    let mut numbered = claims("portal", "u7");
    numbered["roles"] = json!(7);
    let user = verifier()
        .verify_bearer(&hs(&numbered, SECRET))
        .expect("valid");
    assert!(user.roles.is_empty());
    let mut odd_sub = claims("portal", "u7");
    odd_sub["sub"] = json!(7);
    assert!(verifier().verify_bearer(&hs(&odd_sub, SECRET)).is_err());
}

#[test]
fn roles_may_be_a_single_string_or_absent() {
    let mut c = claims("portal", "u1");
    c["roles"] = json!("Site Owner");
    let user = verifier().verify_bearer(&hs(&c, SECRET)).expect("valid");
    assert_eq!(user.roles, ["Site Owner"]);
    assert!(user.is_widget_admin());
    let user = verifier()
        .verify_bearer(&hs(&claims("portal", "u1"), SECRET))
        .expect("valid");
    assert!(user.roles.is_empty());
    assert_eq!(user.profile, Profile::default());
}

/// DESIGN: an expired token gets 401. `exp` gets no leeway: a token is refused from
/// the second it names, one second ago as much as an hour ago.
#[test]
fn hs256_expired_is_refused_at_once() {
    let mut c = claims("portal", "u1");
    for past in [2, 1, 0] {
        c["exp"] = json!(now() - past);
        assert_eq!(
            verifier().verify_bearer(&hs(&c, SECRET)),
            Err(AuthError::Expired),
            "exp {past} s ago"
        );
    }
    c["exp"] = json!(now() + 5);
    assert!(verifier().verify_bearer(&hs(&c, SECRET)).is_ok());
}

/// A portal's clock a little ahead of the host's makes a fresh token's `nbf` lie in
/// the future: within the skew it passes, beyond it the token is not valid yet.
#[test]
fn nbf_in_the_future_is_refused_beyond_clock_skew_only() {
    assert_eq!(CLOCK_SKEW_SECS, 30);
    let mut c = claims("portal", "u1");
    c["nbf"] = json!(now() + 10);
    assert!(verifier().verify_bearer(&hs(&c, SECRET)).is_ok());
    // Just past the 30 s: the skew is what the constant says, not merely below 120 s.
    for ahead in [40, 120, 600] {
        c["nbf"] = json!(now() + ahead);
        assert_eq!(
            verifier().verify_bearer(&hs(&c, SECRET)),
            Err(AuthError::NotYetValid),
            "nbf {ahead} s ahead"
        );
    }
    // Its form is checked as the other claims' are.
    c["nbf"] = json!("soon");
    assert!(matches!(
        verifier().verify_bearer(&hs(&c, SECRET)),
        Err(AuthError::Malformed(_))
    ));
}

/// A token issued in the future comes from a wrong clock or was pre-dated; within the
/// skew it is a clock's drift and passes.
#[test]
fn iat_in_the_future_is_refused_beyond_clock_skew_only() {
    let mut c = claims("portal", "u1");
    c["iat"] = json!(now() + 600);
    c["exp"] = json!(now() + 900);
    assert_eq!(
        verifier().verify_bearer(&hs(&c, SECRET)),
        Err(AuthError::NotYetValid)
    );
    c["iat"] = json!(now() + 25);
    assert!(verifier().verify_bearer(&hs(&c, SECRET)).is_ok());
}

#[test]
fn hs256_wrong_secret_is_refused() {
    // Signed with the other consumer's secret but claiming to be "portal".
    let token = hs(&claims("portal", "u1"), OTHER_SECRET);
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::InvalidSignature)
    );
}

#[test]
fn unknown_or_missing_issuer_is_refused() {
    let token = hs(&claims("stranger", "u1"), SECRET);
    // The refusal names the issuer the token gave, for the log (cut at 128).
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::UnknownIssuer("stranger".into()))
    );
    assert_eq!(
        AuthError::UnknownIssuer("stranger".into()).to_string(),
        "the token issuer is not a configured consumer (iss: stranger)",
        "what the log says"
    );
    let long = format!("https://sso.example/{}", "é".repeat(300));
    let token = hs(&claims(&long, "u1"), SECRET);
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::UnknownIssuer(long.chars().take(128).collect()))
    );
    let token = hs(&json!({"sub": "u1", "exp": now() + 60}), SECRET);
    assert!(matches!(
        verifier().verify_bearer(&token),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn missing_exp_is_refused() {
    let token = hs(&json!({"iss": "portal", "sub": "u1"}), SECRET);
    match verifier().verify_bearer(&token) {
        // Said as such: "claims are not the expected JSON" would contain "exp" too.
        Err(AuthError::Malformed(reason)) => assert_eq!(reason, "missing exp"),
        other => panic!("expected Malformed(exp), got {other:?}"),
    }
}

#[test]
fn bad_sub_is_refused() {
    for sub in ["", "a b", "x/../y", "<script>", &"a".repeat(65)] {
        let token = hs(&claims("portal", sub), SECRET);
        assert!(
            matches!(
                verifier().verify_bearer(&token),
                Err(AuthError::Malformed(_))
            ),
            "{sub:?} must be refused"
        );
    }
    let token = hs(&json!({"iss": "portal", "exp": now() + 60}), SECRET);
    assert!(
        matches!(
            verifier().verify_bearer(&token),
            Err(AuthError::Malformed(_))
        ),
        "missing sub"
    );
}

fn b64(value: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(value.to_string())
}

#[test]
fn alg_none_is_refused() {
    for alg in ["none", "None", "NONE"] {
        let token = format!(
            "{}.{}.",
            b64(&json!({"alg": alg, "typ": "JWT"})),
            b64(&claims("portal", "u1"))
        );
        assert!(
            matches!(
                verifier().verify_bearer(&token),
                Err(AuthError::Malformed(_))
            ),
            "alg {alg}"
        );
    }
}

#[test]
fn garbage_and_oversized_tokens_are_malformed() {
    for token in ["", "abc", "a.b.c", "...."] {
        assert!(
            matches!(
                verifier().verify_bearer(token),
                Err(AuthError::Malformed(_))
            ),
            "{token:?}"
        );
    }
    let mut c = claims("portal", "u1");
    c["given_name"] = json!("x".repeat(9000));
    assert!(matches!(
        verifier().verify_bearer(&hs(&c, SECRET)),
        Err(AuthError::Malformed(_))
    ));
}

#[test]
fn rs256_from_jwks() {
    let token = sign(
        Algorithm::RS256,
        Some("rsa-1"),
        &rsa_key("rsa-1.pem"),
        &claims("liferay", "20123"),
    );
    let user = verifier().verify_bearer(&token).expect("valid RS256");
    assert_eq!(
        (user.consumer.as_str(), user.user_id.as_str()),
        ("liferay", "20123")
    );
    // Without a kid the consumer's keys of that algorithm are tried.
    let token = sign(
        Algorithm::RS256,
        None,
        &rsa_key("rsa-1.pem"),
        &claims("liferay", "20123"),
    );
    assert!(verifier().verify_bearer(&token).is_ok());
}

/// A consumer with an `audience` takes only tokens that name it: its authorization
/// server signs tokens for other applications with the same keys.
#[test]
fn a_configured_audience_must_be_named_in_aud() {
    let mut config = config();
    config.consumers[2].audience = Some("widget-host".into());
    let strict = Verifier::from_config(&config).expect("keys load");
    let rs = |claims: &Value| {
        sign(
            Algorithm::RS256,
            Some("rsa-1"),
            &rsa_key("rsa-1.pem"),
            claims,
        )
    };
    let with = |aud: Value| {
        let mut c = claims("liferay", "20123");
        c["aud"] = aud;
        c
    };
    assert!(
        strict
            .verify_bearer(&rs(&with(json!("widget-host"))))
            .is_ok()
    );
    assert!(
        strict
            .verify_bearer(&rs(&with(json!(["reports", "widget-host"]))))
            .is_ok(),
        "one of several audiences"
    );
    // The refusal says what the token named and what the consumer expects.
    let said = |aud: Value| {
        strict
            .verify_bearer(&rs(&with(aud)))
            .expect_err("refused")
            .to_string()
    };
    assert_eq!(
        said(json!("reports")),
        "the token is not meant for this host (aud: reports; the consumer's audience: widget-host)"
    );
    assert_eq!(
        said(json!(["reports", "billing"])),
        "the token is not meant for this host (aud: reports, billing; the consumer's audience: widget-host)"
    );
    assert!(matches!(
        strict.verify_bearer(&rs(&claims("liferay", "20123"))),
        Err(AuthError::Malformed(m)) if m.contains("aud")
    ));
    // A consumer without one still takes tokens whatever their aud says.
    assert!(
        verifier()
            .verify_bearer(&rs(&with(json!("reports"))))
            .is_ok()
    );

    // The `token` command's minting names the audience, so its tokens pass.
    config.consumers[0].audience = Some("widget-host".into());
    let strict = Verifier::from_config(&config).expect("keys load");
    let minted = widget_host::portal::auth::mint_for_audience(
        "portal",
        SECRET,
        Some("widget-host"),
        "20123",
        &[],
        &Profile::default(),
        Duration::from_secs(60),
    )
    .expect("mint");
    assert!(strict.verify_bearer(&minted).is_ok());
    let plain = mint(
        "portal",
        SECRET,
        "20123",
        &[],
        &Profile::default(),
        Duration::from_secs(60),
    )
    .expect("mint");
    assert!(matches!(
        strict.verify_bearer(&plain),
        Err(AuthError::Malformed(m)) if m.contains("aud")
    ));
}

#[test]
fn rs256_with_a_key_not_in_the_jwks_is_refused() {
    let token = sign(
        Algorithm::RS256,
        Some("rsa-1"),
        &rsa_key("rsa-2.pem"),
        &claims("liferay", "u1"),
    );
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::InvalidSignature)
    );
    let token = sign(
        Algorithm::RS256,
        Some("rsa-9"),
        &rsa_key("rsa-1.pem"),
        &claims("liferay", "u1"),
    );
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::InvalidSignature),
        "unknown kid"
    );
}

#[test]
fn es256_from_jwks() {
    let token = sign(
        Algorithm::ES256,
        Some("ec-1"),
        &ec_key(),
        &claims("liferay", "u-7"),
    );
    assert_eq!(
        verifier()
            .verify_bearer(&token)
            .expect("valid ES256")
            .user_id,
        "u-7"
    );
    // The EC key must not answer for the RSA key's kid.
    let token = sign(
        Algorithm::ES256,
        Some("rsa-1"),
        &ec_key(),
        &claims("liferay", "u-7"),
    );
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::InvalidSignature)
    );
    let mut c = claims("liferay", "u-7");
    c["exp"] = json!(now() - 3600);
    let token = sign(Algorithm::ES256, Some("ec-1"), &ec_key(), &c);
    assert_eq!(verifier().verify_bearer(&token), Err(AuthError::Expired));
}

#[test]
fn algorithm_confusion_is_refused() {
    // HS256 signed with the RSA public key's bytes: the classic confusion attack.
    let jwks = std::fs::read(fixture("jwks.json")).expect("jwks");
    let token = sign(
        Algorithm::HS256,
        Some("rsa-1"),
        &EncodingKey::from_secret(&jwks),
        &claims("liferay", "u1"),
    );
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::AlgorithmNotAllowed)
    );
    // And an RS256 token for an HS256-only consumer.
    let token = sign(
        Algorithm::RS256,
        None,
        &rsa_key("rsa-1.pem"),
        &claims("portal", "u1"),
    );
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::AlgorithmNotAllowed)
    );
    // RS384 with the right key is still not the RS256 the key is bound to.
    let token = sign(
        Algorithm::RS384,
        Some("rsa-1"),
        &rsa_key("rsa-1.pem"),
        &claims("liferay", "u1"),
    );
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::AlgorithmNotAllowed)
    );
}

#[test]
fn one_consumer_cannot_speak_for_another() {
    // A valid "other" token re-labelled as "portal" is refused by portal's secret.
    let token = hs(&claims("portal", "u1"), OTHER_SECRET);
    assert_eq!(
        verifier().verify_bearer(&token),
        Err(AuthError::InvalidSignature)
    );
    let token = hs(&claims("other", "u1"), OTHER_SECRET);
    assert_eq!(
        verifier().verify_bearer(&token).expect("valid").consumer,
        "other"
    );
}

#[test]
fn bad_jwks_file_names_the_consumer() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("jwks.json");
    for (text, why) in [
        ("not json", "not a JWKS"),
        (r#"{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}"#, "no RS256"),
    ] {
        std::fs::write(&path, text).expect("write");
        let mut c = config();
        c.consumers[2].jwks_file = Some(path.clone());
        match Verifier::from_config(&c) {
            Err(AuthError::Config { consumer, message }) => {
                assert_eq!(consumer, "liferay");
                assert!(message.contains(why), "{message}");
            }
            other => panic!("expected a config error, got {other:?}"),
        }
    }
    let mut c = config();
    c.consumers[2].jwks_file = Some(dir.path().join("missing.json"));
    assert!(matches!(
        Verifier::from_config(&c),
        Err(AuthError::Config { .. })
    ));
}

/// A configuration whose "liferay" consumer reads its keys from a copy of
/// `jwks.json` (key rsa-1) in the returned folder, and its verifier.
fn rotating_consumer() -> (tempfile::TempDir, widget_host::config::Config, Verifier) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("jwks.json");
    std::fs::copy(fixture("jwks.json"), &path).expect("copy");
    let mut c = config();
    c.consumers[2].jwks_file = Some(path);
    let verifier = Verifier::from_config(&c).expect("keys load");
    (dir, c, verifier)
}

/// Tokens of "liferay" signed with rsa-1 (for u1) and with rsa-2 (for u2).
fn signed_by_both_keys() -> (String, String) {
    let by = |kid: &str, user: &str| {
        sign(
            Algorithm::RS256,
            Some(kid),
            &rsa_key(&format!("{kid}.pem")),
            &claims("liferay", user),
        )
    };
    (by("rsa-1", "u1"), by("rsa-2", "u2"))
}

/// A portal rotates its RSA key: the JWKS file it publishes gains the new key and
/// loses the old one. Read again, the new key signs in and the old one no longer
/// does, even for a token that passed before the change (remembered tokens are
/// forgotten). A file that changes into something unusable keeps the keys there
/// were, and is answered once per change.
#[test]
fn a_changed_jwks_file_is_read_again_and_a_broken_one_keeps_the_keys() {
    let (dir, _, verifier) = rotating_consumer();
    let path = dir.path().join("jwks.json");
    assert!(verifier.reads_jwks());
    let (old, new) = signed_by_both_keys();
    assert!(verifier.verify_bearer(&old).is_ok());
    assert_eq!(
        verifier.verify_bearer(&new),
        Err(AuthError::InvalidSignature)
    );
    assert_eq!(verifier.reload_jwks(), Vec::new(), "nothing changed");

    // A new version is written beside it and renamed into place, as deployments do.
    let staged = dir.path().join("jwks.json.new");
    std::fs::copy(fixture("jwks-rotated.json"), &staged).expect("copy");
    std::fs::rename(&staged, &path).expect("rename");
    assert_eq!(
        verifier.reload_jwks(),
        vec![JwksReload::Replaced {
            consumer: "liferay".into(),
            keys: 2,
            skipped: Vec::new(),
        }]
    );
    assert_eq!(
        verifier.verify_bearer(&new).expect("the new key").user_id,
        "u2"
    );
    assert_eq!(
        verifier.verify_bearer(&old),
        Err(AuthError::InvalidSignature),
        "the old key is gone, and its token was forgotten"
    );
    // HS256 consumers are untouched.
    assert!(
        verifier
            .verify_bearer(&hs(&claims("portal", "u3"), SECRET))
            .is_ok()
    );

    // Half written, then gone: each change is answered once, and the keys stay.
    for broken in [Some("{\"keys\": ["), None] {
        match broken {
            Some(text) => std::fs::write(&path, text).expect("write"),
            None => std::fs::remove_file(&path).expect("remove"),
        }
        match verifier.reload_jwks().as_slice() {
            [JwksReload::Kept { consumer, error }] => {
                assert_eq!(consumer, "liferay");
                assert!(
                    error.contains(&format!("jwks_file {}: ", path.display())),
                    "{error}"
                );
            }
            other => panic!("{broken:?}: {other:?}"),
        }
        assert_eq!(verifier.reload_jwks(), Vec::new(), "{broken:?}: once");
        assert!(
            verifier.verify_bearer(&new).is_ok(),
            "{broken:?}: keys kept"
        );
        match verifier.jwks_problems().as_slice() {
            [(consumer, problem)] => {
                assert_eq!(consumer, "liferay");
                assert!(problem.contains("jwks.json"), "{problem}");
                assert!(problem.contains("the keys read before stay"), "{problem}");
            }
            other => panic!("{broken:?}: {other:?}"),
        }
    }

    // Put back as it was: usable again (said once), with the keys already in use, so
    // the tokens checked with them are still remembered.
    std::fs::copy(fixture("jwks-rotated.json"), &path).expect("copy");
    assert_eq!(
        verifier.reload_jwks(),
        vec![JwksReload::UsableAgain {
            consumer: "liferay".into()
        }],
        "the same keys"
    );
    assert_eq!(verifier.reload_jwks(), Vec::new(), "said once");
    assert_eq!(verifier.jwks_problems(), Vec::new());
    assert!(verifier.remembered(&new).is_some(), "no token forgotten");
}

/// A JWKS file written again with the same text (a fetcher that renames a fresh copy
/// in every few minutes) leaves the keys and the tokens checked with them alone; a
/// changed text replaces them and forgets those tokens.
#[test]
fn a_jwks_file_written_again_the_same_forgets_no_token() {
    let (dir, _, verifier) = rotating_consumer();
    let path = dir.path().join("jwks.json");
    let (old, _) = signed_by_both_keys();
    assert!(verifier.verify_bearer(&old).is_ok());
    assert!(verifier.remembered(&old).is_some());
    let text = std::fs::read(&path).expect("read");
    let staged = dir.path().join("jwks.json.new");
    std::fs::write(&staged, &text).expect("write");
    std::fs::rename(&staged, &path).expect("rename");
    assert_eq!(verifier.reload_jwks(), Vec::new());
    assert!(verifier.remembered(&old).is_some(), "still remembered");
    // rsa-1 and ec-1.
    assert_eq!(verifier.jwks_key_counts(), vec![("liferay".to_owned(), 2)]);
    // The same keys in other words (spaces added) are read again: the text changed.
    let mut spaced = text.clone();
    spaced.push(b'\n');
    std::fs::write(&path, &spaced).expect("write");
    assert!(matches!(
        verifier.reload_jwks().as_slice(),
        [JwksReload::Replaced { keys: 2, .. }]
    ));
    assert!(verifier.remembered(&old).is_none(), "forgotten");
    assert!(verifier.verify_bearer(&old).is_ok());
}

/// A portal whose key leaked publishes a set without it. A set with one key that
/// cannot be decoded still drops the leaked key and keeps the good ones, and a
/// well-formed empty set revokes them all; the consumer's HS256 secret, if any, is
/// not in the file and stays.
#[test]
fn a_jwks_file_can_revoke_keys_even_with_a_bad_key_or_none_left() {
    let (dir, mut c, _) = rotating_consumer();
    // The consumer whose file changes has an HS256 secret as well.
    let liferay_secret = "liferay-hs256-secret-of-32-bytes!";
    c.consumers[2].hs256_secret = Some(liferay_secret.into());
    let verifier = Verifier::from_config(&c).expect("keys load");
    let path = dir.path().join("jwks.json");
    let (leaked, new) = signed_by_both_keys();
    assert!(verifier.verify_bearer(&leaked).is_ok());

    let mut rotated: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("jwks-rotated.json")).expect("read"))
            .expect("json");
    let keys = rotated["keys"].as_array_mut().expect("keys");
    keys.push(serde_json::json!({"kty": "RSA", "kid": "typo", "n": "not base64!", "e": "AQAB"}));
    // One missing its modulus does not parse at all; an encryption key is not ours.
    keys.push(serde_json::json!({"kty": "RSA", "kid": "cut", "e": "AQAB"}));
    keys.push(serde_json::json!({"kty": "RSA", "kid": "enc", "use": "enc", "e": "AQAB"}));
    std::fs::write(&path, rotated.to_string()).expect("write");
    match verifier.reload_jwks().as_slice() {
        [
            JwksReload::Replaced {
                consumer,
                keys: 2,
                skipped,
            },
        ] => {
            assert_eq!(consumer, "liferay");
            assert_eq!(skipped.len(), 2, "{skipped:?}");
            assert!(skipped[0].contains("key typo"), "{skipped:?}");
            assert!(skipped[1].contains("key cut"), "{skipped:?}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        verifier.verify_bearer(&leaked),
        Err(AuthError::InvalidSignature)
    );
    assert!(verifier.verify_bearer(&new).is_ok());
    match verifier.jwks_problems().as_slice() {
        [(_, problem)] => assert!(
            problem.starts_with("keys left out: ") && problem.contains("key typo"),
            "{problem}"
        ),
        other => panic!("{other:?}"),
    }

    std::fs::write(&path, r#"{"keys": []}"#).expect("write");
    assert_eq!(
        verifier.reload_jwks(),
        vec![JwksReload::Replaced {
            consumer: "liferay".into(),
            keys: 0,
            skipped: Vec::new(),
        }]
    );
    assert!(verifier.verify_bearer(&new).is_err(), "every key revoked");
    assert!(
        verifier
            .verify_bearer(&hs(&claims("liferay", "u3"), liferay_secret))
            .is_ok(),
        "its HS256 secret, which is not in the file, stays"
    );
    match verifier.jwks_problems().as_slice() {
        [(consumer, problem)] => {
            assert_eq!(consumer, "liferay");
            assert!(problem.contains("no usable"), "{problem}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(verifier.jwks_key_counts(), vec![("liferay".to_owned(), 0)]);
    assert!(
        verifier
            .verify_bearer(&hs(&claims("portal", "u3"), SECRET))
            .is_ok(),
        "other consumers are untouched"
    );

    // At start, the same files stop the host: someone is there to fix them.
    for text in [rotated.to_string(), r#"{"keys": []}"#.to_owned()] {
        std::fs::write(&path, text).expect("write");
        assert!(matches!(
            Verifier::from_config(&c),
            Err(AuthError::Config { .. })
        ));
    }
}

#[test]
fn minted_tokens_verify() {
    let profile = Profile {
        given_name: Some("Ana".into()),
        locale: Some("pt_BR".into()),
        ..Profile::default()
    };
    let roles = vec!["Administrator".to_owned()];
    let token = mint(
        "portal",
        SECRET,
        "ana",
        &roles,
        &profile,
        Duration::from_secs(60),
    )
    .expect("mint");
    let user = verifier().verify_bearer(&token).expect("verify");
    assert_eq!(user.user_id, "ana");
    assert_eq!(user.roles, roles);
    assert_eq!(user.profile, profile);
    // A blank secret would let anyone sign as the portal; a short one is the portal's
    // choice, warned of at start.
    let with_secret = |secret: &str| {
        mint(
            "portal",
            secret,
            "ana",
            &[],
            &profile,
            Duration::from_secs(60),
        )
    };
    for blank in ["", "  "] {
        assert!(with_secret(blank).is_err(), "{blank:?}");
    }
    assert!(with_secret("short").is_ok());
    assert!(
        mint(
            "portal",
            SECRET,
            "a b",
            &[],
            &profile,
            Duration::from_secs(60)
        )
        .is_err()
    );
}

// ---- p_auth ----

fn binding<'a>() -> PAuthBinding<'a> {
    PAuthBinding {
        consumer: "portal",
        user_id: "alice",
        portlet_id: "contacts_center_INSTANCE_abc",
        target: PAuthTarget::Action("connect"),
    }
}

#[test]
fn p_auth_round_trip_is_compact_and_url_safe() {
    let p = PAuth::new([7; 32]);
    let token = p.issue(&binding(), DEFAULT_P_AUTH_TTL);
    assert_eq!(token.len(), 32);
    assert!(
        token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(p.verify(&token, &binding()), Ok(()));
}

/// The token format as the module documents it, computed here from the HMAC crate
/// with the 32-byte key as it is: tokens minted before and after a change to how the
/// host keys its MAC (pages left open across an upgrade) must stay the same bytes.
#[test]
fn p_auth_is_the_documented_hmac_of_the_length_prefixed_binding() {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use hmac::{Hmac, Mac};
    use sha2::Sha256;

    let key = [7u8; 32];
    let at = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_000);
    let ttl = Duration::from_secs(600);
    let expires: u64 = 1_800_000_600;
    for (target, written) in [
        (PAuthTarget::Action("connect"), "action:connect".to_owned()),
        (
            PAuthTarget::Resource {
                name: "vcard",
                query: "_ns_userId=bob",
            },
            "resource:vcard?_ns_userId=bob".to_owned(),
        ),
    ] {
        let bound = PAuthBinding {
            target,
            ..binding()
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        for field in [
            &b"widget-host p_auth v1"[..],
            b"portal",
            b"alice",
            b"contacts_center_INSTANCE_abc",
            written.as_bytes(),
        ] {
            mac.update(&(field.len() as u64).to_be_bytes());
            mac.update(field);
        }
        mac.update(&expires.to_be_bytes());
        let tag = mac.finalize().into_bytes();
        let mut raw = expires.to_be_bytes().to_vec();
        raw.extend_from_slice(&tag[..16]);
        assert_eq!(
            PAuth::new(key).issue_at(&bound, at, ttl),
            URL_SAFE_NO_PAD.encode(raw),
            "{written}"
        );
    }
}

#[test]
fn p_auth_is_bound_to_every_field() {
    let p = PAuth::new([7; 32]);
    let token = p.issue(&binding(), DEFAULT_P_AUTH_TTL);
    let others = [
        PAuthBinding {
            consumer: "other",
            ..binding()
        },
        PAuthBinding {
            user_id: "bob",
            ..binding()
        },
        PAuthBinding {
            portlet_id: "contacts_center_INSTANCE_xyz",
            ..binding()
        },
        PAuthBinding {
            portlet_id: "contacts_center",
            ..binding()
        },
        PAuthBinding {
            target: PAuthTarget::Action("block"),
            ..binding()
        },
        PAuthBinding {
            target: PAuthTarget::Resource {
                name: "connect",
                query: "",
            },
            ..binding()
        },
    ];
    // A resource's token holds for its own parameters only, in whatever order.
    let card = |query: &'static str| PAuthBinding {
        target: PAuthTarget::Resource {
            name: "vcard",
            query,
        },
        ..binding()
    };
    let bob = widget_host::portal::auth::resource_query([("userId", "bob")].into_iter());
    assert_eq!(bob, "userId=bob");
    let card_token = p.issue(&card("userId=bob"), Duration::from_secs(60));
    assert_eq!(p.verify(&card_token, &card("userId=bob")), Ok(()));
    for other in [
        "userId=carol",
        "filter=connections",
        "",
        "filter=connections&userId=bob",
    ] {
        assert_eq!(
            p.verify(&card_token, &card(other)),
            Err(AuthError::InvalidSignature),
            "{other}"
        );
    }
    assert_eq!(
        widget_host::portal::auth::resource_query(
            [("version", "4.0"), ("userId", "a b&c")].into_iter()
        ),
        "userId=a+b%26c&version=4.0",
        "sorted and encoded, whatever the link's order"
    );
    for other in others {
        assert_eq!(
            p.verify(&token, &other),
            Err(AuthError::InvalidSignature),
            "{other:?}"
        );
    }
    // Another host key never verifies.
    assert_eq!(
        PAuth::new([8; 32]).verify(&token, &binding()),
        Err(AuthError::InvalidSignature)
    );
}

#[test]
fn p_auth_fields_cannot_be_shifted() {
    let p = PAuth::new([1; 32]);
    let a = PAuthBinding {
        consumer: "ab",
        user_id: "c",
        ..binding()
    };
    let b = PAuthBinding {
        consumer: "a",
        user_id: "bc",
        ..binding()
    };
    let token = p.issue(&a, DEFAULT_P_AUTH_TTL);
    assert_eq!(p.verify(&token, &b), Err(AuthError::InvalidSignature));
}

#[test]
fn p_auth_expires() {
    let p = PAuth::new([7; 32]);
    let issued = SystemTime::now() - Duration::from_secs(3600);
    let token = p.issue_at(&binding(), issued, Duration::from_secs(60));
    assert_eq!(p.verify(&token, &binding()), Err(AuthError::Expired));
    let later = issued + Duration::from_secs(59);
    assert_eq!(p.verify_at(&token, &binding(), later), Ok(()));
    assert_eq!(
        p.verify_at(&token, &binding(), issued + Duration::from_secs(60)),
        Err(AuthError::Expired)
    );
}

/// No token has more of its life ahead than its target's whole lifetime: one issued
/// while the clock ran ahead, or checked while it reads 1970, is refused whatever its
/// MAC says, each target by its own lifetime; a clock slewed back a minute is not.
#[test]
fn p_auth_from_a_clock_out_of_step_is_refused() {
    use widget_host::portal::auth::{ADMIN_P_AUTH_TTL, LIST_LINK_P_AUTH_TTL, outcome};
    let p = PAuth::new([7; 32]);
    let now = SystemTime::now();
    let hours = |n: u64| Duration::from_secs(n * 3600);
    let a_year_ahead = p.issue_at(&binding(), now + hours(365 * 24), DEFAULT_P_AUTH_TTL);
    assert_eq!(
        p.verify_at(&a_year_ahead, &binding(), now),
        Err(AuthError::Expired)
    );
    let fresh = p.issue_at(&binding(), now, DEFAULT_P_AUTH_TTL);
    assert_eq!(
        p.verify_at(&fresh, &binding(), SystemTime::UNIX_EPOCH),
        Err(AuthError::Expired)
    );
    let slewed = |secs: u64| p.verify_at(&fresh, &binding(), now - Duration::from_secs(secs));
    assert_eq!(slewed(60), Ok(()));
    assert_eq!(slewed(62), Err(AuthError::Expired));

    let export = PAuthBinding {
        target: PAuthTarget::Resource {
            name: "vcard",
            query: "filter=connections",
        },
        ..binding()
    };
    let card = PAuthBinding {
        target: PAuthTarget::Resource {
            name: "vcard",
            query: "userId=bob",
        },
        ..binding()
    };
    assert_eq!(export.target.lifetime(), LIST_LINK_P_AUTH_TTL);
    assert_eq!(card.target.lifetime(), DEFAULT_P_AUTH_TTL);
    let two_hours_ahead = now + hours(2);
    let early_export = p.issue_at(&export, two_hours_ahead, LIST_LINK_P_AUTH_TTL);
    assert_eq!(
        p.verify_at(&early_export, &export, now),
        Err(AuthError::Expired)
    );
    let early_card = p.issue_at(&card, two_hours_ahead, LIST_LINK_P_AUTH_TTL);
    assert_eq!(p.verify_at(&early_card, &card, now), Ok(()));

    let preferences = PAuthBinding {
        target: PAuthTarget::Action("save-preferences"),
        ..binding()
    };
    assert_eq!(preferences.target.lifetime(), ADMIN_P_AUTH_TTL);
    let early_form = p.issue_at(&preferences, two_hours_ahead, ADMIN_P_AUTH_TTL);
    assert_eq!(
        p.verify_at(&early_form, &preferences, now),
        Err(AuthError::Expired)
    );
    let seal = PAuthBinding {
        target: PAuthTarget::Outcome {
            query: "message=ok",
        },
        ..binding()
    };
    assert_eq!(seal.target.lifetime(), outcome::OUTCOME_TTL);
    let early_seal = p.issue_at(&seal, now + hours(1), outcome::OUTCOME_TTL);
    assert_eq!(
        p.verify_at(&early_seal, &seal, now),
        Err(AuthError::Expired)
    );
}

#[test]
fn p_auth_tampering_is_refused() {
    let p = PAuth::new([7; 32]);
    let token = p.issue(&binding(), DEFAULT_P_AUTH_TTL);
    // Flip each character in turn: the expiry and the tag are both covered.
    for i in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(bytes).expect("ascii");
        assert!(p.verify(&forged, &binding()).is_err(), "position {i}");
    }
    for bad in [
        "",
        "short",
        &format!("{token}A"),
        &"=".repeat(32),
        "ü".repeat(16).as_str(),
    ] {
        assert!(
            matches!(p.verify(bad, &binding()), Err(AuthError::Malformed(_))),
            "{bad:?}"
        );
    }
}

/// Only a token whose check would verify a public-key signature is worth a hop off
/// the async workers: one signed for a JWKS consumer, with a key of its algorithm
/// (and `kid`). Tokens that are refused before any signature, and HS256 ones, are not.
#[test]
fn only_a_public_key_signature_check_is_costly() {
    let v = verifier();
    let rs = |claims: &Value, kid: Option<&str>| {
        sign(Algorithm::RS256, kid, &rsa_key("rsa-1.pem"), claims)
    };
    assert!(v.costly(&rs(&claims("liferay", "u1"), Some("rsa-1"))));
    assert!(
        v.costly(&rs(&claims("liferay", "u1"), None)),
        "every key may answer"
    );
    assert!(v.costly(&sign(
        Algorithm::ES256,
        None,
        &ec_key(),
        &claims("liferay", "u1")
    )));
    for cheap in [
        rs(&claims("nobody", "u1"), Some("rsa-1")),
        rs(&claims("portal", "u1"), Some("rsa-1")),
        rs(&claims("liferay", "u1"), Some("no-such-kid")),
        hs(&claims("portal", "u1"), SECRET),
        hs(&claims("liferay", "u1"), SECRET),
        "garbage".to_owned(),
    ] {
        assert!(!v.costly(&cheap), "{:.80}", cheap);
    }
    // Well formed but past the size any check takes: refused before a signature.
    let mut long = claims("liferay", "u1");
    long["given_name"] = json!("x".repeat(9000));
    assert!(!v.costly(&rs(&long, Some("rsa-1"))));
    // Trimmed, as the check trims it.
    let token = rs(&claims("liferay", "u1"), Some("rsa-1"));
    assert!(v.costly(&format!(" {token} ")));
}
