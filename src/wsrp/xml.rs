//! A small, bounded XML tree for SOAP requests, and a writer for SOAP answers.
//!
//! SOAP bodies here are a few kilobytes of nested elements, so a tree is the simplest
//! way to read them. The parser is deliberately strict about what can hurt the host:
//! DTDs are refused outright (so no entity can ever be declared, let alone expanded),
//! only the five predefined entities and character references are understood, and
//! size, depth and element count are capped before any allocation grows with them.

use std::collections::HashMap;
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

/// `xsi:` namespace, for `xsi:nil`.
pub const XSI_NS: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// Bounds on what a request may contain.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_elements: usize,
    /// Attributes of one element, namespace declarations included.
    pub max_attributes: usize,
    /// Attributes of the whole document, namespace declarations left out. Each one
    /// kept costs about 80 bytes: without this bound, a 512 KiB body of elements
    /// that each carry `max_attributes` would hold some 86,000 of them, 6–7 MB a
    /// request, before the registration is even looked at.
    pub max_total_attributes: usize,
    /// Namespace declarations in scope at once: quick-xml finds a prefix by scanning
    /// every binding in scope, once per element and prefixed attribute.
    pub max_namespaces_in_scope: usize,
    /// Bytes of one namespace name.
    pub max_namespace_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        // A SOAP request from a portal is a few KiB and about ten levels deep.
        Self {
            max_bytes: 512 * 1024,
            max_depth: 32,
            max_elements: 10_000,
            // WSRP elements carry a handful; the bound keeps quick-xml's duplicate
            // check, which compares each attribute with every earlier one, cheap.
            max_attributes: 64,
            // A WSRP request carries a few dozen.
            max_total_attributes: 2_048,
            // An envelope declares a handful, some clients again on many elements.
            max_namespaces_in_scope: 128,
            // Real ones are URLs and URNs well under 200 bytes.
            max_namespace_bytes: 1024,
        }
    }
}

/// Why a request body is not acceptable XML.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum XmlError {
    #[error("request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("elements are nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("more than {0} elements")]
    TooManyElements(usize),
    #[error("an element has more than {0} attributes")]
    TooManyAttributes(usize),
    #[error("more than {0} attributes")]
    TooManyAttributesInAll(usize),
    #[error("document type declarations are not accepted")]
    DocType,
    #[error("entity &{0}; is not declared")]
    UnknownEntity(String),
    #[error("request body is not UTF-8")]
    NotUtf8,
    #[error("prefix {0:?} is not bound to a namespace")]
    UnboundPrefix(String),
    #[error("a namespace name is longer than {0} bytes")]
    NamespaceTooLong(usize),
    #[error("more than {0} namespace declarations in scope")]
    TooManyNamespaces(usize),
    #[error("malformed XML: {0}")]
    Malformed(String),
    #[error("no root element")]
    Empty,
}

/// One attribute, its name resolved against the namespaces in scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attr {
    pub ns: Option<Arc<str>>,
    pub name: String,
    pub value: String,
}

/// One element with its namespace resolved, its attributes, children and text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// Shared by every element and attribute of the namespace ([`Namespaces`]).
    pub ns: Option<Arc<str>>,
    pub name: String,
    pub attrs: Vec<Attr>,
    pub children: Vec<Element>,
    /// The element's own character data, concatenated.
    pub text: String,
}

impl Element {
    /// The first child with this local name. WSRP element names are unique within
    /// their parent's type, so the local name is enough; consumers disagree on prefixes.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The child with this local name unless absent or `xsi:nil`.
    pub fn present(&self, name: &str) -> Option<&Element> {
        self.child(name).filter(|c| !c.is_nil())
    }

    /// Every child with this local name, in order.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Trimmed text of a present child.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.present(name).map(|c| c.text.trim())
    }

    /// An attribute by local name, whatever its namespace.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.name == name && a.ns.as_deref() != Some(XSI_NS))
            .map(|a| a.value.as_str())
    }

    /// Whether the element carries `xsi:nil="true"`.
    pub fn is_nil(&self) -> bool {
        self.attrs.iter().any(|a| {
            a.ns.as_deref() == Some(XSI_NS)
                && a.name == "nil"
                && matches!(a.value.trim(), "true" | "1")
        })
    }
}

