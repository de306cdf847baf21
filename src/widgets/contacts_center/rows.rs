//! The rows of the people lists: the fields `home.html` lays out, and the same markup
//! written by the host (`views/home_page.rs`) when that template and the ones it
//! includes are the built-in ones. minijinja spent about 30,000 instructions a row
//! (turning the fields into template values, then looking each one up and escaping
//! it); writing the row here is a few thousand.

use serde::Serialize;

use super::cards::PersonView;
use crate::templates::Html;
use crate::widgets::ui::Form;

/// One row of a list.
#[derive(Debug, Serialize)]
pub(super) struct Row {
    pub person: PersonView,
    /// The bulk-selection checkbox, when the row offers one.
    pub select: Option<Select>,
    pub forms: Vec<Form>,
    /// When a request row's request was sent, as shown without the script.
    pub when: Option<String>,
    /// The same instant for the row's `<time datetime>`.
    pub when_iso: Option<String>,
    /// The row of the person whose card the reader came back from: it carries the id
    /// the card's Back link lands on ([`RETURNED`]).
    pub returned: bool,
}

/// The id, namespaced, of the element a card's Back link lands on: the row of the
/// person the card showed, else the list's filters (the person has left the list).
pub(crate) const RETURNED: &str = "returned";

/// A row's bulk-selection checkbox. Its id and label are made in Rust rather than with
/// template filters: rows are the hot loop of every list render.
#[derive(Debug, Serialize)]
pub(super) struct Select {
    pub id: String,
    pub label: String,
}

/// `text` as a template's `{% if %}` reads an optional string: absent when empty too.
pub(super) fn present(text: &Option<String>) -> Option<&str> {
    text.as_deref().filter(|t| !t.is_empty())
}

/// `home.html`'s row of the main list (people, or received requests), value for
/// value: the checkbox when the row has one and the page a selection form
/// (`bulk_form`, its id), the portrait or initials, the name linking to the card,
/// title, email and badges, then a request's date and forms. `ns` is the placement's
/// namespace.
pub(super) fn write_row(out: &mut Html, row: &Row, ns: &str, bulk_form: Option<&str>) {
    let p = &row.person;
    out.raw("\n");
    write_row_start(out, row, ns);
    if let (Some(select), Some(form)) = (&row.select, bulk_form) {
        out.raw("<div class=\"autofit-col\"><div class=\"custom-control custom-checkbox\"><label for=\"")
            .text(&select.id)
            .raw("\"><input type=\"checkbox\" class=\"custom-control-input\" form=\"")
            .text(form)
            .raw("\" name=\"")
            .text(ns)
            .raw("userIds\" value=\"")
            .text(&p.user_id)
            .raw("\" id=\"")
            .text(&select.id)
            .raw("\"><span class=\"custom-control-label\"><span class=\"custom-control-label-text sr-only\">")
            .text(&select.label)
            .raw("</span></span></label></div></div>");
    }
    out.raw("\n");
    write_avatar_col(out, p, "\n");
    out.raw("<div class=\"autofit-col autofit-col-expand\">");
    write_person_body(out, p);
    out.raw("</div>");
    write_when(out, row);
    if !row.forms.is_empty() {
        out.raw("<div class=\"autofit-col\"><div class=\"btn-toolbar\">");
        for form in &row.forms {
            write_action_form(out, form);
        }
        out.raw("</div></div>");
    }
    out.raw("\n</li>");
}

/// `home.html`'s row of a sent request: the same person, laid out on fewer lines,
/// with its forms' toolbar always there.
pub(super) fn write_sent_row(out: &mut Html, row: &Row, ns: &str) {
    out.raw("\n");
    write_row_start(out, row, ns);
    write_avatar_col(out, &row.person, "");
    out.raw("<div class=\"autofit-col autofit-col-expand\">");
    write_person_body(out, &row.person);
    out.raw("</div>");
    write_when(out, row);
    out.raw("<div class=\"autofit-col\"><div class=\"btn-toolbar\">");
    for form in &row.forms {
        write_action_form(out, form);
    }
    out.raw("</div></div></li>");
}

/// A row's `<li>`, with the id Back lands on where it is the row returned to.
fn write_row_start(out: &mut Html, row: &Row, ns: &str) {
    out.raw("<li class=\"list-group-item list-group-item-flex\"");
    if row.returned {
        out.raw(" id=\"").text(ns).raw(RETURNED).raw("\"");
    }
    out.raw(">");
}

/// The avatar's column, then `after`; nothing where the placement shows no avatars
/// (`showIcon` off), not even the initials that stand in for a portrait.
pub(super) fn write_avatar_col(out: &mut Html, p: &PersonView, after: &str) {
    if p.avatar {
        out.raw("<div class=\"autofit-col\">");
        write_avatar(out, p);
        out.raw("</div>").raw(after);
    }
}

