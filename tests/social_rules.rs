//! Every rule of DESIGN.md section 4, against the real redb store (in memory), with
//! `check_invariants` after each scenario.

use widget_host::social::{
    Action, BulkEdge, Done, EntryDraft, PersonVerb as P, Refusal, RequestVerb as R, Social,
};
use widget_host::store::{Filter, Person};

fn person(id: &str, given: &str, family: &str) -> Person {
    Person {
        id: id.into(),
        given_name: given.into(),
        family_name: family.into(),
        email_address: format!("{id}@example.com"),
        ..Person::default()
    }
}

fn social() -> Social {
    let s = Social::in_memory().unwrap();
    for (id, g, f) in [
        ("ana", "Ana", "Zubiri"),
        ("bo", "Bo", "Young"),
        ("cy", "Cy", "Xu"),
    ] {
        s.upsert_person(person(id, g, f)).unwrap();
    }
    s
}

fn one(s: &Social, actor: &str, verb: P, target: &str) -> Result<Done, Refusal> {
    s.act(actor, Action::on(verb, target)).unwrap().first()
}

fn clean(s: &Social) {
    assert_eq!(s.check_invariants().unwrap(), vec![]);
}

fn received_id(s: &Social, user: &str) -> u64 {
    s.read().unwrap().requests_received(user).unwrap()[0].request_id
}

#[test]
fn connect_sends_a_request_then_accept_connects() {
    let s = social();
    assert!(matches!(
        one(&s, "ana", P::Connect, "bo"),
        Ok(Done::RequestSent { .. })
    ));
    let r = s.read().unwrap();
    let rel = r.relationship("ana", "bo").unwrap();
    assert!(rel.connection_requested && !rel.connected);
    assert!(
        r.relationship("bo", "ana")
            .unwrap()
            .connection_request_received
    );
    assert_eq!(r.counts("bo").unwrap().requests, 1);
    let sent = r.requests_sent("ana").unwrap();
    assert_eq!(sent[0].person.id, "bo");
    drop(r);
    let id = received_id(&s, "bo");
    let out = s
        .act(
            "bo",
            Action::Request {
                verb: R::Accept,
                request_id: id,
            },
        )
        .unwrap();
    assert_eq!(out.first(), Ok(Done::Connected));
    assert_eq!(out.results[0].target, "ana");
    let r = s.read().unwrap();
    assert!(r.relationship("bo", "ana").unwrap().connected);
    assert_eq!(r.counts("ana").unwrap().connections, 1);
    assert_eq!(r.counts("bo").unwrap().requests, 0);
    clean(&s);
}

#[test]
fn duplicate_request_and_already_connected_change_nothing() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    assert_eq!(one(&s, "ana", P::Connect, "bo"), Ok(Done::AlreadyRequested));
    assert_eq!(s.read().unwrap().requests_received("bo").unwrap().len(), 1);
    // The other side connecting confirms the pending request.
    assert_eq!(one(&s, "bo", P::Connect, "ana"), Ok(Done::Connected));
    assert_eq!(one(&s, "ana", P::Connect, "bo"), Ok(Done::AlreadyConnected));
    assert_eq!(s.read().unwrap().counts("bo").unwrap().connections, 1);
    clean(&s);
}

#[test]
fn only_the_receiver_answers_and_only_a_pending_request() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    let id = received_id(&s, "bo");
    for actor in ["ana", "cy"] {
        for verb in [R::Accept, R::Ignore] {
            let out = s
                .act(
                    actor,
                    Action::Request {
                        verb,
                        request_id: id,
                    },
                )
                .unwrap();
            // The requester learns the receiver; a third person learns nobody, not
            // even that the request is still open.
            let (refusal, named) = match actor {
                "ana" => (Refusal::NotReceiver, "bo"),
                _ => (Refusal::NotPending, ""),
            };
            assert_eq!(out.first(), Err(refusal));
            assert_eq!(out.results[0].target, named);
        }
    }
    let ignore = Action::Request {
        verb: R::Ignore,
        request_id: id,
    };
    assert_eq!(
        s.act("bo", ignore.clone()).unwrap().first(),
        Ok(Done::RequestIgnored)
    );
    assert_eq!(
        s.act("bo", ignore).unwrap().first(),
        Err(Refusal::NotPending)
    );
    let accept = Action::Request {
        verb: R::Accept,
        request_id: id,
    };
    assert_eq!(
        s.act("bo", accept).unwrap().first(),
        Err(Refusal::NotPending)
    );
    let unknown = Action::Request {
        verb: R::Accept,
        request_id: 999,
    };
    assert_eq!(
        s.act("bo", unknown).unwrap().first(),
        Err(Refusal::UnknownRequest)
    );
    assert!(
        !s.read()
            .unwrap()
            .relationship("ana", "bo")
            .unwrap()
            .connected
    );
    clean(&s);
}

