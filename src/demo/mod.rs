//! The demo portal: a small portal-like site at `/` so a newcomer can try every feature
//! as several people at once. It is a *consumer*: it signs its users' JWTs as the
//! built-in `demo` consumer and asks for fragments through the native render path,
//! exactly as a remote portal would; forms in the fragments post to the host with their
//! own `p_auth` and come back here by redirect.

pub mod people;

use std::sync::Arc;
use std::time::Duration;

use hyper::header::{
    ACCEPT_LANGUAGE, AUTHORIZATION, COOKIE, HOST, HeaderValue, LOCATION, SET_COOKIE,
};
use hyper::{Request, Response, StatusCode};

use crate::http::native::host_base;
use crate::http::response::{self, Body, HttpError};
use crate::http::state::{AppState, DEMO_CONSUMER};
use crate::http::widget_routes;
use crate::portal::auth::outcome::{self, OUTCOME_PARAMS};
use crate::portal::{PortletId, Profile};

/// Whether the demo's pages may answer a request that names `headers`' `Host`: an IP
/// address, `localhost`, or `public_url`'s host and port. A web page whose name its
/// owner points at 127.0.0.1, or at the machine's own address (DNS rebinding), would
/// otherwise read the demo's pages, and the action tokens in them, as pages of its own
/// origin. Rebinding needs a name, so an address is safe to answer; another name must
/// be the one `public_url` gives. A request without `Host` comes from no browser.
pub fn answers_host(config: &crate::config::Config, headers: &hyper::HeaderMap) -> bool {
    let Some(host) = headers.get(HOST) else {
        return true;
    };
    let Some((name, port)) = host
        .to_str()
        .ok()
        .and_then(|h| h.parse::<hyper::http::uri::Authority>().ok())
        .map(|a| (bare_name(a.host()), a.port_u16()))
    else {
        return false;
    };
    if name == "localhost" || name.parse::<std::net::IpAddr>().is_ok() {
        return true;
    }
    // The origin browsers are told to use: its name, and its port or the scheme's.
    let public = config
        .public_url
        .as_deref()
        .and_then(|url| url.parse::<hyper::Uri>().ok())
        .and_then(|url| {
            let https = url.scheme_str() == Some("https");
            let default = if https { 443 } else { 80 };
            let authority = url.authority()?;
            Some((
                bare_name(authority.host()),
                authority.port_u16().unwrap_or(default),
                default,
            ))
        });
    public.is_some_and(|(public_name, public_port, default)| {
        public_name == name && public_port == port.unwrap_or(default)
    })
}

/// A host name as compared: lower case, without an IPv6 address's brackets or a
/// fully qualified name's final dot.
fn bare_name(host: &str) -> String {
    let name = host.trim_start_matches('[').trim_end_matches(']');
    name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase()
}

/// Cookie holding who the visitor is playing.
const PERSON_COOKIE: &str = "widget_host_demo_person";

/// A widget placed on a demo page.
struct Placement {
    portlet_id: &'static str,
    /// Page column (0 = wide main column, 1 = side column).
    column: usize,
}

/// The dashboard: Contacts Center and Notifications side by side.
const DASHBOARD: [Placement; 2] = [
    Placement {
        portlet_id: "contacts_center_INSTANCE_dashboard",
        column: 0,
    },
    Placement {
        portlet_id: "notifications",
        column: 1,
    },
];

/// The content page: two Contacts Centers with different preferences.
const CONTENT: [Placement; 2] = [
    Placement {
        portlet_id: "contacts_center_INSTANCE_team",
        column: 0,
    },
    Placement {
        portlet_id: "contacts_center_INSTANCE_directory",
        column: 1,
    },
];

/// Preferences of the content page's second instance: a compact directory.
pub const COMPACT_PREFERENCES: [(&str, &str); 5] = [
    ("pageSize", "5"),
    ("showPhones", "false"),
    ("showAddresses", "false"),
    ("showWebsites", "false"),
    ("showIcon", "false"),
];

