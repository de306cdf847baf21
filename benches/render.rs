//! `cargo bench --bench render`: what one Contacts Center render costs, without HTTP.
//!
//! Builds a file-backed graph of a few thousand people, a viewer with ~1,000
//! connections, and renders the home list, the connections filter, a search and a
//! person's card through the widget with the native protocol's own URLs (real `p_auth`
//! minting, afresh for each render). Prints µs per render. `RENDER_ITERS` sets the
//! loop count (use a small one under callgrind), `RENDER_VIEW` the one view to render,
//! and `RENDER_TEMPLATES_DIR` an administrator's `templates_dir`: with copies of the
//! built-in templates there, what a view costs when its templates are overridden.

use std::sync::Arc;
use std::time::Instant;

use widget_host::descriptors;
use widget_host::http::native::{NativeUrls, TokenMinter};
use widget_host::i18n::Languages;
use widget_host::portal::auth::{DEFAULT_P_AUTH_TTL, PAuth, PAuthBinding, PAuthTarget};
use widget_host::portal::{
    Params, Phase, PortalUser, PortletId, PortletMode, Profile, Request, Viewer, WindowState,
};
use widget_host::social::{BulkEdge, Social};
use widget_host::store::Person;
use widget_host::templates::Templates;
use widget_host::widgets::{Widget, builtin_widgets, contacts_center};

/// The allocator the host runs with (src/main.rs), so instruction counts and times
/// are the host's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const PEOPLE: usize = 5_000;
const VIEWER_DEGREE: usize = 1_000;

fn person(i: usize) -> Person {
    Person {
        id: format!("u{i}"),
        given_name: format!("Given{i}"),
        family_name: format!("Family{i:05}"),
        email_address: format!("u{i}@example.com"),
        job_title: "Engineer".to_owned(),
        ..Person::default()
    }
}

fn seed(social: &Social) {
    social
        .upsert_people((0..PEOPLE).map(person).collect())
        .expect("people");
    let mut edges: Vec<BulkEdge> = (1..=VIEWER_DEGREE)
        .map(|i| BulkEdge::Connection("u0".into(), format!("u{i}")))
        .collect();
    // Some variety for the badges: follows both ways and a few blocks.
    edges.extend((1..200).map(|i| BulkEdge::Follow("u0".into(), format!("u{}", i * 3))));
    edges.extend((1..200).map(|i| BulkEdge::Follow(format!("u{}", i * 5), "u0".into())));
    // A background graph so the tables are not tiny.
    edges.extend(
        (1..PEOPLE)
            .flat_map(|i| (1..10).map(move |k| (i, (i * 7 + k * 131) % PEOPLE)))
            .filter(|(a, b)| a != b && *b != 0)
            .map(|(a, b)| BulkEdge::Connection(format!("u{a}"), format!("u{b}"))),
    );
    social.link_many(edges).expect("edges");
}

fn request(pauth: &PAuth, params: &[(&str, &str)]) -> Request {
    let portlet = PortletId::parse("contacts_center").expect("portlet id");
    let descriptor = descriptors::builtin()
        .get(portlet.name())
        .cloned()
        .expect("built-in descriptor");
    let mut p = Params::new();
    for (k, v) in params {
        p.add(*k, *v);
    }
    let key = pauth.clone();
    let pid = portlet.as_str().to_owned();
    let minter: TokenMinter = Arc::new(move |target: PAuthTarget<'_>| {
        let binding = PAuthBinding {
            consumer: "bench",
            user_id: "u0",
            portlet_id: &pid,
            target,
        };
        format!("bench~u0~{}", key.issue(&binding, DEFAULT_P_AUTH_TTL))
    });
    let urls = NativeUrls::new(
        portlet.clone(),
        "http://127.0.0.1:8080",
        None,
        Vec::new(),
        Some(minter),
    );
    Request {
        phase: Phase::Render,
        urls: Arc::new(urls),
        portlet,
        descriptor,
        mode: PortletMode::View,
        window_state: WindowState::Normal,
        locale: "en_US".to_owned(),
        dates_locale: "en-US".to_owned(),
        viewer: Viewer::User(PortalUser {
            consumer: "bench".to_owned(),
            user_id: "u0".to_owned(),
            roles: Vec::new(),
            profile: Profile::default(),
        }),
        name: None,
        params: p,
        page_url: None,
        page_owner: None,
        csp_nonce: None,
    }
}

fn main() {
    let iters: usize = std::env::var("RENDER_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let only = std::env::var("RENDER_VIEW").ok();
    let dir = tempfile::tempdir().expect("tempdir");
    let social = Social::open(dir.path().join("render.redb")).expect("open");
    seed(&social);
    let templates = std::env::var_os("RENDER_TEMPLATES_DIR").map(std::path::PathBuf::from);
    let widgets = builtin_widgets(
        social.clone(),
        Arc::new(Templates::new(templates.as_deref())),
        Languages::shared(),
    );
    let widget: &dyn Widget = widgets[contacts_center::KIND].as_ref();
    let pauth = PAuth::random();
    let views: [(&str, Vec<(&str, &str)>); 4] = [
        ("home", vec![]),
        ("filter", vec![("filter", "connections")]),
        ("search", vec![("keywords", "given1")]),
        ("detail", vec![("userId", "u3")]),
    ];
    for (name, params) in &views {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        let html = widget
            .render(&request(&pauth, params))
            .expect("render")
            .html;
        // A request per render, as the host makes one per HTTP request: its URLs mint
        // their `p_auth` tokens afresh, where one request rendered again would reuse
        // the tokens it minted the first time.
        let requests: Vec<Request> = (0..iters).map(|_| request(&pauth, params)).collect();
        let mut bytes = 0;
        let start = Instant::now();
        for req in &requests {
            bytes += widget.render(req).expect("render").html.len();
        }
        let took = start.elapsed();
        println!(
            "{name:>7}: {:8.1} µs/render ({} bytes, {} rows)",
            took.as_secs_f64() * 1e6 / iters as f64,
            bytes / iters,
            html.matches("<li class=\"list-group-item").count(),
        );
    }
}
