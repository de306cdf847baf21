//! `import-users`: a file of `UserAccount` records into the directory.
//!
//! Three shapes are accepted, told apart by the first bytes:
//! - a page object as headless-admin-user returns it (`{"items": [...], "page": 1,
//!   ...}`), pretty-printed or not;
//! - a JSON array of accounts;
//! - one account object per line (NDJSON).
//!
//! Records stream one at a time into batches of people: no tree of the whole file
//! is built, only one record's JSON value at a time (so that a record with a wrong
//! field type is rejected on its own, with its position, while the rest import).
//! Each batch is one durable transaction through [`Social::upsert_people`], written
//! on a helper thread while the next batch is parsed.

use std::fmt;
use std::path::Path;
use std::thread::JoinHandle;

use indicatif::ProgressBar;
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{DirectoryError, IdSource, UserAccount};
use crate::social::{Social, SocialError};
use crate::store::{Person, StoreError};

/// People written per transaction: large enough that the fsync per commit is noise.
pub const DEFAULT_BATCH: usize = 10_000;

/// How to import.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportOptions {
    pub id_source: IdSource,
    /// People per transaction.
    pub batch: usize,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            id_source: IdSource::Auto,
            batch: DEFAULT_BATCH,
        }
    }
}

/// One record that was not imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based position among the file's records.
    pub record: usize,
    /// 1-based line, for NDJSON files.
    pub line: Option<usize>,
    pub reason: String,
}

impl fmt::Display for Rejected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "record {}", self.record)?;
        if let Some(line) = self.line {
            write!(f, " (line {line})")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// What an import did. `imported + rejected.len() == records`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub records: usize,
    pub imported: usize,
    pub rejected: Vec<Rejected>,
}

impl ImportReport {
    /// Every record made it in.
    pub fn complete(&self) -> bool {
        self.rejected.is_empty()
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} record(s): {} imported, {} rejected",
            self.records,
            self.imported,
            self.rejected.len()
        )
    }
}

/// Reads `path` and imports it; see [`import_slice`].
pub fn import_file(
    social: &Social,
    path: &Path,
    options: ImportOptions,
    progress: &ProgressBar,
) -> Result<ImportReport, DirectoryError> {
    let bytes = std::fs::read(path).map_err(|source| DirectoryError::Read {
        path: path.to_owned(),
        source,
    })?;
    import_slice(social, &bytes, options, progress)
}

/// Imports the accounts in `bytes` (any of the three shapes). Bad records are
/// reported and skipped; an error is returned only when the file as a whole cannot
/// be read (then the records before the break are already imported) or storage fails.
pub fn import_slice(
    social: &Social,
    bytes: &[u8],
    options: ImportOptions,
    progress: &ProgressBar,
) -> Result<ImportReport, DirectoryError> {
    let mut sink = Sink {
        social,
        options,
        batch: Vec::with_capacity(options.batch.clamp(1, DEFAULT_BATCH)),
        report: ImportReport::default(),
        progress,
        failure: None,
        writing: None,
    };
    // Windows tools (PowerShell's `-Encoding UTF8`) start UTF-8 with a byte-order mark.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or_else(|| DirectoryError::Format("the file is empty".into()))?;
    let body = &bytes[start..];
    let parsed = match body[0] {
        b'[' => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let r = serde::Deserializer::deserialize_seq(&mut de, &mut sink);
            r.and_then(|()| de.end())
        }
        b'{' if is_ndjson(body) => read_ndjson(&mut sink, bytes),
        b'{' => {
            let mut de = serde_json::Deserializer::from_slice(body);
            let r = serde::Deserializer::deserialize_map(&mut de, Page { sink: &mut sink });
            r.and_then(|()| de.end())
        }
        _ => {
            return Err(DirectoryError::Format(
                "expected a page object with items, an array, or one object per line".into(),
            ));
        }
    };
    sink.flush();
    sink.settle();
    if let Some(e) = sink.failure {
        return Err(e);
    }
    parsed.map_err(|e| {
        DirectoryError::Format(format!(
            "{e} (after {} record(s), {} imported)",
            sink.report.records, sink.report.imported
        ))
    })?;
    progress.finish_and_clear();
    Ok(sink.report)
}