/// Seeds demo people and the compact instance's preferences into an empty database.
pub fn prepare(social: &crate::social::Social) -> Result<(), crate::social::SocialError> {
    let compact = COMPACT_PREFERENCES
        .iter()
        .map(|(k, v)| ((*k).to_owned(), vec![(*v).to_owned()]))
        .collect();
    if people::seed_if_empty(social, vec![(CONTENT[1].portlet_id.to_owned(), compact)])? {
        tracing::info!("demo people seeded");
    }
    Ok(())
}

/// A language of the switcher as its own speakers name it: a reader looks for their
/// language under its own name, and a screen reader cannot say `de_DE`.
fn endonym(id: &'static str) -> &'static str {
    match id {
        "en_US" => "English",
        "es_ES" => "Español",
        "de_DE" => "Deutsch",
        "fr_FR" => "Français",
        "pt_BR" => "Português (Brasil)",
        "ja_JP" => "日本語",
        "zh_CN" => "简体中文",
        other => other,
    }
}

/// Render parameters a page URL does not keep for the links of the other placements,
/// with [`OUTCOME_PARAMS`]. Those say what just happened, not where a placement is
/// (the outcome of an action, whom it named, the contact it refused): kept, the
/// outcome would show again after every click elsewhere on the page. Nor the seal
/// over them, nor `cursor`, a later page of a list: Notifications has no link back to
/// its first page, so a page kept there would hide the newest requests while the
/// reader works in another placement.
const NOT_KEPT: [&str; 2] = [outcome::SEAL, "cursor"];

/// The placements' state the page keeps: every placement's namespaced render
/// parameters (a portal keeps each portlet's render parameters while another is used,
/// as Liferay does), but for the one-time ones. Without the others' state, a card
/// opened in one placement, or a request answered in Notifications, would throw the
/// rest of the page back to their first views. The routing parameters (`p_p_*`) are
/// the acting link's own, and each placement drops its own state from the links it
/// writes.
///
/// Bounded as the host bounds a portal's page URL, whole: a longer one would be passed
/// over, and every link of the page would lose the page. State past the bound is
/// dropped whole, never in part: a placement's filter kept without its search would
/// show another list and not say so.
fn kept_state(
    base: &str,
    language: Option<&str>,
    query: &[(String, String)],
) -> Vec<(String, String)> {
    let placement_state = |name: &str| {
        name.starts_with('_')
            && name.len() <= 256
            && !OUTCOME_PARAMS
                .iter()
                .chain(&NOT_KEPT)
                .any(|once| name.strip_suffix(once).is_some_and(|ns| ns.ends_with('_')))
    };
    let state: Vec<(String, String)> = query
        .iter()
        .filter(|(name, _)| placement_state(name))
        .cloned()
        .collect();
    if address(base, language, &state).len() <= crate::http::native::MAX_PAGE_URL_BYTES {
        state
    } else {
        Vec::new()
    }
}

/// `base` with the page's language and `state` as its query: the page's own URL (each
/// placement's `p_l_url`) from the page's base.
fn address(base: &str, language: Option<&str>, state: &[(String, String)]) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    if let Some(language) = language {
        query.append_pair("languageId", language);
    }
    for (name, value) in state {
        query.append_pair(name, value);
    }
    let query = query.finish();
    if query.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{query}")
    }
}

