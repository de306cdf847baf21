//! Widget kinds built into the host. A descriptor's `<portlet-class>` picks one.
//! Widgets know the portal's vocabulary ([`crate::portal`]) and the social rules
//! ([`crate::social`]); they know nothing of HTTP or SOAP.

pub mod contacts_center;
pub(crate) mod links;
pub mod notifications;
pub(crate) mod paging;
pub(crate) mod ui;

use std::sync::Arc;

use crate::i18n::Languages;
use crate::portal::Request;
use crate::social::Social;
use crate::store::StoreError;
use crate::templates::Templates;

/// `<portlet-class>` values this host provides.
pub const KINDS: [&str; 2] = [contacts_center::KIND, notifications::KIND];

/// The language key of a widget kind's own title, which its fragments and WSRP's
/// `preferredTitle` are titled with in the reader's language.
pub fn title_key(kind: &str) -> Option<&'static str> {
    match kind {
        contacts_center::KIND => Some("contacts-center"),
        notifications::KIND => Some("notifications"),
        _ => None,
    }
}

/// A widget's title in `locale`, as a portal titles a portlet from its resource
/// bundle, where its descriptor keeps the kind's own English title; a title the
/// administrator wrote in the descriptor instead is theirs, shown as written (`None`).
pub fn bundle_title(
    languages: &Languages,
    d: &crate::descriptors::WidgetDescriptor,
    locale: &str,
) -> Option<String> {
    title_key(&d.kind)
        .filter(|key| languages.get(crate::i18n::DEFAULT_LANGUAGE_ID, key) == d.title)
        .map(|key| languages.get(locale, key).to_owned())
}

/// The id of a widget kind's root element after the placement's namespace
/// (`_contacts_center_contacts-center`): the element a render link on a portal page
/// lands on. Its templates write it, and the enhancement script finds the placement
/// by it.
pub fn root_id(kind: &str) -> Option<&'static str> {
    match kind {
        contacts_center::KIND => Some("contacts-center"),
        notifications::KIND => Some("notifications"),
        _ => None,
    }
}

/// The portlet modes a widget kind renders, so that a descriptor cannot offer a portal
/// (or a WSRP consumer's mode buttons) one that every call would refuse.
pub fn modes_of(kind: &str) -> &'static [&'static str] {
    match kind {
        contacts_center::KIND => &["view", "edit"],
        notifications::KIND => &["view"],
        _ => &[],
    }
}

/// A rendered fragment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markup {
    /// Localized title, for portals that decorate the fragment.
    pub title: String,
    pub html: String,
}

/// How an action went, in the widget's terms; each transport says it in its own (the
/// native JSON answer as an HTTP status, in `http::response`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutcomeKind {
    /// Done, or nothing to do (a duplicate is a no-op).
    Done,
    /// The request itself was wrong: a malformed id, nobody chosen, acting on oneself.
    Invalid,
    /// The viewer may not do this.
    Forbidden,
    /// What it names does not exist.
    NotFound,
    /// What stands now forbids it: a block, a request already answered, a taken email.
    Conflict,
}

/// What an action did, in a shape every transport can answer with: JSON for fetch and
/// portals, a redirect with render parameters for browsers, a navigational state for WSRP.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionOutcome {
    pub ok: bool,
    pub kind: OutcomeKind,
    /// Language key of the outcome message, e.g. `you-are-now-following-this-user`.
    pub message: String,
    /// The message in the request's locale.
    pub text: String,
    /// The relationship with the person acted on, when the action was about one person.
    pub relationship: Option<serde_json::Value>,
    /// Render parameters (un-namespaced) for the next render; `message` is among them.
    pub render_params: Vec<(String, String)>,
    /// Each person's own outcome, in the order named, when the action named several:
    /// a portal's script can then say who was left out of a bulk action and why.
    /// Empty otherwise.
    pub people: Vec<PersonOutcome>,
}

/// One person's part of a bulk action's answer (`results` in its JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PersonOutcome {
    pub user_id: String,
    pub ok: bool,
    /// The language key, as the answer's own `message`.
    pub message: String,
    /// The message in the request's locale.
    pub text: String,
}

/// A downloadable resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub content_type: String,
    /// Suggested file name, as people read it (any script); the transport adds an
    /// ASCII fallback ([`crate::portal::download::content_disposition`]).
    pub filename: Option<String>,
    pub body: Vec<u8>,
}

