//! The Contacts Center end to end over real HTTP: the seeds' stories, and the security
//! rules of the native protocol (tokens, p_auth binding, redirects, escaping).

mod common;

use common::{PORTAL_ORIGIN, TestServer, start, token, with_consumer};
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use serde_json::Value;
use widget_host::i18n::Languages;

const WIDGET: &str = "contacts_center";
const NS: &str = "_contacts_center_";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

/// A vCard download with `bearer`, which must succeed: its `Content-Disposition` and
/// its text.
async fn vcard_as(
    server: &TestServer,
    bearer: String,
    query: Vec<(String, String)>,
) -> (String, String) {
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/resources/vcard")))
        .bearer_auth(bearer)
        .query(&query)
        .send()
        .await
        .expect("vcard");
    assert_eq!(response.status(), StatusCode::OK);
    let disposition = response
        .headers()
        .get("content-disposition")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (disposition, response.text().await.expect("text"))
}

/// Posts an action as a portal would (Bearer, JSON answer).
async fn act(
    server: &TestServer,
    user: &str,
    action: &str,
    params: &[(&str, &str)],
) -> (StatusCode, Value) {
    let form: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (format!("{NS}{k}"), (*v).to_owned()))
        .collect();
    let response = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/{action}")))
        .bearer_auth(token(user, &[]))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .expect("post action");
    let status = response.status();
    (status, response.json().await.expect("json outcome"))
}

async fn render(server: &TestServer, user: &str, params: &[(&str, &str)]) -> String {
    let query: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| (format!("{NS}{k}"), (*v).to_owned()))
        .collect();
    render_query(server, user, &query).await
}

/// A render with `query` as it is: portal parameters and namespaced ones.
async fn render_query(server: &TestServer, user: &str, query: &[(String, String)]) -> String {
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(token(user, &[]))
        .query(&query)
        .send()
        .await
        .expect("render");
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.expect("html")
}

async fn contacts(server: &TestServer, user: &str, filter: &str) -> Vec<String> {
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/resources/contacts")))
        .bearer_auth(token(user, &[]))
        .query(&[(format!("{NS}filter"), filter)])
        .send()
        .await
        .expect("contacts");
    assert_eq!(response.status(), StatusCode::OK);
    let page: Value = response.json().await.expect("json");
    page["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["userId"].as_str().map(str::to_owned))
        .collect()
}

async fn notifications(server: &TestServer, user: &str) -> Value {
    client()
        .get(server.url(&format!("/api/users/{user}/notifications")))
        .bearer_auth(token(user, &[]))
        .send()
        .await
        .expect("get")
        .json()
        .await
        .expect("json")
}

fn text(key: &str, n: u64) -> String {
    Languages::shared().plural("en_US", key, n)
}

#[tokio::test]
async fn connect_confirm_follow_block_and_vcards() {
    let server = start(|c, _| with_consumer(c)).await;
    // First contact with the host creates each person from their token's claims.
    for user in ["alice", "bob", "carol"] {
        render(&server, user, &[]).await;
    }

    // A connects to B: a request, not yet a connection.
    let (status, outcome) = act(&server, "alice", "connect", &[("userId", "bob")]).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["ok"], true);
    assert_eq!(outcome["relationship"]["connectionRequested"], true);
    assert_eq!(outcome["relationship"]["connected"], false);

    // B sees it: the notifications API and the widget's requests list.
    let pending = notifications(&server, "bob").await;
    assert_eq!(pending["count"], 1, "{pending}");
    assert_eq!(pending["items"][0]["fromUserId"], "alice");
    assert_eq!(pending["items"][0]["fromName"], "Givenalice Familyalice");
    let request_id = pending["items"][0]["requestId"]
        .as_u64()
        .expect("request id")
        .to_string();
    let requests_view = render(&server, "bob", &[("filter", "requests")]).await;
    assert!(
        requests_view.contains("Givenalice"),
        "B's requests list shows A"
    );

    // B confirms; both are connected and the counts say so.
    let (status, outcome) = act(
        &server,
        "bob",
        "accept-request",
        &[("requestId", &request_id)],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["relationship"]["connected"], true);
    assert_eq!(contacts(&server, "alice", "connections").await, ["bob"]);
    assert_eq!(contacts(&server, "bob", "connections").await, ["alice"]);
    assert!(
        render(&server, "alice", &[])
            .await
            .contains(&text("you-have-x-connections", 1))
    );
    assert_eq!(notifications(&server, "bob").await["count"], 0);

    // A request to someone already connected changes nothing and says so (an idempotent
    // no-op, not an error: the person's wish already holds).
    let (_, outcome) = act(&server, "alice", "connect", &[("userId", "bob")]).await;
    assert_eq!(
        outcome["message"], "you-are-already-connected-to-this-user",
        "{outcome}"
    );
    assert_eq!(contacts(&server, "alice", "connections").await, ["bob"]);
    assert_eq!(
        notifications(&server, "bob").await["count"],
        0,
        "no new request"
    );

    // Follow and unfollow.
    let (_, outcome) = act(&server, "alice", "follow", &[("userId", "carol")]).await;
    assert_eq!(outcome["relationship"]["following"], true, "{outcome}");
    assert_eq!(contacts(&server, "alice", "following").await, ["carol"]);
    assert_eq!(contacts(&server, "carol", "followers").await, ["alice"]);
    let (_, outcome) = act(&server, "alice", "unfollow", &[("userId", "carol")]).await;
    assert_eq!(outcome["relationship"]["following"], false, "{outcome}");
    assert!(contacts(&server, "alice", "following").await.is_empty());

    // vCards: one person, several, all connections.
    act(&server, "alice", "connect", &[("userId", "carol")]).await;
    let carol_requests = notifications(&server, "carol").await;
    let carol_request = carol_requests["items"][0]["requestId"]
        .as_u64()
        .expect("id")
        .to_string();
    act(
        &server,
        "carol",
        "accept-request",
        &[("requestId", &carol_request)],
    )
    .await;
    let vcard = |query: Vec<(String, String)>| vcard_as(&server, token("alice", &[]), query);
    let (disposition, one) = vcard(vec![(format!("{NS}userId"), "bob".into())]).await;
    assert_eq!(one.matches("BEGIN:VCARD").count(), 1);
    assert!(one.contains("FN:Givenbob Familybob\r\n"), "{one}");
    assert!(disposition.contains(".vcf"), "{disposition}");
    let (_, several) = vcard(vec![(format!("{NS}userIds"), "bob,carol".into())]).await;
    assert_eq!(several.matches("BEGIN:VCARD").count(), 2);
    let (disposition, all) = vcard(vec![(format!("{NS}filter"), "connections".into())]).await;
    assert_eq!(all.matches("BEGIN:VCARD").count(), 2);
    assert!(disposition.contains("Connections.vcf"), "{disposition}");
    let (_, v4) = vcard(vec![
        (format!("{NS}userId"), "bob".into()),
        (format!("{NS}version"), "4.0".into()),
    ])
    .await;
    assert!(v4.contains("VERSION:4.0\r\n"), "{v4}");

    // Block removes the connection and the follows, both ways, and refuses new ones.
    act(&server, "bob", "follow", &[("userId", "alice")]).await;
    let (status, outcome) = act(&server, "alice", "block", &[("userId", "bob")]).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    let r = &outcome["relationship"];
    assert_eq!(
        (
            r["blocking"].as_bool(),
            r["connected"].as_bool(),
            r["followedBy"].as_bool()
        ),
        (Some(true), Some(false), Some(false)),
        "{outcome}"
    );
    assert_eq!(contacts(&server, "alice", "connections").await, ["carol"]);
    for (actor, other, action) in [
        ("alice", "bob", "follow"),
        ("bob", "alice", "follow"),
        ("alice", "bob", "connect"),
        ("bob", "alice", "connect"),
    ] {
        let (status, outcome) = act(&server, actor, action, &[("userId", other)]).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "{actor} {action} {other} must be refused: {outcome}"
        );
        assert_eq!(outcome["ok"], false);
    }
    // Unblock restores nothing.
    let (_, outcome) = act(&server, "alice", "unblock", &[("userId", "bob")]).await;
    assert_eq!(outcome["relationship"]["blocking"], false, "{outcome}");
    assert_eq!(outcome["relationship"]["connected"], false);
    assert_eq!(outcome["relationship"]["followedBy"], false);
    server.stop().await;
}

/// An action answer's relationship: exactly DESIGN's seven booleans, by name.
fn seven_booleans(outcome: &Value) -> &serde_json::Map<String, Value> {
    let r = outcome["relationship"].as_object().expect("a relationship");
    let mut keys: Vec<&str> = r.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "blockedBy",
            "blocking",
            "connected",
            "connectionRequestReceived",
            "connectionRequested",
            "followedBy",
            "following"
        ],
        "{outcome}"
    );
    assert!(r.values().all(Value::is_boolean), "{outcome}");
    r
}

/// Pulls the form that posts `action` out of rendered HTML: its URL and fields.
fn form_for(html: &str, action: &str) -> (String, Vec<(String, String)>) {
    let marker = format!("/actions/{action}\"");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {action} form in {html}"));
    let start = html[..at].rfind("<form").expect("form start");
    let end = at + html[at..].find("</form>").expect("form end");
    let form = &html[start..end];
    let url =
        attribute(&form[..form.find('>').expect("tag end")], "action").expect("action attribute");
    let mut fields = Vec::new();
    for input in form.split("<input").skip(1) {
        let tag = &input[..input.find('>').unwrap_or(input.len())];
        if let (Some(name), Some(value)) = (attribute(tag, "name"), attribute(tag, "value")) {
            fields.push((name, value));
        }
    }
    (
        unescape(&url),
        fields
            .into_iter()
            .map(|(n, v)| (unescape(&n), unescape(&v)))
            .collect(),
    )
}