/// `GET /` (dashboard) and `GET /content`.
pub async fn page<B>(
    state: &Arc<AppState>,
    req: Request<B>,
    page: &'static str,
) -> Result<Response<Body>, HttpError> {
    // Only the head is needed; holding the body across awaits would tie the future to it.
    let (head, _) = req.into_parts();
    let req = Request::from_parts(head, ());
    let person = current_person(&req);
    let placements: &[Placement] = if page == "content" {
        &CONTENT
    } else {
        &DASHBOARD
    };
    let base = host_base(&state.config, req.headers());
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    // Its region stays even where the widgets have no texts in it, as a portal's
    // does: `en_GB` reads English with British dates.
    let language = language_of(&query);
    let path = if page == "content" { "/content" } else { "/" };
    // The widgets' language, as they negotiate it from what the page forwards: the
    // page's `lang` must say what its widgets are written in (screen readers read by it).
    let accepted = req
        .headers()
        .get(hyper::header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let locale = crate::i18n::negotiate(language.as_deref(), None, accepted);
    let page_lang = crate::i18n::language_tag(&locale);
    let page_base = format!("{base}{path}");
    let kept = kept_state(&page_base, language.as_deref(), &query);
    let page_url = address(&page_base, language.as_deref(), &kept);
    // The portal's own controls keep the placements' state as their links do: a
    // language applied, the bell (to the dashboard, whose placements only this page's
    // state can be of) and an administrator's Configuration link would otherwise
    // throw every placement back to its first view.
    let bell = address(
        "/",
        language.as_deref(),
        if path == "/" { &kept } else { &[] },
    );
    let state_query = address("", None, &kept);
    let token = demo_token(state, &person)?;
    let selected = query
        .iter()
        .find(|(k, _)| k == "p_p_id")
        .map(|(_, v)| v.as_str());
    // As the widget reads them: the first of each, and a minimized placement shows
    // no form.
    let first = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let edit_asked = first("p_p_mode").is_some_and(|m| m.eq_ignore_ascii_case("edit"))
        && !first("p_p_state").is_some_and(|s| s.eq_ignore_ascii_case("minimized"));
    // A placement of the page in edit mode, its form shown to the administrator: the
    // page's title says so, as a portal's does (not for a refusal, or a placement
    // that is not on the page or has no edit mode).
    let mut configuring = false;

    // The page runs under a Content-Security-Policy that allows scripts by this
    // nonce alone, as a portal with Liferay's CSP feature does: its own script and
    // each fragment's (passed as `cspNonce`) carry it, and the browser tests run
    // every enhanced path under it.
    let nonce = page_nonce();
    let mut columns: [Vec<serde_json::Value>; 2] = [Vec::new(), Vec::new()];
    for placement in placements {
        let html = fragment(
            state,
            &req,
            placement.portlet_id,
            &query,
            selected,
            &ForPage {
                url: &page_url,
                token: &token,
                nonce: &nonce,
            },
        )
        .await;
        let catalog = state.catalog.current();
        let widget = PortletId::parse(placement.portlet_id).and_then(|id| catalog.get(id.name()));
        // The widget kind's title in the page's language, as a portal titles a portlet
        // from its resource bundle; a title the administrator wrote in the descriptor
        // instead is theirs, and shown as written.
        let title = widget
            .map(|d| {
                crate::widgets::bundle_title(state.languages, d, &locale)
                    .unwrap_or_else(|| d.title.clone())
            })
            .unwrap_or_default();
        // The administrator's Configuration link, for widgets that have an edit mode.
        let editable = widget.is_some_and(|d| d.supports(crate::portal::PortletMode::Edit));
        configuring |= edit_asked
            && editable
            && selected == Some(placement.portlet_id)
            && person == people::ADMINISTRATOR;
        columns[placement.column].push(serde_json::json!({
            "id": placement.portlet_id, "title": title, "html": html, "editable": editable,
        }));
    }

    let roster: Vec<_> = people::roster()
        .map(|(id, name)| serde_json::json!({"id": id, "name": name, "selected": id == person}))
        .collect();
    // Each language by its own name, in its own voice; the one the page is in is
    // chosen, however it was arrived at (a browser's Accept-Language too), so that
    // Apply without a change keeps it.
    let shown = crate::i18n::normalize(&locale);
    let languages: Vec<_> = crate::i18n::SUPPORTED_LANGUAGE_IDS
        .iter()
        .map(|l| {
            serde_json::json!({
                "id": l,
                "name": endonym(l),
                "lang": crate::i18n::language_tag(l),
                "selected": shown == Some(*l),
            })
        })
        .collect();
    // The bell's count and the page around the fragments, off the async runtime: a
    // snapshot, and a template with both fragments in it. The count is read after the
    // fragments, each with its own snapshot, as a portal's parts are: a request that
    // lands in between shows in the bell first.
    let (social, templates) = (state.social.clone(), Arc::clone(&state.templates));
    let policy = page_policy(&nonce);
    let html = state.render_pool.run(move || {
        let pending = social
            .read()
            .and_then(|r| Ok(r.counts(&person)?))
            .map(|c| c.requests)
            .unwrap_or(0);
        templates.render(
            "demo/page.html",
            serde_json::json!({
                "page": page, "path": path, "columns": columns, "roster": roster, "languages": languages,
                "lang": page_lang,
                "pending": pending, "language": language, "administrator": person == people::ADMINISTRATOR,
                "kept": kept, "bell": bell, "state_query": state_query, "nonce": nonce,
                "person": person, "configuring": configuring,
            }),
        )
    })
    .await
    .map_err(|_| HttpError::Internal)?
    .map_err(|e| {
        tracing::error!(error = %e, "demo page failed");
        HttpError::Internal
    })?;
    let mut page = response::html(StatusCode::OK, html);
    // The page is the person the cookie names, with their forms' p_auth tokens: no
    // shared cache may keep it, nor give it to another cookie.
    let headers = page.headers_mut();
    headers.insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("private, no-store"),
    );
    headers.insert(
        hyper::header::VARY,
        hyper::header::HeaderValue::from_static("Cookie"),
    );
    response::forbid_framing(headers);
    if let Ok(policy) = hyper::header::HeaderValue::from_str(&policy) {
        headers.insert(hyper::header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(page)
}

/// A nonce for one page: 128 random bits, in the base64 a CSP nonce is written in.
fn page_nonce() -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 16]>())
}

