//! The social rules, as pure functions over [`Graph`]: they run unchanged against the
//! redb write transaction and against the in-memory graph in unit tests.
//!
//! Every rule checks first and writes after, so a refusal leaves the (shared, grouped)
//! transaction untouched.

use crate::store::{
    Edge, Entry, EntryId, Graph, Relationship, RequestStatus, StoreError, UserId, is_portal_user_id,
};

use super::outcome::{Done, Outcome, Refusal, TargetOutcome};
use super::profile::{on_one_line, without_overrides};
use super::{Action, EntryDraft, PersonVerb, RequestVerb};
use unicode_normalization::UnicodeNormalization;

type Rule = Result<Result<Done, Refusal>, StoreError>;

/// Applies one action for `actor` at `now` (unix seconds).
pub fn apply<G: Graph>(
    g: &mut G,
    actor: &str,
    action: &Action,
    now: u64,
) -> Result<Outcome, StoreError> {
    let me = match resolve_actor(g, actor)? {
        Ok(me) => me,
        // An id that is none names nobody (not the targets): refused as itself.
        Err(refusal @ Refusal::MalformedId) => return Ok(Outcome::one(actor, Err(refusal))),
        Err(refusal) => return Ok(refused_actor(action, refusal)),
    };
    match action {
        Action::People { verb, user_ids } => {
            if user_ids.is_empty() {
                return Ok(Outcome::one("", Err(Refusal::NoTarget)));
            }
            let mut results = Vec::with_capacity(user_ids.len());
            for target in user_ids {
                let result = on_person(g, me, target, *verb, now)?;
                results.push(TargetOutcome {
                    target: target.clone(),
                    result,
                });
            }
            let standing = match user_ids.as_slice() {
                [only] if is_portal_user_id(only) => match g.user_id(only)? {
                    Some(other) => Some(standing(g, me, other)?),
                    None => None,
                },
                _ => None,
            };
            Ok(Outcome { results, standing })
        }
        Action::Request { verb, request_id } => on_request(g, me, *request_id, *verb),
        Action::SaveEntry(draft) => {
            let result = save_entry(g, me, draft)?;
            let target = match result {
                Ok(Done::EntryCreated { entry_id } | Done::EntryUpdated { entry_id }) => {
                    entry_id.to_string()
                }
                _ => draft.entry_id.map(|e| e.to_string()).unwrap_or_default(),
            };
            Ok(Outcome::one(target, result))
        }
        Action::DeleteEntry { entry_id } => {
            let result = match g.entry(*entry_id)? {
                Some(e) if e.owner == me => {
                    g.delete_entry(*entry_id)?;
                    Ok(Done::EntryDeleted)
                }
                // A retried Delete must not read as a failure (the contact is gone,
                // as asked); only an id never issued is unknown.
                _ if g.issued_entry(*entry_id)? => Ok(Done::EntryGone),
                _ => Err(Refusal::UnknownEntry),
            };
            Ok(Outcome::one(entry_id.to_string(), result))
        }
    }
}

/// An action whose actor the directory does not hold, refused for each of its
/// targets as the same action of a known actor names them: a bulk Block sent from a
/// page left open after its viewer was deleted says "not done for" the people it
/// named, not for the viewer. A request's other party is not told ("" as for a
/// request no longer pending).
fn refused_actor(action: &Action, refusal: Refusal) -> Outcome {
    let targets = match action {
        Action::People { user_ids, .. } if !user_ids.is_empty() => user_ids.clone(),
        Action::People { .. } | Action::Request { .. } => vec![String::new()],
        Action::SaveEntry(draft) => {
            vec![draft.entry_id.map(|e| e.to_string()).unwrap_or_default()]
        }
        Action::DeleteEntry { entry_id } => vec![entry_id.to_string()],
    };
    Outcome {
        results: targets
            .into_iter()
            .map(|target| TargetOutcome {
                target,
                result: Err(refusal),
            })
            .collect(),
        standing: None,
    }
}

