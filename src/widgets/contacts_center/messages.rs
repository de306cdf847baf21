//! Outcome messages: each rule outcome maps to one language key (and a refusal to its
//! [`OutcomeKind`]) in one place, and only these keys may come back as the `message`
//! render parameter — the widget never echoes text it did not write.

use crate::portal::auth::{FORM_EXPIRED, LINK_EXPIRED};
use crate::social::{Done, MAX_CONTACTS, Refusal};
use crate::widgets::OutcomeKind;
use crate::widgets::ui::Ui;

/// The key announcing a successful outcome (including "nothing to do"): the
/// `message` of an action's JSON answer, which the bench reads.
pub fn done_key(done: Done) -> &'static str {
    match done {
        Done::RequestSent { .. } => "this-user-has-received-a-connection-request-from-you",
        Done::Connected => "you-are-now-connected-to-this-user",
        Done::AlreadyConnected => "you-are-already-connected-to-this-user",
        Done::AlreadyRequested => "a-connection-request-is-already-pending",
        Done::Disconnected => "you-are-not-connected-to-this-user-anymore",
        Done::NotConnected => "you-are-not-connected-to-this-user",
        Done::NowFollowing => "you-are-now-following-this-user",
        Done::AlreadyFollowing => "you-are-already-following-this-user",
        Done::Unfollowed => "you-are-not-following-this-user-anymore",
        Done::NotFollowing => "you-are-not-following-this-user",
        Done::FollowerRemoved => "this-user-no-longer-follows-you",
        Done::NotFollower => "this-user-does-not-follow-you",
        Done::Blocked => "you-have-blocked-this-user",
        Done::AlreadyBlocked => "you-have-already-blocked-this-user",
        Done::Unblocked => "you-have-unblocked-this-user",
        Done::NotBlocked => "you-have-not-blocked-this-user",
        Done::RequestIgnored => "you-have-ignored-the-connection-request",
        Done::RequestWithdrawn => "you-have-withdrawn-the-connection-request",
        Done::EntryCreated { .. } => "you-have-successfully-added-a-new-contact",
        Done::EntryUpdated { .. } => "you-have-successfully-updated-the-contact",
        Done::EntryDeleted | Done::EntryGone => "the-contact-was-deleted",
    }
}

/// The key and kind of a refusal: invalid for what the request got wrong, forbidden
/// for what the viewer may not do, not found for what does not exist, a conflict for
/// what the current state (a block, a request already answered, a taken email)
/// forbids.
pub(crate) fn refusal(refusal: Refusal) -> (&'static str, OutcomeKind) {
    use OutcomeKind::{Conflict, Forbidden, Invalid, NotFound};
    match refusal {
        Refusal::MalformedId | Refusal::TooLong => ("the-request-is-invalid", Invalid),
        Refusal::NoTarget => ("please-select-at-least-one-person", Invalid),
        Refusal::TooManyTargets => (TOO_MANY_PEOPLE, Invalid),
        Refusal::SelfAction => ("you-cannot-do-this-to-yourself", Invalid),
        Refusal::NameRequired => ("full-name-cannot-be-empty", Invalid),
        Refusal::InvalidEmail => ("please-enter-a-valid-email-address", Invalid),
        Refusal::UnknownPerson => ("the-user-could-not-be-found", NotFound),
        Refusal::UnknownRequest => ("the-request-could-not-be-found", NotFound),
        Refusal::UnknownEntry => ("the-contact-could-not-be-found", NotFound),
        Refusal::UnknownViewer | Refusal::NotReceiver | Refusal::NotRequester => {
            ("you-do-not-have-the-required-permissions", Forbidden)
        }
        Refusal::Blocking => ("you-must-unblock-this-user-first", Conflict),
        Refusal::BlockedBy => ("this-action-is-not-available-for-this-user", Conflict),
        Refusal::NotPending => ("the-request-is-no-longer-pending", Conflict),
        Refusal::DuplicateEmail => (
            "there-is-already-a-contact-with-this-email-address",
            Conflict,
        ),
        Refusal::TooManyContacts => (TOO_MANY_CONTACTS, Conflict),
    }
}

/// The refusal of one contact too many: its text says how many one may keep.
const TOO_MANY_CONTACTS: &str = "you-cannot-add-more-contacts";

/// The refusal of a bulk action or export naming more people than it takes: its text
/// says how many it does.
pub(crate) const TOO_MANY_PEOPLE: &str = "please-select-at-most-x-people";

