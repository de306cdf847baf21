//! `import-users`: a file of `UserAccount` records into the directory.
//!
//! Three shapes are accepted, told apart by the first bytes:
//! - a page object as headless-admin-user returns it (`{"items": [...], "page": 1,
//!   ...}`), pretty-printed or not;
//! - a JSON array of accounts;
//! - one account object per line (NDJSON).
//!
//! The file is read as it is parsed, and records stream one at a time into batches
//! of people: neither the file nor a tree of it is held, only one record's JSON value
//! at a time, of at most 1 MiB (so that a record with a wrong field type is rejected
//! on its own, with its position, while the rest import).
//! Each batch is one durable transaction through [`Social::upsert_people`], written
//! on a helper thread while the next batch is parsed.

use std::cell::Cell;
use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::thread::JoinHandle;

use indicatif::ProgressBar;
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};

use serde_json::value::RawValue;

use super::{DirectoryError, IdSource, UserAccount};
use crate::social::{Social, SocialError, Upserted};
use crate::store::{Person, StoreError};

/// People written per transaction: large enough that the fsync per commit is noise.
pub const DEFAULT_BATCH: usize = 10_000;

/// Most text a batch holds before it is written, whatever its count. Ordinary people
/// (a few hundred bytes) fill [`DEFAULT_BATCH`] first; people with the longest
/// contact lists the import accepts (some 160 KB of text each, up to four times that
/// in bytes in other scripts) would make a batch of 10,000 gigabytes, held twice while
/// the next batch is parsed beside the one being written.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;

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

/// What an import did. `imported + rejected_count() + inactive == records`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub records: usize,
    pub imported: usize,
    /// Of `imported`, the records that updated someone already there: stored before
    /// the import, or earlier in the file (a later record of the same id wins).
    pub updated: usize,
    /// The first [`MAX_LISTED_REJECTIONS`] rejected records, in file order.
    pub rejected: Vec<Rejected>,
    /// Rejected records past those, only counted.
    pub rejected_unlisted: usize,
    /// Deactivated accounts (`"status": "Inactive"`), read and left out.
    pub inactive: usize,
    /// Of those, the ones with an id that were not looked up in the directory: past
    /// the first [`MAX_INACTIVE_LOOKED_UP`].
    pub inactive_not_looked_up: usize,
    /// Of those, the ids of the ones the directory still holds (imported before they
    /// were deactivated), in file order; the first [`MAX_INACTIVE_LOOKED_UP`] looked
    /// at. The import removes nobody: an administrator removes them by these ids.
    pub inactive_stored: Vec<String>,
    /// What a Liferay page object said of the answer it is a page of, when it said so.
    pub page: Option<PageOf>,
}

/// The paging keys of a Liferay page object (`page`, `lastPage`, `totalCount`): a
/// `GET /user-accounts` answers 20 accounts a page unless asked for more, and a file
/// saved from one answer holds one page of the directory.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PageOf {
    pub page: Option<u64>,
    pub last_page: Option<u64>,
    pub total_count: Option<u64>,
}

impl PageOf {
    /// Why the file holds only part of its answer, if its keys say so.
    fn missing(&self, records: usize) -> Option<String> {
        let of_pages = self.last_page.filter(|&last| last > 1).map(|last| {
            let page = self
                .page
                .map_or_else(|| "one".to_owned(), |p| p.to_string());
            format!("page {page} of {last}")
        });
        let of_total = self
            .total_count
            .filter(|&total| total > records as u64)
            .map(|total| format!("{records} of {total} accounts"));
        match (of_pages, of_total) {
            (None, None) => None,
            (Some(pages), Some(total)) => Some(format!("{pages}, {total}")),
            (Some(one), None) | (None, Some(one)) => Some(one),
        }
    }
}

/// Rejected records a report lists. A file whose every record is refused (exported
/// with the wrong id field, say) has millions: listing them all would cost memory in
/// step with the file, and nobody reads past the first few.
pub const MAX_LISTED_REJECTIONS: usize = 1_000;

/// Most deactivated accounts of one import looked up in the directory (their ids held
/// until the end, a few MB at most): a portal's whole history of departures, where the
/// first thousand alone undercounted those still shown to everyone.
pub const MAX_INACTIVE_LOOKED_UP: usize = 100_000;

/// A reason keeps at most this many characters: a serde or email error quotes the
/// whole bad value, which can be most of a megabyte.
const MAX_REASON_CHARS: usize = 300;

/// `reason` with its middle left out when it is too long: the start names the field
/// and the end says what was wrong ("… is not a valid email address").
pub(crate) fn shortened(reason: String) -> String {
    let chars = reason.chars().count();
    if chars <= MAX_REASON_CHARS {
        return reason;
    }
    let tail = MAX_REASON_CHARS / 3;
    // The head, the ellipsis and the tail make MAX_REASON_CHARS.
    let head: String = reason.chars().take(MAX_REASON_CHARS - tail - 1).collect();
    let end: String = reason.chars().skip(chars - tail).collect();
    format!("{head}…{end}")
}

impl ImportReport {
    /// Every record made it in (deactivated accounts aside), and the file is its
    /// answer's whole directory as far as it says.
    pub fn complete(&self) -> bool {
        self.rejected_count() == 0 && self.missing_pages().is_none()
    }

    /// What the page object said is not in this file: "page 1 of 3, 20 of 60
    /// accounts".
    pub fn missing_pages(&self) -> Option<String> {
        self.page.and_then(|p| p.missing(self.records))
    }

    /// How many records were rejected, listed or not.
    pub fn rejected_count(&self) -> usize {
        self.rejected.len() + self.rejected_unlisted
    }

    fn reject(&mut self, line: Option<usize>, reason: String) {
        self.reject_at(self.records, line, reason);
    }

