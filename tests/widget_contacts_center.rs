//! The Contacts Center widget through the `Widget` trait: stories, every action's
//! outcome, escaping, namespacing, preferences, vCards and plural texts.

mod widget_support;

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde_json::Value;
use widget_host::portal::PortletMode;
use widget_host::widgets::{OutcomeKind, WidgetError};
use widget_support::*;

fn rel(o: &widget_host::widgets::ActionOutcome, field: &str) -> bool {
    o.relationship
        .as_ref()
        .and_then(|r| r.get(field))
        .and_then(Value::as_bool)
        .unwrap_or_else(|| panic!("relationship lacks {field}: {o:?}"))
}

fn request_id(w: &World, receiver: &str) -> String {
    let reader = w.social.read().expect("read");
    reader.requests_received(receiver).expect("requests")[0]
        .request_id
        .to_string()
}

fn abc() -> World {
    let w = world();
    w.add("a", "Ann", "Archer");
    w.add("b", "Bob", "Baker");
    w.add("c", "Cid", "Cole");
    w
}

/// Ann, Bob, Cid and Dan, listed two to a page.
fn abcd_two_a_page() -> World {
    let w = abc();
    w.add("d", "Dan", "Dunn");
    w.social
        .save_preferences(
            "contacts_center",
            [("pageSize".to_owned(), vec!["2".to_owned()])].into(),
        )
        .expect("prefs");
    w
}

