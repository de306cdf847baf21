//! The native portlet protocol of DESIGN.md section 3: how an HTTP request becomes a
//! [`portal::Request`](crate::portal::Request) and how a widget's answer goes back.
//! This file holds the pure parts (parameters, URLs, redirects, the Bearer header);
//! `widget_routes` and `api` run them.

use std::sync::{Arc, Mutex};

use crate::portal::auth::PAuthTarget;
use crate::portal::{ActionTarget, Params, PortletId, PortletUrls, own_param};

/// Portal-level parameters (un-namespaced, Liferay's names) and the widget's own
/// parameters with the namespace removed. Anything else is ignored, as Liferay does.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PortalParams {
    pub mode: Option<String>,
    pub window_state: Option<String>,
    pub language_id: Option<String>,
    pub p_auth: Option<String>,
    pub page_url: Option<String>,
    pub page_owner: Option<String>,
    pub csp_nonce: Option<String>,
    pub widget: Params,
}

/// Splits query and form pairs into portal parameters and the widget's parameters.
pub fn split_params<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    namespace: &str,
) -> PortalParams {
    let mut out = PortalParams::default();
    // The first value of a parameter named twice is the one read, as a servlet's
    // getParameter and the widget's own parameters read it: a portal that appends
    // `languageId` to a URL holding one gets what the URL said first, everywhere.
    for (name, value) in pairs {
        let first = |slot: &mut Option<String>| {
            slot.get_or_insert_with(|| value.to_owned());
        };
        match name {
            "p_p_mode" => first(&mut out.mode),
            "p_p_state" => first(&mut out.window_state),
            "languageId" => first(&mut out.language_id),
            "p_auth" => first(&mut out.p_auth),
            "p_l_url" => first(&mut out.page_url),
            "p_page_owner" => first(&mut out.page_owner),
            "cspNonce" => first(&mut out.csp_nonce),
            _ => {
                if let Some(own) = own_param(name, namespace) {
                    out.widget.add(own, value);
                }
            }
        }
    }
    out
}

/// Mints the `p_auth` token of one action or resource for the viewer of this render;
/// guests have none. An empty token means the viewer may not use that target.
pub type TokenMinter = Arc<dyn Fn(PAuthTarget<'_>) -> String + Send + Sync>;

/// URLs for the native protocol. Render links go to the portal page (`p_l_url`) when
/// the portal gave one, so the portal re-renders its page with the widget's parameters;
/// otherwise to the host's own render URL. Forms post straight to the host.
pub struct NativeUrls {
    portlet: PortletId,
    namespace: String,
    /// Where browsers reach the host, e.g. `http://127.0.0.1:8080` (no trailing slash).
    host_base: String,
    /// A validated portal page URL, if any.
    page_url: Option<String>,
    /// Portal parameters every link keeps, un-namespaced: `languageId`, and
    /// `p_p_state=maximized` in a maximized render. A link names no mode, so it opens
    /// the placement's view.
    sticky: Vec<(String, String)>,
    minter: Option<TokenMinter>,
    /// What every render URL of this request starts with (see [`RenderLinks`]).
    render: RenderLinks,
    /// Tokens minted so far in this render, by target. A token is bound to the action
    /// or resource, not to the row it sits on, so a list of twenty rows with accept and
    /// ignore forms mints two MACs, not forty.
    minted: Mutex<Vec<(String, String)>>,
}

impl NativeUrls {
    pub fn new(
        portlet: PortletId,
        host_base: &str,
        page_url: Option<String>,
        sticky: Vec<(String, String)>,
        minter: Option<TokenMinter>,
    ) -> Self {
        let namespace = portlet.namespace();
        let host_base = host_base.trim_end_matches('/').to_owned();
        // The page as the links, forms and downloads carry it on: without a portal
        // `p_auth` (a page drawn in answer to another portlet's action has Liferay's
        // session-wide token in its URL, which must not reach the host's origin, its
        // proxy's log or a download list) nor this placement's own parameters (whom
        // a message named, the words searched), which each link sets anew.
        let page_url =
            page_url.map(|page| without_params(&page, |name| page_state(name, &namespace)));
        let render = RenderLinks::new(&portlet, &host_base, page_url.as_deref(), &sticky);
        Self {
            portlet,
            namespace,
            host_base,
            page_url,
            sticky,
            minter,
            render,
            minted: Mutex::new(Vec::new()),
        }
    }

    /// The `p_auth` of `target` for this render, minted once.
    fn token(&self, target: PAuthTarget<'_>) -> Option<String> {
        let mint = self.minter.as_ref()?;
        let key = target.to_string();
        // A poisoned lock only means another use of this render panicked; the cache
        // holds finished tokens only, so it is still sound to read.
        let mut minted = self.minted.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, token)) = minted.iter().find(|(k, _)| *k == key) {
            return Some(token.clone());
        }
        let token = mint(target);
        minted.push((key, token.clone()));
        Some(token)
    }

    /// Appends the widget's own parameters, namespaced, to `query`. One scratch buffer
    /// for the names: a list page builds dozens of these URLs.
    fn append_own(
        &self,
        query: &mut form_urlencoded::Serializer<'_, String>,
        params: &[(&str, &str)],
    ) {
        let mut name = String::with_capacity(self.namespace.len() + 16);
        for (own, value) in params {
            name.clear();
            name.push_str(&self.namespace);
            name.push_str(own);
            query.append_pair(&name, value);
        }
    }
}

