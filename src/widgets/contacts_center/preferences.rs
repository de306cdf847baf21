//! Per-placement preferences: the descriptor's values are the defaults, and what an
//! administrator saved for this portlet id (instance included) overrides them. Keyed
//! by the full portlet id, so two placements never share settings.

use crate::descriptors::liferay::liferay_boolean;
use crate::portal::{Params, Request};
use crate::store::{Preferences, Reader, StoreError};

/// Page size bounds, whatever a preference says.
const MAX_PAGE_SIZE: usize = 100;
const DEFAULT_PAGE_SIZE: usize = 20;

/// The effective preferences of one placement.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    values: Preferences,
    /// `showIcon` and `showUsersInformation`, read once: every row asks.
    show_icon: bool,
    show_email: bool,
}

impl Settings {
    pub fn load(reader: &Reader, req: &Request) -> Result<Self, StoreError> {
        let mut values = req.descriptor.preferences.clone();
        for (name, saved) in reader.preferences(req.portlet.as_str())? {
            // A value saved before the descriptor took the preference out of edit
            // mode, or out of the descriptor altogether, does not outlive that
            // decision: edit mode no longer shows it, so nobody could change it back.
            if req.descriptor.preferences.contains_key(&name) && !fixed_by_descriptor(req, &name) {
                values.insert(name, saved);
            }
        }
        Ok(Self::from_values(values))
    }

    fn from_values(values: Preferences) -> Self {
        let show_icon = flag_of(&values, "showIcon", true);
        let show_email = flag_of(&values, "showUsersInformation", true);
        Self {
            values,
            show_icon,
            show_email,
        }
    }

    pub fn first(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .and_then(|v| v.first())
            .map(String::as_str)
    }

    /// A boolean preference; absent reads as `default`.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        flag_of(&self.values, name, default)
    }

    /// Whether portraits are shown (`showIcon`).
    pub fn show_icon(&self) -> bool {
        self.show_icon
    }

    /// `pageSize`, held to 1..=100; a number too large for any type is 100 as a
    /// thousand is, not the default a word gets.
    pub fn page_size(&self) -> usize {
        self.first("pageSize")
            .and_then(|v| match v.trim().parse::<usize>() {
                Ok(n) => Some(n),
                Err(e) if *e.kind() == std::num::IntErrorKind::PosOverflow => Some(MAX_PAGE_SIZE),
                Err(_) => None,
            })
            .filter(|n| *n > 0)
            .unwrap_or(DEFAULT_PAGE_SIZE)
            .min(MAX_PAGE_SIZE)
    }

    /// Whether the primary email address may be shown (Liferay's "show users
    /// information" section holds it).
    pub fn show_email(&self) -> bool {
        self.show_email
    }

    /// What a search on this placement may match beside names: the email addresses
    /// its cards show, and no others.
    pub fn searchable(&self) -> crate::store::Searchable {
        crate::store::Searchable {
            email: self.show_email(),
            other_emails: self.flag("showAdditionalEmailAddresses", true),
        }
    }
}

/// A boolean preference of `values`; absent reads as `default`. Read as Liferay reads
/// a portlet's preferences (`GetterUtil.getBoolean`): `true`, `t`, `y`, `on` or `1`
/// in any case is true, anything else false, so a descriptor written for Liferay
/// (`<value>1</value>`) shows here what it shows there.
fn flag_of(values: &Preferences, name: &str, default: bool) -> bool {
    match values.get(name).and_then(|v| v.first()) {
        Some(v) => liferay_boolean(v) == Some(true),
        None => default,
    }
}

/// Whether a preference is a yes/no one, so edit mode shows a checkbox (and an
/// unchecked box, which browsers do not send, reads as `false`): it is not a number
/// ([`range`]), and its descriptor default (trimmed, in any case) is `true` or
/// `false`, or, for a `show…` preference (every flag the widget reads), any of
/// Liferay's boolean spellings (`1`, `on`, `y` …). Any other preference whose
/// default is one of those (Liferay's `displayStyle` is a number) stays a text field.
pub(crate) fn is_flag(name: &str, default: &[String]) -> bool {
    let Some(value) = default.first().map(|v| v.trim()) else {
        return false;
    };
    if range(name).is_some() {
        return false;
    }
    value.eq_ignore_ascii_case("true")
        || value.eq_ignore_ascii_case("false")
        || (name.starts_with("show") && liferay_boolean(value).is_some())
}

/// What edit mode shows for a preference: a flag as `true` or `false` (the checkbox's
/// state, however the descriptor spelled it), `pageSize` as the page size in use (a
/// descriptor's `0` or `500` would fill the number field with a value the browser
/// refuses to send, and block the whole form), any other its first value.
pub(crate) fn shown(settings: &Settings, name: &str, default: &[String]) -> String {
    if is_flag(name, default) {
        settings.flag(name, false).to_string()
    } else if range(name).is_some() {
        settings.page_size().to_string()
    } else {
        settings.first(name).unwrap_or("").to_owned()
    }
}

/// The language key of a preference's edit-mode label, in Liferay's wording:
/// `showSMS` → `show-sms`, `showUsersInformation` → `show-users-information`;
/// `pageSize` is Liferay's `items-per-page`.
pub(crate) fn label_key(name: &str) -> String {
    if name == "pageSize" {
        return "items-per-page".to_owned();
    }
    let mut key = String::with_capacity(name.len() + 4);
    let mut previous_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() && previous_lower {
            key.push('-');
        }
        previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        key.push(c.to_ascii_lowercase());
    }
    key
}

