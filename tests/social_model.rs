//! Random action sequences from several people against a simple in-memory model: after
//! every step the store agrees with the model and `check_invariants` is empty.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use widget_host::social::{Action, Done, PersonVerb as P, Refusal, RequestVerb as R, Social};
use widget_host::store::{Filter, Person, Relationship};

const PEOPLE: usize = 5;

fn pid(i: usize) -> String {
    format!("p{i}")
}

#[derive(Debug, Clone)]
enum Step {
    Person {
        actor: usize,
        verb: P,
        other: usize,
    },
    Request {
        actor: usize,
        verb: R,
        pick: usize,
    },
    Delete {
        who: usize,
    },
    /// Stores the person again: a deleted one comes back with nothing of before.
    Add {
        who: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let verb = prop_oneof![
        Just(P::Connect),
        Just(P::Connect),
        Just(P::Disconnect),
        Just(P::Follow),
        Just(P::Unfollow),
        Just(P::Block),
        Just(P::Unblock),
        Just(P::RemoveFollower),
    ];
    let rverb = prop_oneof![Just(R::Accept), Just(R::Ignore), Just(R::Withdraw)];
    prop_oneof![
        8 => (0..PEOPLE, verb, 0..PEOPLE).prop_map(|(actor, verb, other)| Step::Person { actor, verb, other }),
        4 => (0..PEOPLE, rverb, 0..8usize).prop_map(|(actor, verb, pick)| Step::Request { actor, verb, pick }),
        1 => (0..PEOPLE).prop_map(|who| Step::Delete { who }),
        1 => (0..PEOPLE).prop_map(|who| Step::Add { who }),
    ]
}

#[derive(Default)]
struct Model {
    present: BTreeSet<usize>,
    connected: BTreeSet<(usize, usize)>,
    follows: BTreeSet<(usize, usize)>,
    blocks: BTreeSet<(usize, usize)>,
    /// request id → (from, to, pending)
    requests: BTreeMap<u64, (usize, usize, bool)>,
    /// The highest request id the store handed out.
    issued: u64,
}

impl Model {
    fn pending(&self, from: usize, to: usize) -> Option<u64> {
        self.requests
            .iter()
            .find(|(_, r)| r.0 == from && r.1 == to && r.2)
            .map(|(id, _)| *id)
    }
    fn connect(&mut self, a: usize, b: usize) {
        self.connected.insert((a, b));
        self.connected.insert((b, a));
    }
    fn disconnect(&mut self, a: usize, b: usize) {
        self.connected.remove(&(a, b));
        self.connected.remove(&(b, a));
    }
    fn blocked(&self, a: usize, b: usize) -> Option<Refusal> {
        if self.blocks.contains(&(a, b)) {
            Some(Refusal::Blocking)
        } else if self.blocks.contains(&(b, a)) {
            Some(Refusal::BlockedBy)
        } else {
            None
        }
    }

    /// The expected result; `RequestSent` ids are filled from the store's answer.
    fn person(
        &mut self,
        a: usize,
        verb: P,
        b: usize,
        got: Result<Done, Refusal>,
    ) -> Result<Done, Refusal> {
        if !self.present.contains(&a) {
            return Err(Refusal::UnknownViewer);
        }
        if !self.present.contains(&b) {
            return Err(Refusal::UnknownPerson);
        }
        if a == b {
            return Err(Refusal::SelfAction);
        }
        Ok(match verb {
            P::Connect => {
                if let Some(r) = self.blocked(a, b) {
                    return Err(r);
                }
                if self.connected.contains(&(a, b)) {
                    Done::AlreadyConnected
                } else if self.pending(a, b).is_some() {
                    Done::AlreadyRequested
                } else if let Some(id) = self.pending(b, a) {
                    self.requests.get_mut(&id).unwrap().2 = false;
                    self.connect(a, b);
                    Done::Connected
                } else {
                    let Ok(Done::RequestSent { request_id }) = got else {
                        return Ok(Done::RequestSent { request_id: 0 });
                    };
                    // Never an id handed out before, even one since closed: an answer
                    // form's `p_auth` names its action, not the request, so a reused
                    // id would let a stale form answer a request sent after it.
                    if request_id <= self.issued {
                        return Ok(Done::RequestSent { request_id: 0 });
                    }
                    self.requests.insert(request_id, (a, b, true));
                    self.issued = self.issued.max(request_id);
                    Done::RequestSent { request_id }
                }
            }
            P::Disconnect => {
                if self.connected.contains(&(a, b)) {
                    self.disconnect(a, b);
                    Done::Disconnected
                } else {
                    Done::NotConnected
                }
            }
            P::Follow => {
                if let Some(r) = self.blocked(a, b) {
                    return Err(r);
                }
                if self.follows.insert((a, b)) {
                    Done::NowFollowing
                } else {
                    Done::AlreadyFollowing
                }
            }
            P::Unfollow => {
                if self.follows.remove(&(a, b)) {
                    Done::Unfollowed
                } else {
                    Done::NotFollowing
                }
            }
            P::RemoveFollower => {
                if self.follows.remove(&(b, a)) {
                    Done::FollowerRemoved
                } else {
                    Done::NotFollower
                }
            }
            P::Block => {
                if self.blocks.contains(&(a, b)) {
                    Done::AlreadyBlocked
                } else {
                    self.disconnect(a, b);
                    self.follows.remove(&(a, b));
                    self.follows.remove(&(b, a));
                    for r in self.requests.values_mut() {
                        if (r.0, r.1) == (a, b) || (r.0, r.1) == (b, a) {
                            r.2 = false;
                        }
                    }
                    self.blocks.insert((a, b));
                    Done::Blocked
                }
            }
            P::Unblock => {
                if self.blocks.remove(&(a, b)) {
                    Done::Unblocked
                } else {
                    Done::NotBlocked
                }
            }
        })
    }

