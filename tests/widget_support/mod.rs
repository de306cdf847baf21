//! Shared helpers for the widget tests: an in-memory social graph, fake portal URLs
//! that are easy to recognise, and request builders.
#![allow(dead_code)]

use std::sync::Arc;

use widget_host::descriptors;
use widget_host::i18n::Languages;
use widget_host::portal::{
    ActionTarget, Params, Phase, PortalUser, PortletId, PortletMode, PortletUrls, Profile, Request,
    Viewer, WindowState,
};
use widget_host::social::Social;
use widget_host::store::Person;
use widget_host::templates::Templates;
use widget_host::widgets::{WidgetSet, builtin_widgets, contacts_center, notifications};

/// URLs a test can read back: render links go to a portal page, actions and resources
/// to the host, and every action form carries a `p_auth` naming its action.
pub struct FakeUrls {
    pub ns: String,
    /// Write WSRP-style rewritten render URLs (not usable as a GET form target).
    pub rewritten: bool,
}

impl FakeUrls {
    fn query(&self, params: &[(&str, &str)]) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(&format!("{}{}", self.ns, k), v);
        }
        q.finish()
    }
}

impl PortletUrls for FakeUrls {
    fn namespace(&self) -> &str {
        &self.ns
    }

    fn render_url(&self, params: &[(&str, &str)]) -> String {
        if self.rewritten {
            return format!(
                "wsrp_rewrite?wsrp-urlType=render&state={}/wsrp_rewrite",
                self.query(params)
            );
        }
        let q = self.query(params);
        format!("https://portal.test/web/page?p_p_id=cc&p_p_lifecycle=0&{q}")
    }

    /// As the native protocol lands: the element as the URL's fragment. A rewritten
    /// URL lands nowhere, as WSRP's do.
    fn render_url_landing(&self, params: &[(&str, &str)], element: &str) -> String {
        let url = self.render_url(params);
        if self.rewritten {
            return url;
        }
        format!("{url}#{element}")
    }

    fn action_target(&self, action: &str) -> ActionTarget {
        ActionTarget {
            url: format!("https://host.test/actions/{action}"),
            hidden: vec![("p_auth".to_owned(), format!("tok-{action}"))],
        }
    }

    fn resource_url(&self, resource: &str, params: &[(&str, &str)]) -> String {
        format!(
            "https://host.test/resources/{resource}?{}",
            self.query(params)
        )
    }
}

pub struct World {
    pub social: Social,
    pub widgets: WidgetSet,
    /// Drives actions, which are futures that wait for their commit and read on the
    /// blocking pool, as the host's runtime does.
    pub runtime: tokio::runtime::Runtime,
}

pub fn world() -> World {
    world_on(Social::in_memory().expect("in-memory social"))
}

/// The built-in widgets over `social`.
pub fn world_on(social: Social) -> World {
    let widgets = builtin_widgets(
        social.clone(),
        Arc::new(Templates::new(None)),
        Languages::shared(),
    );
    World::new(social, widgets)
}

impl World {
    pub fn new(social: Social, widgets: WidgetSet) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .expect("runtime");
        Self {
            social,
            widgets,
            runtime,
        }
    }
}

pub fn person(id: &str, given: &str, family: &str) -> Person {
    Person {
        id: id.to_owned(),
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        email_address: format!("{id}@example.com"),
        job_title: "Engineer".to_owned(),
        ..Person::default()
    }
}

impl World {
    pub fn add(&self, id: &str, given: &str, family: &str) {
        self.social
            .upsert_person(person(id, given, family))
            .expect("upsert");
    }
}

/// What a test call looks like before it becomes a [`Request`].
#[derive(Clone)]
pub struct Call {
    pub kind: &'static str,
    pub portlet: String,
    pub viewer: Option<String>,
    pub roles: Vec<String>,
    pub mode: PortletMode,
    /// The reader's language, as the portal's `languageId` names it.
    pub locale: String,
    pub name: Option<String>,
    pub params: Vec<(String, String)>,
    pub page_owner: Option<String>,
    pub rewritten: bool,
    /// Preferences the descriptor marks `<read-only>` for this call.
    pub read_only: Vec<String>,
    /// Preferences the descriptor declares besides its own, with their values.
    pub declared: Vec<(String, Vec<String>)>,
    /// Preferences the descriptor does not declare for this call.
    pub undeclared: Vec<String>,
    /// The portal page's CSP nonce (`cspNonce`).
    pub csp_nonce: Option<String>,
    /// Modes the descriptor no longer lists for this call.
    pub without_modes: Vec<String>,
}

pub fn cc(viewer: Option<&str>) -> Call {
    Call {
        kind: contacts_center::KIND,
        portlet: "contacts_center".to_owned(),
        viewer: viewer.map(str::to_owned),
        roles: Vec::new(),
        mode: PortletMode::View,
        locale: "en_US".to_owned(),
        name: None,
        params: Vec::new(),
        page_owner: None,
        csp_nonce: None,
        rewritten: false,
        read_only: Vec::new(),
        declared: Vec::new(),
        undeclared: Vec::new(),
        without_modes: Vec::new(),
    }
}

pub fn notes(viewer: Option<&str>) -> Call {
    Call {
        kind: notifications::KIND,
        portlet: "notifications".to_owned(),
        ..cc(viewer)
    }
}

