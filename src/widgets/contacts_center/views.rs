//! The render phase: one `Social::read()` snapshot per render and O(page size) reads
//! from it, turned into a template context. Which view shows follows the portal's
//! state: a guest gets a sign-in hint, a page owner's page lists the owner's
//! connections, `userId` opens a person's card, anything else is the home list.

use std::cell::RefCell;

use serde::Serialize;

mod detail_page;
mod fragment;
mod home_page;

use super::cards::{self, Details, PersonView};
use super::messages;
use super::params;
use super::preferences::{self, Settings};
use super::resources::MAX_EXPORT;
use super::rows::{self, Row, Select};
use crate::i18n::isolate;
use crate::portal::{PortalUser, PortletMode};
use crate::store::{
    Filter, Listed, MUTUAL_SCAN_LIMIT, Page as ListPage, Person, Reader, RequestSide, RequestView,
};
use crate::templates::Templates;
use crate::widgets::paging;
use crate::widgets::ui::{
    Field, Form, Ui, social_error, store_error, template_error, when, when_iso,
};
use crate::widgets::{Markup, WidgetError};

/// Texts every Contacts Center template may print.
static TEXTS: &[&str] = &[
    "contacts-center",
    "search",
    "keywords",
    "clear-search",
    "view-more",
    "your-last-action-could-not-be-confirmed",
    "back",
    "save",
    "preferences",
    "people",
    "requests",
    "sent-requests",
    "select-people",
    "select-x",
    "full-name",
    "email-address",
    "comments",
    "required",
    "add-contact",
    "update-contact",
    "edit",
    "job-title",
    "phones",
    "addresses",
    "websites",
    "email-addresses",
    "mutual-connections",
    "vcard",
    "my-contacts",
    "sign-in-to-see-your-contacts-and-connect-with-people",
    "filters",
    "summary",
    "details-shown-for-each-person",
    home_page::RESTARTED,
];

/// A link in the counts or the filter bar.
#[derive(Debug, Serialize)]
struct Link {
    label: String,
    url: String,
    active: bool,
}

/// The search box: a GET form where the render URL is a real URL, otherwise a POST to
/// the `search` action (WSRP's rewritten URLs cannot be a GET form's target).
#[derive(Debug, Serialize)]
struct SearchBox {
    method: &'static str,
    /// The search landmark's name: the list it searches, when that is a tab's.
    label: String,
    url: String,
    hidden: Vec<Field>,
    field: String,
    value: String,
    /// The list without its keywords, while it has some.
    clear: Option<String>,
}

/// A personal entry with its edit and delete forms.
#[derive(Debug, Serialize)]
struct EntryRow {
    entry_id: u64,
    full_name: String,
    email_address: String,
    comments: String,
    edit: EntryForm,
    delete: Form,
}

/// The add/edit form of a personal entry.
#[derive(Debug, Serialize)]
struct EntryForm {
    id: String,
    url: String,
    hidden: Vec<Field>,
    full_name: String,
    email_address: String,
    comments: String,
    label: String,
    /// The field a refusal of this form is about (`fullName`, `emailAddress`), marked
    /// invalid on the page the refusal comes back to; empty otherwise.
    invalid: &'static str,
    /// Whether the form is shown open: an edit form that was refused.
    open: bool,
}

/// A bulk button: it submits the shared selection form to its own action.
#[derive(Debug, Serialize)]
struct BulkButton {
    url: String,
    /// The one hidden field that differs per action (a `p_auth` bound to it), sent as
    /// the button's own name and value.
    field: Option<Field>,
    label: String,
    /// Asked before the button posts (see `Form::confirm`).
    confirm: Option<String>,
    /// The question's id (see `Form::question_id`).
    question_id: Option<String>,
}

#[derive(Debug, Serialize)]
struct Bulk {
    form_id: String,
    url: String,
    hidden: Vec<Field>,
    buttons: Vec<BulkButton>,
}

#[derive(Debug, Serialize)]
struct Home {
    counts: Vec<Link>,
    intro: Option<String>,
    search: SearchBox,
    nav: Vec<Link>,
    filter: &'static str,
    /// The main list's rows: people, or received requests.
    rows: Vec<Row>,
    sent: Vec<Row>,
    entries: Vec<EntryRow>,
    add_entry: Option<EntryForm>,
    bulk: Option<Bulk>,
    empty: Option<String>,
    /// A search of one of the viewer's lists that found nobody: the same words
    /// looked up among everyone, where the person looked for may well be.
    search_everyone: Option<Link>,
    /// `empty` ends a "View more" page of a search that found nobody on it: the
    /// script keeps the rows already shown and adds these words after them, instead
    /// of swapping the widget for a page without a list.
    list_end: bool,
    view_more: Option<String>,
    /// The list shows its first page, not the one the cursor asked for: the script
    /// swaps the widget instead of appending the rows.
    restarted: bool,
    /// The next page of the sent requests, which the requests page lists under the
    /// received ones. A plain link: the script's "View more" appends to the first list.
    sent_more: Option<String>,
    /// As `restarted`, for the sent requests (`requests-sent` with a cursor).
    sent_restarted: bool,
    export: Option<Link>,
    /// A card's Back came to this list for someone no longer on this page of it (see
    /// [`rows::RETURNED`]): the filters above the list take the landing instead.
    returned_to_filters: bool,
}

#[derive(Debug, Serialize)]
struct Detail {
    person: PersonView,
    details: Details,
    forms: Vec<Form>,
    vcard_url: String,
    mutual: Vec<PersonView>,
    /// "Mutual Connections (40)": the card shows at most [`MUTUAL_FACES`] of them.
    mutual_heading: String,
    back_url: String,
}

