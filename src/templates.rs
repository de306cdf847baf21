//! Markup templates (minijinja). The built-in templates are compiled into the binary so
//! the host runs from anywhere; `templates_dir` may override any of them by name, for
//! administrators who want their own markup. Every `.html` template autoescapes.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use minijinja::value::{Object, ObjectRepr, Value};
use minijinja::{Environment, UndefinedBehavior};

/// What a render's output starts with room for, at least. A list page is 25–35 KB;
/// starting from the template's own size, its output grew several times per render,
/// copying what it had written each time.
const OUTPUT_CAPACITY: usize = 32 * 1024;

/// The most room a render's output starts with, however large an earlier one was: a
/// one-off page of long names must not make every later render ask for megabytes.
const MAX_OUTPUT_CAPACITY: usize = 256 * 1024;

/// Template instructions one render may run. An administrator's template is code the
/// host runs on a render thread, and a render is not cancelled when its request gives
/// up: a loop that never ends (`range` inside `range`) would hold the thread for good.
/// A copy of the built-in `home.html` drawing a page of 100 people, the largest page
/// size, runs about 10,000 (a test keeps it under a twentieth of this), and a first
/// page of 200, the most a script's `rows` asks for, twice that;
/// a runaway loop is stopped after a fraction of a second. Instructions are counted,
/// not their cost: one that builds a string of 100 MB (minijinja's cap) counts one.
pub const RENDER_FUEL: u64 = 10_000_000;

/// The most one render may write. A page of 100 people is about 150 KB; a template
/// that prints a long string again and again would otherwise grow its output until
/// memory runs out. What a template builds without printing it (`{% set %}` blocks,
/// strings joined with `~`) is not counted: memory is not bounded that way.
const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// The largest enhancement script: the built-in one is about 16.3 KB (a test keeps it
/// under 16 KiB, 16,384 bytes), and every fragment carries it.
const MAX_SCRIPT: usize = 256 * 1024;

/// The script as every fragment carries it: each line without the spaces that indent
/// it, and no empty line (a sixth of the built-in script's bytes, some 1.9 KB of each
/// page). A line break ends a JavaScript string or regular expression, so only layout
/// goes; but a template literal (a backtick) and a string continued past a line's
/// end (a backslash ending the line) hold the next line's spaces, so a script with
/// either is left as it is.
fn unindented(script: &str) -> String {
    if script.contains('`') || script.lines().any(|line| line.trim_end().ends_with('\\')) {
        return script.to_owned();
    }
    let mut out = String::with_capacity(script.len());
    for line in script
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
    {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(line);
    }
    out
}

/// The largest template file read from `templates_dir`.
const MAX_TEMPLATE_FILE: u64 = 1024 * 1024;

/// The progressive-enhancement script's template. It takes one value, fixed for the
/// host's run (`gives_up_after_ms`), so it is rendered once, when the host starts,
/// and every fragment prints that text.
const ENHANCE_SCRIPT: &str = "widgets/enhance.js";

/// How much longer than the request timeout the script waits for an answer: time for
/// the commit and the page after a wait for the writer, and the network's.
pub const SCRIPT_PATIENCE_SECS: u64 = 35;

