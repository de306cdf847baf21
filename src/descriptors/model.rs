//! What the host keeps of a deployed widget's descriptors.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// The portlet specification's window states. Every portlet supports them whether its
/// descriptor lists them or not: a `<window-state>` in `<supports>` adds a state (the
/// portlet TCK's own descriptors list only their custom ones), it never takes the
/// standard ones away.
pub const STANDARD_WINDOW_STATES: [&str; 3] = ["normal", "maximized", "minimized"];

/// The window states a widget is described in: the standard three, then those of
/// `declared` that are not among them, in the descriptor's order.
pub fn with_standard_states(declared: &[String]) -> Vec<String> {
    let mut states: Vec<String> = STANDARD_WINDOW_STATES.map(str::to_owned).into();
    for state in declared {
        if !states.contains(state) {
            states.push(state.clone());
        }
    }
    states
}

/// One deployed widget, merged from its three descriptor files.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WidgetDescriptor {
    /// `portlet-name`: the portlet id without instance.
    pub portlet_name: String,
    /// `display-name` (falls back to the title).
    pub display_name: String,
    /// `portlet-info/title`.
    pub title: String,
    pub short_title: Option<String>,
    pub keywords: Vec<String>,
    /// `<portlet-class>`: the built-in kind, e.g. `widget-host:contacts-center`.
    pub kind: String,
    /// liferay-display.xml category, e.g. `category.social`.
    pub category: String,
    pub instanceable: bool,
    /// Portlet modes from `<supports>` for text/html, always including `view`.
    pub modes: Vec<String>,
    /// Window states the widget is described in: [`STANDARD_WINDOW_STATES`], then the
    /// ones its `<supports>` adds (see [`with_standard_states`]).
    pub window_states: Vec<String>,
    /// Preference defaults from `<portlet-preferences>`.
    pub preferences: BTreeMap<String, Vec<String>>,
    /// Preferences the descriptor marks `<read-only>`: they keep the descriptor's
    /// values, and edit mode neither shows nor saves them (JSR-286: a read-only
    /// preference cannot be modified by the portlet).
    pub read_only_preferences: std::collections::BTreeSet<String>,
    /// `<expiration-cache>` seconds, if given.
    pub expiration_cache: Option<i64>,
    pub supported_locales: Vec<String>,
    pub icon: Option<String>,
    pub css_class_wrapper: Option<String>,
    pub friendly_url_mapping: Option<String>,
    pub requires_namespaced_parameters: bool,
    /// The folder it was deployed from.
    #[serde(skip)]
    pub source_dir: PathBuf,
}

impl WidgetDescriptor {
    /// Whether `id` is one of this portlet's placements: its name, with an instance
    /// only where the portlet is instanceable.
    pub fn places(&self, id: &crate::portal::PortletId) -> bool {
        id.name() == self.portlet_name && (id.instance().is_none() || self.instanceable)
    }

    /// Whether the descriptor's `<supports>` offers `mode`. View always is, as in the
    /// portlet specification, also where `modes` was filled without it.
    pub fn supports(&self, mode: crate::portal::PortletMode) -> bool {
        mode == crate::portal::PortletMode::View || self.modes.iter().any(|m| m == mode.as_str())
    }
}

/// Something wrong with a descriptor: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// Written lossily: a folder's name need not be UTF-8, and serde refuses such a
    /// path, which would fail `/readyz` and the JSON of `descriptors check`.
    #[serde(serialize_with = "lossy_path")]
    pub file: PathBuf,
    pub line: u32,
    pub column: u32,
    /// The element concerned, without brackets; empty when the file as a whole is wrong.
    pub element: String,
    pub message: String,
    pub fix: String,
    /// How many problems this line stands for when it only counts those past a cap
    /// ("N more problems ... are not listed"); 0 for a problem of its own.
    #[serde(skip)]
    pub unlisted: usize,
}

fn lossy_path<S: serde::Serializer>(path: &std::path::Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

impl Problem {
    /// How many problems this line accounts for.
    pub fn count(&self) -> usize {
        if self.unlisted > 0 { self.unlisted } else { 1 }
    }
}

/// An immutable snapshot of every deployed widget. A new snapshot replaces the old one
/// atomically; requests in flight keep the snapshot they started with.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    pub widgets: BTreeMap<String, Arc<WidgetDescriptor>>,
    /// Problems of the last load; widgets with problems keep their last good version.
    pub problems: Vec<Problem>,
    /// Portlets a folder declares and its liferay-portlet.xml turns off, with that
    /// folder: served nowhere, and said when the catalog is loaded or changes.
    pub switched_off: Vec<(String, std::path::PathBuf)>,
}

impl Catalog {
    pub fn get(&self, portlet_name: &str) -> Option<&Arc<WidgetDescriptor>> {
        self.widgets.get(portlet_name)
    }

    /// The descriptor a placement `id` is of: its portlet's, where one is deployed
    /// and, for an id with an `_INSTANCE_` part, where that portlet is instanceable.
    pub fn placement(&self, id: &crate::portal::PortletId) -> Option<&Arc<WidgetDescriptor>> {
        self.get(id.name()).filter(|d| d.places(id))
    }
}

/// The live catalog, shared by every transport. Readers take the current snapshot
/// (an `Arc` clone, no lock held while serving); the watcher swaps in a new one.
#[derive(Debug, Clone, Default)]
pub struct CatalogHandle(Arc<std::sync::RwLock<Arc<Catalog>>>);

impl CatalogHandle {
    pub fn new(catalog: Catalog) -> Self {
        Self(Arc::new(std::sync::RwLock::new(Arc::new(catalog))))
    }

    /// The snapshot in force now.
    pub fn current(&self) -> Arc<Catalog> {
        // A poisoned lock still holds a complete snapshot: the swap is a single assignment.
        match self.0.read() {
            Ok(guard) => Arc::clone(&guard),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// Replaces the snapshot atomically.
    pub fn replace(&self, catalog: Catalog) {
        let next = Arc::new(catalog);
        match self.0.write() {
            Ok(mut guard) => *guard = next,
            Err(poisoned) => *poisoned.into_inner() = next,
        }
    }
}

impl std::fmt::Display for Problem {
    /// `file:line:column: <element> message (fix: …)`, the shape editors and CI link to.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.element.is_empty() {
            write!(f, "<{}> ", self.element)?;
        }
        write!(f, "{} (fix: {})", self.message, self.fix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_problem_in_a_folder_whose_name_is_not_utf8_still_serializes() {
        use std::os::unix::ffi::OsStrExt;
        let folder = std::ffi::OsStr::from_bytes(b"caf\xe9-widget");
        let problem = Problem {
            file: PathBuf::from("/srv/widgets")
                .join(folder)
                .join("portlet.xml"),
            line: 0,
            column: 0,
            element: String::new(),
            message: "the folder has no portlet.xml".into(),
            fix: "add one".into(),
            unlisted: 0,
        };
        let json = serde_json::to_value(&problem).expect("a path that is not UTF-8");
        assert_eq!(json["file"], "/srv/widgets/caf\u{FFFD}-widget/portlet.xml");
        assert_eq!(json["message"], "the folder has no portlet.xml");
    }
}