/// The text of a message key in the reader's language, with the figure the messages
/// that have one need (a limit, in the reader's number format).
pub(crate) fn text(ui: &Ui<'_>, key: &str) -> String {
    match key {
        TOO_MANY_CONTACTS => ui.format(key, &[&ui.number(MAX_CONTACTS)]),
        TOO_MANY_PEOPLE => ui.format(key, &[&ui.number(super::params::MAX_BULK as u64)]),
        _ => ui.t(key),
    }
}

/// The render parameter that names whom an outcome concerns, by user id, where the
/// page it comes back to does not show them as the one acted on: a request answered
/// from a list (the Requests tab, the Notifications widget) leaves that list, and "You
/// are now connected to this user." would leave a screen reader's user asking whom;
/// one person ticked in a list's toolbar may leave it too (disconnected, unfollowed,
/// unblocked), and where they stay, nothing on the list marks them.
pub(crate) const ABOUT: &str = "messageUserId";

/// The render parameter that names the personal contact whose save was refused, so
/// that the page opens that contact's form at the field to fix.
pub(crate) const ENTRY_ID: &str = "entryId";

/// The text of an outcome that names its person, for the keys that have one.
fn naming(key: &str) -> Option<&'static str> {
    match key {
        "you-are-now-connected-to-this-user" => Some("you-are-now-connected-to-x"),
        "you-have-ignored-the-connection-request" => {
            Some("you-have-ignored-the-connection-request-from-x")
        }
        "you-have-withdrawn-the-connection-request" => {
            Some("you-have-withdrawn-the-connection-request-to-x")
        }
        "you-are-not-connected-to-this-user-anymore" => Some("you-are-not-connected-to-x-anymore"),
        "you-are-now-following-this-user" => Some("you-are-now-following-x"),
        "you-are-not-following-this-user-anymore" => Some("you-are-not-following-x-anymore"),
        "you-have-blocked-this-user" => Some("you-have-blocked-x"),
        "you-have-unblocked-this-user" => Some("you-have-unblocked-x"),
        "this-user-has-received-a-connection-request-from-you" => {
            Some("x-has-received-a-connection-request-from-you")
        }
        "this-user-no-longer-follows-you" => Some("x-no-longer-follows-you"),
        // Nothing changed, and on a list page whom it is about must still be said.
        "you-are-already-connected-to-this-user" => Some("you-are-already-connected-to-x"),
        "a-connection-request-is-already-pending" => {
            Some("a-connection-request-between-you-and-x-is-already-pending")
        }
        "you-are-not-connected-to-this-user" => Some("you-are-not-connected-to-x"),
        "you-are-already-following-this-user" => Some("you-are-already-following-x"),
        "you-are-not-following-this-user" => Some("you-are-not-following-x"),
        "this-user-does-not-follow-you" => Some("x-does-not-follow-you"),
        "you-have-already-blocked-this-user" => Some("you-have-already-blocked-x"),
        "you-have-not-blocked-this-user" => Some("you-have-not-blocked-x"),
        _ => None,
    }
}

/// [`text`], naming `person` where the key has a text that does.
pub(crate) fn text_about(ui: &Ui<'_>, key: &str, person: Option<&str>) -> String {
    match (naming(key), person.filter(|p| !p.is_empty())) {
        (Some(named), Some(person)) => ui.format(named, &[&crate::i18n::isolate(person)]),
        _ => text(ui, key),
    }
}

/// An outcome's text naming the person it concerns, when the action named them
/// ([`ABOUT`]) because the page no longer shows them; `text` otherwise.
pub(crate) fn outcome_about(
    ui: &Ui<'_>,
    reader: &crate::store::Reader,
    text: &str,
) -> Result<String, crate::widgets::WidgetError> {
    let params = &ui.req.params;
    let refused = params
        .get("message")
        .is_some_and(|k| DANGER_KEYS.contains(&k));
    if params.get("message") == Some(PARTIAL) || (refused && params.get(LEFT_OUT).is_some()) {
        return left_out_text(ui, reader, text);
    }
    let (Some(key), Some(id)) = (params.get("message"), params.get(ABOUT)) else {
        return Ok(text.to_owned());
    };
    if !names_its_person(key) {
        return Ok(text.to_owned());
    }
    let person = reader
        .person(id)
        .map_err(|e| crate::widgets::ui::store_error(ui, e))?;
    Ok(match person {
        Some(person) => text_about(ui, key, Some(&person.display_name())),
        None => text.to_owned(),
    })
}

/// Whether outcomes of `key` may name their person (see [`ABOUT`]).
pub(crate) fn names_its_person(key: &str) -> bool {
    naming(key).is_some()
}

