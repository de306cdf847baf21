//! The one request shape every transport produces (native HTTP, WSRP, the demo portal).
//! Widgets see only this: never HTTP headers, never SOAP.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use super::urls::PortletUrls;
use crate::descriptors::WidgetDescriptor;

/// The portlet lifecycle phase, as Liferay's `p_p_lifecycle` numbers them (0, 1, 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Read only: produce markup.
    Render,
    /// Changes state; answered with a redirect or JSON outcome.
    Action,
    /// Downloads and JSON: vCards, contact pages.
    Resource,
}

/// `p_p_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PortletMode {
    View,
    Edit,
    Help,
}

impl PortletMode {
    /// Mode names are not case sensitive (portlet.xml's schema; `javax.portlet.PortletMode`
    /// lowercases them), so `p_p_mode=EDIT` is `edit`.
    pub fn parse(s: &str) -> Option<Self> {
        [Self::View, Self::Edit, Self::Help]
            .into_iter()
            .find(|mode| mode.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Edit => "edit",
            Self::Help => "help",
        }
    }
}

/// Whether a MIME type names HTML markup, the only kind the host's widgets write:
/// `text/html` itself, with or without parameters, or a wildcard over it. Used for a
/// descriptor's `<supports><mime-type>` and a WSRP consumer's `mimeTypes` alike.
pub fn covers_html(mime_type: &str) -> bool {
    let essence = mime_type.split(';').next().unwrap_or_default().trim();
    ["text/html", "text/*", "*/*", "*"]
        .iter()
        .any(|t| essence.eq_ignore_ascii_case(t))
}

/// `p_p_state`. `Exclusive` asks for the bare fragment (no decoration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowState {
    Normal,
    Maximized,
    Minimized,
    Exclusive,
}

impl WindowState {
    /// Window state names are not case sensitive, as mode names are not.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Normal,
            Self::Maximized,
            Self::Minimized,
            Self::Exclusive,
        ]
        .into_iter()
        .find(|state| state.as_str().eq_ignore_ascii_case(s))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "normal",
            Self::Maximized => "maximized",
            Self::Minimized => "minimized",
            Self::Exclusive => "exclusive",
        }
    }
}

/// A portlet id as the portal addresses it: the descriptor's `portlet-name`, plus
/// `_INSTANCE_<id>` for each placement of an instanceable widget.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PortletId {
    full: String,
    name_len: usize,
}

/// Separator Liferay puts between a portlet name and its instance id.
const INSTANCE_SEPARATOR: &str = "_INSTANCE_";
/// Liferay's mark of a user's own copy of a portlet, reserved in portlet names.
const USER_SEPARATOR: &str = "_USER_";

impl PortletId {
    /// Parses `name` or `name_INSTANCE_id`. Names are `[A-Za-z0-9_]{1,64}` so that the
    /// namespace built from them is a valid HTML id and JS identifier; instance ids are
    /// `[A-Za-z0-9]{1,32}` (Liferay's rule).
    pub fn parse(s: &str) -> Option<Self> {
        let (name, instance) = match s.find(INSTANCE_SEPARATOR) {
            Some(at) => (&s[..at], Some(&s[at + INSTANCE_SEPARATOR.len()..])),
            None => (s, None),
        };
        if !is_portlet_name(name) {
            return None;
        }
        if let Some(instance) = instance {
            let ok = (1..=32).contains(&instance.len())
                && instance.bytes().all(|b| b.is_ascii_alphanumeric());
            if !ok {
                return None;
            }
        }
        Some(Self {
            full: s.to_owned(),
            name_len: name.len(),
        })
    }

    /// The descriptor's `portlet-name`.
    pub fn name(&self) -> &str {
        &self.full[..self.name_len]
    }

    /// The placement's instance id, for instanceable widgets.
    pub fn instance(&self) -> Option<&str> {
        self.full
            .get(self.name_len + INSTANCE_SEPARATOR.len()..)
            .filter(|_| self.full.len() > self.name_len)
    }

    pub fn as_str(&self) -> &str {
        &self.full
    }

