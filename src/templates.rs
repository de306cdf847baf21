//! Markup templates (minijinja). The built-in templates are compiled into the binary so
//! the host runs from anywhere; `templates_dir` may override any of them by name, for
//! administrators who want their own markup. Every `.html` template autoescapes.

use std::path::{Component, Path, PathBuf};

use minijinja::{Environment, UndefinedBehavior};

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
}

impl Templates {
    /// Built-in templates, overridden by same-named files in `override_dir`.
    pub fn new(override_dir: Option<&Path>) -> Self {
        let mut env = Environment::new();
        // Printing an undefined value is a template bug: fail loudly in tests, while
        // `{% if x %}` on an absent value still reads as false.
        env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html") || name.ends_with(".xml") {
                minijinja::AutoEscape::Html
            } else {
                minijinja::AutoEscape::None
            }
        });
        // minijinja's HTML escaping also escapes `/`, which breaks the WSRP
        // `wsrp_rewrite?…/wsrp_rewrite` end token a consumer must find in the markup.
        // `&`, `<`, `>`, `"` and `'` are what HTML needs escaped in text and in quoted
        // attributes, so the formatter escapes those and leaves `/` alone.
        env.set_formatter(|out, state, value| {
            if state.auto_escape() == minijinja::AutoEscape::Html
                && !value.is_safe()
                && let Some(text) = value.as_str()
            {
                return write_escaped(out, text).map_err(minijinja::Error::from);
            }
            minijinja::escape_formatter(out, state, value)
        });
        let dir = override_dir.map(Path::to_path_buf);
        env.set_loader(move |name| {
            if let Some(path) = dir
                .as_deref()
                .and_then(|d| safe_join(d, name))
                .filter(|p| p.is_file())
            {
                return std::fs::read_to_string(&path).map(Some).map_err(|e| {
                    minijinja::Error::new(
                        minijinja::ErrorKind::TemplateNotFound,
                        format!("cannot read {}: {e}", path.display()),
                    )
                });
            }
            Ok(BUILTIN
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, source)| (*source).to_owned()))
        });
        Self { env }
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
        self.env
            .get_template(name)
            .map_err(fail)?
            .render(context)
            .map_err(fail)
    }

    /// Compiles every template the widgets use, an administrator's own files included,
    /// so that a `templates_dir` with a broken or unreadable file stops the host at
    /// start with the file's name and the error, not with a 500 on the first render of
    /// that view. Compiled templates are kept: renders do not compile them again.
    pub fn check(&self) -> Result<(), TemplateError> {
        for (name, _) in BUILTIN.iter() {
            self.env
                .get_template(name)
                .map_err(|e| TemplateError::Render {
                    name: (*name).to_owned(),
                    message: format!("{e:#}"),
                })?;
        }
        Ok(())
    }

    /// Whether template `name` renders the built-in source: no file in `templates_dir`
    /// replaced it (or the file holds the same source). A widget that writes part of
    /// a built-in template's markup in Rust does so only then.
    pub fn is_builtin(&self, name: &str) -> bool {
        let Some((_, source)) = BUILTIN.iter().find(|(n, _)| *n == name) else {
            return false;
        };
        self.env
            .get_template(name)
            .is_ok_and(|t| t.source() == *source)
    }

    /// Names of the built-in templates (for checks that every language key they use exists).
    pub fn builtin() -> impl Iterator<Item = (&'static str, &'static str)> {
        BUILTIN.iter().copied()
    }
}

/// Writes `text` with the five characters that matter in HTML text and quoted
/// attributes escaped. Runs of safe bytes go out in one write, so the common case (no
/// special character) copies the value once and allocates nothing.
pub(crate) fn write_escaped(out: &mut impl std::fmt::Write, text: &str) -> std::fmt::Result {
    let mut start = 0;
    for (at, byte) in text.bytes().enumerate() {
        let entity = match byte {
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            _ => continue,
        };
        // The five are ASCII, so `at` is always a char boundary.
        out.write_str(&text[start..at])?;
        out.write_str(entity)?;
        start = at + 1;
    }
    out.write_str(&text[start..])
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
    fn html_autoescapes() {
        let t = Templates::new(None);
        let html = t
            .render(
                "layout/alert.html",
                serde_json::json!({"kind": "success", "text": "<script>alert(1)</script>"}),
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
    fn slashes_stay_so_wsrp_rewrite_tokens_survive() {
        let html = Templates::new(None)
            .render(
                "layout/alert.html",
                serde_json::json!({"kind": "x", "text": "wsrp_rewrite?a=1&b='2'/wsrp_rewrite"}),
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
}