    /// A rejection of the `record`th record, which may be found after later ones were
    /// (an account held under another id is found when its batch is written): the
    /// list stays in file order, and holds the first ones when it is full.
    fn reject_at(&mut self, record: usize, line: Option<usize>, reason: String) {
        let at = self.rejected.partition_point(|r| r.record <= record);
        if self.rejected.len() >= MAX_LISTED_REJECTIONS {
            self.rejected_unlisted += 1;
            if at == self.rejected.len() {
                return;
            }
            self.rejected.pop();
        }
        let reason = shortened(reason);
        self.rejected.insert(
            at,
            Rejected {
                record,
                line,
                reason,
            },
        );
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} record(s): {} imported", self.records, self.imported)?;
        if self.updated > 0 {
            write!(
                f,
                " ({} new, {} updated)",
                self.imported - self.updated,
                self.updated
            )?;
        }
        write!(f, ", {} rejected", self.rejected_count())?;
        if self.inactive > 0 {
            write!(f, ", {} inactive skipped", self.inactive)?;
        }
        Ok(())
    }
}

/// Where an import says how far it got: a progress bar on a terminal, plain lines in
/// a log (see `import-users`), or nothing (tests, benchmarks).
pub trait ImportProgress {
    /// `records` records have been read so far, imported or rejected.
    fn records_read(&self, records: usize);
    /// The import ran to its end; an import that failed says nothing more.
    fn finished(&self);
}

impl ImportProgress for ProgressBar {
    fn records_read(&self, records: usize) {
        self.set_position(records as u64);
    }

    fn finished(&self) {
        self.finish_and_clear();
    }
}

/// Reads `path` as it imports it; see [`import_reader`].
pub fn import_file(
    social: &Social,
    path: &Path,
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, DirectoryError> {
    let file = std::fs::File::open(path).map_err(cannot_read(path))?;
    import_opened(social, path, file, options, progress)
}

/// A read of `path` that failed, as the import's error.
fn cannot_read(path: &Path) -> impl Fn(std::io::Error) -> DirectoryError + '_ {
    move |source| DirectoryError::Read {
        path: path.to_owned(),
        source,
    }
}

