//! The catalog of deployed widgets: one folder per widget with Liferay's three files,
//! merged into [`WidgetDescriptor`]s. A folder with problems never replaces a good
//! version already serving, and never stops the other folders from serving.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::liferay::{self, LiferayPortlet};
use super::model::{Catalog, Problem, WidgetDescriptor};
use super::order::FileProblems;
use super::portlet_xml::{self, PortletDef};
use super::xml::{self, MAX_DESCRIPTOR_BYTES, Pos, problem};

/// The three files of a widget folder, in the order they are read.
pub const PORTLET_XML: &str = "portlet.xml";
pub const LIFERAY_PORTLET_XML: &str = "liferay-portlet.xml";
pub const LIFERAY_DISPLAY_XML: &str = "liferay-display.xml";

/// Category Liferay gives portlets that no `liferay-display.xml` lists.
pub const UNDEFINED_CATEGORY: &str = "category.undefined";

/// One descriptor file's name and content (read from disk or built in).
pub struct Source {
    pub path: PathBuf,
    pub bytes: Vec<u8>,
}

/// Reads a file, refusing to read more than [`MAX_DESCRIPTOR_BYTES`] (+1, so that an
/// oversized file is recognised by the parser without reading all of it).
pub fn read_source(path: &Path) -> Result<Source, Problem> {
    let file = std::fs::File::open(path).map_err(|e| {
        problem(
            path,
            Pos { line: 1, column: 1 },
            "",
            format!("cannot read {}: {e}", path.display()),
            "check that the file exists and is readable".into(),
        )
    })?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_DESCRIPTOR_BYTES).unwrap_or(u64::MAX) + 1;
    file.take(limit).read_to_end(&mut bytes).map_err(|e| {
        problem(
            path,
            Pos { line: 1, column: 1 },
            "",
            format!("cannot read {}: {e}", path.display()),
            "check that the file is readable".into(),
        )
    })?;
    Ok(Source {
        path: path.to_path_buf(),
        bytes,
    })
}

/// What one widget folder yields: its widgets when it has no problems.
pub struct FolderLoad {
    pub dir: PathBuf,
    pub widgets: Vec<WidgetDescriptor>,
    pub problems: Vec<Problem>,
    /// Where each widget's `<portlet-name>` sits in portlet.xml, so that a name another
    /// folder already serves is pointed at where it is written.
    pub name_positions: BTreeMap<String, Pos>,
    /// Portlets the folder declares and liferay-portlet.xml turns off, served nowhere:
    /// `descriptors check` lists them as such.
    pub switched_off: Vec<String>,
}

