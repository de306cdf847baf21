//! The Notifications widget: the viewer's pending connection requests, to confirm or ignore.
//!
//! Its forms post `accept-request` and `ignore-request` to this widget; they run the
//! Contacts Center's own request answering, so both widgets mean the same thing.

use std::sync::Arc;

use serde::Serialize;

use super::contacts_center::actions::ActionCall;
use super::contacts_center::messages;
use super::contacts_center::params;
use super::paging;
use super::ui::{Form, Ui, social_error, store_error, template_error, when, when_iso};
use super::{ActionFuture, ActionOutcome, Markup, Resource, Widget, WidgetError, noticed};
use crate::i18n::Languages;
use crate::portal::{PortletMode, Request};
use crate::social::{RequestVerb, Social};
use crate::store::RequestSide;
use crate::templates::Templates;

/// The `<portlet-class>` that selects this widget.
pub const KIND: &str = "widget-host:notifications";

/// Requests one page lists; the count above says how many there are and "View more"
/// pages on.
const PAGE_SIZE: usize = 20;

pub struct Notifications {
    social: Social,
    templates: Arc<Templates>,
    languages: &'static Languages,
}

impl Notifications {
    pub fn new(social: Social, templates: Arc<Templates>, languages: &'static Languages) -> Self {
        Self {
            social,
            templates,
            languages,
        }
    }
}

#[derive(Serialize)]
struct Item {
    text: String,
    /// The asker's job title, as the Contacts Center's rows show it: two people of
    /// one name are told apart before one is confirmed.
    job_title: String,
    when: String,
    /// The same instant for the item's `<time datetime>`.
    when_iso: String,
    forms: Vec<Form>,
}

#[derive(Serialize)]
struct Context {
    ns: String,
    wrapper: String,
    /// [`Ui::lang`].
    lang: String,
    /// [`Request::dates_locale`], the root's `data-locale`: the script writes dates in it.
    locale: String,
    title: String,
    /// The portal page's CSP nonce, which the script carries (`cspNonce`).
    nonce: Option<String>,
    guest: Option<String>,
    alert: Option<(&'static str, String)>,
    count: String,
    empty: Option<String>,
    items: Vec<Item>,
    /// The next page's render URL, when there is one.
    view_more: Option<String>,
    view_more_label: String,
    /// What a screen reader hears after "View More": a dashboard that places the
    /// Contacts Center beside this widget has a "View More" of its own.
    view_more_context: String,
    /// The list shows its first page, not the one the cursor asked for (see
    /// `paging`): the script swaps the widget instead of appending the rows.
    restarted: bool,
    /// Said above such a list, as the Contacts Center says it: the first page is not
    /// the next one.
    restarted_text: Option<String>,
    /// What the script says after an action it could not confirm (`enhance.js`).
    unconfirmed: String,
}

impl Widget for Notifications {
    fn render(&self, req: &Request) -> Result<Markup, WidgetError> {
        noticed(&self.social, self.view(req))
    }

    fn action<'a>(&'a self, req: &'a Request) -> ActionFuture<'a> {
        Box::pin(async move { noticed(&self.social, self.act(req).await) })
    }

    fn resource(&self, req: &Request) -> Result<Resource, WidgetError> {
        Err(WidgetError::UnknownResource(
            req.name.clone().unwrap_or_default(),
        ))
    }

    fn actions(&self) -> &'static [&'static str] {
        &["accept-request", "ignore-request"]
    }

    fn resources(&self) -> &'static [&'static str] {
        &[]
    }

    /// The page of requests a form was on: an expired form brings its person back to
    /// it, as an answered one does.
    fn where_the_form_was(&self, params: &crate::portal::Params) -> Vec<(String, String)> {
        let rows = params::rows(params).map(|r| ("rows".to_owned(), r.to_string()));
        params::cursor(params)
            .map(|c| ("cursor".to_owned(), c.to_owned()))
            .into_iter()
            .chain(rows)
            .collect()
    }
}

