//! The integration API: tokens, roles, and directory upkeep.

mod common;

use common::{start, token, with_consumer};
use reqwest::StatusCode;

/// The bell's list is the newest 50 requests, and its count all of them (the README's
/// figure, through the API, whatever the store's own reads allow).
#[tokio::test]
async fn notifications_list_the_newest_fifty_and_count_them_all() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let url = server.url("/api/users/alice/notifications");
    let own = || client.get(&url).bearer_auth(token("alice", &[])).send();
    // Her first render puts her in the directory.
    let render = client
        .get(server.url("/widgets/contacts_center/render"))
        .bearer_auth(token("alice", &[]))
        .send()
        .await
        .expect("send");
    assert_eq!(render.status(), StatusCode::OK);
    for i in 0..60 {
        let asked = client
            .post(server.url("/widgets/contacts_center/actions/connect"))
            .bearer_auth(token(&format!("p{i:02}"), &[]))
            .header("accept", "application/json")
            .form(&[("_contacts_center_userId", "alice")])
            .send()
            .await
            .expect("send");
        assert_eq!(asked.status(), StatusCode::OK, "p{i:02}");
        assert_eq!(
            asked.headers()["cache-control"],
            "private, no-store",
            "an action's answer tells how two people stand"
        );
    }
    let answer = own().await.expect("send");
    assert_eq!(answer.headers()["cache-control"], "private, no-store");
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(body["count"], 60);
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 50);
    assert_eq!(items[0]["fromUserId"], "p59", "the newest first");
    assert_eq!(items[49]["fromUserId"], "p10", "the oldest ten left out");
}