/// A third person trying request ids learns nothing from the answers: an open
/// request reads as an answered one, to every verb, and stays open.
#[test]
fn a_third_person_cannot_tell_an_open_request_from_an_answered_one() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    let open = received_id(&s, "bo");
    one(&s, "bo", P::Connect, "cy").unwrap();
    let answered = received_id(&s, "cy");
    let ignore = |id| Action::Request {
        verb: R::Ignore,
        request_id: id,
    };
    assert_eq!(
        s.act("cy", ignore(answered)).unwrap().first(),
        Ok(Done::RequestIgnored)
    );
    for verb in [R::Accept, R::Ignore, R::Withdraw] {
        let asked = |id| {
            s.act(
                "cy",
                Action::Request {
                    verb,
                    request_id: id,
                },
            )
            .unwrap()
        };
        // Cy is a party of the answered request and of no open one: Ana's request to
        // Bo answers cy exactly as the request cy ignored does.
        assert_eq!(asked(open), asked(answered), "{verb:?}");
    }
    assert_eq!(received_id(&s, "bo"), open);
    clean(&s);
}

#[test]
fn only_the_requester_withdraws() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    let id = received_id(&s, "bo");
    let withdraw = Action::Request {
        verb: R::Withdraw,
        request_id: id,
    };
    assert_eq!(
        s.act("bo", withdraw.clone()).unwrap().first(),
        Err(Refusal::NotRequester)
    );
    assert_eq!(
        s.act("cy", withdraw.clone()).unwrap().first(),
        Err(Refusal::NotPending)
    );
    assert_eq!(
        s.act("ana", withdraw.clone()).unwrap().first(),
        Ok(Done::RequestWithdrawn)
    );
    assert_eq!(
        s.act("ana", withdraw).unwrap().first(),
        Err(Refusal::NotPending)
    );
    assert_eq!(s.read().unwrap().counts("bo").unwrap().requests, 0);
    clean(&s);
}

#[test]
fn disconnect_removes_both_sides() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    one(&s, "bo", P::Connect, "ana").unwrap();
    assert_eq!(one(&s, "bo", P::Disconnect, "ana"), Ok(Done::Disconnected));
    let r = s.read().unwrap();
    assert!(!r.relationship("ana", "bo").unwrap().connected);
    assert_eq!(r.counts("ana").unwrap().connections, 0);
    drop(r);
    assert_eq!(one(&s, "bo", P::Disconnect, "ana"), Ok(Done::NotConnected));
    clean(&s);
}

#[test]
fn follow_is_one_way_and_followers_can_be_removed() {
    let s = social();
    assert_eq!(one(&s, "ana", P::Follow, "bo"), Ok(Done::NowFollowing));
    assert_eq!(one(&s, "ana", P::Follow, "bo"), Ok(Done::AlreadyFollowing));
    let r = s.read().unwrap();
    let rel = r.relationship("ana", "bo").unwrap();
    assert!(rel.following && !rel.followed_by);
    assert_eq!(r.counts("bo").unwrap().followers, 1);
    assert_eq!(r.counts("ana").unwrap().following, 1);
    drop(r);
    assert_eq!(
        one(&s, "bo", P::RemoveFollower, "ana"),
        Ok(Done::FollowerRemoved)
    );
    assert_eq!(
        one(&s, "bo", P::RemoveFollower, "ana"),
        Ok(Done::NotFollower)
    );
    assert_eq!(one(&s, "ana", P::Unfollow, "bo"), Ok(Done::NotFollowing));
    one(&s, "ana", P::Follow, "bo").unwrap();
    assert_eq!(one(&s, "ana", P::Unfollow, "bo"), Ok(Done::Unfollowed));
    assert_eq!(s.read().unwrap().counts("bo").unwrap().followers, 0);
    clean(&s);
}

