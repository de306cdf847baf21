//! A person seen three ways: as a row or card of the markup, as camelCase JSON for the
//! `contacts`/`contact` resources, and as a vCard. Which fields show follows the
//! placement's preferences in all three.

use serde::Serialize;
use serde_json::{Value, json};

use super::preferences::Settings;
use crate::store::{Person, Relationship};
use crate::vcard;
use crate::widgets::ui::Ui;

/// The relationship JSON of the contract: exactly the seven booleans.
pub(crate) fn relationship_json(r: &Relationship) -> Value {
    json!({
        "connected": r.connected,
        "connectionRequested": r.connection_requested,
        "connectionRequestReceived": r.connection_request_received,
        "following": r.following,
        "followedBy": r.followed_by,
        "blocking": r.blocking,
        "blockedBy": r.blocked_by,
    })
}

/// A badge on a person's row.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Badge {
    pub label: String,
    /// Clay badge colour.
    pub css: &'static str,
}

/// The badges a relationship earns, in a fixed order.
pub(crate) fn badges(ui: &Ui<'_>, r: &Relationship) -> Vec<Badge> {
    let mut out = Vec::new();
    let mut add = |on: bool, key: &str, css: &'static str| {
        if on {
            out.push(Badge {
                label: ui.t(key),
                css,
            });
        }
    };
    add(r.connected, "connection", "badge-success");
    // Badges name one person: the lists' own names ("following", "blocked") are
    // plural in some languages ("Bloqueados").
    add(r.following, "badge-following", "badge-info");
    add(r.followed_by, "follower", "badge-info");
    add(r.connection_requested, "request-sent", "badge-secondary");
    add(
        r.connection_request_received,
        "request-received",
        "badge-warning",
    );
    add(r.blocking, "badge-blocked", "badge-danger");
    out
}

/// One person in the markup.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct PersonView {
    pub user_id: String,
    pub name: String,
    /// Whether the person is shown with an avatar at all (`showIcon`): their
    /// portrait, else their initials.
    pub avatar: bool,
    pub initials: String,
    pub image: Option<String>,
    pub job_title: String,
    pub email: Option<String>,
    pub detail_url: String,
    pub badges: Vec<Badge>,
}

/// Up to two letters for the sticker when there is no portrait: the given and family
/// names' first, or, for a name written family name first (山田太郎), the family
/// name's first letter alone, as an avatar there shows it.
fn initials(person: &Person) -> String {
    // The first character drawn: a zero-width space before a name is not its initial.
    let first = |s: &str| s.chars().find(|c| crate::store::is_shown(*c));
    if person.written_family_first()
        && let Some(family) = first(&person.family_name)
    {
        return family.to_string();
    }
    let letters: String = [first(&person.given_name), first(&person.family_name)]
        .into_iter()
        .flatten()
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() {
        first(&person.id).map(|c| c.to_string()).unwrap_or_default()
    } else {
        letters
    }
}

/// Only http(s) portraits are linked: a `javascript:` or `data:` URL from the directory
/// must never reach an `src` attribute.
/// A portrait's address as a page may load it: an http(s) URL, or a path from the
/// portal's root, as Liferay's `UserAccount.image` gives it (`/image/user_portrait?
/// img_id=7`), which the fragment, placed in the portal's page, loads from the
/// portal. Not a scheme-relative `//host` (another site), nor a backslash, which some
/// browsers read as a slash.
fn portrait_url(url: &str) -> Option<String> {
    let trimmed = url.trim();
    let from_root = trimmed.starts_with('/')
        && !trimmed.starts_with("//")
        && !trimmed.contains('\\')
        && !trimmed.chars().any(char::is_control);
    if from_root {
        Some(trimmed.to_owned())
    } else {
        safe_url(url)
    }
}

fn safe_url(url: &str) -> Option<String> {
    let url = url.trim();
    let starts = |scheme: &str| {
        url.as_bytes()
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme.as_bytes()))
    };
    (starts("https://") || starts("http://")).then(|| url.to_owned())
}

