//! `descriptors check [PATH]...`: validates descriptors without serving them, for
//! administrators and CI. A path is a descriptors directory (folders of widgets), one
//! widget folder, or a single descriptor file recognised by its root element.

use std::fmt;
use std::path::{Path, PathBuf};

use super::catalog::{self, PORTLET_XML};
use super::liferay;
use super::model::{Catalog, Problem};
use super::portlet_xml;
use super::xml::{self, Pos, problem};

/// What was checked at one place.
#[derive(Debug, Clone)]
pub struct Checked {
    pub path: PathBuf,
    /// `widget folder`, `portlet.xml`, `liferay-portlet.xml` or `liferay-display.xml`.
    pub what: &'static str,
    /// Portlet names found (hostable or not); one liferay-portlet.xml turns off is
    /// followed by " (off)".
    pub portlets: Vec<String>,
    pub problems: Vec<Problem>,
}

/// The outcome of a check run.
#[derive(Debug, Clone, Default)]
pub struct CheckReport {
    pub checked: Vec<Checked>,
}

impl CheckReport {
    /// Whether every descriptor is valid and hostable.
    pub fn passed(&self) -> bool {
        !self.checked.is_empty() && self.checked.iter().all(|c| c.problems.is_empty())
    }

    /// Every problem, in the order found.
    pub fn problems(&self) -> impl Iterator<Item = &Problem> {
        self.checked.iter().flat_map(|c| &c.problems)
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in &self.checked {
            let status = if c.problems.is_empty() {
                "ok"
            } else {
                "FAILED"
            };
            writeln!(
                f,
                "{} ({}): {status}{}",
                c.path.display(),
                c.what,
                if c.portlets.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", c.portlets.join(", "))
                }
            )?;
            for p in &c.problems {
                writeln!(f, "  {p}")?;
            }
        }
        let problems: usize = self.problems().map(Problem::count).sum();
        if self.checked.is_empty() {
            writeln!(f, "nothing to check")
        } else if problems == 0 {
            writeln!(f, "{} checked, all valid", self.checked.len())
        } else {
            writeln!(f, "{} checked, {problems} problem(s)", self.checked.len())
        }
    }
}

/// Checks every path; never panics on any file content.
pub fn check(paths: &[PathBuf]) -> CheckReport {
    let mut report = CheckReport::default();
    for path in paths {
        if path.is_dir() {
            if path.join(PORTLET_XML).is_file() {
                report.checked.push(check_folder(path));
            } else {
                match catalog::widget_folders(path) {
                    Ok(folders) if !folders.is_empty() => {
                        report.checked.extend(check_set(&folders));
                    }
                    Ok(_) => report.checked.push(unreadable(
                        path,
                        "directory",
                        "holds neither portlet.xml nor widget folders".into(),
                    )),
                    Err(e) => report
                        .checked
                        .push(unreadable(path, "directory", e.to_string())),
                }
            }
        } else {
            report.checked.push(check_file(path));
        }
    }
    report
}

/// What a file standing where `descriptors_dir` should be is, to `descriptors check`
/// and to a serving host's `/readyz` alike.
pub fn a_file_in_its_place(dir: &Path) -> super::Problem {
    problem(
        dir,
        Pos { line: 1, column: 1 },
        "",
        "descriptors_dir is a file, not a folder of widget folders".into(),
        "name the folder that holds the widget folders; serve uses the built-in widgets, and no folder can be made there while the file is".into(),
    )
}

/// `descriptors check` with no path: the configured `descriptors_dir`, read as `serve`
/// reads it. A folder given by path may be one widget's folder; this one is always a
/// directory of widget folders, so descriptor files lying in it are a problem here as
/// they are to the server, which would serve nothing from them.
pub fn check_served(dir: &Path) -> CheckReport {
    let mut report = CheckReport::default();
    if !dir.is_dir() {
        // `serve` then serves the built-in widgets and waits for the folder, which it
        // can only do while the folder above it exists.
        let waits = dir
            .parent()
            .is_some_and(|p| p.as_os_str().is_empty() || p.is_dir());
        // A file in its place is a mistyped path (a descriptor file named where
        // its folder was meant): no folder can be made there while it is.
        let a_file = dir.exists();
        report.checked.push(Checked {
            path: dir.to_path_buf(),
            what: if a_file {
                "descriptors directory, a file: serve uses the built-in widgets"
            } else {
                "descriptors directory, not there: serve uses the built-in widgets until it is made"
            },
            portlets: super::builtin().widgets.keys().cloned().collect(),
            problems: if a_file {
                vec![a_file_in_its_place(dir)]
            } else if waits {
                Vec::new()
            } else {
                vec![problem(
                    dir,
                    Pos { line: 1, column: 1 },
                    "",
                    "descriptors_dir does not exist, and neither does the folder above it, so its arrival cannot be watched for".into(),
                    "create the folder (or fix descriptors_dir); serve uses the built-in widgets until a restart meanwhile".into(),
                )]
            },
        });
        return report;
    }
    match catalog::widget_folders(dir) {
        Ok(folders) => {
            report.checked.extend(check_set(&folders));
            let problems = catalog::layout_problems(dir, &folders);
            if !problems.is_empty() {
                report.checked.push(Checked {
                    path: dir.to_path_buf(),
                    what: "descriptors directory",
                    portlets: Vec::new(),
                    problems,
                });
            }
        }
        Err(e) => report
            .checked
            .push(unreadable(dir, "directory", e.to_string())),
    }
    report
}