/// Merges a folder's three files into widgets, collecting every problem.
pub fn load_sources(
    dir: &Path,
    portlet: Option<Source>,
    liferay_portlet: Option<Source>,
    display: Option<Source>,
) -> FolderLoad {
    let mut problems = FileProblems::default();
    let mut parsed = |source: Option<Source>, name: &str| -> Option<(PathBuf, xml::Node)> {
        let Some(source) = source else {
            problems.push(problem(
                &dir.join(name),
                Pos { line: 1, column: 1 },
                "",
                format!("widget folder {} has no {name}", dir.display()),
                format!(
                    "add {name}; a widget folder holds {PORTLET_XML}, {LIFERAY_PORTLET_XML} and {LIFERAY_DISPLAY_XML} (a folder still being copied is retried when it changes)"
                ),
            ));
            return None;
        };
        match xml::parse(&source.path, &source.bytes) {
            Ok(root) => Some((source.path, root)),
            Err(p) => {
                problems.push(p);
                None
            }
        }
    };
    let portlet = parsed(portlet, PORTLET_XML);
    let liferay_portlet = parsed(liferay_portlet, LIFERAY_PORTLET_XML);
    let display = parsed(display, LIFERAY_DISPLAY_XML);

    let mut defs = Vec::new();
    if let Some((file, root)) = &portlet {
        let (app, found) = portlet_xml::read(file, root);
        problems.absorb(found);
        for def in &app.portlets {
            problems.extend(portlet_xml::hostability(file, def));
        }
        defs = app.portlets;
        // A file refused for holding too many portlets does declare some.
        if defs.is_empty() && app.version.is_some() && root.all("portlet").next().is_none() {
            problems.push(problem(
                file,
                root.pos,
                "portlet-app",
                "portlet.xml declares no <portlet>".into(),
                "declare the widget in a <portlet> element".into(),
            ));
        }
    }
    let mut liferay_portlets: Vec<LiferayPortlet> = Vec::new();
    if let Some((file, root)) = &liferay_portlet {
        let (found_portlets, found) = liferay::read_portlet_app(file, root);
        problems.absorb(found);
        for lp in &found_portlets {
            if !defs.is_empty() && !defs.iter().any(|d| d.name == lp.name) {
                problems.push(problem(
                    file,
                    lp.pos,
                    "portlet-name",
                    format!(
                        "liferay-portlet.xml describes {:?}, which portlet.xml does not declare",
                        lp.name
                    ),
                    "use the same portlet-name in both files".into(),
                ));
            }
        }
        liferay_portlets = found_portlets;
    }
    let mut categories = liferay::Categories::new();
    if let Some((file, root)) = &display {
        let (found_categories, found) = liferay::read_display(file, root);
        problems.absorb(found);
        // Liferay ignores an id that names no portlet, and the widget it was meant
        // for lands in "undefined" (and in a WSRP consumer's catalog so) without a
        // word: a typo, or the folder's name where the portlet-name belongs.
        for (id, (_, pos)) in &found_categories {
            if !defs.is_empty() && !defs.iter().any(|d| &d.name == id) {
                problems.push(problem(
                    file,
                    *pos,
                    "portlet",
                    format!(
                        "liferay-display.xml lists portlet {:?}, which portlet.xml does not declare",
                        xml::shown(id)
                    ),
                    format!(
                        "use a portlet-name from portlet.xml as the id, such as {:?}",
                        xml::shown(&defs[0].name)
                    ),
                ));
            }
        }
        categories = found_categories;
    }
    let start = Pos { line: 1, column: 1 };
    let problems = problems.into_vec(dir, start, "", "this folder");
    let mut widgets = Vec::new();
    let mut switched_off = Vec::new();
    if problems.is_empty() {
        for def in &defs {
            if switched_on(def, &liferay_portlets) {
                widgets.push(merge(dir, def, &liferay_portlets, &categories));
            } else {
                switched_off.push(def.name.clone());
            }
        }
    }
    FolderLoad {
        dir: dir.to_path_buf(),
        widgets,
        problems,
        name_positions: defs.iter().map(|d| (d.name.clone(), d.name_pos)).collect(),
        switched_off,
    }
}

/// Whether `def` is served: not when its liferay-portlet.xml entry turns it off
/// (`<active>false</active>`, "not active or available to users", or
/// `<include>false</include>`), as Liferay does not offer such a portlet either.
fn switched_on(def: &PortletDef, liferay_portlets: &[LiferayPortlet]) -> bool {
    liferay_portlets
        .iter()
        .find(|lp| lp.name == def.name)
        .is_none_or(|lp| lp.switched_on)
}

fn merge(
    dir: &Path,
    def: &PortletDef,
    liferay_portlets: &[LiferayPortlet],
    categories: &liferay::Categories,
) -> WidgetDescriptor {
    let lp = liferay_portlets
        .iter()
        .find(|lp| lp.name == def.name)
        .cloned()
        .unwrap_or(LiferayPortlet {
            requires_namespaced_parameters: true,
            switched_on: true,
            ..LiferayPortlet::default()
        });
    let title = def
        .title
        .clone()
        .or_else(|| def.display_name.clone())
        .unwrap_or_else(|| def.name.clone());
    let mut modes = def.modes.clone();
    if !modes.iter().any(|m| m == "view") {
        modes.insert(0, "view".into());
    }
    let window_states = super::model::with_standard_states(&def.window_states);
    WidgetDescriptor {
        portlet_name: def.name.clone(),
        display_name: def.display_name.clone().unwrap_or_else(|| title.clone()),
        title,
        short_title: def.short_title.clone(),
        keywords: def.keywords.clone(),
        kind: def.class.clone().unwrap_or_default(),
        category: categories
            .get(&def.name)
            .map(|(category, _)| category.clone())
            .unwrap_or_else(|| UNDEFINED_CATEGORY.into()),
        instanceable: lp.instanceable,
        modes,
        window_states,
        preferences: def.preferences.clone(),
        read_only_preferences: def.read_only_preferences.clone(),
        expiration_cache: def.expiration_cache,
        supported_locales: def.supported_locales.clone(),
        icon: lp.icon,
        css_class_wrapper: lp.css_class_wrapper,
        friendly_url_mapping: lp.friendly_url_mapping,
        requires_namespaced_parameters: lp.requires_namespaced_parameters,
        source_dir: dir.to_path_buf(),
    }
}