#[test]
fn block_removes_everything_and_refuses_both_directions() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    one(&s, "bo", P::Connect, "ana").unwrap();
    one(&s, "ana", P::Follow, "bo").unwrap();
    one(&s, "bo", P::Follow, "ana").unwrap();
    one(&s, "cy", P::Connect, "ana").unwrap();
    one(&s, "ana", P::Connect, "cy").unwrap(); // connects (confirms cy's request)
    one(&s, "bo", P::Disconnect, "ana").unwrap();
    one(&s, "bo", P::Connect, "ana").unwrap(); // pending bo -> ana
    assert_eq!(one(&s, "ana", P::Block, "bo"), Ok(Done::Blocked));
    assert_eq!(one(&s, "ana", P::Block, "bo"), Ok(Done::AlreadyBlocked));
    let r = s.read().unwrap();
    let rel = r.relationship("ana", "bo").unwrap();
    assert!(rel.blocking && !rel.connected && !rel.following && !rel.followed_by);
    assert!(!rel.connection_request_received && !rel.connection_requested);
    assert!(r.relationship("bo", "ana").unwrap().blocked_by);
    assert_eq!(r.counts("ana").unwrap().requests, 0);
    // The blocked user still sees the blocker in lists.
    let all = r.list("bo", Filter::All, None, 10).unwrap();
    assert_eq!(all.items.len(), 3);
    drop(r);
    for verb in [P::Connect, P::Follow] {
        assert_eq!(one(&s, "ana", verb, "bo"), Err(Refusal::Blocking));
        assert_eq!(one(&s, "bo", verb, "ana"), Err(Refusal::BlockedBy));
    }
    // Unblock restores nothing.
    assert_eq!(one(&s, "ana", P::Unblock, "bo"), Ok(Done::Unblocked));
    assert_eq!(one(&s, "ana", P::Unblock, "bo"), Ok(Done::NotBlocked));
    let rel = s.read().unwrap().relationship("ana", "bo").unwrap();
    assert!(!rel.blocking && !rel.connected && !rel.following);
    assert!(
        s.read()
            .unwrap()
            .relationship("ana", "cy")
            .unwrap()
            .connected
    );
    // A block between connected people who follow each other ends all of it, on both
    // sides and in both people's counts.
    one(&s, "ana", P::Follow, "cy").unwrap();
    one(&s, "cy", P::Follow, "ana").unwrap();
    let r = s.read().unwrap();
    assert_eq!(r.counts("ana").unwrap().connections, 1);
    assert_eq!(r.counts("cy").unwrap().followers, 1);
    drop(r);
    assert_eq!(one(&s, "cy", P::Block, "ana"), Ok(Done::Blocked));
    let r = s.read().unwrap();
    let rel = r.relationship("cy", "ana").unwrap();
    assert!(rel.blocking && !rel.connected && !rel.following && !rel.followed_by);
    for person in ["ana", "cy"] {
        let counts = r.counts(person).unwrap();
        assert_eq!(
            (counts.connections, counts.following, counts.followers),
            (0, 0, 0),
            "{person}"
        );
    }
    drop(r);
    clean(&s);
}

#[test]
fn self_unknown_and_malformed_are_refused() {
    let s = social();
    for verb in [
        P::Connect,
        P::Follow,
        P::Block,
        P::Disconnect,
        P::Unfollow,
        P::Unblock,
        P::RemoveFollower,
    ] {
        assert_eq!(one(&s, "ana", verb, "ana"), Err(Refusal::SelfAction));
        assert_eq!(one(&s, "ana", verb, "nobody"), Err(Refusal::UnknownPerson));
        assert_eq!(one(&s, "ana", verb, "bad id!"), Err(Refusal::MalformedId));
        assert_eq!(one(&s, "ana", verb, ""), Err(Refusal::MalformedId));
    }
    assert_eq!(
        one(&s, "ghost", P::Connect, "ana"),
        Err(Refusal::UnknownViewer)
    );
    assert_eq!(
        one(&s, "no way", P::Connect, "ana"),
        Err(Refusal::MalformedId)
    );
    // A bulk action of an unknown actor is refused for each person it named, as a
    // known actor's is, not for the actor.
    s.upsert_person(person("bo", "Bo", "Bell")).unwrap();
    let bulk = Action::People {
        verb: P::Block,
        user_ids: vec!["ana".into(), "bo".into()],
    };
    let outcome = s.act("ghost", bulk).unwrap();
    let refused: Vec<(&str, Result<Done, Refusal>)> = outcome
        .results
        .iter()
        .map(|r| (r.target.as_str(), r.result))
        .collect();
    assert_eq!(
        refused,
        [
            ("ana", Err(Refusal::UnknownViewer)),
            ("bo", Err(Refusal::UnknownViewer))
        ]
    );
    // An actor's id that is none is refused as itself, not for the people named.
    let bulk = Action::People {
        verb: P::Block,
        user_ids: vec!["ana".into(), "bo".into()],
    };
    let malformed = s.act("no way", bulk).unwrap();
    assert_eq!(malformed.results.len(), 1);
    assert_eq!(malformed.results[0].target, "no way");
    assert_eq!(malformed.first(), Err(Refusal::MalformedId));
    let deleted = s.act("ghost", Action::DeleteEntry { entry_id: 7 }).unwrap();
    assert_eq!(deleted.results[0].target, "7");
    assert_eq!(deleted.first(), Err(Refusal::UnknownViewer));
    let none = Action::People {
        verb: P::Connect,
        user_ids: vec![],
    };
    assert_eq!(s.act("ana", none).unwrap().first(), Err(Refusal::NoTarget));
    assert_eq!(s.read().unwrap().counts("ana").unwrap().requests, 0);
    clean(&s);
}