fn unreadable(path: &Path, what: &'static str, why: String) -> Checked {
    Checked {
        path: path.to_path_buf(),
        what,
        portlets: Vec::new(),
        problems: vec![problem(
            path,
            Pos { line: 1, column: 1 },
            "",
            format!("cannot check {}: {why}", path.display()),
            "pass a descriptors directory, a widget folder or a descriptor file".into(),
        )],
    }
}

/// The folders of one descriptors directory, checked as the server loads them: each
/// on its own, then together, so that a portlet-name two folders declare is reported
/// here as `serve` would refuse it.
fn check_set(folders: &[PathBuf]) -> Vec<Checked> {
    let loads: Vec<catalog::FolderLoad> = folders.iter().map(|f| catalog::load_folder(f)).collect();
    let found: Vec<(PathBuf, Vec<String>)> = loads
        .iter()
        .map(|l| (l.dir.clone(), portlet_names(l)))
        .collect();
    let set = catalog::assemble(&Catalog::default(), loads);
    found
        .into_iter()
        .map(|(dir, portlets)| Checked {
            problems: set
                .problems
                .iter()
                .filter(|p| p.file.starts_with(&dir))
                .cloned()
                .collect(),
            path: dir,
            what: "widget folder",
            portlets,
        })
        .collect()
}

fn check_folder(dir: &Path) -> Checked {
    let load = catalog::load_folder(dir);
    Checked {
        path: dir.to_path_buf(),
        what: "widget folder",
        portlets: portlet_names(&load),
        problems: load.problems,
    }
}

/// The portlets a folder serves, then those it turns off, marked so.
fn portlet_names(load: &catalog::FolderLoad) -> Vec<String> {
    let served = load.widgets.iter().map(|w| w.portlet_name.clone());
    let off = load.switched_off.iter().map(|name| format!("{name} (off)"));
    served.chain(off).collect()
}

/// Checks one file on its own, recognising it by its root element.
pub fn check_file(path: &Path) -> Checked {
    let source = match catalog::read_source(path) {
        Ok(source) => source,
        Err(p) => {
            return Checked {
                path: path.to_path_buf(),
                what: "file",
                portlets: Vec::new(),
                problems: vec![p],
            };
        }
    };
    let root = match xml::parse(path, &source.bytes) {
        Ok(root) => root,
        Err(p) => {
            return Checked {
                path: path.to_path_buf(),
                what: "file",
                portlets: Vec::new(),
                problems: vec![p],
            };
        }
    };
    let mut checked = Checked {
        path: path.to_path_buf(),
        what: "file",
        portlets: Vec::new(),
        problems: Vec::new(),
    };
    match root.name.as_str() {
        "portlet-app" => {
            checked.what = "portlet.xml";
            let (app, mut problems) = portlet_xml::read(path, &root);
            for def in &app.portlets {
                problems.extend(portlet_xml::hostability(path, def));
                checked.portlets.push(def.name.clone());
            }
            checked.problems = problems.into_vec(path, root.pos, &root.name, checked.what);
        }
        "liferay-portlet-app" => {
            checked.what = "liferay-portlet.xml";
            let (portlets, problems) = liferay::read_portlet_app(path, &root);
            checked.problems = problems.into_vec(path, root.pos, &root.name, checked.what);
            checked.portlets = portlets.into_iter().map(|p| p.name).collect();
        }
        "display" => {
            checked.what = "liferay-display.xml";
            let (categories, problems) = liferay::read_display(path, &root);
            checked.problems = problems.into_vec(path, root.pos, &root.name, checked.what);
            checked.portlets = categories.into_keys().collect();
        }
        other => checked.problems.push(problem(
            path,
            root.pos,
            other,
            format!("<{other}> is not the root of a Liferay descriptor"),
            "descriptors start with <portlet-app>, <liferay-portlet-app> or <display>".into(),
        )),
    }
    checked
}