/// Loads one widget folder from disk.
pub fn load_folder(dir: &Path) -> FolderLoad {
    let read = |name: &str| -> Result<Option<Source>, Problem> {
        let path = dir.join(name);
        // Only a file that is not there is absent: one the host may not look at (a
        // mode that lost its bits, a link that loops) is read, and its read says why,
        // where "has no portlet.xml" would send the administrator to add one.
        match std::fs::metadata(&path) {
            Ok(meta) if !meta.is_file() => Ok(None),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            _ => read_source(&path).map(Some),
        }
    };
    let mut read_problems = Vec::new();
    let mut take = |r: Result<Option<Source>, Problem>| match r {
        Ok(s) => s,
        Err(p) => {
            read_problems.push(p);
            None
        }
    };
    let portlet = take(read(PORTLET_XML));
    let liferay_portlet = take(read(LIFERAY_PORTLET_XML));
    let display = take(read(LIFERAY_DISPLAY_XML));
    if !read_problems.is_empty() {
        return FolderLoad {
            dir: dir.to_path_buf(),
            widgets: Vec::new(),
            problems: read_problems,
            name_positions: BTreeMap::new(),
            switched_off: Vec::new(),
        };
    }
    load_sources(dir, portlet, liferay_portlet, display)
}

/// The widget folders of a descriptors directory, sorted so loads are deterministic.
/// Hidden folders (`.git`, editors' temporaries) are skipped.
pub fn widget_folders(dir: &Path) -> Result<Vec<PathBuf>, std::io::Error> {
    let mut folders = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        let path = entry.path();
        // Followed through a symbolic link: a folder linked in from elsewhere is a
        // widget folder like any other. One the host cannot look at (a link whose
        // target is gone or loops, a folder whose mode lost its `x` bit in a
        // `chmod -R`) is one too where its entry says folder or link: its load fails
        // with a problem and its last good widgets keep serving, where skipping it
        // would drop them without a word, and say the directory holds no widget.
        let folder = match std::fs::metadata(&path) {
            Ok(meta) => meta.is_dir(),
            Err(_) => entry
                .file_type()
                .is_ok_and(|t| t.is_dir() || t.is_symlink()),
        };
        if !hidden && folder {
            folders.push(path);
        }
    }
    folders.sort();
    Ok(folders)
}

/// Builds a catalog from a descriptors directory (one subfolder per widget).
pub fn load_dir(dir: &Path) -> Catalog {
    reload(&Catalog::default(), dir)
}

/// Reloads `dir`: folders without problems serve their new version; a folder with
/// problems keeps serving whatever `previous` had from it, and its problems are listed.
/// Folders that disappeared are dropped.
pub fn reload(previous: &Catalog, dir: &Path) -> Catalog {
    let folders = match widget_folders(dir) {
        Ok(folders) => folders,
        Err(e) => {
            let mut kept = previous.clone();
            kept.problems = vec![problem(
                dir,
                Pos { line: 1, column: 1 },
                "",
                format!("cannot list descriptors directory {}: {e}", dir.display()),
                "create the directory or point descriptors_dir at it; the last good widgets keep serving".into(),
            )];
            return kept;
        }
    };
    let mut catalog = assemble(previous, folders.iter().map(|f| load_folder(f)).collect());
    catalog.problems.extend(layout_problems(dir, &folders));
    catalog
}

/// What is wrong with a descriptors directory as a whole: descriptor files lying in it
/// rather than in a widget folder (the three files copied in flat, which would serve
/// nothing and say nothing), or no widget folder at all. Either way no widget is
/// served from it, and an administrator learns so from the log, `/readyz` and
/// `descriptors check` rather than from portals that find no widget.
pub fn layout_problems(dir: &Path, folders: &[PathBuf]) -> Vec<Problem> {
    let loose: Vec<&str> = [PORTLET_XML, LIFERAY_PORTLET_XML, LIFERAY_DISPLAY_XML]
        .into_iter()
        .filter(|name| dir.join(name).is_file())
        .collect();
    if let Some(first) = loose.first() {
        return vec![problem(
            &dir.join(first),
            Pos { line: 1, column: 1 },
            "",
            format!(
                "{} lie{} in the descriptors directory itself, where the host reads only folders: nothing in {} is served",
                loose.join(", "),
                if loose.len() == 1 { "s" } else { "" },
                if loose.len() == 1 { "it" } else { "them" },
            ),
            format!(
                "move each widget's descriptor files into a folder of their own inside {} (for example {})",
                dir.display(),
                dir.join("my-widget").display()
            ),
        )];
    }
    if folders.is_empty() {
        return vec![problem(
            dir,
            Pos { line: 1, column: 1 },
            "",
            format!("the descriptors directory {} holds no widget folder: no widget is served", dir.display()),
            "copy widget folders into it (each with its portlet.xml; the shipped ones are in widget-descriptors/), or point descriptors_dir at the folder that holds them".into(),
        )];
    }
    Vec::new()
}

