//! A small, defensive XML reader for descriptors: it turns a file into a tree of
//! [`Node`]s with 1-based line:column positions, and refuses what a descriptor never
//! needs and an attacker might use (oversized files, entity declarations, deep nesting).
//!
//! Entities are never expanded: only the five predefined ones and character references
//! are resolved, so an "entity bomb" is a [`Problem`], not a memory blow-up.

use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::model::Problem;

/// Largest descriptor the host reads. Real descriptors are a few KiB; the TCK's biggest
/// `portlet.xml` is under 100 KiB.
pub const MAX_DESCRIPTOR_BYTES: usize = 1024 * 1024;

/// Deepest element nesting accepted; descriptors nest four or five levels.
const MAX_DEPTH: usize = 64;

/// Most elements accepted in one file, so a flat flood cannot exhaust memory either.
const MAX_ELEMENTS: usize = 100_000;
/// Most attributes on one element. Descriptors use a handful; quick-xml's duplicate
/// check is quadratic in the count, so a tag with a hundred thousand would take
/// seconds.
const MAX_ATTRIBUTES: usize = 64;

/// Where something sits in a file, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

/// One element: its local name (prefix dropped), attributes, direct text and children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    /// Qualified attribute names (`xmlns`, `xsi:schemaLocation`, `version`) and values.
    pub attrs: Vec<(String, String)>,
    /// The element's own text, untrimmed (child elements' text excluded).
    pub text: String,
    pub children: Vec<Node>,
    pub pos: Pos,
    /// The namespace prefix of the element name, if any (`p` in `<p:portlet>`).
    pub prefix: Option<String>,
}

impl Node {
    fn new(start: &BytesStart<'_>, pos: Pos) -> Self {
        let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
        let prefix = start
            .name()
            .prefix()
            .map(|p| String::from_utf8_lossy(p.as_ref()).into_owned());
        Self {
            name,
            attrs: Vec::new(),
            text: String::new(),
            children: Vec::new(),
            pos,
            prefix,
        }
    }

    /// An attribute's value by qualified name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The text without XML's white space around it (space, tab, CR, LF): a
    /// no-break space or an ideographic space is text, as the schemas' types take it.
    pub fn value(&self) -> &str {
        xml_trim(&self.text)
    }

    /// Children named `name`.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// The first child named `name`.
    pub fn first(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The trimmed text of the first child named `name`.
    pub fn text_of(&self, name: &str) -> Option<&str> {
        self.first(name).map(Node::value)
    }

    /// The trimmed text of the child named `name` in English, the one language the
    /// host describes a widget in: the first such child without `xml:lang` or with an
    /// English one (`en`, `en-US`), else the first of them. Portlet 3.0 descriptors
    /// may give a title per language, in any order.
    pub fn english_text_of<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        let english = |n: &&Node| {
            n.attr("xml:lang").is_none_or(|lang| {
                let lang = lang.trim();
                lang.eq_ignore_ascii_case("en")
                    || lang.get(..3).is_some_and(|p| {
                        p.eq_ignore_ascii_case("en-") || p.eq_ignore_ascii_case("en_")
                    })
            })
        };
        self.all(name)
            .find(english)
            .or_else(|| self.first(name))
            .map(Node::value)
    }
}

/// `text` without XML's white space around it (space, tab, CR, LF).
pub(crate) fn xml_trim(text: &str) -> &str {
    text.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// `text` trimmed, each run of XML's white space inside it made one space: the
/// schemas' collapsed strings (`portlet:string`).
pub(crate) fn xml_collapse(text: &str) -> String {
    text.split([' ', '\t', '\r', '\n'])
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Maps byte offsets to line:column (columns count characters, not bytes).
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
    /// The last position asked for (byte offset, its column's character count): the
    /// parser asks in increasing order, so counting goes on from there instead of from
    /// the start of the line. A file on one long line would otherwise be counted again
    /// for each of its elements.
    last: std::cell::Cell<(usize, usize)>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        // XML ends a line at LF, CR LF or a CR alone (section 2.11): a file saved
        // with old Mac line ends is not all one line.
        let bytes = text.as_bytes();
        let mut starts = vec![0];
        starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(i, &b)| b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n')))
                .map(|(i, _)| i + 1),
        );
        Self {
            text,
            starts,
            last: std::cell::Cell::new((0, 0)),
        }
    }

    fn pos(&self, offset: u64) -> Pos {
        let offset = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        let line = match self.starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let start = self.starts.get(line).copied().unwrap_or(0);
        let (last_offset, last_column) = self.last.get();
        let (from, counted) = if last_offset >= start && last_offset <= offset {
            (last_offset, last_column)
        } else {
            (start, 0)
        };
        let column = counted
            + self
                .text
                .get(from..offset)
                .map_or(offset.saturating_sub(from), |s| s.chars().count());
        self.last.set((offset, column));
        Pos {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }
}

