//! `home.html`'s markup, written by the host. While that template and the ones it
//! takes in (`macros.html`, `alert.html`, `entry_form.html`) are the built-in ones,
//! the home view's fragment is written here, byte for byte what the template makes
//! of the same [`Home`]; an administrator's own copy (`templates_dir`) renders
//! through minijinja as before. A test renders one world both ways, view after view,
//! and compares the fragments (`tests/widget_markup.rs`).
//!
//! Why: the template cost a third of a home render's instructions after its rows were
//! written here (serialising the view into template values, then looking each one up
//! and escaping it); writing the page is mostly copying its 30 KB.

use super::super::rows::{
    self, present, write_action_form, write_confirm_step, write_hidden, write_question,
};
use super::fragment::{write_alert, write_script};
use super::{EntryForm, Home, Page};
use crate::templates::Html;
use crate::widgets::ui::Ui;

/// The templates whose markup this file writes.
pub(in crate::widgets::contacts_center) const TEMPLATES: [&str; 4] = [
    "contacts_center/home.html",
    "contacts_center/entry_form.html",
    "widgets/macros.html",
    "layout/alert.html",
];

/// The home view's fragment; `script` is the progressive-enhancement script as the
/// templates print it.
pub(super) fn write(page: &Page<Home>, ui: &Ui<'_>, script: &str) -> String {
    let v = &page.view;
    let ns = page.ns.as_str();
    let rows = v.rows.len() + v.sent.len() + v.entries.len();
    // A person row is about 1.3 KB, a request or entry row more; the rest of the page
    // is the script and 3–4 KB around the list.
    let mut out = Html::with_capacity(script.len() + 8 * 1024 + 2 * 1024 * rows);
    out.raw("\n<div class=\"")
        .text(&page.wrapper)
        .raw("\" lang=\"")
        .text(&page.lang)
        .raw("\" dir=\"ltr\" data-locale=\"")
        .text(&page.locale)
        .raw("\" id=\"")
        .text(ns)
        .raw("contacts-center\">\n");
    if let Some(alert) = &page.alert {
        write_alert(&mut out, alert, ns);
    }
    out.raw("\n<div class=\"card\"><div class=\"card-body\">");
    if let Some(intro) = present(&v.intro) {
        out.raw("<p class=\"card-text\" id=\"")
            .text(ns)
            .raw("intro\">")
            .text(intro)
            .raw("</p>");
    }
    out.raw("\n<ul class=\"list-unstyled contacts-counts\" role=\"list\" aria-label=\"")
        .text(ui.text("summary"))
        .raw("\" id=\"")
        .text(ns)
        .raw("counts\">");
    for c in &v.counts {
        out.raw("<li><a href=\"").text(&c.url).raw("\"");
        if c.active {
            out.raw(" aria-current=\"page\"");
        }
        out.raw(">").text(&c.label).raw("</a></li>");
    }
    let search = &v.search;
    out.raw("</ul>\n<form method=\"")
        .text(search.method)
        .raw("\" action=\"")
        .text(&search.url)
        .raw("\" role=\"search\" aria-label=\"")
        .text(&search.label)
        .raw("\" id=\"")
        .text(ns)
        .raw("search\">");
    write_hidden(&mut out, &search.hidden);
    out.raw("<label class=\"sr-only\" for=\"")
        .text(&search.field)
        .raw("\">")
        .text(ui.text("keywords"))
        .raw("</label>\n<div class=\"input-group\"><div class=\"input-group-item\">\n<input class=\"form-control\" type=\"search\" dir=\"auto\" id=\"")
        .text(&search.field)
        .raw("\" name=\"")
        .text(&search.field)
        .raw("\" value=\"")
        .text(&search.value)
        .raw("\" maxlength=\"100\" placeholder=\"")
        .text(ui.text("keywords"))
        .raw("\">\n</div><div class=\"input-group-item input-group-item-shrink\"><button class=\"btn btn-secondary\" type=\"submit\">")
        .text(ui.text("search"))
        .raw("</button></div>");
    if let Some(clear) = &search.clear {
        out.raw("<div class=\"input-group-item input-group-item-shrink\"><a class=\"btn btn-link\" href=\"")
            .text(clear)
            .raw("\" id=\"")
            .text(ns)
            .raw("clear-search\">")
            .text(ui.text("clear-search"))
            .raw("</a></div>");
    }
    out.raw("</div>\n</form>\n</div></div>\n<nav aria-label=\"")
        .text(ui.text("filters"))
        .raw("\"");
    if v.returned_to_filters {
        out.raw(" id=\"").text(ns).raw(rows::RETURNED).raw("\"");
    }
    out.raw("><ul class=\"nav nav-underline\" role=\"list\" id=\"")
        .text(ns)
        .raw("filters\">");
    for n in &v.nav {
        out.raw("<li class=\"nav-item\"><a class=\"nav-link");
        if n.active {
            out.raw(" active");
        }
        out.raw("\" href=\"").text(&n.url).raw("\"");
        if n.active {
            out.raw(" aria-current=\"page\"");
        }
        out.raw(">").text(&n.label).raw("</a></li>");
    }
    out.raw("</ul></nav>");
    if let Some(bulk) = &v.bulk {
        out.raw("\n<form method=\"post\" action=\"")
            .text(&bulk.url)
            .raw("\" id=\"")
            .text(&bulk.form_id)
            .raw("\" class=\"btn-toolbar contacts-bulk\" aria-labelledby=\"")
            .text(&bulk.form_id)
            .raw("-title\">\n<span class=\"text-secondary small\" id=\"")
            .text(&bulk.form_id)
            .raw("-title\">")
            .text(ui.text("select-people"))
            .raw("</span>")
            // The form's first submit button, which submits nothing: Enter on a ticked
            // box submits the form through its first button that can submit (Chromium
            // passes over a disabled one), which would be Connect (on the Blocked tab,
            // Unblock) for everyone ticked. A form submitted with method `dialog`
            // outside a dialog goes nowhere (HTML's form submission), script or not.
            .raw("<button type=\"submit\" formmethod=\"dialog\" hidden></button>");
        write_hidden(&mut out, &bulk.hidden);
        for b in &bulk.buttons {
            if let Some(question) = &b.confirm {
                write_confirm_step(&mut out, "btn btn-secondary btn-sm", &b.label, None);
                write_question(&mut out, question, b.question_id.as_deref());
            }
            out.raw("<button type=\"submit\" class=\"btn btn-secondary btn-sm\" formaction=\"")
                .text(&b.url)
                .raw("\"");
            if let Some(field) = &b.field {
                out.raw(" name=\"")
                    .text(&field.name)
                    .raw("\" value=\"")
                    .text(&field.value)
                    .raw("\"");
            }
            if let Some(question) = &b.confirm {
                out.raw(" data-confirm=\"").text(question).raw("\"");
            }
            if let Some(id) = &b.question_id {
                out.raw(" aria-describedby=\"").text(id).raw("\"");
            }
            out.raw(">").text(&b.label).raw("</button>");
            if b.confirm.is_some() {
                out.raw("</details>");
            }
        }
        out.raw("</form>");
    }
    if v.restarted {
        write_restarted(&mut out, ui, ns);
    }
    let requests = v.filter == "requests" || v.filter == "requests-sent";
    // The received requests' heading, unless there are none and sent ones follow: a
    // heading with nothing under it would sit right above "Sent Requests".
    if requests && (!v.rows.is_empty() || v.sent.is_empty()) {
        out.raw("\n<h3 class=\"sheet-subtitle\">")
            .text(ui.text("requests"))
            .raw("</h3>");
    }
    if !v.rows.is_empty() {
        out.raw("\n<ul class=\"list-group\" role=\"list\" id=\"")
            .text(ns)
            .raw("people\" data-list=\"people\"");
        if v.restarted {
            out.raw(" data-restarted");
        }
        out.raw(">");
        let bulk_form = v.bulk.as_ref().map(|b| b.form_id.as_str());
        for row in &v.rows {
            rows::write_row(&mut out, row, ns, bulk_form);
        }
        out.raw("\n</ul>");
        if v.entries.is_empty() {
            write_more(&mut out, v, ui, ns);
        }
    }
    if v.sent_restarted {
        write_restarted(&mut out, ui, ns);
    }
    if !v.sent.is_empty() {
        out.raw("\n<h3 class=\"sheet-subtitle\">")
            .text(ui.text("sent-requests"))
            .raw("</h3>\n<ul class=\"list-group\" role=\"list\" id=\"")
            .text(ns)
            .raw("sent\">");
        for row in &v.sent {
            rows::write_sent_row(&mut out, row, ns);
        }
        out.raw("\n</ul>");
        if let Some(more) = present(&v.sent_more) {
            out.raw("\n<div class=\"btn-toolbar contacts-more\"><a class=\"btn btn-secondary btn-sm\" href=\"")
                .text(more)
                .raw("\" id=\"")
                .text(ns)
                .raw("sent-more\">")
                .text(ui.text("view-more"))
                .raw("<span class=\"sr-only\"> ")
                .text(ui.text("sent-requests"))
                .raw("</span></a></div>");
        }
    }
    if !v.entries.is_empty() {
        out.raw("\n<ul class=\"list-group\" role=\"list\" id=\"")
            .text(ns)
            .raw("entries\" data-list=\"entries\"");
        if v.restarted {
            out.raw(" data-restarted");
        }
        out.raw(">");
        for e in &v.entries {
            out.raw("\n<li class=\"list-group-item list-group-item-flex contacts-entry\">\n<div class=\"autofit-col autofit-col-expand\"><p class=\"list-group-title\" dir=\"auto\">")
                .text(&e.full_name)
                .raw("</p><p class=\"list-group-subtext\">")
                .text(&e.email_address)
                .raw("</p>");
            if !e.comments.is_empty() {
                // A comment keeps the lines it was written in (an address, a list).
                out.raw("<p class=\"list-group-text\" dir=\"auto\">");
                for (i, line) in e.comments.lines().enumerate() {
                    if i > 0 {
                        out.raw("<br>");
                    }
                    out.text(line);
                }
                out.raw("</p>");
            }
            out.raw("</div>\n<div class=\"autofit-col\">");
            write_action_form(&mut out, &e.delete);
            out.raw("</div>\n<details class=\"contacts-entry-edit\"");
            if e.edit.open {
                out.raw(" open");
            }
            out.raw("><summary class=\"btn btn-link btn-sm\">")
                .text(ui.text("edit"))
                .raw("<span class=\"sr-only\"> ")
                .text(&e.full_name)
                .raw("</span></summary>\n");
            write_entry_form(&mut out, &e.edit, page, ui);
            out.raw("\n</details>\n</li>");
        }
        out.raw("\n</ul>");
        write_more(&mut out, v, ui, ns);
    }
    if let Some(empty) = present(&v.empty) {
        out.raw("<p class=\"text-secondary\" id=\"")
            .text(ns)
            .raw("empty\"");
        if v.list_end {
            out.raw(" data-list-end tabindex=\"-1\"");
        }
        out.raw(">").text(empty);
        // Inside the words that nobody was found, where "View More"'s script, which
        // adds a list's end after the rows shown, takes it along.
        if let Some(everyone) = &v.search_everyone {
            out.raw(" <a href=\"")
                .text(&everyone.url)
                .raw("\">")
                .text(&everyone.label)
                .raw("</a>");
        }
        out.raw("</p>");
    }
    if let Some(add) = &v.add_entry {
        write_entry_form(&mut out, add, page, ui);
    }
    if v.entries.is_empty() && v.rows.is_empty() {
        write_more(&mut out, v, ui, ns);
    }
    out.raw("\n");
    let unconfirmed = ui.text("your-last-action-could-not-be-confirmed");
    write_script(&mut out, script, page.nonce.as_deref(), ns, unconfirmed);
    out.raw("\n</div>");
    out.into_string()
}