fn attribute(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let at = tag.find(&key)? + key.len();
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

/// What a browser reads in an attribute. `&amp;` goes last, so that an escaped
/// entity (`&amp;lt;`) comes out as the characters it stands for.
fn unescape(s: &str) -> String {
    s.replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

#[tokio::test]
async fn browser_forms_carry_bound_p_auth_and_redirect_safely() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let detail = render(&server, "alice", &[("userId", "bob")]).await;
    let (url, fields) = form_for(&detail, "follow");
    assert!(fields.iter().any(|(n, _)| n == "p_auth"), "{fields:?}");

    // The browser posts the form as rendered, without any Bearer token: 303 with the message.
    let posted = client()
        .post(&url)
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(posted.status(), StatusCode::SEE_OTHER);
    let location = posted
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("location")
        .to_owned();
    assert!(location.contains(&format!("{NS}message=")), "{location}");
    assert_eq!(
        contacts(&server, "alice", "following").await,
        ["bob"],
        "the form acted for alice"
    );

    // The same p_auth replayed: for another user, another action, another instance.
    let p_auth = fields
        .iter()
        .find(|(n, _)| n == "p_auth")
        .map(|(_, v)| v.clone())
        .expect("p_auth");
    let as_bob = p_auth.replacen("~alice~", "~bob~", 1);
    let with = |p_auth: &str| {
        fields
            .iter()
            .map(|(n, v)| {
                if n == "p_auth" {
                    (n.clone(), p_auth.to_owned())
                } else {
                    (n.clone(), v.clone())
                }
            })
            .collect::<Vec<_>>()
    };
    let replayed = client()
        .post(&url)
        .form(&with(&as_bob))
        .send()
        .await
        .expect("post");
    assert_eq!(
        replayed.status(),
        StatusCode::FORBIDDEN,
        "a token of A never acts as B"
    );
    let other_action = client()
        .post(url.replace("/actions/follow", "/actions/block"))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(
        other_action.status(),
        StatusCode::FORBIDDEN,
        "a follow token does not block"
    );
    let other_instance = client()
        .post(url.replace(WIDGET, "contacts_center_INSTANCE_other"))
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(
        other_instance.status(),
        StatusCode::FORBIDDEN,
        "nor act on another placement"
    );
    let none = client()
        .post(&url)
        .form(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(none.status(), StatusCode::FORBIDDEN, "no token at all");
    let body: Value = none.json().await.expect("json");
    assert_eq!(body["ok"], false);
    assert!(
        !body["text"].as_str().unwrap_or_default().is_empty(),
        "a clear message"
    );
    // In the language the form names, in its body as in the query: a refused form
    // and a form posted to a widget that is not there.
    let refused_text = |request: reqwest::RequestBuilder, status| async move {
        let answer = request.send().await.expect("post");
        assert_eq!(answer.status(), status);
        let body: Value = answer.json().await.expect("json");
        body["text"].as_str().unwrap_or_default().to_owned()
    };
    for (url, status) in [
        (url.clone(), StatusCode::FORBIDDEN),
        (url.replace(WIDGET, "no_such_widget"), StatusCode::NOT_FOUND),
    ] {
        let form = [(format!("{NS}userId"), "bob")];
        let in_english = refused_text(client().post(&url).form(&form), status).await;
        let in_query = refused_text(
            client().post(format!("{url}?languageId=es_ES")).form(&form),
            status,
        )
        .await;
        let in_body = refused_text(
            client().post(&url).form(&[
                ("languageId".to_owned(), "es_ES"),
                (format!("{NS}userId"), "bob"),
            ]),
            status,
        )
        .await;
        assert_ne!(in_query, in_english, "Spanish: {url}");
        assert_eq!(in_body, in_query, "{url}");
    }
    assert_eq!(
        contacts(&server, "alice", "blocked").await,
        Vec::<String>::new(),
        "nothing changed"
    );

    // A redirect to a foreign origin falls back to the widget's own render URL; an
    // allowed one is followed.
    let (url, fields) = form_for(
        &render(&server, "alice", &[("userId", "bob")]).await,
        "unfollow",
    );
    let mut evil = fields.clone();
    evil.push((format!("{NS}redirect"), "https://evil.example/steal".into()));
    let answer = client().post(&url).form(&evil).send().await.expect("post");
    let location = common::location(&answer);
    assert!(
        location.starts_with(&server.url(&format!("/widgets/{WIDGET}/render"))),
        "{location}"
    );
    let (url, fields) = form_for(
        &render(&server, "alice", &[("userId", "bob")]).await,
        "follow",
    );
    let mut good = fields.clone();
    good.push((
        format!("{NS}redirect"),
        format!("{PORTAL_ORIGIN}/web/guest/home"),
    ));
    let answer = client().post(&url).form(&good).send().await.expect("post");
    let location = common::location(&answer);
    assert!(
        location.starts_with(&format!("{PORTAL_ORIGIN}/web/guest/home?")),
        "{location}"
    );
    server.stop().await;
}

/// `html` with every `p_auth` value blanked: a form's token names the second it was
/// made in.
fn without_p_auth(html: &str) -> String {
    let mut parts = html.split("p_auth");
    let mut out = parts.next().unwrap_or_default().to_owned();
    for part in parts {
        out.push_str("p_auth");
        // A form's hidden field (`" value="TOKEN"`) or a link's parameter (`=TOKEN&`).
        let (lead, end) = if part.starts_with("\" value=\"") {
            (9, '"')
        } else if part.starts_with('=') {
            (1, '&')
        } else {
            (0, '\0')
        };
        let rest = &part[lead..];
        let cut = if lead == 0 {
            0
        } else {
            rest.find([end, '"']).unwrap_or(rest.len())
        };
        out.push_str(&part[..lead]);
        out.push_str(&rest[cut..]);
    }
    out
}

/// A render of the host URL `location` (an action's redirect), as `user`.
async fn render_location(server: &TestServer, user: &str, location: &str) -> String {
    let url = url::Url::parse(location).expect("an absolute redirect");
    let query: Vec<(String, String)> = url.query_pairs().into_owned().collect();
    render_query(server, user, &query).await
}

#[tokio::test]
async fn an_outcome_names_its_person_only_under_the_seal_its_action_wrote() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob", "carol"] {
        render(&server, user, &[]).await;
    }
    let (status, _) = act(&server, "bob", "connect", &[("userId", "alice")]).await;
    assert_eq!(status, StatusCode::OK);
    let requests = render(&server, "alice", &[("filter", "requests")]).await;
    let (url, fields) = form_for(&requests, "accept-request");
    let location = posted(&url, &fields).await;
    assert!(
        location.contains(&format!("{NS}messageUserId=bob")),
        "{location}"
    );
    assert!(
        location.contains(&format!("{NS}messageAuth=")),
        "{location}"
    );
    let page = render_location(&server, "alice", &location).await;
    assert!(
        page.contains("You are now connected to \u{2068}Givenbob Familybob\u{2069}."),
        "the actor's next page names whom: {page}"
    );
    // The page's script names the seal's parameter (it drops seals from the address
    // it loads afresh); the rest of the page holds none.
    let markup = match (page.find("<script>"), page.find("</script>")) {
        (Some(start), Some(end)) if start < end => format!("{}{}", &page[..start], &page[end..]),
        _ => page.clone(),
    };
    assert!(
        !markup.contains("messageAuth"),
        "the seal stays out of the page's links"
    );

    // The same URL in another person's hands names no one, nor with the name changed.
    let page = render_location(&server, "carol", &location).await;
    assert!(
        page.contains("You are now connected to this user."),
        "{page}"
    );
    assert!(!page.contains("Givenbob"), "{page}");
    let changed = location.replace(
        &format!("{NS}messageUserId=bob"),
        &format!("{NS}messageUserId=carol"),
    );
    assert_ne!(changed, location);
    let page = render_location(&server, "alice", &changed).await;
    assert!(
        page.contains("You are now connected to this user."),
        "{page}"
    );
    assert!(!page.contains("Givencarol"), "{page}");

    // A link written by hand shows the contract's message, one of the widget's own
    // texts, but names no one: the page is the one without the name.
    let blocked = [
        ("filter", "connections"),
        ("message", "you-have-blocked-this-user"),
    ];
    let crafted = render(
        &server,
        "alice",
        &[&blocked[..], &[("messageUserId", "carol")]].concat(),
    )
    .await;
    assert!(crafted.contains("You have blocked this user."), "{crafted}");
    assert!(!crafted.contains("Givencarol"), "{crafted}");
    // Byte for byte but for the forms' tokens, which name the second they were made in.
    let plain = render(&server, "alice", &blocked).await;
    assert_ne!(without_p_auth(&plain), plain, "the page has forms");
    assert_eq!(without_p_auth(&crafted), without_p_auth(&plain));
    // Above Carol's card, "this user" would be her: the hand-written message goes too,
    // and the card is the one asked for.
    let card = render(
        &server,
        "alice",
        &[
            ("userId", "carol"),
            ("message", "you-have-blocked-this-user"),
        ],
    )
    .await;
    assert!(!card.contains("<div class=\"alert "), "{card}");
    assert!(card.contains("Givencarol Familycarol"), "{card}");
}

/// A portal's script that acts through JSON gets the render parameters the browser's
/// redirect would have carried, namespaced and sealed to the actor: rendering with
/// them shows the outcome, naming the person, above their card too.
#[tokio::test]
async fn a_json_answer_carries_the_sealed_render_parameters_of_its_outcome() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let (status, outcome) = act(&server, "alice", "follow", &[("userId", "bob")]).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    let render_parameters = outcome["renderParameters"]
        .as_object()
        .unwrap_or_else(|| panic!("renderParameters: {outcome}"));
    assert_eq!(
        render_parameters[&format!("{NS}message")],
        "you-are-now-following-this-user"
    );
    assert!(
        render_parameters.contains_key(&format!("{NS}messageAuth")),
        "{outcome}"
    );
    assert_eq!(
        render_parameters[&format!("{NS}userId")],
        "bob",
        "{outcome}"
    );
    let mut query: Vec<(String, String)> = render_parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    // Back on Bob's card, the outcome above it: a message there is shown only under
    // the seal, so a hand-written link cannot make a card say something of its person.
    let card = render_query(&server, "alice", &query).await;
    assert!(card.contains("Givenbob Familybob"), "{card}");
    assert!(
        card.contains("alert-success") && card.contains("You are now following this user."),
        "{card}"
    );
    query.retain(|(k, _)| k != &format!("{NS}messageAuth"));
    let unsealed = render_query(&server, "alice", &query).await;
    assert!(!unsealed.contains("<div class=\"alert "), "{unsealed}");

    // A bulk action of one person comes back to the list, whose message names them.
    let (_, outcome) = act(&server, "alice", "unfollow", &[("userIds", "bob")]).await;
    let query: Vec<(String, String)> = outcome["renderParameters"]
        .as_object()
        .unwrap_or_else(|| panic!("renderParameters: {outcome}"))
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect();
    let list = render_query(&server, "alice", &query).await;
    assert!(
        list.contains("You are not following \u{2068}Givenbob Familybob\u{2069} anymore."),
        "{list}"
    );
}

/// `p_p_state` and `p_p_mode` as Liferay names them: the standard states and the bare
/// fragment are served, a minimized widget is an empty fragment (the portal draws its
/// title), and a state the host does not know or a mode the descriptor does not list
/// is a 400.
#[tokio::test]
async fn window_states_and_modes_are_read_from_the_portal_parameters() {
    let server = start(|c, _| with_consumer(c)).await;
    let get = |query: &'static [(&'static str, &'static str)]| {
        let request = client()
            .get(server.url(&format!("/widgets/{WIDGET}/render")))
            .bearer_auth(token("alice", &[]))
            .query(query);
        async move {
            let response = request.send().await.expect("render");
            let status = response.status();
            (status, response.text().await.expect("body"))
        }
    };
    let (status, normal) = get(&[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(normal.contains(NS), "{normal}");
    // Names are not case sensitive, as in the portlet API: "MAXIMIZED" is read as
    // maximized, which its links keep; normal and exclusive (a bare fragment, the
    // same markup) keep no state in theirs.
    for (state, maximized) in [
        ("normal", false),
        ("maximized", true),
        ("MAXIMIZED", true),
        ("exclusive", false),
    ] {
        let html = in_state(&server, state, None).await;
        let links = page_links(&html);
        assert!(links.len() >= 5, "{state}: {html}");
        assert!(
            links
                .iter()
                .all(|link| link.contains("&p_p_state=maximized") == maximized),
            "{state}: {links:?}"
        );
    }
    // A mode's name is read without regard to case too: "View" is served.
    let (status, html) = get(&[("p_p_mode", "View")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains(NS), "{html}");
    let (status, minimized) = get(&[("p_p_state", "Minimized")]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(minimized.is_empty(), "{minimized}");
    for bad in [
        &[("p_p_state", "half-page")][..],
        &[("p_p_state", "solo")][..],
        &[("p_p_mode", "help")][..],
        &[("p_p_mode", "print")][..],
    ] {
        let (status, _) = get(bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    // A mode the host knows but the widget's descriptor does not declare (the
    // Notifications widget has no edit mode), asked by an administrator.
    let undeclared = client()
        .get(server.url("/widgets/notifications/render?p_p_mode=edit"))
        .bearer_auth(token("alice", &["Administrator"]))
        .send()
        .await
        .expect("render");
    assert_eq!(undeclared.status(), StatusCode::BAD_REQUEST);
}

/// Alice's Contacts Center on the portal page, in window state `state`: her home, or
/// a person's card with `userId`.
async fn in_state(server: &TestServer, state: &str, user_id: Option<&str>) -> String {
    let mut query = vec![
        ("p_p_state".to_owned(), state.to_owned()),
        (
            "p_l_url".to_owned(),
            format!("{PORTAL_ORIGIN}/web/guest/home"),
        ),
    ];
    if let Some(id) = user_id {
        query.push((format!("{NS}userId"), id.to_owned()));
    }
    render_query(server, "alice", &query).await
}

/// The links of a fragment to the portal page, unescaped.
fn page_links(html: &str) -> Vec<String> {
    let page = format!("href=\"{PORTAL_ORIGIN}/web/guest/home?");
    html.match_indices(&page)
        .map(|(at, _)| {
            let start = at + "href=\"".len();
            unescape(&html[start..start + html[start..].find('"').expect("link end")])
        })
        .collect()
}

/// Posts a rendered form as a browser would (its `p_auth`, no token) and answers the
/// 303's `Location`.
async fn posted(url: &str, fields: &[(String, String)]) -> String {
    let answer = client().post(url).form(fields).send().await.expect("post");
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    common::location(&answer)
}

/// A maximized placement stays maximized as people use it: its links, its forms and
/// the redirect after an action keep `p_p_state=maximized`, as a portlet URL keeps
/// the current window state. A normal or bare (`exclusive`) one names no state.
#[tokio::test]
async fn a_maximized_placement_stays_maximized_through_its_links_and_actions() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "bob", &[]).await;
    let maximized = in_state(&server, "maximized", None).await;
    let links = page_links(&maximized);
    assert!(links.len() >= 5, "{maximized}");
    for link in &links {
        assert!(link.contains("&p_p_state=maximized"), "{link}");
    }
    let card = in_state(&server, "maximized", Some("bob")).await;
    let (url, fields) = form_for(&card, "follow");
    assert!(
        fields.contains(&("p_p_state".to_owned(), "maximized".to_owned())),
        "{fields:?}"
    );
    let location = posted(&url, &fields).await;
    assert!(
        location.starts_with(&format!("{PORTAL_ORIGIN}/web/guest/home?"))
            && location.contains("&p_p_state=maximized&"),
        "{location}"
    );

    for state in ["normal", "exclusive"] {
        let html = in_state(&server, state, None).await;
        let links = page_links(&html);
        assert!(links.len() >= 5, "{html}");
        for link in &links {
            assert!(!link.contains("p_p_state"), "{state}: {link}");
        }
        let card = in_state(&server, state, Some("bob")).await;
        let (url, fields) = form_for(&card, "unfollow");
        assert!(
            fields.iter().all(|(name, _)| name != "p_p_state"),
            "{fields:?}"
        );
        let location = posted(&url, &fields).await;
        assert!(
            location.starts_with(&format!("{PORTAL_ORIGIN}/web/guest/home?"))
                && !location.contains("p_p_state"),
            "{state}: {location}"
        );
        // Follow again, for the next state's unfollow.
        let (status, _) = act(&server, "alice", "follow", &[("userId", "bob")]).await;
        assert_eq!(status, StatusCode::OK);
    }
    server.stop().await;
}

/// The links of a fragment to the host's own render URL, unescaped.
fn host_links(html: &str) -> Vec<String> {
    html.match_indices("href=\"")
        .map(|(at, _)| {
            let start = at + "href=\"".len();
            unescape(&html[start..start + html[start..].find('"').expect("link end")])
        })
        .filter(|link| link.contains(&format!("/widgets/{WIDGET}/render")))
        .collect()
}

/// On another person's page whose links fall back to the host's own render URL (no
/// `p_l_url`), every link and form carries `p_page_owner`: a card opened there, "View
/// more" and the page after an action stay on that person's page. Links to a portal
/// page leave it to the portal, whose page is the owner's.
#[tokio::test]
async fn links_on_another_persons_page_keep_its_owner_where_the_host_is_the_page() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob", "carol"] {
        render(&server, user, &[]).await;
    }
    // Bob and Carol connect (each asks the other), so Bob's page lists Carol.
    for (from, to) in [("bob", "carol"), ("carol", "bob")] {
        let (status, outcome) = act(&server, from, "connect", &[("userId", to)]).await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
    }
    let owner = [("p_page_owner".to_owned(), "bob".to_owned())];
    let page = render_query(&server, "alice", &owner).await;
    let links = host_links(&page);
    assert!(
        links
            .iter()
            .any(|l| l.contains(&format!("{NS}userId=carol"))),
        "{page}"
    );
    for link in &links {
        assert!(link.contains("p_page_owner=bob"), "{link}");
    }
    // Carol's card opened there: its forms carry the owner, and so does the page the
    // browser is sent to after the action.
    let card = render_query(
        &server,
        "alice",
        &[
            ("p_page_owner".to_owned(), "bob".to_owned()),
            (format!("{NS}userId"), "carol".to_owned()),
        ],
    )
    .await;
    let (url, fields) = form_for(&card, "follow");
    assert!(
        fields.contains(&("p_page_owner".to_owned(), "bob".to_owned())),
        "{fields:?}"
    );
    let location = posted(&url, &fields).await;
    assert!(location.contains("p_page_owner=bob"), "{location}");
    let after = render_location(&server, "alice", &location).await;
    assert!(after.contains("Givencarol"), "{after}");
    // An action that names the page to go back to (a portal's): the portal says whose
    // page that is, not the host.
    let (url, mut fields) = form_for(&after, "unfollow");
    fields.push((
        format!("{NS}redirect"),
        format!("{PORTAL_ORIGIN}/web/bob/home"),
    ));
    let location = posted(&url, &fields).await;
    assert!(
        location.starts_with(&format!("{PORTAL_ORIGIN}/web/bob/home"))
            && !location.contains("p_page_owner"),
        "{location}"
    );

    // On a portal page the portal keeps it: the links name no owner.
    let on_portal = render_query(
        &server,
        "alice",
        &[
            ("p_page_owner".to_owned(), "bob".to_owned()),
            (
                "p_l_url".to_owned(),
                format!("{PORTAL_ORIGIN}/web/bob/home"),
            ),
        ],
    )
    .await;
    let links = page_links(&on_portal.replace("/web/bob/home", "/web/guest/home"));
    assert!(!links.is_empty(), "{on_portal}");
    for link in &links {
        assert!(!link.contains("p_page_owner"), "{link}");
    }
    // An owner that could be no user's id is not copied into links.
    let odd = render_query(
        &server,
        "alice",
        &[("p_page_owner".to_owned(), "bob carol".to_owned())],
    )
    .await;
    let links = host_links(&odd);
    assert!(!links.is_empty(), "{odd}");
    for link in links {
        assert!(!link.contains("p_page_owner"), "{link}");
    }
    server.stop().await;
}

/// A minimized render shows nothing, but it still brings its caller into the
/// directory, as any signed-in render does: others can act on them at once.
#[tokio::test]
async fn a_minimized_render_still_brings_its_caller_into_the_directory() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "alice", &[]).await;
    let (status, _) = act(&server, "alice", "follow", &[("userId", "mina")]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "mina is not in the directory yet"
    );
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(token("mina", &[]))
        .query(&[("p_p_state", "minimized")])
        .send()
        .await
        .expect("render");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.expect("body").is_empty());
    let (status, outcome) = act(&server, "alice", "follow", &[("userId", "mina")]).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
}

