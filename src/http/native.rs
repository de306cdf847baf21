//! The native portlet protocol of DESIGN.md section 3: how an HTTP request becomes a
//! [`portal::Request`](crate::portal::Request) and how a widget's answer goes back.
//! This file holds the pure parts (parameters, URLs, redirects); `widget_routes` runs them.

use std::sync::Arc;

use crate::portal::auth::PAuthTarget;
use crate::portal::{ActionTarget, Params, PortletId, PortletUrls};

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
    pub widget: Params,
}

/// Splits query and form pairs into portal parameters and the widget's parameters.
pub fn split_params<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    namespace: &str,
) -> PortalParams {
    let mut out = PortalParams::default();
    for (name, value) in pairs {
        match name {
            "p_p_mode" => out.mode = Some(value.to_owned()),
            "p_p_state" => out.window_state = Some(value.to_owned()),
            "languageId" => out.language_id = Some(value.to_owned()),
            "p_auth" => out.p_auth = Some(value.to_owned()),
            "p_l_url" => out.page_url = Some(value.to_owned()),
            "p_page_owner" => out.page_owner = Some(value.to_owned()),
            _ => {
                if let Some(own) = name.strip_prefix(namespace).filter(|n| !n.is_empty()) {
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
    /// Portal parameters every link keeps (`languageId`, `p_p_mode`…), un-namespaced.
    sticky: Vec<(String, String)>,
    minter: Option<TokenMinter>,
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
        Self {
            portlet,
            namespace,
            host_base: host_base.trim_end_matches('/').to_owned(),
            page_url,
            sticky,
            minter,
        }
    }

    fn render_base(&self) -> String {
        match &self.page_url {
            Some(page) => page.clone(),
            None => format!("{}/widgets/{}/render", self.host_base, self.portlet),
        }
    }
}

impl PortletUrls for NativeUrls {
    fn namespace(&self) -> &str {
        &self.namespace
    }

    fn render_url(&self, params: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if self.page_url.is_some() {
            // What Liferay's own render URLs carry, so the portal routes the
            // parameters to this placement.
            query.append_pair("p_p_id", self.portlet.as_str());
            query.append_pair("p_p_lifecycle", "0");
        }
        for (name, value) in &self.sticky {
            query.append_pair(name, value);
        }
        for (name, value) in params {
            query.append_pair(&format!("{}{}", self.namespace, name), value);
        }
        append_query(&self.render_base(), &query.finish())
    }

    fn action_target(&self, action: &str) -> ActionTarget {
        let url = format!(
            "{}/widgets/{}/actions/{}",
            self.host_base, self.portlet, action
        );
        let mut hidden = Vec::new();
        if let Some(mint) = &self.minter {
            hidden.push(("p_auth".to_owned(), mint(PAuthTarget::Action(action))));
        }
        if let Some(page) = &self.page_url {
            hidden.push(("p_l_url".to_owned(), page.clone()));
        }
        hidden.extend(self.sticky.iter().cloned());
        ActionTarget { url, hidden }
    }

    fn resource_url(&self, resource: &str, params: &[(&str, &str)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        if let Some(mint) = &self.minter {
            query.append_pair("p_auth", &mint(PAuthTarget::Resource(resource)));
        }
        for (name, value) in &self.sticky {
            query.append_pair(name, value);
        }
        for (name, value) in params {
            query.append_pair(&format!("{}{}", self.namespace, name), value);
        }
        append_query(
            &format!(
                "{}/widgets/{}/resources/{}",
                self.host_base, self.portlet, resource
            ),
            &query.finish(),
        )
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

/// A Host header we are willing to echo into URLs: host[:port], nothing else.
fn is_host_header(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 255
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
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
    let joiner = if without_fragment.contains('?') {
        if without_fragment.ends_with('?') || without_fragment.ends_with('&') {
            ""
        } else {
            "&"
        }
    } else {
        "?"
    };
    let mut out = format!("{without_fragment}{joiner}{query}");
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// Whether `target` is an absolute http(s) URL whose origin is one of `allowed`.
/// Everything else (relative tricks such as `//evil.example`, `javascript:`, other
/// origins) is refused, so a redirect can never leave the consumer's portal.
pub fn is_allowed_target(target: &str, allowed: &[String]) -> bool {
    let Ok(url) = url::Url::parse(target) else {
        return false;
    };
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return false;
    }
    let origin = url.origin().ascii_serialization();
    allowed.iter().any(|a| a.trim_end_matches('/') == origin)
}

/// The redirect after an action: the requested target when its origin is allowed,
/// else the widget's own render URL; the action's render parameters appended, namespaced.
pub fn redirect_location(
    requested: Option<&str>,
    allowed: &[String],
    fallback: &str,
    namespace: &str,
    render_params: &[(String, String)],
) -> String {
    let base = requested
        .filter(|t| is_allowed_target(t, allowed))
        .unwrap_or(fallback);
    let mut query = form_urlencoded::Serializer::new(String::new());
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

    #[test]
    fn redirects_never_leave_the_allowed_origins() {
        let allowed = vec!["https://portal.example".to_owned()];
        assert!(is_allowed_target(
            "https://portal.example/web/guest",
            &allowed
        ));
        for bad in [
            "https://evil.example/",
            "//evil.example/x",
            "/relative",
            "javascript:alert(1)",
            "https://portal.example.evil.example/",
            "http://portal.example/",
            "https://portal.example@evil.example/",
        ] {
            assert!(!is_allowed_target(bad, &allowed), "{bad} must be refused");
        }
        let params = vec![("message".to_owned(), "request-sent".to_owned())];
        let fallback = "http://host/widgets/cc/render";
        assert_eq!(
            redirect_location(
                Some("https://evil.example/"),
                &allowed,
                fallback,
                "_cc_",
                &params
            ),
            "http://host/widgets/cc/render?_cc_message=request-sent"
        );
        assert_eq!(
            redirect_location(
                Some("https://portal.example/p#top"),
                &allowed,
                fallback,
                "_cc_",
                &params
            ),
            "https://portal.example/p?_cc_message=request-sent#top"
        );
    }
}
