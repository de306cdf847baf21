//! `portlet.xml`: the JSR-286 (`portlet-app_2_0.xsd`) and JSR-362 (portlet 3.0)
//! deployment descriptor. The host reads what it needs to describe a widget and checks
//! the element order the XSDs' sequences require.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{Problem, STANDARD_WINDOW_STATES};
use super::order::{FileProblems, Occurs, Sequence};
use super::xml::{Node, Pos, problem, shown};
use crate::portal::request::{PortletMode, WindowState, is_portlet_name};

/// JSR-286 namespace (portlet 2.0).
pub const NS_2_0: &str = "http://java.sun.com/xml/ns/portlet/portlet-app_2_0.xsd";
/// JSR-362 namespace (portlet 3.0).
pub const NS_3_0: &str = "http://xmlns.jcp.org/xml/ns/portlet";
/// JSR-168 namespace (portlet 1.0), recognised only to explain that it is too old.
const NS_1_0: &str = "http://java.sun.com/xml/ns/portlet/portlet-app_1_0.xsd";

/// Which portlet specification a `portlet.xml` follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V2,
    V3,
}

impl Version {
    fn schema(self) -> &'static str {
        match self {
            Self::V2 => "portlet-app_2_0.xsd",
            Self::V3 => "portlet-app_3_0.xsd",
        }
    }
}

/// One `<portlet>` as read from `portlet.xml`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PortletDef {
    pub name: String,
    pub display_name: Option<String>,
    pub class: Option<String>,
    pub expiration_cache: Option<i64>,
    pub modes: Vec<String>,
    pub window_states: Vec<String>,
    pub supported_locales: Vec<String>,
    pub title: Option<String>,
    pub short_title: Option<String>,
    pub keywords: Vec<String>,
    pub preferences: BTreeMap<String, Vec<String>>,
    /// Preferences marked `<read-only>true</read-only>`: the portlet may not change them.
    pub read_only_preferences: std::collections::BTreeSet<String>,
    /// Where `<portlet>` starts, for problems about the portlet as a whole.
    pub pos: Pos,
    /// Where `<portlet-class>` sits (the portlet's position when absent).
    pub class_pos: Pos,
    pub name_pos: Pos,
    /// Where each mode and window state is first listed.
    pub positions: BTreeMap<String, Pos>,
    /// Where the first `<supports>` sits, if any, and whether some `<supports>` covers
    /// HTML: a portlet that declares only other markup is not one this host can serve.
    pub first_supports: Option<Pos>,
    pub supports_html: bool,
}

/// A whole `portlet.xml`.
#[derive(Debug, Clone, Default)]
pub struct PortletApp {
    pub version: Option<Version>,
    pub portlets: Vec<PortletDef>,
}

use Occurs::{Many, One, OneOrMore, Optional};

const APP_2_0: &[(&str, Occurs)] = &[
    ("portlet", Many),
    ("custom-portlet-mode", Many),
    ("custom-window-state", Many),
    ("user-attribute", Many),
    ("security-constraint", Many),
    ("resource-bundle", Optional),
    ("filter", Many),
    ("filter-mapping", Many),
    ("default-namespace", Optional),
    ("event-definition", Many),
    ("public-render-parameter", Many),
    ("listener", Many),
    ("container-runtime-option", Many),
];

/// Portlet 3.0 dropped `security-constraint` from the application.
const APP_3_0: &[(&str, Occurs)] = &[
    ("portlet", Many),
    ("custom-portlet-mode", Many),
    ("custom-window-state", Many),
    ("user-attribute", Many),
    ("resource-bundle", Optional),
    ("filter", Many),
    ("filter-mapping", Many),
    ("default-namespace", Optional),
    ("event-definition", Many),
    ("public-render-parameter", Many),
    ("listener", Many),
    ("container-runtime-option", Many),
];

const PORTLET_2_0: &[(&str, Occurs)] = &[
    ("description", Many),
    ("portlet-name", One),
    ("display-name", Many),
    ("portlet-class", One),
    ("init-param", Many),
    ("expiration-cache", Optional),
    ("cache-scope", Optional),
    ("supports", OneOrMore),
    ("supported-locale", Many),
    ("resource-bundle", Optional),
    ("portlet-info", Optional),
    ("portlet-preferences", Optional),
    ("security-role-ref", Many),
    ("supported-processing-event", Many),
    ("supported-publishing-event", Many),
    ("supported-public-render-parameter", Many),
    ("container-runtime-option", Many),
];