/// What a cache may keep: nothing of a fragment or a download, which are one
/// person's; an answer for everyone that changes at a reload or an upgrade (the
/// catalog, the API document, the WSDL) only after asking the host again.
#[tokio::test]
async fn personal_answers_are_never_stored_and_shared_ones_are_checked_again() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "bob", &[]).await;
    let cache_control = |response: &reqwest::Response| {
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let fragment = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(token("alice", &[]))
        .query(&[(format!("{NS}userId"), "bob".to_owned())])
        .send()
        .await
        .expect("render");
    assert_eq!(fragment.status(), StatusCode::OK);
    assert_eq!(cache_control(&fragment), "private, no-store");
    let link = href_with(&fragment.text().await.expect("html"), "/resources/vcard");
    let vcard = client().get(link).send().await.expect("vcard");
    assert_eq!(vcard.status(), StatusCode::OK);
    assert_eq!(cache_control(&vcard), "private, no-store");
    let minimized = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(token("alice", &[]))
        .query(&[("p_p_state", "minimized")])
        .send()
        .await
        .expect("render");
    assert_eq!(cache_control(&minimized), "private, no-store");
    for path in ["/widgets", "/api/openapi.json", "/wsrp/v2/wsdl"] {
        let shared = client().get(server.url(path)).send().await.expect(path);
        assert_eq!(shared.status(), StatusCode::OK, "{path}");
        assert_eq!(cache_control(&shared), "no-cache", "{path}");
        // Checked again with its tag, it is unchanged, and not sent again.
        let tag = shared.headers()["etag"].clone();
        let again = client()
            .get(server.url(path))
            .header("if-none-match", tag.clone())
            .send()
            .await
            .expect(path);
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()["etag"], tag, "{path}");
        assert_eq!(cache_control(&again), "no-cache", "{path}");
        assert!(again.bytes().await.expect("body").is_empty(), "{path}");
        // Asked for only as a copy it no longer is, it is refused.
        let changed = client()
            .get(server.url(path))
            .header("if-match", "\"an older copy\"")
            .send()
            .await
            .expect(path);
        assert_eq!(changed.status(), StatusCode::PRECONDITION_FAILED, "{path}");
    }
    // The WSDL names the host it is fetched from: fetched by another name, its tag
    // differs, and a cache holding the first one gets the new bytes.
    let first = client()
        .get(server.url("/wsrp/v2/wsdl"))
        .header("host", "portal.example")
        .send()
        .await
        .expect("wsdl");
    let tag = first.headers()["etag"].clone();
    let elsewhere = client()
        .get(server.url("/wsrp/v2/wsdl"))
        .header("host", "other.example")
        .header("if-none-match", tag.clone())
        .send()
        .await
        .expect("wsdl");
    assert_eq!(elsewhere.status(), StatusCode::OK);
    assert_ne!(elsewhere.headers()["etag"], tag);
    assert!(
        elsewhere
            .text()
            .await
            .expect("wsdl")
            .contains("other.example")
    );
}

/// A request refused before the widget runs (an unknown action, a mode the
/// descriptor does not declare, a window state the host does not know, a body that
/// is not a form) brings its caller into nothing; an action the widget itself
/// refuses still does, since the token describes the caller, not the request.
#[tokio::test]
async fn only_requests_that_reach_the_widget_refresh_the_directory() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "alice", &[]).await;
    let widget = |path: &str| server.url(&format!("/widgets/{WIDGET}/{path}"));
    let as_mina = |call: reqwest::RequestBuilder| {
        call.bearer_auth(token("mina", &[]))
            .header("accept", "application/json")
            .send()
    };
    let unknown = as_mina(client().post(widget("actions/nope")))
        .await
        .expect("post");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    let help = as_mina(
        client()
            .get(widget("render"))
            .query(&[("p_p_mode", "help")]),
    )
    .await
    .expect("render");
    assert_eq!(help.status(), StatusCode::BAD_REQUEST);
    let state = as_mina(
        client()
            .get(widget("render"))
            .query(&[("p_p_state", "sideways")]),
    )
    .await
    .expect("render");
    assert_eq!(state.status(), StatusCode::BAD_REQUEST);
    let not_a_form = as_mina(
        client()
            .post(widget("actions/follow"))
            .header("content-type", "application/json")
            .body(r#"{"userId":"alice"}"#),
    )
    .await
    .expect("post");
    assert!(
        not_a_form.status().is_client_error(),
        "{}",
        not_a_form.status()
    );
    let (status, _) = act(&server, "alice", "follow", &[("userId", "mina")]).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "mina is not in the directory"
    );

    // Refused by the widget (nobody to follow): mina is in the directory now.
    let (status, _) = act(&server, "mina", "follow", &[("userId", "nobody")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, outcome) = act(&server, "alice", "follow", &[("userId", "mina")]).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
}

/// A resource about someone the directory does not hold answers 404, as an action
/// about them does, with the widget's own message.
#[tokio::test]
async fn resources_about_an_unknown_person_are_not_found() {
    let server = start(|c, _| with_consumer(c)).await;
    for resource in ["contact", "vcard"] {
        let response = client()
            .get(server.url(&format!("/widgets/{WIDGET}/resources/{resource}")))
            .bearer_auth(token("alice", &[]))
            .query(&[(format!("{NS}userId"), "ghost")])
            .send()
            .await
            .expect("resource");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{resource}");
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["message"], "the-user-could-not-be-found", "{resource}");
    }
    let (status, outcome) = act(&server, "alice", "follow", &[("userId", "ghost")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(outcome["message"], "the-user-could-not-be-found");
}

/// A refused export answers the widget's own key, which a portal's script may act on
/// (choose fewer people), not the generic invalid-request key beside its text.
#[tokio::test]
async fn a_refused_export_answers_its_own_key() {
    let server = start(|c, _| with_consumer(c)).await;
    let many: Vec<String> = (0..201).map(|n| format!("person{n}")).collect();
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/resources/vcard")))
        .bearer_auth(token("alice", &[]))
        .query(&[(format!("{NS}userIds"), many.join(","))])
        .send()
        .await
        .expect("resource");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["message"], "please-select-at-most-x-people", "{body}");
    assert_eq!(body["text"], "Please select at most 200 people.", "{body}");
}

/// A card's file is named in its person's own script, with an ASCII name beside it for
/// clients that read only that (RFC 6266).
#[tokio::test]
async fn a_vcard_is_named_in_its_persons_script() {
    let server = start(|c, _| with_consumer(c)).await;
    let profile = widget_host::portal::Profile {
        given_name: Some("太郎".into()),
        family_name: Some("山田".into()),
        ..Default::default()
    };
    let taro = widget_host::portal::auth::mint(
        common::CONSUMER,
        common::SECRET,
        "taro",
        &[],
        &profile,
        std::time::Duration::from_secs(600),
    )
    .expect("mint");
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(taro)
        .send()
        .await
        .expect("taro's render");
    assert_eq!(response.status(), StatusCode::OK);
    let (disposition, card) = vcard_as(
        &server,
        token("alice", &[]),
        vec![(format!("{NS}userId"), "taro".into())],
    )
    .await;
    assert!(card.contains("FN:山田太郎\r\n"), "{card}");
    assert_eq!(
        disposition,
        "attachment; filename=\"Shan_Tian_Tai_Lang.vcf\"; \
         filename*=UTF-8''%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E.vcf"
    );
}

#[tokio::test]
async fn guests_bad_tokens_and_hostile_names() {
    let server = start(|c, _| with_consumer(c)).await;
    let guest = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .send()
        .await
        .expect("render");
    assert_eq!(guest.status(), StatusCode::OK);
    let html = guest.text().await.expect("html");
    assert!(
        html.contains(Languages::shared().get(
            "en_US",
            "sign-in-to-see-your-contacts-and-connect-with-people"
        )),
        "{html}"
    );
    assert!(!html.contains("/actions/"), "guests get no action forms");
    // Edit mode, the administrators' configuration, is refused a guest: 403, in the
    // hint's words, with no page.
    let edit = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render?p_p_mode=edit")))
        .send()
        .await
        .expect("render");
    assert_eq!(edit.status(), StatusCode::FORBIDDEN);
    let refusal = edit.text().await.expect("body");
    assert!(
        refusal.contains(Languages::shared().get(
            "en_US",
            "sign-in-to-see-your-contacts-and-connect-with-people"
        )),
        "{refusal}"
    );

    let expired = {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_secs();
        // Two seconds past `exp` is expired: no leeway is given on it.
        let claims = serde_json::json!({"iss": common::CONSUMER, "sub": "alice", "exp": now - 2});
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(common::SECRET.as_bytes()),
        )
        .expect("encode")
    };
    let wrong_issuer = widget_host::portal::auth::mint(
        "someone-else",
        common::SECRET,
        "alice",
        &[],
        &Default::default(),
        std::time::Duration::from_secs(60),
    )
    .expect("mint");
    let wrong_signature = widget_host::portal::auth::mint(
        common::CONSUMER,
        "another-secret-that-is-long-enough-0123456789",
        "alice",
        &[],
        &Default::default(),
        std::time::Duration::from_secs(60),
    )
    .expect("mint");
    for bad in [expired, wrong_issuer, wrong_signature] {
        let render = client()
            .get(server.url(&format!("/widgets/{WIDGET}/render")))
            .bearer_auth(&bad)
            .send()
            .await
            .expect("render");
        assert_eq!(render.status(), StatusCode::UNAUTHORIZED);
        let action = client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/follow")))
            .bearer_auth(&bad)
            .send()
            .await
            .expect("post");
        assert_eq!(action.status(), StatusCode::UNAUTHORIZED);
    }

    // A person whose name holds markup and whose title holds CR/LF, arriving by the
    // token's profile claims (the user API also makes a line break a space, and
    // refuses a record with any other control character).
    let hostile = {
        let profile = widget_host::portal::Profile {
            given_name: Some("<script>alert(1)</script>".into()),
            family_name: Some("Evil\"'".into()),
            job_title: Some("Boss\r\nEMAIL:pwned@evil.example".into()),
            ..Default::default()
        };
        widget_host::portal::auth::mint(
            common::CONSUMER,
            common::SECRET,
            "mallory",
            &[],
            &profile,
            std::time::Duration::from_secs(60),
        )
        .expect("mint")
    };
    let first = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(&hostile)
        .send()
        .await
        .expect("render");
    assert_eq!(first.status(), StatusCode::OK);
    render(&server, "alice", &[]).await;
    let html = render(&server, "alice", &[("userId", "mallory")]).await;
    assert!(
        !html.contains("<script>alert(1)</script>"),
        "markup is escaped"
    );
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{html}"
    );
    let vcard = client()
        .get(server.url(&format!("/widgets/{WIDGET}/resources/vcard")))
        .bearer_auth(token("alice", &[]))
        .query(&[(format!("{NS}userId"), "mallory")])
        .send()
        .await
        .expect("vcard")
        .text()
        .await
        .expect("text");
    assert!(
        !vcard.lines().any(|l| l.starts_with("EMAIL:pwned")),
        "no injected property: {vcard}"
    );
    assert!(
        vcard.contains("TITLE:Boss EMAIL:pwned@evil.example\r\n"),
        "the line break became a space: {vcard}"
    );
    assert!(
        vcard.contains("FN:<script>alert(1)</script> Evil\"'\r\n"),
        "vCard text is not HTML-escaped: {vcard}"
    );
    server.stop().await;
}