/// The render parameters that name whom a bulk action left out ([`PARTIAL`]): the
/// user ids of the first few, and how many more. "for some of the selected people
/// only" would otherwise leave the reader ticking through the list to find out whom.
pub(crate) const LEFT_OUT: &str = "leftOut";
pub(crate) const LEFT_OUT_MORE: &str = "leftOutMore";
/// How many of those left out the message names; a redirect's URL stays short.
pub(crate) const LEFT_OUT_NAMED: usize = 5;

/// [`LEFT_OUT`] and [`LEFT_OUT_MORE`] for the user ids a bulk action refused.
pub(crate) fn left_out_params(ids: &[&str]) -> Vec<(String, String)> {
    let named = &ids[..ids.len().min(LEFT_OUT_NAMED)];
    let mut params = Vec::new();
    if !named.is_empty() {
        params.push((LEFT_OUT.to_owned(), named.join(",")));
    }
    if ids.len() > named.len() {
        params.push((
            LEFT_OUT_MORE.to_owned(),
            (ids.len() - named.len()).to_string(),
        ));
    }
    params
}

/// An outcome's text ([`PARTIAL`], or a refusal that names people) followed by whom
/// it left out, from [`LEFT_OUT`] and
/// [`LEFT_OUT_MORE`]: "… Not done for: Ann Archer, Bob Brown and 3 other people."
/// Ids that name nobody any more count among the others; malformed ones, which the
/// host never writes, are ignored.
fn left_out_text(
    ui: &Ui<'_>,
    reader: &crate::store::Reader,
    text: &str,
) -> Result<String, crate::widgets::WidgetError> {
    let params = &ui.req.params;
    let mut names = Vec::new();
    let mut others: u64 = params
        .get(LEFT_OUT_MORE)
        .and_then(|n| n.parse().ok())
        .map_or(0, |n: u64| n.min(super::params::MAX_BULK as u64));
    let ids = params.get(LEFT_OUT).unwrap_or("").split(',');
    // The host writes only user ids here; anything else was written by hand, and
    // names or counts no one.
    let ids = ids.filter(|id| crate::store::is_portal_user_id(id));
    for id in ids.take(LEFT_OUT_NAMED) {
        let person = reader
            .person(id)
            .map_err(|e| crate::widgets::ui::store_error(ui, e))?;
        match person {
            // Named as the lists name them: by the user id when the directory holds
            // no name.
            Some(person) => names.push(crate::i18n::isolate(&person.display_name())),
            None => others += 1,
        }
    }
    // Chinese and Japanese list with an enumeration comma and set words and
    // sentences side by side; the other languages with a comma and a space.
    let cjk = matches!(ui.lang().get(..2), Some("zh" | "ja"));
    let (comma, space) = if cjk { ("、", "") } else { (", ", " ") };
    let sentence = match (names.is_empty(), others) {
        (true, 0) => return Ok(text.to_owned()),
        // Nobody left to name: how many, still.
        (true, n) => ui.plural(NOT_DONE_FOR_COUNT, n),
        (false, 0) => ui.format(NOT_DONE_FOR, &[&names.join(comma)]),
        (false, n) => {
            let whom = format!(
                "{}{space}{}",
                names.join(comma),
                ui.plural("and-x-other-people", n)
            );
            ui.format(NOT_DONE_FOR, &[&whom])
        }
    };
    Ok(format!("{text}{space}{sentence}"))
}

/// The sentence that names those a bulk action left out.
const NOT_DONE_FOR: &str = "not-done-for-x";
/// The sentence that counts them when none of them has a name to show.
const NOT_DONE_FOR_COUNT: &str = "not-done-for-x-people";

/// The field of the contact form a refusal of `save-contact` is about, by its message
/// key: the page it comes back to marks that field invalid and ties it to the message
/// (WCAG 3.3.1), so that a screen reader's user hears which field to fix.
pub(crate) fn entry_field_refused(key: &str) -> Option<&'static str> {
    match key {
        "full-name-cannot-be-empty" => Some("fullName"),
        "please-enter-a-valid-email-address"
        | "there-is-already-a-contact-with-this-email-address" => Some("emailAddress"),
        _ => None,
    }
}

/// Bulk successes and saved preferences.
pub(crate) const COMPLETED: &str = "your-request-completed-successfully";
/// A bulk action none of whose people it changed anything for: each was already as
/// asked (not connected, already followed…).
pub(crate) const ALREADY_SO: &str = "nothing-changed-it-was-already-so-for-the-selected-people";
/// A bulk action that went through for some of its people and was refused for others.
pub(crate) const PARTIAL: &str = "your-request-completed-for-some-of-the-selected-people-only";
/// A bulk action refused for every one of several people: the page's words. Each
/// refusal's own text speaks of one person ("You must unblock this user first"), and
/// the people may have been refused for different reasons, so the first one's text
/// would tell the others something untrue.
pub(crate) const NOTHING_DONE: &str = "nothing-was-done-for-the-selected-people";
pub(crate) const SETUP_UPDATED: &str = "you-have-successfully-updated-the-setup";

