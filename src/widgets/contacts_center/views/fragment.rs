//! The markup the written views share around their own (`home_page.rs`,
//! `detail_page.rs`): `alert.html`'s outcome and the line that starts the
//! progressive-enhancement script, as the built-in templates print them.

use super::Alert;
use crate::templates::Html;

/// `alert.html`: an outcome, which takes the focus on a fresh load so that screen
/// readers read it out; a standing notice, which is read with the page.
pub(super) fn write_alert(out: &mut Html, alert: &Alert, ns: &str) {
    out.raw("<div class=\"alert alert-")
        .text(alert.kind)
        .raw(" text-break\" role=\"")
        .raw(if alert.kind == "danger" && !alert.standing {
            "alert"
        } else {
            "status"
        })
        .raw("\" id=\"")
        .text(ns)
        .raw(if alert.standing {
            "outcome\" tabindex=\"-1\">"
        } else {
            "outcome\" tabindex=\"-1\" autofocus>"
        })
        .text(&alert.text)
        .raw("</div>");
}

/// The templates' `<script{% if nonce %} nonce="{{ nonce }}"{% endif %}>{{ enhance_script }}({{ (ns ~ "contacts-center")|tojson }}, {{ t["your-last-action-could-not-be-confirmed"]|tojson }});</script>`:
/// the script, with the portal page's CSP nonce, bound to the wrapper's id, with what
/// it says after an action it could not confirm.
pub(super) fn write_script(
    out: &mut Html,
    script: &str,
    nonce: Option<&str>,
    ns: &str,
    unconfirmed: &str,
) {
    out.raw("<script");
    if let Some(nonce) = nonce {
        out.raw(" nonce=\"").text(nonce).raw("\"");
    }
    out.raw(">")
        .raw(script)
        .raw("(")
        .raw(&script_argument(&format!("{ns}contacts-center")))
        .raw(", ")
        .raw(&script_argument(unconfirmed))
        .raw(");</script>");
}

/// A script's argument as the templates' `tojson` writes it: a JSON string with `<`,
/// `>`, `&` and `'` as `\u` escapes, safe inside `<script>`.
fn script_argument(text: &str) -> String {
    crate::templates::script_safe(&serde_json::Value::String(text.to_owned()).to_string())
}
