//! The demo portal: pages composed from real fragments, the person switcher, and
//! two differently configured instances on the content page.

mod common;

use reqwest::StatusCode;
use reqwest::redirect::Policy;

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

#[tokio::test]
async fn dashboard_content_page_and_switching_people() {
    let server = common::start(|c, _| c.demo = Some(true)).await;
    let dashboard = client().get(server.url("/")).send().await.expect("get");
    assert_eq!(dashboard.status(), StatusCode::OK);
    // Its forms carry the persona's live tokens: no other site may frame it. Its
    // scripts run by a nonce of the page's, as on a portal with a strict policy:
    // its own and each fragment's carry it, and none is without it.
    let policy = dashboard.headers()["content-security-policy"]
        .to_str()
        .expect("policy")
        .to_owned();
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(dashboard.headers()["x-frame-options"], "DENY");
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .expect("a script nonce")
        .to_owned();
    assert!(nonce.len() >= 22, "{nonce}");
    let html = dashboard.text().await.expect("html");
    let scripts = html.matches("<script").count();
    assert_eq!(
        html.matches(&format!("<script nonce=\"{nonce}\">")).count(),
        scripts,
        "{html}"
    );
    assert_eq!(scripts, 3, "the page's, and one a widget: {html}");
    let again = client().get(server.url("/")).send().await.expect("get");
    assert!(
        !again.headers()["content-security-policy"]
            .to_str()
            .expect("policy")
            .contains(&nonce),
        "a nonce of each page's own"
    );
    // Both widgets, rendered through the native path for the default person (Ana Lima,
    // who has three connections and Richard Roe's pending request).
    assert!(
        html.contains("id=\"p_p_id_contacts_center_INSTANCE_dashboard_\""),
        "{html}"
    );
    assert!(html.contains("id=\"p_p_id_notifications_\""));
    assert!(html.contains("You have 3 connections."), "{html}");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en-US\">"));
    // The page's language is its widgets': from Accept-Language too, not only from
    // languageId (screen readers pronounce the page by it).
    let page_in = |path: &str, accepted: &str| {
        let request = client()
            .get(server.url(path))
            .header("accept-language", accepted);
        async move {
            request
                .send()
                .await
                .expect("get")
                .text()
                .await
                .expect("html")
        }
    };
    let spanish = page_in("/", "es-ES,es;q=0.9").await;
    let head = |html: &str| html.chars().take(80).collect::<String>();
    assert!(
        spanish.starts_with("<!DOCTYPE html>\n<html lang=\"es-ES\">"),
        "{}",
        head(&spanish)
    );
    assert!(
        spanish.contains("Tienes 3 conexiones."),
        "the widgets are Spanish too"
    );
    // The demo's own English says so, and each page's title names the page.
    for chrome in [
        "<title lang=\"en\">Dashboard – widget-host demo portal</title>",
        "<header class=\"demo-header\" lang=\"en\">",
        "<footer class=\"demo-footer\" lang=\"en\">",
        "<a class=\"demo-skip\" href=\"#demo-main\" lang=\"en\">Skip to content</a>",
    ] {
        assert!(spanish.contains(chrome), "{chrome}");
    }
    let content = page_in("/content", "es-ES").await;
    assert!(
        content.contains("<title lang=\"en\">Content page – widget-host demo portal</title>"),
        "{}",
        head(&content)
    );
    let german = page_in("/?languageId=de_DE", "es-ES").await;
    assert!(
        german.starts_with("<!DOCTYPE html>\n<html lang=\"de-DE\">"),
        "{}",
        head(&german)
    );
    // Each widget's heading is its title in the page's language, as a portal titles
    // a portlet from its bundle, not the descriptor's English under a German page.
    for title in ["Kontaktcenter</h2>", "Benachrichtigungen</h2>"] {
        assert!(german.contains(title), "{title}");
    }
    assert!(!german.contains(">Contacts Center</h2>"));
    // The switcher names each language in its own words and voice, and has the page's
    // own chosen, whether the link or the browser chose it.
    assert!(
        german.contains(r#"<option value="de_DE" lang="de-DE" selected>Deutsch</option>"#),
        "{german}"
    );
    assert!(german.contains(r#"<option value="ja_JP" lang="ja-JP">日本語</option>"#));
    assert!(
        spanish.contains(r#"<option value="es_ES" lang="es-ES" selected>Español</option>"#),
        "{spanish}"
    );
    assert_eq!(
        spanish.matches(" selected>").count(),
        2,
        "a person and a language"
    );
    // The page has a heading of its own, before its widgets' headings.
    let main = spanish.find("<main").expect("main");
    let heading = spanish.find(r#"<h1 class="sr-only" lang="en">Dashboard</h1>"#);
    assert!(heading.is_some_and(|at| at > main), "{spanish}");
    assert!(spanish.find("<h2").is_some_and(|h2| Some(h2) > heading));
    let japanese = page_in("/", "ja").await;
    assert!(
        japanese.contains("コンタクトセンター</h2>"),
        "{}",
        head(&japanese)
    );
    assert!(
        html.contains("\u{2068}Richard Roe\u{2069} wants to connect with you."),
        "{html}"
    );
    assert!(
        html.contains("data-pending=\"1\""),
        "the bell counts one request"
    );
    assert!(
        html.contains("aria-label=\"1 pending connection request\""),
        "and says so in the singular: {html}"
    );
    // Forms post straight to the host with their own p_auth, back to this page.
    assert!(
        html.contains("/widgets/contacts_center_INSTANCE_dashboard/actions/"),
        "{html}"
    );
    assert!(
        html.contains("name=\"p_auth\" value=\"demo~ana.lima~"),
        "{html}"
    );

    // The language carries over to the page's links, rebuilt from its letters and
    // only in a language the widgets have texts for: nothing else reaches them, and
    // nothing can add parameters to them.
    let page = |path: &'static str| {
        let url = server.url(path);
        async move {
            let answer = client().get(url).send().await.expect("get");
            answer.text().await.expect("html")
        }
    };
    let spanish = page("/?languageId=es_ES").await;
    assert!(
        spanish.contains("href=\"/content?languageId=es_ES\""),
        "{spanish}"
    );
    let smuggled = page("/?languageId=es_ES%26p_p_mode%3Dedit").await;
    assert!(!smuggled.contains("p_p_mode"), "{smuggled}");
    assert!(
        smuggled.contains("href=\"/content?languageId=es\""),
        "{smuggled}"
    );
    let unknown = page("/?languageId=xx_XX").await;
    assert!(unknown.contains("href=\"/content\""), "{unknown}");
    // A region the widgets have no texts for stays, as a portal's page keeps it; the
    // switcher shows the language they are written in.
    let british = page("/?languageId=en-gb").await;
    assert!(
        british.contains("href=\"/content?languageId=en_GB\""),
        "{british}"
    );
    assert!(
        british.contains("<option value=\"en_US\" lang=\"en-US\" selected>English</option>"),
        "{british}"
    );
    assert!(british.contains(" data-locale=\"en-GB\" "), "{british}");
    // The portal's own controls keep each placement's place, as its links do: a card
    // open and a search made stay through a language applied and the bell, but not
    // an outcome already shown.
    let placed = page(
        "/?languageId=de_DE&_contacts_center_INSTANCE_dashboard_userId=richard.roe&_contacts_center_INSTANCE_directory_keywords=o%27b&_notifications_message=request-accepted",
    )
    .await;
    // The page's form of `class`, from its opening to its end.
    let demo_form = |class: &str| {
        placed
            .split(&format!("<form class=\"{class}\""))
            .nth(1)
            .and_then(|f| f.split("</form>").next())
            .unwrap_or_else(|| panic!("the {class} form: {placed}"))
            .to_owned()
    };
    let form = demo_form("demo-language");
    assert!(
        form.contains("<input type=\"hidden\" name=\"_contacts_center_INSTANCE_dashboard_userId\" value=\"richard.roe\">"),
        "{form}"
    );
    assert!(
        form.contains("<input type=\"hidden\" name=\"_contacts_center_INSTANCE_directory_keywords\" value=\"o&#x27;b\">"),
        "{form}"
    );
    assert!(!form.contains("_notifications_message"), "{form}");
    assert!(!form.contains("name=\"languageId\" value"), "{form}");
    // Switching person keeps the language the page is read in.
    let switcher = demo_form("demo-switch");
    assert!(
        switcher.contains("<input type=\"hidden\" name=\"languageId\" value=\"de_DE\">"),
        "{switcher}"
    );
    assert!(
        placed.contains("href=\"/?languageId=de_DE&amp;_contacts_center_INSTANCE_dashboard_userId=richard.roe&amp;_contacts_center_INSTANCE_directory_keywords=o%27b#p_p_id_notifications_\""),
        "{placed}"
    );
    // The bell of the content page leads to the dashboard, whose placements none of
    // this page's state is of.
    let content =
        page("/content?languageId=de_DE&_contacts_center_INSTANCE_directory_keywords=x").await;
    assert!(
        content.contains("href=\"/?languageId=de_DE#p_p_id_notifications_\""),
        "{content}"
    );

    // Switch to Richard: a cookie, and a redirect back to a local page only.
    let switched = client()
        .get(server.url("/demo/switch?as=richard.roe&back=/content"))
        .send()
        .await
        .expect("switch");
    assert_eq!(switched.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        switched
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/content")
    );
    let cookie = switched
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .expect("cookie")
        .split(';')
        .next()
        .expect("pair")
        .to_owned();
    for (asked, back) in [
        ("languageId=de_DE", "/content?languageId=de_DE"),
        // Rebuilt from the letters of a language it knows: nothing else reaches the
        // header.
        ("languageId=de_DE%0d%0aX:1", "/content?languageId=de"),
        ("languageId=xx_YY", "/content"),
    ] {
        let switched = client()
            .get(server.url(&format!(
                "/demo/switch?as=richard.roe&back=/content&{asked}"
            )))
            .send()
            .await
            .expect("switch");
        assert_eq!(
            switched
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some(back),
            "{asked}"
        );
    }
    let foreign = client()
        .get(server.url("/demo/switch?as=richard.roe&back=https://evil.example/"))
        .send()
        .await
        .expect("switch");
    assert_eq!(
        foreign
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok()),
        Some("/"),
        "no open redirect"
    );
    let unknown = client()
        .get(server.url("/demo/switch?as=nobody"))
        .send()
        .await
        .expect("switch");
    assert!(
        unknown.headers().get("set-cookie").is_none(),
        "only demo people can be played"
    );

    let content = client()
        .get(server.url("/content"))
        .header("cookie", &cookie)
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(content.contains("id=\"p_p_id_contacts_center_INSTANCE_team_\""));
    assert!(content.contains("id=\"p_p_id_contacts_center_INSTANCE_directory_\""));
    assert!(
        content.contains("name=\"p_auth\" value=\"demo~richard.roe~"),
        "played as Richard"
    );
    // The compact instance pages five people at a time; the other shows twenty.
    let section = |id: &str| {
        let start = content
            .find(&format!("id=\"p_p_id_contacts_center_INSTANCE_{id}_\""))
            .expect("placement");
        let rest = &content[start..];
        rest[..rest.find("</section>").unwrap_or(rest.len())].to_owned()
    };
    let rows = |html: &str| html.matches("type=\"checkbox\"").count();
    assert_eq!(rows(&section("directory")), 5, "compact instance");
    assert_eq!(rows(&section("team")), 20, "default instance");
    server.stop().await;
}

/// The demo portal's consumer id cannot be configured while the demo runs: its tokens
/// would be checked against the configured key and fail.
#[tokio::test]
async fn a_configured_consumer_named_demo_stops_a_demo_host_at_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut config = common::test_config(dir.path());
    config.demo = Some(true);
    config.consumers.push(widget_host::config::ConsumerConfig {
        id: "demo".into(),
        hs256_secret: Some("s".repeat(32)),
        jwks_file: None,
        allowed_origins: Vec::new(),
        wsrp_secret: None,
        audience: None,
        wsrp_guest_users: Vec::new(),
    });
    let refused = widget_host::http::state::AppState::start(config.clone())
        .await
        .err()
        .expect("a demo host with a consumer named demo must not start");
    assert!(refused.to_string().contains("--no-demo"), "{refused}");
    config.demo = Some(false);
    assert!(
        widget_host::http::state::AppState::start(config)
            .await
            .is_ok(),
        "without the demo the id is free"
    );
}

/// The README's first command: no configuration at all serves the demo portal.
#[tokio::test]
async fn with_no_consumers_configured_the_demo_is_on() {
    let server = common::start(|c, _| c.demo = None).await;
    for page in ["/", "/content"] {
        let answer = client().get(server.url(page)).send().await.expect("get");
        assert_eq!(answer.status(), StatusCode::OK, "{page}");
        let html = answer.text().await.expect("html");
        assert!(html.contains("contacts_center"), "{page}: {html}");
    }
    server.stop().await;
}

/// Writes a person the demo did not make into the database at `path`, as an import
/// would.
fn import_a_real_person(path: &std::path::Path) {
    let social = widget_host::social::Social::open(path).expect("open");
    social
        .upsert_person(widget_host::store::Person {
            id: "20123".into(),
            given_name: "Rita".into(),
            family_name: "Real".into(),
            ..Default::default()
        })
        .expect("person");
}

/// A bare start on a directory the demo did not make (imported into `./data` by a bare
/// `import-users`) serves no demo: its switcher would write its made-up people into
/// that directory. Asked for by name, it serves.
#[tokio::test]
async fn a_bare_start_on_a_real_directory_serves_no_demo() {
    let real = |c: &mut widget_host::config::Config| {
        std::fs::create_dir_all(&c.data_dir).expect("data folder");
        import_a_real_person(&c.database_path());
    };
    let server = common::start(|c, _| {
        real(c);
        c.demo = None;
    })
    .await;
    let home = client().get(server.url("/")).send().await.expect("get");
    assert_eq!(home.status(), StatusCode::NOT_FOUND);
    let dir = server.stop_keeping_data().await;
    let path = dir.path().join("data").join("widget-host.redb");
    let social = widget_host::social::Social::open(&path).expect("open");
    let reader = social.read().expect("read");
    assert_eq!(reader.directory_size().expect("size"), 1, "nobody added");
    drop((reader, social));

    let server = common::start_in(dir, |c, _| c.demo = Some(true)).await;
    let home = client().get(server.url("/")).send().await.expect("get");
    assert_eq!(home.status(), StatusCode::OK, "asked for by name");
    server.stop().await;
}

/// A directory the demo seeded, into which real people were imported afterwards (a
/// bare `import-users` into `./data`), serves no demo at the next bare start either:
/// anyone playing its people would see the real ones.
#[tokio::test]
async fn real_people_imported_beside_the_demos_turn_it_off() {
    let server = common::start(|c, _| c.demo = None).await;
    let home = client().get(server.url("/")).send().await.expect("get");
    assert_eq!(home.status(), StatusCode::OK, "the demo, seeded");
    let dir = server.stop_keeping_data().await;
    import_a_real_person(&dir.path().join("data").join("widget-host.redb"));
    let server = common::start_in(dir, |c, _| c.demo = None).await;
    let home = client().get(server.url("/")).send().await.expect("get");
    assert_eq!(
        home.status(),
        StatusCode::NOT_FOUND,
        "a real person beside them"
    );
    let switch = client()
        .get(server.url("/demo/switch?as=ana.lima"))
        .send()
        .await
        .expect("get");
    assert_eq!(switch.status(), StatusCode::NOT_FOUND);
    server.stop().await;
}

#[tokio::test]
async fn the_demo_is_off_unless_asked_for() {
    let server = common::start(|c, _| c.demo = Some(false)).await;
    assert_eq!(
        client()
            .get(server.url("/"))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        client()
            .get(server.url("/demo/switch?as=ana.lima"))
            .send()
            .await
            .expect("get")
            .status(),
        StatusCode::NOT_FOUND
    );
    server.stop().await;
}

/// Every demo person can be played on both pages. The administrator also gets the
/// Configuration link of each widget that has an edit mode (the Notifications widget
/// has none), and the link opens that placement's preferences.
#[tokio::test]
async fn every_demo_person_can_be_played_and_the_administrator_configures() {
    use widget_host::demo::people::{ADMINISTRATOR, roster};
    let server = common::start(|c, _| c.demo = Some(true)).await;
    let get = |path: String, person: &str| {
        let request = client()
            .get(server.url(&path))
            .header("cookie", format!("widget_host_demo_person={person}"));
        async move {
            let answer = request.send().await.expect("get");
            let status = answer.status();
            // A person's page, with their forms' tokens: kept by no shared cache.
            let header = |name: &str| answer.headers().get(name).cloned();
            assert_eq!(
                header("cache-control").as_ref().map(|v| v.as_bytes()),
                Some(&b"private, no-store"[..])
            );
            let vary: Vec<&[u8]> = answer
                .headers()
                .get_all("vary")
                .iter()
                .map(|v| v.as_bytes())
                .collect();
            assert!(vary.contains(&&b"Cookie"[..]), "{vary:?}");
            (status, answer.text().await.expect("html"))
        }
    };
    for (person, _) in roster() {
        for (path, editable) in [("/", 1), ("/content", 2)] {
            let (status, html) = get(path.to_owned(), person).await;
            assert_eq!(status, StatusCode::OK, "{person} on {path}: {html}");
            // Played as that person, not as the one a page falls back to.
            assert!(
                html.contains(&format!("name=\"p_auth\" value=\"demo~{person}~")),
                "{person} on {path}: {html}"
            );
            let links = html.matches("class=\"portlet-options\"").count();
            let expected = if person == ADMINISTRATOR { editable } else { 0 };
            assert_eq!(links, expected, "{person} on {path}");
        }
    }
    // The Configuration link keeps the other placements' place.
    let (status, html) = get(
        "/?_notifications_filter=x&_contacts_center_INSTANCE_dashboard_filter=following".to_owned(),
        ADMINISTRATOR,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("href=\"/?p_p_id=contacts_center_INSTANCE_dashboard&amp;p_p_mode=edit&amp;_notifications_filter=x&amp;_contacts_center_INSTANCE_dashboard_filter=following#p_p_id_contacts_center_INSTANCE_dashboard_\">Configuration</a>"),
        "{html}"
    );
    // The page a view is on is titled as it was; edit mode's says so.
    assert!(
        html.contains("<title lang=\"en\">Dashboard – widget-host demo portal</title>"),
        "{html}"
    );
    let (status, html) = get(
        "/?p_p_id=contacts_center_INSTANCE_dashboard&p_p_mode=edit".to_owned(),
        ADMINISTRATOR,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(
        html.contains("id=\"_contacts_center_INSTANCE_dashboard_preferences\""),
        "{html}"
    );
    assert!(
        html.contains(
            "<title lang=\"en\">Configuration – Dashboard – widget-host demo portal</title>"
        ),
        "{html}"
    );
    // The administrator's note is in the main landmark, where moving by landmarks
    // finds it.
    let note = html
        .find("class=\"demo-note\"")
        .expect("the administrator's note");
    assert!(html.find("<main").is_some_and(|main| main < note), "{html}");
    assert!(html.find("</main>").is_some_and(|end| note < end), "{html}");
    // Anyone else asking for edit mode is refused in the placement, in the page's
    // language (its tag on the alert), and the refusal is announced.
    // The last of them: not the person a page without a choice is played as.
    let (someone, _) = roster()
        .filter(|(p, _)| *p != ADMINISTRATOR)
        .last()
        .expect("a person who is not the administrator");
    let (status, refused) = get(
        "/?p_p_id=contacts_center_INSTANCE_dashboard&p_p_mode=edit".to_owned(),
        someone,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert!(
        refused.contains("<div class=\"alert alert-danger\" role=\"alert\" lang=\"en-US\">You do not have the required permissions."),
        "{refused}"
    );
    // Nothing is being configured there: the page keeps its own title, as it does for
    // the administrator asking edit mode of a widget that has none.
    let dashboard = "<title lang=\"en\">Dashboard – widget-host demo portal</title>";
    assert!(refused.contains(dashboard), "{refused}");
    let (status, notifications) = get(
        "/?p_p_id=notifications&p_p_mode=edit".to_owned(),
        ADMINISTRATOR,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{notifications}");
    assert!(notifications.contains(dashboard), "{notifications}");
    // Nor where the widget shows no form: a second mode after the one it reads, or a
    // minimized placement.
    for query in [
        "p_p_mode=view&p_p_mode=edit",
        "p_p_mode=edit&p_p_state=minimized",
    ] {
        let (status, page) = get(
            format!("/?p_p_id=contacts_center_INSTANCE_dashboard&{query}"),
            ADMINISTRATOR,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert!(page.contains(dashboard), "{query}: {page}");
        assert!(!page.contains("_preferences\""), "{query}: {page}");
    }
    // On a German page the refusal is German, and says so to a screen reader.
    let (status, refused) = get(
        "/?languageId=de_DE&p_p_id=contacts_center_INSTANCE_dashboard&p_p_mode=edit".to_owned(),
        someone,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{refused}");
    assert!(
        refused.contains("<div class=\"alert alert-danger\" role=\"alert\" lang=\"de-DE\">Sie haben nicht die erforderlichen Berechtigungen."),
        "{refused}"
    );
    // The preferences form's token stands for the administrator's role, and lasts an
    // hour; the other forms' tokens last the working day.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let hours_left = |html: &str| -> Vec<u64> {
        html.split("p_auth\" value=\"")
            .skip(1)
            .map(|rest| {
                let token = &rest[..rest.find('"').expect("value ends")];
                let mac = token.rsplit('~').next().expect("mac");
                let raw =
                    base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, mac)
                        .expect("base64url");
                let expires = u64::from_be_bytes(raw[..8].try_into().expect("8 bytes"));
                (expires - now + 60) / 3600
            })
            .collect()
    };
    assert_eq!(hours_left(&html), [1], "the edit page's only form");
    let (_, view) = get("/".to_owned(), ADMINISTRATOR).await;
    let view_hours = hours_left(&view);
    assert!(
        !view_hours.is_empty() && view_hours.iter().all(|h| *h == 12),
        "{view_hours:?}"
    );
    server.stop().await;
}

/// The demo answers at an IP address, at `localhost` and at `public_url`'s host, so a
/// web page whose own name is pointed at 127.0.0.1 (DNS rebinding) cannot read its
/// pages. The host's other routes are not the demo's, and answer on any name.
#[tokio::test]
async fn the_demo_answers_only_at_addresses_localhost_and_its_public_url() {
    let server = common::start(|c, _| {
        c.demo = Some(true);
        c.public_url = Some("https://demo.example.org".into());
    })
    .await;
    let port = server.addr.port();
    let status = |path: &'static str, host: String| {
        let request = client().get(server.url(path)).header("host", host);
        async move { request.send().await.expect("get").status() }
    };
    for path in ["/", "/content", "/demo/demo.css"] {
        for host in [
            format!("127.0.0.1:{port}"),
            format!("LocalHost:{port}"),
            format!("localhost.:{port}"),
            format!("[::1]:{port}"),
            format!("[::ffff:7f00:1]:{port}"),
            format!("192.0.2.7:{port}"),
            "demo.example.org".to_owned(),
            "Demo.Example.org.:443".to_owned(),
        ] {
            assert_eq!(
                status(path, host.clone()).await,
                StatusCode::OK,
                "{path} {host}"
            );
        }
        for host in [
            format!("rebound.example:{port}"),
            "localhost.example".to_owned(),
            "127.0.0.1.example".to_owned(),
            "app.localhost".to_owned(),
            "demo.example.org:8443".to_owned(),
            "demo.example.org:80".to_owned(),
        ] {
            assert_eq!(
                status(path, host.clone()).await,
                StatusCode::MISDIRECTED_REQUEST,
                "{path} {host}"
            );
        }
    }
    assert_eq!(
        status("/healthz", format!("rebound.example:{port}")).await,
        StatusCode::OK
    );
    // A browser reads the refusal as a page, saying what to set.
    let refused = client()
        .get(server.url("/"))
        .header("host", format!("rebound.example:{port}"))
        .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8")
        .send()
        .await
        .expect("get");
    assert_eq!(refused.status(), StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(
        refused.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    let page = refused.text().await.expect("page");
    assert!(
        page.contains("<h1>The demo answers only at an IP address"),
        "{page}"
    );
    server.stop().await;
}

/// A configuration error that needs no database (a key file that is not there, a
/// template folder that is not one) stops the start before the database is opened,
/// or created, or migrated: the way back to an older host stays open.
#[tokio::test]
async fn a_bad_key_file_or_template_folder_stops_the_start_before_the_database() {
    let dir = tempfile::tempdir().expect("tempdir");
    let database = dir.path().join("data").join("widget-host.redb");
    let mut keyless = common::test_config(dir.path());
    keyless.consumers.push(widget_host::config::ConsumerConfig {
        id: "portal".into(),
        hs256_secret: None,
        jwks_file: Some(dir.path().join("no-such-jwks.json")),
        allowed_origins: vec!["https://portal.test".into()],
        wsrp_secret: None,
        audience: None,
        wsrp_guest_users: Vec::new(),
    });
    let mut templateless = common::test_config(dir.path());
    templateless.templates_dir = Some(dir.path().join("no-such-templates"));
    for (config, said) in [(keyless, "portal"), (templateless, "templates_dir")] {
        let refused = widget_host::http::state::AppState::start(config)
            .await
            .err()
            .expect("refused");
        assert!(refused.to_string().contains(said), "{refused}");
        assert!(!database.exists(), "{refused}: the database was not opened");
    }
}

/// An action from the demo page comes back to it, on the port the host was given by
/// the system (`--listen 127.0.0.1:0`): the demo's own origins name the address bound,
/// so its redirect is not the bare widget page's.
#[tokio::test]
async fn an_action_from_the_demo_page_comes_back_to_it() {
    let server = common::start(|c, _| c.demo = Some(true)).await;
    let html = client()
        .get(server.url("/"))
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    let unescape = |v: &str| {
        v.replace("&quot;", "\"")
            .replace("&#x27;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    };
    // The first action form of the page with its own token, its hidden fields and
    // its button.
    let form = html
        .split("<form")
        .map(|f| f.split("</form>").next().unwrap_or_default())
        .find(|f| f.contains("/actions/") && f.contains("<input type=\"hidden\" name=\"p_auth\""))
        .and_then(|f| f.split("</form>").next())
        .unwrap_or_else(|| panic!("an action form: {html}"));
    let attribute = |tag: &str, name: &str| {
        tag.split(&format!("{name}=\""))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(unescape)
    };
    let action = attribute(form, "action").expect("action");
    let mut fields: Vec<(String, String)> = form
        .split("<input ")
        .skip(1)
        .filter(|input| input.contains("type=\"hidden\""))
        .filter_map(|input| Some((attribute(input, "name")?, attribute(input, "value")?)))
        .collect();
    if let Some((name, value)) = form
        .split("<button ")
        .skip(1)
        .find_map(|button| Some((attribute(button, "name")?, attribute(button, "value")?)))
    {
        fields.push((name, value));
    }
    let answer = client()
        .post(if action.starts_with("http") {
            action.clone()
        } else {
            server.url(&action)
        })
        .header("accept", "text/html")
        .form(&fields)
        .send()
        .await
        .expect("post");
    assert_eq!(
        answer.status(),
        StatusCode::SEE_OTHER,
        "{action} {fields:?}"
    );
    let location = common::location(&answer);
    assert!(
        location.starts_with(&server.url("/")) && !location.contains("/widgets/"),
        "back to the demo page, not the widget's own: {location}"
    );
    server.stop().await;
}

/// The demo's stylesheet is checked again at each use: one a browser kept for minutes
/// after an upgrade would draw the new markup with the old styles. Checked with its
/// tag, it is not sent again.
#[tokio::test]
async fn the_demo_stylesheet_is_checked_again_at_each_use() {
    let server = common::start(|c, _| c.demo = Some(true)).await;
    let response = client()
        .get(server.url("/demo/demo.css"))
        .send()
        .await
        .expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
    let tag = response.headers()["etag"].clone();
    let again = client()
        .get(server.url("/demo/demo.css"))
        .header("if-none-match", tag)
        .send()
        .await
        .expect("get");
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    server.stop().await;
}