/// A preference's label in the request's language; a descriptor preference without
/// a language key shows its own name rather than a key.
pub(crate) fn label(ui: &crate::widgets::ui::Ui<'_>, name: &str) -> String {
    let key = label_key(name);
    let text = ui.t(&key);
    if text == key { name.to_owned() } else { text }
}

/// What a preference does, in the request's language, where its label cannot say it
/// (`<label key>-help`); empty for one without such a text.
pub(crate) fn hint(ui: &crate::widgets::ui::Ui<'_>, name: &str) -> String {
    let key = format!("{}-help", label_key(name));
    let text = ui.t(&key);
    if text == key { String::new() } else { text }
}

/// The preferences edit mode offers: the descriptor's, but those it fixes.
pub(crate) fn editable(req: &Request) -> impl Iterator<Item = (&String, &Vec<String>)> {
    req.descriptor
        .preferences
        .iter()
        .filter(move |(name, _)| !fixed_by_descriptor(req, name))
}

/// Whether the descriptor's value of `name` is the one that counts, whatever was
/// saved: it marks the preference read-only, or gives it several values, a list the
/// form's one field cannot show (offered, its first value would be all a save kept).
fn fixed_by_descriptor(req: &Request, name: &str) -> bool {
    let d = &req.descriptor;
    d.read_only_preferences.contains(name)
        || d.preferences
            .get(name)
            .is_some_and(|values| values.len() > 1)
}

/// The whole numbers a preference takes, if it is a number: `pageSize`, 1 to
/// [`MAX_PAGE_SIZE`].
pub(crate) fn range(name: &str) -> Option<(usize, usize)> {
    (name == "pageSize").then_some((1, MAX_PAGE_SIZE))
}

/// The preferences a `save-preferences` form submits: only the descriptor's editable
/// names, flags as `true`/`false`, `pageSize` within bounds, other values bounded in
/// length. A value that is the descriptor's own (as edit mode shows it) is left out:
/// the form sends every preference, and stored, the ones the administrator did not
/// change would keep the placement from following the descriptor when its defaults
/// change (a `showUsersInformation` turned off there after a privacy review).
pub(crate) fn from_form(req: &Request, params: &Params) -> Result<Preferences, ()> {
    let mut out = Preferences::new();
    let defaults = Settings::from_values(req.descriptor.preferences.clone());
    for (name, default) in editable(req) {
        let value = params.get(name).map(str::trim);
        let value = if is_flag(name, default) {
            // As the flag is read: a checkbox without a `value` sends `on`, a portal's
            // client may send `1`.
            match value.map(liferay_boolean) {
                None | Some(Some(false)) => "false".to_owned(),
                Some(Some(true)) => "true".to_owned(),
                Some(None) => return Err(()),
            }
        } else if let Some((min, max)) = range(name) {
            match value {
                None => continue,
                Some(v) => match v.parse::<usize>() {
                    Ok(n) if (min..=max).contains(&n) => n.to_string(),
                    _ => return Err(()),
                },
            }
        } else {
            match value {
                None => continue,
                // The descriptor's own value, sent back as edit mode showed it, is
                // taken at any length: refused, it would block every save of the form.
                // A text field's value loses its line breaks in the browser, and is
                // kept without them: one a post sent with line breaks would otherwise
                // change at the form's next save.
                Some(v)
                    if v.chars().count() <= 200
                        || default.first().is_some_and(|d| as_sent(d) == v) =>
                {
                    as_sent(v)
                }
                Some(_) => return Err(()),
            }
        };
        // Compared as the form sends it back: a text default with a line break, or
        // with spaces around it, arrives without them.
        if value == as_sent(&shown(&defaults, name, default)) {
            continue;
        }
        out.insert(name.clone(), vec![value]);
    }
    Ok(out)
}

/// A value as a browser sends it back from a text field that showed it: without its
/// line breaks (HTML's value sanitization for text inputs), trimmed as saves are.
fn as_sent(value: &str) -> String {
    value.replace(['\r', '\n'], "").trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Settings, label_key};

    #[test]
    fn page_sizes_are_held_to_their_bounds() {
        let size = |value: &str| {
            Settings::from_values([("pageSize".to_owned(), vec![value.to_owned()])].into())
                .page_size()
        };
        assert_eq!(size(" 7 "), 7);
        assert_eq!(size("1000"), MAX_PAGE_SIZE);
        assert_eq!(size("99999999999999999999999"), MAX_PAGE_SIZE);
        for fallback in ["0", "-3", "ten", ""] {
            assert_eq!(size(fallback), DEFAULT_PAGE_SIZE, "{fallback:?}");
        }
    }

    #[test]
    fn label_keys_follow_liferay_wording() {
        assert_eq!(label_key("showSMS"), "show-sms");
        assert_eq!(label_key("showUsersInformation"), "show-users-information");
        assert_eq!(label_key("displayStyle"), "display-style");
        assert_eq!(label_key("pageSize"), "items-per-page");
        assert_eq!(label_key("plain"), "plain");
    }
}