#[tokio::test]
async fn notifications_need_the_persons_own_token_or_an_administrator() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let url = server.url("/api/users/alice/notifications");
    assert_eq!(
        client.get(&url).send().await.expect("send").status(),
        StatusCode::UNAUTHORIZED
    );
    let forged = format!("{}x", token("alice", &[]));
    assert_eq!(
        client
            .get(&url)
            .bearer_auth(forged)
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let own = client
        .get(&url)
        .bearer_auth(token("alice", &[]))
        .send()
        .await
        .expect("send");
    assert_eq!(own.status(), StatusCode::OK);
    let body: serde_json::Value = own.json().await.expect("json");
    // Before her first render the directory does not hold her: nothing is pending.
    assert_eq!(body, serde_json::json!({"count": 0, "items": []}));
    // Now she is known, and two people ask her to connect: what an administrator
    // reads below is hers, not the administrator's own empty bell.
    let render = client
        .get(server.url("/widgets/contacts_center/render"))
        .bearer_auth(token("alice", &[]))
        .send()
        .await
        .expect("send");
    assert_eq!(render.status(), StatusCode::OK);
    for asker in ["carol", "dave"] {
        let asked = client
            .post(server.url("/widgets/contacts_center/actions/connect"))
            .bearer_auth(token(asker, &[]))
            .header("accept", "application/json")
            .form(&[("_contacts_center_userId", "alice")])
            .send()
            .await
            .expect("send");
        assert_eq!(asked.status(), StatusCode::OK, "{asker}");
    }
    let from = |body: &serde_json::Value| -> Vec<String> {
        body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|item| item["fromUserId"].as_str().expect("from").to_owned())
            .collect()
    };
    // The scheme is read in any case (RFC 9110); another scheme is no sign-in.
    for (scheme, status) in [
        ("bearer", StatusCode::OK),
        ("BEARER", StatusCode::OK),
        ("Basic", StatusCode::UNAUTHORIZED),
    ] {
        let answer = client
            .get(&url)
            .header("authorization", format!("{scheme} {}", token("alice", &[])))
            .send()
            .await
            .expect("send");
        assert_eq!(answer.status(), status, "{scheme}");
    }
    // Behind a reverse proxy or an SSO gateway its own `Basic` header may come first:
    // the portal's Bearer is found among all of them, as on the widget routes.
    let behind_gateway = client
        .get(&url)
        .header("authorization", "Basic dXNlcjpwdw==")
        .header(
            "authorization",
            format!("Bearer {}", token("root", &["Administrator"])),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(behind_gateway.status(), StatusCode::OK);
    let body: serde_json::Value = behind_gateway.json().await.expect("json");
    assert_eq!(body["count"], 2);
    assert_eq!(from(&body), ["dave", "carol"]);
    // Two Bearer tokens are no caller's, the administrator's among them.
    let two = client
        .get(&url)
        .header("authorization", format!("Bearer {}", token("bob", &[])))
        .header(
            "authorization",
            format!("Bearer {}", token("root", &["Administrator"])),
        )
        .send()
        .await
        .expect("send");
    assert_eq!(two.status(), StatusCode::UNAUTHORIZED);
    let other = client
        .get(&url)
        .bearer_auth(token("bob", &[]))
        .send()
        .await
        .expect("send");
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let problem: serde_json::Value = other.json().await.expect("json");
    assert_eq!(problem["ok"], false);
    assert_eq!(
        problem["message"],
        "you-do-not-have-the-required-permissions"
    );
    // The text is the bundle's, in English: the API speaks to integrations.
    assert_eq!(problem["text"], "You do not have the required permissions.");
    let admin = client
        .get(&url)
        .bearer_auth(token("root", &["Administrator"]))
        .send()
        .await
        .expect("send");
    assert_eq!(admin.status(), StatusCode::OK);
    let body: serde_json::Value = admin.json().await.expect("json");
    assert_eq!(body["count"], 2);
    assert_eq!(from(&body), ["dave", "carol"]);
    // An id the directory does not hold is no empty bell to an administrator.
    let ghost = client
        .get(server.url("/api/users/ghost/notifications"))
        .bearer_auth(token("root", &["Administrator"]))
        .send()
        .await
        .expect("send");
    assert_eq!(ghost.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

/// A site's administrators and owners manage their widgets' placements, not the
/// portal's directory: the API's administrator is the portal's `Administrator` alone,
/// and each refusal leaves the directory and the backups as they were.
#[tokio::test]
async fn site_administrators_are_not_the_portals_administrator() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let admin = token("root", &["Administrator"]);
    for (id, given) in [("jdoe", "Jane"), ("alice", "Alice")] {
        let put = client
            .put(server.url(&format!("/api/users/{id}")))
            .bearer_auth(&admin)
            .json(&serde_json::json!({"givenName": given, "familyName": "Doe"}))
            .send()
            .await
            .expect("put");
        assert_eq!(put.status(), StatusCode::CREATED, "{id}");
    }
    let asked = client
        .post(server.url("/widgets/contacts_center/actions/connect"))
        .bearer_auth(token("carol", &[]))
        .header("accept", "application/json")
        .form(&[("_contacts_center_userId", "alice")])
        .send()
        .await
        .expect("send");
    assert_eq!(asked.status(), StatusCode::OK);
    let backups = server.dir.path().join("data").join("backups");
    let backups_taken = || std::fs::read_dir(&backups).map_or(0, |d| d.count());
    let before = looked_up(&server, "jdoe").await;
    assert_eq!(
        before,
        Some(("Jane".to_owned(), "Doe".to_owned(), String::new()))
    );
    for role in ["Site Administrator", "Site Owner"] {
        let site = token("bob", &[role]);
        let put = client
            .put(server.url("/api/users/jdoe"))
            .bearer_auth(&site)
            .json(&serde_json::json!({"givenName": "Renamed", "familyName": "Doe"}))
            .send()
            .await
            .expect("put");
        assert_eq!(put.status(), StatusCode::FORBIDDEN, "{role} PUT");
        let delete = client
            .delete(server.url("/api/users/jdoe"))
            .bearer_auth(&site)
            .send()
            .await
            .expect("delete");
        assert_eq!(delete.status(), StatusCode::FORBIDDEN, "{role} DELETE");
        assert_eq!(looked_up(&server, "jdoe").await, before, "{role}");
        let backup = client
            .post(server.url("/api/backup"))
            .bearer_auth(&site)
            .send()
            .await
            .expect("backup");
        assert_eq!(backup.status(), StatusCode::FORBIDDEN, "{role} backup");
        assert_eq!(backups_taken(), 0, "{role}");
        let bell = client
            .get(server.url("/api/users/alice/notifications"))
            .bearer_auth(&site)
            .send()
            .await
            .expect("bell");
        assert_eq!(bell.status(), StatusCode::FORBIDDEN, "{role} bell");
    }
    server.stop().await;
}

/// How `id` reads in the directory, through the `contact` resource: its name, family
/// name and email, or `None` when the directory does not know them.
async fn looked_up(server: &common::TestServer, id: &str) -> Option<(String, String, String)> {
    let answer = reqwest::Client::new()
        .get(server.url("/widgets/contacts_center/resources/contact"))
        .bearer_auth(token("reader", &[]))
        .query(&[("_contacts_center_userId", id)])
        .send()
        .await
        .expect("send");
    if answer.status() == StatusCode::NOT_FOUND {
        return None;
    }
    assert_eq!(answer.status(), StatusCode::OK);
    let card: serde_json::Value = answer.json().await.expect("json");
    let field = |name: &str| card[name].as_str().unwrap_or_default().to_owned();
    Some((
        field("givenName"),
        field("familyName"),
        field("emailAddress"),
    ))
}

#[tokio::test]
async fn directory_upkeep_is_for_administrators_and_validates_input() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let url = server.url("/api/users/jdoe");
    let account = serde_json::json!({
        "givenName": "Jane", "familyName": "Doe", "alternateName": "jdoe", "emailAddress": "jane@example.com", "jobTitle": "Engineer",
        "userAccountContactInformation": {"telephones": [{"phoneNumber": "+1 555 0100", "phoneType": "business", "primary": true}]}
    });
    let refused = client
        .put(&url)
        .bearer_auth(token("jdoe", &[]))
        .json(&account)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    // Refused, it wrote nothing: the directory does not know jdoe yet.
    assert_eq!(looked_up(&server, "jdoe").await, None);
    let admin = token("root", &["Administrator"]);
    let stored = client
        .put(&url)
        .bearer_auth(&admin)
        .json(&account)
        .send()
        .await
        .expect("send");
    // New to the directory: 201, as RFC 9110 has a PUT that creates answer.
    assert_eq!(stored.status(), StatusCode::CREATED);
    let echoed: serde_json::Value = stored.json().await.expect("json");
    // A body said to be a form, or to come gzipped, is no account to read: 415, and
    // the person is as stored.
    let renamed = serde_json::to_vec(&serde_json::json!({
        "givenName": "Renamed", "familyName": "Doe", "alternateName": "jdoe", "emailAddress": "jane@example.com"
    }))
    .expect("json");
    for (name, value) in [
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-type", "text/plain"),
        ("content-encoding", "gzip"),
    ] {
        let refused = client
            .put(&url)
            .bearer_auth(&admin)
            .header(name, value)
            .body(renamed.clone())
            .send()
            .await
            .expect("send");
        assert_eq!(
            refused.status(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{name}: {value}"
        );
        // Refused for its coding, it says which are taken; for its type, nothing.
        assert_eq!(
            refused
                .headers()
                .get("accept-encoding")
                .map(|v| v.to_str().expect("ascii")),
            (name == "content-encoding").then_some("identity"),
            "{name}: {value}"
        );
        let said: serde_json::Value = refused.json().await.expect("json");
        assert_eq!(said["ok"], false, "{said}");
        assert!(
            said["text"]
                .as_str()
                .is_some_and(|t| t.contains("application/json")),
            "{said}"
        );
    }
    assert_eq!(
        looked_up(&server, "jdoe").await.map(|(given, _, _)| given),
        Some("Jane".to_owned())
    );
    // With its type's parameters, JSON is JSON.
    let typed = client
        .put(&url)
        .bearer_auth(&admin)
        .header("content-type", "Application/JSON; charset=utf-8")
        .body(serde_json::to_vec(&account).expect("json"))
        .send()
        .await
        .expect("send");
    assert_eq!(typed.status(), StatusCode::OK);
    assert_eq!(echoed["externalReferenceCode"], "jdoe");
    // The same account again replaces the person: 200. A byte-order mark before the
    // JSON (PowerShell 5 writes one) is no part of it.
    let mut marked = b"\xEF\xBB\xBF".to_vec();
    marked.extend(serde_json::to_vec(&account).expect("json"));
    let again = client
        .put(&url)
        .bearer_auth(&admin)
        .header("content-type", "application/json")
        .body(marked)
        .send()
        .await
        .expect("send");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        echoed["userAccountContactInformation"]["telephones"][0]["phoneNumber"],
        "+1 555 0100"
    );

    let not_json = client
        .put(&url)
        .bearer_auth(&admin)
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(not_json.status(), StatusCode::BAD_REQUEST);
    let other_id = client
        .put(&url)
        .bearer_auth(&admin)
        .json(&serde_json::json!({"externalReferenceCode": "someone-else", "givenName": "X"}))
        .send()
        .await
        .expect("send");
    let other_ids = client
        .put(&url)
        .bearer_auth(&admin)
        .json(&serde_json::json!({"id": 7, "externalReferenceCode": "someone-else", "givenName": "X"}))
        .send()
        .await
        .expect("send");
    // A screen name the path matches does not outweigh ids that name someone else.
    let reused_screen_name = client
        .put(&url)
        .bearer_auth(&admin)
        .json(&serde_json::json!({"id": 7, "externalReferenceCode": "bob-erc", "alternateName": "jdoe"}))
        .send()
        .await
        .expect("send");
    // Each refused for naming someone else, not for describing nobody.
    for (what, refused) in [
        ("another's code", other_id),
        ("another's id and code", other_ids),
        ("a screen name the path matches", reused_screen_name),
    ] {
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{what}");
        let text = refused.text().await.expect("body");
        assert!(
            text.contains("none of the body's ids is the id in the path"),
            "{what}: {text}"
        );
    }
    // An account as Liferay's headless API returns it, put under its numeric id: the
    // body's other ids do not make it someone else.
    let numeric = client
        .put(server.url("/api/users/20123"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({
            "id": 20123, "externalReferenceCode": "b1e5c0de", "alternateName": "ana",
            "givenName": "Ana", "familyName": "Silva"
        }))
        .send()
        .await
        .expect("send");
    assert_eq!(numeric.status(), StatusCode::CREATED);
    let echoed: serde_json::Value = numeric.json().await.expect("json");
    // A UserAccount: the portal user id as its code; no `id` in a type Liferay's
    // clients read as a number.
    assert_eq!(echoed["externalReferenceCode"], "20123");
    assert_eq!(echoed.get("id"), None, "{echoed}");
    assert_eq!(echoed["givenName"], "Ana");
    let invalid_bodies = [
        (
            serde_json::json!({"emailAddress": "not-an-email"}),
            "not a valid email",
        ),
        (
            serde_json::json!({"givenName": "a\u{7}b"}),
            "control character",
        ),
        (
            serde_json::json!({"familyName": "x".repeat(201)}),
            "longer than",
        ),
        // A PUT replaces every field: what is no account would blank jdoe's names.
        // Liferay's error answer saved in place of the account; a page of accounts;
        // nothing at all.
        (
            serde_json::json!({"status": "NOT_FOUND", "title": "No User exists with the primary key 42"}),
            "error answer of Liferay's API",
        ),
        (
            serde_json::json!({"items": [account.clone()], "lastPage": 1}),
            "describes nobody",
        ),
        (serde_json::json!({}), "describes nobody"),
        (
            serde_json::json!({"externalReferenceCode": "jdoe", "alternateName": "  "}),
            "describes nobody",
        ),
        // Liferay's made-up address alone is no address: nobody is named.
        (
            serde_json::json!({"emailAddress": "4242@no-emailaddress.com"}),
            "describes nobody",
        ),
        // A deactivated account: nobody signs in as it; DELETE removes a person.
        (
            serde_json::json!({"givenName": "Jane", "familyName": "Doe", "status": "Inactive"}),
            "inactive",
        ),
    ];
    for (invalid, why) in invalid_bodies {
        let refused = client
            .put(&url)
            .bearer_auth(&admin)
            .json(&invalid)
            .send()
            .await
            .expect("send");
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST, "{invalid}");
        let text = refused.text().await.expect("text");
        assert!(text.contains(why), "{invalid}: {text}");
    }
    // A refusal quotes a bad value shortened, not the most of a megabyte it was.
    for huge in [
        serde_json::json!({"givenName": "Jane", "emailAddress": "x".repeat(900_000)}),
        serde_json::json!({"givenName": "Jane", "userAccountContactInformation": {
            "emailAddresses": [{"emailAddress": "x".repeat(900_000)}]}}),
    ] {
        let refused = client
            .put(&url)
            .bearer_auth(&admin)
            .json(&huge)
            .send()
            .await
            .expect("send");
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        let text = refused.text().await.expect("text");
        assert!(text.len() < 2_000, "{} bytes: {}", text.len(), &text[..200]);
    }
    // None of the refused bodies changed jdoe, nor made an account of its other ids.
    let stored = ("Jane".into(), "Doe".into(), "jane@example.com".into());
    assert_eq!(looked_up(&server, "jdoe").await, Some(stored.clone()));
    assert_eq!(looked_up(&server, "someone-else").await, None);
    assert_eq!(looked_up(&server, "bob-erc").await, None);
    let bad_id = client
        .put(server.url("/api/users/bad%20id"))
        .bearer_auth(&admin)
        .json(&account)
        .send()
        .await
        .expect("send");
    assert_eq!(bad_id.status(), StatusCode::BAD_REQUEST);
    // A padded id is not jdoe's: it would store jdoe (ids are trimmed as they are
    // read) while forgetting and deleting someone else.
    let mut anonymous = account.clone();
    for field in ["id", "externalReferenceCode", "alternateName"] {
        anonymous.as_object_mut().expect("object").remove(field);
    }
    for request in [
        client
            .put(server.url("/api/users/%20jdoe"))
            .json(&anonymous),
        client.delete(server.url("/api/users/%20jdoe")),
        client.get(server.url("/api/users/jdoe%20/notifications")),
    ] {
        let refused = request.bearer_auth(&admin).send().await.expect("send");
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    }
    assert_eq!(looked_up(&server, "jdoe").await, Some(stored));

    assert_eq!(
        client
            .delete(&url)
            .bearer_auth(token("jdoe", &[]))
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        client
            .delete(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        client
            .delete(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .expect("send")
            .status(),
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let server = start(|_, _| {}).await;
    let doc: serde_json::Value = reqwest::get(server.url("/api/openapi.json"))
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    assert_eq!(doc["openapi"], "3.0.3");
    for path in ["/api/users/{id}/notifications", "/api/users/{id}"] {
        assert!(doc["paths"][path].is_object(), "{path} is documented");
    }
    server.stop().await;

    // What the handlers answer is what the document says: each status is documented
    // for its operation, and an error's body has the Problem schema's fields.
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let admin = token("root", &["Administrator"]);
    let calls = [
        (
            "/api/users/{id}/notifications",
            "get",
            client.get(server.url("/api/users/jdoe/notifications")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/api/users/{id}/notifications",
            "get",
            client
                .get(server.url("/api/users/a%20b/notifications"))
                .bearer_auth(&admin),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/users/{id}",
            "put",
            client
                .put(server.url("/api/users/jdoe"))
                .bearer_auth(token("jdoe", &[]))
                .json(&serde_json::json!({"givenName": "Jane"})),
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/users/{id}",
            "put",
            client
                .put(server.url("/api/users/jdoe"))
                .json(&serde_json::json!({})),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/api/users/{id}",
            "put",
            client
                .put(server.url("/api/users/jdoe"))
                .bearer_auth(&admin)
                .json(&serde_json::json!({"id": 7, "externalReferenceCode": "someone"})),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/api/users/{id}",
            "put",
            client
                .put(server.url("/api/users/jdoe"))
                .bearer_auth(&admin)
                .header("content-type", "text/plain")
                .body("{}"),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        (
            "/api/users/{id}",
            "delete",
            client
                .delete(server.url("/api/users/nobody"))
                .bearer_auth(&admin),
            StatusCode::NOT_FOUND,
        ),
        (
            "/api/users/{id}",
            "delete",
            client
                .delete(server.url("/api/users/nobody"))
                .bearer_auth(token("jdoe", &[])),
            StatusCode::FORBIDDEN,
        ),
        (
            "/api/backup",
            "post",
            client.post(server.url("/api/backup")),
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/api/backup",
            "post",
            client
                .post(server.url("/api/backup"))
                .bearer_auth("not-a-jwt"),
            StatusCode::UNAUTHORIZED,
        ),
    ];
    // A generated client names its methods by operationId, and reads any status the
    // document does not list through its `default`, which the host's refusals before
    // an operation (405, 400, 501, 503 at the connection limit) share.
    let mut operation_ids = std::collections::BTreeSet::new();
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let id = operation["operationId"].as_str().unwrap_or_default();
            assert!(!id.is_empty(), "{method} {path} has an operationId");
            assert!(operation_ids.insert(id.to_owned()), "{id} is used once");
            assert_eq!(
                operation["responses"]["default"]["content"]["application/json"]["schema"]["$ref"],
                "#/components/schemas/Problem",
                "{method} {path} documents a default answer"
            );
        }
    }
    // An integer with no format is 32 bits to many generators: a backup's size or a
    // count past 2^31 would fail to read.
    fn integers_without_format(value: &serde_json::Value, at: &str, found: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                if map.get("type") == Some(&serde_json::json!("integer"))
                    && !map.contains_key("format")
                {
                    found.push(at.to_owned());
                }
                for (key, inner) in map {
                    integers_without_format(inner, &format!("{at}/{key}"), found);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    integers_without_format(inner, &format!("{at}/{i}"), found);
                }
            }
            _ => {}
        }
    }
    let mut unsized_integers = Vec::new();
    integers_without_format(&doc, "", &mut unsized_integers);
    assert_eq!(unsized_integers, Vec::<String>::new());
    // Any call can meet a failed store (500) or a host shutting down (503); each
    // operation documents both, with their body. The document itself is a constant
    // served to anyone, which reads no store.
    for (path, operations) in doc["paths"].as_object().expect("paths") {
        if path == "/api/openapi.json" {
            assert_eq!(operations["get"]["security"], serde_json::json!([]));
            continue;
        }
        for (method, operation) in operations.as_object().expect("operations") {
            for status in ["500", "503"] {
                assert_eq!(
                    operation["responses"][status]["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} documents {status}"
                );
            }
            // A busy host says when to come back, and a client is told to look.
            assert!(
                operation["responses"]["503"]["headers"]["Retry-After"].is_object(),
                "{method} {path} documents Retry-After"
            );
        }
    }
    // The body's limits are the ones the host checks, so that a client that checks its
    // body against the document is not refused for a length the document allowed.
    use widget_host::directory::account::{
        MAX_CONTACT_ITEMS, MAX_FIELD_CHARS, MAX_NAME_CHARS, MAX_URL_CHARS,
    };
    let account = &doc["components"]["schemas"]["UserAccount"]["properties"];
    for name in [
        "givenName",
        "additionalName",
        "familyName",
        "alternateName",
        "jobTitle",
    ] {
        assert_eq!(account[name]["maxLength"], MAX_NAME_CHARS, "{name}");
    }
    assert_eq!(account["image"]["maxLength"], MAX_URL_CHARS);
    // No `format: email`: validators read it as ASCII addresses, and the host takes
    // addresses in any script. Bytes in the host, characters in JSON Schema: every
    // address the host takes has at most as many characters as bytes, so the
    // document's bound refuses none of them (its description says bytes).
    use widget_host::social::rules::MAX_EMAIL_BYTES;
    assert!(account["emailAddress"].get("format").is_none());
    assert_eq!(account["emailAddress"]["maxLength"], MAX_EMAIL_BYTES);
    let lists = account["userAccountContactInformation"]["properties"]
        .as_object()
        .expect("contact lists");
    assert_eq!(lists.len(), 4);
    for (list, schema) in lists {
        assert_eq!(schema["maxItems"], MAX_CONTACT_ITEMS, "{list}");
        for (field, schema) in schema["items"]["properties"].as_object().expect("fields") {
            let expected = match (field.as_str(), schema["type"].as_str()) {
                (_, Some("boolean")) => serde_json::Value::Null,
                ("emailAddress", _) => MAX_EMAIL_BYTES.into(),
                ("url", _) => MAX_URL_CHARS.into(),
                _ => MAX_FIELD_CHARS.into(),
            };
            assert_eq!(schema["maxLength"], expected, "{list}.{field}");
        }
    }
    let required = doc["components"]["schemas"]["Problem"]["required"]
        .as_array()
        .expect("Problem's required fields")
        .clone();
    for (path, method, request, status) in calls {
        let request = request.build().expect("request");
        let token_sent = request.headers().contains_key("authorization");
        let answer = client.execute(request).await.expect("send");
        assert_eq!(answer.status(), status, "{method} {path}");
        let documented = &doc["paths"][path][method]["responses"][status.as_str()];
        if status == StatusCode::UNAUTHORIZED {
            // And whether the token sent was refused, or none was sent.
            let challenge = match token_sent {
                true => "Bearer realm=\"widget-host\", error=\"invalid_token\"",
                false => "Bearer realm=\"widget-host\"",
            };
            assert_eq!(
                answer.headers()["www-authenticate"],
                challenge,
                "{method} {path}: a 401 names its scheme"
            );
            assert!(
                documented["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path}: and says so"
            );
        }
        assert_eq!(
            documented["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{method} {path} {status} is documented with its body"
        );
        let body: serde_json::Value = answer.json().await.expect("json");
        for field in &required {
            let field = field.as_str().expect("name");
            assert!(
                body.get(field).is_some(),
                "{method} {path}: {field} in {body}"
            );
        }
    }
    // Liferay's UserAccount, numeric id and all, is read, and every field the answer
    // echoes is in the schema.
    let stored = client
        .put(server.url("/api/users/7"))
        .bearer_auth(&admin)
        .json(&serde_json::json!({"id": 7, "externalReferenceCode": "7", "givenName": "Jane"}))
        .send()
        .await
        .expect("send");
    assert_eq!(stored.status(), StatusCode::CREATED);
    // Created and replaced are both documented, with the stored account as the body:
    // its own schema, since what is stored has every field and no `id` or `status`.
    for status in ["200", "201"] {
        assert_eq!(
            doc["paths"]["/api/users/{id}"]["put"]["responses"][status]["content"]["application/json"]
                ["schema"]["$ref"],
            "#/components/schemas/StoredUserAccount",
            "PUT {status}"
        );
    }
    let body = &doc["components"]["schemas"]["UserAccount"]["properties"];
    for field in ["id", "externalReferenceCode"] {
        assert!(body.get(field).is_some(), "{field} is documented");
    }
    let answer = &doc["components"]["schemas"]["StoredUserAccount"];
    let echoed: serde_json::Value = stored.json().await.expect("json");
    let fields: Vec<&str> = echoed
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    let required: Vec<&str> = answer["required"]
        .as_array()
        .expect("required")
        .iter()
        .map(|f| f.as_str().expect("name"))
        .collect();
    let mut sorted = (fields.clone(), required.clone());
    sorted.0.sort_unstable();
    sorted.1.sort_unstable();
    assert_eq!(sorted.0, sorted.1, "every field answered, and only those");
    server.stop().await;
}

#[tokio::test]
async fn cors_allows_only_consumer_origins() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let allowed = client
        .get(server.url("/widgets"))
        .header("origin", common::PORTAL_ORIGIN)
        .send()
        .await
        .expect("send");
    assert_eq!(
        allowed
            .headers()
            .get("access-control-allow-origin")
            .and_then(|v| v.to_str().ok()),
        Some(common::PORTAL_ORIGIN)
    );
    let foreign = client
        .get(server.url("/widgets"))
        .header("origin", "https://evil.test")
        .send()
        .await
        .expect("send");
    assert!(
        foreign
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // A page's script reads why its call was refused (`invalid_token`, or no token)
    // and the document's version: named, or the browser hides them.
    let exposed = |response: &reqwest::Response| {
        response
            .headers()
            .get("access-control-expose-headers")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let refused = client
        .get(server.url("/api/users/jdoe/notifications"))
        .header("origin", common::PORTAL_ORIGIN)
        .bearer_auth("not-a-jwt")
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.headers().contains_key("www-authenticate"));
    assert_eq!(exposed(&refused).as_deref(), Some("WWW-Authenticate"));
    let document = client
        .get(server.url("/api/openapi.json"))
        .header("origin", common::PORTAL_ORIGIN)
        .send()
        .await
        .expect("send");
    assert!(document.headers().contains_key("etag"));
    assert_eq!(exposed(&document).as_deref(), Some("ETag"));
    let wrong_method = client
        .get(server.url("/api/backup"))
        .header("origin", common::PORTAL_ORIGIN)
        .send()
        .await
        .expect("send");
    assert_eq!(wrong_method.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong_method.headers().contains_key("allow"));
    assert_eq!(exposed(&wrong_method).as_deref(), Some("Allow"));
    let foreign_refused = client
        .get(server.url("/api/users/jdoe/notifications"))
        .header("origin", "https://evil.test")
        .send()
        .await
        .expect("send");
    assert_eq!(exposed(&foreign_refused), None);
    let preflight = client
        .request(reqwest::Method::OPTIONS, server.url("/api/users/a"))
        .header("origin", common::PORTAL_ORIGIN)
        .send()
        .await
        .expect("send");
    assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
    assert!(
        preflight
            .headers()
            .get("access-control-allow-methods")
            .is_some()
    );
    // Every request header the API's document names may be sent from a page: one the
    // preflight leaves out would keep the browser from sending the call at all.
    let allowed = preflight
        .headers()
        .get("access-control-allow-headers")
        .and_then(|v| v.to_str().ok())
        .expect("allowed headers")
        .to_ascii_lowercase();
    let allowed: Vec<&str> = allowed.split(',').map(str::trim).collect();
    let doc: serde_json::Value = client
        .get(server.url("/api/openapi.json"))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json");
    let mut documented = 0;
    for operation in doc["paths"].as_object().expect("paths").values() {
        for operation in operation.as_object().expect("operations").values() {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                if parameter["in"] == "header" {
                    let name = parameter["name"]
                        .as_str()
                        .expect("name")
                        .to_ascii_lowercase();
                    assert!(allowed.contains(&name.as_str()), "{name} in {allowed:?}");
                    documented += 1;
                }
            }
        }
    }
    assert!(documented >= 4, "the conditional headers of PUT and DELETE");
    server.stop().await;
}

#[tokio::test]
async fn administrators_take_consistent_backups_while_serving() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let admin = token("root", &["Administrator"]);
    let account = serde_json::json!({"givenName": "Jane", "familyName": "Doe"});
    let put = client
        .put(server.url("/api/users/jdoe"))
        .bearer_auth(&admin)
        .json(&account)
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::CREATED);
    let refused = client
        .post(server.url("/api/backup"))
        .bearer_auth(token("jdoe", &[]))
        .send()
        .await
        .expect("post");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let taken = client
        .post(server.url("/api/backup"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("post");
    assert_eq!(taken.status(), StatusCode::OK);
    let body: serde_json::Value = taken.json().await.expect("json");
    let relative = body["file"].as_str().expect("file");
    assert!(
        relative.starts_with("backups/widget-host-") && relative.ends_with(".redb"),
        "{body}"
    );
    assert!(body["bytes"].as_u64().unwrap_or(0) > 0);
    // A second backup at once gets a name of its own; the first stays.
    let again: serde_json::Value = client
        .post(server.url("/api/backup"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("post")
        .json()
        .await
        .expect("json");
    let second = again["file"].as_str().expect("file");
    assert_ne!(second, relative);
    let backups = server.dir.path().join("data").join("backups");
    assert_eq!(std::fs::read_dir(&backups).expect("list").count(), 2);
    // The snapshot opens on its own, keeps every invariant, and holds the person.
    let path = server.dir.path().join("data").join(relative);
    let copy = widget_host::social::Social::open(&path).expect("open backup");
    assert!(copy.check_invariants().expect("check").is_empty());
    assert!(
        copy.read()
            .expect("read")
            .person("jdoe")
            .expect("read")
            .is_some()
    );
    server.stop().await;
}

#[tokio::test]
async fn user_ids_in_the_path_are_percent_decoded() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let admin = token("root", &["Administrator"]);
    // What `encodeURIComponent("jane@example.com")` puts in a path.
    let url = server.url("/api/users/jane%40example.com");
    let account = serde_json::json!({"givenName": "Jane", "familyName": "Doe"});
    let stored = client
        .put(&url)
        .bearer_auth(&admin)
        .json(&account)
        .send()
        .await
        .expect("send");
    assert_eq!(stored.status(), StatusCode::CREATED);
    let echoed: serde_json::Value = stored.json().await.expect("json");
    assert_eq!(echoed["externalReferenceCode"], "jane@example.com");
    let own = client
        .get(format!("{url}/notifications"))
        .bearer_auth(token("jane@example.com", &[]))
        .send()
        .await
        .expect("send");
    assert_eq!(own.status(), StatusCode::OK, "her own token reads her list");
    let deleted = client
        .delete(&url)
        .bearer_auth(&admin)
        .send()
        .await
        .expect("send");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let not_utf8 = client
        .delete(server.url("/api/users/%FF"))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("send");
    assert_eq!(not_utf8.status(), StatusCode::BAD_REQUEST);
    server.stop().await;
}

/// RFC 9110's preconditions on the user API: `If-None-Match: *` creates and never
/// replaces, `If-Match: *` replaces and never creates, a DELETE checks them as well,
/// and an `If-Match` naming a tag never holds (the host gives people none). A
/// condition that does not hold answers 412 and changes nothing.
#[tokio::test]
async fn conditional_puts_and_deletes_change_nothing_when_their_condition_fails() {
    let server = start(|c, _| with_consumer(c)).await;
    let client = reqwest::Client::new();
    let admin = token("root", &["Administrator"]);
    let url = server.url("/api/users/cond");
    let put = |given: &'static str, header: Option<(&'static str, &'static str)>| {
        let mut request = client
            .put(&url)
            .bearer_auth(&admin)
            .json(&serde_json::json!({"givenName": given, "familyName": "Cond"}));
        if let Some((name, value)) = header {
            request = request.header(name, value);
        }
        request.send()
    };
    let status = |answer: reqwest::Response| answer.status();
    // Replace-only on nobody: 412, nobody made.
    let answer = put("Ann", Some(("if-match", "*"))).await.expect("send");
    assert_eq!(status(answer), StatusCode::PRECONDITION_FAILED);
    assert_eq!(looked_up(&server, "cond").await, None);
    // Create-only: made once, then refused without a change.
    let answer = put("Ann", Some(("if-none-match", "*")))
        .await
        .expect("send");
    assert_eq!(status(answer), StatusCode::CREATED);
    let answer = put("Bo", Some(("if-none-match", "*"))).await.expect("send");
    assert_eq!(answer.status(), StatusCode::PRECONDITION_FAILED);
    let body: serde_json::Value = answer.json().await.expect("json");
    assert_eq!(body["message"], "precondition-failed");
    assert_eq!(
        looked_up(&server, "cond").await.map(|p| p.0),
        Some("Ann".into())
    );
    // A tag the host never gave, or both conditions at once, never hold.
    for header in [("if-match", "\"abc\""), ("if-match", "W/\"abc\", \"def\"")] {
        let answer = put("Bo", Some(header)).await.expect("send");
        assert_eq!(
            status(answer),
            StatusCode::PRECONDITION_FAILED,
            "{header:?}"
        );
    }
    let answer = client
        .put(&url)
        .bearer_auth(&admin)
        .header("if-match", "*")
        .header("if-none-match", "*")
        .json(&serde_json::json!({"givenName": "Bo", "familyName": "Cond"}))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::PRECONDITION_FAILED);
    assert_eq!(
        looked_up(&server, "cond").await.map(|p| p.0),
        Some("Ann".into())
    );
    // Replace-only on somebody, and an If-None-Match naming tags: both hold.
    let answer = put("Bo", Some(("if-match", "*"))).await.expect("send");
    assert_eq!(status(answer), StatusCode::OK);
    let answer = put("Cy", Some(("if-none-match", "\"abc\"")))
        .await
        .expect("send");
    assert_eq!(status(answer), StatusCode::OK);
    assert_eq!(
        looked_up(&server, "cond").await.map(|p| p.0),
        Some("Cy".into())
    );
    // A DELETE that must not find the person finds them: kept.
    let delete = |header: (&'static str, &'static str), who: &'static str| {
        client
            .delete(server.url(&format!("/api/users/{who}")))
            .bearer_auth(&admin)
            .header(header.0, header.1)
            .send()
    };
    let answer = delete(("if-none-match", "*"), "cond").await.expect("send");
    assert_eq!(status(answer), StatusCode::PRECONDITION_FAILED);
    assert!(looked_up(&server, "cond").await.is_some());
    // A person not there is 404 whatever the condition, as without one (RFC 9110,
    // section 13.2.1).
    for header in [
        ("if-match", "*"),
        ("if-none-match", "*"),
        ("if-match", "\"abc\""),
    ] {
        let answer = delete(header, "nobody").await.expect("send");
        assert_eq!(status(answer), StatusCode::NOT_FOUND, "{header:?}");
    }
    // Not an administrator: refused for that, not for the condition.
    let answer = client
        .delete(&url)
        .bearer_auth(token("cond", &[]))
        .header("if-match", "\"abc\"")
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    // The field's lines are one list: a `*` on a second line holds.
    let answer = client
        .put(&url)
        .bearer_auth(&admin)
        .header("if-match", "\"abc\"")
        .header("if-match", "*")
        .json(&serde_json::json!({"givenName": "Cy", "familyName": "Cond"}))
        .send()
        .await
        .expect("send");
    assert_eq!(answer.status(), StatusCode::OK);
    let answer = delete(("if-match", "*"), "cond").await.expect("send");
    assert_eq!(status(answer), StatusCode::NO_CONTENT);
    assert_eq!(looked_up(&server, "cond").await, None);
    server.stop().await;
}

/// A backup or restore killed mid-copy leaves a hidden temporary file as large as
/// the database. A host starting on the folder, holding the database's lock so that
/// nothing can be writing one, removes them, beside the database and among the
/// backups, and nothing else.
#[tokio::test]
async fn a_host_starting_removes_what_interrupted_backups_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let backups = data.join("backups");
    std::fs::create_dir_all(&backups).expect("mkdir");
    let left = [
        data.join(".widget-host.redb.tmp-31337-00112233445566ff"),
        backups.join(".widget-host-20261203T101500Z-0badf00d.redb.tmp-31337-aabbccddeeff0011"),
    ];
    let kept = [
        backups.join("widget-host-20261202T101500Z-0badf00d.redb"),
        data.join(".my-notes.tmp"),
    ];
    for file in left.iter().chain(&kept) {
        std::fs::write(file, vec![7u8; 4096]).expect("write");
    }
    let server = common::start_in(dir, |_, _| {}).await;
    for file in &left {
        assert!(!file.exists(), "{} is left", file.display());
    }
    for file in &kept {
        assert!(file.exists(), "{} went", file.display());
    }
    let health = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(health.status(), StatusCode::OK);
    server.stop().await;
}

/// A person's account is no longer than the longest record an import reads (1 MiB),
/// whatever larger bodies the host takes elsewhere: a longer one is 413.
#[tokio::test]
async fn an_account_longer_than_an_import_record_is_refused() {
    use widget_host::directory::MAX_RECORD_BYTES;
    let server = start(|c, _| {
        with_consumer(c);
        c.limits.max_body_bytes = 4 * MAX_RECORD_BYTES;
    })
    .await;
    let client = reqwest::Client::new();
    let admin = token("root", &["Administrator"]);
    let put = |id: &str, about: usize| {
        let account = serde_json::json!({
            "givenName": "Jane", "familyName": "Doe", "emailAddress": "jane@example.com",
            "jobTitle": "Engineer", "comments": "x".repeat(about),
        });
        client
            .put(server.url(&format!("/api/users/{id}")))
            .bearer_auth(&admin)
            .json(&account)
            .send()
    };
    let refused = put("long", MAX_RECORD_BYTES).await.expect("send");
    assert_eq!(refused.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Just under it, the body is read (and its unknown field passed over).
    let stored = put("short", MAX_RECORD_BYTES - 1024).await.expect("send");
    assert_eq!(stored.status(), StatusCode::CREATED);
}
