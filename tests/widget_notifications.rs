//! The Notifications widget: pending requests with Confirm and Ignore, shared answers
//! with the Contacts Center, empty state, guests, namespacing.

mod widget_support;

use widget_host::widgets::{OutcomeKind, WidgetError};
use widget_support::*;

fn two() -> World {
    let w = world();
    w.add("a", "Ann", "Archer");
    w.add("b", "Bob", "Baker");
    w
}

fn request_id(w: &World, receiver: &str) -> String {
    w.social
        .read()
        .expect("read")
        .requests_received(receiver)
        .expect("requests")[0]
        .request_id
        .to_string()
}

#[test]
fn shows_pending_requests_and_confirms_them() {
    let w = two();
    let empty = notes(Some("b")).html(&w);
    assert!(empty.contains("You have no pending requests."), "{empty}");
    assert!(!empty.contains("<form"));

    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    let html = notes(Some("b")).html(&w);
    assert!(
        html.contains("\u{2068}Ann Archer\u{2069} wants to connect with you."),
        "{html}"
    );
    // Who asks, told apart from a namesake by their job title, as a row shows it.
    assert!(
        html.contains(
            "wants to connect with you.</p><p class=\"list-group-subtitle\" dir=\"auto\">Engineer</p>"
        ),
        "{html}"
    );
    assert!(html.contains("You have 1 pending request."));
    // When it was sent: in UTC, and for the enhancement script a datetime it shows
    // in the reader's own time zone.
    let sent = dates(&html);
    assert_eq!(sent.len(), 1, "{html}");
    assert!(
        html.contains(&format!("<small><time datetime=\"{}\">", sent[0].0)),
        "{html}"
    );
    // The request's own time, which is now.
    let shown =
        time::OffsetDateTime::parse(&sent[0].0, &time::format_description::well_known::Rfc3339)
            .expect("an RFC 3339 time")
            .unix_timestamp();
    let stored = w
        .social
        .read()
        .expect("read")
        .requests_received("b")
        .expect("requests")[0]
        .created_at;
    assert_eq!(u64::try_from(shown).ok(), Some(stored), "{html}");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    assert!(now.abs_diff(stored) < 120, "sent at {stored}, now {now}");
    let id = request_id(&w, "b");
    assert!(html.contains(&format!("name=\"_notifications_requestId\" value=\"{id}\"")));
    assert!(html.contains("https://host.test/actions/accept-request"));
    assert!(html.contains("https://host.test/actions/ignore-request"));
    // The requester has nothing to answer.
    assert!(
        notes(Some("a"))
            .html(&w)
            .contains("You have no pending requests.")
    );

    let o = notes(Some("b"))
        .named("accept-request")
        .p("requestId", &id)
        .ok(&w);
    assert!(o.ok);
    assert_eq!(o.message, "you-are-now-connected-to-this-user");
    // No card to open here: the answer's next render names the outcome, not a person
    // to show.
    assert!(
        !o.render_params.iter().any(|(name, _)| name == "userId"),
        "{:?}",
        o.render_params
    );
    assert_eq!(
        o.relationship
            .as_ref()
            .and_then(|r| r["connected"].as_bool()),
        Some(true)
    );
    assert!(cc(Some("a")).html(&w).contains("You have 1 connection."));
    assert!(
        notes(Some("b"))
            .html(&w)
            .contains("You have no pending requests.")
    );
    let shown = notes(Some("b")).p("message", &o.message).html(&w);
    assert!(
        shown.contains("alert-success") && shown.contains("You are now connected to this user.")
    );
}

#[test]
fn ignore_and_refusals() {
    let w = two();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    let id = request_id(&w, "b");
    let not_receiver = notes(Some("a"))
        .named("ignore-request")
        .p("requestId", &id)
        .ok(&w);
    assert_eq!(
        (not_receiver.ok, not_receiver.kind),
        (false, OutcomeKind::Forbidden)
    );
    let o = notes(Some("b"))
        .named("ignore-request")
        .p("requestId", &id)
        .ok(&w);
    assert_eq!(
        (o.ok, o.message.as_str()),
        (true, "you-have-ignored-the-connection-request")
    );
    assert!(matches!(
        notes(Some("b")).named("follow").act(&w),
        Err(WidgetError::UnknownAction(_))
    ));
    assert!(matches!(
        notes(None)
            .named("accept-request")
            .p("requestId", &id)
            .act(&w),
        Err(WidgetError::SignInRequired)
    ));
    assert!(matches!(
        notes(Some("b"))
            .named("accept-request")
            .p("requestId", "one")
            .act(&w),
        Err(WidgetError::BadRequest { .. })
    ));
    // A guest is told what this widget would show, not the Contacts Center's text,
    // nor an outcome an address carried.
    let guest = notes(None).html(&w);
    assert!(
        guest.contains("Sign in to see your connection requests."),
        "{guest}"
    );
    let carried = notes(None)
        .p("message", "you-are-now-connected-to-this-user")
        .html(&w);
    assert!(!carried.contains("alert"), "{carried}");
}