/// Templates shipped with the host, by name (the path under `templates/`).
const BUILTIN: &[(&str, &str)] = &[
    (
        "layout/alert.html",
        include_str!("../templates/layout/alert.html"),
    ),
    (
        "demo/page.html",
        include_str!("../templates/demo/page.html"),
    ),
    (
        "widgets/macros.html",
        include_str!("../templates/widgets/macros.html"),
    ),
    (
        "widgets/enhance.js",
        include_str!("../templates/widgets/enhance.js"),
    ),
    (
        "contacts_center/guest.html",
        include_str!("../templates/contacts_center/guest.html"),
    ),
    (
        "contacts_center/home.html",
        include_str!("../templates/contacts_center/home.html"),
    ),
    (
        "contacts_center/entry_form.html",
        include_str!("../templates/contacts_center/entry_form.html"),
    ),
    (
        "contacts_center/detail.html",
        include_str!("../templates/contacts_center/detail.html"),
    ),
    (
        "contacts_center/owner.html",
        include_str!("../templates/contacts_center/owner.html"),
    ),
    (
        "contacts_center/edit.html",
        include_str!("../templates/contacts_center/edit.html"),
    ),
    (
        "notifications/view.html",
        include_str!("../templates/notifications/view.html"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template {name}: {message}")]
    Render { name: String, message: String },
}

/// The template environment. Cheap to share: render takes `&self`.
pub struct Templates {
    env: Environment<'static>,
    /// Which built-in templates render their own source, by their place in `BUILTIN`.
    /// Worked out once: the environment keeps every template it has loaded, so the
    /// answer cannot change, and comparing a source each render cost 2% of a list's.
    unchanged: OnceLock<Box<[bool]>>,
    /// The largest output each template rendered so far (up to
    /// [`MAX_OUTPUT_CAPACITY`]), by its place in `BUILTIN` and one more for any other
    /// name; the template's next render starts with room for that. A fixed 32 KiB was
    /// just short of a home page (32.2 KB in the benchmark), so most list renders grew
    /// it once, copying the whole page: 3% of a render's instructions. Kept per
    /// template, so that the demo's page, which holds several fragments, does not
    /// make every small one ask for as much.
    largest_output: Box<[AtomicUsize]>,
    /// [`ENHANCE_SCRIPT`] as rendered at start, for markup the host writes itself.
    script: Option<String>,
    /// Why [`ENHANCE_SCRIPT`] did not render at start, for [`Templates::check`].
    script_error: Option<TemplateError>,
    /// The most fuel one render has used so far (see [`RENDER_FUEL`]).
    most_fuel: AtomicU64,
    /// The administrator's `templates_dir`'s templates as listed at start ([`template_files`]): the only files of it
    /// the loader reads, and those [`Templates::check`] compiles and names.
    listed: std::sync::Arc<[String]>,
}

/// Most templates taken from a `templates_dir`, how deep, and how many entries of it
/// are looked at in all: a folder of templates holds a few dozen; a wrong folder (a
/// home directory) must not hold the start up.
const MAX_OVERRIDE_FILES: usize = 1_000;
const MAX_OVERRIDE_DEPTH: usize = 8;
const MAX_OVERRIDE_ENTRIES: usize = 100_000;

/// The templates of a `templates_dir` (see [`is_template_name`]), by the names they
/// are loaded by (`/` between folders), sorted; hidden files and folders (an
/// editor's, a version control's) are passed over. Listed once, when the host
/// starts: the loader reads no other file.
fn template_files(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut looked_at = 0;
    // Links are followed, but not back up the tree: one there (`current -> .`) would
    // list the same files again under every deeper name. Each folder carries the
    // real paths of the folders it is in; a folder reached under two names (a link
    // to another folder of the tree) is listed under both, as a loader asks by name.
    let Ok(root) = std::fs::canonicalize(dir) else {
        return found;
    };
    let mut folders = vec![(dir.to_path_buf(), String::new(), vec![root])];
    while let Some((folder, prefix, route)) = folders.pop() {
        // A folder the host may not read hides whatever templates it holds: said, as
        // the start cannot name them.
        let entries = match std::fs::read_dir(&folder) {
            Ok(entries) => entries,
            Err(error) => {
                tracing::warn!(folder = %folder.display(), %error, "a folder of templates_dir cannot be read: templates in it are not used");
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    tracing::warn!(folder = %folder.display(), %error, "an entry of templates_dir cannot be read: if it is a template, it is not used");
                    continue;
                }
            };
            looked_at += 1;
            if looked_at > MAX_OVERRIDE_ENTRIES {
                tracing::warn!(
                    dir = %dir.display(),
                    "templates_dir holds more than {MAX_OVERRIDE_ENTRIES} files and folders: is it the folder of your templates? The rest are not looked at"
                );
                found.sort();
                return found;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if name.starts_with('.') {
                continue;
            }
            let named = format!("{prefix}{name}");
            // Links followed: a Kubernetes ConfigMap mounts each file as a link into
            // a hidden folder of its own.
            match std::fs::metadata(entry.path()) {
                Ok(kind) if kind.is_dir() && route.len() <= MAX_OVERRIDE_DEPTH => {
                    let Ok(real) = std::fs::canonicalize(entry.path()) else {
                        continue;
                    };
                    if !route.contains(&real) {
                        let mut deeper = route.clone();
                        deeper.push(real);
                        folders.push((entry.path(), format!("{named}/"), deeper));
                    }
                }
                Ok(kind) if kind.is_file() && is_template_name(&named) => {
                    if found.len() == MAX_OVERRIDE_FILES {
                        tracing::warn!(
                            dir = %dir.display(),
                            "templates_dir holds more than {MAX_OVERRIDE_FILES} templates: the others are not used"
                        );
                        found.sort();
                        return found;
                    }
                    found.push(named);
                }
                // A link named like a template that leads nowhere (a theme removed)
                // is none, as a missing descriptor file is: the built-in one serves,
                // and the log says why.
                Err(error)
                    if error.kind() == std::io::ErrorKind::NotFound && is_template_name(&named) =>
                {
                    tracing::warn!(file = %entry.path().display(), "a link in templates_dir named like a template leads nowhere: the built-in template of that name serves");
                }
                // A template the host may not look at (a mode it cannot read through,
                // a link that loops) is listed still: loading it fails with the cause,
                // which stops the start (`check`), where passing it over would serve
                // the built-in markup without a word.
                Err(_)
                    if is_template_name(&named)
                        && entry
                            .file_type()
                            .is_ok_and(|t| t.is_file() || t.is_symlink())
                        && found.len() < MAX_OVERRIDE_FILES =>
                {
                    found.push(named);
                }
                _ => {}
            }
        }
    }
    found.sort();
    found
}

impl Templates {
    /// Built-in templates, overridden by same-named files in `override_dir`, for a
    /// host with the default request timeout.
    pub fn new(override_dir: Option<&Path>) -> Self {
        Self::for_host(
            override_dir,
            crate::config::Limits::default().request_timeout_secs,
        )
    }

    /// As [`Templates::new`], for a host whose requests may take `request_timeout_secs`:
    /// the script gives up on an answer only that long and [`SCRIPT_PATIENCE_SECS`]
    /// after it, so that an action waiting that long for its place in the writer's
    /// queue still shows its outcome.
    pub fn for_host(override_dir: Option<&Path>, request_timeout_secs: u64) -> Self {
        let mut env = Environment::new();
        // Printing an undefined value is a template bug: fail loudly in tests, while
        // `{% if x %}` on an absent value still reads as false.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_fuel(Some(RENDER_FUEL));
        // minijinja's debug info, on by default in a build with debug assertions,
        // adds to a render error the values the template referred to: people's names,
        // addresses and form links with their tokens, in the log line of the failure.
        // The error's own words and place are kept.
        env.set_debug(false);
        // A card's addresses and numbers as links (see `widgets::links`).
        env.add_filter("mailto", |address: &str| {
            crate::widgets::links::mailto(address)
        });
        env.add_filter("tel", |phone: &str| crate::widgets::links::tel(phone));
        // Every template is one of these three (the loader loads no other name), and
        // each prints values escaped for where they land: a `.js` partial's as JSON,
        // which a script can hold.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".js") {
                minijinja::AutoEscape::Json
            } else {
                minijinja::AutoEscape::Html
            }
        });
        // minijinja's HTML escaping also escapes `/`, which breaks the WSRP
        // `wsrp_rewrite?…/wsrp_rewrite` end token a consumer must find in the markup.
        // `&`, `<`, `>`, `"` and `'` are what HTML needs escaped in text and in quoted
        // attributes, so the formatter escapes those and leaves `/` alone.
        env.set_formatter(|out, state, value| {
            if let Some(markup) = value.downcast_object_ref::<HostMarkup>() {
                return out.write_str(&markup.0).map_err(minijinja::Error::from);
            }
            if state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && let Some(text) = value.as_str()
            {
                return write_escaped(out, text).map_err(minijinja::Error::from);
            }
            if state.auto_escape() == minijinja::AutoEscape::Json && !value.is_safe() {
                return write_script_json(out, value);
            }
            minijinja::escape_formatter(out, state, value)
        });
        // The administrator's files as they were listed at start, which `check`
        // compiles then: a name not listed (a file made since, a name built while
        // rendering) is never read at a render, so an edit made while the host runs
        // does not go live half-written, or mixed with the files compiled at start.
        // Sorted (`template_files`): the loader looks a name up by halving.
        let listed: std::sync::Arc<[String]> =
            override_dir.map(template_files).unwrap_or_default().into();
        let loads = std::sync::Arc::clone(&listed);
        let dir = override_dir.map(Path::to_path_buf);
        env.set_loader(move |name| {
            if let Some(path) = dir
                .as_deref()
                .filter(|_| loads.binary_search_by(|n| n.as_str().cmp(name)).is_ok())
                .and_then(|d| safe_join(d, name))
            {
                // Not "not found": an include that may be missing would pass over a
                // file that is there and broken.
                return read_template(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::InvalidOperation,
                        format!("cannot read {}: {e}", path.display()),
                    )
                });
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, source)| (*source).to_owned()))
        });
        // Every fragment ends with the script, some 16.3 KB of text. Printed from one string
        // made here, it is copied once per render; a macro that included its template
        // wrote it out, captured it and copied it again (3% of a render's
        // instructions). Templates print `enhance_script`.
        let (script, script_error) = match env
            .get_template(ENHANCE_SCRIPT)
            .and_then(|script| {
                let gives_up_after = request_timeout_secs.saturating_add(SCRIPT_PATIENCE_SECS);
                script.render(minijinja::context! { gives_up_after_ms => gives_up_after.saturating_mul(1000) })
            })
            .map(|script| unindented(&script))
        {
            // Every fragment prints it: one past a render's output cap would make every
            // render fail, so it stops the host at start instead.
            Ok(script) if script.len() > MAX_SCRIPT => (
                None,
                Some(TemplateError::Render {
                    name: ENHANCE_SCRIPT.to_owned(),
                    message: format!(
                        "the script is {} bytes; every fragment carries it, so it may be {MAX_SCRIPT} at most",
                        script.len()
                    ),
                }),
            ),
            Ok(script) => {
                env.add_global("enhance_script", HostMarkup::value(script.clone()));
                (Some(script), None)
            }
            Err(e) => (
                None,
                Some(TemplateError::Render {
                    name: ENHANCE_SCRIPT.to_owned(),
                    message: format!("{e:#}"),
                }),
            ),
        };
        Self {
            env,
            script,
            script_error,
            most_fuel: AtomicU64::new(0),
            listed,
            unchanged: OnceLock::new(),
            largest_output: (0..=BUILTIN.len())
                .map(|_| AtomicUsize::new(OUTPUT_CAPACITY))
                .collect(),
        }
    }

    /// Renders template `name` with `context`.
    pub fn render(
        &self,
        name: &str,
        context: impl serde::Serialize,
    ) -> Result<String, TemplateError> {
        let fail = |e: minijinja::Error| TemplateError::Render {
            name: name.to_owned(),
            message: format!("{e:#}"),
        };
        let largest = self.largest_output(name);
        let mut output = Vec::with_capacity(largest.load(Ordering::Relaxed));
        let mut capped = Capped {
            output: &mut output,
            over: false,
        };
        let rendered = self
            .env
            .get_template(name)
            .map_err(fail)?
            .render_captured_to(context, &mut capped);
        if capped.over {
            return Err(TemplateError::Render {
                name: name.to_owned(),
                message: format!("the output grew past {MAX_OUTPUT} bytes"),
            });
        }
        let used = rendered
            .map_err(fail)?
            .state()
            .fuel_levels()
            .map_or(0, |(used, _)| used);
        if used > self.most_fuel.load(Ordering::Relaxed) {
            self.most_fuel.fetch_max(used, Ordering::Relaxed);
        }
        // Read before written: once the size has settled, renders on both cores only
        // read the shared line.
        let room = output.len().min(MAX_OUTPUT_CAPACITY);
        if room > largest.load(Ordering::Relaxed) {
            largest.fetch_max(room, Ordering::Relaxed);
        }
        // The answer keeps its buffer while a client reads it: after one page of a
        // hundred long rows raised the start for good, a page of twenty would hold
        // 256 KiB each on every slow connection. Given back where over half is unused.
        // The common start (OUTPUT_CAPACITY) is left as it is. The start comes down
        // halfway each time too, so that one large page does not cost every later
        // render of the template a second allocation and a copy.
        let capacity = output.capacity();
        if capacity > OUTPUT_CAPACITY && capacity > 2 * output.len() {
            output.shrink_to_fit();
            largest.store(
                OUTPUT_CAPACITY.max((capacity + output.len()) / 2),
                Ordering::Relaxed,
            );
        }
        // minijinja writes only `str`s, so this always holds; checking costs a pass
        // over bytes already in the cache, and needs no `unsafe`.
        String::from_utf8(output).map_err(|e| TemplateError::Render {
            name: name.to_owned(),
            message: e.to_string(),
        })
    }

    /// Where the largest output of template `name` is kept.
    fn largest_output(&self, name: &str) -> &AtomicUsize {
        let at = BUILTIN
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or(BUILTIN.len());
        // One place for each built-in name and one for the rest: `at` is in range.
        &self.largest_output[at.min(self.largest_output.len() - 1)]
    }

    /// Compiles every template the widgets use, an administrator's own files included,
    /// so that a `templates_dir` with a broken or unreadable file stops the host at
    /// start with the file's name and the error, not with a 500 on the first render of
    /// that view. Compiled templates are kept: renders do not compile them again.
    pub fn check(&self) -> Result<(), TemplateError> {
        if let Some(TemplateError::Render { name, message }) = &self.script_error {
            return Err(TemplateError::Render {
                name: name.clone(),
                message: message.clone(),
            });
        }
        for (name, _) in BUILTIN.iter() {
            self.env
                .get_template(name)
                .map_err(|e| TemplateError::Render {
                    name: (*name).to_owned(),
                    message: format!("{e:#}"),
                })?;
        }
        // The administrator's other files: a partial their own template includes is
        // compiled now too, and a file named like no built-in template (a folder
        // spelled like the descriptor's, `contacts-center/`) is said at start, since
        // the host would otherwise pass it over without a word.
        for name in self.other_files() {
            self.env
                .get_template(&name)
                .map_err(|e| TemplateError::Render {
                    name: name.clone(),
                    message: format!("{e:#}"),
                })?;
            tracing::warn!(
                file = %name.escape_debug(),
                "this templates_dir file replaces no built-in template: it is used only where one of your templates includes it"
            );
        }
        for name in self.listed.iter() {
            if BUILTIN.iter().any(|(n, _)| n == name) {
                tracing::info!(file = %name.escape_debug(), "a built-in template is replaced");
            }
        }
        Ok(())
    }

    /// The templates (`.html`, `.xml`, `.js`) of `templates_dir` that replace no
    /// built-in template. Other files (a picture, a README, an editor's) are passed
    /// over: nothing loads them as templates.
    pub fn other_files(&self) -> Vec<String> {
        self.listed
            .iter()
            .filter(|name| !BUILTIN.iter().any(|(n, _)| n == *name))
            .cloned()
            .collect()
    }

    /// Whether template `name` renders the built-in source: no file in `templates_dir`
    /// replaced it (or the file holds the same source). A widget that writes part of
    /// a built-in template's markup in Rust does so only then.
    pub fn is_builtin(&self, name: &str) -> bool {
        let Some(at) = BUILTIN.iter().position(|(n, _)| *n == name) else {
            return false;
        };
        self.unchanged.get_or_init(|| {
            BUILTIN
                .iter()
                .map(|(name, source)| {
                    self.env
                        .get_template(name)
                        .is_ok_and(|t| t.source() == *source)
                })
                .collect()
        })[at]
    }

    /// The progressive-enhancement script every fragment ends with, as the templates
    /// print it (`enhance_script`), for markup the host writes itself; `None` when it
    /// did not render at start ([`Templates::check`] says why).
    pub fn enhance_script(&self) -> Option<&str> {
        self.script.as_deref()
    }

    /// The most fuel (template instructions) one render has used so far: tests keep
    /// [`RENDER_FUEL`] far above what a real page needs with it.
    pub fn most_fuel_used(&self) -> u64 {
        self.most_fuel.load(Ordering::Relaxed)
    }

    /// Names of the built-in templates (for checks that every language key they use exists).
    pub fn builtin() -> impl Iterator<Item = (&'static str, &'static str)> {
        BUILTIN.iter().copied()
    }
}

