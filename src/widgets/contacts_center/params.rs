//! Reading widget parameters. Actions refuse malformed input with a localized
//! `BadRequest` before anything reaches the rules; renders fall back to defaults,
//! since a stale link should still show a page.

use std::collections::HashSet;

use crate::portal::Params;
use crate::store::{Filter, is_portal_user_id};

/// Most people one bulk action may name: one transaction stays short.
pub(crate) const MAX_BULK: usize = 200;

/// Why parameters were refused; the caller localizes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

/// Why `userId` and `userIds` were refused: an id that cannot be one, or more people
/// than one action takes ([`MAX_BULK`]), which a person ticking boxes through a few
/// "View more" pages can reach and should be told in those words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdsRefused {
    Malformed,
    TooMany,
}

/// `userId` and `userIds` (a comma list, or repeated as checkboxes send it), in order,
/// without duplicates. Malformed or too many ids are refused; none at all (a bulk form
/// sent with no box ticked) is an empty list, for the caller to answer.
pub(crate) fn user_ids(params: &Params) -> Result<Vec<String>, IdsRefused> {
    let mut ids: Vec<String> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let values = params.all("userId").iter().chain(params.all("userIds"));
    for value in values {
        for id in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if !is_portal_user_id(id) {
                return Err(IdsRefused::Malformed);
            }
            if seen.insert(id) {
                ids.push(id.to_owned());
                // Refused as soon as the list is too long, not after reading a body
                // of a million ids.
                if ids.len() > MAX_BULK {
                    return Err(IdsRefused::TooMany);
                }
            }
        }
    }
    Ok(ids)
}

/// How many people `userId` and `userIds` name, counted as [`user_ids`] reads them
/// but without checking or keeping them (duplicates count twice), and no further
/// than one past [`MAX_BULK`]: what an action will ask of the writer, known before
/// it runs.
pub(crate) fn named_count(params: &Params) -> usize {
    params
        .all("userId")
        .iter()
        .chain(params.all("userIds"))
        .flat_map(|value| value.split(','))
        .filter(|id| !id.trim().is_empty())
        .take(MAX_BULK + 1)
        .count()
}

/// A required numeric id (`requestId`, `entryId`).
pub(crate) fn number(params: &Params, name: &str) -> Result<u64, Malformed> {
    params
        .get(name)
        .map(str::trim)
        .and_then(|s| s.parse().ok())
        .ok_or(Malformed)
}

/// An optional numeric id: absent or empty is `None`, garbage is refused.
pub(crate) fn optional_number(params: &Params, name: &str) -> Result<Option<u64>, Malformed> {
    match params.get(name).map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| Malformed),
    }
}

/// The `filter` render parameter; `all` when absent or unknown.
pub(crate) fn filter(params: &Params) -> Filter {
    params
        .get("filter")
        .and_then(Filter::parse)
        .unwrap_or(Filter::All)
}

/// The list a form was on, as its answer's render parameters keep it: `filter`,
/// `keywords`, `cursor` and `rows`, each only when given and well formed.
pub(crate) fn list_state(params: &Params) -> Vec<(String, String)> {
    let mut list: Vec<(String, String)> = params
        .get("filter")
        .and_then(Filter::parse)
        .map(|f| vec![("filter".to_owned(), f.as_str().to_owned())])
        .unwrap_or_default();
    let keywords = keywords(params);
    if !keywords.is_empty() {
        list.push(("keywords".to_owned(), keywords));
    }
    if let Some(cursor) = cursor(params) {
        list.push(("cursor".to_owned(), cursor.to_owned()));
    }
    if let Some(rows) = rows(params) {
        list.push(("rows".to_owned(), rows.to_string()));
    }
    list
}

/// Most rows a list's first page shows when the script asks for the rows it had
/// (`rows`): ten pages of the default size, and a bounded page whatever is asked.
pub(crate) const MAX_ROWS: usize = 200;

/// `rows`, the rows a list showed from its start when an action was taken on it
/// after "View more" had added pages (the script sends it in place of `cursor`, so
/// the answer shows the list as it was, not only the page the form came from). A
/// count of 1 to [`MAX_ROWS`]; anything else, or a `cursor` beside it, is none.
pub(crate) fn rows(params: &Params) -> Option<usize> {
    if cursor(params).is_some() {
        return None;
    }
    params
        .get("rows")
        .filter(|r| r.len() <= 4)
        .and_then(|r| r.parse::<usize>().ok())
        .filter(|n| (1..=MAX_ROWS).contains(n))
}