#[derive(Debug, Serialize)]
struct Owner {
    title: String,
    /// The owner, as a row shows a person: a link to their card, and how the viewer
    /// stands with them.
    person: PersonView,
    rows: Vec<Row>,
    view_more: Option<String>,
    /// As [`Home::restarted`].
    restarted: bool,
    /// As [`Home::returned_to_filters`]: the list's title takes the landing.
    returned_to_owner: bool,
}

#[derive(Debug, Serialize)]
struct PreferenceField {
    name: String,
    id: String,
    label: String,
    flag: bool,
    /// The whole numbers the field takes, for a number input the browser checks
    /// before the form is sent (the host refuses any other value).
    range: Option<(usize, usize)>,
    /// Those bounds in words ("From 1 to 100") and the id the field's description
    /// names: screen readers do not say a number field's min and max.
    range_text: String,
    range_id: String,
    /// What the setting does, where its label cannot say it ("Show Icon" shows
    /// portraits), and the id the field's description names; empty for most.
    hint: String,
    hint_id: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct Edit {
    url: String,
    /// The view, for leaving edit mode without saving.
    back_url: String,
    hidden: Vec<Field>,
    fields: Vec<PreferenceField>,
    /// Whether any field is a checkbox: they are grouped under one legend.
    has_flags: bool,
}

#[derive(Debug, Serialize)]
struct Alert {
    kind: &'static str,
    text: String,
    /// A standing notice (a page owner the directory does not know, sent with every
    /// render of that page), read with the page. Any other alert is what the viewer's
    /// own action or click led to, and takes the focus on a fresh load to be read out;
    /// a standing one would take it from the portal's page each time, and beside an
    /// outcome leave the page two elements to autofocus. Named for the exception, so
    /// that a copy of a template from before it (which does not pass it) keeps every
    /// outcome's focus.
    standing: bool,
}

#[derive(Debug, Serialize)]
struct Page<T: Serialize> {
    ns: String,
    wrapper: String,
    /// [`Ui::lang`].
    lang: String,
    /// [`Request::dates_locale`](crate::portal::Request::dates_locale), the root's
    /// `data-locale`: the script writes dates in it.
    locale: String,
    /// [`Ui::texts`] of [`TEXTS`].
    t: minijinja::Value,
    alert: Option<Alert>,
    /// The portal page's CSP nonce, which the script carries (`cspNonce`).
    nonce: Option<String>,
    view: T,
}

/// What a page of a search that found nobody among the rows it may read says, when
/// more remain: only a search stops short of a full page.
const SEARCHING_ON: &str = "no-one-found-yet-select-view-more-to-keep-searching";

/// What the last "View more" page of a search says when it found nobody more.
const NO_MORE_FOUND: &str = "no-more-people-were-found";

/// Mutual connections a card shows.
const MUTUAL_FACES: usize = 12;

fn page<T: Serialize>(ui: &Ui<'_>, view: T) -> Page<T> {
    let alert = ui.req.params.get("message").and_then(|key| {
        messages::alert_kind(key).map(|kind| Alert {
            kind,
            standing: false,
            text: messages::text(ui, key),
        })
    });
    Page {
        ns: ui.ns().to_owned(),
        wrapper: ui.wrapper_class(),
        lang: ui.lang(),
        locale: ui.req.dates_locale.clone(),
        t: ui.texts(TEXTS),
        alert,
        nonce: ui.req.csp_nonce.clone(),
        view,
    }
}

/// Renders the widget for `req`.
pub(crate) fn render(
    ui: &Ui<'_>,
    social: &crate::social::Social,
    templates: &Templates,
) -> Result<Markup, WidgetError> {
    let req = ui.req;
    let title = ui.t("contacts-center");
    let html = match req.mode {
        PortletMode::Help => return Err(WidgetError::UnsupportedMode("help")),
        PortletMode::Edit => {
            let user = req.viewer.user().ok_or(WidgetError::SignInRequired)?;
            if !user.is_widget_admin() {
                return Err(ui.forbidden());
            }
            let reader = social.read().map_err(|e| social_error(ui, e))?;
            let settings = Settings::load(&reader, req).map_err(|e| store_error(ui, e))?;
            let view = edit(ui, &settings);
            templates.render("contacts_center/edit.html", page(ui, view))
        }
        PortletMode::View => match req.viewer.user() {
            None => templates.render("contacts_center/guest.html", page(ui, ())),
            Some(user) => {
                let reader = social.read().map_err(|e| social_error(ui, e))?;
                let settings = Settings::load(&reader, req).map_err(|e| store_error(ui, e))?;
                // Back lands on a row only where the list's template marks it: an
                // administrator's copy made before it would name no such element, and
                // the link would land at the top of the portal's page instead of on
                // the placement. Both lists' templates: which one a Back leads to
                // depends on whether a page's owner is known, found only later.
                let lists_mark_rows = ["contacts_center/home.html", "contacts_center/owner.html"]
                    .iter()
                    .all(|name| templates.is_builtin(name));
                let viewer = View {
                    ui,
                    reader: &reader,
                    settings: &settings,
                    user,
                    list: RefCell::new(cards::list_params(ui)),
                    back_to_row: lists_mark_rows,
                };
                // A person's card opens wherever its link was followed, on the
                // viewer's own page or on another person's, whose portal sends
                // `p_page_owner` with every render of that page.
                let card = match req.params.get("userId") {
                    Some(user_id) => Some(viewer.detail(user_id)?),
                    None => None,
                };
                // A card asked for by its link and not found is what the click led
                // to; an owner not found is said on every render of that page.
                let not_found = |standing| Alert {
                    kind: "danger",
                    text: ui.t("the-user-could-not-be-found"),
                    standing,
                };
                // Another person's page lists their connections. An owner the
                // directory does not know is not found, as a card's person is, and
                // the viewer's own page shows: the host has no name for them, and
                // the parameter's text is never taken for one.
                let mut owner_unknown = false;
                let owner = match (&card, &req.page_owner) {
                    (Some(Some(_)), _) => None,
                    (_, Some(owner)) if *owner != user.user_id => {
                        let found = viewer.owner(owner)?;
                        owner_unknown = found.is_none();
                        found
                    }
                    _ => None,
                };
                match (card, owner) {
                    (Some(Some(view)), _) => {
                        let p = page(ui, view);
                        match written_by_host(templates, &detail_page::TEMPLATES) {
                            Some(script) => Ok(detail_page::write(&p, ui, script)),
                            None => templates.render("contacts_center/detail.html", p),
                        }
                    }
                    (card, Some(owner)) => {
                        let mut p = page(ui, owner);
                        if card.is_some() {
                            p.alert = Some(not_found(false));
                        }
                        templates.render("contacts_center/owner.html", p)
                    }
                    (card, None) => {
                        let mut p = page(ui, viewer.home()?);
                        // An action's outcome outranks the unknown owner, whose
                        // parameter comes with every render of that page.
                        if card.is_some() {
                            p.alert = Some(not_found(false));
                        } else if let Some(alert) = p.alert.as_mut() {
                            alert.text = messages::outcome_about(ui, &reader, &alert.text)?;
                        } else if owner_unknown {
                            p.alert = Some(not_found(true));
                        }
                        match written_by_host(templates, &home_page::TEMPLATES) {
                            Some(script) => Ok(home_page::write(&p, ui, script)),
                            None => templates.render("contacts_center/home.html", p),
                        }
                    }
                }
            }
        },
    }
    .map_err(template_error)?;
    Ok(Markup { title, html })
}

/// The script to end a view with when the host writes its markup itself
/// (`home_page.rs`, `detail_page.rs`): while none of the templates it stands for
/// (`names`) was replaced.
fn written_by_host<'t>(templates: &'t Templates, names: &[&str]) -> Option<&'t str> {
    names
        .iter()
        .all(|name| templates.is_builtin(name))
        .then(|| templates.enhance_script())
        .flatten()
}