/// `/metrics` counts the store's commits and the writes they made durable, so that an
/// operator sees a disk slowing down before actions time out; no write waits once
/// every action was answered.
#[tokio::test]
async fn metrics_count_the_commits_that_actions_wait_for() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["dana", "eli"] {
        render(&server, user, &[]).await;
    }
    let read = |text: &str, series: &str| common::exposition(text)[series];
    let before = common::metrics_text(&server).await;
    for action in ["follow", "connect"] {
        let (status, outcome) = act(&server, "eli", action, &[("userId", "dana")]).await;
        assert_eq!(status, StatusCode::OK, "{outcome}");
    }
    // Refused by the rules (a second request): the rules are read in the writer's
    // transaction, so it is a write that changes nothing, and counts.
    act(&server, "eli", "connect", &[("userId", "dana")]).await;
    let after = common::metrics_text(&server).await;
    let commits = "widget_host_store_commit_duration_seconds_count";
    let writes = "widget_host_store_committed_writes_total";
    assert_eq!(read(&after, writes) - read(&before, writes), 3.0, "{after}");
    // One after another, each waited for: a commit each.
    assert_eq!(
        read(&after, commits) - read(&before, commits),
        3.0,
        "{after}"
    );
    assert_eq!(
        read(
            &after,
            "widget_host_store_commit_duration_seconds_bucket{le=\"30.0\"}"
        ),
        read(&after, commits)
    );
    assert_eq!(read(&after, "widget_host_writes_in_flight"), 0.0, "{after}");
    // The disk's figures, and nothing failed.
    assert_eq!(read(&after, "widget_host_storage_failed"), 0.0, "{after}");
    assert_eq!(
        read(&after, "widget_host_descriptor_problems"),
        0.0,
        "{after}"
    );
    let file = std::fs::metadata(server.dir.path().join("data/widget-host.redb"))
        .expect("the database file")
        .len();
    assert_eq!(read(&after, "widget_host_database_file_bytes"), file as f64);
    // Read where the host can ask the kernel (Linux); left out elsewhere.
    #[cfg(target_os = "linux")]
    assert!(read(&after, "widget_host_database_disk_free_bytes") > 0.0);
    server.stop().await;
}

/// A reader whose region has no texts of its own reads its language's, with its own
/// region's numbers: Swiss German texts are Germany's, their counts Switzerland's;
/// in Lisbon four digits stay whole, where Brazil groups them.
#[tokio::test]
async fn numbers_follow_the_readers_region_where_the_texts_are_its_languages() {
    let server = start(|c, _| with_consumer(c)).await;
    for (language, limit) in [
        // The apostrophe escaped, as every text in markup is.
        ("de_CH", "Sie können bis zu 1&#x27;000 Kontakte speichern."),
        ("de_DE", "Sie können bis zu 1.000 Kontakte speichern."),
        ("pt_PT", "Você pode manter até 1000 contatos."),
        ("pt_BR", "Você pode manter até 1.000 contatos."),
    ] {
        let query = [
            ("languageId".to_owned(), language.to_owned()),
            (
                format!("{NS}message"),
                "you-cannot-add-more-contacts".to_owned(),
            ),
        ];
        let html = render_query(&server, "alice", &query).await;
        assert!(html.contains(limit), "{language}: {html}");
    }
    server.stop().await;
}

async fn snapshots(server: &TestServer) -> u64 {
    let text = common::metrics_text(server).await;
    text.lines()
        .find_map(|l| l.strip_prefix("widget_host_read_snapshots_total "))
        .and_then(|n| n.trim().parse().ok())
        .expect("snapshot counter in /metrics")
}

/// Over HTTP, a render in the steady state (claims already applied) opens exactly one
/// read transaction: the widget's.
#[tokio::test]
async fn a_steady_render_takes_one_read_snapshot() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "alice", &[]).await;
    for params in [
        vec![],
        vec![("filter", "connections")],
        vec![("keywords", "giv")],
    ] {
        let before = snapshots(&server).await;
        render(&server, "alice", &params).await;
        assert_eq!(snapshots(&server).await - before, 1, "{params:?}");
    }
    server.stop().await;
}

/// After a restart the host knows no one's claims: a person's first render compares
/// them with the directory (a read of its own, on the render thread just before the
/// render), finds nothing to write, and remembers them, so the next render is steady.
#[tokio::test]
async fn a_first_render_after_a_restart_checks_the_claims_once() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "alice", &[]).await;
    let dir = server.stop_keeping_data().await;
    let server = common::start_in(dir, |c, _| with_consumer(c)).await;
    let before = snapshots(&server).await;
    let first = render(&server, "alice", &[]).await;
    assert!(first.contains("contacts-center"), "{first}");
    assert_eq!(
        snapshots(&server).await - before,
        2,
        "the check and the render"
    );
    let before = snapshots(&server).await;
    render(&server, "alice", &[]).await;
    assert_eq!(snapshots(&server).await - before, 1, "remembered");
    server.stop().await;
}

/// Behind a reverse proxy or an SSO gateway every browser request may carry the
/// gateway's own `Authorization: Basic`: it is not the host's, and the form's `p_auth`
/// still proves the browser. A Bearer header that fails is 401 even beside a good
/// `p_auth`, and changes nothing.
#[tokio::test]
async fn a_gateways_basic_header_leaves_the_form_to_its_p_auth() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let detail = render(&server, "alice", &[("userId", "bob")]).await;
    let (url, fields) = form_for(&detail, "follow");
    for bad in ["Bearer not-a-jwt", "Bearer", "bearer   "] {
        let refused = client()
            .post(&url)
            .header("authorization", bad)
            .form(&fields)
            .send()
            .await
            .expect("post");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED, "{bad:?}");
        assert!(contacts(&server, "alice", "following").await.is_empty());
    }
    let basic = client()
        .post(&url)
        .header("authorization", "Basic dXNlcjpwdw==")
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(basic.status(), StatusCode::SEE_OTHER);
    assert_eq!(contacts(&server, "alice", "following").await, ["bob"]);
    // A portal's Bearer after the gateway's Basic is still the caller.
    let both = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/unfollow")))
        .header("authorization", "Basic dXNlcjpwdw==")
        .header("authorization", format!("Bearer {}", token("alice", &[])))
        .header("accept", "application/json")
        .form(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(both.status(), StatusCode::OK);
    assert!(contacts(&server, "alice", "following").await.is_empty());
    // Two Bearer tokens are nobody's: refused, whichever is whose, and nothing done.
    let two = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/follow")))
        .header("authorization", format!("Bearer {}", token("alice", &[])))
        .header("authorization", format!("Bearer {}", token("alice", &[])))
        .header("accept", "application/json")
        .form(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(two.status(), StatusCode::UNAUTHORIZED);
    assert!(contacts(&server, "alice", "following").await.is_empty());
    // A render behind the gateway is a guest's, not a refusal.
    let guest = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .header("authorization", "Basic dXNlcjpwdw==")
        .send()
        .await
        .expect("render");
    assert_eq!(guest.status(), StatusCode::OK);
}

/// Renders wait for the render pool's places and actions for write slots: many of
/// both in flight together all finish, and every action is there afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renders_and_actions_in_flight_together_all_finish() {
    let server = std::sync::Arc::new(start(|c, _| with_consumer(c)).await);
    let people: Vec<String> = (0..16).map(|i| format!("crowd{i}")).collect();
    // First renders bring each person into the directory from their claims.
    for p in &people {
        render(&server, p, &[]).await;
    }
    let renders = widget_host::http::state::render_slots() * 4;
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..renders {
        let (server, who) = (server.clone(), people[i % people.len()].clone());
        tasks.spawn(async move {
            let html = render(&server, &who, &[("filter", "all")]).await;
            assert!(html.contains("contacts-center"), "{html}");
        });
    }
    for (i, who) in people.iter().enumerate() {
        let (server, who) = (server.clone(), who.clone());
        let next = people[(i + 1) % people.len()].clone();
        tasks.spawn(async move {
            let (status, outcome) = act(&server, &who, "follow", &[("userId", &next)]).await;
            assert_eq!(status, StatusCode::OK, "{outcome}");
        });
    }
    let deadline = std::time::Duration::from_secs(60);
    tokio::time::timeout(deadline, async {
        while let Some(done) = tasks.join_next().await {
            done.expect("request task");
        }
    })
    .await
    .expect("every request finished");
    for (i, who) in people.iter().enumerate() {
        let next = &people[(i + 1) % people.len()];
        assert_eq!(
            contacts(&server, who, "following").await,
            vec![next.clone()]
        );
    }
    if let Ok(server) = std::sync::Arc::try_unwrap(server) {
        server.stop().await;
    }
}

/// The relationship an action answers with is the contract's seven booleans, read from
/// the acting user's side, and is left out when the person acted on does not exist.
#[tokio::test]
async fn action_answers_carry_the_seven_booleans_from_the_actors_side() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["dana", "eli"] {
        render(&server, user, &[]).await;
    }
    act(&server, "eli", "follow", &[("userId", "dana")]).await;
    act(&server, "eli", "connect", &[("userId", "dana")]).await;
    let (status, outcome) = act(&server, "dana", "follow", &[("userId", "eli")]).await;
    assert_eq!(status, StatusCode::OK, "{outcome}");
    let r = seven_booleans(&outcome);
    let flags = |names: &[&str]| names.iter().map(|n| r[*n].as_bool()).collect::<Vec<_>>();
    assert_eq!(
        flags(&["following", "followedBy", "connectionRequestReceived"]),
        [Some(true); 3],
        "{outcome}"
    );
    assert_eq!(
        flags(&["connected", "connectionRequested", "blocking", "blockedBy"]),
        [Some(false); 4],
        "{outcome}"
    );

    let (_, outcome) = act(&server, "eli", "block", &[("userId", "dana")]).await;
    let (_, outcome_of_dana) = act(&server, "dana", "unfollow", &[("userId", "eli")]).await;
    assert_eq!(outcome["relationship"]["blocking"], true, "{outcome}");
    assert_eq!(
        outcome_of_dana["relationship"]["blockedBy"], true,
        "{outcome_of_dana}"
    );

    let (status, outcome) = act(&server, "dana", "follow", &[("userId", "nobody")]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{outcome}");
    // Nobody to have a relationship with: the key is there, and null.
    assert!(
        outcome.get("relationship").is_some_and(Value::is_null),
        "{outcome}"
    );
}

#[tokio::test]
async fn a_request_with_too_many_parameters_is_refused_and_changes_nothing() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let max = widget_host::http::widget_routes::MAX_PARAMS;
    assert_eq!(max, 1_000, "the README's figure");
    // `max` pairs in all: the action and `max - 1` fillers go through.
    let mut form: Vec<(String, String)> = vec![(format!("{NS}userId"), "bob".into())];
    form.extend((1..max).map(|i| (format!("filler{i}"), String::new())));
    // Alice follows with `form`; the path may add a query.
    let follow = |path: &'static str| {
        client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/{path}")))
            .bearer_auth(token("alice", &[]))
            .header("accept", "application/json")
            .form(&form)
            .send()
    };
    let response = follow("follow").await.expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(contacts(&server, "alice", "following").await, ["bob"]);
    let (_, outcome) = act(&server, "alice", "unfollow", &[("userId", "bob")]).await;
    assert_eq!(outcome["ok"], true, "{outcome}");

    // One pair more, here in the query, and the request is refused before it runs.
    let response = follow("follow?one=more").await.expect("post");
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let following = contacts(&server, "alice", "following").await;
    assert!(following.is_empty(), "{following:?}");
    // A flood of empty pairs gets the same answer once its credentials hold; before
    // that it is refused for them, as any call is (a guest 403, a token past its
    // `exp` 401). One past the action body limit (64 KiB) is not even read.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"iss": common::CONSUMER, "sub": "alice", "exp": now - 60}),
        &jsonwebtoken::EncodingKey::from_secret(common::SECRET.as_bytes()),
    )
    .expect("encode");
    let alice = token("alice", &[]);
    for (pairs, bearer, status) in [
        (20_000, Some(&alice), StatusCode::BAD_REQUEST),
        (20_000, None, StatusCode::FORBIDDEN),
        (20_000, Some(&expired), StatusCode::UNAUTHORIZED),
        (max + 1, None, StatusCode::FORBIDDEN),
        // Just over: a body far over could meet a reset rather than the answer.
        (22_000, None, StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        // Naming Bob, so that only the count refuses it where the token holds.
        let mut request = client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/follow")))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("{NS}userId=bob&{}", "a=&".repeat(pairs)));
        if let Some(bearer) = bearer {
            request = request.bearer_auth(bearer);
        }
        let response = request.send().await.expect("post");
        assert_eq!(
            response.status(),
            status,
            "{pairs} pairs, a token: {}",
            bearer.is_some()
        );
    }
    assert!(contacts(&server, "alice", "following").await.is_empty());
}