/// [`import_file`] of a file already opened from `path`: the command opens it before
/// the database, so a path it cannot read creates or migrates no database.
pub fn import_opened(
    social: &Social,
    path: &Path,
    file: std::fs::File,
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, DirectoryError> {
    let reader = BufReader::with_capacity(READ_BUFFER, file);
    import_reader(social, reader, options, progress).map_err(|e| match e {
        DirectoryError::Read { source, .. } => cannot_read(path)(source),
        e => e,
    })
}

/// Imports the accounts in `bytes`; see [`import_reader`].
pub fn import_slice(
    social: &Social,
    bytes: &[u8],
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, DirectoryError> {
    import_reader(social, bytes, options, progress)
}

/// Imports the accounts `reader` gives (any of the three shapes), reading the file
/// as it goes: a million records take little more memory than a thousand (with the
/// default choice of id, 24 bytes an id, to tell apart the fields ids came from). Bad
/// records are reported and skipped; an error is returned only when the file as a whole cannot be
/// read (then the records before the break are already imported) or storage fails.
pub fn import_reader(
    social: &Social,
    mut reader: impl BufRead,
    options: ImportOptions,
    progress: &dyn ImportProgress,
) -> Result<ImportReport, DirectoryError> {
    let mut sink = Sink {
        social,
        options,
        batch: Batch::default(),
        report: ImportReport::default(),
        progress,
        failure: None,
        inactive_ids: Vec::new(),
        id_fields: std::collections::HashMap::new(),
        id_hashing: std::collections::hash_map::RandomState::new(),
        writing: None,
        reading: Rc::default(),
    };
    let nothing_yet = ImportReport::default();
    let lead = without_byte_order_mark(&mut reader).map_err(|e| cut_off(e, &nothing_yet))?;
    if is_utf16(&lead) {
        return Err(utf16_refused());
    }
    let mut reader = lead.as_slice().chain(reader);
    let head = Head::read(&mut reader).map_err(|e| cut_off(e, &nothing_yet))?;
    let Some(first) = head.first_byte() else {
        return Err(DirectoryError::Format("the file is empty".into()));
    };
    let rest = head.bytes.as_slice().chain(reader);
    // A JSON record is parsed into one value before it is checked: bounded like a line.
    let bounded = RecordBound {
        inner: rest,
        reading: Rc::clone(&sink.reading),
    };

    let parsed = match first {
        b'[' => {
            let mut de = serde_json::Deserializer::from_reader(bounded.buffered());
            let r = serde::Deserializer::deserialize_seq(&mut de, &mut sink);
            r.and_then(|()| de.end())
        }
        b'{' if head.is_ndjson() => read_ndjson(&mut sink, bounded.inner, head.dropped_lines),
        b'{' => {
            let mut de = serde_json::Deserializer::from_reader(bounded.buffered());
            let r = serde::Deserializer::deserialize_map(&mut de, Page { sink: &mut sink });
            r.and_then(|()| de.end())
        }
        _ => return Err(shape_refused()),
    };
    sink.flush();
    sink.settle();
    if let Some(e) = sink.failure {
        return Err(match e {
            DirectoryError::Social(source) => DirectoryError::Storing {
                records: sink.report.records,
                imported: sink.report.imported,
                source,
            },
            e => e,
        });
    }
    parsed.map_err(|e| {
        if e.is_io() {
            return cut_off(e.into(), &sink.report);
        }
        DirectoryError::Format(format!(
            "{e} (after {} record(s), {} imported)",
            sink.report.records, sink.report.imported
        ))
    })?;
    // Looked up after the last batch: an account imported earlier in this same file
    // and deactivated later in it is still stored too. A failed read lists nobody; it
    // fails no import that stored what it read.
    if let Ok(reader) = social.read() {
        for (id, field) in std::mem::take(&mut sink.inactive_ids) {
            // Held under an id another account of this file gave from another field
            // (one's `externalReferenceCode` "1042", this one's `id` 1042): that is
            // the other account, imported now, not this one left over.
            let another = sink
                .id_fields
                .get(&sink.id_key(&id))
                .is_some_and(|before| *before != field);
            if !another && reader.user_id(&id).is_ok_and(|u| u.is_some()) {
                sink.report.inactive_stored.push(id);
            }
        }
    }
    progress.finished();
    Ok(sink.report)
}

/// The file could not be read to its end: says how far the import got, as a cut
/// file's error does. The caller that knows the file's path puts it in.
fn cut_off(source: std::io::Error, so_far: &ImportReport) -> DirectoryError {
    let why = format!(
        "{source} (after {} record(s), {} imported)",
        so_far.records, so_far.imported
    );
    DirectoryError::Read {
        path: PathBuf::new(),
        source: std::io::Error::new(source.kind(), why),
    }
}

/// How much of the file is read at a time.
const READ_BUFFER: usize = 256 * 1024;

/// The most of the file read to tell its shape: the first two non-blank lines, or
/// this much of them. No record comes near it; a longer first line is a page object
/// written on one line (or an array, whose first byte says so), and a longer line of
/// a file of one account per line is rejected.
const HEAD_LIMIT: u64 = MAX_RECORD_BYTES as u64;

/// Longest record an import reads, and the longest `PUT /api/users/{id}` body: the
/// largest person the directory takes (32 of each contact list at their longest) is
/// some 640 KB of JSON in other scripts than Latin.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;

/// The start of the file, read to tell its shape and then parsed like the rest.
struct Head {
    /// Everything read so far (after a byte-order mark), blank lines included.
    bytes: Vec<u8>,
    /// The first two non-blank lines, as ranges of `bytes`; a line cut at
    /// [`HEAD_LIMIT`] is not among them.
    lines: Vec<std::ops::Range<usize>>,
    /// Blank lines before the first record that were counted, not kept, once
    /// [`HEAD_LIMIT`] was reached: line numbers start after them.
    dropped_lines: usize,
}

impl Head {
    fn read(reader: &mut impl BufRead) -> std::io::Result<Self> {
        let mut head = Self {
            bytes: Vec::new(),
            lines: Vec::new(),
            dropped_lines: 0,
        };
        let mut from = 0;
        loop {
            let limit = HEAD_LIMIT.saturating_sub((head.bytes.len() - from) as u64);
            let read = reader
                .by_ref()
                .take(limit)
                .read_until(b'\n', &mut head.bytes)?;
            let line = &head.bytes[from..];
            let ended = line.ends_with(b"\n");
            if !ended && read > 0 && line.iter().all(u8::is_ascii_whitespace) {
                // A long run of blanks inside a line: JSON skips them, and they hold
                // no line break, so they need not be kept.
                head.bytes.truncate(from);
                continue;
            }
            let full = head.bytes.len() as u64 > HEAD_LIMIT;
            if ended && full && line.iter().all(u8::is_ascii_whitespace) {
                if !head.lines.is_empty() {
                    // No second record within the limit: the first alone decides.
                    return Ok(head);
                }
                // Blank lines without end before the first record: count them only.
                head.bytes.truncate(from);
                head.dropped_lines += 1;
                continue;
            }
            if !line.iter().all(u8::is_ascii_whitespace) {
                if !ended && read > 0 && line.len() as u64 >= HEAD_LIMIT {
                    return Ok(head);
                }
                head.lines.push(from..head.bytes.len());
                if head.lines.len() == 2 {
                    return Ok(head);
                }
            }
            if !ended {
                return Ok(head);
            }
            from = head.bytes.len();
        }
    }

    fn first_byte(&self) -> Option<u8> {
        self.bytes
            .iter()
            .copied()
            .find(|b| !b.is_ascii_whitespace())
    }

    /// One object per line when the first line is a whole object without `items`;
    /// anything else starting with `{` is a page object (often pretty-printed). A first
    /// line that does not parse but closes its object is a broken record when the next
    /// non-blank line is a whole record: a page's first line (`{`, `{"items": [`) never
    /// closes its object. So a broken first record is rejected alone, like one anywhere
    /// else, instead of turning the whole file into a bad page.
    fn is_ndjson(&self) -> bool {
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
        let mut lines = self.lines.iter().map(|r| &self.bytes[r.clone()]);
        // None: the first line is longer than any record.
        let Some(first) = lines.next() else {
            return false;
        };
        match serde_json::from_slice::<Probe>(first) {
            Ok(Probe { items }) => items.is_none(),
            // A broken record still closes its object on its line; a page's first line
            // (`{`, `{"items": [`) never does.
            Err(_) => first.trim_ascii_end().ends_with(b"}") && lines.next().is_some_and(record),
        }
    }
}

fn utf16_refused() -> DirectoryError {
    DirectoryError::Format(
        "the file is UTF-16 (as Windows PowerShell 5's Out-File and > write); \
         save it as UTF-8 (Out-File -Encoding utf8) and import it again"
            .into(),
    )
}

/// JSON in Latin-1 or Windows-1252 text: refused before anything is imported, where
/// the import would stop at the first accent in an array, or leave out each line with
/// one in a file of one account per line. A character cut at the end of what was read
/// is no error.
fn latin_refused(text: &[u8], marked: bool) -> Result<(), DirectoryError> {
    match std::str::from_utf8(text) {
        Err(e) if e.error_len().is_some() => Err(DirectoryError::Format(format!(
            "the file is not UTF-8: the byte at offset {} is {:#04x}{NOT_UTF8_HINT}",
            e.valid_up_to() + if marked { 3 } else { 0 },
            text[e.valid_up_to()]
        ))),
        _ => Ok(()),
    }
}

fn shape_refused() -> DirectoryError {
    DirectoryError::Format(
        "expected a page object with items, an array, or one object per line".into(),
    )
}

/// How much of a file [`check_start`] reads.
const START_CHECKED: u64 = 64 * 1024;

/// Refuses a file the import would refuse by its first bytes (empty, UTF-16, not
/// JSON), and leaves it at its start again: `import-users` asks before it opens the
/// database, so a file refused creates or migrates none. A file that starts with
/// more blank space than is read here is the import's to judge, and so is input that
/// cannot be read twice (a pipe, `/dev/stdin` fed by one): it is read once, as it is
/// imported. A folder fails the read here, before the database.
pub fn check_start(path: &Path, file: &mut std::fs::File) -> Result<(), DirectoryError> {
    use std::io::{Seek, SeekFrom};
    if file.stream_position().is_err() {
        return Ok(());
    }
    let mut lead = Vec::new();
    let read = file
        .by_ref()
        .take(START_CHECKED)
        .read_to_end(&mut lead)
        .and_then(|_| file.seek(SeekFrom::Start(0)));
    read.map_err(cannot_read(path))?;
    // As the import reads it: after a UTF-8 byte-order mark nothing is UTF-16.
    let (text, marked) = match lead.strip_prefix(b"\xEF\xBB\xBF") {
        Some(text) => (text, true),
        None => (lead.as_slice(), false),
    };
    if !marked && is_utf16(text) {
        return Err(utf16_refused());
    }
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[' | b'{') => latin_refused(text, marked),
        Some(_) => Err(shape_refused()),
        None if (lead.len() as u64) < START_CHECKED => {
            Err(DirectoryError::Format("the file is empty".into()))
        }
        None => Ok(()),
    }
}

/// Whether the file's first bytes are UTF-16's: its byte-order mark either way round,
/// or, without one, a zero byte beside the first character, which JSON's opening
/// `[`, `{` or whitespace in UTF-8 never has.
fn is_utf16(lead: &[u8]) -> bool {
    lead.starts_with(b"\xFF\xFE")
        || lead.starts_with(b"\xFE\xFF")
        || lead.get(..2).is_some_and(|first| first.contains(&0))
}

/// The first three bytes of the file, or none if they are a UTF-8 byte-order mark:
/// Windows tools (PowerShell's `-Encoding UTF8`) start UTF-8 with one.
fn without_byte_order_mark(reader: &mut impl BufRead) -> std::io::Result<Vec<u8>> {
    let mut lead = Vec::with_capacity(3);
    while lead.len() < 3 {
        let buffer = match reader.fill_buf() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other?,
        };
        if buffer.is_empty() {
            break;
        }
        let take = buffer.len().min(3 - lead.len());
        lead.extend_from_slice(&buffer[..take]);
        reader.consume(take);
    }
    if lead == b"\xEF\xBB\xBF" {
        lead.clear();
    }
    Ok(lead)
}

/// Reads one account a line. A bad line is a rejected record; a last line that breaks
/// off (no newline after it, its JSON unfinished) is a cut file, as in the other shapes.
/// `skipped` lines came before what `reader` gives.
fn read_ndjson(
    sink: &mut Sink<'_>,
    mut reader: impl BufRead,
    skipped: usize,
) -> Result<(), serde_json::Error> {
    let mut line = Vec::new();
    let mut n = skipped;
    loop {
        if sink.failure.is_some() {
            return Ok(());
        }
        line.clear();
        let read = reader
            .by_ref()
            .take(HEAD_LIMIT)
            .read_until(b'\n', &mut line)
            .map_err(serde_json::Error::io)?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        if !line.ends_with(b"\n") && line.len() as u64 >= HEAD_LIMIT {
            // No account is that long; reading on would hold the whole line in memory.
            let blank = line.iter().all(u8::is_ascii_whitespace);
            if !skip_line(&mut reader).map_err(serde_json::Error::io)? && blank {
                continue;
            }
            let why = format!("the line is longer than {HEAD_LIMIT} bytes");
            sink.record(Some(n), Err(why));
            continue;
        }
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let last = !line.ends_with(b"\n");
        let parsed = match serde_json::from_slice::<UserAccount>(&line) {
            Err(e) if e.is_eof() && last => return Err(e),
            parsed => parsed,
        };
        let account = parsed.map_err(|e| unparsed(&line, &e, sink.options.id_source));
        sink.record(Some(n), account);
    }
}

/// Why a record was refused. serde's "at line L column N" counts within the record
/// only (an array's records may span lines), which the report already names by its
/// line or position.
fn reason(e: &serde_json::Error) -> String {
    let mut why = e.to_string();
    if e.line() > 0
        && let Some(at) = why.rfind(" at line ")
    {
        why.truncate(at);
    }
    why
}

/// Why a record that did not parse was refused, named by the id it has where one can
/// be read (in an array, the record's number is all there is to find it by
/// otherwise); a record that is not UTF-8 is said to be so, with how to convert it.
fn unparsed(raw: &[u8], e: &serde_json::Error, source: IdSource) -> String {
    let mut why = reason(e);
    if std::str::from_utf8(raw).is_err() {
        why.push_str(": the record is not UTF-8 text");
        why.push_str(NOT_UTF8_HINT);
    }
    /// The fields an id is taken from, of any type: read apart from the rest, which
    /// is what failed.
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        external_reference_code: Option<serde_json::Value>,
        id: Option<serde_json::Value>,
        alternate_name: Option<serde_json::Value>,
    }
    let named = serde_json::from_slice::<Named>(raw).ok().and_then(|n| {
        // The field the id would have been taken from first, as a record that
        // parses is named, then any.
        let (erc, id, alt) = (n.external_reference_code, n.id, n.alternate_name);
        let order = match source {
            IdSource::Id => [id, erc, alt],
            IdSource::ScreenName => [alt, erc, id],
            IdSource::Auto | IdSource::ExternalReferenceCode => [erc, id, alt],
        };
        order.into_iter().find_map(|value| match value? {
            serde_json::Value::String(s) if !s.trim().is_empty() => Some(s),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        })
    });
    match named {
        Some(id) => about_account(&id, &why),
        None => why,
    }
}

/// A refusal's reason, naming the account by `id` (cut to a length a line can show).
fn about_account(id: &str, why: &str) -> String {
    format!("account {:?}: {why}", short_id(id))
}

/// `id` as a refusal shows it: its first 80 characters.
fn short_id(id: &str) -> String {
    id.chars().take(80).collect()
}

/// How to make a file of another encoding UTF-8, for the refusals that meet one.
const NOT_UTF8_HINT: &str = " (a file saved as Latin-1 or Windows-1252? convert it first: \
                             iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8)";

/// Reads past the next line break; true if what it read held more than blanks.
fn skip_line(reader: &mut impl BufRead) -> std::io::Result<bool> {
    let mut filled = false;
    loop {
        let buffer = match reader.fill_buf() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other?,
        };
        if buffer.is_empty() {
            return Ok(filled);
        }
        let end = buffer.iter().position(|&b| b == b'\n');
        let piece = &buffer[..end.unwrap_or(buffer.len())];
        filled |= !piece.iter().all(u8::is_ascii_whitespace);
        let used = end.map_or(buffer.len(), |at| at + 1);
        reader.consume(used);
        if end.is_some() {
            return Ok(filled);
        }
    }
}

