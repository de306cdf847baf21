//! The action phase: parameters checked, one `Social::act` per action, and the rule's
//! outcome turned into an [`ActionOutcome`] (message key, localized text, status,
//! relationship, next render parameters).
//!
//! [`answer_request`] is shared with the Notifications widget, so confirming a request
//! means the same thing wherever it is clicked.

use crate::portal::{PortalUser, Request};
use crate::social::{Action, Done, EntryDraft, Outcome, PersonVerb, Refusal, RequestVerb, Social};
use crate::widgets::ui::{Ui, social_error};
use crate::widgets::{ActionOutcome, OutcomeKind, PersonOutcome, WidgetError};

use super::cards::relationship_json;
use super::messages::{self, ALREADY_SO, COMPLETED, NOTHING_DONE, PARTIAL, SETUP_UPDATED};
use super::params;
use super::preferences;

/// Everything one action call needs.
pub(crate) struct ActionCall<'a> {
    pub social: &'a Social,
    pub ui: Ui<'a>,
    pub user: &'a PortalUser,
}

impl<'a> ActionCall<'a> {
    /// Guests are refused before anything else.
    pub fn new(social: &'a Social, ui: Ui<'a>, req: &'a Request) -> Result<Self, WidgetError> {
        let user = req.viewer.user().ok_or(WidgetError::SignInRequired)?;
        Ok(Self { social, ui, user })
    }

    fn req(&self) -> &Request {
        self.ui.req
    }

    async fn act(&self, action: Action) -> Result<Outcome, WidgetError> {
        self.social
            .act_async(&self.user.user_id, action)
            .await
            .map_err(|e| social_error(&self.ui, e))
    }

    /// The answer's relationship: the seven booleans of the contract, as the action's
    /// own transaction left them (neither the person's record nor the mutual count,
    /// which the answer does not show).
    fn relationship(outcome: &Outcome) -> Option<serde_json::Value> {
        outcome.standing.as_ref().map(relationship_json)
    }

    /// The outcome of one result, with render parameters for the next page.
    fn outcome(
        &self,
        result: Result<Done, Refusal>,
        relationship: Option<serde_json::Value>,
        mut render_params: Vec<(String, String)>,
    ) -> ActionOutcome {
        let (ok, kind, key) = match result {
            Ok(done) => (true, OutcomeKind::Done, messages::done_key(done)),
            Err(refusal) => {
                let (key, kind) = messages::refusal(refusal);
                (false, kind, key)
            }
        };
        render_params.insert(0, ("message".to_owned(), key.to_owned()));
        ActionOutcome {
            ok,
            kind,
            message: key.to_owned(),
            text: messages::text(&self.ui, key),
            relationship,
            render_params,
            people: Vec::new(),
        }
    }

    /// Each person's outcome of a bulk action, for its JSON answer.
    fn people_outcomes(&self, outcome: &Outcome) -> Vec<PersonOutcome> {
        outcome
            .results
            .iter()
            .map(|t| {
                let (ok, key) = match t.result {
                    Ok(done) => (true, messages::done_key(done)),
                    Err(refusal) => (false, messages::refusal(refusal).0),
                };
                PersonOutcome {
                    user_id: t.target.clone(),
                    ok,
                    message: key.to_owned(),
                    text: messages::text(&self.ui, key),
                }
            })
            .collect()
    }

    /// The list the form asked to return to: its filter, when valid, what it was
    /// searched for, and the page of it a card was opened from.
    fn keep_list(&self) -> Vec<(String, String)> {
        params::list_state(&self.req().params)
    }

    /// The render parameters of My Contacts on the search and page a contact's form
    /// was on.
    fn back_to_contacts(&self) -> Vec<(String, String)> {
        let mut render = vec![("filter".to_owned(), "contacts".to_owned())];
        render.extend(
            self.keep_list()
                .into_iter()
                .filter(|(name, _)| name != "filter"),
        );
        render
    }