/// A template file of `templates_dir`, refused past [`MAX_TEMPLATE_FILE`].
fn read_template(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    // Bytes first: cut at the limit, a text could end inside a character and be
    // refused as not UTF-8 instead of as too large.
    let mut source = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_TEMPLATE_FILE + 1)
        .read_to_end(&mut source)?;
    if source.len() as u64 > MAX_TEMPLATE_FILE {
        return Err(std::io::Error::other(format!(
            "larger than {MAX_TEMPLATE_FILE} bytes"
        )));
    }
    String::from_utf8(source).map_err(std::io::Error::other)
}

/// A render's output, refusing bytes past [`MAX_OUTPUT`].
struct Capped<'a> {
    output: &'a mut Vec<u8>,
    /// Set when a write was refused, so the render's error can say why.
    over: bool,
}

impl std::io::Write for Capped<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.output.len().saturating_add(buf.len()) > MAX_OUTPUT {
            self.over = true;
            return Err(std::io::Error::other("output too large"));
        }
        self.output.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Markup the host wrote itself, its values already escaped (a list's rows), given to
/// a template as one value that prints as it is. A safe string would do the same, but
/// making one copies the markup into a value of its own first, 20 KB for a page of
/// rows; this value is printed straight from the host's own string.
#[derive(Debug)]
pub(crate) struct HostMarkup(String);

impl HostMarkup {
    /// `html` as a template value. Its values must have been escaped
    /// ([`write_escaped`]): a template prints it unchanged.
    pub(crate) fn value(html: String) -> Value {
        Value::from_object(HostMarkup(html))
    }
}

impl Object for HostMarkup {
    /// Neither a map nor a list: a template that measures, loops over or looks into
    /// the rows (an administrator's override of a template they are given to) gets an
    /// error instead of an empty answer, and `tojson` writes the markup as a string.
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Plain
    }

    /// Present when it holds markup, as a string is (an object is false by default).
    fn is_true(self: &Arc<Self>) -> bool {
        !self.0.is_empty()
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Markup the host writes itself, in Rust, for a built-in template whose output it
/// reproduces byte for byte (see `contacts_center/views/home_page.rs`): its own literal
/// pieces go out as they are, every value through [`write_escaped`], as the
/// templates' autoescape would print it.
pub(crate) struct Html(String);

impl Html {
    pub(crate) fn with_capacity(bytes: usize) -> Self {
        Self(String::with_capacity(bytes))
    }

    /// The host's own markup, unescaped: only ever a literal of the writer.
    pub(crate) fn raw(&mut self, markup: &str) -> &mut Self {
        self.0.push_str(markup);
        self
    }

    /// A value, escaped.
    pub(crate) fn text(&mut self, value: &str) -> &mut Self {
        // Writing into a String cannot fail.
        let _ = write_escaped(&mut self.0, value);
        self
    }

    pub(crate) fn into_string(self) -> String {
        self.0
    }
}

/// Writes `text` with the five characters that matter in HTML text and quoted
/// attributes escaped. Runs of safe bytes go out in one write, so the common case (no
/// special character) copies the value once and allocates nothing.
///
/// Every value of every page goes through here (10 KB a list page), so the search for
/// the five runs a block of 16 bytes at a time: one test per block, which the compiler
/// turns into a few vector compares; a search a byte at a time cost a list render 4%
/// more instructions. Only a block with one of the five is looked at byte by byte.
pub(crate) fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    const BLOCK: usize = 16;
    let bytes = text.as_bytes();
    // `text[start..at]` is read and has no special byte, and is not written yet.
    let mut start = 0;
    let mut at = 0;
    while at < bytes.len() {
        let end = bytes.len().min(at + BLOCK);
        if let Ok(block) = <&[u8; BLOCK]>::try_from(&bytes[at..end])
            && block.iter().fold(0u8, |any, &b| any | special(b)) == 0
        {
            at = end;
            continue;
        }
        for &byte in &bytes[at..end] {
            if let Some(entity) = entity(byte) {
                // The five are ASCII, so `at` is always a char boundary.
                out.write_str(&text[start..at])?;
                out.write_str(entity)?;
                start = at + 1;
            }
            at += 1;
        }
    }
    out.write_str(&text[start..])
}

/// 1 when `byte` is one of the five, else 0: plain compares, so that a block's test
/// becomes vector compares.
#[inline(always)]
fn special(byte: u8) -> u8 {
    u8::from(byte == b'&')
        | u8::from(byte == b'<')
        | u8::from(byte == b'>')
        | u8::from(byte == b'"')
        | u8::from(byte == b'\'')
}

/// The entity that stands for `byte` in HTML text and quoted attributes, if it needs one.
#[inline(always)]
fn entity(byte: u8) -> Option<&'static str> {
    match byte {
        b'&' => Some("&amp;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        b'"' => Some("&quot;"),
        b'\'' => Some("&#x27;"),
        _ => None,
    }
}

/// `value` as JSON that a `<script>` element can hold: minijinja's own JSON escaping
/// writes `</script>` as it is, which would end the element and let a person's name
/// be markup. `<`, `>`, `&` and `'` are written as `\u` escapes, as `tojson` does.
fn write_script_json(
    out: &mut minijinja::Output<'_>,
    value: &minijinja::Value,
) -> Result<(), minijinja::Error> {
    let json = serde_json::to_string(value).map_err(|e| {
        minijinja::Error::new(minijinja::ErrorKind::BadSerialization, e.to_string())
    })?;
    std::fmt::Write::write_str(out, &script_safe(&json))?;
    Ok(())
}

/// `json` with `<`, `>`, `&` and `'` written as `\u` escapes, as minijinja's `tojson`
/// writes them: the same value, which no `</script>` or attribute quote can end.
pub(crate) fn script_safe(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\'' => out.push_str("\\u0027"),
            c => out.push(c),
        }
    }
    out
}