/// Where a form was: its list, and the card it was on (`userId`), if any.
pub(crate) fn where_the_form_was(params: &Params) -> Vec<(String, String)> {
    let mut at = list_state(params);
    if let Some(card) = params.get("userId").filter(|id| is_portal_user_id(id)) {
        at.push(("userId".to_owned(), card.to_owned()));
    }
    at
}

/// The main list's `cursor`, as a card's links and forms carry it back: base64url
/// of a sort key and an id, so at most a few hundred characters of that alphabet.
/// Anything else is dropped (the list then starts at its first page), rather than
/// copied into every link of the card.
pub(crate) fn cursor(params: &Params) -> Option<&str> {
    params.get("cursor").filter(|c| {
        !c.is_empty()
            && c.len() <= 512
            && c.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// `from`: whose card a Back link left, so that the list marks that person's row
/// as the place it lands on. Anything that cannot be a person's id is no one.
pub(crate) fn back_from(params: &Params) -> Option<&str> {
    params.get("from").filter(|id| is_portal_user_id(id))
}

/// Search keywords, trimmed and bounded.
pub(crate) fn keywords(params: &Params) -> String {
    params
        .get("keywords")
        .map(|k| k.trim().chars().take(100).collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let mut p = Params::new();
        for (k, v) in pairs {
            p.add(*k, *v);
        }
        p
    }

    #[test]
    fn user_ids_merge_single_list_and_repeats() {
        let p = params(&[("userId", "a"), ("userIds", "b, c,a"), ("userIds", "d")]);
        assert_eq!(
            user_ids(&p),
            Ok(vec!["a".into(), "b".into(), "c".into(), "d".into()])
        );
        assert_eq!(user_ids(&params(&[])), Ok(Vec::new()));
        assert_eq!(
            user_ids(&params(&[("userId", "a b")])),
            Err(IdsRefused::Malformed)
        );
        assert_eq!(user_ids(&params(&[("userIds", " , ")])), Ok(Vec::new()));
    }

    /// What an action weighs: the ids named, blanks passed over, counted no further
    /// than one past the bulk limit.
    #[test]
    fn named_counts_the_ids_up_to_one_past_the_bulk_limit() {
        let p = params(&[("userId", "a"), ("userIds", "b, ,c"), ("userIds", "d")]);
        assert_eq!(named_count(&p), 4);
        assert_eq!(named_count(&params(&[])), 0);
        let many = vec!["x"; MAX_BULK + 50].join(",");
        assert_eq!(named_count(&params(&[("userIds", &many)])), MAX_BULK + 1);
    }

    #[test]
    fn user_ids_stop_at_the_bulk_limit_counting_each_person_once() {
        let list = |n: usize| {
            (0..n)
                .map(|i| format!("u{i}"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let at_limit = user_ids(&params(&[("userIds", &list(MAX_BULK))])).map(|v| v.len());
        assert_eq!(at_limit, Ok(MAX_BULK));
        assert_eq!(
            user_ids(&params(&[("userIds", &list(MAX_BULK + 1))])),
            Err(IdsRefused::TooMany)
        );
        // Repeats are not people: a long list of the same ids is within the limit.
        let repeated = [list(MAX_BULK), list(MAX_BULK), list(MAX_BULK)].join(",");
        let ids = user_ids(&params(&[("userIds", &repeated)])).map(|v| v.len());
        assert_eq!(ids, Ok(MAX_BULK));
        // A body-sized list is refused, however long.
        assert_eq!(
            user_ids(&params(&[("userIds", &list(200_000))])),
            Err(IdsRefused::TooMany)
        );
    }

    /// A render keeps showing a page for a link from another version or a typo: an
    /// unknown filter is the whole list (the JSON resource answers 400 instead).
    #[test]
    fn an_unknown_filter_shows_everyone() {
        assert_eq!(filter(&params(&[("filter", "bogus")])), Filter::All);
        assert_eq!(filter(&params(&[])), Filter::All);
        assert_eq!(
            filter(&params(&[("filter", "following")])),
            Filter::parse("following").expect("a filter")
        );
        assert_ne!(Filter::parse("following"), Some(Filter::All));
    }

    #[test]
    fn numbers_are_checked() {
        assert_eq!(number(&params(&[("requestId", "12")]), "requestId"), Ok(12));
        assert_eq!(
            number(&params(&[("requestId", "x")]), "requestId"),
            Err(Malformed)
        );
        assert_eq!(
            optional_number(&params(&[("entryId", "")]), "entryId"),
            Ok(None)
        );
        assert_eq!(
            optional_number(&params(&[("entryId", "-1")]), "entryId"),
            Err(Malformed)
        );
    }
}