/// `home.html`'s `more`: the main list's "View More" and export link.
fn write_more(out: &mut Html, v: &Home, ui: &Ui<'_>, ns: &str) {
    let view_more = present(&v.view_more);
    if view_more.is_none() && v.export.is_none() {
        return;
    }
    out.raw("\n<div class=\"btn-toolbar contacts-more\">");
    if let Some(url) = view_more {
        out.raw("<a class=\"btn btn-secondary btn-sm\" href=\"")
            .text(url)
            .raw("\" id=\"")
            .text(ns)
            .raw("view-more\" data-view-more>")
            .text(ui.text("view-more"));
        if present(&v.sent_more).is_some() {
            out.raw("<span class=\"sr-only\"> ")
                .text(ui.text("requests"))
                .raw("</span>");
        }
        out.raw("</a>");
    }
    if let Some(export) = &v.export {
        out.raw("<a class=\"btn btn-link btn-sm\" href=\"")
            .text(&export.url)
            .raw("\" id=\"")
            .text(ns)
            .raw("export\">")
            .text(&export.label)
            .raw("</a>");
    }
    out.raw("\n</div>");
}

/// `entry_form.html`: a personal entry's add or edit form. A refused field is marked
/// where it is, with the outcome's text under it for the eye.
fn write_entry_form(out: &mut Html, entry: &EntryForm, page: &Page<Home>, ui: &Ui<'_>) {
    let ns = page.ns.as_str();
    out.raw("<form method=\"post\" action=\"")
        .text(&entry.url)
        .raw("\" id=\"")
        .text(&entry.id)
        .raw("\" class=\"card card-body\">");
    write_hidden(out, &entry.hidden);
    out.raw("\n<p class=\"text-secondary small\" aria-hidden=\"true\"><span class=\"reference-mark\">*</span> ")
        .text(ui.text("required"))
        .raw("</p>");
    let fields = [
        ("fullName", "full-name", "text", "200", &entry.full_name),
        (
            "emailAddress",
            "email-address",
            "email",
            "254",
            &entry.email_address,
        ),
    ];
    for (name, label, kind, max, value) in fields {
        let refused = entry.invalid == name;
        out.raw("\n<div class=\"form-group");
        if refused {
            out.raw(" has-error");
        }
        out.raw("\"><label for=\"")
            .text(&entry.id)
            .raw("-")
            .raw(name)
            .raw("\">")
            .text(ui.text(label))
            .raw(" <span class=\"reference-mark\" title=\"")
            .text(ui.text("required"))
            .raw("\" aria-hidden=\"true\">*</span></label><input class=\"form-control\" type=\"")
            .raw(kind)
            // A name may be written right to left; an email address never is. Both
            // are someone else's: a browser's autofill would offer the reader's own,
            // and its spelling check marks most names wrong.
            .raw(match kind {
                "text" => "\" dir=\"auto\" autocomplete=\"off\" autocapitalize=\"words\" spellcheck=\"false\" required maxlength=\"",
                _ => "\" autocomplete=\"off\" spellcheck=\"false\" required maxlength=\"",
            })
            .raw(max)
            .raw("\" id=\"")
            .text(&entry.id)
            .raw("-")
            .raw(name)
            .raw("\" name=\"")
            .text(ns)
            .raw(name)
            .raw("\" value=\"")
            .text(value)
            .raw("\"");
        if refused {
            out.raw(" aria-invalid=\"true\" aria-describedby=\"")
                .text(ns)
                .raw("outcome\"");
        }
        out.raw(">");
        if let (true, Some(alert)) = (refused, &page.alert) {
            out.raw("<div class=\"form-feedback-item\" aria-hidden=\"true\">")
                .text(&alert.text)
                .raw("</div>");
        }
        out.raw("</div>");
    }
    out.raw("\n<div class=\"form-group\"><label for=\"")
        .text(&entry.id)
        .raw("-comments\">")
        .text(ui.text("comments"))
        .raw("</label><textarea class=\"form-control\" dir=\"auto\" maxlength=\"4000\" id=\"")
        .text(&entry.id)
        .raw("-comments\" name=\"")
        .text(ns)
        // HTML drops one line break right after <textarea>'s start tag: this one, so
        // that a comment's own first line break is kept.
        .raw("comments\">\n")
        .text(&entry.comments)
        .raw("</textarea></div>\n<button type=\"submit\" class=\"btn btn-primary btn-sm\">")
        .text(&entry.label);
    if !entry.full_name.is_empty() {
        out.raw("<span class=\"sr-only\"> ")
            .text(&entry.full_name)
            .raw("</span>");
    }
    out.raw("</button>\n</form>");
}

/// Says that the list begins again, above it: a View More whose page was no longer
/// there (the list changed under it) shows the first page, which a reader, with the
/// script or without, would otherwise take for the next one. A status, which the
/// script's swap gives the focus to, so it is heard before the first name.
pub(super) fn write_restarted(out: &mut Html, ui: &Ui<'_>, ns: &str) {
    out.raw("\n<p class=\"text-secondary small\" role=\"status\" id=\"")
        .text(ns)
        .raw("restarted\">")
        .text(ui.text(RESTARTED))
        .raw("</p>");
}

/// The words of [`write_restarted`].
pub(in crate::widgets::contacts_center) const RESTARTED: &str =
    "the-list-has-changed-it-starts-again-from-the-beginning";
