//! What every built-in widget's markup needs: texts in the request's locale, action
//! forms that carry the transport's hidden fields, the descriptor's wrapper class, and
//! one mapping of lower-layer errors to [`WidgetError`].
//!
//! Field names are namespaced here, in Rust, so a template can never forget to.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use super::WidgetError;
use crate::i18n::{Chain, Languages};
use crate::portal::Request;
use crate::social::SocialError;
use crate::store::StoreError;
use crate::templates::TemplateError;

/// One `name=value` pair of a form; `name` is complete (namespaced where it must be).
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Field {
    pub name: String,
    pub value: String,
}

/// A small POST form with one submit button: how every action is offered, so that the
/// widget works without JavaScript.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Form {
    pub url: String,
    pub hidden: Vec<Field>,
    pub label: String,
    /// Clay button classes.
    pub css: &'static str,
    /// Whom the button acts on, where a list repeats it row after row: read after
    /// the label by screen readers only ("Confirm Ann Archer"), since "Confirm, Confirm,
    /// Confirm" says nothing to someone tabbing from button to button.
    pub context: Option<String>,
    /// The question the enhancement script asks before the button posts, for an
    /// action that cannot simply be undone (WCAG 3.3.4): deleting a personal contact
    /// and what it holds, a block that ends connections and follows both ways, a
    /// disconnection, a follower removed.
    pub confirm: Option<String>,
    /// The namespaced id of the question's text, which describes the button to screen
    /// readers (`aria-describedby`): without the script, someone tabbing from the
    /// disclosure's summary to the button would otherwise not hear the question.
    pub question_id: Option<String>,
}

impl Form {
    /// The form, its button naming `who` for screen readers (see [`Form::context`]).
    pub fn about(mut self, who: &str) -> Self {
        self.context = Some(who.to_owned());
        self
    }

    /// The form, its button naming `person` by name and, where they have one, job
    /// title: a list may hold two people of one name, whom a sighted reader tells
    /// apart by the title under each, and someone tabbing from button to button
    /// hears only the button's name.
    pub fn about_person(self, person: &crate::store::Person) -> Self {
        let name = person.display_name();
        let title = person.job_title.trim();
        if crate::store::shows_nothing(title) {
            self.about(&name)
        } else {
            self.about(&format!("{name}, {title}"))
        }
    }

    /// The form, asking `question` before it posts (see [`Form::confirm`]); `id` is the
    /// question's namespaced id, unique in the placement's markup.
    pub fn confirming(mut self, question: String, id: String) -> Self {
        self.confirm = Some(question);
        self.question_id = Some(id);
        self
    }
}

/// The text tables [`Ui::texts`] has built, by key list and the bundles the locale
/// reads ([`Chain::identity`]). A table depends on nothing else, so a made-up locale
/// shares English's table and the map stays as small as the set of bundles.
#[derive(Default)]
struct TextTables(Mutex<HashMap<TableId, minijinja::Value>>);

/// A key list (address and length) and the bundles a locale reads.
type TableId = ((usize, usize), [usize; 3]);

impl TextTables {
    fn shared() -> &'static Self {
        static SHARED: OnceLock<TextTables> = OnceLock::new();
        SHARED.get_or_init(TextTables::default)
    }

    fn get(&self, texts: &Chain<'_>, keys: &'static [&'static str]) -> minijinja::Value {
        // The list by address and length: it is `'static`, so the pair names one list
        // for as long as the host runs.
        let id = ((keys.as_ptr() as usize, keys.len()), texts.identity());
        if let Some(table) = self.0.lock().ok().and_then(|t| t.get(&id).cloned()) {
            return table;
        }
        // Built outside the lock: the other renders only ever wait for a map lookup.
        let table: BTreeMap<&str, &str> = keys.iter().map(|k| (*k, texts.get(k))).collect();
        let table = minijinja::Value::from_serialize(table);
        if let Ok(mut tables) = self.0.lock() {
            tables.entry(id).or_insert_with(|| table.clone());
        }
        table
    }
}

/// The request as the markup sees it.
pub(crate) struct Ui<'a> {
    pub req: &'a Request,
    /// The request locale's bundles, found once for every text of the render.
    texts: Chain<'a>,
}