fn edit(ui: &Ui<'_>, settings: &Settings) -> Edit {
    let target = ui.req.urls.action_target("save-preferences");
    let fields = preferences::editable(ui.req)
        .map(|(name, default)| PreferenceField {
            name: ui.name(name),
            id: ui.name(&format!("pref-{name}")),
            label: preferences::label(ui, name),
            flag: preferences::is_flag(name, default),
            range: preferences::range(name),
            range_text: preferences::range(name)
                .map(|(low, high)| {
                    ui.format(
                        "from-x-to-x",
                        &[&ui.number(low as u64), &ui.number(high as u64)],
                    )
                })
                .unwrap_or_default(),
            range_id: ui.name(&format!("range-{name}")),
            hint: preferences::hint(ui, name),
            hint_id: ui.name(&format!("hint-{name}")),
            value: preferences::shown(settings, name, default),
        })
        .collect::<Vec<PreferenceField>>();
    let has_flags = fields.iter().any(|f| f.flag);
    Edit {
        url: target.url,
        back_url: ui.req.urls.view_url(),
        hidden: target
            .hidden
            .into_iter()
            .map(|(name, value)| Field { name, value })
            .collect(),
        fields,
        has_flags,
    }
}

/// A signed-in viewer's render over one snapshot.
struct View<'a> {
    ui: &'a Ui<'a>,
    reader: &'a Reader,
    settings: &'a Settings,
    user: &'a PortalUser,
    /// The list a card opened from this render goes back to ([`cards::list_params`]),
    /// worked out once rather than for each row's link; without its page once that
    /// page proved gone ([`View::begun_again`]).
    list: RefCell<Vec<(&'static str, String)>>,
    /// Whether a card's Back lands on the row it was opened from (the lists'
    /// templates are the built-in ones, which mark it), or on the placement.
    back_to_row: bool,
}