/// An action's own parameters that do not decode to UTF-8 (a form sent as Latin-1, a
/// character cut in two, in the body or the query) are refused and change nothing,
/// where they reached the widget with U+FFFD in place of what was sent. The portal's
/// parameters, and a render's, keep the lossy reading: a refusal would take the
/// widget off the page for a value it never saves. A caller without credentials is
/// refused for that first.
#[tokio::test]
async fn parameters_that_are_not_utf8_are_refused_and_change_nothing() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let post = |query: &'static str, body: Vec<u8>| {
        client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/follow{query}")))
            .bearer_auth(token("alice", &[]))
            .header("accept", "application/json")
            .header(
                "content-type",
                "application/x-www-form-urlencoded; charset=ISO-8859-1",
            )
            .body(body)
            .send()
    };
    let bob = format!("{NS}userId=bob").into_bytes();
    let note = |value: &[u8]| [bob.as_slice(), b"&", NS.as_bytes(), b"note=", value].concat();
    for (query, body) in [
        ("", note(b"Jos%E9")),
        ("", note(b"Jos\xE9")),
        ("", note(b"%F0%9F%98")),
        ("", [bob.as_slice(), b"&p_auth=%E9"].concat()),
        ("?_contacts_center_note=%FF", bob.clone()),
    ] {
        let response = post(query, body.clone()).await.expect("post");
        assert_eq!(
            response.status(),
            StatusCode::BAD_REQUEST,
            "{query} {}",
            String::from_utf8_lossy(&body)
        );
        assert!(contacts(&server, "alice", "following").await.is_empty());
    }
    let response = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/follow")))
        .header("accept", "application/json")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(note(b"Jos%E9"))
        .send()
        .await
        .expect("post");
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "no credentials first"
    );
    let response = post(
        "?p_l_url=https%3A%2F%2Fportal.example.com%2Fsearch%3Fq%3Dcaf%25E9&other=%E9",
        note(b"Jos%C3%A9+%F0%9F%98%80"),
    )
    .await
    .expect("post");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(contacts(&server, "alice", "following").await, ["bob"]);
    let response = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render?{NS}keywords=Jos%E9")))
        .bearer_auth(token("alice", &[]))
        .send()
        .await
        .expect("render");
    assert_eq!(
        response.status(),
        StatusCode::OK,
        "a render reads it as it can"
    );
}

/// Links and the redirect after an action keep the page's language as the host
/// knows it, in Liferay's form; a value it cannot read is not copied into them.
#[tokio::test]
async fn links_keep_the_language_in_liferays_form_or_not_at_all() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "bob", &[]).await;
    let unknown = format!("zz{}", "%".repeat(2_000));
    for (given, kept) in [
        ("de-de", Some("languageId=de_DE")),
        ("pt_BR", Some("languageId=pt_BR")),
        ("en-gb", Some("languageId=en_GB")),
        (unknown.as_str(), None),
    ] {
        let query = [("languageId".to_owned(), given.to_owned())];
        let html = render_query(&server, "alice", &query).await;
        let location = client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/follow")))
            .query(&query)
            .bearer_auth(token("alice", &[]))
            .form(&[(format!("{NS}userId"), "bob")])
            .send()
            .await
            .expect("post")
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .expect("a redirect");
        let carried = |text: &str| text.matches("languageId=").count();
        match kept {
            Some(kept) => {
                assert!(
                    html.contains(kept) && location.contains(kept),
                    "{given}: {location}"
                );
                assert_eq!(carried(&html), html.matches(kept).count(), "{given}");
            }
            None => {
                assert_eq!((carried(&html), carried(&location)), (0, 0), "{location}");
                for text in [&html, &location] {
                    assert!(
                        !text.contains("zz%%") && !text.contains("zz%25%25"),
                        "{text}"
                    );
                }
                assert!(location.len() < 500, "{location}");
            }
        }
    }
}

/// A language the portal's token chose (`locale`, no `languageId`) is kept in the
/// fragment's links and forms as `languageId`: the browser's action that follows
/// carries no token, and was answered in its own Accept-Language.
#[tokio::test]
async fn the_tokens_language_is_kept_in_links_and_forms() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "bob", &[]).await;
    let profile = widget_host::portal::Profile {
        locale: Some("es_ES".into()),
        ..Default::default()
    };
    let spanish = widget_host::portal::auth::mint(
        common::CONSUMER,
        common::SECRET,
        "alice",
        &[],
        &profile,
        std::time::Duration::from_secs(300),
    )
    .expect("token");
    let in_language = |html: &str, id: &str| {
        // Each form the browser posts (with its p_auth, without a token) names it, and
        // so does each link that names a language at all.
        let forms = html.matches("<form ").count();
        let kept = format!("<input type=\"hidden\" name=\"languageId\" value=\"{id}\">");
        let linked = format!("languageId={id}");
        forms > 0
            && html.matches(&kept).count() == forms
            && html.matches(&linked).count() > 0
            && html.matches("languageId=").count() == html.matches(&linked).count()
    };
    let render = |query: String| {
        let call = client()
            .get(server.url(&format!("/widgets/{WIDGET}/render?{query}")))
            .bearer_auth(&spanish)
            .header("accept-language", "en");
        async move {
            call.send()
                .await
                .expect("render")
                .text()
                .await
                .expect("html")
        }
    };
    let html = render(format!("{NS}userId=bob")).await;
    assert!(html.contains(" lang=\"es-ES\""), "{html}");
    assert!(in_language(&html, "es_ES"), "{html}");
    // A language the portal named is its page's, even one the widgets have no texts
    // for: the fragment is in the token's, but its links never switch the page.
    for (named, kept) in [("ca_ES", None), ("zz", None), ("zh_TW", Some("zh_TW"))] {
        let html = render(format!("languageId={named}&{NS}userId=bob")).await;
        assert!(html.contains(" lang=\"es-ES\""), "{named}: {html}");
        assert!(!html.contains("languageId=es_ES"), "{named}: {html}");
        assert!(!html.contains("value=\"es_ES\""), "{named}: {html}");
        if let Some(kept) = kept {
            assert!(in_language(&html, kept), "{named}: {html}");
        }
    }
    // The form's own fields, posted as the browser posts them (its p_auth, no token,
    // an English browser), are answered in the token's language.
    let html = render(format!("{NS}userId=bob")).await;
    let form = html
        .split("<form ")
        .find(|f| f.contains("/actions/follow"))
        .unwrap_or_else(|| panic!("a follow form: {html}"));
    let action = form
        .split("action=\"")
        .nth(1)
        .and_then(|a| a.split('"').next())
        .expect("action")
        .replace("&amp;", "&");
    let fields: Vec<(String, String)> = form
        .split("<input type=\"hidden\" name=\"")
        .skip(1)
        .filter_map(|f| {
            let (name, rest) = f.split_once("\" value=\"")?;
            Some((
                name.to_owned(),
                rest.split('"').next()?.replace("&amp;", "&"),
            ))
        })
        .collect();
    let answer = client()
        .post(&action)
        .header("accept", "application/json")
        .header("accept-language", "en")
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::OK, "{fields:?}");
    let said: Value = answer.json().await.expect("json");
    assert_eq!(said["message"], "you-are-now-following-this-user", "{said}");
    let spanish_text = Languages::shared().get("es_ES", "you-are-now-following-this-user");
    assert_ne!(
        spanish_text,
        Languages::shared().get("en_US", "you-are-now-following-this-user")
    );
    assert_eq!(said["text"], spanish_text, "{said}");
    // A page whose address names its language keeps that one in its links.
    let page = format!("{PORTAL_ORIGIN}/home?languageId=de_DE");
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("p_l_url", &page)
        .append_pair(&format!("{NS}userId"), "bob")
        .finish();
    let html = render(query).await;
    assert!(html.contains("/home?languageId=de_DE&amp;"), "{html}");
    assert!(!html.contains("languageId=es_ES"), "{html}");
    // A request naming its own language keeps that one.
    let html = render(format!("languageId=de_DE&{NS}userId=bob")).await;
    assert!(html.contains(" lang=\"de-DE\""), "{html}");
    assert!(in_language(&html, "de_DE"), "{html}");
    assert!(!html.contains("es_ES"), "{html}");
}

/// The language the host chose travels twice, the same: as `Content-Language` for a
/// portal that reads headers, and as the fragment root's `lang` for one that
/// aggregates fragments into a page of its own language.
#[tokio::test]
async fn the_fragment_and_its_header_name_the_same_language() {
    let server = start(|c, _| with_consumer(c)).await;
    // The root's `data-locale` is the reader's own form of that language, for dates.
    for (query, accepted, expected, dates) in [
        ("", "pt-BR,pt;q=0.9,en;q=0.5", "pt-BR", "pt-BR"),
        ("?languageId=de_DE", "pt-BR", "de-DE", "de-DE"),
        ("?languageId=xx_YY", "", "en-US", "en-US"),
        ("?languageId=en_GB", "de-DE", "en-US", "en-GB"),
        ("", "en-AU,de;q=0.5", "en-US", "en-AU"),
    ] {
        let mut call = client()
            .get(server.url(&format!("/widgets/{WIDGET}/render{query}")))
            .bearer_auth(token("alice", &[]));
        if !accepted.is_empty() {
            call = call.header("accept-language", accepted);
        }
        let response = call.send().await.expect("render");
        assert_eq!(response.status(), StatusCode::OK);
        let header = response
            .headers()
            .get("content-language")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        assert_eq!(header.as_deref(), Some(expected), "{query} {accepted}");
        let html = response.text().await.expect("html");
        let root = html.trim_start().split('>').next().unwrap_or_default();
        assert!(
            root.starts_with("<div ")
                && root.contains(&format!(
                    " lang=\"{expected}\" dir=\"ltr\" data-locale=\"{dates}\""
                )),
            "{query} {accepted}: {root}"
        );
    }
}

/// A body that is not a form is refused after the checks the contract puts first: an
/// unknown action is 404 and a caller without credentials 403 whatever it sent; a
/// caller with them gets 415, and nothing changes. The form type is matched in any
/// case, and a type that only begins like it, or is not text, is not a form.
#[tokio::test]
async fn a_body_that_is_not_a_form_is_refused_after_the_contracts_checks() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "bob", &[]).await;
    let post = |path: &str, content_type: &[u8], bearer: bool| {
        let call = client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/{path}")))
            .header("accept", "application/json")
            .header(
                "content-type",
                reqwest::header::HeaderValue::from_bytes(content_type).expect("header"),
            )
            .body(format!("_{WIDGET}_userId=bob"));
        if bearer {
            call.bearer_auth(token("alice", &[]))
        } else {
            call
        }
    };
    let status =
        |call: reqwest::RequestBuilder| async move { call.send().await.expect("send").status() };
    for (path, bearer, expected) in [
        ("launch-rockets", true, StatusCode::NOT_FOUND),
        ("launch-rockets", false, StatusCode::NOT_FOUND),
        ("follow", false, StatusCode::FORBIDDEN),
        ("follow", true, StatusCode::UNSUPPORTED_MEDIA_TYPE),
    ] {
        for content_type in [
            &b"text/plain"[..],
            b"application/json",
            b"application/x-www-form-urlencodedx",
            b"application/x-www-form-urlencoded\xff",
        ] {
            assert_eq!(
                status(post(path, content_type, bearer)).await,
                expected,
                "{path} {} bearer {bearer}",
                String::from_utf8_lossy(content_type)
            );
        }
    }
    // A page's own form, its `p_auth` included, sent as another type: the token is
    // in a body the host does not read, so the call has no credentials.
    let (url, fields) = form_for(
        &render(&server, "alice", &[("userId", "bob")]).await,
        "follow",
    );
    let as_text = client()
        .post(&url)
        .header("content-type", "text/plain")
        .body(
            form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&fields)
                .finish(),
        );
    assert_eq!(status(as_text).await, StatusCode::FORBIDDEN);
    assert!(contacts(&server, "alice", "following").await.is_empty());
    // A form in a content coding is a form the host cannot read: 415, nothing done.
    for coding in ["gzip", "identity, br"] {
        let coded = post("follow", b"application/x-www-form-urlencoded", true)
            .header("content-encoding", coding);
        assert_eq!(
            status(coded).await,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "{coding}"
        );
    }
    assert!(contacts(&server, "alice", "following").await.is_empty());
    let plain = post("follow", b"application/x-www-form-urlencoded", true)
        .header("content-encoding", "identity");
    assert_eq!(status(plain).await, StatusCode::OK);
    assert_eq!(contacts(&server, "alice", "following").await, ["bob"]);
    let undone = post("unfollow", b"application/x-www-form-urlencoded", true);
    assert_eq!(status(undone).await, StatusCode::OK);
    assert!(contacts(&server, "alice", "following").await.is_empty());
    // An action the widget does not have is 404 before its body is read, even one
    // past the 64 KiB an action's form may hold (a known action's is 413).
    let large = |path: &str| {
        client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/{path}")))
            .header("accept", "application/json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("_{WIDGET}_userId={}", "b".repeat(70_000)))
    };
    assert_eq!(status(large("launch-rockets")).await, StatusCode::NOT_FOUND);
    assert_eq!(status(large("follow")).await, StatusCode::PAYLOAD_TOO_LARGE);
    // An empty body is no form to refuse, whatever its type says.
    let empty = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/follow?{NS}userId=bob")))
        .header("content-type", "application/json")
        .header("accept", "application/json")
        .bearer_auth(token("alice", &[]));
    assert_eq!(status(empty).await, StatusCode::OK);
    assert_eq!(contacts(&server, "alice", "following").await, ["bob"]);
    for content_type in [
        &b"Application/X-WWW-Form-URLEncoded"[..],
        b"application/x-www-form-urlencoded; charset=UTF-8",
        b"application/x-www-form-urlencoded\t;charset=UTF-8",
    ] {
        assert_eq!(
            status(post("unfollow", content_type, true)).await,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(content_type)
        );
        assert_eq!(
            status(post("follow", content_type, true)).await,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(content_type)
        );
        assert_eq!(contacts(&server, "alice", "following").await, ["bob"]);
    }
}