impl<'a> Ui<'a> {
    pub fn new(req: &'a Request, languages: &'static Languages) -> Self {
        Self {
            req,
            texts: languages.chain(&req.locale).numbers_in(&req.dates_locale),
        }
    }

    pub fn ns(&self) -> &str {
        self.req.urls.namespace()
    }

    /// `name` with the namespace, for ids and form fields. Two copies into a string
    /// of the right size: a page makes dozens of these, and `format!` costs several
    /// times as much.
    pub fn name(&self, name: &str) -> String {
        let ns = self.ns();
        let mut out = String::with_capacity(ns.len() + name.len());
        out.push_str(ns);
        out.push_str(name);
        out
    }

    pub fn t(&self, key: &str) -> String {
        self.texts.get(key).to_owned()
    }

    /// [`Ui::t`] without the copy, for markup the host writes itself.
    pub fn text(&self, key: &'static str) -> &'a str {
        self.texts.get(key)
    }

    pub fn format(&self, key: &str, args: &[&str]) -> String {
        self.texts.format(key, args)
    }

    /// The counted text of `key` for `n` (`{0}` = n).
    pub fn plural(&self, key: &str, n: u64) -> String {
        self.texts.plural(key, n)
    }

    /// `n` with the reader's digit grouping (`12,345`, `12.345`, `12'345`).
    pub fn number(&self, n: u64) -> String {
        self.texts.number(n)
    }

    /// The key that fits `n`: `key` or its singular (see [`Chain::plural_key`]).
    pub fn plural_key<'k>(&self, key: &'k str, n: u64) -> std::borrow::Cow<'k, str> {
        self.texts.plural_key(key, n)
    }

    /// The texts a template uses, by key: templates print `t["connect"]`, and an
    /// unlisted key is a template error caught by the tests (strict undefined).
    ///
    /// One table per key list and set of bundles, built at its first use and then
    /// shared: the bundles do not change while they live, and every render would
    /// otherwise look up, copy and convert each of the texts again.
    pub fn texts(&self, keys: &'static [&'static str]) -> minijinja::Value {
        TextTables::shared().get(&self.texts, keys)
    }

    /// [`crate::i18n::language_tag`] of the request, for the root's `lang`: a portal
    /// that aggregates fragments loses the `Content-Language` header, and a page in
    /// another language would have screen readers pronounce the widget wrongly
    /// (WCAG 3.1.2, language of parts).
    pub fn lang(&self) -> String {
        crate::i18n::language_tag(&self.req.locale)
    }

    /// The descriptor's `css-class-wrapper`, or one derived from the portlet name.
    pub fn wrapper_class(&self) -> String {
        self.req
            .descriptor
            .css_class_wrapper
            .clone()
            .unwrap_or_else(|| format!("{}-portlet", self.req.portlet.name().replace('_', "-")))
    }

    /// The form of `action`: the transport's hidden fields, then `fields` (un-namespaced
    /// names, namespaced here).
    pub fn form(
        &self,
        action: &str,
        label_key: &str,
        css: &'static str,
        fields: &[(&str, &str)],
    ) -> Form {
        let target = self.req.urls.action_target(action);
        let mut hidden: Vec<Field> = target
            .hidden
            .into_iter()
            .map(|(name, value)| Field { name, value })
            .collect();
        hidden.extend(fields.iter().map(|(n, v)| Field {
            name: self.name(n),
            value: (*v).to_owned(),
        }));
        Form {
            url: target.url,
            hidden,
            label: self.t(label_key),
            css,
            context: None,
            confirm: None,
            question_id: None,
        }
    }

    pub fn bad_request(&self, key: &'static str) -> WidgetError {
        WidgetError::BadRequest {
            key,
            text: self.t(key),
        }
    }

    pub fn not_found(&self, key: &'static str) -> WidgetError {
        WidgetError::NotFound {
            key,
            text: self.t(key),
        }
    }

    pub fn forbidden(&self) -> WidgetError {
        let key = "you-do-not-have-the-required-permissions";
        WidgetError::Forbidden {
            key,
            text: self.t(key),
        }
    }
}