/// `value` as a message quotes it: cut after 80 characters. A value repeated in many
/// messages (a portlet's name in each of its problems) then costs little each time.
pub fn shown(value: &str) -> std::borrow::Cow<'_, str> {
    match value.char_indices().nth(80) {
        None => value.into(),
        Some((cut, _)) => format!("{}…", &value[..cut]).into(),
    }
}

/// Builds a problem about `file`.
pub fn problem(file: &Path, pos: Pos, element: &str, message: String, fix: String) -> Problem {
    Problem {
        file: file.to_path_buf(),
        line: pos.line,
        column: pos.column,
        element: element.to_owned(),
        message,
        fix,
        unlisted: 0,
    }
}

/// Parses a descriptor into its root element, or the first reason it cannot be read.
pub fn parse(file: &Path, bytes: &[u8]) -> Result<Node, Problem> {
    let whole = |message: String, fix: &str| {
        problem(
            file,
            Pos { line: 1, column: 1 },
            "",
            message,
            fix.to_owned(),
        )
    };
    if bytes.len() > MAX_DESCRIPTOR_BYTES {
        return Err(whole(
            // Only the limit's worth and a byte are read of a file from disk, so its
            // length is not known here, only that it is past the limit.
            format!(
                "file is over {MAX_DESCRIPTOR_BYTES} bytes; descriptors may be at most {MAX_DESCRIPTOR_BYTES} bytes"
            ),
            "descriptors are small XML files: remove generated or pasted content",
        ));
    }
    let decoded = decode(bytes).map_err(|(message, fix)| whole(message, fix))?;
    if let Some(text) = decoded {
        return build(file, &text);
    }
    let marked = bytes.starts_with(b"\xEF\xBB\xBF");
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes).map_err(|e| {
        // The bad byte's line and column, counted over the valid text before it.
        let valid = std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default();
        problem(
            file,
            Lines::new(valid).pos(valid.len() as u64),
            "",
            // The offset in the file, its byte-order mark counted.
            format!(
                "file is not UTF-8 (invalid byte at offset {})",
                e.valid_up_to() + if marked { 3 } else { 0 }
            ),
            "save the descriptor as UTF-8".to_owned(),
        )
    })?;
    build(file, text)
}

/// The tree of a decoded descriptor. A character XML 1.0 does not allow anywhere
/// (section 2.2: a control character other than tab, line feed and carriage return,
/// or U+FFFE, U+FFFF) is refused where it stands, as any XML parser refuses it: a
/// file Liferay would not deploy is not reported as valid here.
fn build(file: &Path, text: &str) -> Result<Node, Problem> {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| !is_xml_char(c)) {
        return Err(problem(
            file,
            Lines::new(text).pos(at as u64),
            "",
            format!("character U+{:04X} is not allowed in XML", u32::from(c)),
            "remove it: of the control characters XML allows only tab, line feed and carriage return".to_owned(),
        ));
    }
    TreeBuilder::new(file, text).run()
}