fn resolve_actor<G: Graph>(g: &G, actor: &str) -> Result<Result<UserId, Refusal>, StoreError> {
    if !is_portal_user_id(actor) {
        return Ok(Err(Refusal::MalformedId));
    }
    Ok(g.user_id(actor)?.ok_or(Refusal::UnknownViewer))
}

/// How `me` and `other` stand, for the action's answer. Read here, in the action's
/// own transaction, so the answer says what the action made true, and a storage
/// failure can no longer strike between the durable commit and the answer. It is
/// read at the action's turn in its group: a later action of the same commit (the
/// other person's answer at the same moment) may change it before the commit, as it
/// could a moment after, and the next render shows what was committed.
///
/// The rules keep nothing across a block and at most one pending request between two
/// people, never between connected ones, so a block or a connection settles the rest.
fn standing<G: Graph>(g: &G, me: UserId, other: UserId) -> Result<Relationship, StoreError> {
    let mut r = Relationship::default();
    if me == other {
        return Ok(r);
    }
    r.blocking = g.has(Edge::Block, me, other)?;
    r.blocked_by = g.has(Edge::Block, other, me)?;
    if r.blocking || r.blocked_by {
        return Ok(r);
    }
    r.connected = g.has(Edge::Connection, me, other)?;
    r.following = g.has(Edge::Follow, me, other)?;
    r.followed_by = g.has(Edge::Follow, other, me)?;
    if !r.connected {
        r.connection_requested = g.pending_request(me, other)?.is_some();
        r.connection_request_received =
            !r.connection_requested && g.pending_request(other, me)?.is_some();
    }
    Ok(r)
}

/// The block check that guards connect, request and follow, in both directions.
fn block_between<G: Graph>(
    g: &G,
    me: UserId,
    other: UserId,
) -> Result<Option<Refusal>, StoreError> {
    if g.has(Edge::Block, me, other)? {
        return Ok(Some(Refusal::Blocking));
    }
    if g.has(Edge::Block, other, me)? {
        return Ok(Some(Refusal::BlockedBy));
    }
    Ok(None)
}

fn on_person<G: Graph>(g: &mut G, me: UserId, target: &str, verb: PersonVerb, now: u64) -> Rule {
    if !is_portal_user_id(target) {
        return Ok(Err(Refusal::MalformedId));
    }
    let Some(other) = g.user_id(target)? else {
        return Ok(Err(Refusal::UnknownPerson));
    };
    if other == me {
        return Ok(Err(Refusal::SelfAction));
    }
    Ok(Ok(match verb {
        PersonVerb::Connect => {
            if let Some(refusal) = block_between(g, me, other)? {
                return Ok(Err(refusal));
            }
            if g.has(Edge::Connection, me, other)? {
                Done::AlreadyConnected
            } else if g.pending_request(me, other)?.is_some() {
                Done::AlreadyRequested
            } else if let Some(theirs) = g.pending_request(other, me)? {
                g.close_request(theirs)?;
                g.link(Edge::Connection, me, other)?;
                Done::Connected
            } else {
                Done::RequestSent {
                    request_id: g.open_request(me, other, now)?,
                }
            }
        }
        PersonVerb::Disconnect => {
            if !g.has(Edge::Connection, me, other)? {
                Done::NotConnected
            } else {
                g.unlink(Edge::Connection, me, other)?;
                Done::Disconnected
            }
        }
        PersonVerb::Follow => {
            if let Some(refusal) = block_between(g, me, other)? {
                return Ok(Err(refusal));
            }
            if g.has(Edge::Follow, me, other)? {
                Done::AlreadyFollowing
            } else {
                g.link(Edge::Follow, me, other)?;
                Done::NowFollowing
            }
        }
        PersonVerb::Unfollow => {
            if !g.has(Edge::Follow, me, other)? {
                Done::NotFollowing
            } else {
                g.unlink(Edge::Follow, me, other)?;
                Done::Unfollowed
            }
        }
        PersonVerb::RemoveFollower => {
            if !g.has(Edge::Follow, other, me)? {
                Done::NotFollower
            } else {
                g.unlink(Edge::Follow, other, me)?;
                Done::FollowerRemoved
            }
        }
        PersonVerb::Block => {
            if g.has(Edge::Block, me, other)? {
                Done::AlreadyBlocked
            } else {
                g.unlink(Edge::Connection, me, other)?;
                g.unlink(Edge::Follow, me, other)?;
                g.unlink(Edge::Follow, other, me)?;
                for (from, to) in [(me, other), (other, me)] {
                    if let Some(id) = g.pending_request(from, to)? {
                        g.close_request(id)?;
                    }
                }
                g.link(Edge::Block, me, other)?;
                Done::Blocked
            }
        }
        PersonVerb::Unblock => {
            if !g.has(Edge::Block, me, other)? {
                Done::NotBlocked
            } else {
                g.unlink(Edge::Block, me, other)?;
                Done::Unblocked
            }
        }
    }))
}