/// Combines folder loads, keeping `previous`'s widgets for folders with problems and
/// refusing a portlet-name that another folder already serves: the one that served it
/// before this load while it still declares it (or keeps its last good version),
/// otherwise the first folder by name. So a folder added beside a serving one with the
/// same name is refused, and does not take the widget over. A folder that now turns
/// the portlet off (`<active>false</active>`) claims it no more: it hands the name on.
pub fn assemble(previous: &Catalog, loads: Vec<FolderLoad>) -> Catalog {
    let still_claims = |dir: &Path, name: &str| {
        loads.iter().any(|l| {
            l.dir == dir
                && (!l.problems.is_empty()
                    || (l.name_positions.contains_key(name)
                        && !l.switched_off.iter().any(|off| off == name))
                    || l.widgets.iter().any(|w| w.portlet_name == name))
        })
    };
    let owners: BTreeMap<String, PathBuf> = previous
        .widgets
        .iter()
        .filter(|(name, w)| still_claims(&w.source_dir, name))
        .map(|(name, w)| (name.clone(), w.source_dir.clone()))
        .collect();
    let mut catalog = Catalog::default();
    for load in loads {
        // Capped like the folder's own: a copy of a folder of a thousand portlets
        // would otherwise list a thousand clashes.
        let mut problems = FileProblems::default();
        problems.extend(load.problems);
        let mut widgets = load.widgets;
        for widget in &widgets {
            let owner = owners
                .get(&widget.portlet_name)
                .filter(|dir| **dir != load.dir)
                .or_else(|| {
                    catalog
                        .widgets
                        .get(&widget.portlet_name)
                        .map(|other| &other.source_dir)
                });
            if let Some(owner) = owner {
                let at = load.name_positions.get(&widget.portlet_name).copied();
                problems.push_with(|| {
                    problem(
                        &load.dir.join(PORTLET_XML),
                        at.unwrap_or(Pos { line: 1, column: 1 }),
                        "portlet-name",
                        format!(
                            "portlet-name {} is already served from {}",
                            widget.portlet_name,
                            owner.display()
                        ),
                        "give each widget folder its own portlet-name".into(),
                    )
                });
            }
        }
        let problems = problems.into_vec(&load.dir, Pos { line: 1, column: 1 }, "", "this folder");
        if !problems.is_empty() {
            widgets.clear();
            for (name, kept) in &previous.widgets {
                if serves_from(&kept.source_dir, &load.dir) && !catalog.widgets.contains_key(name) {
                    catalog.widgets.insert(name.clone(), Arc::clone(kept));
                }
            }
        }
        for widget in widgets {
            catalog
                .widgets
                .insert(widget.portlet_name.clone(), Arc::new(widget));
        }
        catalog.problems.extend(problems);
        let dir = &load.dir;
        catalog.switched_off.extend(
            load.switched_off
                .into_iter()
                .map(|name| (name, dir.clone())),
        );
    }
    catalog
}

/// Says what a reload from `before` to `after` takes down that the portal's pages still
/// place: a portlet served no more (its name changed, its folder removed), whose
/// placements answer 404, and one no longer instanceable, whose `_INSTANCE_`
/// placements do. The count of widgets alone, all the log said, hid both.
pub fn say_taken_down(before: &Catalog, after: &Catalog) {
    for (name, was) in &before.widgets {
        match after.get(name) {
            None if !after.switched_off.iter().any(|(off, _)| off == name) => tracing::warn!(
                portlet = %name.escape_debug(),
                "no longer served: no widget folder declares it now, and its placements answer 404 (InvalidHandle over WSRP)"
            ),
            Some(now) if was.instanceable && !now.instanceable => tracing::warn!(
                portlet = %name.escape_debug(),
                "no longer instanceable: its _INSTANCE_ placements answer 404 (InvalidHandle over WSRP)"
            ),
            _ => {}
        }
    }
}

/// Says what an administrator must hear of a catalog loaded from `dir`, at start and
/// at a reload that changed something: each problem, with whether its folder's last
/// good version keeps serving, and each portlet its liferay-portlet.xml turns off.
/// Said by each folder's read, a folder the watcher must poll (one it cannot watch)
/// repeated it every two seconds. Escaped: a descriptor's text (a name holding
/// `&#10;`) must not write lines of its own into the log.
pub fn say(catalog: &Catalog, dir: &Path) {
    for problem in &catalog.problems {
        let note = problem_note(catalog, dir, problem);
        tracing::warn!(problem = %problem.to_string().escape_debug(), "{note}");
    }
    for (portlet, folder) in &catalog.switched_off {
        tracing::info!(
            portlet = %portlet.escape_debug(),
            folder = %folder.display().to_string().escape_debug(),
            "not served: liferay-portlet.xml turns it off (<active> or <include> is false)"
        );
    }
}

