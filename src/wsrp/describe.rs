//! `PortletDescription` and `ServiceDescription` from the deployed descriptors.

use super::context::{descriptor_name_to_wsrp, xml_lang};
use super::xml::Writer;
use crate::descriptors::{WidgetDescriptor, with_standard_states};
use crate::portal::request::ADMIN_ROLES;

/// The `UserProfile` items the host reads (`context::profile`), named as WSRP names
/// them: the path of the element under `profile`.
pub const PROFILE_ITEMS: [&str; 7] = [
    "name/given",
    "name/middle",
    "name/family",
    "name/nickname",
    "businessInfo/online/email",
    "homeInfo/online/email",
    "employerInfo/jobtitle",
];

/// The user categories a consumer may send, with what each lets a user do: the
/// portal's administrator roles, which may edit a widget's preferences.
pub fn user_category_descriptions(w: &mut Writer) {
    for category in ADMIN_ROLES {
        w.open("userCategoryDescriptions", &[("itemName", category)])
            .localized(
                "description",
                DESCRIPTOR_LANG,
                "May open edit mode and save a widget's preferences.",
            )
            .close("userCategoryDescriptions");
    }
}

/// Language of descriptor texts: descriptors carry one untranslated title.
pub const DESCRIPTOR_LANG: &str = "en";

/// The language a description's texts are asked for in: the first of the consumer's
/// `desiredLocales` the host has texts for, unless it is English, which the
/// descriptors are written in.
pub fn desired_language(op: &crate::wsrp::xml::Element) -> Option<&'static str> {
    let tags: Vec<&str> = op
        .children_named("desiredLocales")
        .map(|l| l.text.trim())
        .collect();
    crate::i18n::first_readable(&tags)
        .map(|(id, _)| id)
        .filter(|id| !id.starts_with("en"))
}