const PORTLET_3_0: &[(&str, Occurs)] = &[
    ("description", Many),
    ("portlet-name", One),
    ("display-name", Many),
    ("portlet-class", Optional),
    ("init-param", Many),
    ("expiration-cache", Optional),
    ("cache-scope", Optional),
    ("supports", OneOrMore),
    ("supported-locale", Many),
    ("resource-bundle", Optional),
    ("portlet-info", Optional),
    ("portlet-preferences", Optional),
    ("security-role-ref", Many),
    ("supported-processing-event", Many),
    ("supported-publishing-event", Many),
    ("supported-public-render-parameter", Many),
    ("container-runtime-option", Many),
    ("dependency", Many),
    ("async-supported", Optional),
    ("multipart-config", Optional),
];

const SUPPORTS: &[(&str, Occurs)] = &[
    ("mime-type", One),
    ("portlet-mode", Many),
    ("window-state", Many),
];

const INFO_2_0: &[(&str, Occurs)] = &[
    ("title", Optional),
    ("short-title", Optional),
    ("keywords", Optional),
];

const INFO_3_0: &[(&str, Occurs)] = &[("title", Many), ("short-title", Many), ("keywords", Many)];

const PREFERENCES: &[(&str, Occurs)] = &[("preference", Many), ("preferences-validator", Optional)];

const PREFERENCE: &[(&str, Occurs)] = &[("name", One), ("value", Many), ("read-only", Optional)];

// Elements that serve no widget of the host (the custom modes and states only
// declare what a portlet may use), checked all the same: Liferay validates
// portlet.xml against its schema and refuses a file that breaks it. Their children
// come in the schema's order, and each is named once where its uniqueness rules say
// (`init-param-name-uniqueness` and the others); the simple types of their values
// (`portal-managed`'s true or false, `role-name`'s NMTOKEN) are not checked.
const INIT_PARAM: &[(&str, Occurs)] = &[("description", Many), ("name", One), ("value", One)];

const SECURITY_ROLE_REF: &[(&str, Occurs)] = &[
    ("description", Many),
    ("role-name", One),
    ("role-link", Optional),
];

const CUSTOM_PORTLET_MODE: &[(&str, Occurs)] = &[
    ("description", Many),
    ("portlet-mode", One),
    ("portal-managed", Optional),
];

const CUSTOM_WINDOW_STATE: &[(&str, Occurs)] = &[("description", Many), ("window-state", One)];