#[test]
fn notifications_markup_is_namespaced_and_localized() {
    let w = two();
    cc(Some("a")).named("connect").p("userId", "b").ok(&w);
    let html = notes(Some("b")).locale("es_ES").html(&w);
    assert!(html.contains("Tienes 1 solicitud pendiente."), "{html}");
    assert!(html.contains(" quiere conectar contigo."), "{html}");
    // Each row's buttons say whom they answer, to screen readers: the label first, as
    // shown, so voice control's "click Confirmar" still finds it; then the name and
    // the job title the row shows under it, which tell two Ann Archers apart.
    for button in ["Confirmar", "Ignorar"] {
        assert!(
            html.contains(&format!(
                "\">{button}<span class=\"sr-only\"> Ann Archer, Engineer</span></button>"
            )),
            "{button}: {html}"
        );
    }
    assert!(!html.contains("wants to connect"), "{html}");
    assert!(html.contains("Ann Archer"), "{html}");
    let scoped = scoped_attributes(&html);
    assert!(scoped.len() > 3, "{scoped:?}");
    for value in scoped {
        assert!(
            value.starts_with("_notifications_") || value == "p_auth",
            "{value}"
        );
    }
    assert!(html.contains("class=\"notifications-portlet\""));
    // A reader in Mexico reads the Spanish texts, and the script writes the dates in
    // Mexico's way.
    let mexican = notes(Some("b")).locale("es_MX").html(&w);
    assert!(
        mexican.contains(" lang=\"es-ES\" dir=\"ltr\" data-locale=\"es-MX\" "),
        "{mexican}"
    );
}

/// The id of the request Mia received from `from`.
fn request_to_me_from(w: &World, from: &str) -> String {
    w.social
        .read()
        .expect("read")
        .requests_received("me")
        .expect("requests")
        .iter()
        .find(|r| r.person.id == from)
        .unwrap_or_else(|| panic!("no request from {from}"))
        .request_id
        .to_string()
}

/// Mia, asked to connect by `n` people: Pat Person00 first, the last newest.
fn asked_by(n: usize) -> World {
    let w = world();
    w.add("me", "Mia", "Me");
    for i in 0..n {
        let id = format!("p{i:02}");
        w.add(&id, "Pat", &format!("Person{i:02}"));
        cc(Some(&id)).named("connect").p("userId", "me").ok(&w);
    }
    w
}

/// An answer given after "View more" comes back with the requests the list showed
/// (`rows`, sent by the script in place of the form's `cursor`), and its forms carry
/// them for the next answer.
#[test]
fn an_answer_after_view_more_comes_back_with_the_rows_shown() {
    let w = asked_by(25);
    let shown = notes(Some("me")).p("rows", "22").html(&w);
    assert_eq!(
        shown.matches("wants to connect with you.").count(),
        22,
        "{shown}"
    );
    assert_eq!(
        shown
            .matches("name=\"_notifications_rows\" value=\"22\"")
            .count(),
        44,
        "Confirm and Ignore of each: {shown}"
    );
    assert!(
        shown.contains("_notifications_view-more"),
        "three more: {shown}"
    );
    let id = request_to_me_from(&w, "p24");
    let answered = notes(Some("me"))
        .named("accept-request")
        .p("requestId", &id)
        .p("rows", "22")
        .ok(&w);
    // Done, and back to the rows shown.
    assert!(answered.ok, "{answered:?}");
    assert_eq!(answered.message, "you-are-now-connected-to-this-user");
    let waiting = w
        .social
        .read()
        .expect("read")
        .requests_received("me")
        .expect("requests");
    assert!(
        waiting.iter().all(|r| r.person.id != "p24"),
        "the request is answered"
    );
    assert!(
        answered
            .render_params
            .contains(&("rows".into(), "22".into())),
        "{:?}",
        answered.render_params
    );
}