/// Parses `body` into a tree, within `limits`.
pub fn parse(body: &[u8], limits: Limits) -> Result<Element, XmlError> {
    if body.len() > limits.max_bytes {
        return Err(XmlError::TooLarge(limits.max_bytes));
    }
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotUtf8)?;
    let mut reader = NsReader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut count = 0usize;
    let mut attributes = 0usize;
    let mut names = Namespaces::default();
    // Declarations of each open element, and their sum.
    let mut declared: Vec<usize> = Vec::new();
    let mut in_scope = 0usize;
    loop {
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError::Malformed(e.to_string()))?;
        // An element's own declarations are checked before its names are kept:
        // quick-xml has bound them and resolved the element's name by now, but
        // nothing has been copied yet.
        let own = match &event {
            Event::Start(start) | Event::Empty(start) => {
                let own = declarations(start, limits)?;
                if in_scope + own > limits.max_namespaces_in_scope {
                    return Err(XmlError::TooManyNamespaces(limits.max_namespaces_in_scope));
                }
                own
            }
            _ => 0,
        };
        let ns = names.get(ns)?;
        match event {
            Event::DocType(_) => return Err(XmlError::DocType),
            Event::Start(_) | Event::Empty(_) if root.is_some() => {
                return Err(XmlError::Malformed("content after the root element".into()));
            }
            Event::Start(start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                let open = element(&reader, &mut names, ns, &start, limits.max_attributes)?;
                attributes += open.attrs.len();
                if attributes > limits.max_total_attributes {
                    return Err(XmlError::TooManyAttributesInAll(
                        limits.max_total_attributes,
                    ));
                }
                stack.push(open);
                declared.push(own);
                in_scope += own;
            }
            Event::Empty(start) => {
                count += 1;
                if count > limits.max_elements {
                    return Err(XmlError::TooManyElements(limits.max_elements));
                }
                if stack.len() >= limits.max_depth {
                    return Err(XmlError::TooDeep(limits.max_depth));
                }
                let done = element(&reader, &mut names, ns, &start, limits.max_attributes)?;
                attributes += done.attrs.len();
                if attributes > limits.max_total_attributes {
                    return Err(XmlError::TooManyAttributesInAll(
                        limits.max_total_attributes,
                    ));
                }
                attach(&mut stack, &mut root, done);
            }
            Event::End(_) => {
                // Matching end names are checked by the reader.
                let done = stack
                    .pop()
                    .ok_or_else(|| XmlError::Malformed("unexpected end tag".into()))?;
                in_scope = in_scope.saturating_sub(declared.pop().unwrap_or(0));
                attach(&mut stack, &mut root, done);
            }
            // XML 1.0's line ends (section 2.11): a CR LF or a lone CR reaches the
            // widget as LF, as from any conforming parser; a `&#13;` stays a CR.
            Event::Text(t) => {
                let s = t
                    .xml10_content()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(c) => {
                let s = c
                    .xml10_content()
                    .map_err(|e| XmlError::Malformed(e.to_string()))?;
                push_text(&mut stack, &s)?;
            }
            Event::GeneralRef(r) => {
                let s = resolve_ref(&r)?;
                push_text(&mut stack, &s)?;
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError::Malformed("unclosed element".into()));
    }
    root.ok_or(XmlError::Empty)
}

fn attach(stack: &mut [Element], root: &mut Option<Element>, done: Element) {
    match stack.last_mut() {
        Some(parent) => parent.children.push(done),
        None => *root = Some(done),
    }
}

fn push_text(stack: &mut [Element], s: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(e) => {
            e.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(XmlError::Malformed("text outside the root element".into())),
    }
}

/// `&lt;` and friends and character references; everything else would need a DTD.
fn resolve_ref(r: &quick_xml::events::BytesRef<'_>) -> Result<String, XmlError> {
    if r.is_char_ref() {
        return match r.resolve_char_ref() {
            Ok(Some(c)) => Ok(c.to_string()),
            _ => Err(XmlError::Malformed("invalid character reference".into())),
        };
    }
    let name = r.decode().map_err(|e| XmlError::Malformed(e.to_string()))?;
    let c = match name.as_ref() {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        other => return Err(XmlError::UnknownEntity(other.chars().take(64).collect())),
    };
    Ok(c.to_string())
}