#[test]
fn bulk_actions_report_per_target() {
    let s = social();
    one(&s, "ana", P::Block, "cy").unwrap();
    let out = s
        .act(
            "ana",
            Action::People {
                verb: P::Follow,
                user_ids: vec!["bo".into(), "cy".into(), "ana".into(), "zz".into()],
            },
        )
        .unwrap();
    let got: Vec<_> = out
        .results
        .iter()
        .map(|t| (t.target.as_str(), t.result))
        .collect();
    assert_eq!(
        got,
        vec![
            ("bo", Ok(Done::NowFollowing)),
            ("cy", Err(Refusal::Blocking)),
            ("ana", Err(Refusal::SelfAction)),
            ("zz", Err(Refusal::UnknownPerson)),
        ]
    );
    assert!(!out.all_ok());
    assert_eq!(s.read().unwrap().counts("ana").unwrap().following, 1);
    clean(&s);
}

#[test]
fn personal_contacts_validate_and_stay_unique() {
    let s = social();
    let draft = |id: Option<u64>, name: &str, email: &str| {
        Action::SaveEntry(EntryDraft {
            entry_id: id,
            full_name: name.into(),
            email_address: email.into(),
            comments: "met at a conference".into(),
        })
    };
    let Ok(Done::EntryCreated { entry_id }) = s
        .act("ana", draft(None, "Zed Roe", "zed@x.org"))
        .unwrap()
        .first()
    else {
        panic!("entry not created");
    };
    assert_eq!(
        s.act("ana", draft(None, "Other", "ZED@x.org"))
            .unwrap()
            .first(),
        Err(Refusal::DuplicateEmail)
    );
    // The same contact sent again is the one saved: no second entry, no refusal.
    let count = || s.read().unwrap().counts("ana").unwrap().contacts;
    let before = count();
    assert_eq!(
        s.act("ana", draft(None, "Zed Roe", "zed@x.org"))
            .unwrap()
            .first(),
        Ok(Done::EntryCreated { entry_id })
    );
    assert_eq!(count(), before);
    assert_eq!(
        s.act("ana", draft(None, "Other", "not-an-email"))
            .unwrap()
            .first(),
        Err(Refusal::InvalidEmail)
    );
    assert_eq!(
        s.act("ana", draft(None, "  ", "a@b.co")).unwrap().first(),
        Err(Refusal::NameRequired)
    );
    // Names are limited in characters, as the entry form's maxlength counts them.
    let longest = "漢".repeat(200);
    assert!(
        s.act("cy", draft(None, &longest, "kanji@x.org"))
            .unwrap()
            .all_ok()
    );
    assert_eq!(
        s.act("cy", draft(None, &format!("{longest}字"), "kanji2@x.org"))
            .unwrap()
            .first(),
        Err(Refusal::TooLong)
    );
    // Comments count a line break as one character, as the form's maxlength does,
    // though a browser sends CRLF; they are kept with LF alone.
    let lines = vec!["x".repeat(99); 40].join("\r\n") + "x";
    assert_eq!(
        lines.chars().count(),
        4000 + 39,
        "4,000 with each break as one"
    );
    let commented = |comments: &str, email: &str| {
        Action::SaveEntry(EntryDraft {
            entry_id: None,
            full_name: "Lines".into(),
            email_address: email.into(),
            comments: comments.into(),
        })
    };
    assert!(
        s.act("cy", commented(&lines, "lines@x.org"))
            .unwrap()
            .all_ok()
    );
    let kept = s.read().unwrap().entries("cy").unwrap();
    let kept = kept.iter().find(|e| e.full_name == "Lines").expect("saved");
    assert_eq!(kept.comments, lines.replace("\r\n", "\n"));
    // A lone CR, NEL and Unicode's separators are breaks; other controls are left out.
    assert!(
        s.act(
            "cy",
            commented(
                "a\rb\u{2028}c\u{2029}d\u{0}e\u{1B}[31mf\u{85}g\th",
                "ctl@x.org"
            )
        )
        .unwrap()
        .all_ok()
    );
    let kept = s.read().unwrap().entries("cy").unwrap();
    let kept = kept
        .iter()
        .find(|e| e.email_address == "ctl@x.org")
        .expect("saved");
    assert_eq!(kept.comments, "a\nb\nc\nde[31mf\ng\th");
    // Combining marks stacked past a few are left out of a name and a comment alike.
    let zalgo = |base: &str| format!("{base}{}", "\u{346}".repeat(60));
    assert!(
        s.act(
            "cy",
            Action::SaveEntry(EntryDraft {
                entry_id: None,
                full_name: zalgo("Zed"),
                email_address: "zed@x.org".into(),
                comments: zalgo("note"),
            })
        )
        .unwrap()
        .all_ok()
    );
    let kept = s.read().unwrap().entries("cy").unwrap();
    let kept = kept
        .iter()
        .find(|e| e.email_address == "zed@x.org")
        .expect("saved");
    let few = "\u{346}".repeat(widget_host::store::MAX_MARKS);
    assert_eq!(
        (kept.full_name.as_str(), kept.comments.as_str()),
        (format!("Zed{few}").as_str(), format!("note{few}").as_str())
    );
    assert_eq!(
        s.act("cy", commented(&format!("{lines}x"), "lines2@x.org"))
            .unwrap()
            .first(),
        Err(Refusal::TooLong)
    );
    // A name is kept on one line, as the form's text field shows it: a line break or
    // a tab sent inside one is a space, and one at either end is trimmed away.
    assert!(
        s.act(
            "cy",
            draft(None, "\nAna\r\nLima\tSilva\u{2028}Jr\r", "ana.lima@x.org")
        )
        .unwrap()
        .all_ok()
    );
    assert!(
        s.act("cy", draft(None, "Eva \r\n\r\n Lima", "eva.lima@x.org"))
            .unwrap()
            .all_ok()
    );
    let kept = s.read().unwrap().entries("cy").unwrap();
    let names: Vec<&str> = kept.iter().map(|e| e.full_name.as_str()).collect();
    assert!(names.contains(&"Ana Lima Silva Jr"), "{names:?}");
    assert!(names.contains(&"Eva Lima"), "{names:?}");
    // Nor is a name that shows nothing: line breaks alone, or zero-width and
    // direction marks alone.
    for blank in ["\r\n\t", "\u{200B}\u{FEFF}", " \u{202E}\u{2060} "] {
        assert_eq!(
            s.act("cy", draft(None, blank, "blank@x.org"))
                .unwrap()
                .first(),
            Err(Refusal::NameRequired),
            "{blank:?}"
        );
    }
    // A bidirectional override, which turns the rest of its line backwards, is
    // dropped from a name and a comment, as from every other name the directory
    // keeps; a right-to-left mark stays.
    assert!(
        s.act(
            "cy",
            Action::SaveEntry(EntryDraft {
                entry_id: None,
                full_name: "Mallory\u{202E} \u{2066}Roe\u{2069}\u{200F}".into(),
                email_address: "mallory@x.org".into(),
                comments: "met at\u{202E} the fair".into(),
            })
        )
        .unwrap()
        .all_ok()
    );
    let kept = s.read().unwrap().entries("cy").unwrap();
    let kept = kept
        .iter()
        .find(|e| e.email_address == "mallory@x.org")
        .expect("saved");
    assert_eq!(kept.full_name, "Mallory Roe\u{200F}");
    assert_eq!(kept.comments, "met at the fair");
    // One address typed composed and again decomposed is one address: the second
    // is refused as taken, where the owner had two entries that look the same.
    assert!(
        s.act("cy", draft(None, "José", "jos\u{e9}@x.org"))
            .unwrap()
            .all_ok()
    );
    assert_eq!(
        s.act("cy", draft(None, "Jose\u{301}", "jose\u{301}@x.org"))
            .unwrap()
            .first(),
        Err(Refusal::DuplicateEmail)
    );
    // Another owner may reuse the email; nobody else may edit ana's entry.
    assert!(
        s.act("bo", draft(None, "Zed", "zed@x.org"))
            .unwrap()
            .all_ok()
    );
    assert_eq!(
        s.act("bo", draft(Some(entry_id), "Hijack", "h@x.org"))
            .unwrap()
            .first(),
        Err(Refusal::UnknownEntry)
    );
    assert_eq!(
        s.act("ana", draft(Some(entry_id), "Zed Roe Jr", "zed@x.org"))
            .unwrap()
            .first(),
        Ok(Done::EntryUpdated { entry_id })
    );
    let r = s.read().unwrap();
    let entries = r.entries("ana").unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].full_name, "Zed Roe Jr");
    assert_eq!(r.counts("ana").unwrap().contacts, 1);
    drop(r);
    // Bo cannot delete Ana's contact, and is told what a second Delete is told, so
    // that trying ids tells him nothing of whose they are.
    assert_eq!(
        s.act("bo", Action::DeleteEntry { entry_id })
            .unwrap()
            .first(),
        Ok(Done::EntryGone)
    );
    assert_eq!(s.read().unwrap().counts("ana").unwrap().contacts, 1);
    assert_eq!(
        s.act("ana", Action::DeleteEntry { entry_id })
            .unwrap()
            .first(),
        Ok(Done::EntryDeleted)
    );
    assert_eq!(s.read().unwrap().counts("ana").unwrap().contacts, 0);
    // Delete pressed again (no script, or a portal's retry): done, nothing changed.
    let again = s.act("ana", Action::DeleteEntry { entry_id }).unwrap();
    assert_eq!(again.first(), Ok(Done::EntryGone));
    assert!(!Done::EntryGone.changed());
    // An id never handed out is still unknown.
    assert_eq!(
        s.act(
            "ana",
            Action::DeleteEntry {
                entry_id: entry_id + 1_000
            }
        )
        .unwrap()
        .first(),
        Err(Refusal::UnknownEntry)
    );
    clean(&s);
}