/// People waiting to be written, and the text they hold.
#[derive(Default)]
struct Batch {
    people: Vec<Person>,
    /// The sum of their [`Person::text_bytes`].
    bytes: usize,
    /// Those of `people` whose accounts have ids the default choice passed over.
    twins: Vec<MaybeTwin>,
}

/// A person of the batch whose account also has other ids (see
/// [`UserAccount::passed_over_ids`]), and where the record was in the file.
struct MaybeTwin {
    /// Its place in [`Batch::people`].
    at: usize,
    record: usize,
    line: Option<usize>,
    others: Vec<(String, &'static str)>,
}

impl Batch {
    /// Adds `person`: `true` when the batch is full, at `most` people (one at least)
    /// or [`MAX_BATCH_BYTES`] of text.
    fn push(&mut self, person: Person, most: usize) -> bool {
        self.bytes += person.text_bytes();
        self.people.push(person);
        self.people.len() >= most.max(1) || self.bytes >= MAX_BATCH_BYTES
    }

    fn take(&mut self) -> Vec<Person> {
        self.bytes = 0;
        self.twins.clear();
        std::mem::take(&mut self.people)
    }
}

/// Collects valid people into batches and the rest into the report.
struct Sink<'a> {
    social: &'a Social,
    options: ImportOptions,
    batch: Batch,
    report: ImportReport,
    progress: &'a dyn ImportProgress,
    /// A storage failure: stops the import.
    failure: Option<DirectoryError>,
    /// The ids of deactivated accounts, to look up once every batch is stored.
    inactive_ids: Vec<(String, &'static str)>,
    /// With the default choice of id, the field each id of this run came from: two
    /// accounts whose ids agree from different fields (one's `externalReferenceCode`
    /// "1042", another's numeric `id` 1042) are two people, not one updated. Keyed by
    /// the id's hash, not the id: 24 bytes an id, some 13 MB for 300,000 people.
    id_fields: std::collections::HashMap<u64, &'static str>,
    id_hashing: std::collections::hash_map::RandomState,
    /// The batch being written while the next one is parsed: parsing and storing
    /// then share the two cores instead of taking turns. At most one is in flight,
    /// so batches are stored in file order.
    writing: Option<JoinHandle<Result<Upserted, SocialError>>>,
    /// What of an array's or page's JSON is being parsed, and the bytes read for it:
    /// see [`RecordBound`].
    reading: Rc<Reading>,
}

/// The value of an array or page object that the parser is in, and how much of the
/// file has been read for it. Between values nothing is counted.
#[derive(Default)]
struct Reading {
    /// What is read (for the error) and the most it may take.
    now: Cell<Option<(&'static str, u64)>>,
    taken: Cell<u64>,
}

impl Reading {
    /// Runs `parse` with what it reads bounded at `limit` bytes, named `what` in the
    /// error past it.
    fn within<T>(&self, what: &'static str, limit: u64, parse: impl FnOnce() -> T) -> T {
        self.now.set(Some((what, limit)));
        self.taken.set(0);
        let parsed = parse();
        self.now.set(None);
        parsed
    }
}

/// The most of the file a value beside a page's `items` may take. It is read past,
/// not kept, but the parser keeps a byte for each level of nesting it is in, so a
/// value of endless `[` would otherwise hold the whole file.
const SKIPPED_LIMIT: u64 = 64 * 1024 * 1024;

/// The reader under the JSON parser of an array or page object. The parser holds one
/// record's whole value before the record is checked, so a single record of hundreds
/// of megabytes would be held whole; past [`HEAD_LIMIT`] bytes read for one record,
/// the read fails and the import stops there, saying how far it got. A record cannot
/// be skipped as an over-long line is: where it ends is known only by parsing it.
/// A page's keys are held while read, so they are bounded the same way; its other
/// values are read past, and bounded by [`SKIPPED_LIMIT`].
struct RecordBound<R> {
    inner: R,
    reading: Rc<Reading>,
}

/// What the parser's buffer reads ahead of it. The bound counts what was read, not
/// what the parser took: what was read ahead for the next record is counted with the
/// one before, or not at all when the count starts afresh, so a record is refused
/// somewhere between 1 MiB and 1 MiB plus twice this.
const RECORD_READ_AHEAD: u64 = 8 * 1024;

impl<R: Read> RecordBound<R> {
    /// The parser takes a byte at a time: through a buffer, not a read call per byte.
    fn buffered(self) -> BufReader<Self> {
        BufReader::with_capacity(RECORD_READ_AHEAD as usize, self)
    }
}

impl<R: Read> Read for RecordBound<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let Some((what, limit)) = self.reading.now.get() else {
            return Ok(n);
        };
        let taken = self.reading.taken.get() + n as u64;
        self.reading.taken.set(taken);
        if taken > limit + RECORD_READ_AHEAD {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{what} is longer than {limit} bytes"),
            ));
        }
        Ok(n)
    }
}