fn on_request<G: Graph>(
    g: &mut G,
    me: UserId,
    request_id: u64,
    verb: RequestVerb,
) -> Result<Outcome, StoreError> {
    // A closed record a file from before requests were deleted still holds reads as
    // the deleted ones do.
    let pending = g
        .request(request_id)?
        .filter(|r| r.status == RequestStatus::Pending);
    // An answered request is gone with its record: a second tab's Confirm, or a
    // portal's retry, learns that it is no longer pending, and nobody learns who
    // asked whom (every id below the next was once issued). A third person trying ids
    // is told the same of a pending one, where "only the receiver can answer" told
    // them which requests were still open, and so when each was answered.
    let Some(request) = pending.filter(|r| me == r.requester || me == r.receiver) else {
        let refusal = match g.issued_request(request_id)? {
            true => Refusal::NotPending,
            false => Refusal::UnknownRequest,
        };
        return Ok(Outcome::one("", Err(refusal)));
    };
    let other = if request.requester == me {
        request.receiver
    } else {
        request.requester
    };
    let target = g.portal_id(other)?.unwrap_or_default();
    let result = match verb {
        RequestVerb::Accept | RequestVerb::Ignore if request.receiver != me => {
            Err(Refusal::NotReceiver)
        }
        RequestVerb::Withdraw if request.requester != me => Err(Refusal::NotRequester),
        RequestVerb::Accept => {
            // A block always cancels pending requests; this guards a stale record.
            if let Some(refusal) = block_between(g, me, other)? {
                Err(refusal)
            } else {
                g.close_request(request_id)?;
                g.link(Edge::Connection, me, other)?;
                Ok(Done::Connected)
            }
        }
        RequestVerb::Ignore => {
            g.close_request(request_id)?;
            Ok(Done::RequestIgnored)
        }
        RequestVerb::Withdraw => {
            g.close_request(request_id)?;
            Ok(Done::RequestWithdrawn)
        }
    };
    let standing = standing(g, me, other)?;
    Ok(Outcome::one(target, result).with_standing(Some(standing)))
}

/// The domain Liferay gives the address it makes up for an account without one
/// (`users.email.address.auto.suffix`, when `users.email.address.required` is off, as
/// with many LDAP directories): `<userId>@no-emailaddress.com`.
const LIFERAY_NO_ADDRESS: &str = "@no-emailaddress.com";

/// Whether `email` is the address Liferay makes up for an account that has none: no
/// one reads mail there, so a card or a vCard must not offer it.
pub fn is_made_up_email(email: &str) -> bool {
    let email = email.trim();
    email.len() > LIFERAY_NO_ADDRESS.len()
        && email
            .get(email.len() - LIFERAY_NO_ADDRESS.len()..)
            .is_some_and(|end| end.eq_ignore_ascii_case(LIFERAY_NO_ADDRESS))
}