/// Why a widget could not answer at all. Rule refusals are not errors: they are an
/// [`ActionOutcome`] with `ok: false`.
#[derive(Debug, thiserror::Error)]
pub enum WidgetError {
    #[error("unknown action {0:?}")]
    UnknownAction(String),
    #[error("unknown resource {0:?}")]
    UnknownResource(String),
    #[error("portlet mode {0} is not supported by this widget")]
    UnsupportedMode(&'static str),
    #[error("sign in to use this widget")]
    SignInRequired,
    /// The viewer is signed in but may not do this (edit mode without an admin role …).
    #[error("forbidden: {key}")]
    Forbidden { key: &'static str, text: String },
    /// Malformed parameters; `text` is localized.
    #[error("bad request: {key}")]
    BadRequest { key: &'static str, text: String },
    /// Well-formed parameters naming something that does not exist (a person, as an
    /// action about an unknown person answers 404 too); `text` is localized.
    #[error("not found: {key}")]
    NotFound { key: &'static str, text: String },
    #[error("internal error: {0}")]
    Internal(String),
    /// The database file failed (a read or write the system refused). The phase's
    /// widget has kept it as the host's failure; see [`noticed`].
    #[error("storage failed: {0}")]
    Storage(StoreError),
}

/// Logs a widget's failure (a bug's, a template's, or the database file's) for the
/// administrator, over HTTP and WSRP alike. Through a throttle: once the file has
/// failed, every action fails the same way at the rate people act. One for each
/// kind, so that a broken template on a busy view does not keep the database's
/// failure out of the log.
pub fn log_failure(error: &WidgetError) {
    crate::throttle::log_error(failures_of(error), "widget failed", error);
}

/// The throttle of `error`'s kind of failure.
fn failures_of(error: &WidgetError) -> &'static crate::throttle::Throttle {
    static STORAGE: crate::throttle::Throttle = crate::throttle::Throttle::new();
    static OTHER: crate::throttle::Throttle = crate::throttle::Throttle::new();
    match error {
        WidgetError::Storage(_) => &STORAGE,
        _ => &OTHER,
    }
}

/// Passes a phase's result on, first keeping a failure of the database file as the
/// host's (see [`Social::storage_failure`]): a read that fails during a render then
/// turns `/healthz` to 503 at once, as a failed write does, instead of at the next
/// write.
pub(crate) fn noticed<T>(
    social: &Social,
    result: Result<T, WidgetError>,
) -> Result<T, WidgetError> {
    if let Err(WidgetError::Storage(e)) = &result {
        social.note_storage_failure(e);
    }
    result
}

/// An action phase under way. Actions spend most of their time waiting for a grouped
/// commit; as futures they wait without a thread each (see `Store::write_async`).
pub type ActionFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<ActionOutcome, WidgetError>> + Send + 'a>,
>;

/// One built-in widget kind.
pub trait Widget: Send + Sync {
    /// Render phase: read only.
    fn render(&self, req: &Request) -> Result<Markup, WidgetError>;
    /// Action phase. The future waits for the durable commit without holding a
    /// thread, and reads what it answers in its own write job: it needs a tokio
    /// runtime, and is polled on it (see [`ActionFuture`]).
    fn action<'a>(&'a self, req: &'a Request) -> ActionFuture<'a>;
    /// Resource phase: downloads and JSON.
    fn resource(&self, req: &Request) -> Result<Resource, WidgetError>;
    /// The names [`Widget::action`] answers. Transports refuse any other as not found
    /// before they check the caller: the names are public, and a 403 to a caller
    /// without credentials would say the action exists.
    fn actions(&self) -> &'static [&'static str];
    /// The names [`Widget::resource`] answers, likewise.
    fn resources(&self) -> &'static [&'static str];
    /// Whether the widget has `name` in `phase`: every widget renders; an action or
    /// a resource must be one it lists. Every transport asks before it reads the
    /// caller (native: 404 before the token; WSRP: a fault before the profile).
    fn offers(&self, phase: crate::portal::Phase, name: &str) -> bool {
        match phase {
            crate::portal::Phase::Render => true,
            crate::portal::Phase::Action => self.actions().contains(&name),
            crate::portal::Phase::Resource => self.resources().contains(&name),
        }
    }
    /// Of an action's parameters, the render parameters that say where on the widget
    /// its form was (a list, a search, a page, a card), checked as a render checks
    /// them. A form (or a download link) that had expired sends its person back to the page with these, so
    /// that they land where they acted rather than on the widget's first view.
    fn where_the_form_was(&self, _params: &crate::portal::Params) -> Vec<(String, String)> {
        Vec::new()
    }
    /// How many writes an action's parameters ask for (the people a bulk action
    /// names), which transports count against the caller's share of the writer's
    /// time: at least 1, and as a guess before the action reads them, so a malformed
    /// list counts as one (the action refuses it without writing).
    fn action_weight(&self, _params: &crate::portal::Params) -> usize {
        1
    }
}

/// The widget implementations by kind (`<portlet-class>`), shared by every transport.
pub type WidgetSet = std::collections::BTreeMap<&'static str, std::sync::Arc<dyn Widget>>;

/// The built-in widgets over one social graph, one template set and one set of
/// language bundles, keyed by their `<portlet-class>`.
pub fn builtin_widgets(
    social: Social,
    templates: Arc<Templates>,
    languages: &'static Languages,
) -> WidgetSet {
    let mut set = WidgetSet::new();
    set.insert(
        contacts_center::KIND,
        Arc::new(contacts_center::ContactsCenter::new(
            social.clone(),
            templates.clone(),
            languages,
        )) as Arc<dyn Widget>,
    );
    set.insert(
        notifications::KIND,
        Arc::new(notifications::Notifications::new(
            social, templates, languages,
        )),
    );
    set
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A built-in kind's title is the bundle's in the reader's language while the
    /// descriptor keeps its English one; an administrator's own title is theirs.
    #[test]
    fn a_kinds_own_title_is_translated_and_an_administrators_is_not() {
        let catalog = crate::descriptors::builtin();
        let mut contacts = catalog
            .widgets
            .values()
            .find(|d| d.kind == contacts_center::KIND)
            .expect("the Contacts Center")
            .as_ref()
            .clone();
        let languages = Languages::shared();
        assert_eq!(
            bundle_title(languages, &contacts, "de_DE").as_deref(),
            Some(languages.get("de_DE", "contacts-center"))
        );
        assert_ne!(languages.get("de_DE", "contacts-center"), contacts.title);
        contacts.title = "People".into();
        assert_eq!(bundle_title(languages, &contacts, "de_DE"), None);
    }

    /// A broken template on a busy view takes no line a failed database file needs.
    #[test]
    fn the_databases_failures_are_throttled_apart_from_the_others() {
        let storage = WidgetError::Storage(crate::store::StoreError::WriterGone);
        let template = WidgetError::Internal("template home.html: unknown filter".into());
        assert!(!std::ptr::eq(failures_of(&storage), failures_of(&template)));
        assert!(std::ptr::eq(
            failures_of(&template),
            failures_of(&WidgetError::Internal(String::new()))
        ));
    }
}