    /// connect, disconnect, follow, unfollow, block, unblock, remove-follower.
    pub async fn people(&self, verb: PersonVerb) -> Result<ActionOutcome, WidgetError> {
        let ids = match params::user_ids(&self.req().params) {
            Ok(ids) => ids,
            // Too many ticked: said like nobody ticked, back on the page, in words
            // that give the limit (the ticks are gone with the page either way).
            Err(params::IdsRefused::TooMany) if verb != PersonVerb::RemoveFollower => {
                let refused = Err(Refusal::TooManyTargets);
                return Ok(self.outcome(refused, None, self.keep_list()));
            }
            // Remove Follower takes one person: more is malformed, however many.
            Err(_) => return Err(self.ui.bad_request("the-request-is-invalid")),
        };
        if ids.is_empty() {
            // The bulk toolbar pressed with nobody ticked: a refusal like the rules'
            // (400, and a browser's form comes back to the page saying so), not an
            // error document in place of the page.
            return Ok(self.outcome(Err(Refusal::NoTarget), None, self.keep_list()));
        }
        if verb == PersonVerb::RemoveFollower && ids.len() > 1 {
            return Err(self.ui.bad_request("the-request-is-invalid"));
        }
        let outcome = self
            .act(Action::People {
                verb,
                user_ids: ids.clone(),
            })
            .await?;
        if let [only] = ids.as_slice() {
            let relationship = Self::relationship(&outcome);
            // A card's form (`userId`) comes back to the card; the list's toolbar
            // (`userIds`) to its list, with one box ticked as with several.
            let mut render = Vec::new();
            if self.req().params.get("userId").is_some() {
                render.push(("userId".to_owned(), only.clone()));
            } else if outcome
                .first()
                .is_ok_and(|done| messages::names_its_person(messages::done_key(done)))
            {
                // The list comes back without a card: its message names the person.
                render.push((messages::ABOUT.to_owned(), only.clone()));
            } else if outcome.first().is_err() {
                // A refusal's text speaks of "this user": the list says who.
                render.extend(messages::left_out_params(&[only.as_str()]));
            }
            render.extend(self.keep_list());
            return Ok(self.outcome(outcome.first(), relationship, render));
        }
        // Bulk: each target's outcome is applied on its own. When every target was
        // refused nothing changed: the first refusal gives the answer's status, and
        // the words say that nothing was done (below). When some went through, the
        // answer is a success that says some people were left out (for the rest it
        // is as asked, changed or found so); otherwise the generic success, or its
        // words for a batch that changed nothing, since each outcome's own text
        // speaks of one person ("this user").
        let first_done = outcome.results.iter().find_map(|t| t.result.ok());
        let first_refusal = outcome.results.iter().find_map(|t| t.result.err());
        let result = match (first_done, first_refusal) {
            (Some(done), _) => Ok(done),
            (None, Some(refusal)) => Err(refusal),
            (None, None) => outcome.first(),
        };
        let mut answer = self.outcome(result, None, self.keep_list());
        // "Done" for people it was already so for (three strangers "disconnected")
        // would say something happened: that case has words of its own.
        let changed = outcome
            .results
            .iter()
            .any(|t| t.result.is_ok_and(|done| done.changed()));
        let summary = match (first_done, first_refusal) {
            (Some(_), Some(_)) => Some(PARTIAL),
            (Some(_), None) if !changed => Some(ALREADY_SO),
            (Some(_), None) => Some(COMPLETED),
            _ => None,
        };
        if let Some(key) = summary {
            answer.message = key.to_owned();
            answer.text = messages::text(&self.ui, key);
            answer.render_params[0].1 = key.to_owned();
        }
        let refused = outcome.results.iter().filter(|t| t.result.is_err());
        if first_done.is_none() && refused.count() > 1 {
            // The page says that nothing was done, then whom for (below); each row
            // shows where things stand with its person. The JSON answer says the
            // same with the first refusal's status, and `results` each one's reason:
            // the first refusal's words speak of one person and one reason, and would
            // tell a portal that shows them something untrue of the others.
            answer.message = NOTHING_DONE.to_owned();
            answer.text = messages::text(&self.ui, NOTHING_DONE);
            answer.render_params[0].1 = NOTHING_DONE.to_owned();
        }
        if summary == Some(PARTIAL) || first_done.is_none() {
            // The page the browser comes back to names the first few left out, read
            // back from these parameters (the action's answer is a redirect): all of
            // them when nothing was done.
            let left_out: Vec<&str> = outcome
                .results
                .iter()
                .filter(|t| t.result.is_err())
                .map(|t| t.target.as_str())
                .collect();
            answer
                .render_params
                .extend(messages::left_out_params(&left_out));
        }
        answer.people = self.people_outcomes(&outcome);
        Ok(answer)
    }

    /// accept-request, ignore-request, withdraw-request.
    pub async fn answer_request(&self, verb: RequestVerb) -> Result<ActionOutcome, WidgetError> {
        let request_id = params::number(&self.req().params, "requestId")
            .map_err(|_| self.ui.bad_request("the-request-is-invalid"))?;
        let outcome = self.act(Action::Request { verb, request_id }).await?;
        let other = outcome
            .results
            .first()
            .map(|t| t.target.clone())
            .unwrap_or_default();
        let relationship = Self::relationship(&outcome);
        // A card's form (it names the card's `userId`) comes back to the card, with the
        // list it was opened from, also when the answer was refused (the request closed
        // in another tab): the card shows where things stand now. The Requests list's
        // form (`filter` alone) goes back to that list; a call with neither (a portal's
        // own, or the Notifications widget's, which has no cards and drops it) to the
        // other's card, when there is one to show.
        let list = self.keep_list();
        let mut render = Vec::new();
        // Only an id that could be one: the rest would be copied into the `Location`
        // after the write, where a proxy's header buffer could turn it into a 502.
        let card = self.req().params.get("userId");
        if let Some(card) = card.filter(|id| crate::store::is_portal_user_id(id)) {
            render.push(("userId".to_owned(), card.to_owned()));
        } else {
            // The answered request leaves the list the page shows: its message names
            // the person, since nothing else on the page does any more.
            let result = outcome.first();
            if result.is_ok_and(|done| messages::names_its_person(messages::done_key(done)))
                && !other.is_empty()
            {
                render.push((messages::ABOUT.to_owned(), other.clone()));
            }
            if relationship.is_some() && list.is_empty() {
                render.push(("userId".to_owned(), other));
            }
        }
        render.extend(list);
        Ok(self.outcome(outcome.first(), relationship, render))
    }