/// The namespace names of one document, each kept once: a long name used by every
/// element and attribute would otherwise be copied into each, and a 512 KiB body
/// could grow into gigabytes of copies.
#[derive(Default)]
struct Namespaces(HashMap<Vec<u8>, Arc<str>>);

impl Namespaces {
    fn get(&mut self, ns: ResolveResult<'_>) -> Result<Option<Arc<str>>, XmlError> {
        match ns {
            ResolveResult::Bound(n) => {
                let bytes = n.as_ref();
                if let Some(name) = self.0.get(bytes) {
                    return Ok(Some(Arc::clone(name)));
                }
                let name: Arc<str> = String::from_utf8_lossy(bytes).into();
                self.0.insert(bytes.to_vec(), Arc::clone(&name));
                Ok(Some(name))
            }
            ResolveResult::Unbound => Ok(None),
            ResolveResult::Unknown(p) => Err(XmlError::UnboundPrefix(
                String::from_utf8_lossy(&p).into_owned(),
            )),
        }
    }
}

/// How many namespaces `start` declares, each within the length bound.
fn declarations(start: &BytesStart<'_>, limits: Limits) -> Result<usize, XmlError> {
    let mut count = 0;
    // Unchecked: the attribute count is bounded in `element`, which checks them all.
    for attr in start
        .attributes()
        .with_checks(false)
        .take(limits.max_attributes + 1)
    {
        let Ok(attr) = attr else { continue };
        let key = attr.key.as_ref();
        if key == b"xmlns" || key.starts_with(b"xmlns:") {
            if attr.value.len() > limits.max_namespace_bytes {
                return Err(XmlError::NamespaceTooLong(limits.max_namespace_bytes));
            }
            count += 1;
        }
    }
    Ok(count)
}

fn element(
    reader: &NsReader<&[u8]>,
    names: &mut Namespaces,
    ns: Option<Arc<str>>,
    start: &BytesStart<'_>,
    max_attributes: usize,
) -> Result<Element, XmlError> {
    // Counted without checks first: the checked walk below is quadratic in the count.
    let mut unchecked = start.attributes();
    if unchecked.with_checks(false).nth(max_attributes).is_some() {
        return Err(XmlError::TooManyAttributes(max_attributes));
    }
    let name = String::from_utf8_lossy(start.local_name().as_ref()).into_owned();
    let mut attrs = Vec::new();
    for attr in start.attributes() {
        let attr = attr.map_err(|e| XmlError::Malformed(e.to_string()))?;
        let key = attr.key;
        if key.as_ref() == b"xmlns" || key.as_ref().starts_with(b"xmlns:") {
            continue;
        }
        let (attr_ns, local) = reader.resolve_attribute(key);
        let value = attr.unescape_value().map_err(|e| match e {
            quick_xml::Error::Escape(quick_xml::escape::EscapeError::UnrecognizedEntity(
                _,
                name,
            )) => XmlError::UnknownEntity(name.chars().take(64).collect()),
            other => XmlError::Malformed(other.to_string()),
        })?;
        attrs.push(Attr {
            ns: names.get(attr_ns)?,
            name: String::from_utf8_lossy(local.as_ref()).into_owned(),
            value: value.into_owned(),
        });
    }
    Ok(Element {
        ns,
        name,
        attrs,
        children: Vec::new(),
        text: String::new(),
    })
}

/// Builds an answer element by element. Every text and attribute value goes through
/// [`quick_xml::escape::escape`], so widget text can never break the envelope.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new() -> Self {
        Self::default()
    }

    /// `<name a="v" …>`.
    pub fn open(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push('>');
        self
    }

    /// `<name a="v" …/>`.
    pub fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.attrs(attrs);
        self.out.push_str("/>");
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// `<name>text</name>`.
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.open(name, &[]);
        self.out
            .push_str(&quick_xml::escape::escape(xml_chars(text)));
        self.close(name)
    }

    /// A `LocalizedString`: `<name xml:lang="…"><value>text</value></name>`.
    pub fn localized(&mut self, name: &str, lang: &str, text: &str) -> &mut Self {
        self.open(name, &[("xml:lang", lang)]);
        self.leaf("value", text);
        self.close(name)
    }

    fn attrs(&mut self, attrs: &[(&str, &str)]) {
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&quick_xml::escape::escape(xml_chars(v)));
            self.out.push('"');
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// Whether every character of `text` is one XML 1.0 can carry (as is, or escaped).
pub fn carries(text: &str) -> bool {
    text.chars().all(xml_allows)
}