/// An action or resource the widget does not have is not found, with or without
/// credentials (DESIGN: unknown action → 404); one it has still wants them.
#[tokio::test]
async fn unknown_actions_and_resources_are_not_found_whoever_asks() {
    let server = start(|c, _| with_consumer(c)).await;
    for (widget, path) in [
        (WIDGET, "actions/launch-rockets"),
        (WIDGET, "resources/secrets"),
        ("notifications", "actions/follow"),
        ("notifications", "resources/vcard"),
    ] {
        let url = server.url(&format!("/widgets/{widget}/{path}"));
        for bearer in [None, Some(token("alice", &[]))] {
            let call = if path.starts_with("actions/") {
                client()
                    .post(&url)
                    .header("accept", "application/json")
                    .form(&[("x", "y")])
            } else {
                client().get(&url)
            };
            let call = match &bearer {
                Some(t) => call.bearer_auth(t),
                None => call,
            };
            let response = call.send().await.expect("send");
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{widget} {path} with credentials: {}",
                bearer.is_some()
            );
            let body: Value = response.json().await.expect("json");
            assert_eq!(body["message"], "the-requested-resource-could-not-be-found");
        }
    }
    for path in ["actions/follow", "resources/vcard"] {
        let url = server.url(&format!("/widgets/{WIDGET}/{path}"));
        let call = if path.starts_with("actions/") {
            client().post(&url).form(&[("x", "y")])
        } else {
            client().get(&url)
        };
        let response = call.send().await.expect("send");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
}

/// With `public_url` set, the fragment's forms, resource links and render links (no
/// `p_l_url`) and the WSDL's addresses name that origin, whatever Host the request
/// came with: behind a proxy the Host is the proxy's view, not the browser's.
#[tokio::test]
async fn public_url_names_the_host_in_forms_links_and_the_wsdl() {
    const PUBLIC: &str = "https://widgets.example.com";
    let server = start(|c, _| {
        with_consumer(c);
        c.public_url = Some(format!("{PUBLIC}/"));
    })
    .await;
    let page = |user: &'static str| {
        client()
            .get(server.url(&format!("/widgets/{WIDGET}/render")))
            .bearer_auth(token(user, &[]))
            .header("host", "internal-name:9000")
            .send()
    };
    // Bob's first render brings him into the directory, so Alice's lists him.
    assert_eq!(page("bob").await.expect("render").status(), StatusCode::OK);
    let html = page("alice")
        .await
        .expect("render")
        .text()
        .await
        .expect("html");
    assert!(
        html.contains(&format!(
            "formaction=\"{PUBLIC}/widgets/{WIDGET}/actions/follow\""
        )),
        "{html}"
    );
    // Forms' `action` and buttons' `formaction` alike.
    let actions: Vec<&str> = html
        .split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(actions.len() > 4, "{html}");
    for action in actions {
        assert!(action.starts_with(PUBLIC), "{action}");
    }
    let links: Vec<String> = html
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|link| link.contains("/widgets/"))
        .map(unescape)
        .collect();
    assert!(links.len() > 3, "{html}");
    for link in &links {
        assert!(
            link.starts_with(&format!("{PUBLIC}/widgets/{WIDGET}/")),
            "{link}"
        );
    }
    assert!(!html.contains("internal-name"), "{html}");
    let wsdl = client()
        .get(server.url("/wsrp/v2/wsdl"))
        .header("host", "internal-name:9000")
        .send()
        .await
        .expect("wsdl")
        .text()
        .await
        .expect("wsdl text");
    assert!(
        wsdl.contains(&format!("location=\"{PUBLIC}/wsrp/v2/markup\"")),
        "{wsdl}"
    );
    assert!(!wsdl.contains("internal-name"), "{wsdl}");
    server.stop().await;
}

/// A consumer that names no `allowed_origins` vouches, with its token, for the page
/// URL it sends: the fragment's links point to `p_l_url` (DESIGN section 3). A
/// consumer that names origins gets links to its page only on them. (A guest's render
/// has no links at all to test the page's on.)
#[tokio::test]
async fn a_consumer_without_origins_gets_links_to_the_page_it_sends() {
    const PAGE: &str = "https://intranet.example.org/web/guest/people";
    let server = start(|c, _| {
        with_consumer(c);
        c.consumers[0].allowed_origins.clear();
    })
    .await;
    let page_links = |html: &str| -> Vec<String> {
        html.split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .filter(|link| link.contains("filter="))
            .map(unescape)
            .collect()
    };
    let with = |user: &str| {
        client()
            .get(server.url(&format!("/widgets/{WIDGET}/render")))
            .query(&[("p_l_url", PAGE)])
            .bearer_auth(token(user, &[]))
            .send()
    };
    let html = with("alice")
        .await
        .expect("render")
        .text()
        .await
        .expect("html");
    let links = page_links(&html);
    assert!(links.len() > 3, "{html}");
    // Each lands on the placement, by its root's id, not on the top of the page.
    let root = format!("{NS}contacts-center");
    assert!(html.contains(&format!("id=\"{root}\"")), "{html}");
    for link in &links {
        assert!(link.starts_with(&format!("{PAGE}?")), "{link}");
        assert!(link.ends_with(&format!("#{root}")), "{link}");
    }
    // So does the search, a GET form whose submission keeps its action's fragment.
    assert!(
        html.contains(&format!("method=\"get\" action=\"{PAGE}#{root}\"")),
        "{html}"
    );
    // A card's Back lands on the row the card was opened from, not on the root.
    let on_page_with = |name: &str| {
        let query = [
            ("p_l_url".to_owned(), PAGE.to_owned()),
            (format!("{NS}{name}"), "alice".to_owned()),
        ];
        let server = &server;
        async move { render_query(server, "alice", &query).await }
    };
    let card = on_page_with("userId").await;
    let back = card.find(&format!("id=\"{NS}back\"")).expect("Back");
    let href = card[..back]
        .rsplit("href=\"")
        .next()
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("Back's address");
    assert!(
        href.starts_with(&format!("{PAGE}?"))
            && href.ends_with(&format!("{NS}from=alice#{NS}returned")),
        "{href}"
    );
    let list = on_page_with("from").await;
    assert!(
        list.contains(&format!(
            "<li class=\"list-group-item list-group-item-flex\" id=\"{NS}returned\">"
        )),
        "{list}"
    );
    // A page URL past the bound is passed over: the page would carry it fifty times.
    let long = format!(
        "{PAGE}?q={}",
        "x".repeat(widget_host::http::native::MAX_PAGE_URL_BYTES)
    );
    let html = render_query(&server, "alice", &[("p_l_url".to_owned(), long)]).await;
    assert!(!html.contains("intranet.example.org"), "{html}");
    assert!(page_links(&html).len() > 3, "{html}");
    server.stop().await;

    // Origins named: a page elsewhere is not linked to.
    let server = start(|c, _| with_consumer(c)).await;
    let html = render_query(&server, "alice", &[("p_l_url".to_owned(), PAGE.to_owned())]).await;
    assert!(!html.contains("intranet.example.org"), "{html}");
    assert!(!page_links(&html).is_empty(), "{html}");
    server.stop().await;
}

/// A host whose consumers come from `toml`, read and checked as `--config FILE` is.
async fn start_with_config_file(toml: &str) -> TestServer {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("host.toml");
    std::fs::write(&file, toml).expect("write the configuration");
    let loaded = widget_host::config::Config::load(
        Some(&file),
        Vec::new(),
        &widget_host::config::Overrides::default(),
    )
    .unwrap_or_else(|e| panic!("the host refused its configuration: {e}"));
    common::start_in(dir, |c, _| c.consumers = loaded.consumers).await
}

/// A JWT of `consumer`, signed with `secret`, for `user`.
fn consumer_token(consumer: &str, secret: &str, user: &str) -> String {
    let profile = widget_host::portal::Profile {
        given_name: Some(format!("Given{user}")),
        ..Default::default()
    };
    widget_host::portal::auth::mint(
        consumer,
        secret,
        user,
        &[],
        &profile,
        std::time::Duration::from_secs(600),
    )
    .expect("mint")
}

/// DESIGN sets no length for a consumer's secret, and acceptance setups use short ones:
/// the host starts with `hs256_secret = "test-secret"` (warning of it in the log) and
/// its tokens sign people in.
#[tokio::test]
async fn a_consumer_with_a_short_secret_starts_and_signs_people_in() {
    let server = start_with_config_file(
        "[[consumers]]\nid = \"acceptance\"\nhs256_secret = \"test-secret\"\n",
    )
    .await;
    let as_user = |user: &str| consumer_token("acceptance", "test-secret", user);
    for user in ["alice", "bob"] {
        let answer = client()
            .get(server.url(&format!("/widgets/{WIDGET}/render")))
            .bearer_auth(as_user(user))
            .send()
            .await
            .expect("render");
        assert_eq!(answer.status(), StatusCode::OK);
    }
    let detail = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth(as_user("alice"))
        .query(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("render")
        .text()
        .await
        .expect("html");
    // Only a signed-in viewer gets forms.
    form_for(&detail, "follow");
    let followed = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/follow")))
        .bearer_auth(as_user("alice"))
        .header("accept", "application/json")
        .form(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(followed.status(), StatusCode::OK);
    let outcome: Value = followed.json().await.expect("json");
    assert_eq!(outcome["relationship"]["following"], true, "{outcome}");
    server.stop().await;
}

/// The `href` of the first link in `html` whose address contains `part`, as a browser
/// reads it.
fn href_with(html: &str, part: &str) -> String {
    html.match_indices("href=\"")
        .map(|(at, marker)| {
            let start = at + marker.len();
            unescape(&html[start..start + html[start..].find('"').expect("link end")])
        })
        .find(|href| href.contains(part))
        .unwrap_or_else(|| panic!("no link to {part} in {html}"))
}

/// A card's vCard link holds for that card only: its `p_auth` is bound to the link's
/// own parameters, so a link someone pasted elsewhere (or a proxy logged) cannot be
/// turned into the export of its viewer's whole network, nor of another card.
#[tokio::test]
async fn a_vcard_link_cannot_be_rewritten_into_another_export() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob", "carol"] {
        render(&server, user, &[]).await;
    }
    let card_rendered = unix_now();
    let detail = render(&server, "alice", &[("userId", "bob")]).await;
    let card_rendered = card_rendered..=unix_now();
    let link = href_with(&detail, "/resources/vcard");
    let get = |url: String| async move { client().get(url).send().await.expect("vcard") };
    let card = get(link.clone()).await;
    assert_eq!(card.status(), StatusCode::OK, "{link}");
    assert!(
        card.text()
            .await
            .expect("text")
            .contains("FN:Givenbob Familybob")
    );
    let own = format!("{NS}userId=bob");
    assert!(link.contains(&own), "{link}");
    for rewritten in [
        link.replace(&own, &format!("{NS}filter=connections")),
        link.replace(&own, &format!("{NS}userId=carol")),
        format!("{link}&{NS}filter=connections"),
        format!("{link}&{NS}version=4.0"),
    ] {
        let refused = get(rewritten.clone()).await;
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{rewritten}");
        let body = refused.text().await.expect("text");
        assert!(!body.contains("BEGIN:VCARD"), "{body}");
    }
    // The parameters in another order are the same link.
    let (head, query) = link.split_once('?').expect("a query");
    let mut pairs: Vec<&str> = query.split('&').collect();
    pairs.reverse();
    let reordered = format!("{head}?{}", pairs.join("&"));
    assert_eq!(get(reordered).await.status(), StatusCode::OK);

    // The connections list's export link holds for the export it names.
    act(&server, "alice", "connect", &[("userId", "carol")]).await;
    let asked = notifications(&server, "carol").await;
    let request = asked["items"][0]["requestId"].to_string();
    act(
        &server,
        "carol",
        "accept-request",
        &[("requestId", &request)],
    )
    .await;
    let list_rendered = unix_now();
    let list = render(&server, "alice", &[("filter", "connections")]).await;
    let list_rendered = list_rendered..=unix_now();
    let export = href_with(&list, "/resources/vcard");
    assert!(
        export.contains(&format!("{NS}filter=connections")),
        "{export}"
    );
    let file = get(export.clone()).await;
    assert_eq!(file.status(), StatusCode::OK, "{export}");
    assert!(
        file.text()
            .await
            .expect("text")
            .contains("FN:Givencarol Familycarol")
    );
    let one = export.replace(
        &format!("{NS}filter=connections"),
        &format!("{NS}userId=bob"),
    );
    assert_eq!(get(one).await.status(), StatusCode::FORBIDDEN);
    // The export of the whole list is a link worth more to whoever finds it: it dies
    // within the hour, a card's link (like a form) after the working day, each
    // counted from when its page was rendered.
    let lived = |link: &str, rendered: &std::ops::RangeInclusive<u64>| {
        let expires = expires_at(link);
        (expires - rendered.end())..=(expires - rendered.start())
    };
    let export_lives = lived(&export, &list_rendered);
    assert!(export_lives.contains(&3600), "{export_lives:?}");
    let card_lives = lived(&link, &card_rendered);
    assert!(card_lives.contains(&(12 * 3600)), "{card_lives:?}");
    server.stop().await;
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

/// When a link's `p_auth` expires, in seconds since 1970: its MAC part (after the
/// consumer and the user) begins with that second, big-endian.
fn expires_at(link: &str) -> u64 {
    use base64::Engine;
    let query = link.split_once('?').expect("a query").1;
    let token = form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "p_auth")
        .expect("p_auth")
        .1;
    let mac = token.rsplit('~').next().expect("a MAC");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(mac)
        .expect("base64url");
    u64::from_be_bytes(raw[..8].try_into().expect("8 bytes"))
}