#[test]
fn deleting_a_person_removes_their_edges_and_fixes_counts() {
    let s = social();
    one(&s, "ana", P::Connect, "bo").unwrap();
    one(&s, "bo", P::Connect, "ana").unwrap();
    one(&s, "bo", P::Follow, "cy").unwrap();
    one(&s, "cy", P::Follow, "bo").unwrap();
    one(&s, "bo", P::Connect, "cy").unwrap();
    one(&s, "cy", P::Block, "ana").unwrap();
    s.act(
        "bo",
        Action::SaveEntry(EntryDraft {
            entry_id: None,
            full_name: "X".into(),
            email_address: "x@y.z".into(),
            comments: String::new(),
        }),
    )
    .unwrap();
    assert!(s.delete_person("bo").unwrap());
    assert!(!s.delete_person("bo").unwrap());
    let r = s.read().unwrap();
    assert!(r.person("bo").unwrap().is_none());
    assert_eq!(r.counts("ana").unwrap().connections, 0);
    assert_eq!(r.counts("cy").unwrap().followers, 0);
    assert_eq!(r.counts("cy").unwrap().requests, 0);
    assert_eq!(r.list("ana", Filter::All, None, 10).unwrap().items.len(), 2);
    drop(r);
    clean(&s);
}

#[test]
fn rename_keeps_lists_sorted_and_mutual_connections_count() {
    let s = social();
    for (a, b) in [("ana", "bo"), ("ana", "cy"), ("bo", "cy")] {
        one(&s, a, P::Connect, b).unwrap();
        one(&s, b, P::Connect, a).unwrap();
    }
    let names = |s: &Social| -> Vec<String> {
        let page = s
            .read()
            .unwrap()
            .list("ana", Filter::Connections, None, 10)
            .unwrap();
        page.items
            .iter()
            .map(|i| match i {
                widget_host::store::Listed::Person(p) => p.id.clone(),
                widget_host::store::Listed::Entry(e) => e.full_name.clone(),
            })
            .collect()
    };
    assert_eq!(names(&s), vec!["cy", "bo"]); // Xu before Young
    s.upsert_person(person("bo", "Bo", "Adams")).unwrap();
    assert_eq!(names(&s), vec!["bo", "cy"]);
    let r = s.read().unwrap();
    assert_eq!(r.relationship("ana", "bo").unwrap().mutual_connections, 1);
    assert_eq!(r.mutual_connections("ana", "bo", 5).unwrap()[0].id, "cy");
    drop(r);
    clean(&s);
}