impl View<'_> {
    fn me(&self) -> &str {
        &self.user.user_id
    }

    /// The list's page was gone and its first one is shown (`restarted`): the page's
    /// links and forms no longer carry the cursor that led there, or each card opened
    /// and each answer given from here would find it gone again, and say that the
    /// list changed when it had not.
    fn begun_again(&self) {
        self.list.borrow_mut().retain(|(name, _)| *name != "cursor");
    }

    fn err(&self, e: crate::store::StoreError) -> WidgetError {
        store_error(self.ui, e)
    }

    fn person_row(
        &self,
        person: &crate::store::Person,
        selectable: bool,
    ) -> Result<Row, WidgetError> {
        // A row's standing is a few point lookups (the page's own list rows answer
        // some); no mutual count on rows.
        let r = self
            .reader
            .standing(self.me(), &person.id)
            .map_err(|e| self.err(e))?;
        let view = cards::person_view(
            self.ui,
            self.settings,
            person,
            Some(&r),
            &self.list.borrow(),
        );
        let select = (selectable && person.id != self.me()).then(|| Select {
            id: self.select_id(&person.id),
            label: self.ui.format("select-x", &[&view.name]),
        });
        Ok(Row {
            person: view,
            select,
            forms: Vec::new(),
            when: None,
            when_iso: None,
            returned: false,
        })
    }

    /// The id of a row's selection checkbox: `select-` and the person's id,
    /// namespaced. The store refuses ids with spaces; were one there, it would become a
    /// dash, as an HTML id has none. Built in one string: it is made for every row.
    fn select_id(&self, person: &str) -> String {
        let ns = self.ui.ns();
        let mut id = String::with_capacity(ns.len() + "select-".len() + person.len());
        id.push_str(ns);
        id.push_str("select-");
        id.extend(person.chars().map(|c| if c == ' ' { '-' } else { c }));
        id
    }

    fn request_row(&self, request: &RequestView, received: bool) -> Row {
        let id = request.request_id.to_string();
        // The list the row is on (`requests`, or `requests-sent` paged on): the
        // answer comes back to it.
        let list = self.list.borrow();
        let fields = cards::with_list(&[("requestId", &id)], &list);
        let forms = if received {
            vec![
                self.ui
                    .form(
                        "accept-request",
                        "accept",
                        "btn btn-primary btn-sm",
                        &fields,
                    )
                    .about_person(&request.person),
                self.ui
                    .form(
                        "ignore-request",
                        "ignore",
                        "btn btn-secondary btn-sm",
                        &fields,
                    )
                    .about_person(&request.person),
            ]
        } else {
            vec![
                self.ui
                    .form(
                        "withdraw-request",
                        "withdraw",
                        "btn btn-secondary btn-sm",
                        &fields,
                    )
                    .about_person(&request.person),
            ]
        };
        Row {
            person: cards::person_view(self.ui, self.settings, &request.person, None, &list),
            select: None,
            forms,
            when: Some(when(request.created_at)),
            when_iso: Some(when_iso(request.created_at)),
            returned: false,
        }
    }

    /// The page of `filter` (searched for `keywords`) a render shows from `cursor`;
    /// `restarted` is set when that is the first page instead (see `paging`).
    fn page(
        &self,
        keywords: &str,
        filter: Filter,
        cursor: Option<&str>,
        restarted: &mut bool,
    ) -> Result<ListPage<Listed>, WidgetError> {
        let size = self.first_page_size();
        let (page, again) = paging::from_cursor(cursor, !keywords.is_empty(), |c| {
            self.reader.search_in(
                self.me(),
                keywords,
                filter,
                c,
                size,
                self.settings.searchable(),
            )
        })
        .map_err(|e| self.err(e))?;
        *restarted = again;
        Ok(page)
    }

    /// The placement's page size, or the rows the list showed when an action was
    /// taken on it (`rows`, first page only), whichever is more.
    fn first_page_size(&self) -> usize {
        let size = self.settings.page_size();
        params::rows(&self.ui.req.params).map_or(size, |rows| rows.max(size))
    }

    fn home(&self) -> Result<Home, WidgetError> {
        let ui = self.ui;
        let params = &ui.req.params;
        let filter = params::filter(params);
        let keywords = params::keywords(params);
        let cursor = params.get("cursor");
        let size = self.first_page_size();
        let counts = self.reader.counts(self.me()).map_err(|e| self.err(e))?;
        let link = |label: String, f: Filter| Link {
            label,
            url: ui.req.urls.render_url(&[("filter", f.as_str())]),
            // Sent requests are the Requests tab's second list, paged on their own.
            active: f == filter || (f == Filter::Requests && filter == Filter::RequestsSent),
        };
        // None is said in words ("You have no connections."), not with a 0: zero
        // takes the singular in some languages' rules (Brazilian Portuguese's "0
        // conexão", which readers take for a mistake) and reads as a figure in others.
        let count = |key: &str, none: &str, n: u64| {
            if n == 0 {
                ui.t(none)
            } else {
                ui.plural(key, n)
            }
        };
        let count_links = vec![
            link(
                count(
                    "you-have-x-connections",
                    "you-have-no-connections",
                    counts.connections,
                ),
                Filter::Connections,
            ),
            link(
                count(
                    "you-are-following-x-people",
                    "you-are-not-following-anyone",
                    counts.following,
                ),
                Filter::Following,
            ),
            link(
                count(
                    "you-have-x-followers",
                    "you-have-no-followers",
                    counts.followers,
                ),
                Filter::Followers,
            ),
            link(
                count(
                    "you-have-x-pending-requests",
                    "you-have-no-pending-requests",
                    counts.requests,
                ),
                Filter::Requests,
            ),
            link(
                count(
                    "you-have-x-contacts",
                    "you-have-no-contacts",
                    counts.contacts,
                ),
                Filter::Contacts,
            ),
            link(ui.t("find-people"), Filter::All),
        ];
        let nav = [
            (Filter::All, "all"),
            (Filter::Connections, "connections"),
            (Filter::Following, "following"),
            (Filter::Followers, "followers"),
            (Filter::Contacts, "my-contacts"),
            (Filter::Requests, "requests"),
            (Filter::Blocked, "blocked"),
        ]
        .into_iter()
        .map(|(f, key)| link(ui.t(key), f))
        .collect();
        let mut home = Home {
            counts: count_links,
            // Above the directory only: it invites someone new to find people
            // there, and would only be in the way above a filtered list or a search.
            intro: (filter == Filter::All
                && keywords.is_empty()
                && counts.connections == 0
                && counts.following == 0)
                .then(|| ui.t("contacts-center-introduction")),
            search: search_box(ui, filter, &keywords),
            nav,
            filter: filter.as_str(),
            rows: Vec::new(),
            sent: Vec::new(),
            entries: Vec::new(),
            add_entry: None,
            bulk: None,
            empty: None,
            search_everyone: None,
            list_end: false,
            view_more: None,
            restarted: false,
            sent_more: None,
            sent_restarted: false,
            export: None,
            returned_to_filters: false,
        };
        let more_in = |filter: Filter, next: Option<String>| {
            next.map(|c| {
                let mut p = vec![("filter", filter.as_str()), ("cursor", c.as_str())];
                if !keywords.is_empty() {
                    p.push(("keywords", keywords.as_str()));
                }
                ui.req.urls.render_url(&p)
            })
        };
        let more = |next: Option<String>| more_in(filter, next);
        match filter {
            Filter::Requests | Filter::RequestsSent => {
                // One page of each side, with the request ids the forms need. The
                // cursor pages the side the filter names; the other side shows its
                // first page.
                let (received_cursor, sent_cursor) = match filter {
                    Filter::Requests => (cursor, None),
                    _ => (None, cursor),
                };
                let side = |side, cursor| {
                    paging::from_cursor(cursor, false, |c| {
                        self.reader.pending_requests(self.me(), side, c, size)
                    })
                    .map_err(|e| self.err(e))
                };
                let (received, received_restarted) = side(RequestSide::Received, received_cursor)?;
                let (sent, sent_restarted) = side(RequestSide::Sent, sent_cursor)?;
                // Each side says so above itself: the other shows its first page anyway.
                home.restarted = received_restarted;
                home.sent_restarted = sent_restarted;
                if received_restarted || sent_restarted {
                    self.begun_again();
                }
                home.rows = received
                    .items
                    .iter()
                    .map(|r| self.request_row(r, true))
                    .collect();
                home.sent = sent
                    .items
                    .iter()
                    .map(|r| self.request_row(r, false))
                    .collect();
                if home.rows.is_empty() && home.sent.is_empty() {
                    home.empty = Some(ui.t("you-have-no-pending-requests"));
                }
                // Each side pages on: received requests under "View more" (the
                // script appends them in place), sent ones through `requests-sent`.
                home.view_more = more_in(Filter::Requests, received.next_cursor);
                home.sent_more = more_in(Filter::RequestsSent, sent.next_cursor);
            }
            Filter::Contacts => {
                let page = self.page(&keywords, filter, cursor, &mut home.restarted)?;
                if home.restarted {
                    self.begun_again();
                }
                // A refused save comes back naming the field, and the contact for an
                // edit (`entryId`); the add form otherwise.
                let refused = ui
                    .req
                    .params
                    .get("message")
                    .and_then(messages::entry_field_refused);
                let refused_entry = params::optional_number(&ui.req.params, messages::ENTRY_ID)
                    .ok()
                    .flatten();
                for item in page.items {
                    if let Listed::Entry(e) = item {
                        let id = e.entry_id.to_string();
                        let mut edit = self.entry_form(
                            Some(e.entry_id),
                            &e.full_name,
                            &e.email_address,
                            &e.comments,
                        );
                        if let (Some(field), Some(entry)) = (refused, refused_entry)
                            && entry == e.entry_id
                        {
                            edit.invalid = field;
                            edit.open = true;
                        }
                        // The search and page the list is on: the answer comes back
                        // to them, as a save's does.
                        let list = self.list.borrow();
                        let fields = cards::with_list(&[("entryId", &id)], &list);
                        home.entries.push(EntryRow {
                            entry_id: e.entry_id,
                            edit,
                            delete: ui
                                .form(
                                    "delete-contact",
                                    "delete",
                                    "btn btn-secondary btn-sm",
                                    &fields,
                                )
                                .about(&e.full_name)
                                .confirming(
                                    ui.format(
                                        "are-you-sure-you-want-to-delete-x",
                                        &[&isolate(&e.full_name)],
                                    ),
                                    ui.name(&format!("ask-delete-{id}")),
                                ),
                            full_name: e.full_name,
                            email_address: e.email_address,
                            comments: if self.settings.flag("showComments", true) {
                                e.comments
                            } else {
                                String::new()
                            },
                        });
                    }
                }
                let mut add = self.entry_form(None, "", "", "");
                if refused_entry.is_none() {
                    add.invalid = refused.unwrap_or_default();
                }
                home.add_entry = Some(add);
                // As below: a search that stopped at its scan limit has found nobody
                // yet, and a search that found nobody says so, not that the list is
                // empty.
                if home.entries.is_empty() {
                    home.list_end = cursor.is_some() && !home.restarted;
                    home.empty = Some(ui.t(match page.next_cursor {
                        Some(_) => SEARCHING_ON,
                        None if home.list_end => NO_MORE_FOUND,
                        None if keywords.is_empty() => "you-have-no-contacts",
                        None => "no-people-were-found",
                    }));
                }
                home.view_more = more(page.next_cursor);
            }
            _ => {
                let page = self.page(&keywords, filter, cursor, &mut home.restarted)?;
                if home.restarted {
                    self.begun_again();
                }
                let mut rows = Vec::with_capacity(page.items.len());
                for item in &page.items {
                    if let Listed::Person(p) = item {
                        rows.push(self.person_row(p, true)?);
                    }
                }
                if rows.iter().any(|r| r.select.is_some()) {
                    home.bulk = Some(bulk(ui, filter, &self.list.borrow()));
                }
                let found = !rows.is_empty();
                home.rows = rows;
                // A search that stopped at its scan limit has found nobody *yet*: the
                // "View more" link goes on, and "nobody" would not be true. It says
                // so, or the page would be a lone button that no one explains.
                home.list_end = !found && cursor.is_some() && !home.restarted;
                if !found && page.next_cursor.is_some() {
                    home.empty = Some(ui.t(SEARCHING_ON));
                } else if home.list_end {
                    home.empty = Some(ui.t(NO_MORE_FOUND));
                } else if !found {
                    home.empty = Some(ui.t(match filter {
                        _ if !keywords.is_empty() => "no-people-were-found",
                        Filter::Connections => "you-have-no-connections",
                        Filter::Following => "you-are-not-following-anyone",
                        Filter::Followers => "you-have-no-followers",
                        Filter::Blocked => "you-have-not-blocked-anyone",
                        _ => "no-people-were-found",
                    }));
                }
                // Typed in a tab, the search narrowed that tab: someone not (yet)
                // connected or followed is found among everyone, one link away, on
                // a page of the tab's search that found nobody and ends it (its first,
                // or the last "View More" of one that went past its scan limit; a
                // search whose last page found someone ends without it). Words that
                // can start no name ("!!!", "@") find nobody there either.
                if !found
                    && page.next_cursor.is_none()
                    && filter != Filter::All
                    && crate::store::search_query(&keywords).is_some()
                {
                    home.search_everyone = Some(Link {
                        label: ui.format("search-everyone-for-x", &[&isolate(&keywords)]),
                        url: ui.req.urls.render_url(&[
                            ("filter", Filter::All.as_str()),
                            ("keywords", keywords.as_str()),
                        ]),
                        active: false,
                    });
                }
                if filter == Filter::Connections && counts.connections > 0 {
                    // A whole sentence per language: a tab name set into one kept its
                    // capital and, in Portuguese, the wrong gender. Past the export's
                    // cap the link says how many cards the file holds.
                    let label = if counts.connections > MAX_EXPORT as u64 {
                        ui.format(
                            "export-my-first-x-connections-as-vcards",
                            &[&ui.number(MAX_EXPORT as u64)],
                        )
                    } else {
                        ui.t("export-my-connections-as-vcards")
                    };
                    home.export = Some(Link {
                        label,
                        url: ui
                            .req
                            .urls
                            .resource_url("vcard", &[("filter", "connections")]),
                        active: false,
                    });
                }
                home.view_more = more(page.next_cursor);
            }
        }
        home.returned_to_filters =
            mark_returned(params, home.rows.iter_mut().chain(&mut home.sent));
        Ok(home)
    }

    fn entry_form(
        &self,
        entry_id: Option<u64>,
        full_name: &str,
        email: &str,
        comments: &str,
    ) -> EntryForm {
        let id = entry_id.map(|i| i.to_string()).unwrap_or_default();
        let target = self.ui.req.urls.action_target("save-contact");
        let mut hidden: Vec<Field> = target
            .hidden
            .into_iter()
            .map(|(name, value)| Field { name, value })
            .collect();
        hidden.push(Field {
            name: self.ui.name("entryId"),
            value: id.clone(),
        });
        // The list the form is on (a search, a later page): a refused save comes back
        // to it, where this form is, to mark the field to fix.
        hidden.extend(search_and_page_fields(self.ui, &self.list.borrow()));
        EntryForm {
            id: self.ui.name(&format!(
                "entry-{}",
                if id.is_empty() { "new" } else { &id }
            )),
            url: target.url,
            hidden,
            full_name: full_name.to_owned(),
            email_address: email.to_owned(),
            comments: comments.to_owned(),
            label: self.ui.t(if entry_id.is_some() {
                "update-contact"
            } else {
                "add-contact"
            }),
            invalid: "",
            open: false,
        }
    }

    /// A person's card, or `None` when the id names nobody.
    fn detail(&self, user_id: &str) -> Result<Option<Detail>, WidgetError> {
        let ui = self.ui;
        let Some(person) = self.reader.person(user_id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let r = self
            .reader
            .relationship(self.me(), &person.id)
            .map_err(|e| self.err(e))?;
        let mut forms = Vec::new();
        let id = person.id.as_str();
        // The list the card was opened from goes with its forms, so that the card an
        // action comes back to still goes back to that list.
        let list = cards::list_params(ui);
        let on = cards::with_list(&[("userId", id)], &list);
        if id != self.me() {
            let primary = "btn btn-primary btn-sm";
            let secondary = "btn btn-secondary btn-sm";
            if r.blocking {
                forms.push(ui.form("unblock", "unblock", secondary, &on));
            } else {
                if r.connected {
                    // Undone only by a new request the other person confirms: asked
                    // first, as a block is.
                    let question = ui.format(
                        "are-you-sure-you-want-to-disconnect-from-x",
                        &[&isolate(&person.display_name())],
                    );
                    let disconnect = ui.form("disconnect", "disconnect", secondary, &on);
                    forms.push(disconnect.confirming(question, ui.name("ask-disconnect")));
                } else if r.connection_request_received {
                    let pending = self
                        .reader
                        .pending_request_id(id, self.me())
                        .map_err(|e| self.err(e))?;
                    if let Some(rid) = pending.map(|r| r.to_string()) {
                        let on = [&[("requestId", rid.as_str())], on.as_slice()].concat();
                        forms.push(ui.form("accept-request", "accept", primary, &on));
                        forms.push(ui.form("ignore-request", "ignore", secondary, &on));
                    }
                } else if r.connection_requested {
                    let pending = self
                        .reader
                        .pending_request_id(self.me(), id)
                        .map_err(|e| self.err(e))?;
                    if let Some(rid) = pending.map(|r| r.to_string()) {
                        let on = [&[("requestId", rid.as_str())], on.as_slice()].concat();
                        forms.push(ui.form("withdraw-request", "withdraw", secondary, &on));
                    }
                } else if !r.blocked_by {
                    forms.push(ui.form("connect", "connect", primary, &on));
                }
                if r.following {
                    forms.push(ui.form("unfollow", "unfollow", secondary, &on));
                } else if !r.blocked_by {
                    forms.push(ui.form("follow", "follow", primary, &on));
                }
                if r.followed_by {
                    // Undone only by the follower, who is not told: asked first, as a
                    // disconnection is.
                    let question = ui.format(
                        "are-you-sure-you-want-to-remove-x-from-your-followers",
                        &[&isolate(&person.display_name())],
                    );
                    let remove = ui.form("remove-follower", "remove-follower", secondary, &on);
                    forms.push(remove.confirming(question, ui.name("ask-remove-follower")));
                }
                let block = ui.form("block", "block", "btn btn-outline-danger btn-sm", &on);
                let question = ui.format(
                    "are-you-sure-you-want-to-block-x",
                    &[&isolate(&person.display_name())],
                );
                forms.push(block.confirming(question, ui.name("ask-block")));
            }
        }
        let mutual: Vec<PersonView> = if id == self.me() {
            Vec::new()
        } else {
            self.reader
                .mutual_connections(self.me(), id, MUTUAL_FACES)
                .map_err(|e| self.err(e))?
                .iter()
                .map(|p| cards::person_view(ui, self.settings, p, None, &self.list.borrow()))
                .collect()
        };
        // The count walks at most `MUTUAL_SCAN_LIMIT` rows of the shorter list: past
        // that on both sides it is a lower bound, and says so.
        let mutual_heading = if mutual.is_empty() {
            String::new()
        } else {
            let degree = |who: &str| {
                self.reader
                    .counts(who)
                    .map(|c| c.connections)
                    .map_err(|e| self.err(e))
            };
            let exact = degree(self.me())?.min(degree(id)?) <= MUTUAL_SCAN_LIMIT as u64;
            let mut n = ui.number(r.mutual_connections);
            if !exact {
                n.push('+');
            }
            ui.format("mutual-connections-x", &[&n])
        };
        Ok(Some(Detail {
            person: cards::person_view(ui, self.settings, &person, Some(&r), &self.list.borrow()),
            details: cards::details(ui, self.settings, &person),
            forms,
            vcard_url: ui.req.urls.resource_url("vcard", &[("userId", id)]),
            mutual,
            mutual_heading,
            // Back lands on the row the card was opened from (`from`), where the
            // reader left the list, not at its top.
            back_url: if self.back_to_row {
                ui.req.urls.render_url_landing(
                    &cards::with_list(&[("from", id)], &list),
                    &ui.name(rows::RETURNED),
                )
            } else {
                ui.req.urls.render_url(&cards::with_list(&[], &list))
            },
        }))
    }

    /// The page owner's connections, read only; `None` for an owner the directory
    /// does not know.
    fn owner(&self, owner_id: &str) -> Result<Option<Owner>, WidgetError> {
        let ui = self.ui;
        let Some(owner) = self.reader.person(owner_id).map_err(|e| self.err(e))? else {
            return Ok(None);
        };
        let name = owner.display_name();
        // How the viewer stands with each person shown: the page is read only, so
        // the badges are what tells them whom they know; the card does the rest.
        let standing = |p: &Person| {
            self.reader
                .standing(self.me(), &p.id)
                .map_err(|e| self.err(e))
        };
        // The page first: a page gone takes the cursor out of every link below.
        let (page, restarted) = paging::from_cursor(ui.req.params.get("cursor"), false, |c| {
            self.reader
                .list(owner_id, Filter::Connections, c, self.settings.page_size())
        })
        .map_err(|e| self.err(e))?;
        if restarted {
            self.begun_again();
        }
        let person = cards::person_view(
            ui,
            self.settings,
            &owner,
            Some(&standing(&owner)?),
            &self.list.borrow(),
        );
        let count = self
            .reader
            .counts(owner_id)
            .map_err(|e| self.err(e))?
            .connections;
        let title = if count == 0 {
            ui.format("x-has-no-connections", &[&isolate(&name)])
        } else {
            let key = ui.plural_key("x-has-x-connections", count);
            ui.format(&key, &[&isolate(&name), &ui.number(count)])
        };
        let mut rows = Vec::with_capacity(page.items.len());
        for item in &page.items {
            if let Listed::Person(p) = item {
                let r = standing(p)?;
                rows.push(Row {
                    person: cards::person_view(ui, self.settings, p, Some(&r), &self.list.borrow()),
                    select: None,
                    forms: Vec::new(),
                    when: None,
                    when_iso: None,
                    returned: false,
                });
            }
        }
        let view_more = page
            .next_cursor
            .map(|c| ui.req.urls.render_url(&[("cursor", &c)]));
        let returned_to_owner = mark_returned(&ui.req.params, rows.iter_mut());
        Ok(Some(Owner {
            title,
            person,
            rows,
            view_more,
            restarted,
            returned_to_owner,
        }))
    }
}