/// XML 1.0's `Char` (section 2.2). A Rust `char` is never a surrogate, so what is
/// left to refuse is the C0 controls but three, and the two non-characters.
fn is_xml_char(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// The text of a descriptor that is not in UTF-8, read as XML 1.0 (appendix F) says:
/// a UTF-16 byte-order mark first, else a declaration begun in UTF-16 without one
/// (`<?` as two 16-bit units), then the declaration's `encoding`. `None` for UTF-8
/// (declared so, or by default), which is read in place. Besides UTF-8 the host reads
/// UTF-16 and ISO-8859-1 (Latin-1, whose bytes are the first 256 code points); another
/// declared encoding is refused by name, since a guess would misread its letters.
fn decode(bytes: &[u8]) -> Result<Option<String>, (String, &'static str)> {
    const SAVE_AS_UTF8: &str = "save the descriptor as UTF-8";
    let units = |skip: usize, pair: fn([u8; 2]) -> u16| {
        let units = bytes[skip..].chunks(2).map(|c| match *c {
            [a, b] => pair([a, b]),
            // An odd byte at the end: no whole character, so not valid UTF-16.
            _ => 0xD800,
        });
        char::decode_utf16(units)
            .collect::<Result<String, _>>()
            .map(Some)
            .map_err(|_| ("file is not valid UTF-16".to_owned(), SAVE_AS_UTF8))
    };
    match bytes {
        [0xFF, 0xFE, ..] => return units(2, u16::from_le_bytes),
        [0xFE, 0xFF, ..] => return units(2, u16::from_be_bytes),
        [b'<', 0, b'?', 0, ..] => return units(0, u16::from_le_bytes),
        [0, b'<', 0, b'?', ..] => return units(0, u16::from_be_bytes),
        _ => {}
    }
    // A UTF-8 byte-order mark decides over the declaration, as UTF-16's does.
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        return Ok(None);
    }
    let Some(encoding) = declared_encoding(bytes) else {
        return Ok(None);
    };
    match encoding.to_ascii_uppercase().as_str() {
        "UTF-8" | "UTF8" | "US-ASCII" | "ASCII" => Ok(None),
        // Its IANA names that an XML declaration can hold, as Xerces (Liferay's
        // parser) reads them; Java's own names it refuses, and so does the host.
        "ISO-8859-1" | "ISO_8859-1" | "LATIN1" | "L1" | "ISO-IR-100" | "IBM819" | "CP819"
        | "CSISOLATIN1" => Ok(Some(latin1(bytes))),
        // Windows' Western code page is Latin-1 but for 0x80–0x9F (curly quotes, the
        // euro sign...): read as Latin-1 when it holds none of those.
        "WINDOWS-1252" | "CP1252" if !bytes.iter().any(|b| (0x80..=0x9F).contains(b)) => {
            Ok(Some(latin1(bytes)))
        }
        _ => Err((
            format!(
                "file declares encoding=\"{}\"; descriptors are read in UTF-8, in UTF-16 \
                 (with its byte-order mark, or its declaration in UTF-16 first), or in \
                 ISO-8859-1",
                shown(&encoding)
            ),
            SAVE_AS_UTF8,
        )),
    }
}

/// Latin-1 bytes as text: each byte is the code point of the same number.
fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// The `encoding` of an XML declaration at the very start of `bytes`, if it has one.
/// The declaration is ASCII whatever the encoding it names (UTF-16 aside, which its
/// byte-order mark names first).
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    // `<?xml` and white space: not a processing instruction such as `<?xml-stylesheet`.
    let declaration = bytes.strip_prefix(b"<?xml")?;
    if !declaration.first()?.is_ascii_whitespace() {
        return None;
    }
    let end = declaration.windows(2).take(1024).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&declaration[..end]).ok()?;
    let after = &declaration[declaration.find("encoding")? + "encoding".len()..];
    let after = after.trim_start().strip_prefix('=')?.trim_start();
    let quote = after.chars().next().filter(|q| matches!(q, '"' | '\''))?;
    let value = &after[1..];
    Some(value[..value.find(quote)?].to_owned())
}

struct TreeBuilder<'a> {
    file: &'a Path,
    lines: Lines<'a>,
    reader: Reader<&'a [u8]>,
    stack: Vec<Node>,
    root: Option<Node>,
    elements: usize,
    /// Whether a DOCTYPE was read: XML allows one, before the root element.
    doctype: bool,
}

impl<'a> TreeBuilder<'a> {
    fn new(file: &'a Path, text: &'a str) -> Self {
        let mut reader = Reader::from_str(text);
        let config = reader.config_mut();
        config.trim_text(false);
        config.check_end_names = true;
        // `--` inside a comment is not XML (section 2.5), and xmllint refuses it.
        config.check_comments = true;
        config.expand_empty_elements = false;
        Self {
            file,
            lines: Lines::new(text),
            reader,
            stack: Vec::new(),
            root: None,
            elements: 0,
            doctype: false,
        }
    }

    fn fail(&self, offset: u64, element: &str, message: String, fix: &str) -> Problem {
        problem(
            self.file,
            self.lines.pos(offset),
            element,
            message,
            fix.to_owned(),
        )
    }

    fn current_name(&self) -> String {
        self.stack
            .last()
            .map(|n| n.name.clone())
            .unwrap_or_default()
    }