    fn request(&mut self, me: usize, verb: R, id: u64) -> Result<Done, Refusal> {
        if !self.present.contains(&me) {
            return Err(Refusal::UnknownViewer);
        }
        // A closed request is gone: whoever asks learns only that it is not pending,
        // and so does a third person of an open one.
        let party = |r: &&(usize, usize, bool)| r.0 == me || r.1 == me;
        let Some(&(from, to, _)) = self.requests.get(&id).filter(|r| r.2).filter(party) else {
            return Err(match (1..=self.issued).contains(&id) {
                true => Refusal::NotPending,
                false => Refusal::UnknownRequest,
            });
        };
        match verb {
            R::Accept | R::Ignore if to != me => return Err(Refusal::NotReceiver),
            R::Withdraw if from != me => return Err(Refusal::NotRequester),
            _ => {}
        }
        self.requests.get_mut(&id).unwrap().2 = false;
        Ok(match verb {
            R::Accept => {
                self.connect(from, to);
                Done::Connected
            }
            R::Ignore => Done::RequestIgnored,
            R::Withdraw => Done::RequestWithdrawn,
        })
    }

    fn delete(&mut self, who: usize) {
        self.present.remove(&who);
        self.connected.retain(|&(a, b)| a != who && b != who);
        self.follows.retain(|&(a, b)| a != who && b != who);
        self.blocks.retain(|&(a, b)| a != who && b != who);
        self.requests.retain(|_, r| r.0 != who && r.1 != who);
    }

    /// The seven booleans alone, as an action's answer reads them.
    fn standing(&self, a: usize, b: usize) -> Relationship {
        Relationship {
            mutual_connections: 0,
            ..self.relationship(a, b)
        }
    }