/// Marks the row of the person whose card a Back link left (`from`). True where
/// the landing still needs a place: that person is not on this page of the list.
fn mark_returned<'r>(
    params: &crate::portal::Params,
    mut rows: impl Iterator<Item = &'r mut Row>,
) -> bool {
    let Some(from) = params::back_from(params) else {
        return false;
    };
    match rows.find(|row| row.person.user_id == from) {
        Some(row) => {
            row.returned = true;
            false
        }
        None => true,
    }
}

fn search_box(ui: &Ui<'_>, filter: Filter, keywords: &str) -> SearchBox {
    // A way back to the page's own list without the keywords, where the search
    // box's own clearing (its "x", Escape) empties the field and leaves the results:
    // on the requests page (whose box searches everyone) the requests again.
    let clear =
        (!keywords.is_empty()).then(|| ui.req.urls.render_url(&[("filter", filter.as_str())]));
    // A tab's search finds that tab's people only; the landmark says which, where a
    // screen reader's user would otherwise hear "Search" whichever list it searches.
    let (filter, label) = match filter {
        Filter::Contacts => (filter, "my-contacts"),
        Filter::Connections => (filter, "connections"),
        Filter::Following => (filter, "following"),
        Filter::Followers => (filter, "followers"),
        Filter::Blocked => (filter, "blocked"),
        _ => (Filter::All, ""),
    };
    let label = if label.is_empty() {
        ui.t("search")
    } else {
        ui.format("search-x", &[ui.text(label)])
    };
    let url = ui.req.urls.render_url(&[("filter", filter.as_str())]);
    let field = ui.name("keywords");
    let plain = url.starts_with("http://") || url.starts_with("https://") || url.starts_with('/');
    if plain {
        // A GET form replaces the action's query, so the render URL's own parameters
        // travel as hidden inputs.
        let (without_fragment, fragment) = url.split_once('#').unwrap_or((&url, ""));
        let (base, query) = without_fragment
            .split_once('?')
            .unwrap_or((without_fragment, ""));
        let hidden = form_urlencoded::parse(query.as_bytes())
            .filter(|(name, _)| *name != field)
            .map(|(name, value)| Field {
                name: name.into_owned(),
                value: value.into_owned(),
            })
            .collect();
        // The form's action keeps the fragment, which a GET form's submission keeps
        // too: the results land on the placement, as its links do.
        let url = if fragment.is_empty() {
            base.to_owned()
        } else {
            format!("{base}#{fragment}")
        };
        SearchBox {
            method: "get",
            label,
            url,
            hidden,
            field,
            value: keywords.to_owned(),
            clear,
        }
    } else {
        let form = ui.form("search", "search", "", &[("filter", filter.as_str())]);
        SearchBox {
            method: "post",
            label,
            url: form.url,
            hidden: form.hidden,
            field,
            value: keywords.to_owned(),
            clear,
        }
    }
}