    fn run(mut self) -> Result<Node, Problem> {
        loop {
            let before = self.reader.buffer_position();
            let event = match self.reader.read_event() {
                Ok(event) => event,
                Err(e) => {
                    let mut at = self.reader.error_position();
                    // quick-xml places a `--` in a comment after the comment's last
                    // single `-` before it: the first `--` inside the comment is it.
                    if matches!(
                        e,
                        quick_xml::Error::IllFormed(
                            quick_xml::errors::IllFormedError::DoubleHyphenInComment
                        )
                    ) {
                        let inside = before as usize + "<!--".len();
                        if let Some(found) =
                            self.lines.text.get(inside..).and_then(|t| t.find("--"))
                        {
                            at = (inside + found) as u64;
                        }
                    }
                    let element = self.current_name();
                    return Err(self.fail(
                        at,
                        &element,
                        format!("malformed XML: {e}"),
                        "fix the XML syntax at this position (an XML editor or `xmllint --noout` shows it)",
                    ));
                }
            };
            match event {
                Event::Start(start) => {
                    let node = self.open(&start, before)?;
                    if self.stack.len() >= MAX_DEPTH {
                        return Err(self.fail(
                            before,
                            &node.name,
                            format!("elements nest deeper than {MAX_DEPTH} levels"),
                            "descriptors nest a few levels only: remove the extra nesting",
                        ));
                    }
                    self.stack.push(node);
                }
                Event::Empty(start) => {
                    let node = self.open(&start, before)?;
                    self.close(node, before)?;
                }
                Event::End(_) => match self.stack.pop() {
                    Some(node) => self.close(node, before)?,
                    None => {
                        return Err(self.fail(
                            before,
                            "",
                            "closing tag without an opening tag".into(),
                            "remove the stray closing tag",
                        ));
                    }
                },
                Event::Text(t) => {
                    // With XML 1.0's line ends: a CR LF or a lone CR reads as LF
                    // (section 2.11), so a file saved on Windows reads as any other.
                    // (`xml_content` would apply XML 1.1's, which also fold NEL and
                    // U+2028 into LF.)
                    let raw = t.xml10_content().map_err(|e| {
                        self.fail(
                            before,
                            "",
                            format!("undecodable text: {e}"),
                            "save the descriptor as UTF-8",
                        )
                    })?;
                    self.text(&raw, before)?;
                }
                // Character data is the root element's content (XML 1.0, section 2.1):
                // before or after it, only white space, comments and processing
                // instructions may stand, not a CDATA section or a reference.
                Event::CData(_) | Event::GeneralRef(_) if self.stack.is_empty() => {
                    return Err(self.fail(
                        before,
                        "",
                        "text outside the root element".into(),
                        "remove the stray text; everything belongs inside the root element",
                    ));
                }
                Event::CData(t) => {
                    let raw = t.xml10_content().map_err(|e| {
                        self.fail(
                            before,
                            "",
                            format!("undecodable CDATA: {e}"),
                            "save the descriptor as UTF-8",
                        )
                    })?;
                    self.text(&raw, before)?;
                }
                Event::GeneralRef(r) => {
                    let resolved = self.entity(&r, before)?;
                    self.text(&resolved, before)?;
                }
                Event::DocType(d) => {
                    // One, before the root element, and in capitals: what XML parsers
                    // (Liferay's too) take.
                    let written = self.lines.text.as_bytes().get(before as usize..);
                    if self.doctype
                        || self.root.is_some()
                        || !self.stack.is_empty()
                        || !written.is_some_and(|w| w.starts_with(b"<!DOCTYPE"))
                    {
                        return Err(self.fail(
                            before,
                            "",
                            "a DOCTYPE may stand once, written <!DOCTYPE, before the root element".into(),
                            "keep one <!DOCTYPE ...> line, after the XML declaration and before the root element",
                        ));
                    }
                    self.doctype = true;
                    let content = String::from_utf8_lossy(d.as_ref()).into_owned();
                    if content.contains("<!ENTITY") || content.contains('[') {
                        return Err(self.fail(
                            before,
                            "",
                            "DOCTYPE declares an internal subset (entities); descriptors may not declare entities and none are expanded".into(),
                            "keep only the public DOCTYPE line, e.g. <!DOCTYPE liferay-portlet-app PUBLIC \"-//Liferay//DTD Portlet Application 7.4.0//EN\" \"http://www.liferay.com/dtd/liferay-portlet-app_7_4_0.dtd\">",
                        ));
                    }
                }
                // XML allows the declaration only as the file's very first characters;
                // after a blank line or a comment its encoding would go unread, and
                // XML parsers (Liferay's too) refuse the file.
                Event::Decl(_) if before != 0 => {
                    return Err(self.fail(
                        before,
                        "",
                        "the XML declaration (<?xml ...?>) is not at the very start of the file"
                            .into(),
                        "remove what comes before <?xml (a blank line, spaces or a comment)",
                    ));
                }
                Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
                Event::Eof => break,
            }
        }
        if let Some(open) = self.stack.last() {
            let name = open.name.clone();
            let end = self.lines.text.len() as u64;
            return Err(self.fail(
                end,
                &name,
                format!("file ends inside <{name}> (truncated or still being copied?)"),
                "complete the file: every element must be closed",
            ));
        }
        match self.root.take() {
            Some(root) => Ok(root),
            None => Err(self.fail(
                0,
                "",
                "no root element".into(),
                "a descriptor is an XML document with one root element",
            )),
        }
    }

