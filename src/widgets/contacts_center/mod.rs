//! The Contacts Center widget: connections, follows, blocks, filtered lists, search,
//! personal contacts and vCard export.
//!
//! Each phase lives in its own module: [`views`] renders, [`actions`] changes state,
//! [`resources`] serves vCards and JSON; [`cards`] shapes a person for all three,
//! [`rows`] writes the people list's rows and [`messages`] owns the outcome keys.

pub(crate) mod actions;
pub(crate) mod cards;
pub mod messages;
pub(crate) mod params;
pub(crate) mod preferences;
pub(crate) mod resources;

pub use resources::{MAX_CHOSEN_EXPORT_BYTES, MAX_EXPORT, MAX_EXPORT_BYTES};
pub(crate) mod rows;
pub(crate) mod views;

use std::sync::Arc;

use crate::i18n::Languages;
use crate::portal::Request;
use crate::social::Social;
use crate::templates::Templates;

use super::ui::Ui;
use super::{ActionFuture, Markup, Resource, Widget, WidgetError, noticed};

/// The `<portlet-class>` that selects this widget.
pub const KIND: &str = "widget-host:contacts-center";

/// The Contacts Center. Cheap to share: it holds handles only.
pub struct ContactsCenter {
    social: Social,
    templates: Arc<Templates>,
    languages: &'static Languages,
}

impl ContactsCenter {
    pub fn new(social: Social, templates: Arc<Templates>, languages: &'static Languages) -> Self {
        Self {
            social,
            templates,
            languages,
        }
    }
}

impl Widget for ContactsCenter {
    fn render(&self, req: &Request) -> Result<Markup, WidgetError> {
        let ui = Ui::new(req, self.languages);
        noticed(
            &self.social,
            views::render(&ui, &self.social, &self.templates),
        )
    }

    fn action<'a>(&'a self, req: &'a Request) -> ActionFuture<'a> {
        Box::pin(async move {
            let act = async {
                let call =
                    actions::ActionCall::new(&self.social, Ui::new(req, self.languages), req)?;
                actions::dispatch(&call, req.name.as_deref().unwrap_or("")).await
            };
            noticed(&self.social, act.await)
        })
    }

    fn resource(&self, req: &Request) -> Result<Resource, WidgetError> {
        let ui = Ui::new(req, self.languages);
        noticed(&self.social, resources::serve(&ui, &self.social))
    }

    fn actions(&self) -> &'static [&'static str] {
        actions::NAMES
    }

    fn resources(&self) -> &'static [&'static str] {
        resources::NAMES
    }

    fn where_the_form_was(&self, params: &crate::portal::Params) -> Vec<(String, String)> {
        params::where_the_form_was(params)
    }

    /// One per person named (`userId`, `userIds`): a bulk Block of 200 is 200 writes.
    /// A list past the bulk limit is refused without a write, and weighs one.
    fn action_weight(&self, params: &crate::portal::Params) -> usize {
        match params::named_count(params) {
            n if n > params::MAX_BULK => 1,
            n => n.max(1),
        }
    }
}