    fn relationship(&self, a: usize, b: usize) -> Relationship {
        let present = self.present.contains(&a) && self.present.contains(&b);
        if !present {
            return Relationship::default();
        }
        Relationship {
            connected: self.connected.contains(&(a, b)),
            connection_requested: self.pending(a, b).is_some(),
            connection_request_received: self.pending(b, a).is_some(),
            following: self.follows.contains(&(a, b)),
            followed_by: self.follows.contains(&(b, a)),
            blocking: self.blocks.contains(&(a, b)),
            blocked_by: self.blocks.contains(&(b, a)),
            mutual_connections: if a == b {
                0
            } else {
                (0..PEOPLE)
                    .filter(|&c| {
                        c != b
                            && c != a
                            && self.connected.contains(&(a, c))
                            && self.connected.contains(&(b, c))
                    })
                    .count() as u64
            },
        }
    }
}

fn person(i: usize) -> Person {
    Person {
        id: pid(i),
        given_name: format!("G{i}"),
        family_name: format!("F{}", PEOPLE - i),
        ..Person::default()
    }
}

fn run(steps: Vec<Step>) -> Result<(), TestCaseError> {
    let s = Social::in_memory().unwrap();
    let mut m = Model::default();
    for i in 0..PEOPLE {
        s.upsert_person(person(i)).unwrap();
        m.present.insert(i);
    }
    for step in steps {
        match step {
            Step::Person { actor, verb, other } => {
                let outcome = s.act(&pid(actor), Action::on(verb, pid(other))).unwrap();
                let got = outcome.first();
                let want = m.person(actor, verb, other, got);
                prop_assert_eq!(got, want, "{:?} {:?} {:?}", actor, verb, other);
                // The answer's standing is the model's after the step, read in the
                // action's own transaction.
                let known = m.present.contains(&actor) && m.present.contains(&other);
                prop_assert_eq!(outcome.standing, known.then(|| m.standing(actor, other)));
            }
            Step::Request { actor, verb, pick } => {
                // Three picks in four name a request there is (open or answered), where
                // a pick past the few a short run makes named none nearly always.
                let ids: Vec<u64> = m.requests.keys().copied().collect();
                let id = match ids.len() {
                    n if n > 0 && pick < 6 => ids[pick % n],
                    _ => 10_000 + pick as u64,
                };
                let outcome = s
                    .act(
                        &pid(actor),
                        Action::Request {
                            verb,
                            request_id: id,
                        },
                    )
                    .unwrap();
                let other = m
                    .requests
                    .get(&id)
                    .filter(|r| r.2)
                    .and_then(|&(from, to, _)| {
                        let party = m.present.contains(&actor) && (from == actor || to == actor);
                        party.then_some(if from == actor { to } else { from })
                    });
                prop_assert_eq!(outcome.first(), m.request(actor, verb, id));
                prop_assert_eq!(outcome.standing, other.map(|o| m.standing(actor, o)));
            }
            Step::Delete { who } => {
                let existed = s.delete_person(&pid(who)).unwrap();
                prop_assert_eq!(existed, m.present.contains(&who));
                m.delete(who);
            }
            Step::Add { who } => {
                s.upsert_person(person(who)).unwrap();
                m.present.insert(who);
            }
        }
        let r = s.read().unwrap();
        for a in 0..PEOPLE {
            for b in 0..PEOPLE {
                prop_assert_eq!(
                    r.relationship(&pid(a), &pid(b)).unwrap(),
                    m.relationship(a, b)
                );
            }
            let c = r.counts(&pid(a)).unwrap();
            let degree =
                |set: &BTreeSet<(usize, usize)>| set.iter().filter(|e| e.0 == a).count() as u64;
            prop_assert_eq!(c.connections, degree(&m.connected));
            prop_assert_eq!(c.following, degree(&m.follows));
            prop_assert_eq!(
                c.followers,
                m.follows.iter().filter(|e| e.1 == a).count() as u64
            );
            prop_assert_eq!(
                c.requests,
                m.requests.values().filter(|r| r.1 == a && r.2).count() as u64
            );
        }
        // A row's standing after the page read the viewer's lists: what the rows
        // already say replaces lookups, and must agree with the model.
        for a in 0..PEOPLE {
            let r = s.read().unwrap();
            for filter in [
                Filter::Connections,
                Filter::Following,
                Filter::Followers,
                Filter::Blocked,
                Filter::Requests,
                Filter::RequestsSent,
            ] {
                r.list(&pid(a), filter, None, 100).unwrap();
            }
            for b in 0..PEOPLE {
                let want = m.standing(a, b);
                prop_assert_eq!(r.standing(&pid(a), &pid(b)).unwrap(), want, "{} {}", a, b);
            }
        }
        let violations = widget_host::store::check_invariants(&r).unwrap();
        prop_assert!(violations.is_empty(), "{:?}", violations);
    }
    // After a page of the directory, of a search or of a list, a standing comes from
    // one read of each of the viewer's lists over the page's place (first row to
    // last), not from lookups: for the people on the page and off it, on pages of
    // two (whose ends bound those reads) and whole ones, it must agree with the model.
    for a in 0..PEOPLE {
        for limit in [2, 100] {
            for (filter, words) in [
                (Filter::All, ""),
                (Filter::All, "g"),
                (Filter::Connections, ""),
                (Filter::Following, ""),
                (Filter::Followers, "g"),
            ] {
                let mut cursor: Option<String> = None;
                loop {
                    let r = s.read().unwrap();
                    let page = if words.is_empty() {
                        r.list(&pid(a), filter, cursor.as_deref(), limit)
                    } else {
                        r.search(&pid(a), words, filter, cursor.as_deref(), limit)
                    }
                    .unwrap();
                    // The page's viewer first, then another, whose lists the page
                    // did not come from.
                    for x in [a, (a + 1) % PEOPLE] {
                        for b in 0..PEOPLE {
                            prop_assert_eq!(
                                r.standing(&pid(x), &pid(b)).unwrap(),
                                m.standing(x, b),
                                "{} {} {} {:?} {:?} {}",
                                a,
                                x,
                                b,
                                filter,
                                words,
                                limit
                            );
                        }
                    }
                    match page.next_cursor {
                        Some(next) => cursor = Some(next),
                        None => break,
                    }
                }
            }
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1000, ..ProptestConfig::default() })]
    #[test]
    fn store_agrees_with_model(steps in proptest::collection::vec(step(), 1..30)) {
        run(steps)?;
    }
}