/// Whether the widget folder of `problem` in `dir` still serves a last good version in
/// `catalog`; `None` for a problem of the directory as a whole, whose message says
/// what is served. The log says this with each problem, where "the last good
/// version keeps serving" of a folder broken since start told an administrator a
/// widget was up that answered 404.
pub fn last_good_serves(catalog: &Catalog, dir: &Path, problem: &Problem) -> Option<bool> {
    // A file lying in the directory itself is a problem of the directory's layout. A
    // folder that is a link, even one whose target is gone, is a widget folder.
    let folder = problem
        .file
        .ancestors()
        .find(|a| a.parent() == Some(dir))
        .filter(|folder| !std::fs::symlink_metadata(folder).is_ok_and(|m| m.is_file()))?;
    Some(
        catalog
            .widgets
            .values()
            .any(|w| serves_from(&w.source_dir, folder)),
    )
}

/// What the log says with a problem of `dir` (see [`last_good_serves`]).
pub fn problem_note(catalog: &Catalog, dir: &Path, problem: &Problem) -> &'static str {
    match last_good_serves(catalog, dir, problem) {
        Some(true) => "descriptor problem; the last good version of its folder keeps serving",
        Some(false) => "descriptor problem; nothing of its folder is served until it is mended",
        None => "descriptor problem",
    }
}

/// Whether a widget loaded from `kept` counts as the last good version of the folder
/// `dir`: the same folder, or the built-in copy of a shipped folder of the same name.
/// A `descriptors_dir` that appears replaces the built-in widgets; one whose copy of
/// `contacts-center` has a typo keeps the built-in Contacts Center serving, as a
/// broken change to any folder keeps its last good version.
fn serves_from(kept: &Path, dir: &Path) -> bool {
    kept == dir
        || (BUILTIN
            .iter()
            .any(|(builtin, ..)| kept == Path::new(builtin))
            && kept.file_name() == dir.file_name())
}

/// Built-in copies of the shipped descriptors, used when `descriptors_dir` does not exist.
const BUILTIN: [(&str, &str, &str, &str); 2] = [
    (
        "widget-descriptors/contacts-center",
        include_str!("../../widget-descriptors/contacts-center/portlet.xml"),
        include_str!("../../widget-descriptors/contacts-center/liferay-portlet.xml"),
        include_str!("../../widget-descriptors/contacts-center/liferay-display.xml"),
    ),
    (
        "widget-descriptors/notifications",
        include_str!("../../widget-descriptors/notifications/portlet.xml"),
        include_str!("../../widget-descriptors/notifications/liferay-portlet.xml"),
        include_str!("../../widget-descriptors/notifications/liferay-display.xml"),
    ),
];

/// The catalog of the descriptors compiled into the binary.
pub fn builtin() -> Catalog {
    let loads = BUILTIN
        .iter()
        .map(|(dir, portlet, liferay_portlet, display)| {
            let dir = Path::new(dir);
            let source = |name: &str, text: &str| {
                Some(Source {
                    path: dir.join(name),
                    bytes: text.as_bytes().to_vec(),
                })
            };
            load_sources(
                dir,
                source(PORTLET_XML, portlet),
                source(LIFERAY_PORTLET_XML, liferay_portlet),
                source(LIFERAY_DISPLAY_XML, display),
            )
        })
        .collect();
    assemble(&Catalog::default(), loads)
}

/// `GET /widgets`: every deployed widget, ordered by portlet id.
pub fn catalog_json(catalog: &Catalog) -> serde_json::Value {
    let widgets = catalog
        .widgets
        .values()
        .map(|w| {
            serde_json::json!({
                "portletId": w.portlet_name,
                "displayName": w.display_name,
                "title": w.title,
                "shortTitle": w.short_title,
                "keywords": w.keywords,
                "category": w.category,
                "kind": w.kind,
                "instanceable": w.instanceable,
                "modes": w.modes,
                "windowStates": w.window_states,
                "preferences": w.preferences,
                "supportedLocales": w.supported_locales,
                "expirationCache": w.expiration_cache,
                "icon": w.icon,
                "cssClassWrapper": w.css_class_wrapper,
                "friendlyUrlMapping": w.friendly_url_mapping,
                "requiresNamespacedParameters": w.requires_namespaced_parameters,
            })
        })
        .collect();
    serde_json::Value::Array(widgets)
}