/// The list a page shows, as render parameters: its filter when not All, what it
/// was searched for, and the page of it (`cursor`). A person's link and their card's
/// forms carry it, so that the card's Back link and the answer to an action return to
/// the list as it was, at the page the person was found on, not to everyone's first.
pub(crate) fn list_params(ui: &Ui<'_>) -> Vec<(&'static str, String)> {
    let mut list = Vec::new();
    let filter = super::params::filter(&ui.req.params);
    if filter != crate::store::Filter::All {
        list.push(("filter", filter.as_str().to_owned()));
    }
    let keywords = super::params::keywords(&ui.req.params);
    if !keywords.is_empty() {
        list.push(("keywords", keywords));
    }
    if let Some(cursor) = super::params::cursor(&ui.req.params) {
        list.push(("cursor", cursor.to_owned()));
    }
    if let Some(rows) = super::params::rows(&ui.req.params) {
        list.push(("rows", rows.to_string()));
    }
    list
}

/// `first` and then `list`, as the borrowed pairs a URL or a form takes.
pub(crate) fn with_list<'a>(
    first: &[(&'static str, &'a str)],
    list: &'a [(&'static str, String)],
) -> Vec<(&'static str, &'a str)> {
    let mut pairs = first.to_vec();
    pairs.extend(list.iter().map(|(name, value)| (*name, value.as_str())));
    pairs
}

