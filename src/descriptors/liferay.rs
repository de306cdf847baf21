//! Liferay's own descriptors: `liferay-portlet.xml` (DTD 7.4.0, whose `<portlet>` has a
//! strict element order) and `liferay-display.xml` (DTD 7.3.0, the widget categories).

use std::collections::BTreeMap;
use std::path::Path;

use super::order::{FileProblems, Occurs, Sequence};
use super::xml::{Node, Pos, problem};

use Occurs::{Many, One, OneOrMore, Optional};

const PORTLET_SCHEMA: &str = "Liferay DTD 7.4.0";
const DISPLAY_SCHEMA: &str = "Liferay display DTD 7.3.0";

/// `<!ELEMENT liferay-portlet-app (portlet*, role-mapper*, custom-user-attribute*)>`
const APP: &[(&str, Occurs)] = &[
    ("portlet", Many),
    ("role-mapper", Many),
    ("custom-user-attribute", Many),
];

/// Elements of `<portlet>` in older DTDs that 7.4.0 dropped, which [`PORTLET`] keeps in
/// their old place: a file written for those DTDs still deploys on Liferay 7.4, which
/// passes them over.
pub const FROM_OLDER_DTDS: &[&str] = &["remoteable", "ddm-display"];

/// `<!ELEMENT portlet (...)>` of liferay-portlet-app_7_4_0.dtd, in the DTD's order, and
/// [`FROM_OLDER_DTDS`].
pub const PORTLET: &[(&str, Occurs)] = &[
    ("portlet-name", One),
    ("icon", Optional),
    ("virtual-path", Optional),
    ("struts-path", Optional),
    ("parent-struts-path", Optional),
    ("configuration-path", Optional),
    ("configuration-action-class", Optional),
    ("indexer-class", Many),
    ("open-search-class", Optional),
    ("scheduler-entry", Many),
    ("portlet-url-class", Optional),
    ("friendly-url-mapper-class", Optional),
    ("friendly-url-mapping", Optional),
    ("friendly-url-routes", Optional),
    ("url-encoder-class", Optional),
    ("portlet-data-handler-class", Optional),
    ("staged-model-data-handler-class", Many),
    ("template-handler", Optional),
    ("portlet-layout-listener-class", Optional),
    ("poller-processor-class", Optional),
    ("pop-message-listener-class", Optional),
    ("social-activity-interpreter-class", Many),
    ("social-request-interpreter-class", Optional),
    ("user-notification-definitions", Optional),
    ("user-notification-handler-class", Many),
    ("webdav-storage-token", Optional),
    ("webdav-storage-class", Optional),
    ("xml-rpc-method-class", Optional),
    ("application-type", Many),
    ("control-panel-entry-category", Optional),
    ("control-panel-entry-weight", Optional),
    ("control-panel-entry-class", Optional),
    ("asset-renderer-factory", Many),
    ("atom-collection-adapter", Many),
    ("custom-attributes-display", Many),
    // Not in DTD 7.4.0: DTD 7.0.0 has it here (see `FROM_OLDER_DTDS`).
    ("ddm-display", Optional),
    ("permission-propagator", Optional),
    ("trash-handler", Many),
    ("workflow-handler", Many),
    ("preferences-company-wide", Optional),
    ("preferences-unique-per-layout", Optional),
    ("preferences-owned-by-group", Optional),
    ("use-default-template", Optional),
    ("show-portlet-access-denied", Optional),
    ("show-portlet-inactive", Optional),
    ("action-url-redirect", Optional),
    ("restore-current-view", Optional),
    ("maximize-edit", Optional),
    ("maximize-help", Optional),
    ("pop-up-print", Optional),
    ("layout-cacheable", Optional),
    ("instanceable", Optional),
    // Not in DTD 7.4.0: DTDs 6.2.0 to 7.1.0 have it here, and a file written for
    // them still deploys on Liferay 7.4, which passes it over. So does the host.
    ("remoteable", Optional),
    ("scopeable", Optional),
    ("single-page-application", Optional),
    ("user-principal-strategy", Optional),
    ("private-request-attributes", Optional),
    ("private-session-attributes", Optional),
    ("autopropagated-parameters", Optional),
    ("requires-namespaced-parameters", Optional),
    ("action-timeout", Optional),
    ("render-timeout", Optional),
    ("render-weight", Optional),
    ("ajaxable", Optional),
    ("header-portal-css", Many),
    ("header-portlet-css", Many),
    ("header-portal-javascript", Many),
    ("header-portlet-javascript", Many),
    ("header-request-attribute-prefix", Many),
    ("header-timeout", Optional),
    ("footer-portal-css", Many),
    ("footer-portlet-css", Many),
    ("footer-portal-javascript", Many),
    ("footer-portlet-javascript", Many),
    ("partial-action-serve-resource", Optional),
    ("portlet-dependency-css-enabled", Optional),
    ("portlet-dependency-javascript-enabled", Optional),
    ("css-class-wrapper", Optional),
    ("facebook-integration", Optional),
    ("add-default-resource", Optional),
    ("system", Optional),
    ("active", Optional),
    ("include", Optional),
];