/// A card's mutual connections are shown in list order (family name, then given
/// name), not in the order the people joined the directory.
#[test]
fn mutual_connections_are_shown_in_list_order() {
    let s = social();
    // Joined in an order neither sorted nor its reverse.
    for (id, given, family) in [
        ("yan", "Yan", "Young"),
        ("mo", "Mo", "Marsh"),
        ("zed", "Zed", "Zorn"),
        ("al", "Al", "Young"),
    ] {
        s.upsert_person(person(id, given, family)).unwrap();
    }
    for mutual in ["yan", "mo", "zed", "al"] {
        for end in ["ana", "bo"] {
            one(&s, end, P::Connect, mutual).unwrap();
            one(&s, mutual, P::Connect, end).unwrap();
        }
    }
    let r = s.read().unwrap();
    let shown: Vec<String> = r
        .mutual_connections("ana", "bo", 12)
        .unwrap()
        .into_iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(shown, ["mo", "al", "yan", "zed"]);
    drop(r);
    clean(&s);
}

#[test]
fn preferences_round_trip_and_host_key_is_stable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("social.redb");
    let key = {
        let s = Social::open(&path).unwrap();
        let mut prefs = widget_host::store::Preferences::new();
        prefs.insert("pageSize".into(), vec!["20".into()]);
        s.save_preferences("contacts_INSTANCE_ab1", prefs.clone())
            .unwrap();
        assert_eq!(
            s.read()
                .unwrap()
                .preferences("contacts_INSTANCE_ab1")
                .unwrap(),
            prefs
        );
        assert!(s.read().unwrap().preferences("other").unwrap().is_empty());
        s.host_key()
    };
    // The writer thread holds the database until its handle drops; wait for release.
    let mut reopened = None;
    for _ in 0..100 {
        match Social::open(&path) {
            Ok(s) => {
                reopened = Some(s);
                break;
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(20)),
        }
    }
    let s = reopened.expect("reopen");
    assert_eq!(s.host_key(), key);
    assert_ne!(key, [0; 32]);
}

