//! The page of a list a render shows, from the cursor of a "View more" link.

use crate::store::{Page, is_cursor};

/// Runs `page` from `cursor` and says whether the render restarted at the first page.
///
/// A render restarts when its cursor cannot be read, or when a readable one gives
/// nothing at all: the host writes no list's cursor past its end, but a stale
/// "View more" can hold one (everyone after it has left the list), and so can a link
/// made by hand. Showing the first page then means a list says it is empty only when
/// it is. The script that appends "View more" pages in place swaps the whole widget
/// for a restarted one instead (`data-restarted`), so no row shows twice. The JSON
/// resources never restart: a client paging through them must reach the end.
///
/// A `search` does not restart on an empty page either. One of its pages stops after
/// rejecting 1,000 rows with a cursor past which nothing may match, so an empty last
/// page is where the search ends; restarting there would bring back its first page
/// and the same "View more", for ever.
pub(crate) fn from_cursor<T, E>(
    cursor: Option<&str>,
    search: bool,
    mut page: impl FnMut(Option<&str>) -> Result<Page<T>, E>,
) -> Result<(Page<T>, bool), E> {
    let Some(cursor) = cursor else {
        return Ok((page(None)?, false));
    };
    if is_cursor(cursor) {
        let asked = page(Some(cursor))?;
        if search || !asked.items.is_empty() || asked.next_cursor.is_some() {
            return Ok((asked, false));
        }
    }
    Ok((page(None)?, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    /// A cursor in the host's form, starting at index `at`.
    fn cursor(at: usize) -> String {
        URL_SAFE_NO_PAD.encode(format!("key\u{0}{at}"))
    }

    fn index(cursor: &str) -> usize {
        let text =
            String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).expect("base64")).expect("utf8");
        text.split_once('\u{0}')
            .expect("key and id")
            .1
            .parse()
            .expect("index")
    }

    /// A list of `len` numbers in pages of two.
    fn list(len: usize, cursor: Option<&str>, calls: &mut usize) -> Page<usize> {
        *calls += 1;
        let start = cursor.map_or(0, index);
        let items: Vec<usize> = (start..len).take(2).collect();
        let next = start + items.len();
        Page {
            next_cursor: (next < len).then(|| super::tests::cursor(next)),
            items,
        }
    }

    #[test]
    fn a_cursor_past_the_end_or_unreadable_restarts_at_the_first_page() {
        let run = |len: usize, cursor: Option<&str>| {
            let mut calls = 0;
            let (page, restarted) =
                from_cursor(cursor, false, |c| Ok::<_, ()>(list(len, c, &mut calls)))
                    .expect("page");
            (page.items, restarted, calls)
        };
        assert_eq!(run(5, None), (vec![0, 1], false, 1));
        let second = cursor(2);
        assert_eq!(run(5, Some(&second)), (vec![2, 3], false, 1));
        // The list shrank to two: the old "View more" points past its end.
        assert_eq!(run(2, Some(&second)), (vec![0, 1], true, 2));
        assert_eq!(run(5, Some("%%not-a-cursor")), (vec![0, 1], true, 1));
        // An empty list asked from a cursor restarts and is still empty.
        assert_eq!(run(0, Some(&second)), (vec![], true, 2));
    }

    /// A search's empty last page is where it ends: it is shown as it is.
    #[test]
    fn a_search_ends_on_an_empty_page_instead_of_restarting() {
        let mut calls = 0;
        let second = cursor(2);
        let (page, restarted) =
            from_cursor(Some(&second), true, |c| Ok::<_, ()>(list(2, c, &mut calls)))
                .expect("page");
        assert_eq!((page.items, restarted, calls), (vec![], false, 1));
        assert_eq!(page.next_cursor, None);
    }
}