const ROLE_MAPPER: &[(&str, Occurs)] = &[("role-name", One), ("role-link", One)];

const CUSTOM_USER_ATTRIBUTE: &[(&str, Occurs)] = &[("name", OneOrMore), ("custom-class", One)];

/// What the host keeps of one `<portlet>` of `liferay-portlet.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LiferayPortlet {
    pub name: String,
    pub icon: Option<String>,
    pub instanceable: bool,
    pub css_class_wrapper: Option<String>,
    pub friendly_url_mapping: Option<String>,
    /// Liferay's default is `true`.
    pub requires_namespaced_parameters: bool,
    /// `<active>` and `<include>`, both true by default: false turns the portlet off,
    /// and the host then does not serve it.
    pub switched_on: bool,
    /// Where its `<portlet-name>` is (its `<portlet>` where it has none): a problem
    /// with the name points at the name.
    pub pos: Pos,
}

fn seq(items: &'static [(&'static str, Occurs)], schema: &'static str) -> Sequence {
    Sequence { items, schema }
}

/// Reads and checks a parsed `liferay-portlet.xml` (root `<liferay-portlet-app>`).
pub fn read_portlet_app(file: &Path, root: &Node) -> (Vec<LiferayPortlet>, FileProblems) {
    let mut problems = FileProblems::default();
    let mut portlets = Vec::new();
    if root.name != "liferay-portlet-app" {
        problems.push(problem(
            file,
            root.pos,
            &root.name,
            format!(
                "root element is <{}>, expected <liferay-portlet-app>",
                root.name
            ),
            "liferay-portlet.xml starts with <liferay-portlet-app> after the DTD 7.4.0 DOCTYPE"
                .into(),
        ));
        return (portlets, problems);
    }
    problems.extend(seq(APP, PORTLET_SCHEMA).check(file, root));
    for node in root.all("role-mapper") {
        problems.extend(seq(ROLE_MAPPER, PORTLET_SCHEMA).check(file, node));
    }
    for node in root.all("custom-user-attribute") {
        problems.extend(seq(CUSTOM_USER_ATTRIBUTE, PORTLET_SCHEMA).check(file, node));
    }
    if let Some(extra) = root.all("portlet").nth(super::portlet_xml::MAX_PORTLETS) {
        problems.push(problem(
            file,
            extra.pos,
            "portlet",
            format!(
                "more than {} <portlet> elements",
                super::portlet_xml::MAX_PORTLETS
            ),
            "a widget folder describes a handful of portlets: split or trim the file".into(),
        ));
        return (portlets, problems);
    }
    for node in root.all("portlet") {
        problems.extend(seq(PORTLET, PORTLET_SCHEMA).check(file, node));
        let mut flag = |name: &str, default: bool| match node.first(name) {
            None => default,
            Some(n) => match liferay_boolean(n.value()) {
                Some(value) => value,
                None => {
                    let other = n.value();
                    problems.push(problem(
                        file,
                        n.pos,
                        name,
                        format!("<{name}> is {other:?}, not a boolean"),
                        format!("write <{name}>true</{name}> or <{name}>false</{name}>"),
                    ));
                    default
                }
            },
        };
        let instanceable = flag("instanceable", false);
        let requires_namespaced_parameters = flag("requires-namespaced-parameters", true);
        // Both read, so that a misspelt value of either is reported.
        let active = flag("active", true);
        let included = flag("include", true);
        // Liferay passes a portlet that says false its un-namespaced parameters too;
        // this host never does (DESIGN section 3), so the flag would promise what is
        // not done: parameters a page sends bare would be dropped without a word.
        if let (false, Some(n)) = (
            requires_namespaced_parameters,
            node.first("requires-namespaced-parameters"),
        ) {
            problems.push(problem(
                file,
                n.pos,
                "requires-namespaced-parameters",
                "<requires-namespaced-parameters> is false, but this host reads only namespaced widget parameters and ignores the rest".into(),
                "remove the element or write true; send the widget's parameters as _<portlet-name>_<name>".into(),
            ));
        }
        let text = |name: &str| {
            node.text_of(name)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let name = text("portlet-name").unwrap_or_default();
        // Two entries for one portlet would leave which flags apply to chance.
        if !name.is_empty() && portlets.iter().any(|p| p.name == name) {
            problems.push(problem(
                file,
                node.pos,
                "portlet",
                format!("portlet {name} is described twice"),
                "keep one <portlet> per portlet-name and merge the two".into(),
            ));
        }
        portlets.push(LiferayPortlet {
            name,
            icon: text("icon"),
            instanceable,
            css_class_wrapper: text("css-class-wrapper"),
            friendly_url_mapping: text("friendly-url-mapping"),
            requires_namespaced_parameters,
            switched_on: active && included,
            pos: node.first("portlet-name").map_or(node.pos, |n| n.pos),
        });
    }
    (portlets, problems)
}

/// Reads and checks a parsed `liferay-display.xml`: portlet id → the name of the
/// category that lists it (one of them when several do).
/// The category of each portlet id the file lists, with the position of its
/// `<portlet>` element (the first, where an id is listed twice).
pub type Categories = BTreeMap<String, (String, Pos)>;

pub fn read_display(file: &Path, root: &Node) -> (Categories, FileProblems) {
    let mut problems = FileProblems::default();
    let mut categories = BTreeMap::new();
    if root.name != "display" {
        problems.push(problem(
            file,
            root.pos,
            &root.name,
            format!("root element is <{}>, expected <display>", root.name),
            "liferay-display.xml starts with <display> after the DTD 7.3.0 DOCTYPE".into(),
        ));
        return (categories, problems);
    }
    problems.extend(seq(&[("category", Many)], DISPLAY_SCHEMA).check(file, root));
    // A stack of categories still to read, the next on top: each category's
    // subcategories go on in reverse, so that sibling categories are read, and their
    // problems reported, in the file's order (a category's own portlets, which
    // follow its subcategories in the file, are read before them).
    let mut stack: Vec<&Node> = root.all("category").collect();
    stack.reverse();
    while let Some(category) = stack.pop() {
        problems.extend(
            seq(&[("category", Many), ("portlet", Many)], DISPLAY_SCHEMA).check(file, category),
        );
        // Its subcategories are read even when it has no name to give its portlets.
        let subcategories: Vec<&Node> = category.all("category").collect();
        stack.extend(subcategories.into_iter().rev());
        let Some(name) = category
            .attr("name")
            .map(super::xml::xml_trim)
            .filter(|n| !n.is_empty())
        else {
            problems.push(problem(
                file,
                category.pos,
                "category",
                "<category> lacks the required name attribute".into(),
                "write <category name=\"category.social\">".into(),
            ));
            continue;
        };
        if name.chars().count() > MAX_CATEGORY_CHARS {
            problems.push(problem(
                file,
                category.pos,
                "category",
                format!("the category name is longer than {MAX_CATEGORY_CHARS} characters"),
                "name the category with a language key such as category.social".into(),
            ));
            continue;
        }
        for portlet in category.all("portlet") {
            match portlet
                .attr("id")
                .map(super::xml::xml_trim)
                .filter(|id| !id.is_empty())
            {
                Some(id) => {
                    // A category's own portlets are read before its subcategories',
                    // which the file writes first (the DTD puts <category> before
                    // <portlet>): the listing kept is the one first in the file.
                    let listed = (name.to_owned(), portlet.pos);
                    categories
                        .entry(id.to_owned())
                        .and_modify(|kept: &mut (String, Pos)| {
                            if earlier(listed.1, kept.1) {
                                *kept = listed.clone();
                            }
                        })
                        .or_insert(listed);
                }
                None => problems.push(problem(
                    file,
                    portlet.pos,
                    "portlet",
                    "<portlet> lacks the required id attribute".into(),
                    "write <portlet id=\"...\"/> with the portlet-name from portlet.xml".into(),
                )),
            }
        }
    }
    (categories, problems)
}

/// Longest category name taken, in characters. Each portlet listed keeps its own copy
/// of its category's name, and so does every widget of the catalog and every answer of
/// `GET /widgets`: a name as long as the file, over tens of thousands of ids, would be
/// gigabytes from one file of a mebibyte. Liferay's names are language keys
/// (`category.social`).
const MAX_CATEGORY_CHARS: usize = 256;

/// Whether `a` comes before `b` in a file.
fn earlier(a: Pos, b: Pos) -> bool {
    (a.line, a.column) < (b.line, b.column)
}

/// A boolean element in Liferay's spellings (`GetterUtil.getBoolean`): trimmed, in any
/// case, `true`, `t`, `y`, `on` or `1`, and `false`, `f`, `n`, `off` or `0`. The DTD
/// only says `#PCDATA`. Liferay reads any other value as false; it is reported here
/// instead, since a typo should not silently switch a flag.
pub(crate) fn liferay_boolean(value: &str) -> Option<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "y" | "on" | "1" => Some(true),
        "false" | "f" | "n" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn display(text: &str) -> (Categories, FileProblems) {
        let file = Path::new("liferay-display.xml");
        let root = super::super::xml::parse(file, text.as_bytes()).expect("parses");
        read_display(file, &root)
    }

    #[test]
    fn a_portlet_listed_twice_keeps_the_category_first_in_the_file() {
        let (categories, problems) = display(
            "<display>\
             <category name=\"category.social\"><portlet id=\"contacts_center\"/></category>\
             <category name=\"category.tools\"><portlet id=\"contacts_center\"/></category>\
             </display>",
        );
        let problems = problems.into_vec(Path::new("f"), Pos::default(), "display", "");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(categories["contacts_center"].0, "category.social");
        // A subcategory comes before its parent's own portlets in the file.
        let (categories, _) = display(
            "<display><category name=\"category.outer\">\
             <category name=\"category.inner\"><portlet id=\"a\"/></category>\
             <portlet id=\"a\"/></category></display>",
        );
        assert_eq!(categories["a"].0, "category.inner");
    }

    #[test]
    fn problems_come_in_the_files_order() {
        let (_, problems) = display(
            "<display>\n<category><portlet id=\"a\"/></category>\n\
             <category name=\"x\"><portlet/></category>\n</display>",
        );
        let problems = problems.into_vec(Path::new("f"), Pos::default(), "display", "");
        let lines: Vec<u32> = problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, vec![2, 3], "{problems:?}");
    }

    #[test]
    fn a_category_without_a_name_still_has_its_subcategories_read() {
        let (categories, problems) = display(
            "<display><category>\
             <category name=\"category.inner\"><portlet id=\"a\"/></category>\
             </category></display>",
        );
        let problems = problems.into_vec(Path::new("f"), Pos::default(), "display", "");
        assert_eq!(problems.len(), 1, "the nameless category: {problems:?}");
        assert_eq!(categories["a"].0, "category.inner");
    }

    /// A category name past the cap is a problem, and its portlets are listed in no
    /// category (so nothing copies the name for each of them); one at the cap is taken.
    #[test]
    fn a_category_name_is_bounded() {
        let listing = |name: &str| {
            display(&format!(
                "<display><category name=\"{name}\"><portlet id=\"a\"/><portlet id=\"b\"/></category></display>"
            ))
        };
        let (categories, problems) = listing(&"c".repeat(MAX_CATEGORY_CHARS + 1));
        let problems = problems.into_vec(Path::new("f"), Pos::default(), "display", "");
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].message.contains("longer than 256"),
            "{problems:?}"
        );
        assert!(categories.is_empty(), "{categories:?}");
        let at_the_cap = "é".repeat(MAX_CATEGORY_CHARS);
        let (categories, problems) = listing(&at_the_cap);
        let problems = problems.into_vec(Path::new("f"), Pos::default(), "display", "");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(categories["b"].0, at_the_cap);
    }
}
