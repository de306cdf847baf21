//! `detail.html`'s markup, written by the host: a person's card. As with the home
//! view (`home_page.rs`), while that template and the ones it takes in are the
//! built-in ones, the card is written here, byte for byte what the template makes of
//! the same [`Detail`]; an administrator's own copy renders through minijinja. A test
//! compares the two in every state of the card (`tests/widget_markup.rs`).
//!
//! Why: minijinja was three fifths of a card's instructions (callgrind), serialising
//! the person, the forms and up to twelve mutual connections into template values
//! and looking each one up again.

use super::super::cards::PersonView;
use super::super::rows::{
    present, write_action_form, write_avatar_col, write_badges, write_person_body,
    write_sticker_face,
};
use super::fragment::{write_alert, write_script};
use super::{Detail, Page};
use crate::templates::Html;
use crate::widgets::ui::Ui;

/// The templates whose markup this file writes.
pub(in crate::widgets::contacts_center) const TEMPLATES: [&str; 3] = [
    "contacts_center/detail.html",
    "widgets/macros.html",
    "layout/alert.html",
];

/// The card's fragment; `script` is the progressive-enhancement script as the
/// templates print it.
pub(super) fn write(page: &Page<Detail>, ui: &Ui<'_>, script: &str) -> String {
    let v = &page.view;
    let p = &v.person;
    let ns = page.ns.as_str();
    // The card itself is about 3 KB, a mutual connection's row 1 KB.
    let mut out = Html::with_capacity(script.len() + 4 * 1024 + 1024 * v.mutual.len());
    out.raw("<div class=\"")
        .text(&page.wrapper)
        .raw("\" lang=\"")
        .text(&page.lang)
        .raw("\" dir=\"ltr\" id=\"")
        .text(ns)
        .raw("contacts-center\">\n");
    if let Some(alert) = &page.alert {
        write_alert(&mut out, alert, ns);
    }
    out.raw("\n<div class=\"card\" id=\"")
        .text(ns)
        .raw("person\"><div class=\"card-body\">\n<div class=\"autofit-row\">");
    if p.avatar {
        out.raw("<div class=\"autofit-col\">");
        write_portrait(&mut out, p);
        out.raw("</div>\n");
    }
    out.raw("<div class=\"autofit-col autofit-col-expand\"><h3 class=\"card-title\" dir=\"auto\">")
        .text(&p.name)
        .raw("</h3>");
    if !p.job_title.is_empty() {
        out.raw("<p class=\"card-subtitle\" dir=\"auto\">")
            .text(&p.job_title)
            .raw("</p>");
    }
    if let Some(email) = present(&p.email) {
        // As the card's other addresses are, below: one tap writes to them.
        out.raw("<p class=\"card-text\"><a href=\"")
            .text(&crate::widgets::links::mailto(email))
            .raw("\">")
            .text(email)
            .raw("</a></p>");
    }
    write_badges(&mut out, p);
    out.raw("\n</div></div>\n<div class=\"btn-toolbar\" id=\"")
        .text(ns)
        .raw("actions\">");
    for form in &v.forms {
        write_action_form(&mut out, form);
    }
    out.raw("<a class=\"btn btn-secondary btn-sm\" href=\"")
        .text(&v.vcard_url)
        .raw("\">")
        .text(ui.text("vcard"))
        .raw("</a></div>");
    let d = &v.details;
    write_list(
        &mut out,
        ui.text("email-addresses"),
        &d.emails,
        Items::Addresses,
    );
    write_list(&mut out, ui.text("phones"), &d.phones, Items::Numbers);
    write_list(&mut out, ui.text("addresses"), &d.addresses, Items::Written);
    write_list(&mut out, ui.text("websites"), &d.websites, Items::Links);
    out.raw("\n</div></div>");
    if !v.mutual.is_empty() {
        out.raw("\n<h4 class=\"sheet-subtitle\">")
            .text(&v.mutual_heading)
            .raw("</h4>\n<ul class=\"list-group\" role=\"list\" id=\"")
            .text(ns)
            .raw("mutual\">");
        for q in &v.mutual {
            out.raw("<li class=\"list-group-item list-group-item-flex\">");
            write_avatar_col(&mut out, q, "");
            out.raw("<div class=\"autofit-col autofit-col-expand\">");
            write_person_body(&mut out, q);
            out.raw("</div></li>");
        }
        out.raw("</ul>");
    }
    out.raw("\n<a class=\"btn btn-link\" href=\"")
        .text(&v.back_url)
        .raw("\" id=\"")
        .text(ns)
        .raw("back\">")
        .text(ui.text("back"))
        .raw("</a>\n");
    let unconfirmed = ui.text("your-last-action-could-not-be-confirmed");
    write_script(&mut out, script, page.nonce.as_deref(), ns, unconfirmed);
    out.raw("\n</div>");
    out.into_string()
}

/// `macros.html`'s `sticker(p, "sticker-xl")`: the card's large avatar, not a link
/// (the card is where the avatar's link leads).
fn write_portrait(out: &mut Html, p: &PersonView) {
    out.raw("<span class=\"sticker sticker-circle sticker-light user-icon sticker-xl\" aria-hidden=\"true\">");
    write_sticker_face(out, p);
    out.raw("</span>");
}

/// What a card's detail list holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Items {
    /// Email addresses: links to write to them (`mailto`), left to right.
    Addresses,
    /// Phone numbers: links to call them (`tel`) where there is a number to dial,
    /// left to right.
    Numbers,
    /// Postal addresses, which may be written right to left: each takes its own
    /// direction.
    Written,
    /// Websites: links, with `rel` as the template has it.
    Links,
}

/// One of the card's detail lists under its heading, when it has any item.
fn write_list(out: &mut Html, heading: &str, items: &[String], kind: Items) {
    if items.is_empty() {
        return;
    }
    out.raw("<h4 class=\"sheet-subtitle\">")
        .text(heading)
        .raw("</h4><ul class=\"list-unstyled\" role=\"list\">");
    for item in items {
        out.raw(match kind {
            Items::Written => "<li dir=\"auto\">",
            Items::Addresses | Items::Numbers | Items::Links => "<li>",
        });
        let target = match kind {
            Items::Addresses => Some(crate::widgets::links::mailto(item)),
            Items::Numbers => crate::widgets::links::tel(item),
            Items::Written | Items::Links => None,
        };
        if kind == Items::Links {
            out.raw("<a href=\"")
                .text(item)
                .raw("\" rel=\"nofollow noopener noreferrer\">")
                .text(item)
                .raw("</a>");
        } else if let Some(target) = target {
            out.raw("<a href=\"")
                .text(&target)
                .raw("\">")
                .text(item)
                .raw("</a>");
        } else {
            out.text(item);
        }
        out.raw("</li>");
    }
    out.raw("</ul>");
}