/// Checks each `element` of `parent` against its schema's `items`, and that no two
/// of them give the same `key` (an element without one is not compared, as in XSD).
fn checked_once(
    file: &Path,
    parent: &Node,
    (element, items, key): (&'static str, &'static [(&'static str, Occurs)], &str),
    schema: &'static str,
    problems: &mut FileProblems,
) {
    let mut seen = std::collections::HashSet::new();
    for node in parent.all(element) {
        problems.extend(Sequence { items, schema }.check(file, node));
        let Some(named) = node.first(key) else {
            continue;
        };
        // Compared as the schema's token type reads them: white space collapsed.
        let value = super::xml::xml_collapse(&named.text);
        if !seen.insert(value.clone()) {
            problems.push(problem(
                file,
                named.pos,
                key,
                format!(
                    "<{element}> with {key} {:?} is declared twice",
                    shown(&value)
                ),
                format!("the schema allows one <{element}> per {key}: keep one"),
            ));
        }
    }
}

/// The namespace the root element is in: its prefix's `xmlns:p`, or the default `xmlns`.
fn namespace(root: &Node) -> Option<&str> {
    match &root.prefix {
        Some(p) => root.attr(&format!("xmlns:{p}")),
        None => root.attr("xmlns"),
    }
}

/// Reads and checks a parsed `portlet.xml` (root `<portlet-app>`).
pub fn read(file: &Path, root: &Node) -> (PortletApp, FileProblems) {
    let mut problems = FileProblems::default();
    let mut app = PortletApp::default();
    if root.name != "portlet-app" {
        problems.push(problem(
            file,
            root.pos,
            &root.name,
            format!("root element is <{}>, expected <portlet-app>", root.name),
            "portlet.xml starts with <portlet-app xmlns=\"http://xmlns.jcp.org/xml/ns/portlet\" version=\"3.0\">".into(),
        ));
        return (app, problems);
    }
    let version = match namespace(root) {
        Some(NS_2_0) => Version::V2,
        Some(NS_3_0) => Version::V3,
        Some(NS_1_0) => {
            problems.push(problem(
                file,
                root.pos,
                "portlet-app",
                "portlet 1.0 (JSR-168) descriptors are not supported".into(),
                format!("declare xmlns=\"{NS_2_0}\" version=\"2.0\" or xmlns=\"{NS_3_0}\" version=\"3.0\""),
            ));
            return (app, problems);
        }
        other => {
            problems.push(problem(
                file,
                root.pos,
                "portlet-app",
                match other {
                    Some(ns) => format!("unknown portlet-app namespace {ns}"),
                    None => "<portlet-app> declares no namespace".into(),
                },
                format!("declare xmlns=\"{NS_2_0}\" version=\"2.0\" or xmlns=\"{NS_3_0}\" version=\"3.0\""),
            ));
            return (app, problems);
        }
    };
    app.version = Some(version);
    let expected_version = match version {
        Version::V2 => "2.0",
        Version::V3 => "3.0",
    };
    match root.attr("version") {
        Some(v) if super::xml::xml_trim(v) == expected_version => {}
        found => problems.push(problem(
            file,
            root.pos,
            "portlet-app",
            match found {
                Some(v) => format!(
                    "version=\"{v}\" does not match the {} namespace",
                    version.schema()
                ),
                None => "<portlet-app> lacks the required version attribute".into(),
            },
            format!("write version=\"{expected_version}\" on <portlet-app>"),
        )),
    }
    let schema = version.schema();
    let seq = |items| Sequence { items, schema };
    problems.extend(
        seq(match version {
            Version::V2 => APP_2_0,
            Version::V3 => APP_3_0,
        })
        .check(file, root),
    );
    let portlet_seq = match version {
        Version::V2 => PORTLET_2_0,
        Version::V3 => PORTLET_3_0,
    };
    let info_seq = match version {
        Version::V2 => INFO_2_0,
        Version::V3 => INFO_3_0,
    };
    if let Some(extra) = root.all("portlet").nth(MAX_PORTLETS) {
        problems.push(problem(
            file,
            extra.pos,
            "portlet",
            format!("more than {MAX_PORTLETS} <portlet> elements"),
            "a widget folder declares a handful of portlets: split or trim the file".into(),
        ));
        return (app, problems);
    }
    let custom = Custom::of(root);
    for declared in [
        ("custom-portlet-mode", CUSTOM_PORTLET_MODE, "portlet-mode"),
        ("custom-window-state", CUSTOM_WINDOW_STATE, "window-state"),
    ] {
        checked_once(file, root, declared, schema, &mut problems);
    }
    let mut names: std::collections::HashSet<&str> = Default::default();
    for node in root.all("portlet") {
        problems.extend(seq(portlet_seq).check(file, node));
        for declared in [
            ("init-param", INIT_PARAM, "name"),
            ("security-role-ref", SECURITY_ROLE_REF, "role-name"),
        ] {
            checked_once(file, node, declared, schema, &mut problems);
        }
        let def = read_portlet(file, node, &mut problems, seq, info_seq);
        if names.contains(def.name.as_str()) {
            problems.push(problem(
                file,
                def.name_pos,
                "portlet-name",
                format!("portlet-name {} is declared twice", shown(&def.name)),
                "portlet-name must be unique within portlet.xml: rename one".into(),
            ));
        }
        if let Some(n) = node.text_of("portlet-name") {
            names.insert(n);
        }
        problems.extend(undeclared_modes(file, &custom, &def));
        if is_built_in(&def) {
            problems.extend(java_hooks(file, node, &def));
        }
        app.portlets.push(def);
    }
    problems.extend(java_hooks_of_the_app(file, root, &app.portlets));
    (app, problems)
}

fn is_built_in(def: &PortletDef) -> bool {
    def.class
        .as_deref()
        .is_some_and(|c| crate::widgets::KINDS.contains(&c))
}

/// What a Java portal would run beside a Java portlet and this host never runs: a
/// built-in widget declared with a preferences validator or events would be served
/// as if they ran. Each is a problem, as a flag the host does not honour is
/// (`requires-namespaced-parameters`).
fn java_hooks(file: &Path, portlet: &Node, def: &PortletDef) -> Vec<Problem> {
    let validator = portlet
        .first("portlet-preferences")
        .and_then(|p| p.first("preferences-validator"));
    let events = ["supported-processing-event", "supported-publishing-event"]
        .into_iter()
        .filter_map(|e| portlet.first(e));
    validator
        .into_iter()
        .chain(events)
        .map(|node| never_runs(file, node, &def.name))
        .collect()
}

/// [`java_hooks`] of the whole file, each reported once: a filter mapped to a built-in
/// widget (by its name, `*`, or a name ending in `*`, which containers read as a
/// prefix), and a URL listener, which a Java portal runs for every portlet of the file.
fn java_hooks_of_the_app(file: &Path, root: &Node, portlets: &[PortletDef]) -> Vec<Problem> {
    let built_in: Vec<&str> = portlets
        .iter()
        .filter(|d| is_built_in(d))
        .map(|d| d.name.as_str())
        .collect();
    let Some(first) = built_in.first() else {
        return Vec::new();
    };
    let names = |pattern: &str| {
        built_in
            .iter()
            .copied()
            .find(|name| match pattern.strip_suffix('*') {
                Some(prefix) => name.starts_with(prefix),
                None => *name == pattern,
            })
    };
    let mut found = Vec::new();
    for mapping in root.all("filter-mapping") {
        if let Some(name) = mapping.all("portlet-name").find_map(|n| names(n.value())) {
            found.push(never_runs(file, mapping, name));
        }
    }
    found.extend(root.all("listener").map(|l| never_runs(file, l, first)));
    found
}

fn never_runs(file: &Path, node: &Node, portlet: &str) -> Problem {
    let element = node.name.as_str();
    problem(
        file,
        node.pos,
        element,
        format!(
            "portlet {} is a built-in widget, which runs no Java: its <{element}> would never run",
            shown(portlet)
        ),
        format!(
            "remove <{element}> for this portlet, or keep the portlet in the portal as a Java portlet"
        ),
    )
}

fn read_portlet(
    file: &Path,
    node: &Node,
    problems: &mut FileProblems,
    seq: impl Fn(&'static [(&'static str, Occurs)]) -> Sequence,
    info_seq: &'static [(&'static str, Occurs)],
) -> PortletDef {
    let mut def = PortletDef {
        name: node.text_of("portlet-name").unwrap_or_default().to_owned(),
        // A collapsed string too (`portlet:string`, an `xs:token`), as titles are.
        display_name: node
            .english_text_of("display-name")
            .map(super::xml::xml_collapse)
            .filter(|t| !t.is_empty()),
        class: node.text_of("portlet-class").map(str::to_owned),
        pos: node.pos,
        class_pos: node.first("portlet-class").map_or(node.pos, |n| n.pos),
        name_pos: node.first("portlet-name").map_or(node.pos, |n| n.pos),
        ..PortletDef::default()
    };
    if let Some(cache) = node.first("expiration-cache") {
        // The schema's type is `int`, as a Java portal reads it.
        match cache.value().parse::<i32>() {
            Ok(v) if v >= -1 => def.expiration_cache = Some(i64::from(v)),
            _ => problems.push(problem(
                file,
                cache.pos,
                "expiration-cache",
                format!(
                    "expiration-cache {:?} is not a number of seconds",
                    cache.value()
                ),
                "write a whole number of seconds: 0 disables caching, -1 never expires".into(),
            )),
        }
    }
    for supports in node.all("supports") {
        problems.extend(seq(SUPPORTS).check(file, supports));
        def.first_supports.get_or_insert(supports.pos);
        // `text/*` and `*/*` blocks speak for HTML too (the portlet TCK's descriptors
        // declare their modes under `*/*`).
        let mime = supports.text_of("mime-type").unwrap_or_default();
        if !crate::portal::covers_html(mime) {
            continue;
        }
        def.supports_html = true;
        // The first position of each value, which also tells a repeat at once: a
        // list search per value would be quadratic in a file of thousands.
        for mode in supports.all("portlet-mode") {
            let value = mode.value().to_ascii_lowercase();
            if first_seen(&mut def.positions, "mode", &value, mode.pos) {
                def.modes.push(value);
            }
        }
        for state in supports.all("window-state") {
            let value = state.value().to_ascii_lowercase();
            if first_seen(&mut def.positions, "state", &value, state.pos) {
                def.window_states.push(value);
            }
        }
    }
    let mut locales = std::collections::HashSet::new();
    for locale in node.all("supported-locale") {
        let value = locale.value();
        if !value.is_empty() && locales.insert(value) {
            def.supported_locales.push(value.to_owned());
        }
    }
    if let Some(info) = node.first("portlet-info") {
        problems.extend(seq(info_seq).check(file, info));
        // Both are collapsed strings in the schemas: a title written over two lines is
        // one line of text, as a Java portal reads it. An empty one names nothing, and
        // the widget is named as if it were not there: a consumer lists it by name.
        def.title = info
            .english_text_of("title")
            .map(super::xml::xml_collapse)
            .filter(|t| !t.is_empty());
        def.short_title = info
            .english_text_of("short-title")
            .map(super::xml::xml_collapse)
            .filter(|t| !t.is_empty());
        // Portlet 3.0 repeats keywords per language, as it does titles.
        def.keywords = info
            .english_text_of("keywords")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if let Some(prefs) = node.first("portlet-preferences") {
        problems.extend(seq(PREFERENCES).check(file, prefs));
        for pref in prefs.all("preference") {
            problems.extend(seq(PREFERENCE).check(file, pref));
            let name = pref.text_of("name").unwrap_or_default();
            if name.is_empty() {
                continue;
            }
            let values = pref.all("value").map(|v| v.value().to_owned()).collect();
            // The schema's read-only type is `true` or `false`: anything else breaks
            // the schema, and like any such problem keeps the folder from serving.
            match pref.text_of("read-only").map(str::trim) {
                Some(r) if r.eq_ignore_ascii_case("true") => {
                    def.read_only_preferences.insert(name.to_owned());
                }
                None => {}
                Some(r) if r.eq_ignore_ascii_case("false") => {}
                Some(other) => problems.push(problem(
                    file,
                    pref.first("read-only").map_or(pref.pos, |n| n.pos),
                    "read-only",
                    format!(
                        "preference {name} has read-only {other:?}, which is neither true nor false"
                    ),
                    "write <read-only>true</read-only> or <read-only>false</read-only>".into(),
                )),
            }
            if def.preferences.insert(name.to_owned(), values).is_some() {
                problems.push(problem(
                    file,
                    pref.pos,
                    "preference",
                    format!("preference {name} is declared twice"),
                    "keep one <preference> per name; list several <value>s inside it".into(),
                ));
            }
        }
    }
    def
}

/// Standard modes of the portlet specification; any other mode, and any window state
/// but [`STANDARD_WINDOW_STATES`], must be declared in `<custom-portlet-mode>` /
/// `<custom-window-state>` (JSR-286 PLT.8.5, 9.5).
const STANDARD_MODES: [&str; 3] = ["view", "edit", "help"];

/// Most `<portlet>` elements one portlet.xml may hold. Real applications declare a
/// few; the cap keeps the problems of a generated or hostile file, and the time to
/// list them, small.
pub const MAX_PORTLETS: usize = 1_000;

/// The application's own modes and states, read once for all its portlets.
struct Custom {
    modes: Vec<String>,
    states: Vec<String>,
}

impl Custom {
    fn of(root: &Node) -> Self {
        let declared = |wrapper: &str, inner: &str| -> Vec<String> {
            root.all(wrapper)
                .filter_map(|c| c.text_of(inner))
                .map(str::to_ascii_lowercase)
                .collect()
        };
        Self {
            modes: declared("custom-portlet-mode", "portlet-mode"),
            states: declared("custom-window-state", "window-state"),
        }
    }
}

fn undeclared_modes(file: &Path, custom: &Custom, def: &PortletDef) -> Vec<Problem> {
    let (custom_modes, custom_states) = (&custom.modes, &custom.states);
    let mut problems = Vec::new();
    let mut check = |values: &[String],
                     standard: &[&str],
                     custom: &[String],
                     key: &str,
                     element: &str,
                     wrapper: &str| {
        for value in values {
            if standard.contains(&value.as_str()) || custom.contains(value) {
                continue;
            }
            let pos = def
                .positions
                .get(&format!("{key}:{value}"))
                .copied()
                .unwrap_or(def.pos);
            problems.push(problem(
                file,
                pos,
                element,
                format!(
                    "{element} {} of portlet {} is neither standard ({}) nor declared in <{wrapper}>",
                    shown(value),
                    shown(&def.name),
                    standard.join(", ")
                ),
                format!("fix the spelling, or declare it in a <{wrapper}> of <portlet-app>"),
            ));
        }
    };
    check(
        &def.modes,
        &STANDARD_MODES,
        custom_modes,
        "mode",
        "portlet-mode",
        "custom-portlet-mode",
    );
    // Liferay gives every portlet `exclusive` without a declaration, and the host
    // serves it for every widget: a `<supports>` may list it as it stands.
    let known_states: Vec<&str> = STANDARD_WINDOW_STATES
        .iter()
        .copied()
        .chain(["exclusive"])
        .collect();
    check(
        &def.window_states,
        &known_states,
        custom_states,
        "state",
        "window-state",
        "custom-window-state",
    );
    problems
}

/// Records where `value` of `kind` is first written; whether this is that first
/// time. Empty values are never listed.
fn first_seen(positions: &mut BTreeMap<String, Pos>, kind: &str, value: &str, pos: Pos) -> bool {
    if value.is_empty() {
        return false;
    }
    match positions.entry(format!("{kind}:{value}")) {
        std::collections::btree_map::Entry::Occupied(_) => false,
        std::collections::btree_map::Entry::Vacant(slot) => {
            slot.insert(pos);
            true
        }
    }
}

/// Why a portlet cannot be served by this host: a Java class, an unknown kind, a name
/// that cannot become a namespace, or modes and window states the host lacks.
pub fn hostability(file: &Path, def: &PortletDef) -> Vec<Problem> {
    let mut problems = Vec::new();
    let kinds = crate::widgets::KINDS.join(", ");
    match def.class.as_deref() {
        Some(class) if crate::widgets::KINDS.contains(&class) => {}
        Some(class) if class.starts_with("widget-host:") => problems.push(problem(
            file,
            def.class_pos,
            "portlet-class",
            format!("portlet {} is not hostable: unknown widget kind {class}; this host provides {kinds}", shown(&def.name)),
            format!("set <portlet-class> to one of: {kinds}"),
        )),
        Some(class) => problems.push(problem(
            file,
            def.class_pos,
            "portlet-class",
            format!(
                "portlet {} is not hostable: portlet-class {class} is a Java class; this host provides {kinds}",
                shown(&def.name)
            ),
            format!("Java portlets stay deployed in the portal; to host a built-in widget set <portlet-class> to one of: {kinds}"),
        )),
        None => problems.push(problem(
            file,
            def.pos,
            "portlet",
            format!("portlet {} is not hostable: it has no <portlet-class> (an annotated Java portlet); this host provides {kinds}", shown(&def.name)),
            format!("add <portlet-class> after <display-name> with one of: {kinds}"),
        )),
    }
    if !is_portlet_name(&def.name) {
        problems.push(problem(
            file,
            def.name_pos,
            "portlet-name",
            format!("portlet-name {:?} cannot be hosted", shown(&def.name)),
            "use 1 to 64 letters, digits or underscores, without \"_INSTANCE_\" or \"_USER_\" in them or \"_INSTANCE\" or \"_USER\" at their end (Liferay's marks of a placement and of a user's own portlet): the name becomes part of the namespace _<portlet-name>_ that prefixes every parameter, HTML id and JavaScript name".into(),
        ));
    }
    // With no `<supports>` at all the schema's problem already says so.
    if let (Some(pos), false) = (def.first_supports, def.supports_html) {
        problems.push(problem(
            file,
            pos,
            "supports",
            format!(
                "portlet {} is not hostable: no <supports> covers text/html, the only markup this host serves",
                shown(&def.name)
            ),
            "add <supports> with <mime-type>text/html</mime-type> and the modes it offers".into(),
        ));
    }
    let unknown_modes = def.modes.iter().filter(|m| PortletMode::parse(m).is_none());
    let unknown_states = def
        .window_states
        .iter()
        .filter(|s| WindowState::parse(s).is_none());
    for (values, key, element, what, provided) in [
        (
            unknown_modes.collect::<Vec<_>>(),
            "mode",
            "portlet-mode",
            "portlet mode",
            "view, edit and help",
        ),
        (
            unknown_states.collect::<Vec<_>>(),
            "state",
            "window-state",
            "window state",
            "normal, maximized, minimized and exclusive",
        ),
    ] {
        for value in values {
            problems.push(problem(
                file,
                def.positions
                    .get(&format!("{key}:{value}"))
                    .copied()
                    .unwrap_or(def.pos),
                element,
                format!(
                    "portlet {} supports {what} {}, which this host does not provide",
                    shown(&def.name),
                    shown(value)
                ),
                format!("remove it; the host provides {provided}"),
            ));
        }
    }
    // A standard mode the widget kind does not render would be listed in `/widgets`
    // and offered to WSRP consumers, and then refused on every call.
    if let Some(kind) = def
        .class
        .as_deref()
        .filter(|c| crate::widgets::KINDS.contains(c))
    {
        let offered = crate::widgets::modes_of(kind);
        let lacking = def
            .modes
            .iter()
            .filter(|m| PortletMode::parse(m).is_some() && !offered.contains(&m.as_str()));
        for mode in lacking {
            problems.push(problem(
                file,
                def.positions
                    .get(&format!("mode:{mode}"))
                    .copied()
                    .unwrap_or(def.pos),
                "portlet-mode",
                format!(
                    "portlet {} supports portlet mode {mode}, which widget kind {kind} does not render",
                    shown(&def.name)
                ),
                format!("remove it; {kind} renders {}", offered.join(" and ")),
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> (PortletApp, FileProblems) {
        let file = Path::new("portlet.xml");
        let root = super::super::xml::parse(file, text.as_bytes()).expect("parses");
        read(file, &root)
    }

    /// Keywords are read in English where a 3.0 file gives them per language, text
    /// keeps XML 1.0's line ends (a CRLF file's values read as a LF file's), and a
    /// read-only that is neither true nor false is reported.
    #[test]
    fn keywords_line_ends_and_read_only_values_read_as_the_schema_says() {
        let text = "<?xml version=\"1.0\"?>\r\n<portlet-app xmlns=\"http://xmlns.jcp.org/xml/ns/portlet\" version=\"3.0\">\r\n\
            <portlet><portlet-name>p</portlet-name><portlet-class>x.P</portlet-class>\
            <supports><mime-type>text/html</mime-type></supports>\
            <portlet-info><title xml:lang=\"de\">Kontakte</title><title xml:lang=\"en\">Contacts</title>\
            <keywords xml:lang=\"de\">kontakte</keywords><keywords xml:lang=\"en\">contacts, people</keywords></portlet-info>\
            <portlet-preferences>\
            <preference><name>note</name><value>line one\r\nline two\u{2028}three\u{85}four</value><read-only>yes</read-only></preference>\
            <preference><name>fixed</name><value>1</value><read-only> TRUE </read-only></preference>\
            </portlet-preferences></portlet></portlet-app>";
        let (app, problems) = read_text(text);
        let portlet = &app.portlets[0];
        assert_eq!(portlet.keywords, ["contacts", "people"]);
        // XML 1.0's line ends only: U+2028 and NEL are text there.
        assert_eq!(
            portlet.preferences["note"],
            ["line one\nline two\u{2028}three\u{85}four"]
        );
        assert!(portlet.read_only_preferences.contains("fixed"));
        assert!(!portlet.read_only_preferences.contains("note"));
        let problems = problems.into_vec(Path::new("portlet.xml"), Pos::default(), "", "");
        let read_only: Vec<_> = problems
            .iter()
            .filter(|p| p.element == "read-only")
            .collect();
        assert_eq!(read_only.len(), 1, "{problems:?}");
        assert!(read_only[0].message.contains("\"yes\""));
    }

    /// A title written over lines reads as one line, as the schemas' collapsed string
    /// says; a no-break space is text and stays.
    #[test]
    fn titles_collapse_their_white_space() {
        let text = "<?xml version=\"1.0\"?><portlet-app xmlns=\"http://xmlns.jcp.org/xml/ns/portlet\" version=\"3.0\">\
            <portlet><portlet-name>p</portlet-name><portlet-class>x.P</portlet-class>\
            <supports><mime-type>text/html</mime-type></supports>\
            <portlet-info><title>\n  Contacts\n\t  Center </title><short-title>A\u{a0} B</short-title></portlet-info>\
            </portlet></portlet-app>";
        let (app, _) = read_text(text);
        assert_eq!(app.portlets[0].title.as_deref(), Some("Contacts Center"));
        let display = text.replace(
            "<portlet-class>",
            "<display-name>\n  The Contacts\n\t Center </display-name><portlet-class>",
        );
        let (app, _) = read_text(&display);
        assert_eq!(
            app.portlets[0].display_name.as_deref(),
            Some("The Contacts Center")
        );
        assert_eq!(app.portlets[0].short_title.as_deref(), Some("A\u{a0} B"));
    }

    /// The version attribute is a collapsed string in both schemas: spaces around it
    /// are no mismatch, another version is.
    #[test]
    fn the_version_is_read_with_its_spaces_collapsed() {
        let app = |version: &str| {
            format!(
                "<?xml version=\"1.0\"?><portlet-app xmlns=\"http://xmlns.jcp.org/xml/ns/portlet\" version=\"{version}\">\
                <portlet><portlet-name>p</portlet-name><portlet-class>x.P</portlet-class>\
                <supports><mime-type>text/html</mime-type></supports></portlet></portlet-app>"
            )
        };
        let mismatch = |version: &str| {
            let (_, problems) = read_text(&app(version));
            problems
                .into_vec(Path::new("portlet.xml"), Pos::default(), "", "")
                .iter()
                .any(|p| p.message.contains("does not match"))
        };
        assert!(!mismatch("3.0"));
        assert!(!mismatch(" 3.0\t"));
        assert!(mismatch("2.0"));
        assert!(mismatch("3 .0"));
    }

    /// A portlet that declares only other markup than HTML is not served as HTML, and
    /// an expiration cache past the schema's `int` is a problem, as in a Java portal.
    #[test]
    fn a_portlet_without_html_or_with_an_expiry_past_int_is_a_problem() {
        let app = |supports: &str, cache: &str| {
            format!(
                "<?xml version=\"1.0\"?><portlet-app xmlns=\"http://xmlns.jcp.org/xml/ns/portlet\" version=\"3.0\">\
                <portlet><portlet-name>p</portlet-name><portlet-class>widget-host:contacts-center</portlet-class>\
                <expiration-cache>{cache}</expiration-cache>{supports}</portlet></portlet-app>"
            )
        };
        let json = "<supports><mime-type>application/json</mime-type><portlet-mode>edit</portlet-mode></supports>";
        let html = "<supports><mime-type>text/html</mime-type></supports>";
        for (supports, cache, hostable, cache_ok) in [
            (html, "0", true, true),
            (format!("{json}{html}").as_str(), "2147483647", true, true),
            (json, "-1", false, true),
            (html, "2147483648", true, false),
            (html, "-2", true, false),
        ] {
            let (read, problems) = read_text(&app(supports, cache));
            let problems = problems.into_vec(Path::new("portlet.xml"), Pos::default(), "", "");
            let def = &read.portlets[0];
            let unhostable = hostability(Path::new("portlet.xml"), def);
            assert_eq!(unhostable.is_empty(), hostable, "{supports} {unhostable:?}");
            if !hostable {
                assert_eq!(unhostable[0].element, "supports");
                assert!(unhostable[0].message.contains("text/html"));
            }
            let cache_problem = problems.iter().any(|p| p.element == "expiration-cache");
            assert_eq!(!cache_problem, cache_ok, "{cache} {problems:?}");
            assert_eq!(def.expiration_cache.is_some(), cache_ok);
        }
    }
}
