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
    /// the first [`MAX_PROBLEMS`] of them and one that counts the rest, in document
    /// order.
    pub fn check(&self, file: &Path, parent: &Node) -> Vec<Problem> {
        let mut found: Vec<(usize, Found<'_>)> = Vec::new();
        let mut counts = vec![0usize; self.items.len()];
        // The known children: their index in `items`, their position, the child.
        let mut known: Vec<(usize, usize, &Node)> = Vec::new();
        for (position, child) in parent.children.iter().enumerate() {
            let Some(index) = self.index(&child.name) else {
                found.push((position, Found::Unknown(child)));
                continue;
            };
            counts[index] += 1;
            if counts[index] >= 2 && !self.items[index].1.repeats() {
                // Said once; a copy to delete is no place for its siblings to move to.
                if counts[index] == 2 {
                    found.push((position, Found::Repeated(child)));
                }
                continue;
            }
            known.push((index, position, child));
        }
        // The children out of place are the fewest that, moved, leave the rest in the
        // schema's order: those outside a longest run already in order. One element
        // moved to the end is one problem, not one for each sibling it passed.
        let indexes: Vec<usize> = known.iter().map(|(index, _, _)| *index).collect();
        let in_order = longest_in_order(&indexes);
        // The run's indexes never go down: where an index would go is a binary search.
        let in_run = |at: usize| in_order.get(at).map(|&k| (known[k].0, known[k].2));
        let mut kept = in_order.iter().peekable();
        let mut last_kept = None;
        for (k, &(index, position, child)) in known.iter().enumerate() {
            if kept.next_if_eq(&&k).is_some() {
                last_kept = Some(index);
                continue;
            }
            // Too late, where an element kept before it belongs after it: it goes
            // above the first such. Otherwise too early (were it not, it would be in
            // the run): it goes below the last kept element that belongs before it.
            let before = last_kept.is_some_and(|last| last > index);
            let other = if before {
                in_run(in_order.partition_point(|&k| known[k].0 <= index))
            } else {
                in_order
                    .partition_point(|&k| known[k].0 < index)
                    .checked_sub(1)
                    .and_then(in_run)
            };
            if let Some((other_index, other)) = other {
                let misplaced = Found::Misplaced {
                    child,
                    index,
                    other,
                    other_index,
                    before,
                };
                found.push((position, misplaced));
            }
        }
        found.sort_by_key(|(position, _)| *position);
        let mut problems = FileProblems::default();
        for (_, what) in found {
            problems.push_with(|| self.describe(file, parent, what));
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

    /// The problem `what` is, in words.
    fn describe(&self, file: &Path, parent: &Node, what: Found<'_>) -> Problem {
        match what {
            Found::Unknown(child) => problem(
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
            ),
            Found::Repeated(child) => problem(
                file,
                child.pos,
                &child.name,
                format!(
                    "element <{}> appears more than once in <{}> ({} allows one)",
                    child.name, parent.name, self.schema
                ),
                format!("keep a single <{}>", child.name),
            ),
            Found::Misplaced {
                child,
                index,
                other,
                other_index,
                before,
            } => {
                let (relation, direction) = if before {
                    ("before", "above")
                } else {
                    ("after", "below")
                };
                problem(
                    file,
                    child.pos,
                    &child.name,
                    // The sibling by its line too: one of several of its name.
                    format!(
                        "element <{}> must come {relation} the <{}> on line {} ({} order)",
                        child.name, other.name, other.pos.line, self.schema
                    ),
                    format!(
                        "move <{}> {direction} the <{}> on line {}; <{}> expects them in this order: {}",
                        child.name,
                        other.name,
                        other.pos.line,
                        parent.name,
                        self.names_between(index.min(other_index), index.max(other_index))
                    ),
                )
            }
        }
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

/// A problem of one child, found while reading a parent's children and written in
/// document order once all are read.
enum Found<'a> {
    Unknown(&'a Node),
    Repeated(&'a Node),
    /// `child` (at `index` in the schema) belongs before `other` (`before`), or after it.
    Misplaced {
        child: &'a Node,
        index: usize,
        other: &'a Node,
        other_index: usize,
        before: bool,
    },
}

/// The positions in `indexes` (the children's schema indexes) of a longest run of children whose schema indexes never
/// go down, in document order: the children that stay where they are. Patience
/// sorting, O(n log n): a file of 20,000 misplaced siblings is checked at once. Of
/// runs of one length, it keeps the one with the smallest indexes at each step, so
/// that an element written too early is the one named, as a reader moving one
/// element would expect.
fn longest_in_order(indexes: &[usize]) -> Vec<usize> {
    // `ends[l]`: the position of the child that ends the best run of length l + 1.
    let mut ends: Vec<usize> = Vec::new();
    let mut before: Vec<Option<usize>> = vec![None; indexes.len()];
    for (k, &index) in indexes.iter().enumerate() {
        // The first run whose end is past this index; equal indexes extend a run.
        let at = ends.partition_point(|&end| indexes[end] <= index);
        before[k] = at.checked_sub(1).map(|l| ends[l]);
        if at == ends.len() {
            ends.push(k);
        } else {
            ends[at] = k;
        }
    }
    let mut run = Vec::with_capacity(ends.len());
    let mut at = ends.last().copied();
    while let Some(k) = at {
        run.push(k);
        at = before[k];
    }
    run.reverse();
    run
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
            ("d", Occurs::Many),
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
            ["1:8 element <c> must come after the <b> on line 1 (test order)"]
        );
    }

    #[test]
    fn the_fewest_siblings_that_moved_leave_the_rest_in_order_are_named() {
        // c, c, b, c, a: the c's are in order among themselves; b and a, moved above
        // them, put the whole in order. Each is named once, in document order.
        assert_eq!(
            check("<r><c/><c/><b/><c/><a/></r>"),
            [
                "1:12 element <b> must come before the <c> on line 1 (test order)",
                "1:20 element <a> must come before the <c> on line 1 (test order)",
            ]
        );
        // One element written too late is one problem, not one for each sibling it
        // passed; one written too early goes below the last that belongs before it.
        assert_eq!(
            check("<r><b/><c/><c/><a/></r>"),
            ["1:16 element <a> must come before the <b> on line 1 (test order)"]
        );
        assert_eq!(
            check("<r><c/><a/><b/><c/></r>"),
            ["1:4 element <c> must come after the <b> on line 1 (test order)"]
        );
        // A repeated element written too late goes above the first sibling that
        // belongs after it, not beside one of its own kind.
        assert_eq!(
            check("<r><a/><c/><d/><d/><c/></r>"),
            ["1:20 element <c> must come before the <d> on line 1 (test order)"]
        );
    }

    #[test]
    fn a_misplaced_elements_fix_says_where_it_goes() {
        let root = parse(Path::new("t.xml"), b"<r><b/><c/><a/></r>").expect("well-formed");
        let got = SEQ.check(Path::new("t.xml"), &root);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].element, "a");
        assert_eq!(
            got[0].fix,
            "move <a> above the <b> on line 1; <r> expects them in this order: a, b?"
        );
        // One of several of a name is told apart by its line: the last <c>.
        assert_eq!(
            check("<r>\n<a/>\n<c/>\n<d/>\n<c/>\n<c/>\n</r>"),
            ["4:1 element <d> must come after the <c> on line 6 (test order)"]
        );
        let root = parse(Path::new("t.xml"), b"<r><c/><a/><b/></r>").expect("well-formed");
        let got = SEQ.check(Path::new("t.xml"), &root);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(
            got[0].fix,
            "move <c> below the <b> on line 1; <r> expects them in this order: b?, c*"
        );
    }

    #[test]
    fn a_flood_of_problems_is_listed_up_to_the_cap_and_counted() {
        // 10,000 pairs of d and c, an <a>, then 20,000 unknown elements: the c's
        // stay, and 10,000 d's and the <a> are out of place. Checked sibling by
        // sibling against every earlier one, such a file took hours.
        let xml = format!(
            "<r>{}<a/>{}</r>",
            "<d/><c/>".repeat(10_000),
            "<zz/>".repeat(20_000)
        );
        let got = check(&xml);
        assert_eq!(got.len(), MAX_PROBLEMS + 1);
        assert_eq!(
            got[0],
            "1:4 element <d> must come after the <c> on line 1 (test order)"
        );
        assert!(
            got[MAX_PROBLEMS - 1].starts_with("1:796 element <d> must come after the <c>"),
            "{got:?}"
        );
        assert_eq!(
            got[MAX_PROBLEMS],
            format!(
                "1:1 {} more problems in <r> are not listed",
                10_001 + 20_000 - MAX_PROBLEMS
            )
        );
    }

    #[test]
    fn a_copy_of_a_once_only_element_is_to_delete_not_to_move_around() {
        // Deleting the second <a>, as its problem says, leaves the rest in order.
        assert_eq!(
            check("<r><a/><b/><a/></r>"),
            ["1:12 element <a> appears more than once in <r> (test allows one)"]
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