/// The demo page's policy: scripts by `nonce` only, everything else from the page's
/// own origin, no framing. What a strict portal page sends; the fragments need no more.
fn page_policy(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'nonce-{nonce}'; style-src 'self'; img-src 'self' https:; connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
    )
}

/// The `languageId` a demo page's query names, as a Liferay page carries it: rebuilt
/// from its checked letters (it goes into the page's links and the switcher's
/// redirect), in a language the widgets have texts for.
fn language_of(query: &[(String, String)]) -> Option<String> {
    query
        .iter()
        .find(|(k, _)| k == "languageId")
        .and_then(|(_, v)| crate::i18n::liferay_id(v))
}

/// `GET /demo/switch?as=ID&back=/path`: play another person.
pub fn switch<B>(req: &Request<B>) -> Response<Body> {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .into_owned()
            .collect();
    let wanted = query
        .iter()
        .find(|(k, _)| k == "as")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    // Only a local path: the switcher never redirects anywhere else.
    let back = query
        .iter()
        .find(|(k, _)| k == "back")
        .map(|(_, v)| v.as_str())
        .filter(|b| *b == "/" || *b == "/content")
        .unwrap_or("/");
    // The page comes back in the language it was read in.
    let language = language_of(&query);
    let location = match language {
        Some(id) => format!("{back}?languageId={id}"),
        None => back.to_owned(),
    };
    let mut response = response::text(StatusCode::SEE_OTHER, "");
    if let Ok(location) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, location);
    }
    if people::roster().any(|(id, _)| id == wanted)
        && let Ok(cookie) = HeaderValue::from_str(&format!(
            "{PERSON_COOKIE}={wanted}; Path=/; SameSite=Lax; HttpOnly"
        ))
    {
        response.headers_mut().insert(SET_COOKIE, cookie);
    }
    response
}