    /// Liferay's namespace: `_` + portlet id + `_`. Every parameter, form field, DOM id
    /// and JS name of the widget carries it, so two placements never collide.
    pub fn namespace(&self) -> String {
        format!("_{}_", self.full)
    }
}

/// The name of the placement's own parameter that `name` carries under `namespace`
/// (from [`PortletId::namespace`]), if it carries one. On a page holding the bare
/// `contacts_center` beside `contacts_center_INSTANCE_a1`, the instance's namespace
/// begins with the bare one: `_contacts_center_INSTANCE_a1_userId` is the instance's,
/// and the bare placement's links must keep it as the page wrote it. Any other rest is
/// this placement's (a preference a descriptor names `show_sms` included).
pub fn own_param<'a>(name: &'a str, namespace: &str) -> Option<&'a str> {
    name.strip_prefix(namespace)
        .filter(|rest| !rest.is_empty() && !rest.starts_with("INSTANCE_"))
}

impl fmt::Display for PortletId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full)
    }
}

/// Whether `name` may be a hostable portlet name (see [`PortletId::parse`]). Neither
/// `_INSTANCE_` in it nor `_INSTANCE` at its end: a placement `name_INSTANCE_id` is
/// split at its first separator (as Liferay splits it), so `team_INSTANCE`'s
/// placements would read as `team`'s. Nor `_USER_`, Liferay's other reserved word of
/// a portlet id (a user's own copy, `name_USER_id`), nor `_USER` at its end, for the
/// same reason as `_INSTANCE`: Liferay refuses a portlet named with either word, so a
/// descriptor it would refuse is refused here too.
pub fn is_portlet_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.contains(INSTANCE_SEPARATOR)
        && !name.contains(USER_SEPARATOR)
        && !name.ends_with(&USER_SEPARATOR[..USER_SEPARATOR.len() - 1])
        && !name.ends_with(&INSTANCE_SEPARATOR[..INSTANCE_SEPARATOR.len() - 1])
}

/// Widget parameters with the namespace already removed. Un-namespaced parameters
/// never get here: the transport drops them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, Vec<String>>);

impl Params {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.0.entry(name.into()).or_default().push(value.into());
    }

    /// The first value of `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).and_then(|v| v.first()).map(String::as_str)
    }

    /// Every value of `name`, in order.
    pub fn all(&self, name: &str) -> &[String] {
        self.0.get(name).map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .iter()
            .flat_map(|(k, vs)| vs.iter().map(move |v| (k.as_str(), v.as_str())))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Drops every value of `name`.
    pub fn remove(&mut self, name: &str) {
        self.0.remove(name);
    }
}

// Defined by `social`, which keeps the directory the claims refresh; a portal's
// request carries one.
pub use crate::social::Profile;

/// A signed-in user of a consumer portal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortalUser {
    /// The consumer (portal) id from the configuration; the JWT `iss`.
    pub consumer: String,
    /// The portal's own user id (JWT `sub`, WSRP `userContextKey`).
    pub user_id: String,
    /// Portal roles; `Administrator`, `Site Administrator` and `Site Owner` may edit preferences.
    pub roles: Vec<String>,
    pub profile: Profile,
}

/// Roles that may use edit mode and `save-preferences`.
pub const ADMIN_ROLES: [&str; 3] = ["Administrator", "Site Administrator", "Site Owner"];

impl PortalUser {
    pub fn is_widget_admin(&self) -> bool {
        self.roles.iter().any(|r| ADMIN_ROLES.contains(&r.as_str()))
    }

    pub fn is_portal_admin(&self) -> bool {
        self.roles.iter().any(|r| r == "Administrator")
    }
}

/// Who is looking at the widget.
// One per request and never stored in bulk, so the size gap between variants costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    Guest,
    User(PortalUser),
}

impl Viewer {
    pub fn user(&self) -> Option<&PortalUser> {
        match self {
            Self::Guest => None,
            Self::User(u) => Some(u),
        }
    }
}