/// The avatar, which opens the card too, as the product documentation says ("click on
/// the user avatar"); out of the tab order and hidden from screen readers, since the
/// name beside it is the same link.
fn write_avatar(out: &mut Html, p: &PersonView) {
    out.raw("<a class=\"sticker sticker-circle sticker-light user-icon\" href=\"")
        .text(&p.detail_url)
        .raw("\" tabindex=\"-1\" aria-hidden=\"true\">");
    write_sticker_face(out, p);
    out.raw("</a>");
}

/// What an avatar shows: the portrait, else the initials.
pub(super) fn write_sticker_face(out: &mut Html, p: &PersonView) {
    match present(&p.image) {
        Some(image) => out
            .raw("<span class=\"sticker-overlay\"><img class=\"sticker-img\" src=\"")
            .text(image)
            .raw("\" alt=\"\" referrerpolicy=\"no-referrer\"></span>"),
        None => out
            .raw("<span class=\"sticker-overlay\">")
            .text(&p.initials)
            .raw("</span>"),
    };
}

/// The name linking to the card, then title, email and badges.
pub(super) fn write_person_body(out: &mut Html, p: &PersonView) {
    out.raw("\n<a class=\"list-group-title\" href=\"")
        .text(&p.detail_url)
        .raw("\" dir=\"auto\">")
        .text(&p.name)
        .raw("</a>");
    if !p.job_title.is_empty() {
        out.raw("<p class=\"list-group-subtitle\" dir=\"auto\">")
            .text(&p.job_title)
            .raw("</p>");
    }
    if let Some(email) = present(&p.email) {
        out.raw("<p class=\"list-group-subtext\">")
            .text(email)
            .raw("</p>");
    }
    write_badges(out, p);
}

/// The person's standing toward the viewer, a badge each, each after a space.
pub(super) fn write_badges(out: &mut Html, p: &PersonView) {
    for b in &p.badges {
        out.raw(" <span class=\"badge ")
            .text(b.css)
            .raw("\">")
            .text(&b.label)
            .raw("</span>");
    }
}

/// A request's date, as shown without the script.
fn write_when(out: &mut Html, row: &Row) {
    if let Some(when) = present(&row.when) {
        out.raw("<div class=\"autofit-col\"><small class=\"text-secondary\"><time datetime=\"")
            .text(row.when_iso.as_deref().unwrap_or_default())
            .raw("\">")
            .text(when)
            .raw("</time></small></div>");
    }
}

/// `macros.html`'s `action_form`: a POST form with one button. One that asks first
/// sits in a disclosure whose summary, labelled like the button, opens the question
/// and the button (see [`write_confirm_step`]).
pub(super) fn write_action_form(out: &mut Html, form: &Form) {
    if form.confirm.is_some() {
        write_confirm_step(out, form.css, &form.label, present(&form.context));
    }
    out.raw("<form class=\"d-inline-block\" method=\"post\" action=\"")
        .text(&form.url)
        .raw("\">");
    write_hidden(out, &form.hidden);
    if let Some(question) = &form.confirm {
        write_question(out, question, form.question_id.as_deref());
    }
    out.raw("<button type=\"submit\" class=\"").text(form.css);
    if let Some(question) = &form.confirm {
        out.raw("\" data-confirm=\"").text(question);
        if let Some(id) = &form.question_id {
            out.raw("\" aria-describedby=\"").text(id);
        }
    }
    out.raw("\">").text(&form.label);
    write_context(out, present(&form.context));
    out.raw("</button></form>");
    if form.confirm.is_some() {
        out.raw("</details>");
    }
}

/// `macros.html`'s `confirm_step`: the opening of the disclosure that holds a button
/// which asks first. Without the script, the question is asked this way: the summary
/// shows the question and the button, a second press acts, and the summary again
/// closes it. The script takes the disclosure away and asks with `confirm()` instead.
pub(super) fn write_confirm_step(out: &mut Html, css: &str, label: &str, context: Option<&str>) {
    out.raw("<details class=\"d-inline-block confirm-step\" data-confirm-step><summary class=\"")
        .text(css)
        .raw("\">")
        .text(label);
    write_context(out, context);
    out.raw("</summary>");
}

/// `macros.html`'s `question`: the question, before the button that answers it, with
/// the `id` the button's description names.
pub(super) fn write_question(out: &mut Html, question: &str, id: Option<&str>) {
    out.raw("<span class=\"confirm-question\"");
    if let Some(id) = id {
        out.raw(" id=\"").text(id).raw("\"");
    }
    out.raw(" data-question>").text(question).raw(" </span>");
}

/// The name a repeated button acts on, for screen readers (see `Form::context`).
fn write_context(out: &mut Html, context: Option<&str>) {
    if let Some(context) = context {
        out.raw("<span class=\"sr-only\"> ")
            .text(context)
            .raw("</span>");
    }
}

/// A form's hidden fields.
pub(super) fn write_hidden(out: &mut Html, fields: &[crate::widgets::ui::Field]) {
    for f in fields {
        out.raw("<input type=\"hidden\" name=\"")
            .text(&f.name)
            .raw("\" value=\"")
            .text(&f.value)
            .raw("\">");
    }
}
