//! Checks children against a schema's sequence: the XSDs (`xs:sequence`) and Liferay's
//! DTDs both fix the order of a parent's child elements, and portals refuse descriptors
//! that break it, so the host reports it the same way before a portal ever sees them.

use std::path::Path;

use super::model::Problem;
use super::xml::{Node, Pos, problem};

/// How often an element may occur: `?`, `*`, `+` or exactly once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Occurs {
    /// Exactly once.
    One,
    /// `?`
    Optional,
    /// `*`
    Many,
    /// `+`
    OneOrMore,
}

impl Occurs {
    fn required(self) -> bool {
        matches!(self, Self::One | Self::OneOrMore)
    }

    /// The DTD's occurrence mark.
    fn mark(self) -> &'static str {
        match self {
            Self::One => "",
            Self::Optional => "?",
            Self::Many => "*",
            Self::OneOrMore => "+",
        }
    }

    fn repeats(self) -> bool {
        matches!(self, Self::Many | Self::OneOrMore)
    }
}

/// Most problems one check lists; a file of 100,000 stray elements otherwise keeps
/// (and logs, on every reload) 100,000 fix texts.
pub const MAX_PROBLEMS: usize = 100;

/// The problems of one file (or folder): the first [`MAX_PROBLEMS`] kept, the rest only
/// counted. A file that breaks one rule thousands of times, each message naming the
/// same long portlet-name, would otherwise hold gigabytes of messages.
#[derive(Debug, Default)]
pub struct FileProblems {
    kept: Vec<Problem>,
    more: usize,
}

impl FileProblems {
    /// Keeps `problem`, or counts it past the cap; a line that counts problems of a
    /// part (an element's own cap) counts them all.
    pub fn push(&mut self, problem: Problem) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(problem);
        } else {
            self.more += problem.count();
        }
    }

    /// Builds the problem only if it is kept: past the cap it is only counted.
    pub fn push_with(&mut self, make: impl FnOnce() -> Problem) {
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(make());
        } else {
            self.more += 1;
        }
    }

    pub fn extend(&mut self, problems: impl IntoIterator<Item = Problem>) {
        for problem in problems {
            self.push(problem);
        }
    }

    /// Takes in another file's problems, its count of the unlisted ones included.
    pub fn absorb(&mut self, other: FileProblems) {
        self.extend(other.kept);
        self.more += other.more;
    }

    /// The kept problems, and one at `pos` that counts the rest in `place`.
    pub fn into_vec(mut self, file: &Path, pos: Pos, element: &str, place: &str) -> Vec<Problem> {
        if self.more > 0 {
            self.kept
                .push(not_listed(file, pos, element, self.more, place));
        }
        self.kept
    }
}

/// The problem that stands for `more` problems past [`MAX_PROBLEMS`] in `place`.
pub fn not_listed(file: &Path, pos: Pos, element: &str, more: usize, place: &str) -> Problem {
    Problem {
        unlisted: more,
        ..problem(
            file,
            pos,
            element,
            format!("{more} more problems in {place} are not listed"),
            "fix the ones above and check again".into(),
        )
    }
}

/// A content model: an ordered list of child elements with their occurrences.
pub struct Sequence {
    pub items: &'static [(&'static str, Occurs)],
    /// Names the schema in messages, e.g. `Liferay DTD 7.4.0`.
    pub schema: &'static str,
}

impl Sequence {
    fn index(&self, name: &str) -> Option<usize> {
        self.items.iter().position(|(n, _)| *n == name)
    }