#[test]
fn many_requests_page_with_view_more() {
    let w = asked_by(25);
    let first = notes(Some("me")).html(&w);
    assert!(first.contains("You have 25 pending requests."), "{first}");
    assert_eq!(
        first.matches("wants to connect with you.").count(),
        20,
        "one page of 20"
    );
    // Newest first, as a notifications menu: p24 asked last, p00 to p04 wait on the
    // next page.
    let at = |needle: &str| first.find(needle);
    assert!(
        at("Person24").is_some() && at("Person24") < at("Person23"),
        "{first}"
    );
    assert!(at("Person04").is_none(), "{first}");
    // Heard as "View More Requests": a dashboard's Contacts Center has a "View More"
    // of its own.
    assert!(
        first.contains("data-view-more>View More<span class=\"sr-only\"> Requests</span></a>"),
        "{first}"
    );
    let link = first
        .split("id=\"_notifications_view-more\"")
        .next()
        .and_then(|head| head.rsplit("href=\"").next())
        .expect("a View more link");
    let cursor = link
        .split("cursor=")
        .nth(1)
        .and_then(|c| c.split(['&', '"']).next())
        .expect("the link carries a cursor");
    let cursor = cursor
        .replace("%3D", "=")
        .replace("%2B", "+")
        .replace("%2F", "/");
    let second = notes(Some("me")).p("cursor", &cursor).html(&w);
    assert_eq!(
        second.matches("wants to connect with you.").count(),
        5,
        "the rest: {second}"
    );
    assert!(
        !second.contains("_notifications_view-more"),
        "no link after the last page"
    );
    assert!(second.contains("data-list=\"requests\">"), "{second}");

    // Those five accepted, the old link points past the end: the first page shows
    // again, marked as restarted, and the count is not replaced by "no requests".
    for i in 0..5 {
        let id = request_to_me_from(&w, &format!("p{i:02}"));
        notes(Some("me"))
            .named("accept-request")
            .p("requestId", &id)
            .ok(&w);
    }
    let stale = notes(Some("me")).p("cursor", &cursor).html(&w);
    assert!(stale.contains("You have 20 pending requests."), "{stale}");
    assert_eq!(stale.matches("wants to connect with you.").count(), 20);
    assert!(
        stale.contains("data-list=\"requests\" data-restarted>"),
        "{stale}"
    );
    // The page begun again is the first: its forms carry no cursor back.
    assert!(!stale.contains("name=\"_notifications_cursor\""), "{stale}");
}

/// A person answering requests on a later page, without the script, comes back to
/// that page: each form there carries its `cursor`, the answer's render parameters
/// keep it, and so does the page an expired form leads back to. On the first page
/// (and on a page begun again) there is no cursor to carry.
#[test]
fn answering_on_a_later_page_comes_back_to_it() {
    let w = asked_by(22);
    let first = notes(Some("me")).html(&w);
    assert!(!first.contains("name=\"_notifications_cursor\""), "{first}");
    let cursor = first
        .split("cursor=")
        .nth(1)
        .and_then(|c| c.split(['&', '"']).next())
        .expect("a View more link with a cursor")
        .to_owned();
    // The cursor is base64url: nothing in it is escaped in a link.
    assert!(
        cursor
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    let second = notes(Some("me")).p("cursor", &cursor).html(&w);
    let carried = format!("name=\"_notifications_cursor\" value=\"{cursor}\"");
    assert_eq!(
        second.matches(&carried).count(),
        4,
        "Confirm and Ignore of both requests on the page: {second}"
    );

    let id = request_to_me_from(&w, "p00");
    let answered = notes(Some("me"))
        .named("accept-request")
        .p("requestId", &id)
        .p("cursor", &cursor)
        .ok(&w);
    assert!(answered.ok, "{answered:?}");
    assert_eq!(answered.message, "you-are-now-connected-to-this-user");
    assert!(
        answered
            .render_params
            .contains(&("cursor".to_owned(), cursor.clone())),
        "{:?}",
        answered.render_params
    );

    let widget = &w.widgets[widget_host::widgets::notifications::KIND];
    let mut params = widget_host::portal::Params::new();
    params.add("requestId", id.as_str());
    params.add("cursor", cursor.as_str());
    assert_eq!(
        widget.where_the_form_was(&params),
        vec![("cursor".to_owned(), cursor.clone())]
    );
    params.remove("cursor");
    params.add("cursor", "not a cursor!");
    assert!(widget.where_the_form_was(&params).is_empty());
}