#[test]
fn notifications_list_the_newest_pending_requests_received_and_count_them_all() {
    let s = social();
    let senders: Vec<String> = (0..60).map(|i| format!("p{i:02}")).collect();
    for id in &senders {
        s.upsert_person(person(id, "P", id)).unwrap();
        assert!(matches!(
            one(&s, id, P::Connect, "bo"),
            Ok(Done::RequestSent { .. })
        ));
    }
    // Newer than every pending one: a request bo answered and one bo sent.
    let newest = s.read().unwrap().newest_requests_received("bo", 1).unwrap()[0].request_id;
    let outcome = s
        .act(
            "bo",
            Action::Request {
                verb: R::Ignore,
                request_id: newest,
            },
        )
        .unwrap()
        .first();
    assert!(outcome.is_ok(), "{outcome:?}");
    assert!(matches!(
        one(&s, "bo", P::Connect, "cy"),
        Ok(Done::RequestSent { .. })
    ));

    let r = s.read().unwrap();
    assert_eq!(r.counts("bo").unwrap().requests, 59);
    let page = r.newest_requests_received("bo", 50).unwrap();
    let from: Vec<&str> = page.iter().map(|v| v.person.id.as_str()).collect();
    let expected: Vec<&str> = senders[9..59].iter().rev().map(String::as_str).collect();
    assert_eq!(from, expected, "newest first, without the answered one");
    assert!(page.windows(2).all(|w| w[0].request_id > w[1].request_id));
    assert!(r.newest_requests_received("cy", 50).unwrap()[0].person.id == "bo");
    assert!(r.newest_requests_received("nobody", 50).unwrap().is_empty());
    clean(&s);
}

#[test]
fn notifications_find_a_pending_request_behind_any_number_of_sent_ones() {
    let s = social();
    let n = widget_host::store::SEARCH_SCAN_LIMIT + 500;
    let people: Vec<Person> = (0..=n)
        .map(|i| person(&format!("p{i}"), "P", &format!("P{i}")))
        .chain([person("bo", "Bo", "Bell")])
        .collect();
    s.upsert_people(people).unwrap();
    assert!(matches!(
        one(&s, "p0", P::Connect, "bo"),
        Ok(Done::RequestSent { .. })
    ));
    // Bo then asks 1,500 people: every one is newer than the request Bo received.
    let asked: Vec<BulkEdge> = (1..=n)
        .map(|i| BulkEdge::Request("bo".into(), format!("p{i}")))
        .collect();
    assert_eq!(s.link_many(asked).unwrap(), n);
    let r = s.read().unwrap();
    assert_eq!(r.counts("bo").unwrap().requests, 1);
    let page = r.newest_requests_received("bo", 50).unwrap();
    let from: Vec<&str> = page.iter().map(|v| v.person.id.as_str()).collect();
    assert_eq!(from, ["p0"]);
    clean(&s);
}