impl Sink<'_> {
    fn record(&mut self, line: Option<usize>, account: Result<UserAccount, String>) {
        self.report.records += 1;
        self.progress.records_read(self.report.records);
        let account = match account {
            Ok(account) => account,
            Err(reason) => return self.report.reject(line, reason),
        };
        if account.is_inactive() {
            self.report.inactive += 1;
            if let Some((id, field)) = account.portal_id_and_field(self.options.id_source) {
                if self.inactive_ids.len() < MAX_INACTIVE_LOOKED_UP {
                    self.inactive_ids.push((id, field));
                } else {
                    self.report.inactive_not_looked_up += 1;
                }
            }
            return;
        }
        match account.to_person(self.options.id_source) {
            Ok(person) => {
                if self.options.id_source == IdSource::Auto
                    && let Some((_, field)) = account.portal_id_and_field(IdSource::Auto)
                {
                    let key = self.id_key(&person.id);
                    match self.id_fields.get(&key) {
                        // The same account again, its id now taken from another of
                        // its fields, is an update as ever.
                        Some(before)
                            if *before != field && !account.has_id_in(before, &person.id) =>
                        {
                            let why = format!(
                                "an earlier record of this file has this id as its {before}, \
                                 this one as its {field}: two accounts, which one person would \
                                 stand for; pick the field your portal's tokens carry with \
                                 --id-field"
                            );
                            return self.report.reject(line, about_account(&person.id, &why));
                        }
                        Some(_) => {}
                        None => {
                            self.id_fields.insert(key, field);
                        }
                    }
                }
                if self.options.id_source == IdSource::Auto {
                    let others = account.passed_over_ids(&person.id);
                    if !others.is_empty() {
                        self.batch.twins.push(MaybeTwin {
                            at: self.batch.people.len(),
                            record: self.report.records,
                            line,
                            others,
                        });
                    }
                }
                if self.batch.push(person, self.options.batch) {
                    self.flush();
                }
            }
            // Named by its id where it has one: in an array or a page object the
            // record's number is all there is to find it by otherwise.
            Err(reason) => {
                // The id it would have been stored under, else any it has.
                let id = account
                    .portal_id(self.options.id_source)
                    .or_else(|| account.portal_id(IdSource::Auto));
                let reason = match id {
                    Some(id) => about_account(&id, &reason),
                    None => reason,
                };
                self.report.reject(line, reason);
            }
        }
    }

    /// Hands the full batch to a writer thread once the previous one is stored.
    fn flush(&mut self) {
        self.settle();
        if self.batch.people.is_empty() || self.failure.is_some() {
            return;
        }
        self.refuse_twins();
        let batch = self.batch.take();
        if batch.is_empty() || self.failure.is_some() {
            return;
        }
        let social = self.social.clone();
        self.writing = Some(std::thread::spawn(move || social.upsert_people(batch)));
    }

    /// The key of `id` in [`Self::id_fields`].
    fn id_key(&self, id: &str) -> u64 {
        use std::hash::{BuildHasher, Hasher};
        let mut hasher = self.id_hashing.build_hasher();
        hasher.write(id.as_bytes());
        hasher.finish()
    }

    /// With the default choice of id, refuses each account the directory holds under
    /// another of its ids and not under the one chosen: stored, it would be a second
    /// person beside the one whose relations and sign-ins are under that id (an
    /// export that gained `externalReferenceCode`s, a first import run with `--id-field
    /// id`). Looked up once the batches before are stored, and beside the earlier
    /// records of this batch, so that any earlier record of this file counts as held.
    fn refuse_twins(&mut self) {
        if self.batch.twins.is_empty() {
            return;
        }
        let reader = match self.social.read() {
            Ok(reader) => reader,
            Err(e) => {
                self.failure = Some(e.into());
                return;
            }
        };
        // Held: stored by an earlier batch (the id's index row alone, not the person's
        // record), or an earlier record of this batch, which is stored with it.
        let mut earlier: std::collections::HashSet<&str> = std::collections::HashSet::new();
        let mut refused: Vec<usize> = Vec::new();
        let mut people = self.batch.people.iter().enumerate();
        for twin in &self.batch.twins {
            for (at, person) in people.by_ref() {
                if at == twin.at {
                    break;
                }
                earlier.insert(&person.id);
            }
            let Some(person) = self.batch.people.get(twin.at) else {
                continue;
            };
            let held = |id: &str| -> Result<bool, StoreError> {
                Ok(earlier.contains(id) || reader.user_id(id)?.is_some())
            };
            let found = held(&person.id).and_then(|held_here| {
                if held_here {
                    return Ok(None);
                }
                for (other, field) in &twin.others {
                    if held(other)? {
                        return Ok(Some((other, *field)));
                    }
                }
                Ok(None)
            });
            let (other, field) = match found {
                Ok(Some(found)) => found,
                Ok(None) => {
                    earlier.insert(&person.id);
                    continue;
                }
                Err(e) => {
                    self.failure = Some(SocialError::Store(e).into());
                    return;
                }
            };
            let option = match field {
                "id" => "id",
                "alternateName" => "screen-name",
                _ => "external-reference-code",
            };
            let why = format!(
                "the directory holds someone under this account's {field} {other:?}, and no \
                 one under {:?}; import with --id-field {option} (the ids your \
                 portal's tokens carry), or it would be a second person beside that one",
                short_id(&person.id)
            );
            let reason = about_account(&person.id, &why);
            self.report.reject_at(twin.record, twin.line, reason);
            refused.push(twin.at);
        }
        if !refused.is_empty() {
            let people = std::mem::take(&mut self.batch.people);
            // The batch's bytes count toward when it is full; it is handed on now.
            self.batch.people = people
                .into_iter()
                .enumerate()
                .filter(|(at, _)| !refused.contains(at))
                .map(|(_, person)| person)
                .collect();
        }
    }

    /// Waits for the batch in flight, if any, and records how it went.
    fn settle(&mut self) {
        let Some(writing) = self.writing.take() else {
            return;
        };
        match writing.join() {
            Ok(Ok(stored)) => {
                self.report.imported += stored.added + stored.updated;
                self.report.updated += stored.updated;
            }
            Ok(Err(e)) => self.failure = Some(e.into()),
            Err(_) => self.failure = Some(SocialError::Store(StoreError::WriterGone).into()),
        }
    }

    /// One element of an array, as the file has it. Parsed as a line of a file of one
    /// account per line is, so the three shapes accept and refuse the same records
    /// (a tree of values first would refuse nesting deeper than 128 as a broken file).
    fn take_raw(&mut self, raw: &RawValue) {
        let account = serde_json::from_str::<UserAccount>(raw.get())
            .map_err(|e| unparsed(raw.get().as_bytes(), &e, self.options.id_source));
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
        loop {
            let next = self.reading.within("a record", HEAD_LIMIT, || {
                seq.next_element::<Box<RawValue>>()
            });
            let Some(raw) = next? else {
                break;
            };
            self.take_raw(&raw);
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

/// A paging key's value: a whole number, or `None` for anything else, which is read
/// past without being kept.
struct PageNumber(Option<u64>);

impl<'de> Deserialize<'de> for PageNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Number;
        impl<'de> Visitor<'de> for Number {
            type Value = PageNumber;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any value")
            }
            fn visit_u64<E>(self, n: u64) -> Result<PageNumber, E> {
                Ok(PageNumber(Some(n)))
            }
            fn visit_i64<E>(self, n: i64) -> Result<PageNumber, E> {
                Ok(PageNumber(u64::try_from(n).ok()))
            }
            fn visit_f64<E>(self, _: f64) -> Result<PageNumber, E> {
                Ok(PageNumber(None))
            }
            fn visit_bool<E>(self, _: bool) -> Result<PageNumber, E> {
                Ok(PageNumber(None))
            }
            fn visit_str<E>(self, _: &str) -> Result<PageNumber, E> {
                Ok(PageNumber(None))
            }
            fn visit_unit<E>(self) -> Result<PageNumber, E> {
                Ok(PageNumber(None))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<PageNumber, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(PageNumber(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<PageNumber, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(PageNumber(None))
            }
        }
        d.deserialize_any(Number)
    }
}

/// Where a page object's paging key goes, for `page`, `lastPage` and `totalCount`.
fn paging_key<'p>(paging: &'p mut PageOf, key: &str) -> Option<&'p mut Option<u64>> {
    match key {
        "page" => Some(&mut paging.page),
        "lastPage" => Some(&mut paging.last_page),
        "totalCount" => Some(&mut paging.total_count),
        _ => None,
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
        let mut an_account = false;
        // An error answer of Liferay's API saved in place of the accounts has one.
        let mut problem_title: Option<String> = None;
        let mut paging = PageOf::default();
        let reading = Rc::clone(&self.sink.reading);
        loop {
            let key = reading.within("a key of the page object", HEAD_LIMIT, || {
                map.next_key::<std::borrow::Cow<'de, str>>()
            });
            let Some(key) = key? else {
                break;
            };
            an_account |= ACCOUNT_KEYS.contains(&key.as_ref());
            if key == "items" && !found {
                found = true;
                // Bounded until its first record starts (each record then is): an
                // `items` that is not an array is read whole to say what it is.
                reading.within("the value of items", HEAD_LIMIT, || {
                    map.next_value_seed(&mut *self.sink)
                })?;
            } else if key == "title" && problem_title.is_none() {
                let title = reading.within("a value of the page object", SKIPPED_LIMIT, || {
                    map.next_value::<serde_json::Value>()
                })?;
                problem_title = Some(match title {
                    serde_json::Value::String(text) => text.chars().take(120).collect(),
                    other => other.to_string().chars().take(120).collect(),
                });
            } else if let Some(slot) = paging_key(&mut paging, &key) {
                // A number, as Liferay writes it; anything else says nothing, and is
                // read past as any other value beside `items` is, not kept.
                let PageNumber(value) =
                    reading.within("a value of the page object", SKIPPED_LIMIT, || {
                        map.next_value::<PageNumber>()
                    })?;
                *slot = value;
            } else {
                reading.within("a value of the page object", SKIPPED_LIMIT, || {
                    map.next_value::<IgnoredAny>()
                })?;
            }
        }
        if paging != PageOf::default() {
            self.sink.report.page = Some(paging);
        }
        match (found, an_account) {
            (true, _) => Ok(()),
            (false, false) if problem_title.is_some() => Err(serde::de::Error::custom(format!(
                "not accounts but an error answer of Liferay's API ({:?}): export the accounts again as a user allowed to read them",
                problem_title.unwrap_or_default()
            ))),
            // One account saved on its own, or accounts one after another as
            // `jq '.items[]'` prints them: told how to give them in a shape it reads.
            (false, true) => Err(serde::de::Error::custom(
                "the file starts with one account, not a page object with items: give one account per line (`jq -c '.items[]'`), or an array (`jq '.items'`)",
            )),
            (false, false) => Err(serde::de::Error::custom("the page object has no items")),
        }
    }
}