impl Notifications {
    fn view(&self, req: &Request) -> Result<Markup, WidgetError> {
        if req.mode != PortletMode::View {
            return Err(WidgetError::UnsupportedMode(req.mode.as_str()));
        }
        let ui = Ui::new(req, self.languages);
        let mut ctx = Context {
            ns: ui.ns().to_owned(),
            wrapper: ui.wrapper_class(),
            lang: ui.lang(),
            locale: req.dates_locale.clone(),
            title: ui.t("notifications"),
            nonce: req.csp_nonce.clone(),
            guest: None,
            alert: req
                .params
                .get("message")
                .and_then(|k| messages::alert_kind(k).map(|kind| (kind, messages::text(&ui, k)))),
            count: String::new(),
            empty: None,
            items: Vec::new(),
            view_more: None,
            view_more_label: ui.t("view-more"),
            view_more_context: ui.t("requests"),
            restarted: false,
            restarted_text: None,
            unconfirmed: ui.t("your-last-action-could-not-be-confirmed"),
        };
        match req.viewer.user() {
            // A guest is told to sign in, not an outcome an address carried.
            None => {
                ctx.alert = None;
                ctx.guest = Some(ui.t("sign-in-to-see-your-connection-requests"));
            }
            Some(user) => {
                let reader = self.social.read().map_err(|e| social_error(&ui, e))?;
                if let Some((_, text)) = ctx.alert.as_mut() {
                    *text = messages::outcome_about(&ui, &reader, text)?;
                }
                let counts = reader
                    .counts(&user.user_id)
                    .map_err(|e| store_error(&ui, e))?;
                // The rows the list showed when an action was taken after "View
                // more" (`rows`, with no cursor): the answer shows them all again.
                let rows = params::rows(&req.params);
                let size = rows.map_or(PAGE_SIZE, |rows| rows.max(PAGE_SIZE));
                let (page, restarted) = paging::from_cursor(req.params.get("cursor"), false, |c| {
                    reader.pending_requests(&user.user_id, RequestSide::Received, c, size)
                })
                .map_err(|e| store_error(&ui, e))?;
                let rows = rows.map(|rows| rows.to_string());
                ctx.restarted = restarted;
                ctx.restarted_text = restarted
                    .then(|| ui.t("the-list-has-changed-it-starts-again-from-the-beginning"));
                // Each form carries the page it is on, so that a person answering
                // requests on the second page without the script comes back to it
                // (the answer's render parameters keep the list's `cursor`), not to
                // the first. A page begun again is the first: nothing to carry.
                let on_page = params::cursor(&req.params).filter(|_| !restarted);
                ctx.count = ui.plural("you-have-x-pending-requests", counts.requests);
                if page.items.is_empty() {
                    ctx.empty = Some(ui.t("you-have-no-pending-requests"));
                }
                ctx.view_more = page
                    .next_cursor
                    .map(|c| req.urls.render_url(&[("cursor", &c)]));
                ctx.items = page
                    .items
                    .iter()
                    .map(|r| {
                        let id = r.request_id.to_string();
                        let mut fields = vec![("requestId", id.as_str())];
                        fields.extend(on_page.map(|c| ("cursor", c)));
                        fields.extend(rows.as_deref().map(|r| ("rows", r)));
                        let who = r.person.display_name();
                        Item {
                            text: ui.format(
                                "x-wants-to-connect-with-you",
                                &[&crate::i18n::isolate(&who)],
                            ),
                            job_title: r.person.job_title.clone(),
                            when: when(r.created_at),
                            when_iso: when_iso(r.created_at),
                            forms: vec![
                                ui.form(
                                    "accept-request",
                                    "accept",
                                    "btn btn-primary btn-sm",
                                    &fields,
                                )
                                .about_person(&r.person),
                                ui.form(
                                    "ignore-request",
                                    "ignore",
                                    "btn btn-secondary btn-sm",
                                    &fields,
                                )
                                .about_person(&r.person),
                            ],
                        }
                    })
                    .collect();
            }
        }
        let html = self
            .templates
            .render("notifications/view.html", &ctx)
            .map_err(template_error)?;
        Ok(Markup {
            title: ctx.title,
            html,
        })
    }

    async fn act(&self, req: &Request) -> Result<ActionOutcome, WidgetError> {
        let call = ActionCall::new(&self.social, Ui::new(req, self.languages), req)?;
        let mut outcome = match req.name.as_deref().unwrap_or("") {
            "accept-request" => call.answer_request(RequestVerb::Accept).await,
            "ignore-request" => call.answer_request(RequestVerb::Ignore).await,
            other => Err(WidgetError::UnknownAction(other.to_owned())),
        }?;
        // The Contacts Center opens the card of the person answered; this widget has
        // no cards, and the parameter would only ride along in the page's address.
        outcome.render_params.retain(|(name, _)| name != "userId");
        Ok(outcome)
    }
}