/// `GET /demo/demo.css`: the demo page's stylesheet, written for Clay's class names.
/// Checked again at each use (it is a few KiB on loopback): one kept for minutes
/// after an upgrade drew the new markup with the old styles, as the browser tests
/// found when a port one run had used came round again.
pub fn stylesheet(
    request: &hyper::HeaderMap,
) -> Result<Response<Body>, crate::http::response::HttpError> {
    response::revalidated(request, "text/css; charset=utf-8", include_str!("demo.css"))
}

/// The person from the cookie, if it names a demo person; else the default one.
fn current_person<B>(req: &Request<B>) -> String {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == PERSON_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|id| people::roster().any(|(known, _)| known == id))
        .unwrap_or_else(|| people::DEFAULT_PERSON.to_owned())
}

fn demo_token(state: &AppState, person: &str) -> Result<String, HttpError> {
    let secret = state.demo_secret.as_deref().ok_or(HttpError::NotFound)?;
    let roles = if person == people::ADMINISTRATOR {
        vec!["Administrator".to_owned()]
    } else {
        Vec::new()
    };
    crate::portal::auth::mint(
        DEMO_CONSUMER,
        secret,
        person,
        &roles,
        &Profile::default(),
        Duration::from_secs(600),
    )
    .map_err(|_| HttpError::Internal)
}

/// What every placement of one page is rendered with: the page's own URL (each
/// placement's `p_l_url`), the demo user's JWT, and the page's script nonce.
struct ForPage<'a> {
    url: &'a str,
    token: &'a str,
    nonce: &'a str,
}

/// One placement's fragment, asked for through the native render path with the demo
/// user's JWT. The page's parameters for this placement (its namespace) pass through;
/// mode and window state only when `p_p_id` selects it, as in Liferay.
async fn fragment(
    state: &Arc<AppState>,
    page: &Request<()>,
    portlet_id: &str,
    query: &[(String, String)],
    selected: Option<&str>,
    for_page: &ForPage<'_>,
) -> String {
    let ForPage {
        url: page_url,
        token,
        nonce,
    } = *for_page;
    let namespace = format!("_{portlet_id}_");
    // Built in its own scope: the serializer is not Send and must not live across an await.
    let forwarded = {
        let mut forward = form_urlencoded::Serializer::new(String::new());
        forward.append_pair("p_l_url", page_url);
        forward.append_pair("cspNonce", nonce);
        for (name, value) in query {
            let portal_param =
                matches!(name.as_str(), "p_p_mode" | "p_p_state") && selected == Some(portlet_id);
            if crate::portal::own_param(name, &namespace).is_some()
                || name == "languageId"
                || portal_param
            {
                forward.append_pair(name, value);
            }
        }
        forward.finish()
    };
    let uri = format!("/widgets/{portlet_id}/render?{forwarded}");
    let mut builder = Request::builder()
        .uri(uri)
        .header(AUTHORIZATION, format!("Bearer {token}"));
    for name in [HOST, ACCEPT_LANGUAGE] {
        if let Some(value) = page.headers().get(&name) {
            builder = builder.header(name, value.clone());
        }
    }
    let Ok(request) = builder.body(()) else {
        return String::new();
    };
    match widget_routes::render(state, request, portlet_id).await {
        Ok(response) => {
            use http_body_util::BodyExt;
            match response.into_body().collect().await {
                Ok(body) => String::from_utf8_lossy(&body.to_bytes()).into_owned(),
                Err(_) => String::new(),
            }
        }
        // The widget's refusal in the page's language, or the host's own words in
        // English, said as such; announced, since it stands where the widget would be.
        Err(error) => format!(
            "<div class=\"alert alert-danger\" role=\"alert\" lang=\"{}\">{}</div>",
            quick_escape(error.lang()),
            quick_escape(&error.to_string())
        ),
    }
}