/// An OIDC issuer is a URL, and `iss` names the consumer. Such an id, and one with the
/// characters that URLs, forms and HTML treat specially, sign people in; the `p_auth`
/// rendered for them works with no Bearer token, posted in a form and followed in a
/// resource link, as a browser sends them.
#[tokio::test]
async fn a_consumer_named_by_an_issuer_url_round_trips_through_p_auth() {
    const ISSUER: &str = "https://portal.example.com/o/oauth2";
    const ODD: &str = "https://p.example:8443/o/a%2Fb?x=1&y=+2#\"<it's>";
    const SECRET: &str = "0123456789abcdef0123456789abcdef";
    let server = start_with_config_file(&format!(
        "[[consumers]]\nid = {ISSUER:?}\nhs256_secret = {SECRET:?}\n\n\
         [[consumers]]\nid = {ODD:?}\nhs256_secret = {SECRET:?}\n"
    ))
    .await;
    for (consumer, me, them) in [(ISSUER, "alice", "bob"), (ODD, "carol", "dave")] {
        let get = |user: &str, query: Vec<(String, String)>| {
            client()
                .get(server.url(&format!("/widgets/{WIDGET}/render")))
                .bearer_auth(consumer_token(consumer, SECRET, user))
                .query(&query)
                .send()
        };
        for user in [me, them] {
            let answer = get(user, Vec::new()).await.expect("render");
            assert_eq!(answer.status(), StatusCode::OK, "{consumer}");
        }
        let detail = get(me, vec![(format!("{NS}userId"), them.to_owned())])
            .await
            .expect("render")
            .text()
            .await
            .expect("html");

        let (url, fields) = form_for(&detail, "follow");
        let p_auth = fields
            .iter()
            .find(|(name, _)| name == "p_auth")
            .map(|(_, value)| value.clone())
            .expect("p_auth");
        assert!(p_auth.starts_with(&format!("{consumer}~{me}~")), "{p_auth}");
        let posted = client()
            .post(&url)
            .form(&fields)
            .send()
            .await
            .expect("post");
        assert_eq!(posted.status(), StatusCode::SEE_OTHER, "{consumer}");
        let following = client()
            .get(server.url(&format!("/widgets/{WIDGET}/resources/contacts")))
            .bearer_auth(consumer_token(consumer, SECRET, me))
            .query(&[(format!("{NS}filter"), "following")])
            .send()
            .await
            .expect("contacts")
            .json::<Value>()
            .await
            .expect("json");
        assert_eq!(following["items"][0]["userId"], them, "{following}");

        // The link carries the id percent-encoded: a raw `#` would end the address
        // there, and a raw `&` would start another parameter.
        let vcard = href_with(&detail, "/resources/vcard");
        assert!(!vcard.contains('#'), "{vcard}");
        let card = client().get(&vcard).send().await.expect("vcard");
        assert_eq!(card.status(), StatusCode::OK, "{vcard}");
        assert!(card.text().await.expect("text").contains("BEGIN:VCARD"));
    }
    server.stop().await;
}