impl NativeUrls {
    /// Render links on a portal page land on `element` (the placement's root, by id)
    /// when the page URL names no place of its own, as Liferay's own portlet URLs
    /// carry `#p_{portletId}`: a card opened, a filter chosen or a page of a list
    /// brings the reader back to the widget, not to the top of the page, above every
    /// other portlet on it. Not on the bare render URL, whose page is the widget, and
    /// not on the redirect after an action: its page's outcome takes the focus by
    /// `autofocus`, which browsers skip when the URL names an element.
    pub fn landing_on(mut self, element: &str) -> Self {
        if self.page_url.is_some() && self.render.fragment.is_empty() {
            self.render.fragment = format!("#{element}");
        }
        self
    }
}

impl NativeUrls {
    /// A render URL ending in `fragment` (empty, or `#` and an id).
    fn render_url_to(&self, params: &[(&str, &str)], fragment: &str) -> String {
        let links = &self.render;
        if links.query.is_empty() && params.is_empty() {
            return format!("{}{fragment}", links.base);
        }
        let mut url = String::with_capacity(links.base.len() + links.query.len() + 96);
        url.push_str(&links.base);
        url.push_str(links.joiner);
        let query_start = url.len();
        url.push_str(&links.query);
        let mut query = form_urlencoded::Serializer::for_suffix(url, query_start);
        self.append_own(&mut query, params);
        let mut url = query.finish();
        url.push_str(fragment);
        url
    }
}

impl PortletUrls for NativeUrls {
    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn render_url(&self, params: &[(&str, &str)]) -> String {
        self.render_url_to(params, &self.render.fragment)
    }

    /// The render URL with `element` as its fragment, in place of the placement's
    /// root, which it is more precise than; on the bare render URL too, whose page
    /// is long enough to need it. A page that names a place of its own keeps it, as
    /// every other link does: a portal may keep its state there.
    fn render_url_landing(&self, params: &[(&str, &str)], element: &str) -> String {
        if self.render.own_place {
            return self.render_url(params);
        }
        self.render_url_to(params, &format!("#{element}"))
    }

    /// The render URL with `p_p_mode=view`: Liferay keeps a placement in the mode its
    /// page last showed it in when a link names none, so the way out of edit mode
    /// must name the view.
    fn view_url(&self) -> String {
        let links = &self.render;
        let mut url = String::with_capacity(links.base.len() + links.query.len() + 32);
        url.push_str(&links.base);
        url.push_str(links.joiner);
        if !links.query.is_empty() {
            url.push_str(&links.query);
            url.push('&');
        }
        url.push_str("p_p_mode=view");
        url.push_str(&links.fragment);
        url
    }

    fn action_target(&self, action: &str) -> ActionTarget {
        let url = format!(
            "{}/widgets/{}/actions/{}",
            self.host_base, self.portlet, action
        );
        let mut hidden = Vec::new();
        if let Some(token) = self.token(PAuthTarget::Action(action)) {
            hidden.push(("p_auth".to_owned(), token));
        }
        if let Some(page) = &self.page_url {
            hidden.push(("p_l_url".to_owned(), page.clone()));
        }
        hidden.extend(self.sticky.iter().cloned());
        ActionTarget { url, hidden }
    }

    fn resource_url(&self, resource: &str, params: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let bound = crate::portal::auth::resource_query(params.iter().copied());
        if let Some(token) = self.token(PAuthTarget::Resource {
            name: resource,
            query: &bound,
        }) {
            query.append_pair("p_auth", &token);
        }
        // Not bound by the token, as on a form: where a person is sent back to should
        // the link have expired when followed.
        if let Some(page) = &self.page_url {
            query.append_pair("p_l_url", page);
        }
        for (name, value) in &self.sticky {
            query.append_pair(name, value);
        }
        self.append_own(&mut query, params);
        append_query(
            &format!(
                "{}/widgets/{}/resources/{}",
                self.host_base, self.portlet, resource
            ),
            &query.finish(),
        )
    }
}

/// The fixed part of a request's render URLs, worked out once: a list page writes
/// dozens of links that differ only in the widget's own parameters.
struct RenderLinks {
    /// The page or host render URL, without its fragment.
    base: String,
    /// What goes between `base` and a query: `?`, `&`, or nothing.
    joiner: &'static str,
    /// The encoded parameters every link carries: the portal's routing ones on a
    /// portal page, then the sticky ones.
    query: String,
    /// `#…` of the page URL, kept last; empty when it has none.
    fragment: String,
    /// Whether the page named a place of its own (`fragment` is the page's, not a
    /// landing on the placement): a portal may keep state there, which no link drops.
    own_place: bool,
}

impl RenderLinks {
    fn new(
        portlet: &PortletId,
        host_base: &str,
        page_url: Option<&str>,
        sticky: &[(String, String)],
    ) -> Self {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if page_url.is_some() {
            // What Liferay's own render URLs carry, so the portal routes the
            // parameters to this placement.
            query.append_pair("p_p_id", portlet.as_str());
            query.append_pair("p_p_lifecycle", "0");
        }
        for (name, value) in sticky {
            query.append_pair(name, value);
        }
        let whole = match page_url {
            // This placement's own parameters (the page comes without them, see
            // `NativeUrls::new`), routing and kept state are added to each link: the
            // page's routing is dropped, along with a state or mode it gave the
            // portlet it named, which the link's `p_p_id` replaces.
            Some(page) => without_params(page, |name| {
                matches!(name, "p_p_id" | "p_p_lifecycle" | "p_p_state" | "p_p_mode")
                    || sticky.iter().any(|(kept, _)| kept == name)
            }),
            None => format!("{host_base}/widgets/{portlet}/render"),
        };
        let (base, fragment) = match whole.split_once('#') {
            Some((base, fragment)) => (base.to_owned(), format!("#{fragment}")),
            None => (whole, String::new()),
        };
        Self {
            joiner: query_joiner(&base),
            base,
            query: query.finish(),
            own_place: !fragment.is_empty(),
            fragment,
        }
    }
}