/// Storage failures are internal, except a cursor the client garbled.
pub(crate) fn store_error(ui: &Ui<'_>, e: StoreError) -> WidgetError {
    match e {
        StoreError::BadCursor => ui.bad_request("the-request-is-invalid"),
        e if e.is_storage_failure() => WidgetError::Storage(e),
        other => WidgetError::Internal(other.to_string()),
    }
}

pub(crate) fn social_error(ui: &Ui<'_>, e: SocialError) -> WidgetError {
    match e {
        SocialError::Store(s) => store_error(ui, s),
    }
}

pub(crate) fn template_error(e: TemplateError) -> WidgetError {
    WidgetError::Internal(e.to_string())
}

/// `created_at` (Unix seconds) as `2024-05-01 14:03 UTC`, the same in every locale so
/// no locale needs its own date pattern. It is what a page shows without the
/// enhancement script; with it, the date reads in the reader's own time zone and
/// locale (from [`when_iso`], in the root's `data-locale`).
pub(crate) fn when(unix_seconds: u64) -> String {
    formatted(
        unix_seconds,
        time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC"),
    )
}

/// `created_at` as a `<time>` element's `datetime`, `2024-05-01T14:03:27Z`: the
/// instant [`when`] shows to the minute, with its seconds, in the one form the
/// enhancement script rewrites and a browser's `Date` reads in every engine.
pub(crate) fn when_iso(unix_seconds: u64) -> String {
    formatted(
        unix_seconds,
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z"),
    )
}

/// Empty for a time the calendar cannot hold (a corrupt record), never a panic.
fn formatted(
    unix_seconds: u64,
    format: &[time::format_description::BorrowedFormatItem<'_>],
) -> String {
    i64::try_from(unix_seconds)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(format).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    static KEYS: &[&str] = &["search", "back"];

    #[test]
    fn a_date_shows_in_utc_and_its_datetime_names_the_same_instant() {
        // 2024-05-01 14:03:27 UTC.
        let at = 1_714_572_207;
        assert_eq!(when(at), "2024-05-01 14:03 UTC");
        assert_eq!(when_iso(at), "2024-05-01T14:03:27Z");
        assert_eq!(when_iso(0), "1970-01-01T00:00:00Z");
        // Past what the calendar holds (a corrupt record): empty, never a panic.
        assert_eq!(when(u64::MAX), "");
        assert_eq!(when_iso(u64::MAX), "");
    }

    fn text(table: &minijinja::Value, key: &str) -> String {
        table
            .get_attr(key)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }

    fn kept(tables: &TextTables) -> usize {
        tables.0.lock().map_or(0, |t| t.len())
    }

    #[test]
    fn text_tables_are_built_once_per_set_of_bundles_and_never_mixed() {
        let languages = Languages::shared();
        let tables = TextTables::default();
        let en = tables.get(&languages.chain("en_US"), KEYS);
        let es = tables.get(&languages.chain("es_ES"), KEYS);
        assert_eq!(
            (text(&en, "search"), text(&en, "back")),
            ("Search".into(), "Back".into())
        );
        assert_eq!(
            (text(&es, "search"), text(&es, "back")),
            ("Buscar".into(), "Volver".into())
        );
        assert_eq!(kept(&tables), 2);
        let again = tables.get(&languages.chain("en_US"), KEYS);
        assert_eq!(text(&again, "search"), "Search");
        assert_eq!(kept(&tables), 2, "the English table is reused");
        // A shorter list at the same address is another list.
        let first = tables.get(&languages.chain("en_US"), &KEYS[..1]);
        assert_eq!(text(&first, "search"), "Search");
        assert!(first.get_attr("back").is_ok_and(|v| v.is_undefined()));
        assert_eq!(kept(&tables), 3);
    }

    #[test]
    fn made_up_locales_share_the_table_of_the_bundles_they_fall_back_to() {
        let languages = Languages::shared();
        let tables = TextTables::default();
        tables.get(&languages.chain("en_US"), KEYS);
        for i in 0..500 {
            let table = tables.get(&languages.chain(&format!("xx_{i}")), KEYS);
            assert_eq!(text(&table, "search"), "Search");
        }
        assert_eq!(kept(&tables), 1, "English's table serves them all");
    }
}