const SUCCESS_KEYS: &[&str] = &[
    "this-user-has-received-a-connection-request-from-you",
    "you-are-now-connected-to-this-user",
    "you-are-already-connected-to-this-user",
    "a-connection-request-is-already-pending",
    "you-are-not-connected-to-this-user-anymore",
    "you-are-not-connected-to-this-user",
    "you-are-now-following-this-user",
    "you-are-already-following-this-user",
    "you-are-not-following-this-user-anymore",
    "you-are-not-following-this-user",
    "this-user-no-longer-follows-you",
    "this-user-does-not-follow-you",
    "you-have-blocked-this-user",
    "you-have-already-blocked-this-user",
    "you-have-unblocked-this-user",
    "you-have-not-blocked-this-user",
    "you-have-ignored-the-connection-request",
    "you-have-withdrawn-the-connection-request",
    "you-have-successfully-added-a-new-contact",
    "you-have-successfully-updated-the-contact",
    "the-contact-was-deleted",
    COMPLETED,
    ALREADY_SO,
    SETUP_UPDATED,
];

const DANGER_KEYS: &[&str] = &[
    "the-request-is-invalid",
    NOTHING_DONE,
    "you-cannot-do-this-to-yourself",
    "full-name-cannot-be-empty",
    "please-enter-a-valid-email-address",
    "please-select-at-least-one-person",
    "the-user-could-not-be-found",
    "the-request-could-not-be-found",
    "the-contact-could-not-be-found",
    "you-do-not-have-the-required-permissions",
    "you-must-unblock-this-user-first",
    "this-action-is-not-available-for-this-user",
    "the-request-is-no-longer-pending",
    "there-is-already-a-contact-with-this-email-address",
    "you-cannot-add-more-contacts",
    TOO_MANY_PEOPLE,
];

/// The Clay alert kind of a known message key; `None` for anything else, which the
/// render then ignores.
pub(crate) fn alert_kind(key: &str) -> Option<&'static str> {
    if key == PARTIAL || key == FORM_EXPIRED || key == LINK_EXPIRED {
        Some("warning")
    } else if SUCCESS_KEYS.contains(&key) {
        Some("success")
    } else if DANGER_KEYS.contains(&key) {
        Some("danger")
    } else {
        None
    }
}

/// Every key this module can produce, for the bundle completeness test.
pub fn all_keys() -> impl Iterator<Item = &'static str> {
    SUCCESS_KEYS
        .iter()
        .chain(DANGER_KEYS)
        .copied()
        .chain([
            PARTIAL,
            FORM_EXPIRED,
            LINK_EXPIRED,
            NOT_DONE_FOR,
            NOT_DONE_FOR_COUNT,
        ])
        .chain(["and-x-other-people"])
        .chain(SUCCESS_KEYS.iter().filter_map(|k| naming(k)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A render takes what names an outcome's person only under the outcome's seal,
    /// which covers the parameters the transports know of: each one the widget's
    /// actions write (by these constants) must be among them.
    #[test]
    fn the_parameters_naming_whom_an_outcome_concerns_are_sealed() {
        use crate::portal::auth::outcome::OUTCOME_PARAMS;
        for name in ["message", ABOUT, LEFT_OUT, LEFT_OUT_MORE, ENTRY_ID] {
            assert!(OUTCOME_PARAMS.contains(&name), "{name}");
        }
    }

    #[test]
    fn every_refusal_key_is_a_known_danger_message() {
        use Refusal::*;
        for r in [
            MalformedId,
            UnknownPerson,
            UnknownViewer,
            SelfAction,
            Blocking,
            BlockedBy,
            UnknownRequest,
            NotReceiver,
            NotRequester,
            NotPending,
            UnknownEntry,
            NameRequired,
            InvalidEmail,
            DuplicateEmail,
            TooLong,
            TooManyContacts,
            NoTarget,
            TooManyTargets,
        ] {
            let (key, kind) = refusal(r);
            assert_eq!(alert_kind(key), Some("danger"), "{r:?}");
            assert_ne!(kind, OutcomeKind::Done, "{r:?}");
        }
        assert_eq!(alert_kind("<script>"), None);
    }
}