#[test]
fn connect_request_accept_story() {
    let w = abc();
    let sent = cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    assert!(sent.ok);
    assert_eq!(sent.kind, OutcomeKind::Done);
    assert_eq!(
        sent.message,
        "this-user-has-received-a-connection-request-from-you"
    );
    assert_eq!(
        sent.text,
        "This user has received a connection request from you."
    );
    assert!(rel(&sent, "connectionRequested"));
    assert!(!rel(&sent, "connected"));
    assert!(sent.render_params.contains(&("userId".into(), "b".into())));
    assert!(
        sent.render_params
            .contains(&("message".into(), sent.message.clone()))
    );

    // B sees the request in the requests list, with Confirm and Ignore forms.
    let requests = cc(Some("b")).p("filter", "requests").html(&w);
    assert!(requests.contains("Ann Archer"), "{requests}");
    assert!(requests.contains("https://host.test/actions/accept-request"));
    assert!(requests.contains("https://host.test/actions/ignore-request"));
    assert!(
        cc(Some("b"))
            .html(&w)
            .contains("You have 1 pending request.")
    );
    // A sees it as sent, with Withdraw.
    let sent_list = cc(Some("a")).p("filter", "requests").html(&w);
    assert!(sent_list.contains("Bob Baker") && sent_list.contains("actions/withdraw-request"));

    let id = request_id(&w, "b");
    // The JSON pages carry the id that answers or withdraws each pending request.
    let json_page = |viewer: &str, filter: &str| -> Value {
        let page = cc(Some(viewer))
            .named("contacts")
            .p("filter", filter)
            .resource(&w)
            .expect("contacts");
        serde_json::from_slice(&page.body).expect("json")
    };
    let received = json_page("b", "requests");
    assert_eq!(received["items"][0]["userId"], "a");
    assert_eq!(received["items"][0]["requestId"].to_string(), id);
    let asked = json_page("a", "requests-sent");
    assert_eq!(asked["items"][0]["userId"], "b");
    assert_eq!(asked["items"][0]["requestId"].to_string(), id);
    assert!(json_page("a", "all")["items"][0].get("requestId").is_none());
    // Nor does anyone nothing is pending with.
    assert_eq!(json_page("a", "all")["items"][2]["userId"], "c");
    assert!(json_page("a", "all")["items"][2].get("requestId").is_none());
    // Any page: the person a request is pending with carries its id.
    assert_eq!(json_page("a", "all")["items"][1]["userId"], "b");
    assert_eq!(
        json_page("a", "all")["items"][1]["requestId"].to_string(),
        id
    );
    let accepted = cc(Some("b"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    assert!(accepted.ok, "{accepted:?}");
    assert_eq!(accepted.message, "you-are-now-connected-to-this-user");
    assert!(rel(&accepted, "connected"));
    let again = cc(Some("b"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    assert!(!again.ok);
    assert_eq!(
        (again.kind, again.message.as_str()),
        (OutcomeKind::Conflict, "the-request-is-no-longer-pending")
    );
    // The same refusal on Ann's card (answered meanwhile in another tab) comes back to
    // that card and the list it was opened from, which show where things stand now.
    let on_card = cc(Some("b"))
        .named("accept-request")
        .p("requestId", &id)
        .p("userId", "a")
        .p("filter", "requests")
        .ok(&w);
    assert_eq!(on_card.kind, OutcomeKind::Conflict, "{on_card:?}");
    assert!(
        on_card
            .render_params
            .contains(&("userId".into(), "a".into()))
            && on_card
                .render_params
                .contains(&("filter".into(), "requests".into())),
        "{on_card:?}"
    );
    // A card id that could be nobody's is not carried into the next render (where
    // it would fill the `Location` of the answer).
    let long = "a".repeat(5_000);
    let forged = cc(Some("b"))
        .named("accept-request")
        .p("requestId", &id)
        .p("userId", &long)
        .ok(&w);
    assert_eq!(forged.kind, OutcomeKind::Conflict, "{forged:?}");
    assert!(
        forged.render_params.iter().all(|(n, _)| n != "userId"),
        "{:?}",
        forged.render_params
    );

    for (viewer, other) in [("a", "Bob Baker"), ("b", "Ann Archer")] {
        let html = cc(Some(viewer)).p("filter", "connections").html(&w);
        assert!(html.contains(other), "{viewer}: {html}");
        assert!(html.contains("You have 1 connection."), "{html}");
        assert!(!html.contains("Cid Cole"));
    }
    assert!(cc(Some("c")).html(&w).contains("You have no connections."));
}

#[test]
fn detail_view_offers_what_the_relationship_allows() {
    let w = abc();
    let html = cc(Some("a")).p("userId", "b").html(&w);
    for action in ["connect", "follow", "block"] {
        assert!(
            html.contains(&format!("actions/{action}\"")),
            "{action}: {html}"
        );
    }
    assert!(!html.contains("actions/disconnect\""));
    assert!(html.contains("resources/vcard?"));
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    cc(Some("b")).named("follow").p("userId", "a").ok(&w);
    let html = cc(Some("a")).p("userId", "b").html(&w);
    assert!(html.contains("actions/unfollow\"") && html.contains("actions/remove-follower\""));
    assert!(
        html.contains(">Following<") && html.contains(">Follower<"),
        "{html}"
    );
    // A badge names one person, where the list of the same name is plural.
    let spanish = cc(Some("a")).p("userId", "b").locale("es_ES").html(&w);
    assert!(
        spanish.contains("badge-info\">Siguiendo<") && spanish.contains(">Seguidor<"),
        "{spanish}"
    );
    cc(Some("a")).named("block").p("userId", "c").ok(&w);
    let blocked = cc(Some("a")).p("userId", "c").locale("es_ES").html(&w);
    assert!(blocked.contains("badge-danger\">Bloqueado<"), "{blocked}");
    assert!(
        cc(Some("a"))
            .p("filter", "blocked")
            .locale("es_ES")
            .html(&w)
            .contains(">Bloqueados<"),
        "the list keeps its plural name"
    );
    // The form posts namespaced userId and the action's p_auth.
    assert!(html.contains("name=\"_contacts_center_userId\" value=\"b\""));
    assert!(html.contains("name=\"p_auth\" value=\"tok-unfollow\""));
    // An unknown person is a clear message, not an error page.
    let missing = cc(Some("a")).p("userId", "nobody").html(&w);
    assert!(missing.contains("The user could not be found."));
}

#[test]
fn follow_unfollow_and_remove_follower() {
    let w = abc();
    let f = cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    assert_eq!(
        (f.ok, f.message.as_str()),
        (true, "you-are-now-following-this-user")
    );
    assert_eq!(f.text, "You are now following this user.");
    assert!(rel(&f, "following"));
    let again = cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    assert_eq!(again.message, "you-are-already-following-this-user");
    assert!(
        cc(Some("a"))
            .html(&w)
            .contains("You are following 1 person.")
    );
    assert!(cc(Some("b")).html(&w).contains("You have 1 follower."));
    let removed = cc(Some("b"))
        .named("remove-follower")
        .p("userId", "a")
        .ok(&w);
    assert_eq!(removed.message, "this-user-no-longer-follows-you");
    assert!(!rel(&removed, "followedBy"));
    let none = cc(Some("b"))
        .named("remove-follower")
        .p("userId", "a")
        .ok(&w);
    assert_eq!(none.message, "this-user-does-not-follow-you");
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    let u = cc(Some("a")).named("unfollow").p("userId", "b").ok(&w);
    assert_eq!(u.message, "you-are-not-following-this-user-anymore");
    assert!(!rel(&u, "following"));
    let u2 = cc(Some("a")).named("unfollow").p("userId", "b").ok(&w);
    assert_eq!(u2.message, "you-are-not-following-this-user");
}

#[test]
fn block_removes_everything_and_refuses_both_sides_until_unblocked() {
    let w = abc();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    let id = request_id(&w, "b");
    cc(Some("b"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    cc(Some("b")).named("follow").p("userId", "a").ok(&w);

    let b = cc(Some("a")).named("block").p("userId", "b").ok(&w);
    assert_eq!(
        (b.ok, b.message.as_str()),
        (true, "you-have-blocked-this-user")
    );
    for field in [
        "connected",
        "following",
        "followedBy",
        "connectionRequested",
    ] {
        assert!(!rel(&b, field), "{field}");
    }
    assert!(rel(&b, "blocking"));
    assert!(cc(Some("a")).html(&w).contains("You have no connections."));

    for (actor, other, name, key) in [
        (
            "b",
            "a",
            "connect",
            "this-action-is-not-available-for-this-user",
        ),
        (
            "b",
            "a",
            "follow",
            "this-action-is-not-available-for-this-user",
        ),
        ("a", "b", "connect", "you-must-unblock-this-user-first"),
        ("a", "b", "follow", "you-must-unblock-this-user-first"),
    ] {
        let o = cc(Some(actor)).named(name).p("userId", other).ok(&w);
        assert!(!o.ok, "{actor} {name}");
        assert_eq!(
            (o.kind, o.message.as_str()),
            (OutcomeKind::Conflict, key),
            "{actor} {name}"
        );
        assert!(o.render_params.contains(&("message".into(), key.into())));
    }
    // The blocked user still sees the blocker's card, without connect or follow.
    let card = cc(Some("b")).p("userId", "a").html(&w);
    assert!(card.contains("Ann Archer"));
    assert!(!card.contains("actions/connect\"") && !card.contains("actions/follow\""));
    assert!(
        cc(Some("b"))
            .named("vcard")
            .p("userId", "a")
            .resource(&w)
            .is_ok()
    );
    // The blocker sees a Blocked badge and Unblock, on a list of the blocked alone.
    let blocked = cc(Some("a")).p("filter", "blocked").html(&w);
    assert!(
        blocked.contains("Bob Baker") && !blocked.contains("Cid Cole"),
        "{blocked}"
    );
    assert!(
        blocked.contains("<span class=\"badge badge-danger\">Blocked</span>"),
        "{blocked}"
    );
    assert!(
        cc(Some("a"))
            .p("userId", "b")
            .html(&w)
            .contains("actions/unblock\"")
    );

    let u = cc(Some("a")).named("unblock").p("userId", "b").ok(&w);
    assert_eq!(u.message, "you-have-unblocked-this-user");
    for field in ["connected", "following", "followedBy", "blocking"] {
        assert!(!rel(&u, field), "unblock restored {field}");
    }
    let u2 = cc(Some("a")).named("unblock").p("userId", "b").ok(&w);
    assert_eq!(u2.message, "you-have-not-blocked-this-user");
    let again = cc(Some("a")).named("block").p("userId", "b").ok(&w);
    assert!(again.ok);
    let twice = cc(Some("a")).named("block").p("userId", "b").ok(&w);
    assert_eq!(twice.message, "you-have-already-blocked-this-user");
}

#[test]
fn request_answers_withdraw_ignore_and_who_may_answer() {
    let w = abc();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    let again = cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    assert_eq!(
        (again.ok, again.message.as_str()),
        (true, "a-connection-request-is-already-pending")
    );
    let id = request_id(&w, "b");
    // Someone who is neither party learns nothing: not even that it is still open.
    let not_mine = cc(Some("c"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    assert_eq!(
        (not_mine.ok, not_mine.kind, not_mine.message.as_str()),
        (
            false,
            OutcomeKind::Conflict,
            "the-request-is-no-longer-pending"
        )
    );
    let requester_accepts = cc(Some("a"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    assert!(!requester_accepts.ok);
    let ignored = cc(Some("b"))
        .named("ignore-request")
        .p("requestId", &id)
        .ok(&w);
    assert_eq!(
        (ignored.ok, ignored.message.as_str()),
        (true, "you-have-ignored-the-connection-request")
    );
    assert!(!rel(&ignored, "connectionRequestReceived"));

    cc(Some("a")).named("connect").p("userId", "c").ok(&w);
    let id = request_id(&w, "c");
    let by_receiver = cc(Some("c"))
        .named("withdraw-request")
        .p("requestId", &id)
        .ok(&w);
    assert_eq!(
        (by_receiver.ok, by_receiver.kind),
        (false, OutcomeKind::Forbidden)
    );
    let w_ok = cc(Some("a"))
        .named("withdraw-request")
        .p("requestId", &id)
        .p("filter", "requests")
        .ok(&w);
    assert_eq!(w_ok.message, "you-have-withdrawn-the-connection-request");
    assert!(
        w_ok.render_params
            .contains(&("filter".into(), "requests".into()))
    );
    let unknown = cc(Some("a"))
        .named("withdraw-request")
        .p("requestId", "999999")
        .ok(&w);
    assert_eq!(
        (unknown.ok, unknown.kind, unknown.message.as_str()),
        (
            false,
            OutcomeKind::NotFound,
            "the-request-could-not-be-found"
        )
    );

    let d = cc(Some("a")).named("disconnect").p("userId", "b").ok(&w);
    assert_eq!(
        (d.ok, d.message.as_str()),
        (true, "you-are-not-connected-to-this-user")
    );
}

#[test]
fn refusals_and_errors() {
    let w = abc();
    let me = cc(Some("a")).named("follow").p("userId", "a").ok(&w);
    assert_eq!(
        (me.ok, me.kind, me.message.as_str()),
        (
            false,
            OutcomeKind::Invalid,
            "you-cannot-do-this-to-yourself"
        )
    );
    let ghost = cc(Some("a")).named("connect").p("userId", "ghost").ok(&w);
    assert_eq!(
        (ghost.kind, ghost.message.as_str()),
        (OutcomeKind::NotFound, "the-user-could-not-be-found")
    );
    assert!(matches!(
        cc(None).named("follow").p("userId", "b").act(&w),
        Err(WidgetError::SignInRequired)
    ));
    assert!(matches!(
        cc(Some("a")).named("launch-rockets").act(&w),
        Err(WidgetError::UnknownAction(n)) if n == "launch-rockets"
    ));
    // The names the transports let through before checking the caller are exactly
    // the ones the widget answers: every listed one is dispatched.
    for kind in widget_host::widgets::KINDS {
        let widget = &w.widgets[kind];
        let call = |name: &str| {
            if kind == widget_host::widgets::KINDS[0] {
                cc(Some("a")).named(name)
            } else {
                notes(Some("a")).named(name)
            }
        };
        assert!(!widget.actions().is_empty(), "{kind}");
        for name in widget.actions() {
            let answered = call(name).act(&w);
            assert!(
                !matches!(answered, Err(WidgetError::UnknownAction(_))),
                "{kind} lists {name} but does not answer it"
            );
        }
        for name in widget.resources() {
            let answered = call(name).resource(&w);
            assert!(
                !matches!(answered, Err(WidgetError::UnknownResource(_))),
                "{kind} lists {name} but does not answer it"
            );
        }
    }
    // And the other way: every action and resource a view links to is listed, or the
    // transports would refuse its form as not found.
    cc(Some("b")).named("connect").p("userId", "c").ok(&w);
    cc(Some("c")).named("connect").p("userId", "a").ok(&w);
    let views = [
        cc(Some("a")),
        cc(Some("a")).p("userId", "c"),
        cc(Some("a")).p("userId", "b"),
        cc(Some("a")).p("filter", "requests"),
        cc(Some("b")).p("filter", "requests-sent"),
        cc(Some("a")).p("filter", "contacts"),
        cc(Some("a")).admin().mode(PortletMode::Edit),
    ];
    let listed = &w.widgets[widget_host::widgets::KINDS[0]];
    let mut seen = std::collections::BTreeSet::new();
    for view in views {
        let html = view.html(&w);
        for (prefix, names) in [
            ("https://host.test/actions/", listed.actions()),
            ("https://host.test/resources/", listed.resources()),
        ] {
            for rest in html.split(prefix).skip(1) {
                let name = rest
                    .split(['"', '?', '&'])
                    .next()
                    .expect("a name")
                    .to_owned();
                assert!(
                    names.contains(&name.as_str()),
                    "{name} is linked, not listed"
                );
                seen.insert(name);
            }
        }
    }
    assert!(seen.len() >= 10, "the views link to most of them: {seen:?}");
    for (name, key, value) in [
        ("follow", "userId", "not an id"),
        ("follow", "userIds", "b,not an id"),
        ("accept-request", "requestId", "x"),
        ("delete-contact", "entryId", "-3"),
        ("save-contact", "entryId", "abc"),
    ] {
        match cc(Some("a")).named(name).p(key, value).act(&w) {
            Err(WidgetError::BadRequest { key, text }) => {
                assert_eq!(key, "the-request-is-invalid");
                assert_eq!(text, "The request is invalid.");
            }
            other => panic!("{name} {value:?}: {other:?}"),
        }
    }
    // Localized: the same refusal in Spanish.
    match cc(Some("a"))
        .named("follow")
        .p("userId", "?")
        .locale("es_ES")
        .act(&w)
    {
        Err(WidgetError::BadRequest { text, .. }) => assert_ne!(text, "The request is invalid."),
        other => panic!("{other:?}"),
    }
    // Naming nobody (the bulk toolbar with no box ticked) is a refusal like the
    // rules': 400, with its own message, and the list it came from kept, so that a
    // browser's form comes back to that page saying so.
    for (key, value) in [("userIds", ""), ("userId", " , "), ("filter", "following")] {
        let o = cc(Some("a"))
            .named("follow")
            .p(key, value)
            .p("filter", "following")
            .act(&w)
            .unwrap_or_else(|e| panic!("{key}={value:?}: {e:?}"));
        assert!(!o.ok && o.kind == OutcomeKind::Invalid, "{o:?}");
        assert_eq!(o.message, "please-select-at-least-one-person");
        assert_eq!(o.text, "Please select at least one person.");
        assert!(
            o.render_params
                .contains(&("filter".into(), "following".into())),
            "{o:?}"
        );
    }
    assert_eq!(w.social.read().unwrap().counts("a").unwrap().following, 0);
}

/// More people ticked than one action takes (a few "View more" pages of boxes) is
/// told in those words, on the page the toolbar was on, and nothing is done; an
/// export of too many chosen people says the same.
#[test]
fn too_many_people_ticked_are_refused_with_the_limit() {
    let w = abc();
    let many: Vec<String> = std::iter::once("b".to_owned())
        .chain((0..200).map(|i| format!("p{i}")))
        .collect();
    let many = many.join(",");
    let o = cc(Some("a"))
        .named("follow")
        .p("userIds", &many)
        .p("filter", "all")
        .act(&w)
        .expect("an outcome");
    assert!(!o.ok && o.kind == OutcomeKind::Invalid, "{o:?}");
    assert_eq!(o.message, "please-select-at-most-x-people");
    assert_eq!(o.text, "Please select at most 200 people.");
    assert!(
        o.render_params.contains(&("filter".into(), "all".into())),
        "{o:?}"
    );
    assert_eq!(w.social.read().unwrap().counts("a").unwrap().following, 0);
    // The page it comes back to says so, as an alert, in the reader's language.
    let page = cc(Some("a"))
        .p("message", "please-select-at-most-x-people")
        .locale("de_DE")
        .html(&w);
    assert!(page.contains("alert-danger"), "{page}");
    assert!(page.contains("höchstens 200 Personen"), "{page}");
    match cc(Some("a"))
        .named("vcard")
        .p("userIds", &many)
        .resource(&w)
    {
        Err(WidgetError::BadRequest { key, text }) => {
            assert_eq!(key, "please-select-at-most-x-people");
            assert_eq!(text, "Please select at most 200 people.");
        }
        other => panic!("{:?}", other.map(|r| r.body.len())),
    }
}

/// A refused save of a personal contact comes back to the form it was made in, with
/// the field to fix marked invalid and tied to the message: the edit form of that
/// contact, opened, or the form for a new one.
#[test]
fn a_refused_contact_marks_the_field_to_fix() {
    let w = abc();
    let save = |entry: Option<&str>, name: &str, email: &str| {
        let mut call = cc(Some("a"))
            .named("save-contact")
            .p("fullName", name)
            .p("emailAddress", email);
        if let Some(id) = entry {
            call = call.p("entryId", id);
        }
        call.ok(&w)
    };
    assert!(save(None, "Zed Zane", "zed@example.com").ok);
    assert!(save(None, "Yul Yates", "yul@example.com").ok);
    let page = |params: &[(String, String)]| {
        let mut call = cc(Some("a"));
        for (k, v) in params {
            call = call.p(k, v);
        }
        call.html(&w)
    };
    let list = page(&[("filter".into(), "contacts".into())]);
    let entry_of = |html: &str, name: &str| -> String {
        let at = html
            .find(&format!("value=\"{name}\""))
            .expect("the contact's form");
        let form = &html[html[..at].rfind("<form").expect("form")..];
        let id_at = form
            .find("_contacts_center_entryId\" value=\"")
            .expect("entryId")
            + "_contacts_center_entryId\" value=\"".len();
        form[id_at..]
            .split('"')
            .next()
            .unwrap_or_default()
            .to_owned()
    };
    let yul = entry_of(&list, "Yul Yates");
    // Yul's edit, given Zed's address: refused, and back on Yul's form.
    let refused = save(Some(&yul), "Yul Yates", "zed@example.com");
    assert!(!refused.ok, "{refused:?}");
    assert!(
        refused
            .render_params
            .contains(&("entryId".into(), yul.clone())),
        "{:?}",
        refused.render_params
    );
    let html = page(&refused.render_params);
    let marked: Vec<&str> = html
        .match_indices("aria-invalid=\"true\"")
        .map(|(at, _)| &html[html[..at].rfind("<input").expect("input")..at])
        .collect();
    assert_eq!(marked.len(), 1, "{html}");
    assert!(
        marked[0].contains(&format!("id=\"_contacts_center_entry-{yul}-emailAddress\"")),
        "{}",
        marked[0]
    );
    assert!(html.contains("aria-describedby=\"_contacts_center_outcome\""));
    assert!(html.contains("id=\"_contacts_center_outcome\""), "{html}");
    // Marked where it is too, for the eye: Clay's error style on its group, and the
    // outcome's text under it (hidden from screen readers, which have it once).
    let group = html[..html.find("aria-invalid=\"true\"").expect("marked")]
        .rfind("<div class=\"form-group")
        .expect("group");
    assert!(
        html[group..].starts_with(
            "<div class=\"form-group has-error\"><label for=\"_contacts_center_entry-"
        ),
        "{}",
        &html[group..]
    );
    assert_eq!(html.matches("has-error").count(), 1, "{html}");
    let outcome = html
        .split("id=\"_contacts_center_outcome\" tabindex=\"-1\" autofocus>")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("outcome text");
    assert!(!outcome.is_empty());
    assert!(
        html.contains(&format!(
            "<div class=\"form-feedback-item\" aria-hidden=\"true\">{outcome}</div></div>"
        )),
        "{html}"
    );
    assert!(
        html.contains("<details class=\"contacts-entry-edit\" open>"),
        "the refused contact's form is open: {html}"
    );
    assert_eq!(html.matches(" open>").count(), 1, "{html}");
    // A new contact without a name: the add form's name field.
    let refused = save(None, "   ", "new@example.com");
    assert_eq!(refused.message, "full-name-cannot-be-empty");
    let html = page(&refused.render_params);
    let at = html.find("aria-invalid=\"true\"").expect("marked");
    let input = &html[html[..at].rfind("<input").expect("input")..at];
    assert!(
        input.contains("id=\"_contacts_center_entry-new-fullName\""),
        "{input}"
    );
    assert!(!html.contains(" open>"), "{html}");
    // Found by a search, the form carries it, and a refusal comes back to the search,
    // where the form is.
    let found = page(&[
        ("filter".into(), "contacts".into()),
        ("keywords".into(), "yul".into()),
    ]);
    let form = form_where(&found, "Yul's form", |form| {
        form.contains(&format!("entry-{yul}\""))
    });
    assert!(
        form.contains("name=\"_contacts_center_keywords\" value=\"yul\""),
        "{form}"
    );
    let refused = cc(Some("a"))
        .named("save-contact")
        .p("entryId", &yul)
        .p("fullName", "Yul Yates")
        .p("emailAddress", "zed@example.com")
        .p("keywords", "yul")
        .ok(&w);
    assert!(
        refused
            .render_params
            .contains(&("keywords".into(), "yul".into()))
            && refused
                .render_params
                .contains(&("filter".into(), "contacts".into())),
        "{:?}",
        refused.render_params
    );
    assert!(page(&refused.render_params).contains("aria-invalid=\"true\""));
    // A success marks nothing.
    let saved = save(Some(&yul), "Yul Yates", "yul@example.org");
    assert!(saved.ok, "{saved:?}");
    // (The attribute: the script names it too, in the selector it focuses.)
    let after = page(&saved.render_params);
    assert!(!after.contains("aria-invalid=\""), "{after}");
    assert!(!after.contains("has-error"), "{after}");
    // Its delete button carries the search too, and the answer comes back to it.
    let delete = form_where(&found, "Yul's delete form", |form| {
        form.contains("delete-contact") && form.contains(&format!("value=\"{yul}\""))
    });
    assert!(
        delete.contains("name=\"_contacts_center_keywords\" value=\"yul\""),
        "{delete}"
    );
    let deleted = cc(Some("a"))
        .named("delete-contact")
        .p("entryId", &yul)
        .p("filter", "contacts")
        .p("keywords", "yul")
        .ok(&w);
    assert_eq!(deleted.message, "the-contact-was-deleted");
    assert!(
        deleted
            .render_params
            .contains(&("keywords".into(), "yul".into()))
            && deleted
                .render_params
                .contains(&("filter".into(), "contacts".into())),
        "{:?}",
        deleted.render_params
    );
}

/// A name in Chinese, Japanese or Korean letters is written family name first with no
/// space, in the list, on the card and in its avatar, whatever the page's language;
/// a foreign name in katakana keeps its order. Both orders still find the person.
#[test]
fn names_in_chinese_or_japanese_letters_are_written_family_name_first() {
    let w = abc();
    w.add("yamada", "太郎", "山田");
    w.add("smith", "ジョン", "スミス");
    for locale in ["en_US", "ja_JP"] {
        let list = cc(Some("a")).locale(locale).html(&w);
        assert!(list.contains(">山田太郎</a>"), "{locale}: {list}");
        assert!(!list.contains("太郎 山田"), "{locale}: {list}");
        assert!(list.contains(">ジョン スミス</a>"), "{locale}: {list}");
        // The avatar: the family name's first letter, not 太山.
        assert!(
            list.contains("<span class=\"sticker-overlay\">山</span>"),
            "{locale}: {list}"
        );
    }
    let card = cc(Some("a")).p("userId", "yamada").html(&w);
    assert!(card.contains(">山田太郎</h3>"), "{card}");
    for typed in ["山田太郎", "太郎山田", "太郎"] {
        let found = cc(Some("a")).p("keywords", typed).html(&w);
        assert!(found.contains(">山田太郎</a>"), "{typed}: {found}");
    }
}

/// The contact form's required fields are marked for the eye (WCAG 3.3.2), in the
/// page's language, and the mark is explained in words at the form's top; the
/// optional field is not marked.
#[test]
fn the_contact_forms_required_fields_are_marked() {
    let w = abc();
    for (locale, word) in [("en_US", "Required"), ("de_DE", "Erforderlich")] {
        let html = cc(Some("a"))
            .locale(locale)
            .p("filter", "contacts")
            .html(&w);
        let mark = format!(
            " <span class=\"reference-mark\" title=\"{word}\" aria-hidden=\"true\">*</span></label>"
        );
        for field in ["fullName", "emailAddress"] {
            let label_end = html
                .find(&format!("-{field}\" name="))
                .and_then(|at| html[..at].rfind("</label>"))
                .expect("the field's label");
            assert!(
                html[..label_end + "</label>".len()].ends_with(&mark),
                "{locale} {field}: {html}"
            );
        }
        let explained = format!(
            "<p class=\"text-secondary small\" aria-hidden=\"true\"><span class=\"reference-mark\">*</span> {word}</p>"
        );
        assert_eq!(html.matches(&explained).count(), 1, "{html}");
        // At the top of the new contact's form: before its first field.
        let form = html
            .find("entry-new\" class=\"card card-body\">")
            .expect("the form");
        let note = html.find(&explained).expect("the note");
        let first_label = form + html[form..].find("<label").expect("a label");
        assert!(form < note && note < first_label, "{html}");
        assert_eq!(html.matches("reference-mark").count(), 3, "{html}");
    }
}

/// What cannot simply be undone asks first (WCAG 3.3.4): the card's Block,
/// Disconnect and Remove Follower, the selection's Block and Disconnect and a
/// personal contact's Delete carry the question the script asks, naming whom;
/// nothing else does.
#[test]
fn blocks_disconnections_and_deletions_ask_first() {
    let w = abc();
    let card = cc(Some("a")).p("userId", "b").html(&w);
    assert!(
        card.contains(
            " data-confirm=\"Block \u{2068}Bob Baker\u{2069}? This ends your connection, any follows and any pending request between you.\" aria-describedby=\""
        ),
        "{card}"
    );
    let list = cc(Some("a")).html(&w);
    assert!(
        list.contains(" data-confirm=\"Block the selected people? This ends your connections, any follows and any pending requests between you and them.\" aria-describedby=\""),
        "{list}"
    );
    assert!(
        list.contains(" data-confirm=\"Disconnect from the selected people? Follows stay as they are. To connect again, one of you sends a request and the other confirms it.\" aria-describedby=\""),
        "{list}"
    );
    for (actor, verb) in [("a", "connect"), ("c", "connect")] {
        let other = if actor == "a" { "c" } else { "a" };
        let done = cc(Some(actor)).named(verb).p("userId", other).ok(&w);
        assert!(done.ok, "{done:?}");
    }
    let connected = cc(Some("a")).p("userId", "c").html(&w);
    assert!(
        connected.contains(
            " data-confirm=\"Disconnect from \u{2068}Cid Cole\u{2069}? Follows stay as they are. To connect again, one of you sends a request and the other confirms it.\" aria-describedby=\""
        ),
        "{connected}"
    );
    let followed = cc(Some("b")).named("follow").p("userId", "a").ok(&w);
    assert!(followed.ok, "{followed:?}");
    let follower = cc(Some("a")).p("userId", "b").html(&w);
    assert!(
        follower.contains(
            " data-confirm=\"Remove \u{2068}Bob Baker\u{2069} from your followers? Only they can start following you again.\" aria-describedby=\""
        ),
        "{follower}"
    );
    let saved = cc(Some("a"))
        .named("save-contact")
        .p("fullName", "Zoë <Zed>")
        .p("emailAddress", "zoe@example.com")
        .ok(&w);
    assert!(saved.ok, "{saved:?}");
    let contacts = cc(Some("a")).p("filter", "contacts").html(&w);
    assert!(
        contacts.contains(
            " data-confirm=\"Delete \u{2068}Zoë &lt;Zed&gt;\u{2069} from My Contacts?\" aria-describedby=\""
        ),
        "{contacts}"
    );
    // One question per such button, and none on the others; each asked by the markup
    // too, for a browser without the script.
    for (html, asks) in [
        (&card, 1),
        (&list, 2),
        (&contacts, 1),
        (&connected, 2),
        (&follower, 2),
    ] {
        assert_eq!(html.matches("data-confirm=").count(), asks, "{html}");
        assert_eq!(html.matches(" data-confirm-step>").count(), asks, "{html}");
        assert_eq!(html.matches(" data-question>").count(), asks, "{html}");
        for question in html.split(" data-confirm=\"").skip(1) {
            let question = question.split('"').next().unwrap_or_default();
            assert!(
                asks_without_the_script(html, question),
                "{question}: {html}"
            );
        }
    }
}

/// Whether the button asking `question` (as the markup writes it) sits in a disclosure
/// whose summary reads as the button does, and which shows the question before the
/// button: a browser without the script opens it with one press and acts with a second.
/// The button is described by the question (its one element of that id), which a
/// screen reader tabbing from the summary to the button reads with it.
fn asks_without_the_script(html: &str, question: &str) -> bool {
    let attribute = format!(" data-confirm=\"{question}\" aria-describedby=\"");
    let Some(at) = html.find(&attribute) else {
        return false;
    };
    let Some((id, rest)) = html[at + attribute.len()..].split_once("\">") else {
        return false;
    };
    let Some((reads, after)) = rest.split_once("</button>") else {
        return false;
    };
    let before = &html[..at];
    let Some(open) = before.rfind(
        "<details class=\"d-inline-block confirm-step\" data-confirm-step><summary class=\"",
    ) else {
        return false;
    };
    let step = &before[open..];
    !step.contains("</details>")
        && step.contains(&format!("\">{reads}</summary>"))
        && step.contains(&format!(
            "<span class=\"confirm-question\" id=\"{id}\" data-question>{question} </span>"
        ))
        && html.matches(&format!(" id=\"{id}\"")).count() == 1
        && (after.starts_with("</form></details>") || after.starts_with("</details>"))
}

/// A refusal's text speaks of "this user"; on a list, which shows no card, the page
/// the browser comes back to says whom: the one person ticked, or all of a batch
/// that was refused whole.
#[test]
fn a_refusal_on_a_list_names_whom_it_refused() {
    let w = abc();
    // Bob and Cid block Ann.
    cc(Some("b")).named("block").p("userId", "a").ok(&w);
    cc(Some("c")).named("block").p("userId", "a").ok(&w);
    let alert = |params: &[(String, String)]| {
        let mut call = cc(Some("a"));
        for (k, v) in params {
            call = call.p(k, v);
        }
        let html = call.html(&w);
        html.split("id=\"_contacts_center_outcome\" tabindex=\"-1\" autofocus>")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .unwrap_or_else(|| panic!("no outcome: {html}"))
            .to_owned()
    };
    let one = cc(Some("a"))
        .named("connect")
        .p("userIds", "b")
        .p("filter", "all")
        .ok(&w);
    assert!(!one.ok, "{one:?}");
    assert!(
        one.render_params
            .contains(&("leftOut".to_owned(), "b".to_owned())),
        "{one:?}"
    );
    let text = alert(&one.render_params);
    assert!(
        text.ends_with(" Not done for: \u{2068}Bob Baker\u{2069}."),
        "{text}"
    );
    let both = cc(Some("a"))
        .named("follow")
        .p("userIds", "b,c")
        .p("filter", "all")
        .ok(&w);
    assert!(!both.ok, "{both:?}");
    let text = alert(&both.render_params);
    assert!(
        text.ends_with(" Not done for: \u{2068}Bob Baker\u{2069}, \u{2068}Cid Cole\u{2069}."),
        "{text}"
    );
    // On the card, the card says whom; a success names its person its own way.
    let on_card = cc(Some("a"))
        .named("connect")
        .p("userIds", "b")
        .p("userId", "b")
        .ok(&w);
    assert!(
        on_card.render_params.iter().all(|(k, _)| k != "leftOut"),
        "{on_card:?}"
    );
}

/// A bulk action refused for some people names them on the page it comes back to:
/// the first five, then how many more, in the reader's language.
#[test]
fn a_partial_bulk_action_names_whom_it_left_out() {
    let w = abc();
    for (id, given) in [("d", "Dee"), ("e", "Eve"), ("f", "Fay"), ("g", "Gus")] {
        w.add(id, given, "Dunn");
    }
    let connect = |actor: &str, other: &str| {
        cc(Some(actor)).named("block").p("userId", other).ok(&w);
    };
    // Bob blocks Ann; Ann blocks Dee and Eve.
    connect("b", "a");
    connect("a", "d");
    connect("a", "e");
    let partial = cc(Some("a"))
        .named("follow")
        .p("userIds", "c,b,a,d,nobody,e,f,g")
        .p("filter", "all")
        .ok(&w);
    assert!(partial.ok, "{partial:?}");
    assert_eq!(
        partial.message,
        "your-request-completed-for-some-of-the-selected-people-only"
    );
    // Five named, in the order ticked; the sixth counted.
    let param = |name: &str| {
        partial
            .render_params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(param("leftOut").as_deref(), Some("b,a,d,nobody,e"));
    assert_eq!(param("leftOutMore"), None);
    assert_eq!(param("filter").as_deref(), Some("all"));
    let ok: Vec<(&str, bool)> = partial
        .people
        .iter()
        .map(|p| (p.user_id.as_str(), p.ok))
        .collect();
    assert_eq!(
        ok,
        [
            ("c", true),
            ("b", false),
            ("a", false),
            ("d", false),
            ("nobody", false),
            ("e", false),
            ("f", true),
            ("g", true)
        ]
    );
    assert_eq!(
        partial.people[3].message,
        "you-must-unblock-this-user-first"
    );

    let page = |locale: &str, params: &[(String, String)]| {
        let mut call = cc(Some("a")).locale(locale);
        for (k, v) in params {
            call = call.p(k, v);
        }
        let html = call.html(&w);
        // The outcome's alert, not the list's names below it.
        let alert = html
            .split("role=\"status\" id=\"_contacts_center_outcome\" tabindex=\"-1\" autofocus>")
            .nth(1)
            .and_then(|rest| rest.split("</div>").next())
            .unwrap_or_else(|| panic!("no outcome: {html}"));
        alert.to_owned()
    };
    let counted = |left_out: &str, more: &str| {
        [
            ("message".to_owned(), partial.message.clone()),
            ("leftOut".to_owned(), left_out.to_owned()),
            ("leftOutMore".to_owned(), more.to_owned()),
        ]
    };
    // The one nobody is among the others: a person no longer there has no name.
    let english = page("en_US", &partial.render_params);
    assert!(
        english.ends_with(
            "Done for some of the selected people only. \
             Not done for: \u{2068}Bob Baker\u{2069}, \u{2068}Ann Archer\u{2069}, \u{2068}Dee Dunn\u{2069}, \u{2068}Eve Dunn\u{2069} and 1 other person."
        ),
        "{english}"
    );
    let more = counted("d,e", "3");
    let chinese = page("zh_CN", &more);
    assert!(
        chinese.ends_with("仅对部分所选用户完成。未完成：\u{2068}Dee Dunn\u{2069}、\u{2068}Eve Dunn\u{2069}及另外 3 人。"),
        "{chinese}"
    );
    let german = page("de_DE", &more);
    assert!(
        german.ends_with("Nicht ausgeführt für: \u{2068}Dee Dunn\u{2069}, \u{2068}Eve Dunn\u{2069} und 3 weitere Personen."),
        "{german}"
    );
    // Parameters written by hand name no more than five, count no more than a bulk
    // action may name, and ids that are not ids name and count nobody.
    let forged = page("en_US", &counted("b,c,d,e,f,g,a", "99999999999999999999"));
    assert!(
        forged.ends_with("Not done for: \u{2068}Bob Baker\u{2069}, \u{2068}Cid Cole\u{2069}, \u{2068}Dee Dunn\u{2069}, \u{2068}Eve Dunn\u{2069}, \u{2068}Fay Dunn\u{2069}."),
        "{forged}"
    );
    let capped = page("en_US", &counted("b", "5000"));
    assert!(
        capped.ends_with("Not done for: \u{2068}Bob Baker\u{2069} and 200 other people."),
        "{capped}"
    );
    // Nobody left to name (people deleted since): how many, still.
    let gone = page("en_US", &counted("gone,nobody", "1"));
    assert!(gone.ends_with("only. Not done for 3 people."), "{gone}");
    let gone = page("ja_JP", &counted("gone", "0"));
    assert!(
        gone.ends_with("1人については完了しませんでした。"),
        "{gone}"
    );
    // A person the directory holds no name for is named by their id, as lists do.
    w.add("nameless", "", "");
    let nameless = page("en_US", &counted("nameless", "0"));
    assert!(
        nameless.ends_with("Not done for: \u{2068}nameless\u{2069}."),
        "{nameless}"
    );
    let junk = [
        ("message".to_owned(), partial.message.clone()),
        ("leftOut".to_owned(), "<b>,,".to_owned()),
    ];
    let junk = page("en_US", &junk);
    assert!(
        junk.ends_with("for some of the selected people only."),
        "{junk}"
    );
    // Without the parameters (an older link), the message alone, as before.
    let plain = page("en_US", &partial.render_params[..1]);
    assert!(
        plain.ends_with("for some of the selected people only."),
        "{plain}"
    );
}

#[test]
fn bulk_actions_on_user_ids() {
    let w = abc();
    let o = cc(Some("a")).named("follow").p("userIds", "b,c").ok(&w);
    assert!(o.ok, "{o:?}");
    // Not "You are now following this user." for two people.
    assert_eq!(o.message, "your-request-completed-successfully");
    assert_eq!(o.text, "Done for all the selected people.");
    assert!(o.relationship.is_none());
    assert!(
        cc(Some("a"))
            .html(&w)
            .contains("You are following 2 people.")
    );
    // Checkboxes send the name repeated. A batch that went through for some people
    // and was refused for others changed something: a success that says so.
    let mixed = cc(Some("a"))
        .named("unfollow")
        .p("userIds", "b")
        .p("userIds", "a")
        .ok(&w);
    assert!(mixed.ok && mixed.kind == OutcomeKind::Done, "{mixed:?}");
    assert_eq!(
        mixed.message,
        "your-request-completed-for-some-of-the-selected-people-only"
    );
    let after = cc(Some("a")).p("message", &mixed.message).html(&w);
    assert!(after.contains("You are following 1 person."), "{after}");
    // A batch that found things already as asked for everyone (a unblocks two people
    // a never blocked) changed nothing, and does not say "Done".
    let again = cc(Some("a")).named("unblock").p("userIds", "b,c").ok(&w);
    assert!(again.ok, "{again:?}");
    assert_eq!(
        again.message,
        "nothing-changed-it-was-already-so-for-the-selected-people"
    );
    assert_eq!(
        again.text,
        "Nothing changed: it was already so for all the selected people."
    );
    // One changed and one already so: something changed, so done for all.
    let mixed = cc(Some("a")).named("follow").p("userIds", "b,c").ok(&w);
    assert_eq!(mixed.message, "your-request-completed-successfully");
    // As it was: a follows c, not b.
    assert!(cc(Some("a")).named("unfollow").p("userId", "b").ok(&w).ok);
    let shown = cc(Some("a")).p("message", &again.message).html(&w);
    assert!(
        shown.contains("alert-success") && shown.contains("Nothing changed: it was already so"),
        "{shown}"
    );
    assert!(
        after.contains("alert-warning") && after.contains("for some of the selected people only"),
        "{after}"
    );
    // One box ticked in a list's toolbar comes back to that list, as several do; a
    // card's own form comes back to the card.
    let ticked = cc(Some("a"))
        .named("follow")
        .p("userIds", "b")
        .p("filter", "following")
        .ok(&w);
    assert_eq!(
        ticked.render_params,
        [
            ("message".to_owned(), ticked.message.clone()),
            ("messageUserId".to_owned(), "b".to_owned()),
            ("filter".to_owned(), "following".to_owned())
        ]
    );
    // With no card to show whom, the list's message names them, in its language.
    let page = |locale: &str| {
        ticked
            .render_params
            .iter()
            .fold(cc(Some("a")).locale(locale), |call, (k, v)| call.p(k, v))
            .html(&w)
    };
    assert!(
        page("en_US").contains("You are now following \u{2068}Bob Baker\u{2069}."),
        "{}",
        page("en_US")
    );
    assert!(
        page("de_DE").contains("Sie folgen jetzt \u{2068}Bob Baker\u{2069}."),
        "{}",
        page("de_DE")
    );
    // Pressed again, nothing changes, and the list still says of whom.
    let again = cc(Some("a"))
        .named("follow")
        .p("userIds", "b")
        .p("filter", "following")
        .ok(&w);
    assert_eq!(again.message, "you-are-already-following-this-user");
    assert!(
        again
            .render_params
            .contains(&("messageUserId".to_owned(), "b".to_owned())),
        "{again:?}"
    );
    let page = again
        .render_params
        .iter()
        .fold(cc(Some("a")).locale("fr_FR"), |call, (k, v)| call.p(k, v))
        .html(&w);
    assert!(
        page.contains("Vous suivez déjà \u{2068}Bob Baker\u{2069}."),
        "{page}"
    );
    let card = cc(Some("a")).named("unfollow").p("userId", "b").ok(&w);
    assert!(card.render_params.contains(&("userId".into(), "b".into())));
    // When every target is refused nothing changed: the first refusal gives the
    // status, each target's result its reason, and the answer's words are the
    // batch's, not those of one person's refusal ("yourself" is untrue of "nobody").
    let refused = cc(Some("a"))
        .named("unfollow")
        .p("userIds", "a,nobody")
        .ok(&w);
    assert!(
        !refused.ok && refused.kind == OutcomeKind::Invalid,
        "{refused:?}"
    );
    assert_eq!(refused.message, "nothing-was-done-for-the-selected-people");
    assert_eq!(refused.text, "Nothing was done.");
    let reasons: Vec<(&str, &str)> = refused
        .people
        .iter()
        .map(|p| (p.user_id.as_str(), p.message.as_str()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("a", "you-cannot-do-this-to-yourself"),
            ("nobody", "the-user-could-not-be-found")
        ],
        "{refused:?}"
    );
    // The page does not give the first refusal's words, which speak of one person
    // and of one reason: it says that nothing was done, and for whom.
    let page = refused
        .render_params
        .iter()
        .fold(cc(Some("a")), |call, (k, v)| call.p(k, v))
        .html(&w);
    assert!(
        page.contains(
            "Nothing was done. Not done for: \u{2068}Ann Archer\u{2069} and 1 other person."
        ),
        "{page}"
    );
    assert!(!page.contains("yourself"), "{page}");
    assert!(
        cc(Some("a"))
            .html(&w)
            .contains("You are following 1 person.")
    );
    // The list offers the selection form: checkboxes and one button per action, in
    // the card's order.
    let html = cc(Some("a")).html(&w);
    assert!(
        html.contains("name=\"_contacts_center_userIds\" value=\"b\""),
        "{html}"
    );
    let toolbar: Vec<&str> = html
        .split("formaction=\"https://host.test/actions/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert_eq!(
        toolbar,
        [
            "connect",
            "disconnect",
            "follow",
            "unfollow",
            "block",
            "unblock"
        ]
    );
    assert!(html.contains("form=\"_contacts_center_bulk\""));
    assert!(
        html.contains(
            "formaction=\"https://host.test/actions/connect\" name=\"p_auth\" value=\"tok-connect\""
        ),
        "{html}"
    );
    assert!(
        !html.contains("value=\"a\" id="),
        "the viewer is not selectable"
    );
}

#[test]
fn personal_contacts_add_edit_delete() {
    let w = abc();
    let add = cc(Some("a"))
        .named("save-contact")
        .p("fullName", "Dora Diaz")
        .p("emailAddress", "dora@example.com")
        .p("comments", "met at <conf>")
        .ok(&w);
    assert_eq!(
        (add.ok, add.message.as_str()),
        (true, "you-have-successfully-added-a-new-contact")
    );
    let html = cc(Some("a")).p("filter", "contacts").html(&w);
    // The comment in the list, not only in its edit form's field.
    assert!(
        html.contains("Dora Diaz")
            && html.contains("<p class=\"list-group-text\" dir=\"auto\">met at &lt;conf&gt;</p>"),
        "{html}"
    );
    assert!(html.contains("You have 1 contact."));
    assert!(
        html.contains(">Delete<span class=\"sr-only\"> Dora Diaz</span></button>"),
        "the delete button names its contact to screen readers: {html}"
    );
    // A placement that hides comments hides them in its JSON as in its list.
    let entries = |instance: &str| -> Value {
        serde_json::from_slice(
            &cc(Some("a"))
                .instance(instance)
                .named("contacts")
                .p("filter", "contacts")
                .resource(&w)
                .expect("contacts")
                .body,
        )
        .expect("json")
    };
    let quiet = "contacts_center_INSTANCE_quiet";
    assert_eq!(entries(quiet)["items"][0]["comments"], "met at <conf>");
    let saved = cc(Some("a"))
        .instance(quiet)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .ok(&w);
    assert!(saved.ok);
    assert!(entries(quiet)["items"][0].get("comments").is_none());
    let list = cc(Some("a"))
        .instance(quiet)
        .p("filter", "contacts")
        .html(&w);
    assert!(!list.contains("class=\"list-group-text\""), "{list}");
    let entry = w.social.read().expect("r").entries("a").expect("entries")[0]
        .entry_id
        .to_string();
    let dup = cc(Some("a"))
        .named("save-contact")
        .p("fullName", "Other")
        .p("emailAddress", "dora@example.com")
        .ok(&w);
    assert_eq!((dup.ok, dup.kind), (false, OutcomeKind::Conflict));
    let bad = cc(Some("a"))
        .named("save-contact")
        .p("fullName", "X")
        .p("emailAddress", "nope")
        .ok(&w);
    assert_eq!(
        (bad.kind, bad.message.as_str()),
        (OutcomeKind::Invalid, "please-enter-a-valid-email-address")
    );
    let nameless = cc(Some("a"))
        .named("save-contact")
        .p("emailAddress", "z@example.com")
        .ok(&w);
    assert_eq!(nameless.message, "full-name-cannot-be-empty");
    let edit = cc(Some("a"))
        .named("save-contact")
        .p("entryId", &entry)
        .p("fullName", "Dora D. Diaz")
        .p("emailAddress", "dora@example.com")
        .ok(&w);
    assert_eq!(edit.message, "you-have-successfully-updated-the-contact");
    assert!(
        cc(Some("a"))
            .p("filter", "contacts")
            .html(&w)
            .contains("Dora D. Diaz")
    );
    // Another person's contact is not deleted, and the answer is a second Delete's,
    // so that trying ids tells nobody whose they are.
    let other_owner = cc(Some("b"))
        .named("delete-contact")
        .p("entryId", &entry)
        .ok(&w);
    assert_eq!(
        (other_owner.ok, other_owner.message.as_str()),
        (true, "the-contact-was-deleted")
    );
    assert!(
        cc(Some("a"))
            .p("filter", "contacts")
            .html(&w)
            .contains("Dora D. Diaz")
    );
    let del = cc(Some("a"))
        .named("delete-contact")
        .p("entryId", &entry)
        .ok(&w);
    assert_eq!(del.message, "the-contact-was-deleted");
    assert!(
        cc(Some("a"))
            .p("filter", "contacts")
            .html(&w)
            .contains("You have no contacts.")
    );
    // Pressed again (no script, a portal's retry): done, not "could not be found".
    let again = cc(Some("a"))
        .named("delete-contact")
        .p("entryId", &entry)
        .ok(&w);
    assert_eq!(
        (again.ok, again.message.as_str()),
        (true, "the-contact-was-deleted")
    );
    // An id never handed out is still unknown.
    let unknown = cc(Some("a"))
        .named("delete-contact")
        .p("entryId", "999999")
        .ok(&w);
    assert_eq!((unknown.ok, unknown.kind), (false, OutcomeKind::NotFound));
}

#[test]
fn hostile_names_are_escaped_in_html_and_vcard() {
    let w = world();
    w.add("a", "Ann", "Archer");
    let mut evil = person("evil", "<script>alert(1)</script>", "Eve");
    evil.job_title = "Boss\r\nX-INJECTED:1\r\nEND:VCARD".to_owned();
    evil.image = Some("javascript:alert(1)".to_owned());
    w.social.upsert_person(evil).expect("upsert");
    for html in [
        cc(Some("a")).html(&w),
        cc(Some("a")).p("userId", "evil").html(&w),
    ] {
        assert!(!html.contains("<script>alert"), "{html}");
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
        assert!(!html.contains("javascript:"), "{html}");
    }
    let card = cc(Some("a"))
        .named("vcard")
        .p("userId", "evil")
        .resource(&w)
        .expect("vcard");
    let text = String::from_utf8(card.body).expect("utf-8");
    let unfolded = widget_host::vcard::unfold(&text);
    assert!(
        !unfolded.lines().any(|l| l.starts_with("X-INJECTED")),
        "{text}"
    );
    assert_eq!(
        unfolded.lines().filter(|l| *l == "END:VCARD").count(),
        1,
        "{text}"
    );
    assert!(unfolded.contains("<script>alert(1)</script>"));
}

#[test]
fn message_param_shows_only_known_keys() {
    let w = abc();
    let known = cc(Some("a"))
        .p("message", "you-are-now-following-this-user")
        .html(&w);
    assert!(known.contains("class=\"alert alert-success text-break\""));
    assert!(known.contains("You are now following this user."));
    let refusal = cc(Some("a"))
        .p("message", "you-must-unblock-this-user-first")
        .html(&w);
    assert!(refusal.contains("alert-danger"));
    // The contact limit's refusal says what the limit is, in the reader's numbers,
    // in both widgets.
    for (call, locale, limit) in [
        (cc(Some("a")), "en_US", "You can keep up to 1,000 contacts."),
        (
            cc(Some("a")),
            "de_DE",
            "Sie können bis zu 1.000 Kontakte speichern.",
        ),
        (
            notes(Some("a")),
            "en_US",
            "You can keep up to 1,000 contacts.",
        ),
    ] {
        let html = call
            .p("message", "you-cannot-add-more-contacts")
            .locale(locale)
            .html(&w);
        assert!(html.contains(limit), "{locale}: {html}");
        assert!(!html.contains("{0}"), "{html}");
    }
    for junk in ["<b>pwned</b>", "contacts-center", "Arbitrary text"] {
        let html = cc(Some("a")).p("message", junk).html(&w);
        assert!(!html.contains("class=\"alert"), "{junk}");
        assert!(
            !html.contains("pwned") && !html.contains("Arbitrary"),
            "{junk}"
        );
    }
}

#[test]
fn every_scoped_attribute_carries_the_instance_namespace() {
    let w = abc();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    cc(Some("c")).named("connect").p("userId", "a").ok(&w);
    cc(Some("a"))
        .named("save-contact")
        .p("fullName", "Dora")
        .p("emailAddress", "d@example.com")
        .ok(&w);
    // Portal-level fields are un-namespaced by contract (section 3).
    let portal_level = ["p_auth", "p_p_id", "p_p_lifecycle"];
    for instance in [
        "contacts_center_INSTANCE_one",
        "contacts_center_INSTANCE_two",
    ] {
        let ns = format!("_{instance}_");
        let base = cc(Some("a")).instance(instance);
        let pages = [
            base.clone().html(&w),
            base.clone().p("filter", "requests").html(&w),
            base.clone().p("filter", "contacts").html(&w),
            base.clone().p("userId", "b").html(&w),
            base.clone().admin().mode(PortletMode::Edit).html(&w),
        ];
        for html in pages {
            let attrs = scoped_attributes(&html);
            assert!(attrs.len() > 3, "{html}");
            for value in attrs {
                assert!(
                    value.starts_with(&ns) || portal_level.contains(&value.as_str()),
                    "{value:?} lacks {ns}"
                );
            }
            assert!(html.contains("class=\"contacts-center-portlet\""));
        }
    }
}

#[test]
fn search_box_works_as_get_and_over_rewritten_urls() {
    let w = abc();
    let html = cc(Some("a")).html(&w);
    assert!(
        html.contains("method=\"get\" action=\"https://portal.test/web/page\""),
        "{html}"
    );
    assert!(html.contains("<input type=\"hidden\" name=\"p_p_id\" value=\"cc\">"));
    assert!(
        html.contains("<input type=\"hidden\" name=\"_contacts_center_filter\" value=\"all\">")
    );
    let found = cc(Some("a")).p("keywords", "cid").html(&w);
    assert!(
        found.contains("Cid Cole") && !found.contains("Bob Baker"),
        "{found}"
    );
    // The search landmark names the list it searches: everyone's, or a tab's.
    assert!(
        html.contains("role=\"search\" aria-label=\"Search\""),
        "{html}"
    );
    for (filter, locale, label) in [
        ("connections", "en_US", "Search: Connections"),
        ("blocked", "en_US", "Search: Blocked"),
        ("contacts", "de_DE", "Suchen: Meine Kontakte"),
        ("requests", "en_US", "Search"),
    ] {
        let tab = cc(Some("a")).p("filter", filter).locale(locale).html(&w);
        assert!(
            tab.contains(&format!("role=\"search\" aria-label=\"{label}\"")),
            "{filter}: {tab}"
        );
    }

    let mut wsrp = cc(Some("a"));
    wsrp.rewritten = true;
    let html = wsrp.html(&w);
    assert!(
        html.contains("method=\"post\" action=\"https://host.test/actions/search\""),
        "{html}"
    );
    let o = cc(Some("a"))
        .named("search")
        .p("keywords", " cid ")
        .p("filter", "following")
        .ok(&w);
    assert_eq!(
        o.render_params,
        [
            ("filter".to_owned(), "following".to_owned()),
            ("keywords".to_owned(), "cid".to_owned())
        ],
        "each once"
    );
}

/// An action taken after "View more" added pages comes back with the rows the list
/// had (`rows`, which the script sends in place of the form's `cursor`): the first
/// page is that long, its forms and links carry it, and "View more" goes on after
/// it. A `cursor` beside it, or a count out of range, leaves the page as it was.
#[test]
fn an_action_after_view_more_comes_back_with_the_rows_shown() {
    let w = abcd_two_a_page();
    let three = cc(Some("a")).p("rows", "3").html(&w);
    for name in ["Ann Archer", "Bob Baker", "Cid Cole"] {
        assert!(three.contains(name), "{name}: {three}");
    }
    assert!(!three.contains("Dan Dunn"), "{three}");
    // Its forms carry the rows, so an answer without the script shows them again,
    // and "View more" goes on after the third.
    assert!(
        three.contains("name=\"_contacts_center_rows\" value=\"3\""),
        "{three}"
    );
    assert!(three.contains("_contacts_center_cursor="), "{three}");
    // Fewer than a page is a page.
    let one = cc(Some("a")).p("rows", "1").html(&w);
    assert!(
        one.contains("Bob Baker") && !one.contains("Cid Cole"),
        "{one}"
    );
    // A cursor beside it, or a count out of range, is the page as it was.
    for (rows, cursor) in [("201", None), ("x", None), ("3", Some("junk"))] {
        let mut call = cc(Some("a")).p("rows", rows);
        if let Some(c) = cursor {
            call = call.p("cursor", c);
        }
        let page = call.html(&w);
        assert!(
            page.contains("Bob Baker") && !page.contains("Cid Cole"),
            "{rows}: {page}"
        );
        assert!(!page.contains("_contacts_center_rows"), "{rows}: {page}");
    }
    // The answer to an action keeps them.
    let done = cc(Some("a"))
        .named("follow")
        .p("userId", "c")
        .p("filter", "all")
        .p("rows", "3")
        .ok(&w);
    assert!(done.ok, "{done:?}");
    assert!(
        done.render_params.contains(&("rows".into(), "3".into())),
        "{:?}",
        done.render_params
    );
}

#[test]
fn pagination_view_more_carries_the_cursor() {
    let w = abcd_two_a_page();
    let first = cc(Some("a")).html(&w);
    assert!(
        first.contains("Ann Archer") && first.contains("Bob Baker") && !first.contains("Cid Cole")
    );
    let start = first
        .find("_contacts_center_cursor=")
        .expect("view more link")
        + "_contacts_center_cursor=".len();
    let cursor: String = first[start..]
        .chars()
        .take_while(|c| *c != '&' && *c != '"')
        .collect();
    let second = cc(Some("a")).p("cursor", &cursor).html(&w);
    assert!(
        second.contains("Cid Cole") && second.contains("Dan Dunn") && !second.contains("Bob Baker")
    );
    // JSON page resource, same cursor.
    let page: Value = serde_json::from_slice(
        &cc(Some("a"))
            .named("contacts")
            .resource(&w)
            .expect("contacts")
            .body,
    )
    .expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["items"][0]["userId"], "a");
    assert_eq!(page["items"][1]["relationship"]["following"], false);
    let next = page["nextCursor"].as_str().expect("cursor").to_owned();
    let rest: Value = serde_json::from_slice(
        &cc(Some("a"))
            .named("contacts")
            .p("cursor", &next)
            .resource(&w)
            .expect("page 2")
            .body,
    )
    .expect("json");
    assert_eq!(rest["items"][0]["userId"], "c");
    assert!(rest["nextCursor"].is_null());
    assert!(matches!(
        cc(Some("a"))
            .named("contacts")
            .p("cursor", "%%garbage")
            .resource(&w),
        Err(WidgetError::BadRequest { .. })
    ));
    assert!(matches!(
        cc(Some("a"))
            .named("contacts")
            .p("filter", "bogus")
            .resource(&w),
        Err(WidgetError::BadRequest { .. })
    ));
}

/// The query value of `name` in the href of the link whose id is `id`.
fn link_param(html: &str, id: &str, name: &str) -> Option<String> {
    let at = html.find(&format!("id=\"_contacts_center_{id}\""))?;
    let href_at = html[..at].rfind("href=\"")? + "href=\"".len();
    let href = html[href_at..].split('"').next()?.replace("&amp;", "&");
    let query = href.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == &format!("_contacts_center_{name}"))
        .map(|(_, v)| v.into_owned())
}

/// The first link of `html` whose address contains `needle`, unescaped.
fn link_with(html: &str, needle: &str) -> String {
    html.split("href=\"")
        .map(|h| {
            h.split('"')
                .next()
                .unwrap_or_default()
                .replace("&amp;", "&")
        })
        .find(|h| h.contains(needle))
        .unwrap_or_else(|| panic!("a link with {needle} in {html}"))
}

/// The first form of `html` that `pick` chooses, up to its end.
fn form_where<'h>(html: &'h str, what: &str, pick: impl Fn(&str) -> bool) -> &'h str {
    let form = html
        .split("<form")
        .find(|form| pick(form))
        .unwrap_or_else(|| panic!("{what} in {html}"));
    &form[..form.find("</form>").expect("form end")]
}

/// A person opened from a list comes back to that list: their link carries the
/// list's filter, and so does their card's Back link. From All, neither does.
#[test]
fn a_card_opened_from_a_list_goes_back_to_that_list() {
    let w = abc();
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    let following = cc(Some("a")).p("filter", "following").html(&w);
    let link = link_with(&following, "_contacts_center_userId=b");
    assert!(link.contains("_contacts_center_filter=following"), "{link}");
    let card = cc(Some("a"))
        .p("userId", "b")
        .p("filter", "following")
        .html(&w);
    assert_eq!(
        link_param(&card, "back", "filter").as_deref(),
        Some("following")
    );
    let all = cc(Some("a")).html(&w);
    let row = link_with(&all, "_contacts_center_userId=b");
    assert!(!row.contains("filter"), "{row}");
    let card = cc(Some("a")).p("userId", "b").html(&w);
    let back = card.find("id=\"_contacts_center_back\"").expect("back");
    let href = &card[card[..back].rfind("href=\"").expect("href")..back];
    assert!(!href.contains("filter"), "{href}");
}

/// What a list begun again says above it (a View More whose page is gone).
const RESTARTED_NOTE: &str = "<p class=\"text-secondary small\" role=\"status\" id=\"_contacts_center_restarted\">The list has changed since it was shown: it starts again from the beginning.</p>";

/// The element a card's Back link lands on (`id="…returned"`): its opening tag's name
/// and its markup up to its end, or up to the tag's end for one that is not a row.
fn landed_on(html: &str) -> Option<(&str, &str)> {
    let id = "id=\"_contacts_center_returned\"";
    let at = html.find(id)?;
    assert_eq!(html.matches(id).count(), 1, "one landing: {html}");
    let start = html[..at].rfind('<').expect("its tag");
    let tag = html[start + 1..].split([' ', '>']).next().expect("a name");
    let end = match tag {
        "li" => start + html[start..].find("</li>").expect("the row's end"),
        _ => at + html[at..].find('>').expect("the tag's end"),
    };
    Some((tag, &html[start..end]))
}

/// A card's Back lands on the row the card was opened from, not at the top of the
/// list: its link names the person (`from`) and ends at the id their row then
/// carries. Someone no longer on that page of the list leaves the landing to the
/// filters above it (a page owner's list: its title); a page reached any other way,
/// or with a `from` that cannot be anyone's id, has none.
#[test]
fn back_from_a_card_lands_on_the_row_it_was_opened_from() {
    let w = abc();
    w.add("d", "Dan", "Dunn");
    for other in ["b", "c"] {
        assert!(cc(Some("a")).named("follow").p("userId", other).ok(&w).ok);
    }
    let card = cc(Some("a"))
        .p("userId", "c")
        .p("filter", "following")
        .html(&w);
    assert_eq!(link_param(&card, "back", "from").as_deref(), Some("c"));
    assert_eq!(
        link_param(&card, "back", "filter").as_deref(),
        Some("following")
    );
    let back = card.find("id=\"_contacts_center_back\"").expect("back");
    let href = &card[card[..back].rfind("href=\"").expect("href")..back];
    assert!(href.ends_with("#_contacts_center_returned\" "), "{href}");

    let following = |from: &str| {
        cc(Some("a"))
            .p("filter", "following")
            .p("from", from)
            .html(&w)
    };
    let list = following("c");
    let (tag, row) = landed_on(&list).expect("a landing");
    assert_eq!(tag, "li", "{row}");
    assert!(
        row.contains(">Cid Cole</a>") && !row.contains("Bob Baker"),
        "{row}"
    );
    // Cid has left the list: the filters above it, where the reader came back to.
    assert!(cc(Some("a")).named("unfollow").p("userId", "c").ok(&w).ok);
    let list = following("c");
    let (tag, nav) = landed_on(&list).expect("a landing");
    assert_eq!(tag, "nav", "{nav}");
    assert!(nav.contains("aria-label=\"Filters\""), "{nav}");
    assert!(list.contains(">Bob Baker</a>"), "{list}");
    // No landing without a card to come back from, nor for what is nobody's id.
    for plain in [
        cc(Some("a")).p("filter", "following").html(&w),
        following("<b>"),
        following(""),
    ] {
        assert_eq!(landed_on(&plain), None, "{plain}");
    }
    // A sent request's row, on the requests page.
    assert!(cc(Some("a")).named("connect").p("userId", "d").ok(&w).ok);
    let requests = cc(Some("a"))
        .p("filter", "requests")
        .p("from", "d")
        .html(&w);
    let (tag, row) = landed_on(&requests).expect("a landing");
    assert_eq!(tag, "li", "{row}");
    assert!(row.contains(">Dan Dunn</a>"), "{row}");
    let sent = requests
        .find("id=\"_contacts_center_sent\"")
        .expect("the sent list");
    assert!(
        requests
            .find("_contacts_center_returned")
            .expect("the landing")
            > sent,
        "{requests}"
    );
    // A page owner's list: the row, else the list's title.
    assert!(cc(Some("b")).named("connect").p("userId", "c").ok(&w).ok);
    let id = request_id(&w, "c");
    assert!(
        cc(Some("c"))
            .named("accept-request")
            .p("requestId", &id)
            .ok(&w)
            .ok
    );
    let owner = cc(Some("a")).owner("b").p("from", "c").html(&w);
    let (tag, row) = landed_on(&owner).expect("a landing");
    assert_eq!(tag, "li", "{row}");
    assert!(row.contains(">Cid Cole</a>"), "{row}");
    let owner = cc(Some("a")).owner("b").p("from", "d").html(&w);
    let (tag, _) = landed_on(&owner).expect("a landing");
    assert_eq!(tag, "span", "{owner}");
    assert!(
        owner.contains(
            "<span id=\"_contacts_center_returned\"></span>\n<h3 class=\"sheet-title text-break\" id=\"_contacts_center_owner-title\">"
        ),
        "{owner}"
    );
    assert_eq!(landed_on(&cc(Some("a")).owner("b").html(&w)), None);
}

/// A person opened from a later page of a list comes back to that page: their link,
/// their card's Back link and forms, the page's toolbar and the answer to an action
/// keep the list's cursor. A cursor that is not one is dropped, not copied into every link.
#[test]
fn a_card_opened_from_a_later_page_goes_back_to_that_page() {
    let w = abcd_two_a_page();
    let first = cc(Some("a")).html(&w);
    let cursor = link_param(&first, "view-more", "cursor").expect("a second page");
    let second = cc(Some("a")).p("cursor", &cursor).html(&w);
    let link = link_with(&second, "_contacts_center_userId=c");
    assert!(
        link.contains(&format!("_contacts_center_cursor={cursor}")),
        "{link}"
    );
    // The page's toolbar carries the cursor, and its answer comes back there too.
    let toolbar = form_where(&second, "the second page's toolbar form", |form| {
        form.contains("id=\"_contacts_center_bulk\"")
    });
    assert!(
        toolbar.contains(&format!("_contacts_center_cursor\" value=\"{cursor}\"")),
        "{toolbar}"
    );
    let card = cc(Some("a")).p("userId", "c").p("cursor", &cursor).html(&w);
    assert_eq!(link_param(&card, "back", "cursor"), Some(cursor.clone()));
    let back = cc(Some("a")).p("cursor", &cursor).html(&w);
    assert!(
        back.contains("Cid Cole") && !back.contains("Bob Baker"),
        "Back shows the page the card was opened from: {back}"
    );
    let follow = form_where(&card, "the card's follow form", |form| {
        form.contains("actions/follow")
    });
    assert!(
        follow.contains(&format!("_contacts_center_cursor\" value=\"{cursor}\"")),
        "{follow}"
    );
    let o = cc(Some("a"))
        .named("follow")
        .p("userId", "c")
        .p("cursor", &cursor)
        .ok(&w);
    assert!(
        o.render_params.contains(&("cursor".into(), cursor.clone())),
        "{:?}",
        o.render_params
    );
    for forged in ["<b>", "a b", &"A".repeat(513)] {
        let card = cc(Some("a")).p("userId", "c").p("cursor", forged).html(&w);
        assert_eq!(link_param(&card, "back", "cursor"), None, "{forged}");
    }
}

/// A person found by a search comes back to that search: their link, their card's
/// Back link and forms, the list's toolbar and the answer to an action all keep the
/// keywords (and the filter), so that acting on a result does not lose the search.
#[test]
fn a_search_is_kept_through_a_card_and_an_action() {
    let w = abc();
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    let found = cc(Some("a"))
        .p("filter", "following")
        .p("keywords", "bak")
        .html(&w);
    let link = link_with(&found, "_contacts_center_userId=b");
    for kept in [
        "_contacts_center_filter=following",
        "_contacts_center_keywords=bak",
    ] {
        assert!(link.contains(kept), "{kept} in {link}");
    }
    let toolbar = form_where(&found, "the list's toolbar form", |form| {
        form.contains("id=\"_contacts_center_bulk\"")
    });
    assert!(
        toolbar.contains("name=\"_contacts_center_keywords\" value=\"bak\""),
        "the toolbar's form keeps the search: {toolbar}"
    );
    let card = cc(Some("a"))
        .p("userId", "b")
        .p("filter", "following")
        .p("keywords", "bak")
        .html(&w);
    assert_eq!(
        link_param(&card, "back", "keywords").as_deref(),
        Some("bak")
    );
    assert_eq!(
        link_param(&card, "back", "filter").as_deref(),
        Some("following")
    );
    let unfollow = form_where(&card, "the card's unfollow form", |form| {
        form.contains("unfollow") && form.contains("userId")
    });
    assert!(
        unfollow.contains("_contacts_center_keywords\" value=\"bak\""),
        "{unfollow}"
    );
    for (target, ticked) in [("userId", false), ("userIds", true)] {
        let o = cc(Some("a"))
            .named("unfollow")
            .p(target, "b")
            .p("filter", "following")
            .p("keywords", "bak")
            .ok(&w);
        assert!(o.ok, "{o:?}");
        assert!(
            o.render_params.contains(&("keywords".into(), "bak".into())),
            "{target}: {:?}",
            o.render_params
        );
        assert_eq!(
            o.render_params.contains(&("userId".into(), "b".into())),
            !ticked
        );
        cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    }
    // Without a search, nothing names one.
    let plain = cc(Some("a")).p("userId", "b").html(&w);
    assert!(!plain.contains("_contacts_center_keywords"), "{plain}");
}

#[test]
fn sent_and_received_requests_each_page_on() {
    let w = abc();
    for (id, given) in [("d", "Dan"), ("e", "Eve"), ("f", "Fay"), ("g", "Gil")] {
        w.add(id, given, "Zed");
    }
    w.social
        .save_preferences(
            "contacts_center",
            [("pageSize".to_owned(), vec!["2".to_owned()])].into(),
        )
        .expect("prefs");
    // Ann asks Bob, Cid and Dan; Eve, Fay and Gil ask Ann.
    for other in ["b", "c", "d"] {
        cc(Some("a")).named("connect").p("userId", other).ok(&w);
    }
    for other in ["e", "f", "g"] {
        cc(Some(other)).named("connect").p("userId", "a").ok(&w);
    }
    let first = cc(Some("a")).p("filter", "requests").html(&w);
    assert!(first.contains("Bob Baker") && first.contains("Cid Cole"));
    assert!(!first.contains("Dan Zed"), "two sent requests a page");
    // Received requests come newest first: Gil asked last.
    assert!(first.contains("Gil Zed") && first.contains("Fay Zed"));
    assert!(!first.contains("Eve Zed"), "two received requests a page");
    assert!(first.find("Gil Zed") < first.find("Fay Zed"), "{first}");
    // Each of the four rows says when its request was sent, as a `<time>`.
    assert_eq!(dates(&first).len(), 4, "{first}");
    // Rows repeat their buttons: each names, to screen readers, whom it acts on, by
    // name and job title, which tells two people of one name apart as the row does.
    for (button, who) in [
        ("Confirm", "Gil Zed, Engineer"),
        ("Ignore", "Fay Zed, Engineer"),
        ("Withdraw", "Bob Baker, Engineer"),
    ] {
        assert!(
            first.contains(&format!(
                ">{button}<span class=\"sr-only\"> {who}</span></button>"
            )),
            "{button} {who}: {first}"
        );
    }
    // Someone without a job title is named alone.
    let mut untitled = person("g", "Gil", "Zed");
    untitled.job_title = " \u{200b} ".into();
    w.social.upsert_person(untitled).expect("upsert");
    let again = cc(Some("a")).p("filter", "requests").html(&w);
    assert!(
        again.contains(">Confirm<span class=\"sr-only\"> Gil Zed</span></button>"),
        "{again}"
    );
    assert_eq!(
        link_param(&first, "view-more", "filter").as_deref(),
        Some("requests")
    );
    assert_eq!(
        link_param(&first, "sent-more", "filter").as_deref(),
        Some("requests-sent")
    );
    // The two "View More" name, to screen readers, the list each goes on with.
    assert!(
        first.contains("View More<span class=\"sr-only\"> Requests</span></a>"),
        "{first}"
    );
    assert!(
        first.contains("View More<span class=\"sr-only\"> Sent Requests</span></a>"),
        "{first}"
    );
    // Each list's "View More" sits right below that list.
    let at = |needle: &str| first.find(needle).unwrap_or_else(|| panic!("{needle}"));
    assert!(at("Fay Zed") < at("id=\"_contacts_center_view-more\""));
    assert!(at("id=\"_contacts_center_view-more\"") < at("id=\"_contacts_center_sent\""));
    assert!(at("Cid Cole") < at("id=\"_contacts_center_sent-more\""));
    let sent_cursor = link_param(&first, "sent-more", "cursor").expect("sent cursor");
    let sent_page = cc(Some("a"))
        .p("filter", "requests-sent")
        .p("cursor", &sent_cursor)
        .html(&w);
    assert!(
        sent_page.contains("Dan Zed"),
        "the third sent request is reachable"
    );
    // Still the Requests tab: its second list, paged on its own.
    assert!(
        sent_page.contains("filter=requests\" aria-current=\"page\">"),
        "{sent_page}"
    );
    assert!(!sent_page.contains("Bob Baker") && !sent_page.contains("Cid Cole"));
    // Withdrawn there, the answer comes back to that page, not to the tab's first.
    let withdraw = form_where(&sent_page, "Dan's withdraw form", |form| {
        form.contains("withdraw-request")
    });
    assert!(
        withdraw.contains("name=\"_contacts_center_filter\" value=\"requests-sent\"")
            && withdraw.contains(&format!(
                "name=\"_contacts_center_cursor\" value=\"{sent_cursor}\""
            )),
        "{withdraw}"
    );
    let dan = request_id(&w, "d");
    let withdrawn = cc(Some("a"))
        .named("withdraw-request")
        .p("requestId", &dan)
        .p("filter", "requests-sent")
        .p("cursor", &sent_cursor)
        .ok(&w);
    assert!(withdrawn.ok, "{withdrawn:?}");
    assert!(
        withdrawn
            .render_params
            .contains(&("filter".into(), "requests-sent".into()))
            && withdrawn
                .render_params
                .contains(&("cursor".into(), sent_cursor.clone())),
        "{:?}",
        withdrawn.render_params
    );
    assert!(
        link_param(&sent_page, "sent-more", "cursor").is_none(),
        "the last page of sent requests has no link on"
    );
    let received_cursor = link_param(&first, "view-more", "cursor").expect("received cursor");
    let received_page = cc(Some("a"))
        .p("filter", "requests")
        .p("cursor", &received_cursor)
        .html(&w);
    assert!(received_page.contains("Eve Zed"));
    assert!(!received_page.contains("Gil Zed") && !received_page.contains("Fay Zed"));

    // A side with no requests has no heading above the other side's list; with
    // neither, the received side's heading holds the empty text.
    w.add("h", "Hal", "Zed");
    let (received, sent) = (
        "<h3 class=\"sheet-subtitle\">Requests</h3>",
        "<h3 class=\"sheet-subtitle\">Sent Requests</h3>",
    );
    let only_sent = cc(Some("e")).p("filter", "requests").html(&w);
    assert!(
        !only_sent.contains(received) && only_sent.contains(sent),
        "{only_sent}"
    );
    let only_received = cc(Some("b")).p("filter", "requests").html(&w);
    assert!(
        only_received.contains(received) && !only_received.contains(sent),
        "{only_received}"
    );
    let neither = cc(Some("h")).p("filter", "requests").html(&w);
    assert!(neither.contains(received), "{neither}");
    assert!(
        neither.contains("You have no pending requests."),
        "{neither}"
    );
}

/// My Contacts' "View More" sits right below its list, above the form that adds a
/// contact, and each contact's "Edit" and "Update Contact" name whose contact they
/// edit; the disclosure and the button it opens have different names.
#[test]
fn my_contacts_view_more_follows_the_list_and_each_update_names_its_contact() {
    let w = abc();
    w.social
        .save_preferences(
            "contacts_center",
            [("pageSize".to_owned(), vec!["2".to_owned()])].into(),
        )
        .expect("prefs");
    for (name, email) in [
        ("Eve Eden", "eve@example.com"),
        ("Fay Fox", "fay@example.com"),
        ("Gil Gray", "gil@example.com"),
    ] {
        cc(Some("a"))
            .named("save-contact")
            .p("fullName", name)
            .p("emailAddress", email)
            .ok(&w);
    }
    let html = cc(Some("a")).p("filter", "contacts").html(&w);
    let at = |needle: &str| {
        html.find(needle)
            .unwrap_or_else(|| panic!("{needle} in {html}"))
    };
    let list_end = at("id=\"_contacts_center_entries\"")
        + html[at("id=\"_contacts_center_entries\"")..]
            .find("</ul>")
            .expect("list end");
    let more = at("id=\"_contacts_center_view-more\"");
    let add = at("id=\"_contacts_center_entry-new\"");
    assert!(
        list_end < more && more < add,
        "list {list_end}, more {more}, add {add}"
    );
    assert_eq!(html.matches("id=\"_contacts_center_view-more\"").count(), 1);
    for name in ["Eve Eden", "Fay Fox"] {
        assert!(
            html.contains(&format!(
                ">Edit<span class=\"sr-only\"> {name}</span></summary>"
            )),
            "{name}: {html}"
        );
        // The form's own button names the contact too, not only its disclosure.
        assert!(
            html.contains(&format!(
                "Update Contact<span class=\"sr-only\"> {name}</span></button>"
            )),
            "{name}: {html}"
        );
    }
    // The form that adds a contact names no one.
    assert!(html.contains(">Add Contact</button>"), "{html}");
}

#[test]
fn a_search_that_finds_nobody_says_so_and_a_mangled_cursor_shows_the_first_page() {
    let w = abc();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    cc(Some("b")).named("connect").p("userId", "a").ok(&w);
    cc(Some("a"))
        .named("save-contact")
        .p("fullName", "Eve Eden")
        .p("emailAddress", "eve@example.com")
        .ok(&w);
    for filter in ["connections", "contacts", "following"] {
        let html = cc(Some("a"))
            .p("filter", filter)
            .p("keywords", "zzz")
            .html(&w);
        assert!(html.contains("No people were found."), "{filter}: {html}");
        // The list's empty state, not a count above it (which may say "no").
        let empty = html
            .split("id=\"_contacts_center_empty\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{filter}: an empty state: {html}"));
        assert!(!empty.contains(">You have no"), "{filter}: {html}");
        assert!(
            !empty.contains(">You are not following"),
            "{filter}: {html}"
        );
    }
    // Keywords of punctuation alone find nobody and say so, where the whole list came
    // back under them as if everyone matched.
    for filter in ["all", "connections", "contacts"] {
        let html = cc(Some("a"))
            .p("filter", filter)
            .p("keywords", "!!!")
            .html(&w);
        assert!(html.contains("No people were found."), "{filter}: {html}");
        assert!(!html.contains("Bob Baker"), "{filter}: {html}");
        assert!(!html.contains("Eve Eden"), "{filter}: {html}");
    }
    // Without keywords, an empty list still says what is empty.
    let following = cc(Some("a")).p("filter", "following").html(&w);
    assert!(following.contains("You are not following anyone."));
    // A tab's search that found nobody offers the same words among everyone, where
    // the person may be, in the words that say so; the search of everyone, and one
    // that found someone, do not.
    let in_tab = cc(Some("a"))
        .p("filter", "following")
        .p("keywords", "Cid")
        .html(&w);
    let link = "id=\"_contacts_center_empty\">No people were found. <a href=\"";
    let at = in_tab.find(link).expect("a link to search everyone") + link.len();
    let (href, rest) = in_tab[at..].split_once("\">").expect("the link ends");
    assert!(
        rest.starts_with("Search Everyone for “\u{2068}Cid\u{2069}”</a></p>"),
        "{rest}"
    );
    let href = href.replace("&amp;", "&");
    assert!(
        href.contains("_contacts_center_filter=all")
            && href.contains("_contacts_center_keywords=Cid"),
        "{href}"
    );
    let everyone = cc(Some("a"))
        .p("filter", "all")
        .p("keywords", "Cid")
        .html(&w);
    assert!(everyone.contains("Cid Cole"), "{everyone}");
    assert!(!everyone.contains("Search Everyone"), "{everyone}");
    for (filter, keywords) in [
        ("all", "zzz"),
        ("contacts", "zzz"),
        ("connections", "bob"),
        ("following", "!!!"),
        ("following", "@"),
    ] {
        let html = cc(Some("a"))
            .p("filter", filter)
            .p("keywords", keywords)
            .html(&w);
        assert!(
            !html.contains("Search Everyone"),
            "{filter} {keywords}: {html}"
        );
    }
    // A search has a way back to its whole list, the tab it searched, with no
    // keywords and from its first row; a list without keywords has none.
    for (filter, keywords) in [("connections", "bob"), ("all", "zzz"), ("following", "!!!")] {
        let html = cc(Some("a"))
            .p("filter", filter)
            .p("keywords", keywords)
            .p("cursor", "%%garbage")
            .html(&w);
        assert!(html.contains(">Clear Search</a>"), "{filter}: {html}");
        assert_eq!(
            link_param(&html, "clear-search", "filter").as_deref(),
            Some(filter),
            "{html}"
        );
        for gone in ["keywords", "cursor"] {
            assert_eq!(link_param(&html, "clear-search", gone), None, "{html}");
        }
    }
    // Keywords carried to the requests page (whose box searches everyone) are
    // cleared there, not by leaving it.
    let requests = cc(Some("a"))
        .p("filter", "requests")
        .p("keywords", "jo")
        .html(&w);
    assert_eq!(
        link_param(&requests, "clear-search", "filter").as_deref(),
        Some("requests"),
        "{requests}"
    );
    for filter in ["connections", "all"] {
        for keywords in ["", "  "] {
            let html = cc(Some("a"))
                .p("filter", filter)
                .p("keywords", keywords)
                .html(&w);
            assert!(!html.contains("clear-search"), "{filter}: {html}");
        }
    }
    let german = cc(Some("a"))
        .p("filter", "following")
        .p("keywords", "Cid")
        .locale("de_DE")
        .html(&w);
    assert!(
        german.contains("Alle Personen nach „\u{2068}Cid\u{2069}“ durchsuchen"),
        "{german}"
    );
    assert!(german.contains(">Suche zurücksetzen</a>"), "{german}");
    // A render with a cursor this host never wrote shows the first page instead of
    // failing; the JSON resource refuses it (`pagination_view_more_carries_the_cursor`).
    let mangled = cc(Some("a"))
        .p("filter", "connections")
        .p("cursor", "%%garbage")
        .html(&w);
    assert!(mangled.contains("Bob Baker"), "{mangled}");
    cc(Some("c")).named("connect").p("userId", "a").ok(&w);
    let mangled_notes = notes(Some("a")).p("cursor", "%%garbage").html(&w);
    assert!(
        mangled_notes.contains("You have 1 pending request."),
        "{mangled_notes}"
    );
    assert!(
        mangled_notes.contains("Cid Cole"),
        "the first page's request: {mangled_notes}"
    );

    // A readable cursor past the list's end (a stale "View more" whose people have
    // all left the list, or a hand-made one) shows the first page too, marked so the
    // script does not append it, and never says the list is empty.
    let past_end = "enp6egAw"; // "zzzz", id 0: after everyone
    for (filter, list, shown, nobody) in [
        (
            "connections",
            "people",
            "Bob Baker",
            "You have no connections.",
        ),
        ("contacts", "entries", "Eve Eden", "You have no contacts."),
    ] {
        let html = cc(Some("a"))
            .p("filter", filter)
            .p("cursor", past_end)
            .html(&w);
        assert!(html.contains(shown), "{filter}: {html}");
        assert!(!html.contains(nobody), "{filter}: {html}");
        let restarted = format!("data-list=\"{list}\" data-restarted>");
        assert!(html.contains(&restarted), "{filter}: {html}");
        // And says so above the list, where a reader would take it for the next page.
        assert!(html.contains(RESTARTED_NOTE), "{filter}: {html}");
        // Its links and forms no longer carry the page that was gone: a card opened
        // from it, and its Back, find the list as it is, not begun again once more.
        assert!(!html.contains(past_end), "{filter}: {html}");
        if filter == "connections" {
            let card = cc(Some("a")).p("userId", "b").p("filter", filter).html(&w);
            let back = link_param(&card, "back", "cursor");
            assert_eq!(back, None, "{card}");
        }
        let first = cc(Some("a")).p("filter", filter).html(&w);
        assert!(
            first.contains(&format!("data-list=\"{list}\">")),
            "{filter}: {first}"
        );
        assert!(!first.contains("_contacts_center_restarted"), "{first}");
    }
    // So does a person's page, and the Notifications widget.
    let owner = cc(Some("b")).owner("a").p("cursor", past_end).html(&w);
    assert!(
        owner.contains("data-restarted>") && owner.contains(RESTARTED_NOTE),
        "{owner}"
    );
    assert!(!owner.contains(past_end), "{owner}");
    // On the requests page, above the side that began again.
    w.add("d", "Dan", "Dunn");
    assert!(cc(Some("a")).named("connect").p("userId", "d").ok(&w).ok);
    let heading = |words: &str| format!("\n<h3 class=\"sheet-subtitle\">{words}</h3>");
    for (filter, above) in [("requests", "Requests"), ("requests-sent", "Sent Requests")] {
        let html = cc(Some("a"))
            .p("filter", filter)
            .p("cursor", past_end)
            .html(&w);
        assert!(
            html.contains(&format!("{RESTARTED_NOTE}{}", heading(above))),
            "{filter}: {html}"
        );
        // The requests' forms come back to the first page, not to the one gone.
        assert!(html.contains("actions/accept-request"), "{html}");
        assert!(!html.contains(past_end), "{filter}: {html}");
        assert_eq!(
            html.matches("_contacts_center_restarted").count(),
            1,
            "{html}"
        );
    }
    let notes_restarted = notes(Some("a")).p("cursor", past_end).html(&w);
    assert!(
        notes_restarted.contains(
            "<p class=\"text-secondary small\" role=\"status\" id=\"_notifications_restarted\">The list has changed since it was shown: it starts again from the beginning.</p>"
        ),
        "{notes_restarted}"
    );
    assert!(
        !notes(Some("a"))
            .html(&w)
            .contains("_notifications_restarted"),
        "only a list begun again says so"
    );
    // The JSON resource does not restart: a client paging through it reaches the end.
    let page: Value = serde_json::from_slice(
        &cc(Some("a"))
            .named("contacts")
            .p("filter", "connections")
            .p("cursor", past_end)
            .resource(&w)
            .expect("contacts")
            .body,
    )
    .expect("json");
    assert_eq!(page["items"].as_array().map(Vec::len), Some(0), "{page}");
}

/// A search that stops at its scan limit writes a cursor past which nothing may
/// match. Its empty last page is where it ends: "View more" there says nobody more was
/// found, and does not bring back the first page (and the same link, for ever).
#[test]
fn a_search_past_its_scan_limit_ends_instead_of_starting_over() {
    let w = abc();
    let n = widget_host::store::SEARCH_SCAN_LIMIT + 500;
    let people: Vec<_> = (0..n)
        .map(|i| person(&format!("p{i}"), "Pat", &format!("Park{i:04}")))
        .collect();
    w.social.upsert_people(people).expect("people");
    let edges = (0..n)
        .map(|i| widget_host::social::BulkEdge::Connection("a".into(), format!("p{i}")))
        .collect();
    w.social.link_many(edges).expect("connections");
    let search = |cursor: Option<&str>| {
        let call = cc(Some("a"))
            .p("filter", "connections")
            .p("keywords", "zzz");
        match cursor {
            Some(c) => call.p("cursor", c).html(&w),
            None => call.html(&w),
        }
    };
    let cursor_of = |html: &str| {
        let at = html.find("_contacts_center_cursor=")? + "_contacts_center_cursor=".len();
        Some(
            html[at..]
                .chars()
                .take_while(|c| *c != '&' && *c != '"')
                .collect::<String>(),
        )
    };
    let first = search(None);
    assert!(!first.contains("No people were found."), "{first}");
    // Not a lone button: the page says the search has found nobody yet.
    assert!(
        first.contains("id=\"_contacts_center_empty\">No one found yet. Select View More to keep searching.</p>"),
        "{first}"
    );
    assert!(
        !first.contains("data-list-end tabindex"),
        "a first page is not a list's end"
    );
    // Not yet the way to everyone: the tab's search goes on.
    assert!(!first.contains("Search Everyone"), "{first}");
    let cursor = cursor_of(&first).expect("the search goes on");
    let last = search(Some(&cursor));
    assert!(
        !last.contains("data-list=\"people\" data-restarted"),
        "{last}"
    );
    // Its last page says nobody more was found, marked for the script to add after
    // the rows already shown rather than to swap the widget for.
    // There the tab's search has ended finding nobody: the same words among
    // everyone are one link on, inside the words the script adds after the rows.
    assert!(
        last.contains("data-list-end tabindex=\"-1\">No more people were found. <a href=\"")
            && last.contains("Search Everyone for “\u{2068}zzz\u{2069}”</a></p>"),
        "{last}"
    );
    assert!(!last.contains("No one found yet"), "{last}");
    assert_eq!(cursor_of(&last), None, "{last}");
}

/// A card opened from a list keeps that list in its forms: the card an action comes
/// back to still goes back to the list.
#[test]
fn a_cards_forms_carry_the_list_it_was_opened_from() {
    let w = abc();
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    let card = cc(Some("a"))
        .p("userId", "b")
        .p("filter", "following")
        .html(&w);
    let unfollow = form_where(&card, "the card's unfollow form", |form| {
        form.contains("unfollow") && form.contains("userId")
    });
    assert!(
        unfollow.contains("_contacts_center_filter\" value=\"following\""),
        "{unfollow}"
    );
    let o = cc(Some("a"))
        .named("unfollow")
        .p("userId", "b")
        .p("filter", "following")
        .ok(&w);
    assert!(o.render_params.contains(&("userId".into(), "b".into())));
    assert!(
        o.render_params
            .contains(&("filter".into(), "following".into()))
    );
    // Opened from All, the forms name no list.
    let from_all = cc(Some("a")).p("userId", "c").html(&w);
    assert!(!from_all.contains("_contacts_center_filter\" value=\"all\""));

    // A request's forms on the card too: accepting comes back to the card, and the
    // card still goes back to the list.
    cc(Some("c")).named("connect").p("userId", "a").ok(&w);
    let card = cc(Some("a"))
        .p("userId", "c")
        .p("filter", "requests")
        .html(&w);
    let accept = form_where(&card, "the card's accept form", |form| {
        form.contains("accept-request")
    });
    let rid = request_id(&w, "a");
    for field in [
        format!("_contacts_center_requestId\" value=\"{rid}\""),
        "_contacts_center_userId\" value=\"c\"".to_owned(),
        "_contacts_center_filter\" value=\"requests\"".to_owned(),
    ] {
        assert!(accept.contains(&field), "{field} in {accept}");
    }
    let o = cc(Some("a"))
        .named("accept-request")
        .p("requestId", &rid)
        .p("userId", "c")
        .p("filter", "requests")
        .ok(&w);
    assert!(o.ok);
    assert!(o.render_params.contains(&("userId".into(), "c".into())));
    assert!(
        o.render_params
            .contains(&("filter".into(), "requests".into()))
    );
}

/// The Blocked list's toolbar offers Unblock alone: across a block the rules refuse
/// to connect or follow, and the other actions would change nothing.
#[test]
fn the_blocked_lists_toolbar_offers_unblock_alone() {
    let w = abc();
    cc(Some("a")).named("block").p("userId", "b").ok(&w);
    let toolbar = |filter: &str| {
        let html = cc(Some("a")).p("filter", filter).html(&w);
        let at = html.find("contacts-bulk").expect("a toolbar");
        let form = &html[at..];
        // The actions' buttons: the form's first, which submits nothing, has no
        // action of its own.
        form[..form.find("</form>").expect("end")]
            .matches("<button type=\"submit\" class=\"btn")
            .count()
    };
    assert_eq!(toolbar("blocked"), 1);
    assert_eq!(toolbar("all"), 6);
    // Its first submit button submits nothing, so that Enter on a ticked box does
    // nothing rather than run the first action for everyone ticked.
    for filter in ["blocked", "all"] {
        let html = cc(Some("a")).p("filter", filter).html(&w);
        let form = &html[html.find("contacts-bulk").expect("a toolbar")..];
        let first = form.find("<button").expect("a button");
        assert!(
            form[first..]
                .starts_with("<button type=\"submit\" formmethod=\"dialog\" hidden></button>"),
            "{filter}: {form}"
        );
        assert!(
            first < form.find("formaction=").expect("an action"),
            "{filter}"
        );
    }
    let html = cc(Some("a")).p("filter", "blocked").html(&w);
    assert!(html.contains(">Unblock</button>"), "{html}");
}

#[test]
fn contact_resource_has_relationship_json() {
    let w = abc();
    cc(Some("a")).named("follow").p("userId", "b").ok(&w);
    let v: Value = serde_json::from_slice(
        &cc(Some("a"))
            .named("contact")
            .p("userId", "b")
            .resource(&w)
            .expect("contact")
            .body,
    )
    .expect("json");
    assert_eq!(v["name"], "Bob Baker");
    assert_eq!(v["relationship"]["following"], true);
    assert_eq!(v["relationship"]["followedBy"], false);
    assert!(v.get("requestId").is_none(), "nothing pending: {v}");
    // A pending request's id, for the card's Withdraw and for Confirm or Ignore on
    // the other side.
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    let id = request_id(&w, "b");
    for (viewer, other) in [("a", "b"), ("b", "a")] {
        let v: Value = serde_json::from_slice(
            &cc(Some(viewer))
                .named("contact")
                .p("userId", other)
                .resource(&w)
                .expect("contact")
                .body,
        )
        .expect("json");
        assert_eq!(v["requestId"].to_string(), id, "{viewer}: {v}");
    }
    assert!(matches!(
        cc(None).named("contact").p("userId", "b").resource(&w),
        Err(WidgetError::SignInRequired)
    ));
    assert!(matches!(
        cc(Some("a")).named("nope").resource(&w),
        Err(WidgetError::UnknownResource(_))
    ));
}

#[test]
fn vcards_of_one_several_and_all_connections() {
    let w = abc();
    let one = cc(Some("a"))
        .named("vcard")
        .p("userId", "b")
        .resource(&w)
        .expect("one");
    assert_eq!(one.content_type, "text/vcard; charset=utf-8");
    assert_eq!(one.filename.as_deref(), Some("Bob_Baker.vcf"));
    let text = String::from_utf8(one.body).expect("utf8");
    assert!(
        text.contains("VERSION:3.0")
            && text.contains("FN:Bob Baker")
            && text.contains("N:Baker;Bob")
    );
    // No revision the directory cannot vouch for (it keeps no time of a change).
    assert!(!text.contains("\r\nREV:"), "{text}");
    // A uid of the person's portal id, which an address book syncs by.
    assert!(
        text.contains("\r\nUID:urn:widget-host:user:b\r\n")
            && text.contains("TITLE:Engineer")
            && text.contains("b@example.com"),
        "{text}"
    );

    let many = cc(Some("a"))
        .named("vcard")
        .p("userIds", "b,c")
        .p("version", "4.0")
        .resource(&w)
        .expect("many");
    let text = String::from_utf8(many.body).expect("utf8");
    assert_eq!(text.matches("BEGIN:VCARD").count(), 2);
    assert!(
        text.contains("FN:Bob Baker") && text.contains("FN:Cid Cole"),
        "{text}"
    );
    assert!(text.contains("VERSION:4.0"));
    assert_eq!(many.filename.as_deref(), Some("People.vcf"));

    // Naming nobody is a bad request, with or without an empty list.
    for ids in ["", " , "] {
        assert!(matches!(
            cc(Some("a")).named("vcard").p("userIds", ids).resource(&w),
            Err(WidgetError::BadRequest { .. })
        ));
    }
    // No connections, no file: a vCard file holds at least one card.
    match cc(Some("a"))
        .named("vcard")
        .p("filter", "connections")
        .resource(&w)
    {
        Err(WidgetError::NotFound { key, .. }) => assert_eq!(key, "you-have-no-connections"),
        other => panic!("{other:?}"),
    }
    cc(Some("a")).named("connect").p("userId", "c").ok(&w);
    let id = request_id(&w, "c");
    cc(Some("c"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    let all = cc(Some("a"))
        .named("vcard")
        .p("filter", "connections")
        .resource(&w)
        .expect("all");
    let text = String::from_utf8(all.body).expect("utf8");
    assert_eq!(all.filename.as_deref(), Some("Connections.vcf"));
    let german = cc(Some("a"))
        .locale("de_DE")
        .named("vcard")
        .p("filter", "connections")
        .resource(&w)
        .expect("all, in German");
    assert_eq!(german.filename.as_deref(), Some("Verbindungen.vcf"));
    assert_eq!(text.matches("BEGIN:VCARD").count(), 1);
    assert!(text.contains("Cid Cole") && !text.contains("Bob Baker"));
    assert!(
        cc(Some("a"))
            .p("filter", "connections")
            .html(&w)
            .contains("resources/vcard?_contacts_center_filter=connections")
    );

    assert!(matches!(
        cc(Some("a"))
            .named("vcard")
            .p("userId", "b")
            .p("version", "9")
            .resource(&w),
        Err(WidgetError::BadRequest { .. })
    ));
    // An unknown person is not found, here as in an action about them (404).
    for resource in ["vcard", "contact"] {
        assert!(matches!(
            cc(Some("a"))
                .named(resource)
                .p("userId", "ghost")
                .resource(&w),
            Err(WidgetError::NotFound {
                key: "the-user-could-not-be-found",
                ..
            })
        ));
    }
    assert!(matches!(
        cc(None).named("vcard").p("userId", "b").resource(&w),
        Err(WidgetError::SignInRequired)
    ));
}

#[test]
fn edit_mode_and_preferences_per_instance() {
    let w = abc();
    let one = "contacts_center_INSTANCE_one";
    let two = "contacts_center_INSTANCE_two";
    // Edit mode is the configuration, not a view: a guest is asked to sign in (403),
    // not shown the view's sign-in hint.
    assert!(matches!(
        cc(None).instance(one).mode(PortletMode::Edit).render(&w),
        Err(WidgetError::SignInRequired)
    ));
    assert!(matches!(
        cc(Some("a"))
            .instance(one)
            .mode(PortletMode::Edit)
            .render(&w),
        Err(WidgetError::Forbidden { .. })
    ));
    assert!(matches!(
        cc(Some("a"))
            .instance(one)
            .named("save-preferences")
            .act(&w),
        Err(WidgetError::Forbidden { .. })
    ));
    let form = cc(Some("a"))
        .instance(one)
        .admin()
        .mode(PortletMode::Edit)
        .html(&w);
    assert!(form.contains("actions/save-preferences") && form.contains("showUsersInformation"));
    // The checkboxes are one group under its legend, each named and, where its label
    // cannot say what it does, described; the number field stands outside the group.
    let (before, rest) = form
        .split_once("<fieldset class=\"form-group contacts-flags\"><legend class=\"sheet-subtitle contacts-flags-legend\">Details Shown for Each Person</legend>")
        .unwrap_or_else(|| panic!("a group of checkboxes: {form}"));
    let (group, after) = rest.split_once("</fieldset>").expect("the group ends");
    assert!(!before.contains("type=\"checkbox\"") && !after.contains("type=\"checkbox\""));
    assert!(group.matches("type=\"checkbox\"").count() >= 5, "{group}");
    assert!(after.contains("type=\"number\"") && !group.contains("type=\"number\""));
    let ns = "_contacts_center_INSTANCE_one_";
    for (name, hint) in [
        ("showIcon", "Portraits, or initials, beside names."),
        (
            "showUsersInformation",
            "Each person&#x27;s account email address, in lists and on cards. Search matches it only while it is shown.",
        ),
    ] {
        let control = group
            .split("<div class=\"custom-control custom-checkbox\">")
            .find(|c| c.contains(&format!("name=\"{ns}{name}\"")))
            .unwrap_or_else(|| panic!("{name}: {group}"));
        assert!(
            control.contains(&format!("aria-describedby=\"{ns}hint-{name}\""))
                && control.contains(&format!(
                    "<small class=\"form-text text-secondary\" id=\"{ns}hint-{name}\">{hint}</small>"
                )),
            "{control}"
        );
    }
    let plain = group
        .split("<div class=\"custom-control custom-checkbox\">")
        .find(|c| c.contains(&format!("name=\"{ns}showPhones\"")))
        .expect("showPhones");
    assert!(
        !plain.contains("aria-describedby") && !plain.contains("<small"),
        "{plain}"
    );
    assert!(
        cc(Some("a"))
            .instance(one)
            .html(&w)
            .contains("b@example.com")
    );

    // Unchecked boxes are absent from the form: showUsersInformation becomes false.
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .p("showIcon", "true")
        .ok(&w);
    assert_eq!(
        (saved.ok, saved.message.as_str()),
        (true, "you-have-successfully-updated-the-setup")
    );
    // A descriptor that no longer offers edit mode locks the setup: a form rendered
    // before, or a portal's call, saves nothing.
    let locked = cc(Some("a"))
        .instance(one)
        .admin()
        .without_mode("edit")
        .named("save-preferences")
        .p("pageSize", "50")
        .act(&w);
    assert!(
        matches!(locked, Err(WidgetError::Forbidden { .. })),
        "{locked:?}"
    );
    let stored = w
        .social
        .read()
        .expect("read")
        .preferences(one)
        .expect("read");
    assert_eq!(stored.get("pageSize"), Some(&vec!["10".to_owned()]));
    assert!(
        !cc(Some("a"))
            .instance(one)
            .html(&w)
            .contains("b@example.com")
    );
    assert!(
        cc(Some("a"))
            .instance(two)
            .html(&w)
            .contains("b@example.com")
    );
    let edit_again = cc(Some("a"))
        .instance(one)
        .admin()
        .mode(PortletMode::Edit)
        .html(&w);
    // Items per page is a number field the browser checks against the host's own
    // bounds before sending; Back leaves edit mode without saving.
    assert!(
        edit_again.contains(
            "type=\"number\" id=\"_contacts_center_INSTANCE_one_pref-pageSize\" name=\"_contacts_center_INSTANCE_one_pageSize\" value=\"10\" min=\"1\" max=\"100\" step=\"1\" required"
        ),
        "{edit_again}"
    );
    assert!(
        edit_again.contains(
            "<a class=\"btn btn-secondary\" href=\"https://portal.test/web/page?p_p_id=cc&amp;p_p_lifecycle=0&amp;\" id=\"_contacts_center_INSTANCE_one_back\">Back</a>"
        ),
        "{edit_again}"
    );

    for (k, v) in [
        ("pageSize", "0"),
        ("pageSize", "101"),
        ("pageSize", "x"),
        ("showIcon", "maybe"),
    ] {
        assert!(matches!(
            cc(Some("a"))
                .instance(one)
                .admin()
                .named("save-preferences")
                .p(k, v)
                .act(&w),
            Err(WidgetError::BadRequest { .. })
        ));
    }
}

#[test]
fn guests_get_a_sign_in_hint_only() {
    let w = abc();
    let html = cc(None).html(&w);
    assert!(html.contains("Sign in to see your contacts"));
    assert!(!html.contains("<form") && !html.contains("Bob Baker"));
    assert!(matches!(
        cc(None).mode(PortletMode::Edit).render(&w),
        Err(WidgetError::SignInRequired)
    ));
}

#[test]
fn introduction_and_page_owner_view() {
    let w = abc();
    assert!(
        cc(Some("a"))
            .html(&w)
            .contains("id=\"_contacts_center_intro\"")
    );
    // Only above the directory: not above a filtered list or a search.
    for (name, value) in [
        ("filter", "requests"),
        ("filter", "connections"),
        ("keywords", "bob"),
    ] {
        let html = cc(Some("a")).p(name, value).html(&w);
        assert!(!html.contains("_contacts_center_intro"), "{name}={value}");
        assert!(
            html.contains("id=\"_contacts_center_counts\""),
            "{name}={value}"
        );
    }
    let owner = cc(Some("a")).owner("b").html(&w);
    assert!(
        owner.contains("\u{2068}Bob Baker\u{2069} has no connections."),
        "{owner}"
    );
    assert!(!owner.contains("<form"));
    // The owner's name is in the title and the line below it: Clay's `text-break` lets
    // a name with no place to break (256 characters from a portal's claims) wrap there,
    // where it would push the portal's page sideways.
    assert!(
        owner.contains("<h3 class=\"sheet-title text-break\" id=\"_contacts_center_owner-title\">")
            && owner.contains("<p class=\"text-break\" id=\"_contacts_center_owner\">"),
        "{owner}"
    );
    cc(Some("b")).named("connect").p("userId", "c").ok(&w);
    let id = request_id(&w, "c");
    cc(Some("c"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    let owner = cc(Some("a")).owner("b").html(&w);
    assert!(
        owner.contains("\u{2068}Bob Baker\u{2069} has 1 connection.") && owner.contains("Cid Cole"),
        "{owner}"
    );
    assert!(!owner.contains("badge"), "a knows nobody here yet: {owner}");
    // The owner links to their card, and the page says whom the viewer knows: each
    // person their own standing.
    let following = "<span class=\"badge badge-info\">Following</span>";
    let owner_line = |html: &str| -> String {
        html.split("class=\"text-break\" id=\"_contacts_center_owner\">")
            .nth(1)
            .and_then(|rest| rest.split("</p>").next())
            .expect("the owner's line")
            .to_owned()
    };
    let rows = |html: &str| -> String {
        html.split("id=\"_contacts_center_owner-connections\"")
            .nth(1)
            .and_then(|rest| rest.split("</ul>").next())
            .expect("the owner's connections")
            .to_owned()
    };
    let follow = |other: &str| {
        let followed = cc(Some("a")).named("follow").p("userId", other).ok(&w);
        assert!(followed.ok, "{followed:?}");
    };
    follow("c");
    let knows_cid = cc(Some("a")).owner("b").html(&w);
    let line = owner_line(&knows_cid);
    assert!(
        line.contains("_contacts_center_userId=b")
            && line.contains(">Bob Baker</a>")
            && !line.contains("badge"),
        "{line}"
    );
    let listed = rows(&knows_cid);
    assert!(
        listed.contains("Cid Cole") && listed.contains(following),
        "{listed}"
    );
    follow("b");
    let known = cc(Some("a")).owner("b").html(&w);
    assert!(owner_line(&known).contains(following), "{known}");
    for other in ["b", "c"] {
        let undone = cc(Some("a")).named("unfollow").p("userId", other).ok(&w);
        assert!(undone.ok, "{undone:?}");
    }
    assert!(!cc(Some("b")).html(&w).contains("_contacts_center_intro"));
    // A row's link opens the person's card on the owner's page too: the portal sends
    // `p_page_owner` again with the click.
    assert!(owner.contains("_contacts_center_userId=c"), "{owner}");
    let card = cc(Some("a")).owner("b").p("userId", "c").html(&w);
    assert!(card.contains("id=\"_contacts_center_person\""), "{card}");
    assert!(card.contains("Cid Cole"));
    let missing = cc(Some("a")).owner("b").p("userId", "nobody").html(&w);
    assert!(
        missing.contains("The user could not be found."),
        "{missing}"
    );
    // What a click on a card's link led to takes the focus, to be read out.
    assert!(missing.contains("role=\"alert\""), "{missing}");
    assert!(missing.contains("autofocus"), "{missing}");
    assert!(
        missing.contains("\u{2068}Bob Baker\u{2069} has 1 connection."),
        "{missing}"
    );
    // An owner the directory does not know: not found, on the viewer's own page. The
    // parameter's text is never shown as a name.
    let unknown = cc(Some("a")).owner("Mallory-the-admin").html(&w);
    assert!(
        unknown.contains("The user could not be found."),
        "{unknown}"
    );
    assert!(!unknown.contains("Mallory"), "{unknown}");
    assert!(!unknown.contains("has no connections"), "{unknown}");
    // The portal sends the unknown owner with every render of that page: the notice
    // is read with the page, and takes no focus from the portal's.
    assert!(!unknown.contains("autofocus"), "{unknown}");
    assert!(!unknown.contains("role=\"alert\""), "{unknown}");
    assert!(unknown.contains("role=\"status\""), "{unknown}");
    // The portal sends the owner with every render of that page: an action's outcome
    // there is still said.
    let after_action = cc(Some("a"))
        .owner("Mallory-the-admin")
        .p("message", "you-are-already-following-this-user")
        .html(&w);
    assert!(
        after_action.contains("You are already following this user.")
            && !after_action.contains("The user could not be found."),
        "{after_action}"
    );
    // With Show Icon off, the owner's list has no avatars either.
    assert!(owner.contains("sticker"), "{owner}");
    w.social
        .save_preferences(
            "contacts_center",
            [("showIcon".to_owned(), vec!["false".to_owned()])].into(),
        )
        .expect("prefs");
    let plain = cc(Some("a")).owner("b").html(&w);
    assert!(
        plain.contains("Cid Cole") && !plain.contains("sticker"),
        "{plain}"
    );
}

/// Connects `viewer` with `n` fresh people.
fn with_connections(n: usize) -> World {
    let w = world();
    w.add("v", "Val", "Viewer");
    for i in 0..n {
        let id = format!("p{i}");
        w.add(&id, "Pat", &format!("Person{i}"));
        cc(Some("v")).named("connect").p("userId", &id).ok(&w);
        let rid = request_id(&w, &id);
        cc(Some(&id))
            .named("accept-request")
            .p("requestId", &rid)
            .ok(&w);
    }
    w
}

#[test]
fn plural_texts_follow_the_locale() {
    let expected = [
        (
            "en_US",
            [
                "You have no connections.",
                "You have 1 connection.",
                "You have 2 connections.",
            ],
        ),
        (
            "es_ES",
            [
                "No tienes conexiones.",
                "Tienes 1 conexión.",
                "Tienes 2 conexiones.",
            ],
        ),
        (
            "fr_FR",
            [
                "Vous n&#x27;avez aucune relation.",
                "Vous avez 1 relation.",
                "Vous avez 2 relations.",
            ],
        ),
        // Portuguese's rules put 0 with 1 ("0 conexão"): none is said in words. (The
        // apostrophe above is as the page escapes it.)
        (
            "pt_BR",
            [
                "Você não tem conexões.",
                "Você tem 1 conexão.",
                "Você tem 2 conexões.",
            ],
        ),
    ];
    for n in 0..3 {
        let w = with_connections(n);
        for (locale, texts) in &expected {
            let html = cc(Some("v")).locale(locale).html(&w);
            assert!(html.contains(texts[n]), "{locale} {n}: {html}");
        }
    }
}

/// The export link on Connections is one sentence per language, not a tab name set
/// into another (which kept its capital, and in Portuguese the wrong gender).
#[test]
fn the_export_link_reads_as_a_sentence_in_each_language() {
    let w = with_connections(1);
    for (locale, label) in [
        ("en_US", "Export My Connections as vCards"),
        ("pt_BR", "Exportar minhas conexões como vCards"),
        ("es_ES", "Exportar mis conexiones como vCards"),
        ("fr_FR", "Exporter mes relations en vCards"),
    ] {
        let html = cc(Some("v"))
            .locale(locale)
            .p("filter", "connections")
            .html(&w);
        assert!(html.contains(&format!(">{label}</a>")), "{locale}: {html}");
    }
}

/// The export of all connections holds the first `MAX_EXPORT` cards in the list's
/// order, and past that cap the link says how many the file holds.
#[test]
fn an_export_past_its_cap_holds_the_first_cards_and_its_link_says_so() {
    use widget_host::social::BulkEdge;
    use widget_host::widgets::contacts_center::MAX_EXPORT;
    let w = world();
    w.add("v", "Val", "Viewer");
    let id = |i: usize| format!("p{i:05}");
    let people = (0..=MAX_EXPORT)
        .map(|i| person(&id(i), "Pat", &format!("Person{i:05}")))
        .collect();
    w.social.upsert_people(people).expect("people");
    let edges = (0..=MAX_EXPORT)
        .map(|i| BulkEdge::Connection("v".into(), id(i)))
        .collect();
    w.social.link_many(edges).expect("connections");
    let label = |w: &World| {
        let html = cc(Some("v")).p("filter", "connections").html(w);
        let at = html.find("export\">").expect("an export link") + "export\">".len();
        html[at..at + html[at..].find('<').expect("closed")].to_owned()
    };
    let export = |w: &World| {
        let file = cc(Some("v"))
            .named("vcard")
            .p("filter", "connections")
            .resource(w)
            .expect("export");
        (
            String::from_utf8(file.body).expect("utf8"),
            file.filename.unwrap_or_default(),
        )
    };
    // Numbers are grouped as the language writes them.
    assert_eq!(MAX_EXPORT, 10_000);
    assert_eq!(label(&w), "Export My First 10,000 Connections as vCards");
    w.add("o", "Oli", "Other");
    let owner = cc(Some("o")).owner("v").html(&w);
    assert!(
        owner.contains("\u{2068}Val Viewer\u{2069} has 10,001 connections."),
        "{owner}"
    );
    let german = cc(Some("o")).owner("v").locale("de_DE").html(&w);
    assert!(german.contains("10.001"), "{german}");
    // And as the reader's region writes them, in its language's texts.
    for (locale, count) in [
        ("de_CH", "10&#x27;001"),
        ("pt_PT", "10\u{A0}001"),
        ("es_MX", "10,001"),
    ] {
        let html = cc(Some("o")).owner("v").locale(locale).html(&w);
        assert!(html.contains(count), "{locale}: {html}");
    }
    let (cards, name) = export(&w);
    assert_eq!(cards.matches("BEGIN:VCARD").count(), MAX_EXPORT);
    assert!(cards.contains(&format!("Person{:05}", MAX_EXPORT - 1)));
    assert!(!cards.contains(&format!("Person{MAX_EXPORT:05}")));
    // The file says which of the list it holds.
    assert_eq!(name, "Connections_1-10000.vcf");

    // At the cap the file holds them all, and the link says nothing of a limit.
    let gone = cc(Some("v")).named("disconnect").p("userId", &id(0)).ok(&w);
    assert!(gone.ok);
    assert_eq!(label(&w), "Export My Connections as vCards");
    let (cards, name) = export(&w);
    assert_eq!(cards.matches("BEGIN:VCARD").count(), MAX_EXPORT);
    assert!(cards.contains(&format!("Person{MAX_EXPORT:05}")));
    assert_eq!(name, "Connections.vcf", "all of them");
}

/// An export of all connections with large cards ends after the card that reaches
/// `MAX_EXPORT_BYTES`, long before `MAX_EXPORT` cards, in the list's order. A list of
/// ids holds every card asked for, and still refuses an unknown id; one whose cards
/// pass `MAX_CHOSEN_EXPORT_BYTES` (which no person's share of the large answers could
/// hold) is refused as soon as it gets there.
#[test]
fn an_export_of_the_largest_cards_ends_at_its_byte_cap() {
    use widget_host::social::BulkEdge;
    use widget_host::store::{PostalAddress, WebUrl};
    use widget_host::widgets::contacts_center::{MAX_CHOSEN_EXPORT_BYTES, MAX_EXPORT_BYTES};
    assert_eq!(MAX_EXPORT_BYTES, 16 << 20, "the README's 16 MiB");
    let w = world();
    w.add("v", "Val", "Viewer");
    let id = |i: usize| format!("p{i:05}");
    // 32 web addresses of about 2,000 characters and 32 addresses of seven
    // 200-character fields, as an import may hold: about 110 KB a card, and about
    // 200 KB with the fields in kanji (three bytes each).
    let field = |c: char| c.to_string().repeat(200);
    let letters = ['s', 't', 'u', 'l', 'r', 'p', 'c'];
    let large_in = |id: String, letters: [char; 7]| {
        let mut p = person(&id, "Pat", &format!("Person{}", &id[1..]));
        let info = &mut p.user_account_contact_information;
        info.web_urls = (0..32)
            .map(|k| WebUrl {
                url: format!("https://example.com/{k}/{}", "a".repeat(2_000)),
                ..WebUrl::default()
            })
            .collect();
        info.postal_addresses = (0..32)
            .map(|_| PostalAddress {
                street_address_line1: field(letters[0]),
                street_address_line2: field(letters[1]),
                street_address_line3: field(letters[2]),
                address_locality: field(letters[3]),
                address_region: field(letters[4]),
                postal_code: field(letters[5]),
                address_country: field(letters[6]),
                ..PostalAddress::default()
            })
            .collect();
        p
    };
    let large = |i: usize| large_in(id(i), letters);
    const PEOPLE: usize = 199;
    w.social
        .upsert_people((0..PEOPLE).map(large).collect())
        .expect("people");
    let edges = (0..PEOPLE)
        .map(|i| BulkEdge::Connection("v".into(), id(i)))
        .collect();
    w.social.link_many(edges).expect("connections");

    let bounded = |body: &[u8]| {
        let text = String::from_utf8(body.to_vec()).expect("utf8");
        let cards: Vec<&str> = text.split_inclusive("END:VCARD\r\n").collect();
        let last = cards.last().expect("a card").len();
        assert!(text.len() >= MAX_EXPORT_BYTES, "{} bytes", text.len());
        assert!(
            text.len() - last < MAX_EXPORT_BYTES,
            "it ends with the card that reaches the cap"
        );
        assert!(cards.len() < PEOPLE, "{} cards", cards.len());
        (cards.len(), text)
    };
    let file = cc(Some("v"))
        .named("vcard")
        .p("filter", "connections")
        .resource(&w)
        .expect("export");
    let (n, text) = bounded(&file.body);
    // The link warned of no cap (fewer than 10,000): the file's name says it holds
    // the list's first n.
    assert_eq!(
        file.filename.as_deref(),
        Some(format!("Connections_1-{n}.vcf").as_str())
    );
    assert!(text.contains(&format!("Person{:05}", n - 1)));
    assert!(
        !text.contains(&format!("Person{n:05}")),
        "the list's first {n}"
    );

    let ids: Vec<String> = (0..PEOPLE).map(id).collect();
    let file = cc(Some("v"))
        .named("vcard")
        .p("userIds", &ids.join(","))
        .resource(&w)
        .expect("export of ids");
    assert_eq!(file.filename.as_deref(), Some("People.vcf"));
    let text = String::from_utf8(file.body).expect("utf8");
    assert!(text.len() > MAX_EXPORT_BYTES, "{} bytes", text.len());
    assert_eq!(
        text.matches("BEGIN:VCARD").count(),
        PEOPLE,
        "every card asked for"
    );
    let mut with_unknown = ids[..PEOPLE - 1].to_vec();
    with_unknown.push("nobody".into());
    let refused = cc(Some("v"))
        .named("vcard")
        .p("userIds", &with_unknown.join(","))
        .resource(&w);
    assert!(
        matches!(
            refused,
            Err(WidgetError::NotFound {
                key: "the-user-could-not-be-found",
                ..
            })
        ),
        "an unknown id at the end is not found"
    );

    let kanji = |i: usize| format!("k{i:05}");
    w.social
        .upsert_people(
            (0..PEOPLE)
                .map(|i| large_in(kanji(i), ['街', '道', '丁', '市', '県', '郵', '国']))
                .collect(),
        )
        .expect("people in kanji");
    let ids: Vec<String> = (0..PEOPLE).map(kanji).collect();
    let refused = cc(Some("v"))
        .named("vcard")
        .p("userIds", &ids.join(","))
        .resource(&w);
    assert!(
        matches!(
            &refused,
            Err(WidgetError::BadRequest { key, .. })
                if *key == "the-export-is-too-large-choose-fewer-people"
        ),
        "{:?}",
        refused.map(|r| r.body.len())
    );
    // Half as many fit.
    let half = ids[..PEOPLE / 2].join(",");
    let file = cc(Some("v"))
        .named("vcard")
        .p("userIds", &half)
        .resource(&w)
        .expect("export of half");
    assert!(file.body.len() <= MAX_CHOSEN_EXPORT_BYTES);
    assert!(
        file.body.len() > MAX_CHOSEN_EXPORT_BYTES / 3,
        "{}",
        file.body.len()
    );
}

/// A preference the descriptor marks `<read-only>` keeps the descriptor's value: edit
/// mode does not offer it, saving does not store it, and a value saved before it
/// became read-only no longer counts.
#[test]
fn read_only_preferences_keep_the_descriptors_values() {
    let w = abc_with_bobs_phone();
    let one = "contacts_center_INSTANCE_one";
    let vcard = |read_only: bool| {
        let call = cc(Some("a")).instance(one).named("vcard").p("userId", "b");
        let call = if read_only {
            call.read_only("showPhones")
        } else {
            call
        };
        let card = call.resource(&w).expect("vcard");
        String::from_utf8(card.body).expect("utf8")
    };
    // Saved while editable: phones off.
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .ok(&w);
    assert!(saved.ok);
    assert!(!vcard(false).contains("TEL"));
    // Read-only in the descriptor (default on): the saved value no longer counts.
    assert!(vcard(true).contains("TEL"));
    let form = cc(Some("a"))
        .instance(one)
        .admin()
        .read_only("showPhones")
        .mode(widget_host::portal::PortletMode::Edit)
        .html(&w);
    assert!(!form.contains("showPhones"), "{form}");
    assert!(form.contains("showAddresses"), "{form}");
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .read_only("showPhones")
        .named("save-preferences")
        .p("pageSize", "10")
        .p("showPhones", "false")
        .ok(&w);
    assert!(saved.ok);
    let stored = w
        .social
        .read()
        .expect("read")
        .preferences(one)
        .expect("prefs");
    assert!(!stored.contains_key("showPhones"), "{stored:?}");
}

/// A placement follows its descriptor where its administrator changed nothing: a save
/// stores only what differs from the descriptor's values, so a default changed there
/// later (phones off, after a privacy review) reaches placements saved before. A value
/// saved for a preference the descriptor no longer declares does not count: edit mode
/// no longer offers it, so nobody could change it back.
#[test]
fn a_placement_follows_its_descriptor_where_it_was_not_changed() {
    let w = abc_with_bobs_phone();
    let one = "contacts_center_INSTANCE_one";
    let phones_in_vcard = |call: Call| {
        let card = call
            .instance(one)
            .named("vcard")
            .p("userId", "b")
            .resource(&w)
            .expect("vcard");
        String::from_utf8(card.body).expect("utf8").contains("TEL")
    };
    let stored = || {
        w.social
            .read()
            .expect("read")
            .preferences(one)
            .expect("prefs")
    };
    // The page size changed; phones sent as the descriptor has them (on).
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .p("showPhones", "true")
        .ok(&w);
    assert!(saved.ok);
    assert_eq!(stored().get("pageSize"), Some(&vec!["10".to_owned()]));
    assert!(!stored().contains_key("showPhones"), "{:?}", stored());
    assert!(phones_in_vcard(cc(Some("a"))));
    assert!(!phones_in_vcard(
        cc(Some("a")).declared("showPhones", &["false"])
    ));
    // Phones turned off for this placement, then taken out of the descriptor: the
    // widget's own default (on) counts again.
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .ok(&w);
    assert!(saved.ok);
    assert_eq!(stored().get("showPhones"), Some(&vec!["false".to_owned()]));
    assert!(!phones_in_vcard(cc(Some("a"))));
    assert!(phones_in_vcard(cc(Some("a")).undeclared("showPhones")));
}

#[test]
fn a_text_preference_is_kept_as_its_field_sends_it_back() {
    let w = abc();
    let one = "contacts_center_INSTANCE_one";
    // A text field cannot hold a line break (the browser drops those of its value):
    // one sent by a post is not kept, so the next save from the form keeps the value.
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .declared("motto", &["hello"])
        .named("save-preferences")
        .p("pageSize", "10")
        .p("motto", "bye\r\nfor now\n")
        .ok(&w);
    assert!(saved.ok, "{saved:?}");
    let stored = w
        .social
        .read()
        .expect("read")
        .preferences(one)
        .expect("prefs");
    assert_eq!(stored.get("motto"), Some(&vec!["byefor now".to_owned()]));
}

/// A preference the descriptor gives several values is not offered in edit mode, and
/// a save keeps it whole: the form's one field could hold only its first value.
#[test]
fn a_preference_with_several_values_is_kept_whole() {
    let w = abc();
    let one = "contacts_center_INSTANCE_one";
    let form = cc(Some("a"))
        .instance(one)
        .admin()
        .declared("tags", &["a", "b"])
        .declared("motto", &["hello"])
        .mode(widget_host::portal::PortletMode::Edit)
        .html(&w);
    assert!(!form.contains("_tags\""), "{form}");
    assert!(form.contains("_motto\""), "{form}");
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .declared("tags", &["a", "b"])
        .declared("motto", &["hello"])
        .named("save-preferences")
        .p("pageSize", "10")
        .p("tags", "a")
        .p("motto", "bye")
        .ok(&w);
    assert!(saved.ok, "{saved:?}");
    let stored = w
        .social
        .read()
        .expect("read")
        .preferences(one)
        .expect("prefs");
    assert!(!stored.contains_key("tags"), "{stored:?}");
    assert_eq!(stored.get("motto"), Some(&vec!["bye".to_owned()]));
    // A value saved while the preference had one value stops counting once the
    // descriptor gives it several, as a read-only one's does.
    for (id, given) in [("d", "Dee"), ("e", "Eve"), ("f", "Fay")] {
        w.add(id, given, "Dunn");
    }
    let rows =
        |call: widget_support::Call| call.html(&w).matches("class=\"list-group-title\"").count();
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .named("save-preferences")
        .p("pageSize", "2")
        .ok(&w);
    assert!(saved.ok, "{saved:?}");
    assert_eq!(rows(cc(Some("a")).instance(one)), 2);
    let listed = cc(Some("a"))
        .instance(one)
        .declared("pageSize", &["3", "4"]);
    assert_eq!(
        rows(listed),
        3,
        "the descriptor's first value, not the one saved"
    );
}

/// A portrait as Liferay's UserAccount gives it, a path from the portal's root, is
/// shown: the fragment sits in the portal's page, which loads it from the portal.
#[test]
fn a_liferay_portrait_path_is_shown() {
    let w = abc();
    let mut bob = widget_support::person("b", "Bob", "Baker");
    bob.image = Some("/image/user_portrait?img_id=7&t=1".into());
    w.social.upsert_person(bob).expect("bob");
    let card = cc(Some("a")).p("userId", "b").html(&w);
    assert!(
        card.contains("src=\"/image/user_portrait?img_id=7&amp;t=1\""),
        "{card}"
    );
    let list = cc(Some("a")).html(&w);
    assert!(list.contains("src=\"/image/user_portrait?img_id=7&amp;t=1\""));
}

/// A phone's extension is said as one, in the reader's language, on the card and in
/// its JSON.
#[test]
fn a_phones_extension_is_named_in_the_readers_language() {
    use widget_host::store::Phone;
    let w = abc();
    let mut bob = widget_support::person("b", "Bob", "Baker");
    bob.user_account_contact_information.telephones.push(Phone {
        phone_number: "+1 555 0100".into(),
        extension: " 567 ".into(),
        ..Phone::default()
    });
    w.social.upsert_person(bob).expect("bob");
    for (locale, said) in [
        ("en_US", "+1 555 0100 ext. 567"),
        ("de_DE", "+1 555 0100 Durchwahl 567"),
        ("ja_JP", "+1 555 0100 内線 567"),
    ] {
        let card = cc(Some("a")).locale(locale).p("userId", "b").html(&w);
        assert!(card.contains(said), "{locale}: {card}");
        assert!(!card.contains("(567)"), "{locale}: {card}");
    }
    let json = cc(Some("a"))
        .named("contact")
        .p("userId", "b")
        .resource(&w)
        .expect("contact");
    let json: serde_json::Value = serde_json::from_slice(&json.body).expect("json");
    assert_eq!(json["details"]["phones"][0], "+1 555 0100 ext. 567");
}

#[test]
fn exports_and_json_hide_what_the_placement_hides() {
    use widget_host::store::{EmailAddress, Phone, PostalAddress, WebUrl};
    let w = abc();
    let mut bob = widget_support::person("b", "Bob", "Baker");
    bob.image = Some("https://portal.test/b.png".into());
    let info = &mut bob.user_account_contact_information;
    info.email_addresses.push(EmailAddress {
        email_address: "bob@home.test".into(),
        kind: "personal".into(),
        primary: false,
    });
    info.telephones.push(Phone {
        phone_number: "+1 555 0100".into(),
        ..Phone::default()
    });
    info.postal_addresses.push(PostalAddress {
        address_locality: "Springfield".into(),
        ..PostalAddress::default()
    });
    info.web_urls.push(WebUrl {
        url: "https://bob.test".into(),
        ..WebUrl::default()
    });
    // Never shown on the card, so never exported either.
    info.web_urls.push(WebUrl {
        url: "javascript:alert(1)".into(),
        ..WebUrl::default()
    });
    // The primary address again, in another case: when the primary is hidden it must
    // not come back as an additional one.
    info.email_addresses.push(EmailAddress {
        email_address: "B@Example.com".into(),
        kind: "work".into(),
        primary: true,
    });
    w.social.upsert_person(bob).expect("bob");
    let one = "contacts_center_INSTANCE_one";
    let vcard = |instance: &str| bobs_vcard(&w, instance);
    let json = |instance: &str| {
        let r = cc(Some("a"))
            .instance(instance)
            .named("contact")
            .p("userId", "b")
            .resource(&w)
            .expect("contact");
        serde_json::from_slice::<serde_json::Value>(&r.body).expect("json")
    };
    let shown = vcard(one);
    for field in [
        "b@example.com",
        "bob@home.test",
        "TEL",
        "Springfield",
        "https://bob.test",
    ] {
        assert!(shown.contains(field), "{field} in {shown}");
    }
    assert_eq!(json(one)["image"], "https://portal.test/b.png");
    // The JSON has what the card shows, the unsafe website left out as there.
    assert_eq!(
        json(one)["details"],
        serde_json::json!({
            "emails": ["bob@home.test"],
            "phones": ["+1 555 0100"],
            "addresses": ["Springfield"],
            "websites": ["https://bob.test"],
        })
    );

    // An administrator hides everything but names (unchecked boxes are absent).
    let saved = cc(Some("a"))
        .instance(one)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .ok(&w);
    assert!(saved.ok);
    let hidden = vcard(one);
    for field in [
        "b@example.com",
        "bob@home.test",
        "TEL",
        "Springfield",
        "https://bob.test",
    ] {
        assert!(!hidden.contains(field), "{field} in {hidden}");
    }
    assert!(hidden.contains("FN:Bob Baker") && hidden.contains("TITLE:Engineer"));
    let contact = json(one);
    assert!(contact["image"].is_null() && contact.get("emailAddress").is_none());
    assert_eq!(
        contact["details"],
        serde_json::json!({ "emails": [], "phones": [], "addresses": [], "websites": [] })
    );
    // Nor can a search find Bob by an address the placement hides: trying prefixes
    // would spell it out. By name he is found.
    let search = |instance: &str, keywords: &str| {
        cc(Some("a"))
            .instance(instance)
            .p("filter", "all")
            .p("keywords", keywords)
            .html(&w)
    };
    for keywords in ["bob@home", "b@example"] {
        let found = search(one, keywords);
        assert!(!found.contains("Bob Baker"), "{keywords}: {found}");
        assert!(
            search("contacts_center_INSTANCE_two", keywords).contains("Bob Baker"),
            "{keywords} on a placement that shows it"
        );
    }
    assert!(search(one, "bak").contains("Bob Baker"));
    // Another placement keeps its own preferences.
    assert!(vcard("contacts_center_INSTANCE_two").contains("TEL"));
    assert!(
        !shown.to_ascii_lowercase().contains("javascript"),
        "{shown}"
    );

    // Additional addresses shown, the primary hidden: it stays hidden though the
    // directory lists it again among the others.
    show_additional_emails(&w, one);
    let card = vcard(one);
    assert!(card.contains("bob@home.test"), "{card}");
    assert!(
        !card.to_ascii_lowercase().contains("b@example.com"),
        "{card}"
    );
}

/// Saves `instance`'s preferences as an administrator: additional email addresses
/// shown, the other yes/no preferences off (unticked), the account's own address among
/// them.
fn show_additional_emails(w: &World, instance: &str) {
    let saved = cc(Some("a"))
        .instance(instance)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .p("showAdditionalEmailAddresses", "true")
        .ok(w);
    assert!(saved.ok, "{saved:?}");
}

/// Bob's vCard as Ann downloads it on the placement `instance`, unfolded.
fn bobs_vcard(w: &World, instance: &str) -> String {
    let card = cc(Some("a"))
        .instance(instance)
        .named("vcard")
        .p("userId", "b")
        .resource(w)
        .expect("vcard");
    widget_host::vcard::unfold(&String::from_utf8(card.body).expect("utf8"))
}

/// The portal's primary phone, address and website come first in a vCard, marked
/// PREF, the others in their order; the account's own email is the preferred one,
/// or the primary additional one when the placement hides it. A blank entry the
/// directory calls primary is no entry: the next primary keeps the mark.
#[test]
fn a_vcard_puts_the_primary_entries_first_and_marks_them() {
    use widget_host::store::{EmailAddress, Phone, PostalAddress, WebUrl};
    let w = abc();
    let mut bob = widget_support::person("b", "Bob", "Baker");
    let info = &mut bob.user_account_contact_information;
    info.email_addresses.push(EmailAddress {
        email_address: "bob@home.test".into(),
        kind: "personal".into(),
        primary: true,
    });
    for (number, primary) in [
        ("  ", true),
        ("+1 555 0101", false),
        ("+1 555 0102", false),
        ("+1 555 0103", true),
        ("+1 555 0104", true),
        ("+1 555 0105", false),
    ] {
        info.telephones.push(Phone {
            phone_number: number.into(),
            primary,
            ..Phone::default()
        });
    }
    for (locality, primary) in [(" ", true), ("Shelbyville", false), ("Springfield", true)] {
        info.postal_addresses.push(PostalAddress {
            address_locality: locality.into(),
            primary,
            ..PostalAddress::default()
        });
    }
    for (url, primary) in [("https://a.test", false), ("https://b.test", true)] {
        info.web_urls.push(WebUrl {
            url: url.into(),
            primary,
            ..WebUrl::default()
        });
    }
    w.social.upsert_person(bob).expect("bob");
    let vcard = |instance: &str| {
        bobs_vcard(&w, instance)
            .lines()
            .filter(|l| {
                ["EMAIL", "TEL", "ADR", "URL"]
                    .iter()
                    .any(|p| l.starts_with(p))
            })
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        vcard("contacts_center_INSTANCE_shown"),
        [
            "EMAIL;TYPE=INTERNET,PREF:b@example.com",
            "EMAIL;TYPE=INTERNET,HOME:bob@home.test",
            "TEL;TYPE=VOICE,PREF:+1 555 0103",
            "TEL;TYPE=VOICE:+1 555 0101",
            "TEL;TYPE=VOICE:+1 555 0102",
            "TEL;TYPE=VOICE:+1 555 0104",
            "TEL;TYPE=VOICE:+1 555 0105",
            "ADR;TYPE=PREF:;;;Springfield;;;",
            "ADR:;;;Shelbyville;;;",
            "URL;TYPE=PREF:https://b.test",
            "URL:https://a.test",
        ]
    );
    // The account's own address hidden: the primary additional one is preferred.
    let hides = "contacts_center_INSTANCE_hides";
    show_additional_emails(&w, hides);
    assert_eq!(
        vcard(hides),
        ["EMAIL;TYPE=INTERNET,HOME,PREF:bob@home.test"]
    );
}

/// redb's in-memory storage that counts the reads it serves, and refuses every read
/// once `reads_left` (when not negative) is spent: a disk failing in mid-render.
#[derive(Debug)]
struct FailingReads {
    inner: redb::backends::InMemoryBackend,
    reads: Arc<AtomicI64>,
    reads_left: Arc<AtomicI64>,
}

impl redb::StorageBackend for FailingReads {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        if self.reads_left.fetch_sub(1, Ordering::SeqCst) == 0 {
            self.reads_left.store(0, Ordering::SeqCst);
            return Err(std::io::Error::other("input/output error"));
        }
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> std::io::Result<()> {
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.inner.write(offset, data)
    }
    fn close(&self) -> std::io::Result<()> {
        self.inner.close()
    }
}

/// A read the system refuses during a render (a failing disk) is the host's storage
/// failure at once, as a failed write is: the render fails, and `/healthz` (which
/// reads `storage_failure`) turns to 503 without waiting for a write to meet it.
#[test]
fn a_read_that_fails_during_a_render_is_the_hosts_storage_failure() {
    let (reads, reads_left) = (Arc::new(AtomicI64::new(0)), Arc::new(AtomicI64::new(-1)));
    let disk = FailingReads {
        inner: redb::backends::InMemoryBackend::new(),
        reads: Arc::clone(&reads),
        reads_left: Arc::clone(&reads_left),
    };
    // No page cache: every page a render reads comes from the disk.
    let options = widget_host::store::StoreOptions {
        cache_bytes: 0,
        ..widget_host::store::StoreOptions::default()
    };
    let w = world_on(widget_host::social::Social::open_on(disk, options).expect("open"));
    w.add("a", "Ann", "Archer");
    w.add("b", "Bob", "Baker");
    assert!(cc(Some("a")).html(&w).contains("Bob Baker"));
    assert_eq!(w.social.storage_failure(), None);

    // The reads a snapshot takes to begin succeed; the render's next read fails.
    let before = reads.load(Ordering::SeqCst);
    drop(w.social.read().expect("a snapshot"));
    let to_begin = reads.load(Ordering::SeqCst) - before;
    reads_left.store(to_begin, Ordering::SeqCst);
    match cc(Some("a")).render(&w) {
        Err(WidgetError::Storage(e)) => assert!(e.is_storage_failure(), "{e}"),
        other => panic!("a storage failure, not {other:?}"),
    }
    let failure = w
        .social
        .storage_failure()
        .expect("kept as the host's failure");
    assert!(failure.contains("input/output error"), "{failure}");
}

/// The entry form stops at the lengths the rules accept, so what it lets through is
/// never refused (a refused save would come back without what was typed).
#[test]
fn the_entry_forms_limits_are_the_rules_limits() {
    let w = abc();
    let html = cc(Some("a")).p("filter", "contacts").html(&w);
    let limit = |field: &str| -> usize {
        let at = html
            .find(&format!("name=\"_contacts_center_{field}\""))
            .unwrap_or_else(|| panic!("{field}: {html}"));
        let tag = &html[html[..at].rfind('<').expect("its tag")..at];
        let value = tag
            .split("maxlength=\"")
            .nth(1)
            .and_then(|v| v.split('"').next())
            .unwrap_or_else(|| panic!("{field} has no maxlength: {tag}"));
        value.parse().expect("a number")
    };
    let (name, email, comments) = (limit("fullName"), limit("emailAddress"), limit("comments"));
    let save = |n: &str, e: &str, c: &str| {
        cc(Some("a"))
            .named("save-contact")
            .p("fullName", n)
            .p("emailAddress", e)
            .p("comments", c)
            .ok(&w)
    };
    // The longest address the rules take: a local part of 64 bytes and a domain of
    // labels of at most 63.
    let mut longest_email = format!("{}@", "e".repeat(64));
    while longest_email.len() + 64 < email {
        longest_email.push_str(&"d".repeat(63));
        longest_email.push('.');
    }
    longest_email.push_str(&"c".repeat(email - longest_email.len()));
    assert_eq!(longest_email.len(), email);
    let longest = save(&"n".repeat(name), &longest_email, &"c".repeat(comments));
    assert!(longest.ok, "{longest:?}");
    for (n, e, c) in [
        (
            "n".repeat(name + 1),
            "one@example.com".to_owned(),
            String::new(),
        ),
        (
            "Ok".to_owned(),
            "two@example.com".to_owned(),
            "c".repeat(comments + 1),
        ),
        (
            "Ok".to_owned(),
            // A label more, and the address is past the form's length alone.
            format!("{longest_email}.c"),
            String::new(),
        ),
    ] {
        let refused = save(&n, &e, &c);
        assert!(!refused.ok, "one past the form's limit: {refused:?}");
    }
}

/// A card says how many mutual connections the two people have, though it shows the
/// faces of 12 at most; past the count's scan limit on both sides the number is a
/// lower bound and says so.
#[test]
fn a_card_counts_its_mutual_connections() {
    use widget_host::social::BulkEdge;
    use widget_host::store::MUTUAL_SCAN_LIMIT;
    let w = abc();
    let heading = |html: &str| {
        html.split("<h4 class=\"sheet-subtitle\">")
            .skip(1)
            .map(|h| h.split("</h4>").next().unwrap_or_default().to_owned())
            .find(|h| h.contains("Mutual") || h.contains("Gemeinsame"))
    };
    assert_eq!(
        heading(&cc(Some("a")).p("userId", "b").html(&w)),
        None,
        "none yet"
    );

    let n = MUTUAL_SCAN_LIMIT + 1;
    let people: Vec<_> = (0..n)
        .map(|i| person(&format!("m{i}"), "Max", &format!("Mutual{i:05}")))
        .collect();
    w.social.upsert_people(people).expect("people");
    let shared = |range: std::ops::Range<usize>| -> Vec<BulkEdge> {
        range
            .flat_map(|i| {
                [
                    BulkEdge::Connection("a".into(), format!("m{i}")),
                    BulkEdge::Connection("b".into(), format!("m{i}")),
                ]
            })
            .collect()
    };
    w.social.link_many(shared(0..15)).expect("connections");
    let card = cc(Some("a")).p("userId", "b").html(&w);
    assert_eq!(heading(&card).as_deref(), Some("Mutual Connections (15)"));
    let faces = card
        .split("id=\"_contacts_center_mutual\"")
        .nth(1)
        .and_then(|list| list.split("</ul>").next())
        .expect("the faces");
    assert_eq!(faces.matches("<li").count(), 12, "{faces}");
    // Each face opens its person's card, as the name beside it does.
    assert_eq!(
        faces
            .matches("<a class=\"sticker sticker-circle sticker-light user-icon\" href=\"")
            .count(),
        12,
        "{faces}"
    );
    assert!(
        faces.contains("tabindex=\"-1\" aria-hidden=\"true\">"),
        "{faces}"
    );
    let german = cc(Some("a")).p("userId", "b").locale("de_DE").html(&w);
    assert_eq!(
        heading(&german).as_deref(),
        Some("Gemeinsame Verbindungen (15)")
    );

    w.social.link_many(shared(15..n)).expect("connections");
    let card = cc(Some("a")).p("userId", "b").html(&w);
    assert_eq!(
        heading(&card).as_deref(),
        Some("Mutual Connections (5,000+)")
    );
}

/// One contact past the limit is refused with words that say what the limit is, in
/// the reader's number format, where the key alone would leave a `{0}` or no figure.
#[test]
fn the_contact_limit_refusal_says_the_limit() {
    use widget_host::social::{Action, EntryDraft, MAX_CONTACTS};
    let w = abc();
    for i in 0..MAX_CONTACTS {
        let saved = w.social.act(
            "a",
            Action::SaveEntry(EntryDraft {
                entry_id: None,
                full_name: format!("Contact {i}"),
                email_address: format!("c{i}@x.org"),
                comments: String::new(),
            }),
        );
        assert!(saved.expect("act").first().is_ok(), "contact {i}");
    }
    let refused = cc(Some("a"))
        .named("save-contact")
        .p("fullName", "One Too Many")
        .p("emailAddress", "more@x.org")
        .locale("fr_FR")
        .ok(&w);
    assert_eq!(
        (refused.kind, refused.message.as_str()),
        (OutcomeKind::Conflict, "you-cannot-add-more-contacts"),
        "{refused:?}"
    );
    assert_eq!(
        refused.text,
        "Vous pouvez garder jusqu'à 1\u{202f}000 contacts. Supprimez-en un pour en ajouter un autre."
    );
}

/// A request answered from a list leaves that list, so the message names the person
/// ("You are now connected to \u{2068}Ann Archer\u{2069}."), where "this user" would leave a screen
/// reader's user asking whom. In both widgets, in the reader's language; a card
/// shows the person and keeps the short text; a message key that names nobody, or
/// an id of nobody, keeps its own text.
#[test]
fn an_answer_from_a_list_names_the_person_it_answered() {
    let w = abc();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    cc(Some("c")).named("connect").p("userId", "b").ok(&w);
    let mut ids: Vec<String> = {
        let reader = w.social.read().expect("read");
        reader
            .requests_received("b")
            .expect("requests")
            .iter()
            .map(|r| r.request_id.to_string())
            .collect()
    };
    ids.sort();
    // Ann's request, from the Requests tab.
    let accepted = cc(Some("b"))
        .named("accept-request")
        .p("requestId", &ids[0])
        .p("filter", "requests")
        .ok(&w);
    assert!(accepted.ok, "{accepted:?}");
    assert!(
        accepted
            .render_params
            .contains(&("messageUserId".into(), "a".into())),
        "{accepted:?}"
    );
    let back = |call: Call| {
        accepted
            .render_params
            .iter()
            .fold(call, |call, (k, v)| call.p(k, v))
    };
    let html = back(cc(Some("b"))).html(&w);
    assert!(
        html.contains("You are now connected to \u{2068}Ann Archer\u{2069}."),
        "{html}"
    );
    let german = back(cc(Some("b")).locale("de_DE")).html(&w);
    assert!(
        german.contains("Sie sind jetzt mit \u{2068}Ann Archer\u{2069} verbunden."),
        "{german}"
    );
    // Cid's, from the Notifications widget.
    let ignored = notes(Some("b"))
        .named("ignore-request")
        .p("requestId", &ids[1])
        .ok(&w);
    assert!(ignored.ok, "{ignored:?}");
    let html = ignored
        .render_params
        .iter()
        .fold(notes(Some("b")), |call, (k, v)| call.p(k, v))
        .html(&w);
    assert!(
        html.contains("You have ignored the connection request from \u{2068}Cid Cole\u{2069}."),
        "{html}"
    );
    // A card shows whom: no name is added, and none is asked for.
    cc(Some("a")).named("connect").p("userId", "c").ok(&w);
    let id = request_id(&w, "c");
    let on_card = cc(Some("c"))
        .named("accept-request")
        .p("requestId", &id)
        .p("userId", "a")
        .ok(&w);
    assert!(
        !on_card
            .render_params
            .iter()
            .any(|(k, _)| k == "messageUserId"),
        "{on_card:?}"
    );
    // Keys that name nobody, and ids of nobody, keep their own text.
    let deleted = cc(Some("b"))
        .p("message", "the-contact-was-deleted")
        .p("messageUserId", "a")
        .html(&w);
    assert!(
        deleted.contains("The contact was deleted.</div>"),
        "{deleted}"
    );
    let nobody = cc(Some("b"))
        .p("message", "you-are-now-connected-to-this-user")
        .p("messageUserId", "nobody")
        .html(&w);
    assert!(
        nobody.contains("You are now connected to this user."),
        "{nobody}"
    );
}

/// A yes/no preference is read as Liferay reads one (`GetterUtil.getBoolean`): `1`,
/// `on`, `y`, `t` or `true` in any case is yes, anything else no; edit mode shows
/// it as a checkbox, ticked or not, however the descriptor spelled it. A number
/// preference stays a number, even at `1`.
#[test]
fn flags_read_liferays_boolean_spellings() {
    let w = abc_with_bobs_phone();
    let phones_shown = |value: &str| {
        let card = cc(Some("a"))
            .declared("showPhones", &[value])
            .named("vcard")
            .p("userId", "b")
            .resource(&w)
            .expect("vcard");
        String::from_utf8(card.body).expect("utf8").contains("TEL")
    };
    for yes in ["1", "on", "Y", "t", "true", " TRUE "] {
        assert!(phones_shown(yes), "{yes:?}");
    }
    for no in ["0", "off", "n", "false", "maybe", ""] {
        assert!(!phones_shown(no), "{no:?}");
    }
    let field = |value: &str, name: &str| {
        let form = cc(Some("a"))
            .admin()
            .declared("showPhones", &[value])
            .declared("pageSize", &["1"])
            .mode(widget_host::portal::PortletMode::Edit)
            .html(&w);
        let at = form
            .find(&format!("pref-{name}\" name="))
            .unwrap_or_else(|| panic!("{name} in {form}"));
        let start = form[..at].rfind("<input").expect("its input");
        let end = at + form[at..].find('>').expect("its end");
        form[start..end].to_owned()
    };
    let on = field("1", "showPhones");
    assert!(
        on.contains("type=\"checkbox\"") && on.contains(" checked"),
        "{on}"
    );
    let off = field("off", "showPhones");
    assert!(
        off.contains("type=\"checkbox\"") && !off.contains(" checked"),
        "{off}"
    );
    let size = field("1", "pageSize");
    assert!(
        size.contains("type=\"number\"") && size.contains("value=\"1\""),
        "{size}"
    );
    // Only `show…` preferences read `1` as a flag: Liferay's displayStyle is a number.
    let form = cc(Some("a"))
        .admin()
        .declared("displayStyle", &["1"])
        .mode(widget_host::portal::PortletMode::Edit)
        .html(&w);
    assert!(
        form.contains("name=\"_contacts_center_displayStyle\" value=\"1\""),
        "{form}"
    );
    // A save takes the spellings the flag is read with: a checkbox without a value
    // sends `on`.
    let save = |value: &str| {
        cc(Some("a"))
            .admin()
            .declared("showPhones", &["1"])
            .named("save-preferences")
            .p("pageSize", "10")
            .p("showPhones", value)
            .act(&w)
    };
    let stored = || {
        let prefs = w
            .social
            .read()
            .expect("read")
            .preferences("contacts_center");
        prefs.expect("prefs").get("showPhones").cloned()
    };
    // `on` reads as the descriptor's `1`: a value the descriptor gives is not stored,
    // and setting a flag back to it takes the stored value away.
    assert!(save("0").expect("saved").ok);
    assert_eq!(stored(), Some(vec!["false".to_owned()]));
    assert!(save("on").expect("saved").ok);
    assert_eq!(stored(), None);
    assert!(save("0").expect("saved").ok);
    assert!(save("Y").expect("saved").ok);
    assert_eq!(stored(), None);
    assert!(matches!(save("maybe"), Err(WidgetError::BadRequest { .. })));
}

/// What a descriptor gives a preference never blocks edit mode's form: a page size the
/// host would not take is shown as the one in use (a number field holding `0` could
/// not be sent), and a text value longer than a form may set is taken back as it was
/// shown, while another value that long is still refused.
#[test]
fn a_descriptors_own_values_never_block_a_save() {
    let w = abc();
    // Shown in a text field, it comes back without its line break.
    let long = format!("{}\n{}", "m".repeat(150), "m".repeat(150));
    let base = || {
        cc(Some("a"))
            .admin()
            .declared("pageSize", &["0"])
            .declared("motto", &[long.as_str()])
    };
    let form = base().mode(widget_host::portal::PortletMode::Edit).html(&w);
    assert!(
        form.contains("name=\"_contacts_center_pageSize\" value=\"20\""),
        "{form}"
    );
    assert!(form.contains(&long), "{form}");
    let saved = base()
        .named("save-preferences")
        .p("pageSize", "20")
        .p("motto", &long.replace('\n', ""))
        .ok(&w);
    assert!(saved.ok);
    // Both came back as the form showed the descriptor's values (the page size in
    // use, the text without its line break): neither is stored, so the placement
    // follows the descriptor when those change.
    let stored = w
        .social
        .read()
        .expect("read")
        .preferences("contacts_center")
        .expect("prefs");
    for name in ["pageSize", "motto"] {
        assert!(!stored.contains_key(name), "{name}: {stored:?}");
    }
    let other = "n".repeat(300);
    let refused = base()
        .named("save-preferences")
        .p("pageSize", "20")
        .p("motto", &other)
        .act(&w);
    assert!(
        matches!(refused, Err(WidgetError::BadRequest { .. })),
        "{refused:?}"
    );
}

/// `abc()`, with a phone number on Bob's card (which preferences may hide).
fn abc_with_bobs_phone() -> World {
    use widget_host::store::Phone;
    let w = abc();
    let mut bob = widget_support::person("b", "Bob", "Baker");
    bob.user_account_contact_information.telephones.push(Phone {
        phone_number: "+1 555 0100".into(),
        ..Phone::default()
    });
    w.social.upsert_person(bob).expect("bob");
    w
}

/// Someone with nothing yet reads each count as a sentence of its own ("You have no
/// followers."), in every list's words, not "0" beside a noun whose number some
/// languages' rules get wrong for zero.
#[test]
fn counts_of_none_are_said_in_words() {
    let w = abc();
    let html = cc(Some("a")).html(&w);
    for none in [
        "You have no connections.",
        "You are not following anyone.",
        "You have no followers.",
        "You have no pending requests.",
        "You have no contacts.",
    ] {
        assert!(html.contains(&format!(">{none}</a>")), "{none}: {html}");
    }
    assert!(!html.contains(">You have 0 "), "{html}");
}

/// French sets a narrow no-break space before a question mark, so that a browser's
/// confirmation never starts a line with it.
#[test]
fn french_questions_keep_their_mark_on_the_line() {
    let w = abc();
    let html = cc(Some("a")).locale("fr_FR").html(&w);
    assert!(
        html.contains("Bloquer les personnes sélectionnées\u{202f}?"),
        "{html}"
    );
    let questions: Vec<&str> = html
        .split("data-confirm=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .collect();
    assert!(!questions.is_empty(), "{html}");
    for question in questions {
        assert!(!question.contains(" ?"), "{question}");
    }
}

/// A person without a name is called in a vCard what an address book can place: the
/// screen name, else an address the card shows, and the user id only where there is
/// neither.
#[test]
fn a_vcard_of_someone_without_a_name_calls_them_by_what_they_have() {
    let w = world();
    w.add("v", "Val", "Viewer");
    let nameless = |id: &str, screen: &str, email: &str| widget_host::store::Person {
        id: id.into(),
        alternate_name: screen.into(),
        email_address: email.into(),
        ..Default::default()
    };
    w.social
        .upsert_people(vec![
            nameless("20123", "jdoe", "jdoe@example.com"),
            nameless("20124", "", "ann@example.com"),
            nameless("20125", "", ""),
            nameless("20126", "kim@example.com", "kim@example.com"),
            // A name of nothing but a zero-width space, stored before such names
            // were read as none, is no name either.
            widget_host::store::Person {
                given_name: "\u{200B}".into(),
                ..nameless("20127", "zed", "")
            },
        ])
        .expect("people");
    let export = |instance: Option<&str>, id: &str| {
        let call = cc(Some("v")).named("vcard").p("userId", id);
        let call = match instance {
            Some(one) => call.instance(one),
            None => call,
        };
        let file = call.resource(&w).expect("export");
        (
            String::from_utf8(file.body).expect("utf8"),
            file.filename.unwrap_or_default(),
        )
    };
    for (id, fn_line, filename) in [
        ("20123", "FN:jdoe\r\n", "jdoe.vcf"),
        ("20124", "FN:ann@example.com\r\n", "ann_example.com.vcf"),
        ("20125", "FN:20125\r\n", "20125.vcf"),
        ("20126", "FN:kim@example.com\r\n", "kim_example.com.vcf"),
        ("20127", "FN:zed\r\n", "zed.vcf"),
    ] {
        let (text, name) = export(None, id);
        assert!(text.contains(fn_line), "{id}: {text}");
        // The download is named as its card calls the person.
        assert_eq!(name, filename, "{id}");
    }
    // A placement that hides addresses hides a screen name that is one, in FN too.
    let hidden = "contacts_center_INSTANCE_private";
    let saved = cc(Some("v"))
        .instance(hidden)
        .admin()
        .named("save-preferences")
        .p("pageSize", "10")
        .ok(&w);
    assert!(saved.ok, "{}", saved.message);
    let (text, name) = export(Some(hidden), "20126");
    assert!(text.contains("FN:20126\r\n"), "{text}");
    assert!(!text.contains("kim@"), "{text}");
    assert_eq!(name, "20126.vcf");
}