/// One person keeps at most `MAX_CONTACTS` personal contacts: past it a new one is
/// refused and nothing is written, while editing and deleting still work, and a
/// freed place can be taken again. Other people are not held back by it.
#[test]
fn personal_contacts_stop_at_the_cap_and_edits_still_work() {
    use widget_host::social::MAX_CONTACTS;
    let s = social();
    let add = |owner: &str, i: u64| {
        s.act(
            owner,
            Action::SaveEntry(EntryDraft {
                entry_id: None,
                full_name: format!("Contact {i}"),
                email_address: format!("c{i}@x.org"),
                comments: String::new(),
            }),
        )
        .unwrap()
        .first()
    };
    for i in 0..MAX_CONTACTS {
        assert!(add("ana", i).is_ok(), "contact {i}");
    }
    assert_eq!(add("ana", MAX_CONTACTS), Err(Refusal::TooManyContacts));
    // The last one sent again is the one saved, not one too many.
    assert!(add("ana", MAX_CONTACTS - 1).is_ok());
    let kept = s.read().unwrap().entries("ana").unwrap();
    assert_eq!(
        kept.len() as u64,
        MAX_CONTACTS,
        "the refused one is not written"
    );
    assert_eq!(
        s.read().unwrap().counts("ana").unwrap().contacts,
        MAX_CONTACTS
    );
    // At the cap a contact may still be edited, and one deleted frees a place.
    let first = kept[0].entry_id;
    let edited = s
        .act(
            "ana",
            Action::SaveEntry(EntryDraft {
                entry_id: Some(first),
                full_name: "Renamed".into(),
                email_address: "renamed@x.org".into(),
                comments: String::new(),
            }),
        )
        .unwrap()
        .first();
    assert_eq!(edited, Ok(Done::EntryUpdated { entry_id: first }));
    assert!(
        s.act("ana", Action::DeleteEntry { entry_id: first })
            .unwrap()
            .all_ok()
    );
    assert!(add("ana", MAX_CONTACTS).is_ok(), "the freed place is taken");
    assert_eq!(add("ana", MAX_CONTACTS + 1), Err(Refusal::TooManyContacts));
    // Someone else's contacts are their own count.
    assert!(add("bo", 0).is_ok());
    clean(&s);
}

/// A request's record goes when it closes, however it closes: one person sending
/// bulk requests, blocking everyone they asked and unblocking them again, round after
/// round, leaves only the requests still pending on disk. Answering a request twice
/// (a second tab) says it is no longer pending, to a party and to anyone else.
#[test]
fn closed_requests_leave_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("graph.redb");
    let others: Vec<String> = (1..=20).map(|i| format!("p{i}")).collect();
    {
        let s = Social::open(&path).unwrap();
        for (id, g, f) in [
            ("ana", "Ana", "Zubiri"),
            ("bo", "Bo", "Young"),
            ("cy", "Cy", "Xu"),
        ] {
            s.upsert_person(person(id, g, f)).unwrap();
        }
        for id in &others {
            s.upsert_person(person(id, "P", id)).unwrap();
        }
        let bulk = |verb: P| Action::People {
            verb,
            user_ids: others.clone(),
        };
        for _ in 0..30 {
            for verb in [P::Connect, P::Block, P::Unblock] {
                let outcome = s.act("ana", bulk(verb)).unwrap();
                assert!(outcome.results.iter().all(|t| t.result.is_ok()), "{verb:?}");
            }
        }
        s.act("ana", bulk(P::Connect)).unwrap();

        // Accepted, ignored and withdrawn requests go too.
        one(&s, "bo", P::Connect, "ana").unwrap();
        one(&s, "cy", P::Connect, "ana").unwrap();
        one(&s, "ana", P::Connect, "bo").unwrap();
        let answer = |actor: &str, verb: R, id: u64| {
            s.act(
                actor,
                Action::Request {
                    verb,
                    request_id: id,
                },
            )
            .unwrap()
            .first()
        };
        let from_cy = received_id(&s, "ana");
        assert_eq!(answer("ana", R::Ignore, from_cy), Ok(Done::RequestIgnored));
        let sent = s.read().unwrap().requests_sent("ana").unwrap()[0].request_id;
        assert_eq!(answer("ana", R::Withdraw, sent), Ok(Done::RequestWithdrawn));
        for (actor, verb) in [("ana", R::Ignore), ("cy", R::Accept), ("bo", R::Withdraw)] {
            assert_eq!(
                answer(actor, verb, from_cy),
                Err(Refusal::NotPending),
                "{actor}"
            );
        }
        assert_eq!(
            answer("ana", R::Accept, 1_000_000),
            Err(Refusal::UnknownRequest)
        );
        assert_eq!(answer("ana", R::Accept, 0), Err(Refusal::UnknownRequest));
        clean(&s);
    }
    let summary = widget_host::store::inspect_file(&path).unwrap();
    assert!(summary.violations.is_empty(), "{:?}", summary.violations);
    assert_eq!(
        summary.pending_requests, 19,
        "the 20 asked, but the one withdrawn"
    );
    assert_eq!(
        summary.requests, 19,
        "no record of a closed request is kept"
    );
}