/// A person as a row or a card shows them; `list` is the render's
/// [`list_params`], which the card's link keeps.
pub(crate) fn person_view(
    ui: &Ui<'_>,
    settings: &Settings,
    person: &Person,
    relationship: Option<&Relationship>,
    list: &[(&'static str, String)],
) -> PersonView {
    PersonView {
        user_id: person.id.clone(),
        name: person.display_name(),
        avatar: settings.show_icon(),
        initials: initials(person),
        image: if settings.show_icon() {
            person.image.as_deref().and_then(portrait_url)
        } else {
            None
        },
        job_title: person.job_title.clone(),
        email: (settings.show_email() && !person.email_address.is_empty())
            .then(|| person.email_address.clone()),
        detail_url: ui
            .req
            .urls
            .render_url(&with_list(&[("userId", &person.id)], list)),
        badges: relationship.map(|r| badges(ui, r)).unwrap_or_default(),
    }
}

/// The extra fields of the detail view, as the preferences allow.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct Details {
    pub emails: Vec<String>,
    pub phones: Vec<String>,
    pub addresses: Vec<String>,
    pub websites: Vec<String>,
}

pub(crate) fn details(ui: &Ui<'_>, settings: &Settings, person: &Person) -> Details {
    let info = &person.user_account_contact_information;
    let mut d = Details::default();
    if settings.flag("showAdditionalEmailAddresses", true) {
        d.emails = info
            .email_addresses
            .iter()
            .map(|e| e.email_address.clone())
            // Not the primary again (a directory may list it among the others in
            // another case): a hidden primary must not come back as an additional one.
            .filter(|e| !e.is_empty() && !crate::store::same_mailbox(e, &person.email_address))
            .collect();
    }
    if settings.flag("showPhones", true) {
        d.phones = info
            .telephones
            .iter()
            .filter(|p| !p.phone_number.is_empty())
            // An extension is said as one, in the reader's language: "(567)" alone
            // could be read as part of the number.
            .map(|p| match p.extension.trim() {
                "" => p.phone_number.clone(),
                ext => ui.format("phone-x-extension-x", &[&p.phone_number, ext]),
            })
            .collect();
    }
    if settings.flag("showAddresses", true) {
        d.addresses = info
            .postal_addresses
            .iter()
            .map(|a| a.one_line())
            .filter(|a| !a.is_empty())
            .collect();
    }
    if settings.flag("showWebsites", true) {
        d.websites = info
            .web_urls
            .iter()
            .filter_map(|w| safe_url(&w.url))
            .collect();
    }
    d
}

/// The camelCase JSON of a person for the resources.
pub(crate) fn person_json(settings: &Settings, person: &Person) -> Value {
    let mut v = json!({
        "userId": person.id,
        "name": person.display_name(),
        "givenName": person.given_name,
        "familyName": person.family_name,
        "jobTitle": person.job_title,
        "image": if settings.show_icon() {
            person.image.as_deref().and_then(portrait_url)
        } else {
            None
        },
    });
    if settings.show_email() && !person.email_address.is_empty() {
        v["emailAddress"] = json!(person.email_address);
    }
    v
}

fn kind_of(label: &str) -> vcard::Kind {
    let l = label.to_ascii_lowercase();
    if l.contains("business") || l.contains("work") {
        vcard::Kind::Work
    } else if l.contains("personal") || l.contains("home") {
        vcard::Kind::Home
    } else {
        vcard::Kind::Other
    }
}

fn phone_kind(label: &str) -> vcard::PhoneKind {
    let l = label.to_ascii_lowercase();
    if l.contains("mobile") || l.contains("cell") {
        vcard::PhoneKind::Mobile
    } else if l.contains("fax") {
        match kind_of(label) {
            vcard::Kind::Work => vcard::PhoneKind::WorkFax,
            vcard::Kind::Home => vcard::PhoneKind::HomeFax,
            vcard::Kind::Other => vcard::PhoneKind::Fax,
        }
    } else if l.contains("pager") {
        vcard::PhoneKind::Pager
    } else if l.contains("business") || l.contains("work") {
        vcard::PhoneKind::Work
    } else if l.contains("personal") || l.contains("home") {
        vcard::PhoneKind::Home
    } else {
        vcard::PhoneKind::Other
    }
}

/// A person's vCard: the directory's contact information (N, FN, UID, TITLE, EMAIL,
/// TEL, ADR, URL). The writer escapes and folds every value. A download is one
/// more way to see a person, so the placement's preferences hide the same fields
/// here as on the card: an administrator who hides phones hides them from exports too.
pub(crate) fn card(settings: &Settings, person: &Person) -> vcard::Card {
    let info = &person.user_account_contact_information;
    let mut emails = Vec::new();
    // The account's own address is the one the portal writes to: it comes first, and
    // is preferred over the additional ones when shown.
    let main_shown = settings.show_email() && !person.email_address.trim().is_empty();
    if main_shown {
        emails.push(vcard::Email {
            address: person.email_address.clone(),
            kind: vcard::Kind::Other,
            pref: true,
        });
    }
    let additional = settings.flag("showAdditionalEmailAddresses", true);
    for e in info.email_addresses.iter().filter(|_| additional) {
        if !e.email_address.trim().is_empty()
            && !crate::store::same_mailbox(&e.email_address, &person.email_address)
        {
            emails.push(vcard::Email {
                address: e.email_address.clone(),
                kind: kind_of(&e.kind),
                pref: e.primary && !main_shown,
            });
        }
    }
    // FN: the name; for a person without one, the screen name, then an address the
    // card shows (the writer's own fallback), and the user id only where there is
    // neither: an address book lists "20123" as a contact nobody can place.
    let named = person.full_name();
    let full_name = if !crate::store::shows_nothing(&named) {
        named
    } else if !crate::store::shows_nothing(&person.alternate_name)
        && person.screen_name_shown(settings.show_email())
    {
        person.alternate_name.clone()
    } else if emails.iter().any(|e| !e.address.trim().is_empty()) {
        String::new()
    } else {
        person.id.clone()
    };
    let mut card = vcard::Card {
        uid: format!("urn:widget-host:user:{}", person.id),
        // No REV: the directory keeps no time of a person's last change, and the
        // download's time would tell an address book that every export is a new
        // revision of every card.
        rev: None,
        given_name: person.given_name.clone(),
        middle_name: person.additional_name.clone(),
        family_name: person.family_name.clone(),
        full_name,
        job_title: Some(person.job_title.clone()).filter(|t| !t.trim().is_empty()),
        emails,
        phones: info
            .telephones
            .iter()
            .filter(|_| settings.flag("showPhones", true))
            .filter(|p| !p.phone_number.trim().is_empty())
            .map(|p| vcard::Phone {
                number: p.phone_number.clone(),
                extension: p.extension.clone(),
                kind: phone_kind(&p.phone_type),
                pref: p.primary,
            })
            .collect(),
        addresses: info
            .postal_addresses
            .iter()
            .filter(|_| settings.flag("showAddresses", true))
            .map(|a| vcard::Address {
                street: [
                    &a.street_address_line1,
                    &a.street_address_line2,
                    &a.street_address_line3,
                ]
                .iter()
                .filter(|s| !s.trim().is_empty())
                .map(|s| (*s).clone())
                .collect(),
                locality: a.address_locality.clone(),
                region: a.address_region.clone(),
                postal_code: a.postal_code.clone(),
                country: a.address_country.clone(),
                kind: kind_of(&a.address_type),
                pref: a.primary,
            })
            // Left out here, not only when written: a blank primary put first would
            // take the mark from the next one and leave the card with none.
            .filter(|a| !a.is_blank())
            .collect(),
        urls: info
            .web_urls
            .iter()
            .filter(|_| settings.flag("showWebsites", true))
            // The card's rule: a `javascript:` or `data:` link the card leaves out
            // would be clickable in an address book.
            .filter_map(|w| {
                safe_url(&w.url).map(|url| vcard::WebSite {
                    url,
                    kind: kind_of(&w.url_type),
                    pref: w.primary,
                })
            })
            .collect(),
        note: None,
    };
    preferred_first(&mut card.emails, |e| &mut e.pref);
    preferred_first(&mut card.phones, |p| &mut p.pref);
    preferred_first(&mut card.addresses, |a| &mut a.pref);
    preferred_first(&mut card.urls, |u| &mut u.pref);
    card
}

/// Puts the portal's primary entry of a list first, for address books that take the
/// first one as the default and read no PREF, and keeps one marked: a directory may
/// call several primary. The others keep their order.
fn preferred_first<T>(list: &mut [T], pref: impl Fn(&mut T) -> &mut bool) {
    if let Some(first) = list.iter_mut().position(|entry| *pref(entry)) {
        list[..=first].rotate_right(1);
        for entry in &mut list[1..] {
            *pref(entry) = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{initials, phone_kind, portrait_url, safe_url};
    use crate::store::Person;
    use crate::vcard::PhoneKind;

    /// An avatar's letters are the first ones drawn: a zero-width space or a Hangul
    /// filler before a name is not its initial, and a name of nothing else gives none.
    #[test]
    fn initials_are_the_first_letters_drawn() {
        let person = |given: &str, family: &str| Person {
            id: "u7".into(),
            given_name: given.into(),
            family_name: family.into(),
            ..Person::default()
        };
        assert_eq!(initials(&person("\u{200B}zoé", "\u{FEFF} lee")), "ZL");
        assert_eq!(initials(&person("\u{3164}", "Lee")), "L");
        assert_eq!(initials(&person("\u{200B}", "\u{3164}")), "u");
        // A Hangul family name of fillers alone: the given name's letter, else the id.
        assert_eq!(initials(&person("길동", "\u{3164}")), "길");
        assert_eq!(initials(&person("\u{3164}", "\u{3164}")), "u");
    }

    /// Liferay's phone types, and the words other directories use.
    #[test]
    fn a_phones_type_says_what_kind_it_is() {
        for (label, kind) in [
            ("mobile-phone", PhoneKind::Mobile),
            ("business-fax", PhoneKind::WorkFax),
            ("personal-fax", PhoneKind::HomeFax),
            ("fax", PhoneKind::Fax),
            ("business", PhoneKind::Work),
            ("personal", PhoneKind::Home),
            ("pager", PhoneKind::Pager),
            ("other", PhoneKind::Other),
        ] {
            assert_eq!(phone_kind(label), kind, "{label}");
        }
    }

    #[test]
    fn a_portrait_may_be_a_path_from_the_portals_root() {
        assert_eq!(
            portrait_url(" /image/user_portrait?img_id=7&t=1 ").as_deref(),
            Some("/image/user_portrait?img_id=7&t=1")
        );
        assert_eq!(
            portrait_url("https://img.example/a.png").as_deref(),
            Some("https://img.example/a.png")
        );
        for refused in [
            "//elsewhere.example/a.png",
            "/\\elsewhere.example/a.png",
            "/a\nb",
            "javascript:alert(1)",
            "image/7",
        ] {
            assert_eq!(portrait_url(refused), None, "{refused:?}");
        }
    }

    #[test]
    fn only_http_and_https_portraits_are_linked() {
        assert_eq!(
            safe_url(" HTTPS://img.example/a.png ").as_deref(),
            Some("HTTPS://img.example/a.png")
        );
        assert_eq!(
            safe_url("http://img.example/b").as_deref(),
            Some("http://img.example/b")
        );
        for refused in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            "data:image/png;base64,AAAA",
            "httpx://img.example",
            "//img.example/a.png",
            "http:/",
            "",
            "éé",
            "httpé://x",
        ] {
            assert_eq!(safe_url(refused), None, "{refused}");
        }
    }
}