    /// Every ordering, multiplicity and unknown-element problem of `parent`'s children,
    /// the first [`MAX_PROBLEMS`] of them and one that counts the rest.
    pub fn check(&self, file: &Path, parent: &Node) -> Vec<Problem> {
        let mut problems = FileProblems::default();
        let mut counts = vec![0usize; self.items.len()];
        // Children seen so far and not yet reported out of place, by their index in
        // `items`, each with its position among the children. A child reports every
        // waiting sibling the schema puts after it, once: each sibling leaves its
        // bucket when reported, so a file of many children costs a pass per child
        // over the schema's few items, not over every earlier sibling.
        let mut waiting: Vec<Vec<(usize, &Node)>> = vec![Vec::new(); self.items.len()];
        for (position, child) in parent.children.iter().enumerate() {
            let Some(index) = self.index(&child.name) else {
                problems.push_with(|| {
                    problem(
                        file,
                        child.pos,
                        &child.name,
                        format!(
                            "unknown element <{}> in <{}> ({})",
                            child.name, parent.name, self.schema
                        ),
                        format!(
                            "remove it or fix its spelling; <{}> may contain: {}",
                            parent.name,
                            self.names()
                        ),
                    )
                });
                continue;
            };
            counts[index] += 1;
            if counts[index] == 2 && !self.items[index].1.repeats() {
                problems.push_with(|| {
                    problem(
                        file,
                        child.pos,
                        &child.name,
                        format!(
                            "element <{}> appears more than once in <{}> ({} allows one)",
                            child.name, parent.name, self.schema
                        ),
                        format!("keep a single <{}>", child.name),
                    )
                });
            }
            // Earlier siblings that the schema puts after this child are out of place:
            // each "must come after" it. Each is reported once, at its own position,
            // in document order.
            let mut out_of_place: Vec<(usize, usize, &Node)> = Vec::new();
            for (later, bucket) in waiting.iter_mut().enumerate().skip(index + 1) {
                out_of_place.extend(bucket.drain(..).map(|(at, node)| (at, later, node)));
            }
            out_of_place.sort_unstable_by_key(|(at, _, _)| *at);
            for (_, later, node) in out_of_place {
                problems.push_with(|| {
                    problem(
                        file,
                        node.pos,
                        &node.name,
                        format!(
                            "element <{}> must come after <{}> ({} order)",
                            node.name, child.name, self.schema
                        ),
                        format!(
                            "move <{}> below <{}>; <{}> expects them in this order: {}",
                            node.name,
                            child.name,
                            parent.name,
                            self.names_between(index, later)
                        ),
                    )
                });
            }
            waiting[index].push((position, child));
        }
        for ((name, occurs), count) in self.items.iter().zip(&counts) {
            if occurs.required() && *count == 0 {
                problems.push_with(|| {
                    problem(
                        file,
                        parent.pos,
                        &parent.name,
                        format!(
                            "<{}> lacks the required element <{name}> ({})",
                            parent.name, self.schema
                        ),
                        format!("add <{name}> inside <{}>", parent.name),
                    )
                });
            }
        }
        let place = format!("<{}>", parent.name);
        problems.into_vec(file, parent.pos, &parent.name, &place)
    }

    /// The expected order from item `first` to item `last`, shortened in the middle:
    /// enough to see where an element goes without reading the whole DTD.
    fn names_between(&self, first: usize, last: usize) -> String {
        let marked: Vec<String> = self.items[first..=last.min(self.items.len() - 1)]
            .iter()
            .map(|(n, o)| format!("{n}{}", o.mark()))
            .collect();
        if marked.len() <= 7 {
            return marked.join(", ");
        }
        format!(
            "{}, …, {}",
            marked[..3].join(", "),
            marked[marked.len() - 3..].join(", ")
        )
    }

    fn names(&self) -> String {
        self.items
            .iter()
            .map(|(n, o)| format!("{n}{}", o.mark()))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::descriptors::xml::parse;

    const SEQ: Sequence = Sequence {
        items: &[
            ("a", Occurs::One),
            ("b", Occurs::Optional),
            ("c", Occurs::Many),
        ],
        schema: "test",
    };

    fn check(xml: &str) -> Vec<String> {
        let root = parse(Path::new("t.xml"), xml.as_bytes()).expect("well-formed");
        SEQ.check(Path::new("t.xml"), &root)
            .into_iter()
            .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
            .collect()
    }

    #[test]
    fn valid_sequences_pass() {
        assert!(check("<r><a/><b/><c/><c/></r>").is_empty());
        assert!(check("<r><a/></r>").is_empty());
    }

    #[test]
    fn out_of_order_names_the_misplaced_element() {
        assert_eq!(
            check("<r><a/><c/><b/></r>"),
            ["1:8 element <c> must come after <b> (test order)"]
        );
    }

    #[test]
    fn each_misplaced_sibling_is_reported_once_in_document_order() {
        // c, c, b, c, a: both leading c's and the b must come after something later.
        assert_eq!(
            check("<r><c/><c/><b/><c/><a/></r>"),
            [
                "1:4 element <c> must come after <b> (test order)",
                "1:8 element <c> must come after <b> (test order)",
                "1:12 element <b> must come after <a> (test order)",
                "1:16 element <c> must come after <a> (test order)",
            ]
        );
    }

    #[test]
    fn a_flood_of_problems_is_listed_up_to_the_cap_and_counted() {
        // 20,000 misplaced siblings, then 20,000 unknown elements: every earlier
        // sibling is out of place once the <a> comes. Checked sibling by sibling
        // against every earlier one, this file took hours.
        let xml = format!(
            "<r>{}<a/>{}</r>",
            "<c/>".repeat(20_000),
            "<zz/>".repeat(20_000)
        );
        let got = check(&xml);
        assert_eq!(got.len(), MAX_PROBLEMS + 1);
        assert_eq!(got[0], "1:4 element <c> must come after <a> (test order)");
        assert!(
            got[MAX_PROBLEMS - 1].starts_with("1:400 element <c>"),
            "{got:?}"
        );
        assert_eq!(
            got[MAX_PROBLEMS],
            format!(
                "1:1 {} more problems in <r> are not listed",
                40_000 - MAX_PROBLEMS
            )
        );
    }

    #[test]
    fn missing_duplicate_and_unknown_elements_are_reported() {
        let got = check("<r><b/><b/><zz/></r>");
        assert_eq!(got.len(), 3, "{got:?}");
        assert!(got[0].contains("<b> appears more than once"));
        assert!(got[1].contains("unknown element <zz>"));
        assert!(got[2].contains("lacks the required element <a>"));
    }
}