/// DESIGN's JSON answer after an action always has `ok`, `message`, `text` and
/// `relationship`: a refusal before the widget runs (401, 403, 404) and an outcome
/// about no one person carry `"relationship": null`, and a follow still carries the
/// seven booleans.
#[tokio::test]
async fn json_action_answers_always_have_a_relationship() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob", "carol"] {
        render(&server, user, &[]).await;
    }
    let shape = |body: &Value| {
        // A widget's answer adds the render parameters of its outcome (see
        // `a_json_answer_carries_the_sealed_render_parameters_of_its_outcome`).
        let mut keys: Vec<&str> = body
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        keys.retain(|k| *k != "renderParameters");
        keys.sort_unstable();
        assert_eq!(
            keys,
            ["message", "ok", "relationship", "text"],
            "the contract's four keys: {body}"
        );
    };
    let post = |action: &str, bearer: Option<String>| {
        let call = client()
            .post(server.url(&format!("/widgets/{WIDGET}/actions/{action}")))
            .header("accept", "application/json")
            .form(&[(format!("{NS}userId"), "bob")]);
        match bearer {
            Some(token) => call.bearer_auth(token),
            None => call,
        }
    };
    for (action, bearer, status, key) in [
        (
            "follow",
            None,
            StatusCode::FORBIDDEN,
            "you-must-sign-in-to-do-this",
        ),
        (
            "follow",
            Some("not-a-jwt".to_owned()),
            StatusCode::UNAUTHORIZED,
            "please-sign-in-again",
        ),
        (
            "no-such-action",
            Some(token("alice", &[])),
            StatusCode::NOT_FOUND,
            "the-requested-resource-could-not-be-found",
        ),
    ] {
        let answer = post(action, bearer).send().await.expect("post");
        assert_eq!(answer.status(), status, "{action}");
        let body: Value = answer.json().await.expect("json");
        shape(&body);
        assert_eq!(body["message"], key, "{body}");
        assert_eq!(body["ok"], false, "{body}");
        assert!(body["relationship"].is_null(), "{body}");
    }

    // About one person: the seven booleans of the relationship with them.
    let (status, body) = act(&server, "alice", "follow", &[("userId", "bob")]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    shape(&body);
    assert!(body["renderParameters"].is_object(), "{body}");
    let relationship = seven_booleans(&body);
    assert_eq!(relationship["following"], true);

    // About several people at once: no one relationship, and the key says so. The
    // four keys are there as ever; `results` adds each person's own outcome, in the
    // order named, so that a portal can say whom a bulk action left out and why.
    let (status, mut body) = act(
        &server,
        "alice",
        "unfollow",
        &[("userIds", "carol,bob,alice,nobody")],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["relationship"].is_null(), "{body}");
    let results = body
        .as_object_mut()
        .and_then(|o| o.remove("results"))
        .unwrap_or_else(|| panic!("a bulk answer has its results: {body}"));
    shape(&body);
    assert_eq!(
        body["message"],
        "your-request-completed-for-some-of-the-selected-people-only"
    );
    let each: Vec<(&str, bool, &str)> = results
        .as_array()
        .expect("results is an array")
        .iter()
        .map(|r| {
            let mut keys: Vec<&str> = r
                .as_object()
                .expect("object")
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, ["message", "ok", "text", "userId"], "{r}");
            assert!(!r["text"].as_str().unwrap_or("").is_empty(), "{r}");
            (
                r["userId"].as_str().unwrap_or(""),
                r["ok"].as_bool().unwrap_or(true),
                r["message"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        each,
        [
            ("carol", true, "you-are-not-following-this-user"),
            ("bob", true, "you-are-not-following-this-user-anymore"),
            ("alice", false, "you-cannot-do-this-to-yourself"),
            ("nobody", false, "the-user-could-not-be-found"),
        ]
    );
}

/// A person whose browser posts a widget's form, or follows its download link,
/// without the script reads a refusal as a page in their language; a portal's code
/// (`*/*`, or JSON named anywhere in `Accept`) still gets the contract's JSON. A
/// render's refusal is for the portal that asked for the fragment, and stays JSON.
#[tokio::test]
async fn a_browser_reads_a_refusal_as_a_page_and_a_portal_as_json() {
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let detail = render(&server, "alice", &[("userId", "bob")]).await;
    let (url, fields) = form_for(&detail, "block");
    // The form as a browser would post it hours later: its `p_auth` no longer holds.
    let mut stale: Vec<(String, String)> = fields
        .into_iter()
        .filter(|(name, _)| name != "p_auth")
        .collect();
    stale.push(("p_auth".into(), "test~alice~0.0.AAAA".into()));
    stale.push(("languageId".into(), "de_DE".into()));
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let german = Languages::builtin()
        .get("de_DE", "this-form-has-expired-please-reload-the-page")
        .to_owned();
    let answer = client()
        .post(&url)
        .header("accept", BROWSER)
        .form(&stale)
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let header = |name: &str| {
        answer
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-type"), "text/html; charset=utf-8");
    assert_eq!(header("content-language"), "de-DE");
    assert_eq!(header("cache-control"), "private, no-store");
    assert_eq!(header("vary"), "Accept, Authorization, Accept-Language");
    let page = answer.text().await.expect("page");
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"de-DE\">"),
        "{page}"
    );
    assert!(page.contains(&format!("<h1>{german}</h1>")), "{page}");

    // The same refusal for code: JSON, wherever `Accept` names it, and for `*/*`.
    for accept in ["application/json, text/html", "*/*"] {
        let answer = client()
            .post(&url)
            .header("accept", accept)
            .form(&stale)
            .send()
            .await
            .expect("post");
        assert_eq!(answer.status(), StatusCode::FORBIDDEN, "{accept}");
        assert_eq!(
            answer.headers()["vary"],
            "Accept, Authorization, Accept-Language"
        );
        assert_eq!(answer.headers()["cache-control"], "no-store", "{accept}");
        let body: Value = answer.json().await.expect("json");
        assert_eq!(body["text"], german.as_str(), "{accept}");
    }
    // A portal's code signs its calls, whatever its client's default `Accept` (Java's
    // names text/html): a refused Bearer call is JSON.
    let answer = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/no-such-action")))
        .bearer_auth(token("alice", &[]))
        .header("accept", "text/html, image/gif, image/jpeg, */*; q=.2")
        .form(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    let _: Value = answer.json().await.expect("json");

    // A download link followed without a token of its own.
    let answer = client()
        .get(server.url(&format!("/widgets/{WIDGET}/resources/vcard?{NS}userId=bob")))
        .header("accept", BROWSER)
        .send()
        .await
        .expect("get");
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let page = answer.text().await.expect("page");
    assert!(
        page.starts_with("<!DOCTYPE html>\n<html lang=\"en-US\">"),
        "{page}"
    );
    // Nobody signed in asked: not "expired", which would send them looking for a
    // form or link to reload, but a sign-in.
    let sign_in = Languages::builtin()
        .get("en_US", "you-must-sign-in-to-do-this")
        .to_owned();
    assert!(page.contains(&format!("<h1>{sign_in}</h1>")), "{page}");

    // A render refused to a browser is still the portal's JSON.
    let answer = client()
        .get(server.url(&format!("/widgets/{WIDGET}/render")))
        .bearer_auth("not-a-token")
        .header("accept", BROWSER)
        .send()
        .await
        .expect("render");
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let _: Value = answer.json().await.expect("json");

    assert_eq!(
        contacts(&server, "alice", "blocked").await,
        Vec::<String>::new(),
        "nothing changed"
    );
    server.stop().await;
}

/// Where a refusal page refreshes to at once (`<meta http-equiv="refresh">`), unescaped.
fn refresh_target(refusal: &str) -> String {
    refusal
        .split("<meta http-equiv=\"refresh\" content=\"0; url=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(unescape)
        .expect("an instant refresh to the page")
}

/// `p_auth` as the host issued it for `user`'s `action` in the Contacts Center, had it
/// been rendered 13 hours ago: past the 12 hours a form lives. Read from the stopped
/// host's file, as the host key is its own.
fn expired_p_auth(dir: &std::path::Path, user: &str, action: &str) -> String {
    use widget_host::portal::auth::{DEFAULT_P_AUTH_TTL, PAuthTarget};
    expired_p_auth_for(dir, user, PAuthTarget::Action(action), DEFAULT_P_AUTH_TTL)
}

/// `p_auth` for `user`'s `target`, issued with `ttl` an hour longer ago than `ttl`.
fn expired_p_auth_for(
    dir: &std::path::Path,
    user: &str,
    target: widget_host::portal::auth::PAuthTarget<'_>,
    ttl: std::time::Duration,
) -> String {
    use widget_host::portal::auth::{PAuth, PAuthBinding};
    let path = common::test_config(dir).database_path();
    let key = widget_host::social::Social::open(&path)
        .expect("open the stopped host's file")
        .host_key();
    let binding = PAuthBinding {
        consumer: common::CONSUMER,
        user_id: user,
        portlet_id: WIDGET,
        target,
    };
    let rendered = std::time::SystemTime::now() - ttl - std::time::Duration::from_secs(60 * 60);
    let mac = PAuth::new(key).issue_at(&binding, rendered, ttl);
    format!("{}~{user}~{mac}", common::CONSUMER)
}

/// A download link followed past its `p_auth`'s life (the connections' export lives an
/// hour) by a person's browser leads back to the page it was on, as an expired form
/// does: the page renders fresh links and says the link had expired. Reloading the
/// refusal page alone would be refused again. A card's link leads back to the card,
/// which shows the note too. A portal's code keeps the JSON refusal.
#[tokio::test]
async fn an_expired_download_link_leads_a_browser_back_to_its_page() {
    use widget_host::portal::auth::{
        DEFAULT_P_AUTH_TTL, LIST_LINK_P_AUTH_TTL, PAuthTarget, resource_query,
    };
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    // A page's links carry the page they are on, unbound by their token.
    let page = format!("{PORTAL_ORIGIN}/web/guest/people#top");
    let card = render_query(
        &server,
        "alice",
        &[
            ("p_l_url".to_owned(), page.clone()),
            (format!("{NS}userId"), "bob".to_owned()),
        ],
    )
    .await;
    let link = card
        .split("href=\"")
        .map(|rest| unescape(rest.split('"').next().unwrap_or_default()))
        .find(|href| href.contains("/resources/vcard"))
        .expect("the card's vCard link");
    let link = url::Url::parse(&link).expect("a URL");
    assert!(
        link.query_pairs()
            .any(|(name, value)| name == "p_l_url" && value == page),
        "{link}"
    );
    let dir = server.stop_keeping_data().await;
    let export = resource_query([("filter", "connections")].into_iter());
    let expired_export = expired_p_auth_for(
        dir.path(),
        "alice",
        PAuthTarget::Resource {
            name: "vcard",
            query: &export,
        },
        LIST_LINK_P_AUTH_TTL,
    );
    let of_bob = resource_query([("userId", "bob")].into_iter());
    let expired_card = expired_p_auth_for(
        dir.path(),
        "alice",
        PAuthTarget::Resource {
            name: "vcard",
            query: &of_bob,
        },
        DEFAULT_P_AUTH_TTL,
    );
    let server = common::start_in(dir, |c, _| with_consumer(c)).await;
    let follow = |p_auth: &str, own: (&str, &str), accept: &'static str| {
        let url = server.url(&format!("/widgets/{WIDGET}/resources/vcard"));
        let query = vec![
            ("p_auth".to_owned(), p_auth.to_owned()),
            ("p_l_url".to_owned(), page.clone()),
            (format!("{NS}{}", own.0), own.1.to_owned()),
        ];
        async move {
            client()
                .get(url)
                .header("accept", accept)
                .query(&query)
                .send()
                .await
                .expect("get")
        }
    };
    for (p_auth, own) in [
        (&expired_export, ("filter", "connections")),
        (&expired_card, ("userId", "bob")),
    ] {
        let answer = follow(p_auth, own, BROWSER).await;
        assert_eq!(
            answer.status(),
            StatusCode::FORBIDDEN,
            "the contract's status"
        );
        let refusal = answer.text().await.expect("page");
        let location = refresh_target(&refusal);
        let back = url::Url::parse(&location).expect("a URL");
        assert_eq!(back.path(), "/web/guest/people");
        let query: Vec<(String, String)> = back.query_pairs().into_owned().collect();
        for pair in [
            (
                "_contacts_center_message",
                "the-download-link-had-expired-please-try-again",
            ),
            (&format!("{NS}{}", own.0)[..], own.1),
        ] {
            assert!(
                query.contains(&(pair.0.to_owned(), pair.1.to_owned())),
                "{pair:?} in {location}"
            );
        }
        // The page there says so, as a warning.
        let render_params: Vec<(String, String)> = query
            .iter()
            .filter(|(name, _)| name.starts_with(NS))
            .cloned()
            .collect();
        let fragment = render_query(&server, "alice", &render_params).await;
        assert!(
            fragment.contains("<div class=\"alert alert-warning text-break\" role=\"status\""),
            "{fragment}"
        );
        assert!(
            fragment.contains("The download link had expired. Please try again."),
            "{fragment}"
        );
    }
    let answer = follow(
        &expired_export,
        ("filter", "connections"),
        "application/json",
    )
    .await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(
        body["message"],
        "this-link-has-expired-please-reload-the-page"
    );
    server.stop().await;
}

/// A form left open past its `p_auth`'s life (a tab kept overnight) and posted by a
/// person's browser is refused with the contract's 403, whose page refreshes at once
/// to the portal page the form came from, which renders fresh forms and says that
/// nothing was done; the refusal page alone would post the form again when reloaded.
/// Only a page within the consumer's origins, and only for a token the host issued:
/// a forged one, or a portal's code, gets the refusal alone.
#[tokio::test]
async fn an_expired_form_leads_a_browser_back_to_its_page() {
    const BROWSER: &str = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8";
    let server = start(|c, _| with_consumer(c)).await;
    for user in ["alice", "bob"] {
        render(&server, user, &[]).await;
    }
    let dir = server.stop_keeping_data().await;
    let expired = expired_p_auth(dir.path(), "alice", "follow");
    let server = common::start_in(dir, |c, _| with_consumer(c)).await;
    let page = format!("{PORTAL_ORIGIN}/web/guest/people?tab=1#top");
    let form = |p_auth: &str, page: &str| {
        vec![
            ("p_auth".to_owned(), p_auth.to_owned()),
            ("p_l_url".to_owned(), page.to_owned()),
            ("languageId".to_owned(), "de_DE".to_owned()),
            ("p_p_state".to_owned(), "maximized".to_owned()),
            (format!("{NS}userId"), "bob".to_owned()),
            // Where the form was: a card opened from a search, which the page keeps.
            (format!("{NS}filter"), "following".to_owned()),
            (format!("{NS}keywords"), "bo".to_owned()),
            // Not a cursor: dropped, as a render drops it.
            (format!("{NS}cursor"), "<b>".to_owned()),
        ]
    };
    let post = |fields: Vec<(String, String)>, accept: &'static str| {
        let url = server.url(&format!("/widgets/{WIDGET}/actions/follow"));
        async move {
            client()
                .post(url)
                .header("accept", accept)
                .form(&fields)
                .send()
                .await
                .expect("post")
        }
    };

    let answer = post(form(&expired, &page), BROWSER).await;
    assert_eq!(
        answer.status(),
        StatusCode::FORBIDDEN,
        "the contract's status"
    );
    assert_eq!(answer.headers()["content-type"], "text/html; charset=utf-8");
    let refusal = answer.text().await.expect("page");
    let refresh = refresh_target(&refusal);
    assert!(
        refusal.contains(&format!(
            "<a href=\"{}\">Zurück</a>",
            refresh.replace('&', "&amp;")
        )),
        "and a link there, in the form's language: {refusal}"
    );
    let location = refresh;
    let back = url::Url::parse(&location).expect("a URL");
    assert_eq!(back.origin().ascii_serialization(), PORTAL_ORIGIN);
    assert_eq!(back.path(), "/web/guest/people");
    assert_eq!(back.fragment(), Some("top"));
    let query: Vec<(String, String)> = back.query_pairs().into_owned().collect();
    for pair in [
        ("tab", "1"),
        ("p_p_id", WIDGET),
        ("languageId", "de_DE"),
        ("p_p_state", "maximized"),
        (
            "_contacts_center_message",
            "the-form-had-expired-nothing-was-done-please-try-again",
        ),
        ("_contacts_center_userId", "bob"),
        ("_contacts_center_filter", "following"),
        ("_contacts_center_keywords", "bo"),
    ] {
        assert!(
            query.contains(&(pair.0.to_owned(), pair.1.to_owned())),
            "{pair:?} in {location}"
        );
    }
    assert!(
        !query
            .iter()
            .any(|(name, _)| name == "_contacts_center_cursor"),
        "{location}"
    );
    assert!(
        contacts(&server, "alice", "following").await.is_empty(),
        "nothing was done"
    );

    // The page the portal renders there says so, as a warning, in the form's language.
    let render_params: Vec<(String, String)> = query
        .iter()
        .filter(|(name, _)| name.starts_with(NS) || name == "languageId")
        .cloned()
        .collect();
    let fragment = render_query(&server, "alice", &render_params).await;
    let said = Languages::builtin()
        .get(
            "de_DE",
            "the-form-had-expired-nothing-was-done-please-try-again",
        )
        .to_owned();
    assert!(said.starts_with("Das Formular"), "{said}");
    assert!(
        fragment.contains("<div class=\"alert alert-warning text-break\" role=\"status\""),
        "{fragment}"
    );
    assert!(fragment.contains(&said), "{fragment}");

    // A portal's code keeps the contract's JSON refusal.
    let answer = post(form(&expired, &page), "application/json").await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let body: Value = answer.json().await.expect("json");
    assert_eq!(
        body["message"],
        "this-form-has-expired-please-reload-the-page"
    );
    // A page outside the consumer's origins is not led to: the refusal page alone.
    let answer = post(form(&expired, "https://elsewhere.test/page"), BROWSER).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let alone = answer.text().await.expect("page");
    assert!(
        !alone.contains("refresh") && !alone.contains("<a "),
        "{alone}"
    );
    // Nor is any page for a token the host did not issue, with the same expiry.
    let last = if expired.ends_with('A') { "B" } else { "A" };
    let forged = format!("{}{last}", &expired[..expired.len() - 1]);
    let answer = post(form(&forged, &page), BROWSER).await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    let alone = answer.text().await.expect("page");
    assert!(
        !alone.contains("refresh") && !alone.contains("<a "),
        "{alone}"
    );
    assert!(
        contacts(&server, "alice", "following").await.is_empty(),
        "nothing was done"
    );
    server.stop().await;
}

/// A sender the directory holds no name for (a portal's token without profile claims)
/// is named by their user id in the notifications API, as the widgets name them,
/// never by an empty string.
#[tokio::test]
async fn a_nameless_sender_is_named_by_their_id_in_notifications() {
    let server = start(|c, _| with_consumer(c)).await;
    render(&server, "bob", &[]).await;
    let nameless = widget_host::portal::auth::mint(
        common::CONSUMER,
        common::SECRET,
        "no.name",
        &[],
        &widget_host::portal::Profile::default(),
        std::time::Duration::from_secs(600),
    )
    .expect("mint");
    let answer = client()
        .post(server.url(&format!("/widgets/{WIDGET}/actions/connect")))
        .bearer_auth(nameless)
        .header("accept", "application/json")
        .form(&[(format!("{NS}userId"), "bob")])
        .send()
        .await
        .expect("post");
    assert_eq!(answer.status(), StatusCode::OK);
    let pending = notifications(&server, "bob").await;
    assert_eq!(pending["items"][0]["fromUserId"], "no.name", "{pending}");
    assert_eq!(pending["items"][0]["fromName"], "no.name", "{pending}");
    // The outcome of accepting names them the same way, not as "this user".
    let requests = render(&server, "bob", &[("filter", "requests")]).await;
    let (url, fields) = form_for(&requests, "accept-request");
    let location = posted(&url, &fields).await;
    let page = render_location(&server, "bob", &location).await;
    assert!(
        page.contains("You are now connected to \u{2068}no.name\u{2069}."),
        "{page}"
    );
    server.stop().await;
}

/// An origin written otherwise than browsers send it (capitals, its default port, a
/// slash) still lets the portal's page in: CORS answers its `Origin`, and the
/// fragment's links go to its `p_l_url`.
#[tokio::test]
async fn an_origin_written_another_way_still_matches_the_portal() {
    let written = PORTAL_ORIGIN.replace("https://portal", "HTTPS://Portal") + ":443/";
    let server = start(|c, _| {
        with_consumer(c);
        c.consumers[0].allowed_origins = vec![written];
    })
    .await;
    let answer = client()
        .get(server.url("/widgets"))
        .header("origin", PORTAL_ORIGIN)
        .send()
        .await
        .expect("get");
    assert_eq!(
        answer.headers()["access-control-allow-origin"],
        PORTAL_ORIGIN
    );
    let html = in_state(&server, "normal", None).await;
    assert!(!page_links(&html).is_empty(), "{html}");
    server.stop().await;
}

/// An `_INSTANCE_` id names a placement only of a widget its descriptor makes
/// instanceable: the Contacts Center's renders, the Notifications widget's is no
/// widget of the host's (404), where it would otherwise be a second placement the
/// descriptor rules out.
#[tokio::test]
async fn an_instance_id_is_a_placement_only_of_an_instanceable_widget() {
    let server = start(|c, _| with_consumer(c)).await;
    let status = |portlet: &'static str| {
        let url = server.url(&format!("/widgets/{portlet}/render"));
        async move {
            client()
                .get(url)
                .bearer_auth(token("alice", &[]))
                .send()
                .await
                .expect("get")
                .status()
        }
    };
    assert_eq!(status("contacts_center_INSTANCE_a1").await, StatusCode::OK);
    assert_eq!(status("notifications").await, StatusCode::OK);
    assert_eq!(
        status("notifications_INSTANCE_a1").await,
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

/// A portal whose page allows scripts by nonce passes it as `cspNonce`: the
/// fragment's script carries it. One that is not a nonce is passed over (the script
/// then has none), and the fragment's links do not carry it on: the next page the
/// portal renders has a nonce of its own.
#[tokio::test]
async fn a_portal_pages_csp_nonce_reaches_the_fragments_script() {
    let server = start(|c, _| with_consumer(c)).await;
    let query = |nonce: &str| vec![("cspNonce".to_owned(), nonce.to_owned())];
    let html = render_query(&server, "alice", &query("Zm9vYmFy+/_-==")).await;
    assert!(html.contains("<script nonce=\"Zm9vYmFy+/_-==\">"), "{html}");
    assert!(!html.contains("cspNonce"), "{html}");
    let html = render_query(&server, "alice", &query("a\"><b")).await;
    assert!(html.contains("<script>"), "{html}");
    assert!(!html.contains("nonce="), "{html}");
    server.stop().await;
}