/// Whether XML 1.0 allows `c` in a document at all, escaped or not: no C0 control
/// other than tab, newline and carriage return, and not U+FFFE or U+FFFF.
fn xml_allows(c: char) -> bool {
    !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
}

/// `text` with every character XML cannot carry replaced by U+FFFD: a personal
/// contact's comment may hold a control character, and the answer must still parse.
fn xml_chars(text: &str) -> std::borrow::Cow<'_, str> {
    if carries(text) {
        return text.into();
    }
    text.chars()
        .map(|c| if xml_allows(c) { c } else { '\u{fffd}' })
        .collect::<String>()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_namespaces_text_and_nil() {
        let doc = br#"<?xml version="1.0"?><a:x xmlns:a="urn:a" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><a:y>1 &lt; 2 &#65;</a:y><z xsi:nil="true"/></a:x>"#;
        let root = parse(doc, Limits::default()).expect("valid");
        assert_eq!(root.ns.as_deref(), Some("urn:a"));
        assert_eq!(root.child_text("y"), Some("1 < 2 A"));
        assert!(root.child("z").is_some_and(Element::is_nil));
        assert!(root.present("z").is_none());
    }

    /// XML 1.0 section 2.11: a CR LF or a lone CR in text or CDATA reads as LF; a
    /// character reference to CR stays a CR.
    #[test]
    fn line_ends_read_as_xml_1_0_says() {
        let doc = b"<a><b>one\r\ntwo\rthree&#13;four</b><c><![CDATA[x\r\ny]]></c></a>";
        let root = parse(doc, Limits::default()).expect("valid");
        assert_eq!(root.child_text("b"), Some("one\ntwo\nthree\rfour"));
        assert_eq!(root.child_text("c"), Some("x\ny"));
    }

    /// A namespace name is kept once per document, however many elements and
    /// attributes use it: copied into each, a long one would multiply the body.
    #[test]
    fn a_namespace_name_is_shared_by_everything_in_it() {
        let doc = br#"<p:a xmlns:p="urn:shared"><p:b p:c="1"/><p:b p:c="2"/></p:a>"#;
        let root = parse(doc, Limits::default()).expect("valid");
        let name = root.ns.as_ref().expect("bound");
        for b in root.children_named("b") {
            assert!(Arc::ptr_eq(name, b.ns.as_ref().expect("bound")));
            assert!(Arc::ptr_eq(name, b.attrs[0].ns.as_ref().expect("bound")));
        }
    }

    /// Namespace names have a length bound, and the declarations in scope a count
    /// bound, checked before any name is resolved against them.
    #[test]
    fn refuses_long_namespace_names_and_too_many_in_scope() {
        let long = format!(r#"<p:a xmlns:p="urn:{}"><p:b/></p:a>"#, "x".repeat(2000));
        assert_eq!(
            parse(long.as_bytes(), Limits::default()),
            Err(XmlError::NamespaceTooLong(1024))
        );
        let declaring = |level: usize| {
            (0..50)
                .map(|i| format!(r#" xmlns:n{level}x{i}="urn:{i}""#))
                .collect::<String>()
        };
        // 100 in scope at the second level: taken. 150 at the third: refused, even
        // on an empty element, whose declarations last only while it is read.
        let two = format!("<a{}><b{}/></a>", declaring(0), declaring(1));
        assert!(parse(two.as_bytes(), Limits::default()).is_ok());
        let three = format!(
            "<a{}><b{}><c{}/></b></a>",
            declaring(0),
            declaring(1),
            declaring(2)
        );
        assert_eq!(
            parse(three.as_bytes(), Limits::default()),
            Err(XmlError::TooManyNamespaces(128))
        );
        // Siblings' declarations go out of scope with them.
        let siblings = format!(
            "<a{}><b{}/><b{}></b><b{}/></a>",
            declaring(0),
            declaring(1),
            declaring(2),
            declaring(3)
        );
        assert!(parse(siblings.as_bytes(), Limits::default()).is_ok());
    }

    #[test]
    fn refuses_doctype_unknown_entities_and_excess() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE a [<!ENTITY a "aaaa">]><a>&a;</a>"#;
        assert_eq!(parse(bomb, Limits::default()), Err(XmlError::DocType));
        assert!(matches!(
            parse(b"<a>&foo;</a>", Limits::default()),
            Err(XmlError::UnknownEntity(_))
        ));
        let deep = "<a>".repeat(40) + &"</a>".repeat(40);
        assert_eq!(
            parse(deep.as_bytes(), Limits::default()),
            Err(XmlError::TooDeep(32))
        );
        let limits = Limits {
            max_bytes: 10,
            ..Limits::default()
        };
        assert_eq!(
            parse(b"<a>0123456789</a>", limits),
            Err(XmlError::TooLarge(10))
        );
        assert!(parse(b"<a><b></a>", Limits::default()).is_err());
        assert!(parse(b"<p:a/>", Limits::default()).is_err());
    }

    fn with_attributes(n: usize, attribute: &str) -> String {
        let attrs: String = (0..n).map(|i| format!(" {attribute}{i}=\"u\"")).collect();
        format!("<a{attrs}/>")
    }

    #[test]
    fn refuses_elements_with_too_many_attributes() {
        let max = Limits::default().max_attributes;
        let at_limit = with_attributes(max, "k");
        assert_eq!(
            parse(at_limit.as_bytes(), Limits::default()).map(|e| e.attrs.len()),
            Ok(max)
        );
        for attribute in ["k", "xmlns:p"] {
            let over = with_attributes(max + 1, attribute);
            assert_eq!(
                parse(over.as_bytes(), Limits::default()),
                Err(XmlError::TooManyAttributes(max)),
                "{attribute}"
            );
        }
        // A body of 40,000 attributes is refused by the count, before the checked
        // walk that would compare every pair of them.
        let flood = with_attributes(40_000, "k");
        assert!(flood.len() < Limits::default().max_bytes);
        assert_eq!(
            parse(flood.as_bytes(), Limits::default()),
            Err(XmlError::TooManyAttributes(max))
        );
    }

    #[test]
    fn refuses_a_document_with_too_many_attributes_in_all() {
        let limits = Limits::default();
        let per = limits.max_attributes;
        // Elements each at the per-element limit, enough of them to pass the total.
        let element = with_attributes(per, "k");
        let under = limits.max_total_attributes / per;
        let body = |n: usize| format!("<r>{}</r>", element.repeat(n));
        let fits = parse(body(under).as_bytes(), limits).expect("within the total");
        assert_eq!(fits.children.len(), under);
        let over = body(under + 1);
        assert!(over.len() < limits.max_bytes);
        assert_eq!(
            parse(over.as_bytes(), limits),
            Err(XmlError::TooManyAttributesInAll(
                limits.max_total_attributes
            ))
        );
        // Namespace declarations are bounded on their own, not counted here.
        let declared: String = (0..under + 1)
            .map(|i| format!("<e xmlns:p{i}=\"urn:x\"/>"))
            .collect();
        assert!(parse(format!("<r>{declared}</r>").as_bytes(), limits).is_ok());
    }

    #[test]
    fn the_writer_replaces_what_xml_cannot_carry() {
        let mut w = Writer::new();
        w.open("a", &[("k", "x\u{1}y")])
            .leaf("b", "tab\tline\nbell\u{7}\u{ffff}")
            .close("a");
        let out = w.finish();
        assert_eq!(
            out,
            "<a k=\"x\u{fffd}y\"><b>tab\tline\nbell\u{fffd}\u{fffd}</b></a>"
        );
        let back = parse(out.as_bytes(), Limits::default()).expect("parses");
        assert_eq!(
            back.child("b").map(|b| b.text.as_str()),
            Some("tab\tline\nbell\u{fffd}\u{fffd}")
        );
    }

    #[test]
    fn writer_escapes() {
        let mut w = Writer::new();
        w.open("a", &[("k", "\"<&")]).leaf("b", "<x>&").close("a");
        let out = w.finish();
        assert_eq!(out, "<a k=\"&quot;&lt;&amp;\"><b>&lt;x&gt;&amp;</b></a>");
        let back = parse(out.as_bytes(), Limits::default()).expect("round trip");
        assert_eq!(back.attr("k"), Some("\"<&"));
        assert_eq!(back.child_text("b"), Some("<x>&"));
    }
}