fn quick_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::{address, kept_state};

    /// The page's own URL, as `page` makes it.
    fn page_url(base: &str, language: Option<&str>, query: &[(String, String)]) -> String {
        address(base, language, &kept_state(base, language, query))
    }

    #[test]
    fn the_page_url_keeps_each_placements_place_but_not_its_last_outcome() {
        let query: Vec<(String, String)> = [
            ("p_p_id", "contacts_center_INSTANCE_team"),
            ("p_p_lifecycle", "0"),
            ("_contacts_center_INSTANCE_team_filter", "following"),
            ("_contacts_center_INSTANCE_team_userId", "ann"),
            (
                "_contacts_center_INSTANCE_team_message",
                "you-are-now-following-this-user",
            ),
            ("_contacts_center_INSTANCE_team_messageAuth", "AAAA"),
            ("_notifications_messageUserId", "bob"),
            ("_contacts_center_INSTANCE_directory_leftOut", "c"),
            ("_contacts_center_INSTANCE_directory_entryId", "7"),
            ("_notifications_cursor", "QUJD"),
            ("other", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            page_url("http://h/content", Some("de_DE"), &query),
            "http://h/content?languageId=de_DE\
             &_contacts_center_INSTANCE_team_filter=following\
             &_contacts_center_INSTANCE_team_userId=ann"
        );
        assert_eq!(page_url("http://h/", None, &[]), "http://h/");
        // State too long for every link of the page is dropped whole, measured as it
        // is written (a CJK search takes nine bytes a letter there).
        let long = vec![
            ("_cc_filter".to_owned(), "following".to_owned()),
            ("_cc_keywords".to_owned(), "山".repeat(230)),
        ];
        assert_eq!(
            page_url("http://h/", Some("ja_JP"), &long),
            "http://h/?languageId=ja_JP"
        );
        let fits = vec![
            ("_cc_filter".to_owned(), "following".to_owned()),
            ("_cc_keywords".to_owned(), "山".repeat(200)),
        ];
        assert!(
            page_url("http://h/", None, &fits).contains("_cc_filter=following&_cc_keywords=%E5")
        );
        // The bound is the whole URL's, as the host takes a page URL: state that
        // would fit alone but not after the page and its language is dropped too.
        let base = "http://localhost:8080/content";
        let at_most = crate::http::native::MAX_PAGE_URL_BYTES;
        let state = |n: usize| vec![("_cc_keywords".to_owned(), "x".repeat(n))];
        let whole = |n: usize| page_url(base, Some("ja_JP"), &state(n));
        let room = at_most - format!("{base}?languageId=ja_JP&_cc_keywords=").len();
        assert_eq!(whole(room).len(), at_most);
        assert!(crate::http::native::web_url(&whole(room)).is_some());
        assert_eq!(whole(room + 1), format!("{base}?languageId=ja_JP"));
    }

    /// The colour `#rrggbb` that follows `after` in the demo's stylesheet.
    fn colour_after(after: &str) -> [f64; 3] {
        let css = include_str!("demo.css");
        let at = css
            .find(after)
            .unwrap_or_else(|| panic!("{after} in demo.css"))
            + after.len();
        let hex = css[at..].trim_start().trim_start_matches('#');
        let channel = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex colour");
        [channel(0), channel(2), channel(4)].map(|c| f64::from(c) / 255.0)
    }

    /// WCAG 2's relative luminance and contrast ratio.
    fn contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
        let luminance = |c: [f64; 3]| {
            let l = c.map(|v| {
                if v <= 0.039_28 {
                    v / 12.92
                } else {
                    ((v + 0.055) / 1.055).powf(2.4)
                }
            });
            0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2]
        };
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// The focus ring is the only sign of the keyboard's place on every button, link
    /// and alert: WCAG 1.4.11 asks 3:1 against what it is drawn on, the white
    /// portlets, the page and each alert that takes the focus after an action.
    #[test]
    fn the_focus_ring_stands_out_from_what_it_is_drawn_on() {
        let ring = colour_after(":focus-visible { outline: 3px solid");
        let white = [1.0, 1.0, 1.0];
        let mut backgrounds = vec![("white", white), ("page", colour_after("--bg:"))];
        for alert in ["success", "danger", "info", "warning"] {
            let rule = format!(".alert-{alert} {{ background:");
            backgrounds.push((alert, colour_after(&rule)));
        }
        for (name, background) in backgrounds {
            let ratio = contrast(ring, background);
            assert!(ratio >= 3.0, "focus ring on {name}: {ratio:.2}:1");
        }
        assert!(contrast([0.0; 3], white) > 20.9, "the formula itself");
    }

    /// A placement waiting for an answer (up to a minute) says so with a bar across its
    /// top that stands out on white (1.4.11, 3:1), and fades nothing: faded, its text
    /// and the focus ring left on the button pressed fell under their contrast
    /// minimums (2.6:1 for the ring).
    #[test]
    fn a_busy_placement_shows_a_bar_and_fades_nothing() {
        let css = include_str!("demo.css");
        let rules: Vec<&str> = css
            .lines()
            .filter(|line| line.contains("[aria-busy"))
            .collect();
        assert!(!rules.is_empty(), "a busy placement is shown");
        for rule in &rules {
            for fading in ["opacity", "filter", "color", "visibility"] {
                assert!(!rule.contains(fading), "{rule}");
            }
        }
        let bar = colour_after(
            ".portlet-content [aria-busy=\"true\"] { cursor: progress; box-shadow: inset 0 3px 0",
        );
        let ratio = contrast(bar, [1.0; 3]);
        assert!(ratio >= 3.0, "the busy bar on white: {ratio:.2}:1");
    }

    /// The script marks the button it is acting for `aria-disabled` while the action
    /// runs, up to a minute, and the button keeps the focus meanwhile: faded with it,
    /// its focus ring would fall to about 2.6:1 on white (WCAG 1.4.11 asks 3:1).
    /// Where no ring is drawn (a mouse click) it fades as any busy button does.
    #[test]
    fn a_pressed_button_keeps_its_focus_ring() {
        let css = include_str!("demo.css");
        // Rule by rule, however written over lines; a busy placement fades nothing
        // (`a_busy_placement_shows_a_bar_and_fades_nothing`).
        let fading: Vec<&str> = css
            .split('}')
            .filter(|rule| rule.contains("aria-disabled") && rule.contains("opacity"))
            .collect();
        assert!(
            !fading.is_empty(),
            "a button the script acts for is shown so"
        );
        for rule in fading {
            let selectors = rule.split('{').next().unwrap_or_default();
            for selector in selectors.split(',').filter(|s| s.contains("aria-disabled")) {
                // The ring is drawn for `:focus-visible` (a button clicked with the
                // mouse has the focus too, and fades like the others).
                assert!(selector.contains(":not(:focus-visible)"), "{rule}");
            }
        }
    }

    /// Text follows the reader's own default size (a browser set to 20 px for
    /// reading): no font is sized in pixels, which that setting does not scale.
    #[test]
    fn no_text_is_sized_in_pixels() {
        let css = include_str!("demo.css");
        let mut sized = 0;
        for declaration in css.split([';', '{', '}']) {
            let Some((property, value)) = declaration.split_once(':') else {
                continue;
            };
            if matches!(property.trim(), "font" | "font-size") {
                sized += 1;
                assert!(!value.contains("px"), "{}", declaration.trim());
            }
        }
        assert!(sized > 10, "the stylesheet's font sizes were read: {sized}");
    }

    /// A text field's border is all that shows where to type (WCAG 1.4.11, 3:1), on
    /// the white portlets and on the page, where the demo's own switches sit.
    #[test]
    fn a_fields_border_shows_on_what_it_is_drawn_on() {
        let border = colour_after(
            ".form-control { display: block; width: 100%; max-width: 100%; padding: .375rem .6rem; font: inherit; font-size: 1rem; border: 1px solid",
        );
        for (name, background) in [("white", [1.0; 3]), ("page", colour_after("--bg:"))] {
            let ratio = contrast(border, background);
            assert!(ratio >= 3.0, "field border on {name}: {ratio:.2}:1");
        }
    }
}
