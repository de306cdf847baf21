//! `PortletDescription` and `ServiceDescription` from the deployed descriptors.

use super::context::{descriptor_name_to_wsrp, xml_lang};
use super::xml::Writer;
use crate::descriptors::{WidgetDescriptor, with_standard_states};

/// Language of descriptor texts: descriptors carry one untranslated title.
pub const DESCRIPTOR_LANG: &str = "en";

/// Writes the content of a `PortletDescription` into an element named `element`.
pub fn portlet_description(w: &mut Writer, element: &str, d: &WidgetDescriptor) {
    w.open(element, &[]);
    w.leaf("portletHandle", &d.portlet_name);
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
    w.localized("title", DESCRIPTOR_LANG, &d.title);
    w.localized("displayName", DESCRIPTOR_LANG, &d.display_name);
    for k in &d.keywords {
        w.localized("keywords", DESCRIPTOR_LANG, k);
    }
    // The widgets render per user, and the markup carries rewrite tokens.
    w.leaf("hasUserSpecificState", "true");
    w.close(element);
}