/// One call into a widget, whatever transport it came over.
#[derive(Clone)]
pub struct Request {
    pub phase: Phase,
    pub portlet: PortletId,
    /// The deployed descriptor this call addresses (preferences defaults, wrapper class, …).
    pub descriptor: Arc<WidgetDescriptor>,
    pub mode: PortletMode,
    pub window_state: WindowState,
    /// Liferay language id such as `en_US`, already negotiated.
    pub locale: String,
    /// The BCP 47 tag the reader's dates and numbers are written in: `locale`'s
    /// language with the region the reader asked for (`en-GB` while `locale` is
    /// `en_US`, `de-CH` while it is `de_DE`; see [`crate::i18n::dates_tag`]).
    pub dates_locale: String,
    pub viewer: Viewer,
    /// The action or resource name; `None` for render.
    pub name: Option<String>,
    /// Widget parameters, namespace removed.
    pub params: Params,
    /// `p_l_url`: the portal page the fragment sits on.
    pub page_url: Option<String>,
    /// `p_page_owner`: the portal user whose page this is, when it is not the viewer's.
    pub page_owner: Option<String>,
    /// `cspNonce`: the nonce of the portal page's Content-Security-Policy, which the
    /// fragment's script then carries ([`csp_nonce`]); `None` when none was given or
    /// it is not a nonce.
    pub csp_nonce: Option<String>,
    /// How this transport wants links and forms written.
    pub urls: Arc<dyn PortletUrls>,
}

/// `value` if it can be a CSP nonce (a `nonce-source`'s base64 value: letters,
/// digits, `+`, `/`, `-`, `_`, then up to two `=`), at most 128 characters. Anything
/// else is passed over: it could close the attribute it is written into.
pub fn csp_nonce(value: &str) -> Option<String> {
    let body = value.trim_end_matches('=');
    let valid = !body.is_empty()
        && value.len() <= 128
        && value.len() - body.len() <= 2
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'));
    valid.then(|| value.to_owned())
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("phase", &self.phase)
            .field("portlet", &self.portlet)
            .field("mode", &self.mode)
            .field("window_state", &self.window_state)
            .field("locale", &self.locale)
            .field("dates_locale", &self.dates_locale)
            .field("viewer", &self.viewer)
            .field("name", &self.name)
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nonce is a CSP `nonce-source`'s base64 value; anything else could close the
    /// attribute it is written into, and is passed over.
    #[test]
    fn a_csp_nonce_is_base64_or_nothing() {
        for good in ["abc123", "n0nce+/_-A==", "x=", &"a".repeat(128)] {
            assert_eq!(csp_nonce(good).as_deref(), Some(good), "{good}");
        }
        for bad in [
            "",
            "=",
            "a===",
            "a b",
            "a\"b",
            "a'b",
            "a>b",
            "é",
            &"a".repeat(129),
        ] {
            assert_eq!(csp_nonce(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn portlet_id_splits_name_and_instance() {
        let id = PortletId::parse("contacts_center_INSTANCE_abc123").expect("valid id");
        assert_eq!(id.name(), "contacts_center");
        assert_eq!(id.instance(), Some("abc123"));
        assert_eq!(id.namespace(), "_contacts_center_INSTANCE_abc123_");
        let plain = PortletId::parse("notifications").expect("valid id");
        assert_eq!(plain.instance(), None);
        assert_eq!(plain.namespace(), "_notifications_");
    }

    #[test]
    fn portlet_id_rejects_unsafe_names() {
        for bad in [
            "",
            "a-b",
            "a b",
            "x_INSTANCE_",
            "x_INSTANCE_a-b",
            "<script>",
            "x_INSTANCE_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "team_INSTANCE_INSTANCE_ab12",
        ] {
            assert!(PortletId::parse(bad).is_none(), "{bad:?} must be refused");
        }
        // A name its own placements could not be told from is no portlet name.
        assert!(!is_portlet_name("team_INSTANCE"));
        assert!(is_portlet_name("team_INSTANCES") && is_portlet_name("INSTANCE"));
        // Nor one Liferay reserves for a user's own copy of a portlet.
        assert!(!is_portlet_name("team_USER_directory") && !is_portlet_name("team_USER"));
        assert!(PortletId::parse("team_USER_x_INSTANCE_ab12").is_none());
        assert!(is_portlet_name("team_USERS") && is_portlet_name("USER_team"));
    }
}
