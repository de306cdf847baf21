//! The rows of the people list. A row is the fields `home.html` lays out; when that
//! template is the built-in one, the host writes the row's markup itself, the same
//! bytes the template would produce. minijinja spent about 30,000 instructions a row
//! (turning the fields into template values, then looking each one up and escaping
//! it); writing the row here is a few thousand. The list's rows go to the template as
//! one string. An administrator's own `home.html` (`templates_dir`) gets the fields, as
//! before.

use minijinja::Value;
use serde::Serialize;

use super::cards::PersonView;
use crate::templates::{HostMarkup, write_escaped};
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
}

/// A row's bulk-selection checkbox. Its id and label are made in Rust rather than with
/// template filters: rows are the hot loop of every list render.
#[derive(Debug, Serialize)]
pub(super) struct Select {
    pub id: String,
    pub label: String,
}

/// Writes `rows` as `home.html`'s person rows, all of them into one string the
/// template prints as it is ([`HostMarkup`]): one value for the whole list, where a
/// value per row cost a template value, a map and a loop turn each. `ns` is the placement's namespace,
/// `bulk_form` the id of the selection form. The caller writes only plain person rows
/// (request rows, with their forms and dates, stay fields).
pub(super) fn written(rows: &[Row], ns: &str, bulk_form: Option<&str>) -> Value {
    // A row with a checkbox, a portrait, a title, an email and a badge is about 1.3
    // KB: at 1 KB a row the string grew twice per page.
    let mut html = String::with_capacity(2048 * rows.len());
    for row in rows {
        // Writing into a String cannot fail.
        let _ = write_person_row(&mut html, row, ns, bulk_form);
    }
    HostMarkup::value(html)
}

/// `home.html`'s person row, value for value: the checkbox when the row has one and
/// the page a selection form, the portrait or initials, the name linking to the card,
/// title, email and badges. Every value goes through the templates' own escaping.
fn write_person_row(
    out: &mut String,
    row: &Row,
    ns: &str,
    bulk_form: Option<&str>,
) -> std::fmt::Result {
    let p = &row.person;
    out.push_str("\n<li class=\"list-group-item list-group-item-flex\">");
    if let (Some(select), Some(form)) = (&row.select, bulk_form) {
        out.push_str("<div class=\"autofit-col\"><div class=\"custom-control custom-checkbox\"><label for=\"");
        write_escaped(out, &select.id)?;
        out.push_str("\"><input type=\"checkbox\" class=\"custom-control-input\" form=\"");
        write_escaped(out, form)?;
        out.push_str("\" name=\"");
        write_escaped(out, ns)?;
        out.push_str("userIds\" value=\"");
        write_escaped(out, &p.user_id)?;
        out.push_str("\" id=\"");
        write_escaped(out, &select.id)?;
        out.push_str("\"><span class=\"custom-control-label\"><span class=\"custom-control-label-text sr-only\">");
        write_escaped(out, &select.label)?;
        out.push_str("</span></span></label></div></div>");
    }
    // The avatar opens the card too, as the product documentation says ("click on the
    // user avatar"); out of the tab order and hidden from screen readers, since the
    // name beside it is the same link.
    out.push_str("\n<div class=\"autofit-col\"><a class=\"sticker sticker-circle sticker-light user-icon\" href=\"");
    write_escaped(out, &p.detail_url)?;
    out.push_str("\" tabindex=\"-1\" aria-hidden=\"true\">");
    match p.image.as_deref().filter(|i| !i.is_empty()) {
        Some(image) => {
            out.push_str("<span class=\"sticker-overlay\"><img class=\"sticker-img\" src=\"");
            write_escaped(out, image)?;
            out.push_str("\" alt=\"\" referrerpolicy=\"no-referrer\"></span>");
        }
        None => {
            out.push_str("<span class=\"sticker-overlay\">");
            write_escaped(out, &p.initials)?;
            out.push_str("</span>");
        }
    }
    out.push_str("</a></div>\n<div class=\"autofit-col autofit-col-expand\">\n<a class=\"list-group-title\" href=\"");
    write_escaped(out, &p.detail_url)?;
    out.push_str("\" dir=\"auto\">");
    write_escaped(out, &p.name)?;
    out.push_str("</a>");
    if !p.job_title.is_empty() {
        out.push_str("<p class=\"list-group-subtitle\">");
        write_escaped(out, &p.job_title)?;
        out.push_str("</p>");
    }
    if let Some(email) = p.email.as_deref().filter(|e| !e.is_empty()) {
        out.push_str("<p class=\"list-group-subtext\">");
        write_escaped(out, email)?;
        out.push_str("</p>");
    }
    for b in &p.badges {
        out.push_str(" <span class=\"badge ");
        write_escaped(out, b.css)?;
        out.push_str("\">");
        write_escaped(out, &b.label)?;
        out.push_str("</span>");
    }
    out.push_str("</div>\n</li>");
    Ok(())
}