impl Call {
    pub fn p(mut self, k: &str, v: &str) -> Self {
        self.params.push((k.to_owned(), v.to_owned()));
        self
    }
    pub fn named(mut self, name: &str) -> Self {
        self.name = Some(name.to_owned());
        self
    }
    pub fn instance(mut self, portlet: &str) -> Self {
        self.portlet = portlet.to_owned();
        self
    }
    pub fn locale(mut self, l: &str) -> Self {
        self.locale = l.to_owned();
        self
    }
    pub fn admin(mut self) -> Self {
        self.roles = vec!["Site Administrator".to_owned()];
        self
    }
    pub fn mode(mut self, m: PortletMode) -> Self {
        self.mode = m;
        self
    }
    pub fn owner(mut self, o: &str) -> Self {
        self.page_owner = Some(o.to_owned());
        self
    }
    /// The descriptor declares `preference` with `values`.
    pub fn declared(mut self, preference: &str, values: &[&str]) -> Self {
        let values = values.iter().map(|v| (*v).to_owned()).collect();
        self.declared.push((preference.to_owned(), values));
        self
    }

    /// The portal page's Content-Security-Policy nonce, as `cspNonce` gives it.
    pub fn nonce(mut self, nonce: &str) -> Self {
        self.csp_nonce = Some(nonce.to_owned());
        self
    }

    /// The descriptor does not declare `preference` (an administrator took it out).
    pub fn undeclared(mut self, preference: &str) -> Self {
        self.undeclared.push(preference.to_owned());
        self
    }

    /// The descriptor does not list `mode` (an administrator took it out).
    pub fn without_mode(mut self, mode: &str) -> Self {
        self.without_modes.push(mode.to_owned());
        self
    }

    pub fn read_only(mut self, preference: &str) -> Self {
        self.read_only.push(preference.to_owned());
        self
    }

    fn request(&self, phase: Phase) -> Request {
        let portlet = PortletId::parse(&self.portlet).expect("portlet id");
        let catalog = descriptors::builtin();
        let mut descriptor = catalog
            .get(portlet.name())
            .cloned()
            .expect("built-in descriptor");
        if !self.read_only.is_empty()
            || !self.declared.is_empty()
            || !self.undeclared.is_empty()
            || !self.without_modes.is_empty()
        {
            let mut changed = (*descriptor).clone();
            changed.read_only_preferences = self.read_only.iter().cloned().collect();
            changed.preferences.extend(self.declared.iter().cloned());
            for name in &self.undeclared {
                changed.preferences.remove(name);
            }
            changed.modes.retain(|m| !self.without_modes.contains(m));
            descriptor = Arc::new(changed);
        }
        let mut params = Params::new();
        for (k, v) in &self.params {
            params.add(k.clone(), v.clone());
        }
        let viewer = match &self.viewer {
            None => Viewer::Guest,
            Some(id) => Viewer::User(PortalUser {
                consumer: "test".to_owned(),
                user_id: id.clone(),
                roles: self.roles.clone(),
                profile: Profile::default(),
            }),
        };
        // The locale as given (a widget must cope with one it has no texts for, as a
        // WSRP descriptor's default can be), and its dates as a portal's `languageId`
        // would have them: `en_GB` reads British dates.
        let dates_locale =
            widget_host::i18n::negotiate_locale(Some(&self.locale), None, None).dates;
        Request {
            phase,
            urls: Arc::new(FakeUrls {
                ns: portlet.namespace(),
                rewritten: self.rewritten,
            }),
            portlet,
            descriptor,
            mode: self.mode,
            window_state: WindowState::Normal,
            locale: self.locale.clone(),
            dates_locale,
            viewer,
            name: self.name.clone(),
            params,
            page_url: None,
            page_owner: self.page_owner.clone(),
            csp_nonce: self.csp_nonce.clone(),
        }
    }

    pub fn render(&self, w: &World) -> Result<String, widget_host::widgets::WidgetError> {
        w.widgets[self.kind]
            .render(&self.request(Phase::Render))
            .map(|m| m.html)
    }

    pub fn html(&self, w: &World) -> String {
        self.render(w).expect("render")
    }

    pub fn act(
        &self,
        w: &World,
    ) -> Result<widget_host::widgets::ActionOutcome, widget_host::widgets::WidgetError> {
        let request = self.request(Phase::Action);
        w.runtime.block_on(w.widgets[self.kind].action(&request))
    }

    pub fn ok(&self, w: &World) -> widget_host::widgets::ActionOutcome {
        self.act(w).expect("action answers")
    }

    pub fn resource(
        &self,
        w: &World,
    ) -> Result<widget_host::widgets::Resource, widget_host::widgets::WidgetError> {
        w.widgets[self.kind].resource(&self.request(Phase::Resource))
    }
}

/// Every value of the `id`, `name`, `for` and `form` attributes in `html`.
pub fn scoped_attributes(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in [" id=\"", " name=\"", " for=\"", " form=\""] {
        let mut rest = html;
        while let Some(at) = rest.find(attr) {
            let after = &rest[at + attr.len()..];
            let end = after.find('"').expect("closed attribute");
            out.push(after[..end].to_owned());
            rest = &after[end..];
        }
    }
    out
}

/// Every `<time datetime="…">…</time>` in `html`, as (datetime, text), after checking
/// that each shows, in UTC to the minute, the instant its `datetime` names:
/// `2024-05-01T14:03:27Z` as `2024-05-01 14:03 UTC`.
pub fn dates(html: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<time datetime=\"") {
        let after = &rest[at + "<time datetime=\"".len()..];
        let (datetime, after) = after.split_once("\">").expect("a closed datetime");
        let (text, after) = after.split_once("</time>").expect("a closed time");
        assert_eq!(datetime.len(), 20, "{datetime}");
        assert!(
            datetime.ends_with('Z') && &datetime[10..11] == "T",
            "{datetime}"
        );
        assert_eq!(
            text,
            format!("{} {} UTC", &datetime[..10], &datetime[11..16]),
            "the text shows the datetime's instant"
        );
        out.push((datetime.to_owned(), text.to_owned()));
        rest = after;
    }
    out
}