/// The longest address SMTP carries (RFC 5321, section 4.5.3.1.3, less its brackets).
pub const MAX_EMAIL_BYTES: usize = 254;

/// A pragmatic check of an address as mail clients and address books take it (RFC
/// 5321's unquoted form): one `@`; a local part of at most 64 bytes with no dot at
/// either end and no two in a row; a domain of two or more labels, none empty, none
/// longer than 63 bytes or starting or ending with `-`; no spaces or controls. Letters
/// of any script are taken (internationalized addresses).
pub fn is_valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    // 63 is the limit of a label in ASCII; an internationalized one is measured in
    // its punycode form, which this does not compute: its characters are counted.
    let label_ok = |label: &str| {
        let length = if label.is_ascii() {
            label.len()
        } else {
            label.chars().count()
        };
        (1..=63).contains(&length) && !label.starts_with('-') && !label.ends_with('-')
    };
    email.len() <= MAX_EMAIL_BYTES
        && (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && !domain.contains('@')
        && domain.contains('.')
        && domain.split('.').all(label_ok)
        // Nor a character drawn as nothing (a zero-width space, a direction mark, a
        // soft hyphen, a variation selector or tag): `ann\u{200B}@example.com` shows
        // as Ann's address on a card while its `mailto:` writes to another mailbox.
        && email.chars().all(crate::store::is_shown)
}

/// A personal contact's longest name, in characters: the entry form's `maxlength`,
/// which counts characters too, so a name the form lets through is never refused as
/// too long (200 CJK characters are 600 bytes).
const MAX_NAME_CHARS: usize = 200;
const MAX_COMMENTS_CHARS: usize = 4000;

/// Most personal contacts one person keeps. Each may hold some 17 KB at the longest
/// fields, so without a cap one signed-in account could grow the file until the disk
/// is full, and every user's writes would fail with it; at the cap one person holds
/// at most about 17 MB. Ten times what an address book of colleagues needs.
pub const MAX_CONTACTS: u64 = 1_000;