/// The hidden fields of a form that keep the list's search and page (`keywords`,
/// `cursor`; `list` is the render's [`cards::list_params`]), for a form whose action
/// names the filter itself.
fn search_and_page_fields<'a>(
    ui: &'a Ui<'_>,
    list: &'a [(&'static str, String)],
) -> impl Iterator<Item = Field> + 'a {
    list.iter()
        .filter(|(name, _)| *name != "filter")
        .map(|(name, value)| Field {
            name: ui.name(name),
            value: value.clone(),
        })
}

/// The bulk toolbar: one selection form, one button per action. Each button posts to
/// its own action (`formaction`); the one hidden field that is bound to the action (a
/// `p_auth`) rides on the button itself, so no JavaScript is needed.
/// The selection toolbar: the person card's actions across the top of the list, as
/// the product documentation lists them, for every person ticked. A selection's
/// vCards are left to each card and to the export of all connections: a download
/// cannot share a form whose other buttons post.
fn bulk(ui: &Ui<'_>, filter: Filter, list: &[(&'static str, String)]) -> Bulk {
    let every: &[(&str, &str)] = &[
        ("connect", "connect"),
        ("disconnect", "disconnect"),
        ("follow", "follow"),
        ("unfollow", "unfollow"),
        ("block", "block"),
        ("unblock", "unblock"),
    ];
    // Everyone on the Blocked list is blocked: the rules refuse to connect or follow
    // across a block, and the rest would change nothing.
    let actions = match filter {
        Filter::Blocked => &every[5..],
        _ => every,
    };
    let targets: Vec<_> = actions
        .iter()
        .map(|(a, label)| (ui.req.urls.action_target(a), *label))
        .collect();
    // Fields every target shares go in the form once.
    let common: Vec<(String, String)> = targets
        .first()
        .map(|(t, _)| {
            t.hidden
                .iter()
                .filter(|f| targets.iter().all(|(o, _)| o.hidden.contains(f)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    let buttons = targets
        .iter()
        .filter_map(|(t, label)| {
            let own: Vec<&(String, String)> =
                t.hidden.iter().filter(|f| !common.contains(f)).collect();
            let field = match own.as_slice() {
                [] => None,
                [(name, value)] => Some(Field {
                    name: name.clone(),
                    value: value.clone(),
                }),
                // A transport binding more than one field to an action cannot share
                // the form; leave that action to the person's card.
                _ => return None,
            };
            // What a new request and its answer, or more, must undo for each of up to
            // 200 people asks first.
            let confirm = match *label {
                "block" => Some(ui.t("are-you-sure-you-want-to-block-the-selected-people")),
                "disconnect" => {
                    Some(ui.t("are-you-sure-you-want-to-disconnect-from-the-selected-people"))
                }
                _ => None,
            };
            Some(BulkButton {
                url: t.url.clone(),
                field,
                label: ui.t(label),
                question_id: confirm
                    .as_ref()
                    .map(|_| ui.name(&format!("bulk-ask-{label}"))),
                confirm,
            })
        })
        .collect::<Vec<_>>();
    let mut hidden: Vec<Field> = common
        .into_iter()
        .map(|(name, value)| Field { name, value })
        .collect();
    hidden.push(Field {
        name: ui.name("filter"),
        value: params::filter(&ui.req.params).as_str().to_owned(),
    });
    // A search's toolbar comes back to the search, and a later page's to that page.
    hidden.extend(search_and_page_fields(ui, list));
    Bulk {
        form_id: ui.name("bulk"),
        url: buttons.first().map(|b| b.url.clone()).unwrap_or_default(),
        hidden,
        buttons,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host writes a view itself only while every template that view stands for
    /// is the built-in one: an administrator's copy of any of them is rendered (a copy
    /// with the built-in text unchanged counts as the built-in one).
    #[test]
    fn the_host_writes_a_view_only_on_the_built_in_templates() {
        let builtin = Templates::new(None);
        for names in [&home_page::TEMPLATES[..], &detail_page::TEMPLATES[..]] {
            assert!(written_by_host(&builtin, names).is_some(), "{names:?}");
            for name in names {
                let source = Templates::builtin()
                    .find(|(n, _)| n == name)
                    .map(|(_, s)| s)
                    .expect("a built-in template");
                let dir = tempfile::tempdir().expect("tempdir");
                let path = dir.path().join(name);
                std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
                std::fs::write(&path, format!("{{# a copy #}}{source}")).expect("write");
                let copied = Templates::new(Some(dir.path()));
                assert!(written_by_host(&copied, names).is_none(), "{name}");
            }
        }
    }

    #[test]
    fn every_text_and_message_key_is_in_the_english_bundle() {
        let languages = crate::i18n::Languages::builtin();
        let english = languages.english().expect("English bundle");
        let keys = TEXTS.iter().copied().chain(messages::all_keys()).chain([
            "contacts-center-introduction",
            "connection",
            "follower",
            "request-sent",
            "request-received",
            "notifications",
            "you-have-x-pending-request",
        ]);
        for key in keys {
            assert!(
                english.contains_key(key),
                "{key} missing from Language.properties"
            );
        }
    }
}