/// Whether a `templates_dir` file is a template: `.html`, `.xml` or `.js`, each of
/// which prints its values escaped (see the auto-escape callback). A partial named
/// `row.j2` or `row.htm` is no template: loaded, it would print a person's name as
/// markup.
fn is_template_name(name: &str) -> bool {
    [".html", ".xml", ".js"].iter().any(|x| name.ends_with(x))
}

/// `dir/name` when `name` is a plain relative path (no `..`, no root), so an override
/// folder can never be escaped.
fn safe_join(dir: &Path, name: &str) -> Option<PathBuf> {
    let relative = Path::new(name);
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then(|| dir.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Templates in a folder of their own, as an administrator's `templates_dir`.
    fn overrides(files: &[(&str, &str)]) -> (tempfile::TempDir, Templates) {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, source) in files {
            std::fs::write(dir.path().join(name), source).expect("write");
        }
        let templates = Templates::new(Some(dir.path()));
        (dir, templates)
    }

    /// A render error says what failed and where, not the values the template was
    /// given: those are people's names and addresses, and would reach the log.
    #[test]
    fn a_render_error_holds_no_value_of_the_page() {
        let (_dir, t) = overrides(&[("fails.html", "{{ person }}\n{{ no_such_function() }}")]);
        let err = t
            .render("fails.html", serde_json::json!({"person": "Jane Secret"}))
            .expect_err("an unknown function");
        let message = err.to_string();
        assert!(message.contains("no_such_function"), "{message}");
        assert!(
            message.contains("fails.html:2"),
            "where it failed: {message}"
        );
        assert!(!message.contains("Jane Secret"), "{message}");
    }

    /// An administrator's template that never ends, writes without end or calls
    /// itself without end is stopped with an error, and the next render works.
    #[test]
    fn a_runaway_template_is_stopped() {
        let (_dir, t) = overrides(&[
            (
                "loops.html",
                // 20 million steps: past the fuel, but ends if fuel stops nothing.
                "{% for i in range(100000) %}{% for j in range(200) %}{% endfor %}{% endfor %}",
            ),
            (
                "writes.html",
                // 20 MB printed, in few instructions.
                "{% for i in range(20) %}{{ 'x' * 1000000 }}{% endfor %}",
            ),
            (
                "recurses.html",
                "{% macro deeper(n) %}{{ deeper(n + 1) }}{% endmacro %}{{ deeper(0) }}",
            ),
            ("fine.html", "{{ 'ok' }}"),
        ]);
        let started = std::time::Instant::now();
        let err = t.render("loops.html", ()).expect_err("out of fuel");
        assert!(err.to_string().contains("fuel"), "{err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(30));
        let err = t.render("writes.html", ()).expect_err("too large");
        assert!(
            err.to_string()
                .contains(&format!("the output grew past {MAX_OUTPUT} bytes")),
            "{err}"
        );
        let err = t.render("recurses.html", ()).expect_err("too deep");
        assert!(err.to_string().contains("recursion"), "{err}");
        assert_eq!(t.render("fine.html", ()).expect("renders"), "ok");
    }

    #[test]
    fn a_template_file_larger_than_a_mebibyte_is_refused() {
        let just = "x".repeat(MAX_TEMPLATE_FILE as usize);
        let over = "x".repeat(MAX_TEMPLATE_FILE as usize + 1);
        // Cut at the limit, the last character is split: still "too large".
        let wide = format!("{}é", "x".repeat(MAX_TEMPLATE_FILE as usize - 1));
        let (_dir, t) = overrides(&[
            ("just.html", &just),
            ("over.html", &over),
            ("wide.html", &wide),
        ]);
        assert_eq!(
            t.render("just.html", ()).expect("renders").len(),
            just.len()
        );
        for name in ["over.html", "wide.html"] {
            let err = t.render(name, ()).expect_err("too large");
            assert!(
                err.to_string()
                    .contains(&format!("larger than {MAX_TEMPLATE_FILE} bytes")),
                "{name}: {err}"
            );
        }
    }

    /// Every fragment carries the enhancement script: one too large to carry stops
    /// the host at start, not every render after it.
    #[test]
    fn an_enhancement_script_too_large_to_carry_stops_the_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("widgets")).expect("mkdir");
        std::fs::write(
            dir.path().join("widgets/enhance.js"),
            format!("{{{{ ('x' * {})|safe }}}}", MAX_SCRIPT + 1),
        )
        .expect("write");
        let err = Templates::new(Some(dir.path()))
            .check()
            .expect_err("too large");
        assert!(
            err.to_string()
                .contains(&format!("it may be {MAX_SCRIPT} at most")),
            "{err}"
        );
        std::fs::write(
            dir.path().join("widgets/enhance.js"),
            format!("{{{{ ('x' * {MAX_SCRIPT})|safe }}}}"),
        )
        .expect("write");
        assert!(Templates::new(Some(dir.path())).check().is_ok());
    }

    /// The script waits for an answer as long as the host's request timeout allows an
    /// action to wait for the writer, and then some: a host given longer requests
    /// gets a script that waits longer.
    #[test]
    fn the_script_waits_longer_than_the_hosts_request_timeout() {
        let gives_up = |templates: &Templates| {
            let script = templates.enhance_script().expect("rendered").to_owned();
            let wait = script
                .split("controller.abort();\n}, ")
                .nth(1)
                .expect("the timer");
            wait[..wait.find(')').expect("its end")].to_owned()
        };
        assert_eq!(gives_up(&Templates::new(None)), "65000", "30 s and 35");
        assert_eq!(gives_up(&Templates::for_host(None, 600)), "635000");
    }

    /// The script goes out without its indentation or empty lines, the built-in one
    /// and an administrator's, except one with a template literal or a string
    /// continued past a line's end, whose lines may hold spaces that count.
    #[test]
    fn the_script_goes_out_unindented_unless_a_template_literal_needs_its_spaces() {
        let builtin = Templates::new(None);
        let script = builtin.enhance_script().expect("rendered");
        assert!(
            script.starts_with("(function (rootId, unconfirmed) {"),
            "{script:.40}"
        );
        assert!(script.lines().count() > 100, "its lines stay lines");
        for line in script.lines() {
            assert!(!line.is_empty() && line.trim() == line, "{line:?}");
        }
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("widgets")).expect("mkdir");
        let path = dir.path().join("widgets/enhance.js");
        std::fs::write(&path, "(function (id) {\n\n  var a = 1;\n    go(a);\n})").expect("write");
        let theirs = Templates::new(Some(dir.path()));
        assert_eq!(
            theirs.enhance_script(),
            Some("(function (id) {\nvar a = 1;\ngo(a);\n})")
        );
        for kept in [
            "(function (id) {\n  var a = `one\n    two`;\n})",
            "(function (id) {\n  var a = 'one \\\n    two';\n})",
        ] {
            std::fs::write(&path, kept).expect("write");
            let theirs = Templates::new(Some(dir.path()));
            assert_eq!(theirs.enhance_script(), Some(kept));
        }
    }

    #[test]
    fn a_broken_override_is_found_before_any_render() {
        assert!(Templates::new(None).check().is_ok());
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("contacts_center")).expect("mkdir");
        std::fs::write(
            dir.path().join("contacts_center/home.html"),
            "<div>{% if %}</div>",
        )
        .expect("write");
        let err = Templates::new(Some(dir.path()))
            .check()
            .expect_err("syntax error");
        assert!(
            err.to_string().contains("contacts_center/home.html"),
            "{err}"
        );
    }

    #[test]
    fn the_script_is_rendered_once_from_templates_dir_and_printed_unescaped() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("widgets")).expect("mkdir");
        std::fs::write(
            dir.path().join("widgets/enhance.js"),
            "(function (id) { {#- why #} return a < b && c; })",
        )
        .expect("write");
        std::fs::write(
            dir.path().join("probe.html"),
            "<script>{{ enhance_script }}</script>",
        )
        .expect("write");
        let t = Templates::new(Some(dir.path()));
        assert!(t.check().is_ok());
        assert_eq!(
            t.render("probe.html", ()).expect("renders"),
            "<script>(function (id) { return a < b && c; })</script>"
        );
        // A script that needs a value it is not given stops the host at start.
        std::fs::write(dir.path().join("widgets/enhance.js"), "{{ missing }}").expect("write");
        let err = Templates::new(Some(dir.path()))
            .check()
            .expect_err("undefined value");
        assert!(err.to_string().contains("widgets/enhance.js"), "{err}");
    }

    #[test]
    fn html_autoescapes() {
        let t = Templates::new(None);
        let html = t
            .render(
                "layout/alert.html",
                serde_json::json!({"kind": "success", "text": "<script>alert(1)</script>", "ns": "_x_"}),
            )
            .expect("renders");
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn override_folder_wins_and_cannot_be_escaped() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("layout")).expect("mkdir");
        std::fs::write(dir.path().join("layout/alert.html"), "custom {{ text }}").expect("write");
        let t = Templates::new(Some(dir.path()));
        assert_eq!(
            t.render(
                "layout/alert.html",
                serde_json::json!({"kind": "x", "text": "<b>"})
            )
            .expect("renders"),
            "custom &lt;b&gt;"
        );
        assert!(safe_join(dir.path(), "../etc/passwd").is_none());
        assert!(safe_join(dir.path(), "/etc/passwd").is_none());
    }

    #[test]
    fn a_large_page_of_one_template_leaves_the_others_room_as_it_was() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("demo")).expect("mkdir");
        std::fs::create_dir_all(dir.path().join("layout")).expect("mkdir");
        std::fs::write(dir.path().join("demo/page.html"), "{{ text }}").expect("write");
        std::fs::write(dir.path().join("layout/alert.html"), "{{ text }}").expect("write");
        let t = Templates::new(Some(dir.path()));
        let large = "x".repeat(100_000);
        let page = t
            .render("demo/page.html", serde_json::json!({ "text": large }))
            .expect("renders");
        assert_eq!(page.len(), 100_000);
        // The same template starts its next render with room for that page, and
        // gives back what that render left unused: the answer holds its buffer while
        // a client reads it.
        let start = |name: &str| t.largest_output(name).load(Ordering::Relaxed);
        assert!(start("demo/page.html") >= 100_000);
        let again = t
            .render("demo/page.html", serde_json::json!({ "text": "small" }))
            .expect("renders");
        assert!(again.capacity() < OUTPUT_CAPACITY, "{}", again.capacity());
        // Its start comes down halfway each small page, to the common one.
        assert!(
            start("demo/page.html") < 60_000,
            "{}",
            start("demo/page.html")
        );
        for _ in 0..8 {
            t.render("demo/page.html", serde_json::json!({ "text": "small" }))
                .expect("renders");
        }
        assert_eq!(start("demo/page.html"), OUTPUT_CAPACITY);
        // Another starts as it did, and keeps the common start.
        assert_eq!(start("layout/alert.html"), OUTPUT_CAPACITY);
        let alert = t
            .render("layout/alert.html", serde_json::json!({ "text": "small" }))
            .expect("renders");
        assert!(alert.capacity() >= OUTPUT_CAPACITY);
        // A page past the cap is remembered as the cap.
        let huge = "x".repeat(MAX_OUTPUT_CAPACITY + 1);
        t.render("layout/alert.html", serde_json::json!({ "text": huge }))
            .expect("renders");
        assert_eq!(start("layout/alert.html"), MAX_OUTPUT_CAPACITY);
    }

    proptest::proptest! {
        /// The block-at-a-time search escapes exactly what a byte at a time does,
        /// wherever the five fall against the blocks' edges, next to multi-byte text.
        #[test]
        fn escaping_a_block_at_a_time_matches_a_char_at_a_time(
            text in "[a-zé€&<>\"'/ ]{0,80}"
        ) {
            let mut written = String::new();
            write_escaped(&mut written, &text).expect("writes to a String");
            let expected: String = text
                .chars()
                .map(|c| match c {
                    '&' => "&amp;".to_owned(),
                    '<' => "&lt;".to_owned(),
                    '>' => "&gt;".to_owned(),
                    '"' => "&quot;".to_owned(),
                    '\'' => "&#x27;".to_owned(),
                    c => c.to_string(),
                })
                .collect();
            proptest::prop_assert_eq!(written, expected);
        }
    }

    #[test]
    fn host_markup_prints_as_it_is_and_text_stays_escaped() {
        let t = Templates::new(None);
        let render = |text: Value| {
            t.render(
                "layout/alert.html",
                minijinja::context! { kind => "info", text => text, ns => "_x_" },
            )
            .expect("renders")
        };
        assert_eq!(
            render(HostMarkup::value("<b>Ann &amp; Bo</b>".to_owned())),
            r#"<div class="alert alert-info text-break" role="status" id="_x_outcome" tabindex="-1" autofocus><b>Ann &amp; Bo</b></div>"#
        );
        assert_eq!(
            render(Value::from("<b>Ann &amp; Bo</b>")),
            r#"<div class="alert alert-info text-break" role="status" id="_x_outcome" tabindex="-1" autofocus>&lt;b&gt;Ann &amp;amp; Bo&lt;/b&gt;</div>"#
        );
        // `{% if v.rows_html %}` reads it as present.
        assert!(HostMarkup::value("<li>".to_owned()).is_true());
        assert!(!HostMarkup::value(String::new()).is_true());
    }

    #[test]
    fn host_markup_is_not_a_map_or_a_list_to_a_template() {
        let env = Environment::new();
        let rows = || HostMarkup::value("<li>Ann</li>".to_owned());
        for measured in ["{{ v|length }}", "{% for x in v %}{{ x }}{% endfor %}"] {
            assert!(
                env.render_str(measured, minijinja::context! { v => rows() })
                    .is_err(),
                "{measured} should fail loudly, not answer an empty map"
            );
        }
        assert_eq!(
            env.render_str("{{ v|tojson }}", minijinja::context! { v => rows() })
                .expect("renders"),
            r#""\u003cli\u003eAnn\u003c/li\u003e""#
        );
    }

    #[test]
    fn slashes_stay_so_wsrp_rewrite_tokens_survive() {
        let html = Templates::new(None)
            .render(
                "layout/alert.html",
                serde_json::json!({"kind": "x", "text": "wsrp_rewrite?a=1&b='2'/wsrp_rewrite", "ns": "_x_"}),
            )
            .expect("renders");
        assert!(
            html.contains("wsrp_rewrite?a=1&amp;b=&#x27;2&#x27;/wsrp_rewrite"),
            "{html}"
        );
    }

    #[test]
    fn unknown_template_is_an_error() {
        assert!(Templates::new(None).render("nope.html", ()).is_err());
    }

    /// Files named like no built-in template are found (a folder spelled like the
    /// descriptor's, a partial), and compiled at start: a broken partial stops the
    /// host with its name, as a broken replacement does.
    #[test]
    fn other_files_are_listed_and_compiled_at_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        for folder in [
            "contacts-center",
            "contacts_center",
            "partials/deep",
            ".git",
        ] {
            std::fs::create_dir_all(dir.path().join(folder)).expect("mkdir");
        }
        for (name, source) in [
            ("contacts-center/home.html", "<p>{{ 1 }}</p>"),
            ("contacts_center/guest.html", "<p>{{ 2 }}</p>"),
            ("partials/deep/row.html", "<li>{{ 3 }}</li>"),
            (".git/HEAD", "{% broken"),
            ("README.md", "{% not a template"),
        ] {
            std::fs::write(dir.path().join(name), source).expect("write");
        }
        let templates = Templates::new(Some(dir.path()));
        assert_eq!(
            templates.other_files(),
            ["contacts-center/home.html", "partials/deep/row.html"]
        );
        assert!(templates.check().is_ok());
        assert!(Templates::new(None).other_files().is_empty());
        std::fs::write(dir.path().join("partials/deep/row.html"), "{% if %}").expect("write");
        let err = Templates::new(Some(dir.path()))
            .check()
            .expect_err("a broken partial");
        assert!(err.to_string().contains("partials/deep/row.html"), "{err}");
    }

    /// Only `.html`, `.xml` and `.js` files are templates: a partial with another
    /// name (which no escaping is chosen for) is not loaded, and a `.js` partial
    /// prints its values as JSON, which a script can hold.
    #[test]
    fn a_partial_is_loaded_only_under_a_name_that_escapes() {
        let (_dir, templates) = overrides(&[
            ("page.html", "{% include \"row.j2\" %}"),
            ("row.j2", "<li>{{ name }}</li>"),
            ("data.js", "var who = {{ name }};"),
        ]);
        let err = templates
            .render("page.html", minijinja::context! { name => "<b>x</b>" })
            .expect_err("row.j2 is no template");
        assert!(err.to_string().contains("row.j2"), "{err}");
        let script = templates
            .render("data.js", minijinja::context! { name => "</script><b>" })
            .expect("render");
        assert_eq!(
            script,
            "var who = \"\\u003c/script\\u003e\\u003cb\\u003e\";"
        );
    }

    /// The `enhance` macro a template of an administrator's calls hands the script
    /// what to say after an action it could not confirm, as the built-ins do.
    #[test]
    fn the_enhance_macro_passes_what_to_say_when_unsure() {
        let (_dir, templates) = overrides(&[(
            "page.html",
            "{% import \"widgets/macros.html\" as m %}{{ m.enhance(\"w\", \"Not sure\") }}{{ m.enhance(\"v\") }}",
        )]);
        let page = templates.render("page.html", ()).expect("render");
        assert!(page.contains("(\"w\", \"Not sure\");</script>"), "{page}");
        assert!(page.contains("(\"v\", \"\");</script>"), "{page}");
    }

    /// The files of `templates_dir` are those listed at start: one made while the
    /// host runs is not used, even by an include that may find nothing.
    #[test]
    fn a_file_made_after_start_is_not_read() {
        let (dir, templates) = overrides(&[(
            "page.html",
            "<p>{% include \"late.html\" ignore missing %}</p>",
        )]);
        templates.check().expect("check");
        std::fs::write(dir.path().join("late.html"), "LATE").expect("write");
        let page = templates.render("page.html", ()).expect("render");
        assert_eq!(page, "<p></p>");
    }

    /// A file there under a link (as a Kubernetes ConfigMap mounts them) is one of the
    /// folder's, listed and compiled at start.
    #[cfg(unix)]
    #[test]
    fn a_linked_file_is_listed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("..data");
        std::fs::create_dir(&data).expect("mkdir");
        std::fs::write(data.join("row.html"), "<li>{{ 1 }}</li>").expect("write");
        std::os::unix::fs::symlink(data.join("row.html"), dir.path().join("row.html"))
            .expect("link");
        let templates = Templates::new(Some(dir.path()));
        assert_eq!(templates.other_files(), ["row.html"]);
        assert_eq!(
            templates.render("row.html", ()).expect("render"),
            "<li>1</li>"
        );
    }

    /// A template the host cannot look at (a link that loops here; for a service user,
    /// a mode it cannot read through) is listed, and the check at start fails on it
    /// with its name, where passing it over would serve the built-in markup unsaid.
    #[cfg(unix)]
    #[test]
    fn a_template_that_cannot_be_looked_at_stops_the_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let folder = dir.path().join("contacts_center");
        std::fs::create_dir(&folder).expect("mkdir");
        std::os::unix::fs::symlink("home.html", folder.join("home.html")).expect("loop");
        // A link that loops but names no template is passed over, and so is one named
        // like a template that leads nowhere (its built-in one serves).
        std::os::unix::fs::symlink("notes.txt", folder.join("notes.txt")).expect("loop");
        std::os::unix::fs::symlink("gone.html", folder.join("detail.html")).expect("link");
        assert_eq!(template_files(dir.path()), ["contacts_center/home.html"]);
        let refused = Templates::new(Some(dir.path()))
            .check()
            .expect_err("the template does not read");
        assert!(
            refused.to_string().contains("contacts_center/home.html"),
            "{refused}"
        );
    }

    /// A link back up the folder lists nothing twice, a folder linked under a second
    /// name is listed under both, and files that are no templates do not count
    /// against the cap: a folder of many pictures still has its templates found.
    #[cfg(unix)]
    #[test]
    fn each_folder_is_listed_once_and_only_templates_count() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("row.html"), "<li></li>").expect("write");
        std::os::unix::fs::symlink(".", dir.path().join("current")).expect("link");
        let theme = dir.path().join("themes/acme/contacts_center");
        std::fs::create_dir_all(&theme).expect("mkdir");
        std::fs::write(theme.join("home.html"), "<p></p>").expect("write");
        std::os::unix::fs::symlink(&theme, dir.path().join("contacts_center")).expect("link");
        for n in 0..=MAX_OVERRIDE_FILES {
            std::fs::write(dir.path().join(format!("picture{n}.png")), "").expect("write");
        }
        assert_eq!(
            template_files(dir.path()),
            [
                "contacts_center/home.html",
                "row.html",
                "themes/acme/contacts_center/home.html"
            ]
        );
    }

    /// A partial that is there but cannot be read is an error, not a file that is
    /// missing: an include that may find nothing does not pass over it.
    #[test]
    fn an_unreadable_partial_is_no_missing_one() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("page.html"),
            "<p>{% include \"broken.html\" ignore missing %}</p>",
        )
        .expect("write");
        std::fs::write(dir.path().join("broken.html"), [0xff, 0xfe]).expect("write");
        let templates = Templates::new(Some(dir.path()));
        let err = templates.render("page.html", ()).expect_err("broken.html");
        assert!(err.to_string().contains("cannot read"), "{err}");
    }
}