    fn open(&mut self, start: &BytesStart<'_>, at: u64) -> Result<Node, Problem> {
        self.elements += 1;
        let mut node = Node::new(start, self.lines.pos(at));
        if self.elements > MAX_ELEMENTS {
            return Err(self.fail(
                at,
                &node.name,
                format!("more than {MAX_ELEMENTS} elements"),
                "descriptors hold a handful of portlets: split or trim the file",
            ));
        }
        if self.stack.is_empty() && self.root.is_some() {
            return Err(self.fail(
                at,
                &node.name,
                format!("second root element <{}>", node.name),
                "an XML document has exactly one root element: remove or merge the extra one",
            ));
        }
        // Counted without checks first: the checked walk below is quadratic in the count.
        let mut unchecked = start.attributes();
        if unchecked.with_checks(false).nth(MAX_ATTRIBUTES).is_some() {
            return Err(self.fail(
                at,
                &node.name,
                format!("more than {MAX_ATTRIBUTES} attributes on one element"),
                "descriptor elements carry a few attributes at most: remove the extra ones",
            ));
        }
        for attr in start.attributes() {
            let attr = attr.map_err(|e| {
                self.fail(
                    at,
                    &node.name,
                    format!("malformed attribute: {e}"),
                    "write attributes as name=\"value\", each name once",
                )
            })?;
            let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
            let value = attr.unescape_value().map_err(|e| {
                self.fail(
                    at,
                    &node.name,
                    format!("attribute {key}: {e}"),
                    "only &lt; &gt; &amp; &apos; &quot; and character references (&#38;) may appear in values",
                )
            })?;
            if let Some(c) = value.chars().find(|&c| !is_xml_char(c)) {
                return Err(self.fail(
                    at,
                    &node.name,
                    format!("attribute {key} names U+{:04X}, which XML does not allow", u32::from(c)),
                    "remove the character reference: of the control characters XML allows only tab, line feed and carriage return",
                ));
            }
            node.attrs.push((key, value.into_owned()));
        }
        Ok(node)
    }

    fn close(&mut self, node: Node, at: u64) -> Result<(), Problem> {
        match self.stack.last_mut() {
            Some(parent) => parent.children.push(node),
            None => {
                if self.root.is_some() {
                    return Err(self.fail(
                        at,
                        &node.name,
                        "second root element".into(),
                        "an XML document has exactly one root element",
                    ));
                }
                self.root = Some(node);
            }
        }
        Ok(())
    }

    fn text(&mut self, text: &str, at: u64) -> Result<(), Problem> {
        match self.stack.last_mut() {
            Some(node) => node.text.push_str(text),
            // XML's white space only (section 2.3): a no-break space is text.
            None if xml_trim(text).is_empty() => {}
            None => {
                return Err(self.fail(
                    at,
                    "",
                    "text outside the root element".into(),
                    "remove the stray text; everything belongs inside the root element",
                ));
            }
        }
        Ok(())
    }