/// Writes the content of a `PortletDescription` of `handle` (the descriptor's
/// portlet name, or one of its placements' ids) into an element named `element`.
/// A widget kind's own title is written in `language` where one is asked for (a
/// portal lists remote portlets to its administrator by it); the descriptor's other
/// texts, and a title of the administrator's own, as the descriptor has them.
pub fn portlet_description(
    w: &mut Writer,
    element: &str,
    handle: &str,
    d: &WidgetDescriptor,
    language: Option<&str>,
) {
    w.open(element, &[]);
    w.leaf("portletHandle", handle);
    w.open("markupTypes", &[]).leaf("mimeType", "text/html");
    let mut modes: Vec<&str> = d.modes.iter().map(String::as_str).collect();
    if !modes.contains(&"view") {
        modes.insert(0, "view");
    }
    for m in modes {
        w.leaf("modes", &descriptor_name_to_wsrp(m));
    }
    for s in &with_standard_states(&d.window_states) {
        w.leaf("windowStates", &descriptor_name_to_wsrp(s));
    }
    for l in &d.supported_locales {
        w.leaf("locales", &xml_lang(l));
    }
    w.close("markupTypes");
    if !d.category.is_empty() {
        w.leaf("groupID", &d.category);
    }
    if let Some(short) = d.short_title.as_deref().filter(|s| !s.is_empty()) {
        w.localized("shortTitle", DESCRIPTOR_LANG, short);
    }
    let translated = language.and_then(|id| {
        let title = crate::widgets::bundle_title(crate::i18n::Languages::shared(), d, id)?;
        Some((xml_lang(id), title))
    });
    match &translated {
        Some((lang, title)) => w.localized("title", lang, title),
        None => w.localized("title", DESCRIPTOR_LANG, &d.title),
    };
    // The display name is the title unless the descriptor names it otherwise.
    match &translated {
        Some((lang, title)) if d.display_name == d.title => w.localized("displayName", lang, title),
        _ => w.localized("displayName", DESCRIPTOR_LANG, &d.display_name),
    };
    for k in &d.keywords {
        w.localized("keywords", DESCRIPTOR_LANG, k);
    }
    // A consumer sends only the categories and profile items a portlet names: edit
    // mode needs an administrator's category, and the directory is kept from the
    // profile (names, e-mail, job title).
    if d.supports(crate::portal::PortletMode::Edit) {
        for category in ADMIN_ROLES {
            w.leaf("userCategories", category);
        }
    }
    for item in PROFILE_ITEMS {
        w.leaf("userProfileItems", item);
    }
    // The widgets render per user, and the markup carries rewrite tokens.
    w.leaf("hasUserSpecificState", "true");
    w.close(element);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsrp::xml::{Limits, parse};

    fn described(modes: &[&str]) -> crate::wsrp::xml::Element {
        let catalog = crate::descriptors::builtin();
        let mut d = WidgetDescriptor::clone(catalog.widgets.values().next().expect("a widget"));
        d.modes = modes.iter().map(|m| m.to_string()).collect();
        let mut w = Writer::new();
        portlet_description(&mut w, "portletDescription", &d.portlet_name, &d, None);
        parse(w.finish().as_bytes(), Limits::default()).expect("well-formed")
    }

    fn texts<'a>(e: &'a crate::wsrp::xml::Element, name: &'a str) -> Vec<&'a str> {
        e.children_named(name).map(|c| c.text.as_str()).collect()
    }

    /// A built-in kind's title is written in the language asked for; a display name
    /// of the descriptor's own, which no bundle holds, stays as written, in English.
    #[test]
    fn a_display_name_of_its_own_stays_as_written() {
        let catalog = crate::descriptors::builtin();
        let mut d = catalog
            .widgets
            .values()
            .find(|d| d.kind == crate::widgets::contacts_center::KIND)
            .expect("the Contacts Center")
            .as_ref()
            .clone();
        let localized = |d: &WidgetDescriptor| {
            let mut w = Writer::new();
            portlet_description(&mut w, "portletDescription", "h", d, Some("fr_FR"));
            let e = parse(w.finish().as_bytes(), Limits::default()).expect("well-formed");
            ["title", "displayName"].map(|name| {
                let el = e.child(name).expect(name);
                let lang = el
                    .attrs
                    .iter()
                    .find(|a| a.name == "lang")
                    .expect("xml:lang");
                (
                    lang.value.clone(),
                    el.child_text("value").unwrap_or("").to_owned(),
                )
            })
        };
        let french = crate::i18n::Languages::shared()
            .get("fr_FR", "contacts-center")
            .to_owned();
        let both = (String::from("fr-FR"), french.clone());
        assert_eq!(localized(&d), [both.clone(), both.clone()]);
        d.display_name = "People and contacts".into();
        assert_eq!(
            localized(&d),
            [both, ("en".into(), "People and contacts".into())]
        );
    }

    /// A consumer sends only the user categories and profile items a portlet names:
    /// without them edit mode could never be reached, nor the directory kept.
    #[test]
    fn a_portlet_names_its_user_categories_and_profile_items() {
        let editable = described(&["view", "edit"]);
        assert_eq!(texts(&editable, "userCategories"), ADMIN_ROLES);
        assert_eq!(texts(&editable, "userProfileItems"), PROFILE_ITEMS);
        // The schema's order: categories and profile items after the keywords,
        // before hasUserSpecificState.
        let order: Vec<&str> = editable.children.iter().map(|c| c.name.as_str()).collect();
        let at = |name: &str| order.iter().position(|n| *n == name).expect(name);
        assert!(at("displayName") < at("userCategories"));
        assert!(at("userCategories") < at("userProfileItems"));
        assert!(at("userProfileItems") < at("hasUserSpecificState"));

        let view_only = described(&["view"]);
        assert!(texts(&view_only, "userCategories").is_empty());
        assert_eq!(texts(&view_only, "userProfileItems"), PROFILE_ITEMS);

        let mut w = Writer::new();
        w.open("serviceDescription", &[]);
        user_category_descriptions(&mut w);
        w.close("serviceDescription");
        let root = parse(w.finish().as_bytes(), Limits::default()).expect("well-formed");
        let named: Vec<&str> = root
            .children_named("userCategoryDescriptions")
            .filter_map(|c| c.attr("itemName"))
            .collect();
        assert_eq!(named, ADMIN_ROLES);
    }
}