/// What joins a query to `base`: `?` when it has none, `&` after one, nothing when it
/// already ends with either.
fn query_joiner(base: &str) -> &'static str {
    if !base.contains('?') {
        "?"
    } else if base.ends_with('?') || base.ends_with('&') {
        ""
    } else {
        "&"
    }
}

/// The `Authorization` header addressed to the host: the one in the Bearer scheme,
/// whichever of the request's `Authorization` headers it is. A reverse proxy or an SSO
/// gateway in front of the host adds its own (`Basic`), before or after the portal's;
/// it is not the host's to read, and reading only the first header would take the
/// gateway's for the portal's. Every route that takes a portal's token finds it here.
///
/// Two Bearer tokens are refused, not one of them picked: a gateway that appends
/// the token it checked after one its client sent would otherwise have the client's
/// read, and neither order is safe to assume.
pub fn bearer_authorization(
    headers: &hyper::HeaderMap,
) -> Result<Option<&hyper::header::HeaderValue>, &'static str> {
    let mut bearers = headers
        .get_all(hyper::header::AUTHORIZATION)
        .iter()
        .filter(|h| crate::portal::auth::is_bearer_scheme(h.as_bytes()));
    match (bearers.next(), bearers.next()) {
        (first, None) => Ok(first),
        (_, Some(_)) => Err("a request may carry one Bearer token only"),
    }
}

/// Where browsers reach the host: `public_url` when configured, else the Host the
/// request came to (the portal's own view of the host).
pub fn host_base(config: &crate::config::Config, headers: &hyper::HeaderMap) -> String {
    if let Some(url) = &config.public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = headers
        .get(hyper::header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| is_host_header(h));
    match host {
        Some(host) => format!("http://{host}"),
        None => format!("http://{}", config.listen),
    }
}

/// A Host header we are willing to echo into URLs: host[:port], nothing else. An
/// underscore is in: Docker Compose names services with one (`widget_host`), and
/// a portal reaches the host by that name.
/// It must name a host as the router requires of HTTP/1.1 (an HTTP/1.0 request's
/// Host is not refused, but one that names none is not echoed either).
fn is_host_header(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-_:[]".contains(&b))
        && names_a_host(h)
}

/// Whether a Host field's value is a host and, if it names one, a port: an authority
/// without user information (`user@host` parses as one, but names no host to link
/// to) whose port is a number. The router refuses an HTTP/1.1 request whose Host is
/// not, and links are built only on one that is.
pub(super) fn names_a_host(h: &str) -> bool {
    hyper::http::uri::Authority::try_from(h)
        .is_ok_and(|a| !a.as_str().contains('@') && port_is_a_number(a.as_str()))
}

/// Whether an authority's port, if it names one, is a number a TCP port can be: the
/// text after the last `:` outside an IPv6 address's brackets. (`Authority` takes
/// `host:http`, and says it has no port.)
fn port_is_a_number(authority: &str) -> bool {
    let after_host = match authority.rfind(']') {
        Some(end) => &authority[end + 1..],
        None => authority,
    };
    match after_host.rsplit_once(':') {
        // Digits only: Rust's parse takes a leading `+`.
        Some((_, port)) => {
            port.is_empty()
                || (port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok())
        }
        None => true,
    }
}

/// Whether the page URL's parameter `name` is this placement's own state, or the
/// portal's token for an action of the page's: neither is carried on from a page.
fn page_state(name: &str, namespace: &str) -> bool {
    name == "p_auth" || own_param(name, namespace).is_some()
}