/// Line breaks as one `\n` each. A browser submits a textarea's line break as CRLF,
/// while its `maxlength` counts it as one character: counted as sent, a comment the form
/// let through could be refused as too long. Unicode's line and paragraph separators
/// are breaks too (and the vertical tab, form feed and NEL), and other controls (a
/// NUL, an escape, a bell from a script or an API call) are left out: a WSRP consumer
/// would get them as U+FFFD and a vCard without them, so the comment kept is the one
/// every reader gets.
fn one_line_break_each(text: &str) -> String {
    text.replace("\r\n", "\n")
        .chars()
        .filter_map(|c| match c {
            // A vertical tab, a form feed and NEL break a line too, as `on_one_line`
            // takes them for a space in a name: words either side stay apart.
            '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}' => Some('\n'),
            '\n' | '\t' => Some(c),
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

fn save_entry<G: Graph>(g: &mut G, me: UserId, draft: &EntryDraft) -> Rule {
    // On one line, as every directory name is: the form's text field cannot hold a
    // line break (a browser drops those of its value), so a name stored with one
    // would change at the form's next save; a tab would show as nothing. A form post
    // or an API call can still send them.
    // Marks stacked past a few are left out of both, as of a directory name.
    let full_name = crate::store::with_few_marks(&on_one_line(&draft.full_name)).into_owned();
    // A name of nothing but zero-width or direction marks would show as no name.
    let full_name = if crate::store::shows_nothing(&full_name) {
        ""
    } else {
        full_name.as_str()
    };
    // Composed (NFC), so that one address typed as `é` and again as `e` with a
    // combining accent is one address to the check that keeps them unique.
    let typed = draft.email_address.trim();
    let email: String = typed.nfc().collect();
    let email = email.as_str();
    // A contact saved before addresses were composed is held under the form it was
    // typed in, most likely decomposed (NFD): found under the composed form, the one
    // typed, or the decomposed one, it is not added a second time.
    let decomposed: String = typed.nfd().collect();
    let held_under = |g: &G| -> Result<Option<EntryId>, StoreError> {
        for form in [email, typed, decomposed.as_str()] {
            if let Some(found) = g.entry_by_email(me, form)? {
                return Ok(Some(found));
            }
        }
        Ok(None)
    };
    let comments = one_line_break_each(&without_overrides(&draft.comments));
    let comments = crate::store::with_few_marks(&comments).into_owned();
    if full_name.is_empty() {
        return Ok(Err(Refusal::NameRequired));
    }
    if full_name.chars().count() > MAX_NAME_CHARS || comments.chars().count() > MAX_COMMENTS_CHARS {
        return Ok(Err(Refusal::TooLong));
    }
    if !is_valid_email(email) {
        return Ok(Err(Refusal::InvalidEmail));
    }
    // The same new contact sent again (a form's button pressed twice without the
    // script, a portal's call retried) is the one already saved: what was asked for
    // is so, and the second answer says so too, not that the address is taken (or,
    // at the limit, that there is no room) after the first one saved it.
    if draft.entry_id.is_none()
        && let Some(existing) = held_under(g)?
        && let Some(e) = g.entry(existing)?
        && e.full_name == full_name
        && [email, typed, decomposed.as_str()].contains(&e.email_address.as_str())
        && e.comments == comments
    {
        return Ok(Ok(Done::EntryCreated { entry_id: existing }));
    }
    if let Some(id) = draft.entry_id {
        match g.entry(id)? {
            Some(e) if e.owner == me => {}
            _ => return Ok(Err(Refusal::UnknownEntry)),
        }
    } else if g.entry_count(me)? >= MAX_CONTACTS {
        return Ok(Err(Refusal::TooManyContacts));
    }
    if let Some(existing) = held_under(g)?
        && Some(existing) != draft.entry_id
    {
        return Ok(Err(Refusal::DuplicateEmail));
    }
    let entry_id = g.put_entry(Entry {
        entry_id: draft.entry_id.unwrap_or(0),
        owner: me,
        full_name: full_name.to_owned(),
        email_address: email.to_owned(),
        comments,
    })?;
    Ok(Ok(match draft.entry_id {
        Some(_) => Done::EntryUpdated { entry_id },
        None => Done::EntryCreated { entry_id },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::memory::MemGraph;

    fn graph() -> (MemGraph, UserId, UserId) {
        let mut g = MemGraph::default();
        let a = g.add_person("a");
        let b = g.add_person("b");
        (g, a, b)
    }

    fn act(g: &mut MemGraph, actor: &str, verb: PersonVerb, target: &str) -> Result<Done, Refusal> {
        let action = Action::on(verb, target);
        apply(g, actor, &action, 7).unwrap().first()
    }

    #[test]
    fn crossing_requests_connect_without_a_second_request() {
        let (mut g, a, b) = graph();
        assert!(matches!(
            act(&mut g, "a", PersonVerb::Connect, "b"),
            Ok(Done::RequestSent { .. })
        ));
        assert_eq!(
            act(&mut g, "b", PersonVerb::Connect, "a"),
            Ok(Done::Connected)
        );
        assert!(g.has(Edge::Connection, a, b).unwrap() && g.has(Edge::Connection, b, a).unwrap());
        assert!(g.pending().is_empty());
    }

    #[test]
    fn a_refusal_writes_nothing() {
        let (mut g, _, _) = graph();
        act(&mut g, "b", PersonVerb::Block, "a").unwrap();
        let before = (g.edges(), g.pending());
        assert_eq!(
            act(&mut g, "a", PersonVerb::Connect, "b"),
            Err(Refusal::BlockedBy)
        );
        assert_eq!(
            act(&mut g, "a", PersonVerb::Follow, "b"),
            Err(Refusal::BlockedBy)
        );
        assert_eq!((g.edges(), g.pending()), before);
    }

    #[test]
    fn block_cancels_requests_both_ways() {
        let (mut g, a, b) = graph();
        act(&mut g, "a", PersonVerb::Connect, "b").unwrap();
        act(&mut g, "b", PersonVerb::Follow, "a").unwrap();
        assert_eq!(act(&mut g, "a", PersonVerb::Block, "b"), Ok(Done::Blocked));
        assert!(g.pending().is_empty());
        assert_eq!(g.edges(), vec![(Edge::Block, a, b)]);
    }

    /// A contact saved before addresses were composed (NFC) is held under the form
    /// it was typed in: the same address typed so again is refused as taken, and sent
    /// again whole is the one saved; its edit keeps its place.
    #[test]
    fn a_contact_saved_before_addresses_were_composed_is_found_either_way() {
        let (mut g, a, _) = graph();
        let old = g
            .put_entry(Entry {
                entry_id: 0,
                owner: a,
                full_name: "José".into(),
                email_address: "jose\u{301}@x.org".into(),
                comments: String::new(),
            })
            .unwrap();
        let save = |g: &mut MemGraph, entry_id, name: &str| {
            let draft = EntryDraft {
                entry_id,
                full_name: name.into(),
                email_address: "jose\u{301}@x.org".into(),
                comments: String::new(),
            };
            apply(g, "a", &Action::SaveEntry(draft), 7).unwrap().first()
        };
        assert_eq!(save(&mut g, None, "Another"), Err(Refusal::DuplicateEmail));
        // Typed precomposed, as keyboards send it, the old contact is found too.
        let precomposed = EntryDraft {
            entry_id: None,
            full_name: "Another".into(),
            email_address: "jos\u{e9}@x.org".into(),
            comments: String::new(),
        };
        assert_eq!(
            apply(&mut g, "a", &Action::SaveEntry(precomposed), 7)
                .unwrap()
                .first(),
            Err(Refusal::DuplicateEmail)
        );
        assert_eq!(
            save(&mut g, None, "José"),
            Ok(Done::EntryCreated { entry_id: old })
        );
        assert_eq!(
            save(&mut g, Some(old), "José A."),
            Ok(Done::EntryUpdated { entry_id: old })
        );
        assert_eq!(
            g.entry(old).unwrap().unwrap().email_address,
            "jos\u{e9}@x.org"
        );
    }

    #[test]
    fn emails_are_checked() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "o'brien@x-y.example",
            "josé@correo.ejemplo.es",
        ] {
            assert!(is_valid_email(ok), "{ok}");
        }
        let long_local = format!("{}@b.co", "a".repeat(65));
        let long_label = format!("a@{}.co", "b".repeat(64));
        // An internationalized label is counted in characters, not UTF-8 bytes.
        let cjk_label = format!("a@{}.cn", "中".repeat(30));
        assert!(is_valid_email(&cjk_label));
        for bad in [
            "",
            "a",
            "a@b",
            "@b.co",
            "a@@b.co",
            "a b@c.co",
            "a@.co",
            "a@b.co.",
            "a@b..co",
            "a@-b.co",
            "a@b-.co",
            ".a@b.co",
            "a.@b.co",
            "a..b@c.co",
            &long_local,
            &long_label,
            // Drawn as nothing, so it would pass for another's address.
            "ann\u{200B}@example.com",
            "ann@exa\u{2060}mple.com",
            "\u{FEFF}ann@example.com",
            "ann\u{200E}@example.com",
            "ann\u{202E}@example.com",
            "ann\u{AD}@example.com",
            "ann@example\u{FE0F}.com",
            "ann\u{E0041}@example.com",
            "ann\u{E0100}@example.com",
            "ann\u{180B}@example.com",
            "ann\u{1BCA0}@example.com",
        ] {
            assert!(!is_valid_email(bad), "{bad}");
        }
    }
}