    fn entity(&self, r: &quick_xml::events::BytesRef<'_>, at: u64) -> Result<String, Problem> {
        let name = String::from_utf8_lossy(r.as_ref()).into_owned();
        if let Some(predefined) = quick_xml::escape::resolve_predefined_entity(&name) {
            return Ok(predefined.to_owned());
        }
        match r.resolve_char_ref() {
            Ok(Some(c)) if !is_xml_char(c) => Err(self.fail(
                at,
                &self.current_name(),
                format!("character reference &{name}; names U+{:04X}, which XML does not allow", u32::from(c)),
                "remove it: of the control characters XML allows only tab, line feed and carriage return",
            )),
            Ok(Some(c)) => Ok(c.to_string()),
            Ok(None) => Err(self.fail(
                at,
                &self.current_name(),
                format!("entity &{name}; is not expanded: descriptors may use only &lt; &gt; &amp; &apos; &quot; and character references"),
                "write the text itself instead of an entity",
            )),
            Err(e) => Err(self.fail(
                at,
                &self.current_name(),
                format!("bad character reference &{name};: {e}"),
                "use a valid character reference such as &#38;",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file nested past [`MAX_DEPTH`], or with more than [`MAX_ELEMENTS`], is one
    /// problem that says which limit, found without building the rest; one level and
    /// one element fewer parse.
    #[test]
    fn nesting_and_element_counts_are_bounded() {
        let nested = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(parse(Path::new("d.xml"), nested(MAX_DEPTH).as_bytes()).is_ok());
        let deep =
            parse(Path::new("d.xml"), nested(MAX_DEPTH + 1).as_bytes()).expect_err("too deep");
        assert!(
            deep.message.contains("nest deeper than 64 levels"),
            "{}",
            deep.message
        );
        let flat = |elements: usize| format!("<r>{}</r>", "<b/>".repeat(elements - 1));
        assert!(parse(Path::new("d.xml"), flat(MAX_ELEMENTS).as_bytes()).is_ok());
        let many =
            parse(Path::new("d.xml"), flat(MAX_ELEMENTS + 1).as_bytes()).expect_err("too many");
        assert!(
            many.message.contains("more than 100000 elements"),
            "{}",
            many.message
        );
    }

    /// Lines end at LF, CR LF or a CR alone, and values lose XML's white space only.
    #[test]
    fn lines_end_as_xml_ends_them_and_values_keep_other_spaces() {
        for (text, line) in [
            ("<a>\r<b>\r<c></a>", 3),
            ("<a>\r\n<b>\r\n<c></a>", 3),
            ("<a>\n\n<b><c></a>", 3),
        ] {
            let bad = parse(Path::new("d.xml"), text.as_bytes()).expect_err("unclosed");
            assert_eq!(bad.line, line, "{text:?}: {}", bad.message);
        }
        let root = parse(
            Path::new("d.xml"),
            "<a><b>\u{a0}</b><c>\r\n\t x \n</c></a>".as_bytes(),
        )
        .expect("parses");
        assert_eq!(root.text_of("b"), Some("\u{a0}"));
        assert_eq!(root.text_of("c"), Some("x"));
    }

    /// The XML declaration is the file's first characters or an error, placed where it
    /// stands; after a byte-order mark it is still first.
    #[test]
    fn an_xml_declaration_after_anything_is_refused() {
        for late in [
            "\n<?xml version='1.0'?><a/>",
            "<!-- c --><?xml version='1.0'?><a/>",
        ] {
            let bad = parse(Path::new("d.xml"), late.as_bytes()).expect_err(late);
            assert!(
                bad.message.contains("not at the very start"),
                "{late:?}: {}",
                bad.message
            );
        }
        let bad = parse(Path::new("d.xml"), b"\n\n  <?xml version='1.0'?><a/>").expect_err("late");
        assert_eq!((bad.line, bad.column), (3, 3), "{}", bad.message);
        for first in [
            &b"<?xml version='1.0'?><a/>"[..],
            b"\xEF\xBB\xBF<?xml version='1.0'?>\n<a/>",
        ] {
            assert!(parse(Path::new("d.xml"), first).is_ok());
        }
    }

    /// Outside the root element stand only XML's white space, comments, processing
    /// instructions and one DOCTYPE before it, as xmllint and Xerces take a file: a
    /// no-break space, a reference or a CDATA section there is text, and a DOCTYPE
    /// in lower case, a second one or one after the root's start is refused.
    #[test]
    fn only_white_space_and_one_doctype_stand_outside_the_root() {
        for (text, said) in [
            ("<a/>\u{a0}", "text outside the root element"),
            ("\u{3000}<a/>", "text outside the root element"),
            ("&#32;<a/>", "text outside the root element"),
            ("<a/>&amp;", "text outside the root element"),
            ("<a/><![CDATA[ ]]>", "text outside the root element"),
            ("<!doctype a><a/>", "a DOCTYPE may stand once"),
            ("<!DOCTYPE a><!DOCTYPE a><a/>", "a DOCTYPE may stand once"),
            ("<a><!DOCTYPE a></a>", "a DOCTYPE may stand once"),
            ("<a/><!DOCTYPE a>", "a DOCTYPE may stand once"),
        ] {
            let bad = parse(Path::new("d.xml"), text.as_bytes()).expect_err(text);
            assert!(bad.message.contains(said), "{text:?}: {}", bad.message);
        }
        for good in [
            "<?xml version='1.0'?>\r\n<!DOCTYPE a PUBLIC \"-//x//EN\" \"http://x/a.dtd\">\n<a/>\n\t ",
            "<!-- c --><?pi x?><a>&amp;<![CDATA[<b>]]></a><!-- after -->\n",
        ] {
            assert!(
                parse(Path::new("d.xml"), good.as_bytes()).is_ok(),
                "{good:?}"
            );
        }
    }

    #[test]
    fn a_byte_that_is_not_utf8_is_placed_at_its_line_and_column() {
        let bad = parse(Path::new("d.xml"), b"<a>\n  \xc3\xa9\xff</a>").expect_err("not UTF-8");
        assert_eq!((bad.line, bad.column), (2, 4), "{}", bad.message);
        assert!(bad.message.contains("offset 8"), "{}", bad.message);
    }

    #[test]
    fn utf16_and_latin1_descriptors_are_read_and_other_encodings_named() {
        let text = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n<a><b>Café</b></a>";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        // Without a byte-order mark, its declaration's first two units tell it.
        let bare_le = le[2..].to_vec();
        let bare_be = be[2..].to_vec();
        for bytes in [le, be, bare_le, bare_be] {
            let root = parse(Path::new("p.xml"), &bytes).expect("UTF-16");
            assert_eq!(root.text_of("b"), Some("Café"));
            assert_eq!(root.children[0].pos, Pos { line: 2, column: 4 });
        }
        for name in ["ISO-8859-1", "iso-ir-100", "IBM819", "csISOLatin1"] {
            let latin1 = format!("<?xml version='1.0' encoding='{name}'?><a><b>Caf");
            let mut latin1 = latin1.into_bytes();
            latin1.extend_from_slice(b"\xe9</b></a>");
            let root = parse(Path::new("p.xml"), &latin1).expect(name);
            assert_eq!(root.text_of("b"), Some("Café"), "{name}");
        }
        // Java's own name, which Xerces refuses.
        let java = b"<?xml version='1.0' encoding='ISO8859_1'?><a><b>Caf\xe9</b></a>";
        let refused = parse(Path::new("p.xml"), java).expect_err("Java's name");
        assert!(refused.message.contains("ISO8859_1"), "{}", refused.message);
        // Declared UTF-8, or nothing declared: the bytes must be UTF-8.
        let utf8 = "<?xml version=\"1.0\" encoding=\"utf-8\"?><a><b>Café</b></a>";
        let root = parse(Path::new("p.xml"), utf8.as_bytes()).expect("UTF-8");
        assert_eq!(root.text_of("b"), Some("Café"));
        let cp1252 = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a><b>Caf\xe9</b></a>";
        let root = parse(Path::new("p.xml"), cp1252).expect("Windows-1252 within Latin-1");
        assert_eq!(root.text_of("b"), Some("Café"));
        let euro = b"<?xml version=\"1.0\" encoding=\"windows-1252\"?><a><b>\x80</b></a>";
        let refused = parse(Path::new("p.xml"), euro).expect_err("the euro sign");
        assert!(
            refused.message.contains("windows-1252"),
            "{}",
            refused.message
        );
        let sjis = b"<?xml version=\"1.0\" encoding=\"Shift_JIS\"?><a><b>\x83J</b></a>";
        let refused = parse(Path::new("p.xml"), sjis).expect_err("Shift_JIS");
        assert!(refused.message.contains("Shift_JIS"), "{}", refused.message);
        assert_eq!(refused.fix, "save the descriptor as UTF-8");
        // A UTF-8 mark decides over a declaration that says otherwise.
        let marked = "\u{feff}<?xml version='1.0' encoding='ISO-8859-1'?><a><b>Café</b></a>";
        let root = parse(Path::new("p.xml"), marked.as_bytes()).expect("the mark decides");
        assert_eq!(root.text_of("b"), Some("Café"));
        let odd = [0xFF, 0xFE, b'<', 0, b'a'];
        let refused = parse(Path::new("p.xml"), &odd).expect_err("cut UTF-16");
        assert!(refused.message.contains("UTF-16"), "{}", refused.message);
    }

    /// What XML 1.0 does not allow is refused, as xmllint and Liferay's parser refuse
    /// it, where it stands: a control character written or referred to, U+FFFE, a
    /// comment with `--` in it. Tab, line feed and carriage return are characters.
    #[test]
    fn characters_and_comments_xml_does_not_allow_are_refused_where_they_stand() {
        for (text, at, said) in [
            ("<a>\n<b>x\u{1}y</b></a>", (2, 5), "U+0001"),
            ("<a>\n<b>x&#1;y</b></a>", (2, 5), "U+0001"),
            ("<a>\n<b>x&#xFFFE;y</b></a>", (2, 5), "U+FFFE"),
            // A reference in an attribute is placed at its element.
            ("<a>\n<b c='&#x1F;'/></a>", (2, 1), "U+001F"),
            ("<a>\n<b c='\u{c}'/></a>", (2, 7), "U+000C"),
            ("<a>\n<!-- a -- b --></a>", (2, 8), "comment"),
            (
                "<a>\n<!-- liferay-display.xml\n portlet-name -- x --></a>",
                (3, 15),
                "comment",
            ),
        ] {
            let refused = parse(Path::new("x.xml"), text.as_bytes()).expect_err(text);
            assert_eq!(
                (
                    (refused.line, refused.column),
                    refused.message.contains(said)
                ),
                (at, true),
                "{text:?}: {refused:?}"
            );
        }
        let root = parse(
            Path::new("x.xml"),
            "<a>\t\r\n<b c='&#9;&#10;'>x&#13;\u{fffd}</b><!-- - --></a>".as_bytes(),
        )
        .expect("allowed");
        assert_eq!(root.text_of("b"), Some("x\r\u{fffd}"));
        // A file's offset counts its byte-order mark.
        let refused = parse(Path::new("x.xml"), b"\xEF\xBB\xBF<a>\xFF</a>").expect_err("not UTF-8");
        assert!(refused.message.contains("offset 6"), "{}", refused.message);
    }

    #[test]
    fn positions_are_one_based_lines_and_character_columns() {
        let text = "<a>\n  <b/>\n\t<é/><c/></a>";
        let root = parse(Path::new("x.xml"), text.as_bytes()).expect("well-formed");
        assert_eq!(root.pos, Pos { line: 1, column: 1 });
        assert_eq!(root.children[0].pos, Pos { line: 2, column: 3 });
        assert_eq!(root.children[1].pos, Pos { line: 3, column: 2 });
        assert_eq!(root.children[2].pos, Pos { line: 3, column: 6 });
    }

    #[test]
    fn columns_counted_on_from_the_last_position_match_a_fresh_count() {
        let text = "<a>é<b/>\n\tü<c/><d/>ß<e/>\n<f/>";
        let offsets: Vec<u64> = text.char_indices().map(|(i, _)| i as u64).collect();
        let shared = Lines::new(text);
        // In order, as the parser asks, then backwards and at random.
        let mut asked = offsets.clone();
        asked.extend(offsets.iter().rev());
        asked.extend([9, 2, 14, 0, 20, 3]);
        for offset in asked {
            assert_eq!(shared.pos(offset), Lines::new(text).pos(offset), "{offset}");
        }
    }

    #[test]
    fn an_element_with_too_many_attributes_is_refused() {
        let attrs: String = (0..65).map(|i| format!(" a{i}=\"\"")).collect();
        let err = parse(Path::new("x.xml"), format!("<a{attrs}/>").as_bytes())
            .expect_err("65 attributes");
        assert!(err.message.contains("more than 64 attributes"), "{err:?}");
        let attrs: String = (0..64).map(|i| format!(" a{i}=\"\"")).collect();
        assert!(parse(Path::new("x.xml"), format!("<a{attrs}/>").as_bytes()).is_ok());
    }

    #[test]
    fn predefined_and_character_references_resolve() {
        let root = parse(Path::new("x.xml"), b"<a>x &amp; &#65;&#x42;</a>").expect("ok");
        assert_eq!(root.value(), "x & AB");
    }

    #[test]
    fn truncated_file_is_a_problem() {
        let err = parse(Path::new("x.xml"), b"<a>\n<b>text").expect_err("truncated");
        assert!(err.message.contains("file ends inside <b>"), "{err:?}");
    }
}