/// `url` without the query parameters `drop` names (by their decoded names); the
/// others keep their own encoding, and `url` is returned as it is when none goes.
/// A portal page's URL often is the page as the user sees it, this placement's own
/// parameters included (`_{ns}_userId` of the card on screen, the `_{ns}_message` of
/// the last action): appended after them, new ones would lose to the old, since the
/// first value of a name is the one read.
fn without_params(url: &str, drop: impl Fn(&str) -> bool) -> String {
    let (rest, fragment) = match url.split_once('#') {
        Some((rest, fragment)) => (rest, Some(fragment)),
        None => (url, None),
    };
    let Some((base, query)) = rest.split_once('?') else {
        return url.to_owned();
    };
    let dropped = |pair: &str| {
        form_urlencoded::parse(pair.as_bytes())
            .next()
            .is_some_and(|(name, _)| drop(&name))
    };
    if !query.split('&').any(dropped) {
        return url.to_owned();
    }
    let kept: Vec<&str> = query.split('&').filter(|p| !dropped(p)).collect();
    let mut out = base.to_owned();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Appends an encoded query to a URL that may already have one (and keeps a fragment last).
pub fn append_query(base: &str, query: &str) -> String {
    if query.is_empty() {
        return base.to_owned();
    }
    let (without_fragment, fragment) = match base.split_once('#') {
        Some((b, f)) => (b, Some(f)),
        None => (base, None),
    };
    let joiner = query_joiner(without_fragment);
    let mut out = format!("{without_fragment}{joiner}{query}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// `target` as the URL parser writes it, when it is an absolute http(s) URL whose
/// origin is one of `allowed`. Everything else (relative tricks such as
/// `//evil.example`, `javascript:`, other origins) is refused, so a redirect can never
/// leave the consumer's portal. The parser's form is what goes out: the check and the
/// `Location` header must agree, and the parser drops tabs and newlines that a
/// header value cannot carry.
pub fn allowed_target(target: &str, allowed: &[String]) -> Option<String> {
    let url = parsed_web_url(target)?;
    let origin = url.origin().ascii_serialization();
    crate::config::origin_allowed(allowed, &origin).then(|| url.into())
}

/// `target` as the URL parser writes it, when a browser may follow it: absolute,
/// `http` or `https`, with a host, and no longer than [`MAX_PAGE_URL_BYTES`].
pub fn web_url(target: &str) -> Option<String> {
    parsed_web_url(target).map(Into::into)
}

/// The longest page or redirect URL taken, as the parser writes it (percent-encoding
/// can make it longer than it came): the page URL goes into every link and form of
/// a fragment, some fifty of them on a list page, so a long one would make a page of
/// megabytes. Browsers and proxies commonly keep URLs under 2 KB; a longer one is
/// passed over like one from an origin not allowed.
pub const MAX_PAGE_URL_BYTES: usize = 2048;

fn parsed_web_url(target: &str) -> Option<url::Url> {
    if target.len() > MAX_PAGE_URL_BYTES {
        return None;
    }
    let url = url::Url::parse(target).ok()?;
    (matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.as_str().len() <= MAX_PAGE_URL_BYTES)
        .then_some(url)
}

/// The redirect after an action: the requested target when its origin is allowed,
/// else the widget's own render URL; the action's render parameters appended, namespaced.
/// A portal page also gets `p_p_id` and `p_p_lifecycle`, as the fragment's render
/// links do (unless it names this portlet already): Liferay hands namespaced
/// parameters only to the portlet its URL names. A page that names another placement
/// (the one a person last used a link of) loses that routing, and the state and mode
/// it gave that placement, as this placement's render links drop them: kept, it would
/// hand the outcome to the other placement and this one would show none. The portal
/// parameters the fragment's links keep (`kept`: the language, a maximized state) are
/// kept too, unless the target names them itself. A portal `p_auth` in the target is
/// dropped, and a lifecycle other than a render's (a Liferay action or resource URL,
/// the page a portlet's own action was drawn on) becomes a render's: the redirect is
/// followed with a GET, which must not run that action again.
pub fn redirect_location(
    requested: Option<&str>,
    allowed: &[String],
    fallback: &str,
    portlet: &PortletId,
    kept: &[(String, String)],
    render_params: &[(String, String)],
) -> String {
    let checked = requested.and_then(|t| allowed_target(t, allowed));
    let namespace = portlet.namespace();
    // Whether the target names another placement, and a lifecycle not a render's.
    let (routed_elsewhere, not_a_render) = checked
        .as_deref()
        .and_then(|target| url::Url::parse(target).ok())
        .map_or((false, false), |u| {
            u.query_pairs()
                .fold((false, false), |(elsewhere, acting), (n, v)| {
                    (
                        elsewhere || n == "p_p_id" && v != portlet.as_str(),
                        acting || n == "p_p_lifecycle" && v != "0",
                    )
                })
        });
    let base = without_params(checked.as_deref().unwrap_or(fallback), |name| {
        page_state(name, &namespace)
            || not_a_render && name == "p_p_lifecycle"
            || routed_elsewhere
                && matches!(name, "p_p_id" | "p_p_lifecycle" | "p_p_state" | "p_p_mode")
    });
    let base = base.as_str();
    let mut query = form_urlencoded::Serializer::new(String::new());
    let named: Vec<(String, String)> = url::Url::parse(base)
        .map(|u| {
            u.query_pairs()
                .map(|(n, v)| (n.into_owned(), v.into_owned()))
                .collect()
        })
        .unwrap_or_default();
    let names = |wanted: &str| named.iter().any(|(n, _)| n == wanted);
    if checked.is_some() {
        let routed_here = !names("p_p_id");
        if routed_here {
            query.append_pair("p_p_id", portlet.as_str());
        }
        if !names("p_p_lifecycle") && (routed_here || not_a_render) {
            query.append_pair("p_p_lifecycle", "0");
        }
    }
    for (name, value) in kept.iter().filter(|(name, _)| !names(name)) {
        query.append_pair(name, value);
    }
    for (name, value) in render_params {
        query.append_pair(&format!("{namespace}{name}"), value);
    }
    append_query(base, &query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> PortletId {
        PortletId::parse("contacts_center_INSTANCE_a1").expect("id")
    }

    #[test]
    fn a_port_is_a_number_after_the_host_and_its_brackets() {
        for (authority, number) in [
            ("portal.example", true),
            ("portal.example:8080", true),
            ("portal.example:", true),
            ("[::1]", true),
            ("[::1]:8080", true),
            ("portal.example:http", false),
            ("portal.example:99999", false),
            ("[::1]:x", false),
            ("portal.example:+80", false),
        ] {
            assert_eq!(port_is_a_number(authority), number, "{authority}");
        }
    }

    /// Links are built on the request's Host only where it is a host and a port that
    /// is a number; else on the configured address.
    #[test]
    fn only_a_host_and_numbered_port_is_echoed() {
        let config = crate::config::Config::default();
        let base = |host: &'static str| {
            let mut headers = hyper::HeaderMap::new();
            headers.insert(
                hyper::header::HOST,
                hyper::header::HeaderValue::from_static(host),
            );
            host_base(&config, &headers)
        };
        assert_eq!(base("widget_host:8080"), "http://widget_host:8080");
        assert_eq!(base("[::1]:9000"), "http://[::1]:9000");
        let fallback = format!("http://{}", config.listen);
        for odd in [
            "portal.example:http",
            "portal.example:+80",
            "a\"b",
            "user@host",
        ] {
            assert_eq!(base(odd), fallback, "{odd}");
        }
        // A proxy's `X-Forwarded-*` and `Forwarded` are any client's to send: not read.
        let mut headers = hyper::HeaderMap::new();
        for (name, value) in [
            ("host", "widget-host.internal:8080"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
            ("x-forwarded-port", "443"),
            ("forwarded", "host=evil.example;proto=https"),
        ] {
            headers.insert(name, hyper::header::HeaderValue::from_static(value));
        }
        assert_eq!(
            host_base(&config, &headers),
            "http://widget-host.internal:8080"
        );
    }

    #[test]
    fn splits_namespaced_and_portal_parameters() {
        let ns = "_contacts_center_INSTANCE_a1_";
        let pairs = [
            ("p_p_mode", "edit"),
            ("languageId", "es_ES"),
            ("_contacts_center_INSTANCE_a1_filter", "following"),
            ("_contacts_center_INSTANCE_a1_userIds", "a"),
            ("_contacts_center_INSTANCE_a1_userIds", "b"),
            ("filter", "blocked"),
            ("_contacts_center_INSTANCE_b2_filter", "all"),
            ("_contacts_center_INSTANCE_a1_", "empty-name"),
            ("_contacts_center_filter", "mine"),
            ("_contacts_center_show_sms", "true"),
        ];
        let p = split_params(pairs, ns);
        assert_eq!(p.mode.as_deref(), Some("edit"));
        assert_eq!(p.language_id.as_deref(), Some("es_ES"));
        assert_eq!(
            p.widget.get("filter"),
            Some("following"),
            "un-namespaced and other instances are ignored"
        );
        assert_eq!(p.widget.all("userIds"), ["a", "b"]);
        assert_eq!(p.widget.iter().count(), 3);
        // The bare placement reads its own parameters (a preference a descriptor named
        // with `_` among them), and none of its instances'.
        let bare = split_params(pairs, "_contacts_center_");
        assert_eq!(bare.widget.get("filter"), Some("mine"));
        assert_eq!(bare.widget.get("show_sms"), Some("true"));
        assert_eq!(bare.widget.iter().count(), 2);
    }

    #[test]
    fn a_page_url_is_taken_up_to_its_bound_as_written() {
        let page = "https://portal.example/web/people?q=";
        let at = |n: usize, c: &str| format!("{page}{}", c.repeat(n - page.len()));
        assert!(web_url(&at(MAX_PAGE_URL_BYTES, "x")).is_some());
        assert!(web_url(&at(MAX_PAGE_URL_BYTES + 1, "x")).is_none());
        let allowed = ["https://portal.example".to_owned()];
        assert!(allowed_target(&at(MAX_PAGE_URL_BYTES, "x"), &allowed).is_some());
        assert!(allowed_target(&at(MAX_PAGE_URL_BYTES + 1, "x"), &allowed).is_none());
        // A quotation mark is written %22: short as it came, too long as it would go out.
        let quoted = at(MAX_PAGE_URL_BYTES - 10, "\"");
        assert!(quoted.len() <= MAX_PAGE_URL_BYTES);
        assert!(web_url(&quoted).is_none());
        // Refused for its length, not for the quotation marks: a few are taken.
        assert!(web_url(&at(page.len() + 3, "\"")).is_some());
    }

    /// A portal parameter named twice reads its first value, as the widget's own
    /// parameters and a servlet's getParameter do; the last one won before.
    #[test]
    fn a_portal_parameter_named_twice_reads_its_first_value() {
        let ns = "_contacts_center_INSTANCE_a1_";
        let pairs = [
            ("languageId", "es_ES"),
            ("p_p_mode", "edit"),
            ("p_p_state", "maximized"),
            ("p_auth", "first"),
            ("p_l_url", "https://portal.example/a"),
            ("p_page_owner", "ann"),
            ("languageId", "de_DE"),
            ("p_p_mode", "view"),
            ("p_p_state", "normal"),
            ("p_auth", "second"),
            ("p_l_url", "https://portal.example/b"),
            ("p_page_owner", "bo"),
        ];
        let p = split_params(pairs, ns);
        assert_eq!(
            [
                p.language_id,
                p.mode,
                p.window_state,
                p.p_auth,
                p.page_url,
                p.page_owner
            ],
            [
                Some("es_ES".to_owned()),
                Some("edit".to_owned()),
                Some("maximized".to_owned()),
                Some("first".to_owned()),
                Some("https://portal.example/a".to_owned()),
                Some("ann".to_owned()),
            ]
        );
    }

    #[test]
    fn the_view_url_names_the_view_mode_before_the_fragment() {
        let on_page = NativeUrls::new(
            id(),
            "http://host:8080/",
            Some("https://portal.example/web/guest/home?p_p_mode=edit#top".into()),
            vec![("languageId".into(), "de_DE".into())],
            None,
        );
        assert_eq!(
            on_page.view_url(),
            "https://portal.example/web/guest/home?p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&languageId=de_DE&p_p_mode=view#top"
        );
        let own = NativeUrls::new(id(), "http://host:8080", None, vec![], None);
        assert_eq!(
            own.view_url(),
            "http://host:8080/widgets/contacts_center_INSTANCE_a1/render?p_p_mode=view"
        );
    }

    #[test]
    fn render_links_on_a_portal_page_land_on_the_placement() {
        let page = |url: &str| {
            NativeUrls::new(id(), "http://host", Some(url.into()), vec![], None)
                .landing_on("_cc_root")
        };
        let urls = page("https://portal.example/web/guest/home");
        assert_eq!(
            urls.render_url(&[("userId", "ann")]),
            "https://portal.example/web/guest/home?p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_userId=ann#_cc_root"
        );
        assert!(urls.view_url().ends_with("p_p_mode=view#_cc_root"));
        // The action's target and its page are left as they are: the page the action
        // leads to focuses its outcome.
        let target = urls.action_target("follow");
        assert!(!target.url.contains('#'), "{}", target.url);
        assert!(
            target.hidden.contains(&(
                "p_l_url".into(),
                "https://portal.example/web/guest/home".into()
            )),
            "{:?}",
            target.hidden
        );
        // A page that names its own place keeps it; the bare render URL is the widget.
        let placed = page("https://portal.example/web/guest/home#top");
        assert!(placed.render_url(&[]).ends_with("#top"));
        let bare = NativeUrls::new(id(), "http://host", None, vec![], None).landing_on("_cc_root");
        assert!(!bare.render_url(&[("filter", "all")]).contains('#'));
    }

    #[test]
    fn a_landing_link_ends_at_its_element_wherever_others_land() {
        let on_page = |url: &str| {
            NativeUrls::new(id(), "http://host", Some(url.into()), vec![], None)
                .landing_on("_cc_root")
        };
        // In place of the placement's root; a page's own place is kept.
        let page = "https://portal.example/web/guest/home";
        let landing = "?p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_from=ann";
        assert_eq!(
            on_page(page).render_url_landing(&[("from", "ann")], "_cc_returned"),
            format!("{page}{landing}#_cc_returned")
        );
        assert_eq!(
            on_page(&format!("{page}#top")).render_url_landing(&[("from", "ann")], "_cc_returned"),
            format!("{page}{landing}#top")
        );
        // On the bare render URL, which lands nowhere otherwise; with no parameters.
        let bare = NativeUrls::new(id(), "http://host", None, vec![], None).landing_on("_cc_root");
        assert_eq!(
            bare.render_url_landing(&[("from", "ann")], "_cc_returned"),
            "http://host/widgets/contacts_center_INSTANCE_a1/render?_contacts_center_INSTANCE_a1_from=ann#_cc_returned"
        );
        assert_eq!(
            bare.render_url_landing(&[], "_cc_returned"),
            "http://host/widgets/contacts_center_INSTANCE_a1/render#_cc_returned"
        );
        // The other links keep landing where they did.
        assert!(
            on_page("https://portal.example/web/guest/home")
                .render_url(&[])
                .ends_with("#_cc_root")
        );
        assert!(!bare.render_url(&[("from", "ann")]).contains('#'));
    }

    #[test]
    fn render_urls_point_to_the_portal_page_when_given() {
        let urls = NativeUrls::new(
            id(),
            "http://host:8080/",
            Some("https://portal.example/web/guest/home?x=1".into()),
            vec![],
            None,
        );
        let url = urls.render_url(&[("filter", "connections")]);
        assert_eq!(
            url,
            "https://portal.example/web/guest/home?x=1&p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_filter=connections"
        );
        let own = NativeUrls::new(
            id(),
            "http://host:8080",
            None,
            vec![("languageId".into(), "de_DE".into())],
            None,
        );
        assert_eq!(
            own.render_url(&[("userId", "a b")]),
            "http://host:8080/widgets/contacts_center_INSTANCE_a1/render?languageId=de_DE&_contacts_center_INSTANCE_a1_userId=a+b"
        );
        // The fixed part is worked out once per request; each link still gets its
        // own parameters in front of the page's fragment, and no stray `?`.
        let anchored = NativeUrls::new(
            id(),
            "http://host:8080/",
            Some("https://portal.example/web/guest/home?#top".into()),
            vec![],
            None,
        );
        assert_eq!(
            anchored.render_url(&[("filter", "all")]),
            "https://portal.example/web/guest/home?p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_filter=all#top"
        );
        assert_eq!(
            anchored.render_url(&[("filter", "requests")]),
            "https://portal.example/web/guest/home?p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_filter=requests#top"
        );
        // A page URL as the user sees it, this placement's card and last message in
        // it: the links carry the new parameters alone, and other placements' and the
        // portal's stay as they were written.
        let seen = NativeUrls::new(
            id(),
            "http://host:8080/",
            Some("https://portal.example/home?x=a%20b&p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=1&_contacts_center_INSTANCE_a1_userId=bob&_contacts_center_INSTANCE_b2_userId=cy&_contacts_center_INSTANCE_a1_message=old#top".into()),
            vec![],
            None,
        );
        assert_eq!(
            seen.render_url(&[("filter", "all")]),
            "https://portal.example/home?x=a%20b&_contacts_center_INSTANCE_b2_userId=cy&p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_filter=all#top"
        );
        // A state or mode the page gave the portlet it named goes with that routing,
        // and a kept parameter the page has too is written once, with this request's
        // value.
        let stated = NativeUrls::new(
            id(),
            "http://host:8080/",
            Some("https://portal.example/home?p_p_id=other&p_p_state=normal&p_p_mode=edit&languageId=en_US&x=1".into()),
            vec![
                ("languageId".into(), "fr_FR".into()),
                ("p_p_state".into(), "maximized".into()),
            ],
            None,
        );
        assert_eq!(
            stated.render_url(&[("filter", "all")]),
            "https://portal.example/home?x=1&p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&languageId=fr_FR&p_p_state=maximized&_contacts_center_INSTANCE_a1_filter=all"
        );
        // The bare placement of an instanceable widget drops its own parameters only,
        // not those of its instances.
        let prefix = NativeUrls::new(
            PortletId::parse("contacts_center").expect("id"),
            "http://host:8080/",
            Some("https://portal.example/home?_contacts_center_userId=old&_contacts_center_INSTANCE_a1_userId=bob&_contacts_center_show_sms=true".into()),
            vec![],
            None,
        );
        assert_eq!(
            prefix.render_url(&[("filter", "all")]),
            "https://portal.example/home?_contacts_center_INSTANCE_a1_userId=bob&p_p_id=contacts_center&p_p_lifecycle=0&_contacts_center_filter=all"
        );
        let bare = NativeUrls::new(id(), "http://host:8080", None, vec![], None);
        assert_eq!(
            bare.render_url(&[]),
            "http://host:8080/widgets/contacts_center_INSTANCE_a1/render"
        );
        assert_eq!(
            bare.render_url(&[("q", "x&y")]),
            "http://host:8080/widgets/contacts_center_INSTANCE_a1/render?_contacts_center_INSTANCE_a1_q=x%26y"
        );
    }

    #[test]
    fn forms_and_resources_carry_p_auth_for_their_own_target() {
        let minter: TokenMinter = Arc::new(|target: PAuthTarget<'_>| format!("token-for-{target}"));
        let urls = NativeUrls::new(id(), "http://host", None, vec![], Some(minter));
        let form = urls.action_target("follow");
        assert_eq!(
            form.url,
            "http://host/widgets/contacts_center_INSTANCE_a1/actions/follow"
        );
        assert!(
            form.hidden
                .contains(&("p_auth".into(), "token-for-action:follow".into()))
        );
        let vcard = urls.resource_url("vcard", &[("userId", "u1")]);
        assert!(
            vcard.contains("p_auth=token-for-resource%3Avcard"),
            "{vcard}"
        );
        assert!(
            vcard.contains("_contacts_center_INSTANCE_a1_userId=u1"),
            "{vcard}"
        );
    }

    /// A page drawn in answer to another portlet's action carries Liferay's
    /// session-wide `p_auth`, and the page as the person left it this placement's own
    /// state (whom a message named, the words searched): neither goes on with a link,
    /// a form's page or a download's.
    #[test]
    fn the_page_carries_on_neither_a_portal_token_nor_this_placements_state() {
        let minter: TokenMinter = Arc::new(|target: PAuthTarget<'_>| format!("ours-{target}"));
        let page = "https://portal.example/home?p_auth=LIFERAY1&p_p_id=other&p_p_lifecycle=1&_contacts_center_INSTANCE_a1_keywords=ann&_contacts_center_INSTANCE_a1_messageUserId=bob&_other_x=1&y=2";
        let urls = NativeUrls::new(id(), "http://host", Some(page.into()), vec![], Some(minter));
        let carried = "https://portal.example/home?p_p_id=other&p_p_lifecycle=1&_other_x=1&y=2";
        let form = urls.action_target("block");
        assert!(
            form.hidden.contains(&("p_l_url".into(), carried.into())),
            "{:?}",
            form.hidden
        );
        let vcard = urls.resource_url("vcard", &[("userId", "u1")]);
        let query: Vec<(String, String)> = url::Url::parse(&vcard)
            .expect("a URL")
            .query_pairs()
            .map(|(n, v)| (n.into_owned(), v.into_owned()))
            .collect();
        assert!(
            query.contains(&("p_l_url".into(), carried.into())),
            "{vcard}"
        );
        assert!(
            !vcard.contains("LIFERAY1") && !vcard.contains("ann"),
            "{vcard}"
        );
        assert_eq!(
            urls.render_url(&[("filter", "all")]),
            "https://portal.example/home?_other_x=1&y=2&p_p_id=contacts_center_INSTANCE_a1&p_p_lifecycle=0&_contacts_center_INSTANCE_a1_filter=all"
        );
    }

    #[test]
    fn each_target_is_minted_once_per_render() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&calls);
        let minter: TokenMinter = Arc::new(move |target: PAuthTarget<'_>| {
            let n = counter.fetch_add(1, Ordering::Relaxed);
            format!("{target}#{n}")
        });
        let urls = NativeUrls::new(id(), "http://host", None, vec![], Some(minter));
        let tokens: Vec<String> = ["accept-request", "ignore-request"]
            .iter()
            .cycle()
            .take(40)
            .map(|a| urls.action_target(a).hidden[0].1.clone())
            .collect();
        assert_eq!(tokens[0], "action:accept-request#0");
        assert_eq!(tokens[1], "action:ignore-request#1");
        assert!(tokens.iter().step_by(2).all(|t| *t == tokens[0]));
        assert!(tokens.iter().skip(1).step_by(2).all(|t| *t == tokens[1]));
        // A resource of the same name is another target with its own token.
        let vcard = urls.resource_url("accept-request", &[]);
        assert!(
            vcard.contains("resource%3Aaccept-request%3F%232"),
            "{vcard}"
        );
        // A resource's token is bound to the link's own parameters: one per card.
        let bob = urls.resource_url("vcard", &[("userId", "bob")]);
        assert!(bob.contains("resource%3Avcard%3FuserId%3Dbob%233"), "{bob}");
        assert_eq!(urls.resource_url("vcard", &[("userId", "bob")]), bob);
        assert_eq!(calls.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn redirects_never_leave_the_allowed_origins() {
        let allowed = vec!["https://portal.example".to_owned()];
        assert_eq!(
            allowed_target("https://portal.example/web/guest", &allowed).as_deref(),
            Some("https://portal.example/web/guest")
        );
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/relative",
            "javascript:alert(1)",
            "https://portal.example.evil.example/",
            "http://portal.example/",
            "https://portal.example@evil.example/",
        ] {
            assert_eq!(allowed_target(bad, &allowed), None, "{bad} must be refused");
        }
        let params = vec![("message".to_owned(), "request-sent".to_owned())];
        let cc = PortletId::parse("cc").expect("id");
        let fallback = "http://host/widgets/cc/render";
        assert_eq!(
            redirect_location(
                Some("https://evil.example/"),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "http://host/widgets/cc/render?_cc_message=request-sent"
        );
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p#top"),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "https://portal.example/p?p_p_id=cc&p_p_lifecycle=0&_cc_message=request-sent#top"
        );
        // A page that names another placement is routed to this one instead, without
        // the state and mode it gave the other: Liferay would hand this placement's
        // outcome to the one the page names. Its other parameters stay.
        assert_eq!(
            redirect_location(
                Some(
                    "https://portal.example/p?p_p_id=other&p_p_lifecycle=0&p_p_state=maximized&p_p_mode=edit&_other_filter=following&x=1"
                ),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "https://portal.example/p?_other_filter=following&x=1&p_p_id=cc&p_p_lifecycle=0&_cc_message=request-sent"
        );
        // The page as the user saw it, with this placement's card and last message:
        // the action's own parameters replace them, since the first value is read.
        assert_eq!(
            redirect_location(
                Some(
                    "https://portal.example/p?p_p_id=cc&_cc_userId=bob&_cc_message=old&_ccx_userId=kept&_cc_INSTANCE_a1_userId=ann&x=1"
                ),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "https://portal.example/p?p_p_id=cc&_ccx_userId=kept&_cc_INSTANCE_a1_userId=ann&x=1&_cc_message=request-sent"
        );
        // A portal token is not carried on, and the page of a portlet's own action
        // (a Liferay action URL naming this placement) is redirected to as its render:
        // the GET that follows must not run that action again.
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p?p_auth=LIFERAY1&p_p_id=cc&p_p_lifecycle=1&x=1"),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "https://portal.example/p?p_p_id=cc&x=1&p_p_lifecycle=0&_cc_message=request-sent"
        );
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p?p_p_lifecycle=2&p_auth=LIFERAY1"),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "https://portal.example/p?p_p_id=cc&p_p_lifecycle=0&_cc_message=request-sent"
        );
        // Nor a second lifecycle: Liferay reads the first.
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p?p_p_lifecycle=0"),
                &allowed,
                fallback,
                &cc,
                &[],
                &params
            ),
            "https://portal.example/p?p_p_lifecycle=0&p_p_id=cc&_cc_message=request-sent"
        );
        // A newline passes the parser's check only because the parser drops it, so
        // the location is the parser's form: a value a header can carry.
        let location = redirect_location(
            Some("https://portal.example/\nx"),
            &allowed,
            fallback,
            &cc,
            &[],
            &params,
        );
        assert_eq!(
            location,
            "https://portal.example/x?p_p_id=cc&p_p_lifecycle=0&_cc_message=request-sent"
        );
    }

    #[test]
    fn a_redirect_keeps_the_portal_parameters_the_links_keep() {
        let allowed = vec!["https://portal.example".to_owned()];
        let cc = PortletId::parse("cc").expect("id");
        let kept = vec![
            ("languageId".to_owned(), "fr_FR".to_owned()),
            ("p_p_state".to_owned(), "maximized".to_owned()),
        ];
        let params = vec![("message".to_owned(), "done".to_owned())];
        let fallback = "http://host/widgets/cc/render";
        assert_eq!(
            redirect_location(None, &allowed, fallback, &cc, &kept, &params),
            "http://host/widgets/cc/render?languageId=fr_FR&p_p_state=maximized&_cc_message=done"
        );
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p"),
                &allowed,
                fallback,
                &cc,
                &kept,
                &params
            ),
            "https://portal.example/p?p_p_id=cc&p_p_lifecycle=0&languageId=fr_FR&p_p_state=maximized&_cc_message=done"
        );
        // A target that names a state or a language keeps its own: Liferay reads the
        // first value, and a second one would be ignored at best.
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p?p_p_state=normal&languageId=de_DE"),
                &allowed,
                fallback,
                &cc,
                &kept,
                &params
            ),
            "https://portal.example/p?p_p_state=normal&languageId=de_DE&p_p_id=cc&p_p_lifecycle=0&_cc_message=done"
        );
        // A target routed to another portlet is routed to this one, with this one's
        // state and the language its links keep.
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p?p_p_id=other&p_p_state=normal"),
                &allowed,
                fallback,
                &cc,
                &kept,
                &params
            ),
            "https://portal.example/p?p_p_id=cc&p_p_lifecycle=0&languageId=fr_FR&p_p_state=maximized&_cc_message=done"
        );
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p?p_p_id=cc"),
                &allowed,
                fallback,
                &cc,
                &kept,
                &params
            ),
            "https://portal.example/p?p_p_id=cc&languageId=fr_FR&p_p_state=maximized&_cc_message=done"
        );
    }
}