/// Fields of a `UserAccount` that a page object does not have: an object with any of
/// them is an account.
const ACCOUNT_KEYS: [&str; 6] = [
    "id",
    "externalReferenceCode",
    "alternateName",
    "givenName",
    "familyName",
    "emailAddress",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A batch is full at its count, or earlier at `MAX_BATCH_BYTES` of text, and
    /// starts empty again once taken.
    #[test]
    fn a_late_rejection_keeps_the_list_in_file_order_and_the_first_ones() {
        let mut report = ImportReport::default();
        for record in 2..=MAX_LISTED_REJECTIONS + 1 {
            report.reject_at(record, None, format!("r{record}"));
        }
        // Full: one found late for an earlier record takes the last one's place.
        report.reject_at(1, None, "r1".into());
        assert_eq!(report.rejected.len(), MAX_LISTED_REJECTIONS);
        assert_eq!(report.rejected[0].record, 1);
        assert_eq!(
            report.rejected.last().map(|r| r.record),
            Some(MAX_LISTED_REJECTIONS)
        );
        assert_eq!(report.rejected_unlisted, 1);
        // One for a later record than all listed is counted only.
        report.reject_at(MAX_LISTED_REJECTIONS + 5, None, "late".into());
        assert_eq!(
            report.rejected.last().map(|r| r.record),
            Some(MAX_LISTED_REJECTIONS)
        );
        assert_eq!(report.rejected_count(), MAX_LISTED_REJECTIONS + 2);
    }

    #[test]
    fn a_batch_is_full_at_its_count_or_its_bytes() {
        let named = |i: usize| Person {
            id: format!("p{i}"),
            given_name: "Pat".into(),
            ..Person::default()
        };
        let mut batch = Batch::default();
        assert!(!batch.push(named(1), 3));
        assert!(!batch.push(named(2), 3));
        assert!(batch.push(named(3), 3));
        assert_eq!(batch.take().len(), 3);
        assert_eq!((batch.people.len(), batch.bytes), (0, 0));
        assert!(batch.push(named(4), 0), "a batch holds one person at least");
        batch.take();

        // People of 100 KB each: the bytes fill the batch long before the count.
        let large = |i: usize| Person {
            job_title: "j".repeat(100 * 1024),
            ..named(i)
        };
        let mut held = 0;
        let mut pushed = 0;
        loop {
            let person = large(pushed);
            held += person.text_bytes();
            pushed += 1;
            let full = batch.push(person, DEFAULT_BATCH);
            assert_eq!(
                full,
                held >= MAX_BATCH_BYTES,
                "after {pushed}, {held} bytes"
            );
            if full {
                break;
            }
        }
        assert!(pushed < DEFAULT_BATCH / 10, "{pushed}");
        assert_eq!(batch.take().len(), pushed);
        // Exactly at the bound is full; a byte short is not.
        let sized = |bytes: usize| Person {
            id: "x".repeat(bytes),
            ..Person::default()
        };
        assert!(!batch.push(sized(MAX_BATCH_BYTES - 1), DEFAULT_BATCH));
        assert!(batch.push(sized(1), DEFAULT_BATCH));
        assert_eq!(batch.take().len(), 2);
    }

    /// The head holds at most about a mebibyte, whatever comes before the first
    /// record: blank lines past it are counted, a blank run within a line dropped.
    #[test]
    fn the_head_is_bounded_whatever_precedes_the_first_record() {
        let record = "{\"id\": 1}\n{\"id\": 2}\n";
        let lines = 3 * HEAD_LIMIT as usize;
        for (lead, dropped) in [
            ("\n".repeat(lines), true),
            (" ".repeat(lines) + "\n", false),
            ("\r\n".repeat(lines / 2), true),
        ] {
            let text = format!("{lead}{record}");
            let mut reader = text.as_bytes();
            let head = Head::read(&mut reader).expect("read");
            assert!(
                head.bytes.len() as u64 <= HEAD_LIMIT + 64,
                "{} bytes held",
                head.bytes.len()
            );
            assert_eq!(head.lines.len(), 2, "both records seen");
            assert!(head.is_ndjson());
            assert_eq!(head.dropped_lines > 0, dropped);
            let kept = head.bytes.iter().filter(|&&b| b == b'\n').count();
            let all = lead.matches('\n').count() + 2;
            assert_eq!(kept + head.dropped_lines, all, "every line counted once");
        }
    }

    /// A database that fails while an import stores its people is the database's
    /// failure, said with how far the import got, not the input file's.
    #[test]
    fn a_storage_failure_says_how_far_the_import_got() {
        use crate::store::flaky_disk::FlakyDisk;
        use std::sync::atomic::Ordering;
        let disk = FlakyDisk::new();
        let failing = std::sync::Arc::clone(&disk.failing);
        let social = Social::open_on(disk, FlakyDisk::uncached()).expect("open");
        failing.store(true, Ordering::SeqCst);
        let text = br#"[{"id": 1, "givenName": "Ann"}, {"id": 2, "givenName": "Bo"}]"#;
        let hidden = ProgressBar::hidden();
        let error = import_slice(&social, text, ImportOptions::default(), &hidden)
            .expect_err("nothing could be stored");
        assert!(
            matches!(
                error,
                DirectoryError::Storing {
                    records: 2,
                    imported: 0,
                    ..
                }
            ),
            "{error:?}"
        );
        assert!(
            error
                .to_string()
                .ends_with("(after 2 record(s), 0 imported)"),
            "{error}"
        );
    }
}
