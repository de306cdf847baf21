//! Large answers (exports, WSRP resources) held until their clients have read them:
//! the host's budget for them, and each person's part of it (see
//! `state::LARGE_ANSWERS_HELD_BYTES` for why there is one).

use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::response::HttpError;
use super::shares::{Share, Shares};

/// Exports (native, or WSRP `getResource` envelopes) this large and larger count
/// against [`AppState::large_answers`]: every export of more than a few dozen cards.
/// Exports held for slow readers outside the budget are then at most this much per
/// connection (64 MiB at the default 1,024 connections), where at 1 MiB it was a
/// gibibyte of exports just under it. Pages never count: a render is bounded by its
/// page size (100 people, or 200 on a first page the script asks to show the rows it
/// had), over either protocol.
///
/// [`AppState::large_answers`]: super::state::AppState::large_answers
pub const LARGE_ANSWER_BYTES: usize = 64 * 1024;

/// The host's budget for large answers held for clients still reading them, and
/// each person's part of what is held: one person's answers may hold a quarter of
/// it at most, so that clients reading one person's exports slowly keep nobody
/// else's out.
pub struct LargeAnswers {
    budget: Arc<Semaphore>,
    shares: Shares,
}

impl LargeAnswers {
    /// A budget of `bytes`, a quarter of it for any one person.
    pub fn new(bytes: usize) -> Self {
        Self {
            budget: Arc::new(Semaphore::new(bytes)),
            shares: Shares::new(bytes / 4),
        }
    }

    /// The budget itself, whose free permits are the bytes not held.
    pub fn budget(&self) -> &Arc<Semaphore> {
        &self.budget
    }
}

/// `body` as the bytes of an answer: a large one ([`LARGE_ANSWER_BYTES`] or more)
/// holds its size of the budget, and of `who`'s part of it when the answer is a
/// person's, until the last of it is dropped, which is when its client has read it
/// or gone. [`HttpError::Busy`] when either has no room.
pub fn held_while_sent(
    answers: &LargeAnswers,
    who: Option<&str>,
    body: Vec<u8>,
) -> Result<Bytes, HttpError> {
    if body.len() < LARGE_ANSWER_BYTES {
        return Ok(Bytes::from(body));
    }
    let share = match who {
        Some(who) => answers.shares.take(who, body.len()).map(Some),
        None => Some(None),
    };
    let permit = share.and_then(|share| {
        let size = u32::try_from(body.len()).ok()?;
        let permit = Arc::clone(&answers.budget)
            .try_acquire_many_owned(size)
            .ok()?;
        Some((permit, share))
    });
    let Some((permit, share)) = permit else {
        // Said in the log (at most one line per 10 s): the client only hears "busy",
        // and an administrator should know that large answers are waiting on slow
        // readers, or that the budget is too small for the exports asked for.
        if let Some(unlogged) = REFUSED_LARGE_ANSWERS.admit() {
            tracing::warn!(
                bytes = body.len(),
                unlogged,
                "a large answer was refused: the answers held for clients still reading them fill the budget, or the person's part of it (one such line per 10 s; `unlogged` counts those left out)"
            );
        }
        return Err(HttpError::Busy);
    };
    Ok(Bytes::from_owner(Held {
        body,
        _permit: permit,
        _share: share,
    }))
}

static REFUSED_LARGE_ANSWERS: crate::throttle::Throttle = crate::throttle::Throttle::new();

/// An answer's bytes with the budget they hold, given back when they are dropped.
struct Held {
    body: Vec<u8>,
    _permit: OwnedSemaphorePermit,
    _share: Option<Share>,
}

impl AsRef<[u8]> for Held {
    fn as_ref(&self) -> &[u8] {
        &self.body
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large answer holds its size of the budget until the last of its bytes is
    /// dropped (hyper drops them once the client has read them, or has gone); a small
    /// one holds nothing; one that does not fit is refused as busy.
    #[test]
    fn large_answers_hold_their_size_until_they_are_dropped() {
        let total = 3 * LARGE_ANSWER_BYTES;
        let answers = LargeAnswers::new(total);
        let free = || answers.budget().available_permits();
        let small =
            held_while_sent(&answers, None, vec![b's'; LARGE_ANSWER_BYTES - 1]).expect("small");
        assert_eq!(free(), total);
        let large =
            held_while_sent(&answers, None, vec![b'l'; 2 * LARGE_ANSWER_BYTES]).expect("large");
        assert_eq!(large.len(), 2 * LARGE_ANSWER_BYTES);
        assert!(large.iter().all(|&b| b == b'l'));
        assert_eq!(free(), LARGE_ANSWER_BYTES);
        let refused = held_while_sent(&answers, None, vec![b'x'; LARGE_ANSWER_BYTES + 1]);
        assert!(matches!(refused, Err(HttpError::Busy)), "{refused:?}");
        assert_eq!(free(), LARGE_ANSWER_BYTES, "the refused one holds nothing");
        // A part of the answer still being written keeps the whole of it.
        let rest = large.slice(LARGE_ANSWER_BYTES..);
        drop(large);
        assert_eq!(free(), LARGE_ANSWER_BYTES);
        drop(rest);
        assert_eq!(free(), total);
        drop(small);
        assert!(held_while_sent(&answers, None, vec![b'x'; LARGE_ANSWER_BYTES + 1]).is_ok());
    }

    /// One person's large answers hold a quarter of the budget at most: past it, their
    /// next one is refused while someone else's is still served, and their part comes
    /// back as their answers are dropped.
    #[test]
    fn one_person_holds_a_quarter_of_the_budget_at_most() {
        let answers = LargeAnswers::new(8 * LARGE_ANSWER_BYTES);
        let free = || answers.budget().available_permits();
        let answer =
            |who: &str| held_while_sent(&answers, Some(who), vec![b'a'; LARGE_ANSWER_BYTES]);
        let first = answer("ann").expect("first");
        let second = answer("ann").expect("second: half the budget is a quarter");
        assert!(matches!(answer("ann"), Err(HttpError::Busy)), "a third");
        assert_eq!(
            free(),
            6 * LARGE_ANSWER_BYTES,
            "the refused one holds nothing"
        );
        let bob = answer("bob").expect("someone else's");
        assert_eq!(answers.shares.held_by("ann"), 2 * LARGE_ANSWER_BYTES);
        drop(first);
        let third = answer("ann").expect("room again");
        drop((second, third, bob));
        assert_eq!(free(), 8 * LARGE_ANSWER_BYTES);
        assert_eq!(answers.shares.holders(), 0, "no one's part is kept");
    }
}