    /// save-contact: creates (no `entryId`) or updates a personal entry.
    pub async fn save_contact(&self) -> Result<ActionOutcome, WidgetError> {
        let p = &self.req().params;
        let entry_id = params::optional_number(p, "entryId")
            .map_err(|_| self.ui.bad_request("the-request-is-invalid"))?;
        let field = |name: &str| p.get(name).map(str::trim).unwrap_or("").to_owned();
        let draft = EntryDraft {
            entry_id,
            full_name: field("fullName"),
            email_address: field("emailAddress"),
            comments: p.get("comments").unwrap_or("").to_owned(),
        };
        let outcome = self.act(Action::SaveEntry(draft)).await?;
        let mut render = self.back_to_contacts();
        // A refused edit names its contact, so that the page opens that contact's form
        // and marks the field to fix, not the form for a new one.
        if let (Err(_), Some(id)) = (outcome.first(), entry_id) {
            render.push((messages::ENTRY_ID.to_owned(), id.to_string()));
        }
        Ok(self.outcome(outcome.first(), None, render))
    }

    /// delete-contact.
    pub async fn delete_contact(&self) -> Result<ActionOutcome, WidgetError> {
        let entry_id = params::number(&self.req().params, "entryId")
            .map_err(|_| self.ui.bad_request("the-request-is-invalid"))?;
        let outcome = self.act(Action::DeleteEntry { entry_id }).await?;
        Ok(self.outcome(outcome.first(), None, self.back_to_contacts()))
    }

    /// save-preferences: widget administrators only; stored under the full portlet id.
    pub async fn save_preferences(&self) -> Result<ActionOutcome, WidgetError> {
        if !self.user.is_widget_admin() {
            return Err(self.ui.forbidden());
        }
        // The setup is edit mode's: a widget whose descriptor no longer offers it (an
        // administrator took it out to lock the setup) takes no save, neither from a
        // form rendered before nor from a portal's or a WSRP consumer's call.
        if !self
            .req()
            .descriptor
            .supports(crate::portal::PortletMode::Edit)
        {
            return Err(self.ui.forbidden());
        }
        let prefs = preferences::from_form(self.req(), &self.req().params)
            .map_err(|_| self.ui.bad_request("the-request-is-invalid"))?;
        self.social
            .save_preferences_async(self.req().portlet.as_str(), prefs)
            .await
            .map_err(|e| social_error(&self.ui, e))?;
        Ok(ActionOutcome {
            ok: true,
            kind: OutcomeKind::Done,
            message: SETUP_UPDATED.to_owned(),
            text: self.ui.t(SETUP_UPDATED),
            relationship: None,
            render_params: vec![("message".to_owned(), SETUP_UPDATED.to_owned())],
            people: Vec::new(),
        })
    }

    /// search: for transports whose render URLs a GET form cannot target (WSRP), the
    /// search box posts here and the keywords come back as render parameters.
    pub fn search(&self) -> Result<ActionOutcome, WidgetError> {
        // The list to return to is the search: its filter and keywords.
        let render = self.keep_list();
        Ok(ActionOutcome {
            ok: true,
            kind: OutcomeKind::Done,
            message: String::new(),
            text: String::new(),
            relationship: None,
            render_params: render,
            people: Vec::new(),
        })
    }
}

/// The actions [`dispatch`] knows.
pub(crate) const NAMES: &[&str] = &[
    "connect",
    "disconnect",
    "follow",
    "unfollow",
    "block",
    "unblock",
    "remove-follower",
    "accept-request",
    "ignore-request",
    "withdraw-request",
    "save-contact",
    "delete-contact",
    "save-preferences",
    "search",
];

/// Dispatches a Contacts Center action by name.
pub(crate) async fn dispatch(
    call: &ActionCall<'_>,
    name: &str,
) -> Result<ActionOutcome, WidgetError> {
    match name {
        "connect" => call.people(PersonVerb::Connect).await,
        "disconnect" => call.people(PersonVerb::Disconnect).await,
        "follow" => call.people(PersonVerb::Follow).await,
        "unfollow" => call.people(PersonVerb::Unfollow).await,
        "block" => call.people(PersonVerb::Block).await,
        "unblock" => call.people(PersonVerb::Unblock).await,
        "remove-follower" => call.people(PersonVerb::RemoveFollower).await,
        "accept-request" => call.answer_request(RequestVerb::Accept).await,
        "ignore-request" => call.answer_request(RequestVerb::Ignore).await,
        "withdraw-request" => call.answer_request(RequestVerb::Withdraw).await,
        "save-contact" => call.save_contact().await,
        "delete-contact" => call.delete_contact().await,
        "save-preferences" => call.save_preferences().await,
        "search" => call.search(),
        other => Err(WidgetError::UnknownAction(other.to_owned())),
    }
}