/// One object per line when the first line is a whole object without `items`;
/// anything else starting with `{` is a page object (often pretty-printed). A first
/// line that does not parse but closes its object is a broken record when the next
/// non-blank line is a whole record: a page's first line (`{`, `{"items": [`) never
/// closes its object. So a broken first record is rejected alone, like one anywhere
/// else, instead of turning the whole file into a bad page.
fn is_ndjson(body: &[u8]) -> bool {
    #[derive(Deserialize)]
    struct Probe {
        items: Option<IgnoredAny>,
    }
    let record = |line: &[u8]| {
        matches!(
            serde_json::from_slice::<Probe>(line),
            Ok(Probe { items: None })
        )
    };
    let mut lines = body
        .split(|&b| b == b'\n')
        .filter(|l| !l.iter().all(u8::is_ascii_whitespace));
    let first = lines.next().unwrap_or(body);
    match serde_json::from_slice::<Probe>(first) {
        Ok(Probe { items }) => items.is_none(),
        // A broken record still closes its object on its line; a page's first line
        // (`{`, `{"items": [`) never does.
        Err(_) => first.trim_ascii_end().ends_with(b"}") && lines.next().is_some_and(record),
    }
}

/// Reads one account a line. A bad line is a rejected record; a last line that breaks
/// off (no newline after it, its JSON unfinished) is a cut file, as in the other shapes.
fn read_ndjson(sink: &mut Sink<'_>, bytes: &[u8]) -> Result<(), serde_json::Error> {
    let mut lines = bytes.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((n, line)) = lines.next() {
        if sink.failure.is_some() {
            return Ok(());
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let parsed = match serde_json::from_slice::<UserAccount>(line) {
            Err(e) if e.is_eof() && lines.peek().is_none() => return Err(e),
            parsed => parsed,
        };
        let account = parsed.map_err(|e| {
            let mut why = e.to_string();
            // serde's "at line 1 column N" is within this line only.
            if let Some(at) = why.find(" at line 1 column") {
                why.truncate(at);
            }
            why
        });
        sink.record(Some(n + 1), account);
    }
    Ok(())
}

/// Collects valid people into batches and the rest into the report.
struct Sink<'a> {
    social: &'a Social,
    options: ImportOptions,
    batch: Vec<Person>,
    report: ImportReport,
    progress: &'a ProgressBar,
    /// A storage failure: stops the import.
    failure: Option<DirectoryError>,
    /// The batch being written while the next one is parsed: parsing and storing
    /// then share the two cores instead of taking turns. At most one is in flight,
    /// so batches are stored in file order.
    writing: Option<JoinHandle<Result<usize, SocialError>>>,
}

impl Sink<'_> {
    fn record(&mut self, line: Option<usize>, account: Result<UserAccount, String>) {
        self.report.records += 1;
        self.progress.inc(1);
        match account.and_then(|a| a.to_person(self.options.id_source)) {
            Ok(person) => {
                self.batch.push(person);
                if self.batch.len() >= self.options.batch.max(1) {
                    self.flush();
                }
            }
            Err(reason) => self.report.rejected.push(Rejected {
                record: self.report.records,
                line,
                reason,
            }),
        }
    }

    /// Hands the full batch to a writer thread once the previous one is stored.
    fn flush(&mut self) {
        self.settle();
        if self.batch.is_empty() || self.failure.is_some() {
            return;
        }
        let batch = std::mem::take(&mut self.batch);
        let social = self.social.clone();
        self.writing = Some(std::thread::spawn(move || social.upsert_people(batch)));
    }

    /// Waits for the batch in flight, if any, and records how it went.
    fn settle(&mut self) {
        let Some(writing) = self.writing.take() else {
            return;
        };
        match writing.join() {
            Ok(Ok(n)) => self.report.imported += n,
            Ok(Err(e)) => self.failure = Some(e.into()),
            Err(_) => self.failure = Some(SocialError::Store(StoreError::WriterGone).into()),
        }
    }

    fn take_value(&mut self, value: serde_json::Value) {
        let account = UserAccount::deserialize(value).map_err(|e| e.to_string());
        self.record(None, account);
    }
}

/// Feeds each element of a JSON array to the sink as it is parsed.
impl<'de> Visitor<'de> for &mut Sink<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of UserAccount objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(value) = seq.next_element::<serde_json::Value>()? {
            self.take_value(value);
            if self.failure.is_some() {
                return Err(serde::de::Error::custom("storage failed"));
            }
        }
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for &mut Sink<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

/// A page object: `items` streams through the sink, other keys are skipped.
struct Page<'s, 'a> {
    sink: &'s mut Sink<'a>,
}

impl<'de> Visitor<'de> for Page<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a page object with items")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if key == "items" && !found {
                found = true;
                map.next_value_seed(&mut *self.sink)?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        if found {
            Ok(())
        } else {
            Err(serde::de::Error::custom("the page object has no items"))
        }
    }
}
