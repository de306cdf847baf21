//! What the load generator asks the host: LinkBench-like proportions (list pages 70%,
//! counts and cards 20%, actions 10%), each request's viewer drawn afresh with the
//! graph's own skew (a person is picked in proportion to their connections + 1, so
//! hubs browse more, as active users do, and anyone may come by), each with a real JWT
//! of the bench consumer.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use widget_host::portal::Profile;
use widget_host::portal::auth::mint;
use widget_host::social::{Done, Social};
use widget_host::store::Relationship;
use widget_host::widgets::contacts_center::messages::done_key;

use crate::load::{Conn, Kind, Request, Requests, Weighted};
use crate::report::Export;
use crate::{CONSUMER, Error, SECRET, id};

const NS: &str = "_contacts_center_";
const RENDER: &str = "/widgets/contacts_center/render";
/// The (viewer, person) pairs actions are taken on, each followed and unfollowed by
/// turns, so every action changes the graph: a random unfollow of a random person
/// would almost always find nothing to undo, and commit nothing. Enough that the 64
/// connections of the grouped-actions point have 4,096 between them, all over the
/// file, so what they write is not a few pages kept hot in the cache.
const ACTION_PAIRS: usize = 16_384;
/// How many people [`pair_people`] tries for one pair before it keeps the last.
const PAIR_TRIES: usize = 64;
/// Connection `w` acts only on the pairs `k` with `k % PAIR_STRIDE == w % PAIR_STRIDE`,
/// so up to this many connections never share a pair. Two connections on one pair
/// could overtake each other (a follow after the unfollow that was meant to undo it),
/// and the host would answer "already following": an action that changed nothing.
pub const PAIR_STRIDE: usize = 256;

/// People and names picked from the seeded graph.
pub struct Picked {
    users: usize,
    /// Connections of every person (index = seeded number).
    pub connections: Vec<u64>,
    /// Search prefixes taken from real names.
    prefixes: Vec<String>,
    /// The person of each action pair, by seeded number.
    people: Vec<usize>,
    /// Per action pair: whether its viewer follows its person in the seeded graph.
    following: Vec<bool>,
}

/// Reads the counts of every seeded person and some names for searches.
pub fn pick(social: &Social, users: usize) -> Result<Picked, Error> {
    let reader = social.read()?;
    let mut connections = Vec::with_capacity(users);
    let mut prefixes = Vec::new();
    for i in 0..users {
        connections.push(reader.counts(&id(i))?.connections);
        if i % 97 == 0
            && let Some(p) = reader.person(&id(i))?
        {
            for name in [&p.given_name, &p.family_name] {
                let prefix: String = name.chars().take(3).collect();
                if !prefix.is_empty() {
                    prefixes.push(prefix);
                }
            }
        }
    }
    // The pairs start from what the graph holds, so the first action on each is a
    // change too.
    let actors = action_actors(&connections);
    let (people, following) = pair_people(&actors, users, |actor, other| {
        Ok(reader.relationship(&id(actor), &id(other))?)
    })?;
    Ok(Picked {
        users,
        connections,
        prefixes,
        people,
        following,
    })
}

/// The person of each action pair, and whether its viewer follows them now. Each is
/// spread over the graph by a multiplicative hash, and moved on to the next candidate
/// where following and unfollowing by turns would not change the graph each time: the
/// viewer themself (refused), a block between the two (refused, or a no-op), or a pair
/// already taken (two connections on one pair could overtake each other, and the host
/// would answer "already following"). A graph too small to have a fitting person
/// keeps the last candidate, whose refusals the run counts as errors.
fn pair_people(
    actors: &[usize],
    users: usize,
    mut stand: impl FnMut(usize, usize) -> Result<Relationship, Error>,
) -> Result<(Vec<usize>, Vec<bool>), Error> {
    let mut taken = HashSet::with_capacity(actors.len());
    let mut people = Vec::with_capacity(actors.len());
    let mut following = Vec::with_capacity(actors.len());
    for (k, &actor) in actors.iter().enumerate() {
        let mut chosen = (pair_person(k, 0, users), false);
        for attempt in 0..PAIR_TRIES {
            let other = pair_person(k, attempt, users);
            chosen = (other, false);
            if other == actor || taken.contains(&(actor, other)) {
                continue;
            }
            let r = stand(actor, other)?;
            chosen.1 = r.following;
            if !(r.blocking || r.blocked_by) {
                break;
            }
        }
        taken.insert((actor, chosen.0));
        people.push(chosen.0);
        following.push(chosen.1);
    }
    Ok((people, following))
}

/// The viewer of each action pair, by seeded number, drawn with the graph's skew.
fn action_actors(connections: &[u64]) -> Vec<usize> {
    let viewers = Weighted::new(connections.iter().map(|c| c + 1));
    let mut rng = StdRng::seed_from_u64(11);
    (0..ACTION_PAIRS).map(|_| viewers.pick(&mut rng)).collect()
}

/// A random action pair of connection `worker`'s own ([`PAIR_STRIDE`]).
fn pair_for(worker: usize, rng: &mut StdRng) -> usize {
    worker % PAIR_STRIDE + rng.random_range(0..ACTION_PAIRS / PAIR_STRIDE) * PAIR_STRIDE
}

/// Candidate `attempt` for the person of action pair `k`, spread over the graph by a
/// multiplicative hash.
fn pair_person(k: usize, attempt: usize, users: usize) -> usize {
    let n = k + attempt * ACTION_PAIRS;
    (n.wrapping_mul(2_654_435_761) >> 7) % users.max(1)
}

/// The outcome keys an action pair's follow and unfollow answer with when they change
/// the graph.
fn changed_key(unfollow: bool) -> &'static str {
    done_key(if unfollow {
        Done::Unfollowed
    } else {
        Done::NowFollowing
    })
}

fn token(user: &str) -> Result<String, Error> {
    Ok(mint(
        CONSUMER,
        SECRET,
        user,
        &[],
        &Profile::default(),
        Duration::from_secs(24 * 3600),
    )?)
}

fn encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn get(path: &str, token: &str) -> Vec<u8> {
    format!(
        "GET {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\naccept: text/html\r\n\r\n"
    )
    .into_bytes()
}

fn post(path: &str, token: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer {token}\r\naccept: application/json\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The request builder shared by every workload.
pub struct Mix {
    users: usize,
    /// Picks a viewer, by seeded number, in proportion to connections + 1.
    viewers: Weighted,
    /// Every person's token, by seeded number: minted before the clock starts, so a
    /// request costs the load generator a draw and a copy.
    tokens: Vec<String>,
    /// The viewer of each action pair, by seeded number, drawn with the same skew.
    actors: Vec<usize>,
    /// The person of each action pair, by seeded number.
    people: Vec<usize>,
    prefixes: Vec<String>,
    /// The person with the most connections: (id, token, connections).
    hub: (String, String, u64),
    /// The person whose connection count is nearest 1,000.
    near_1000: (String, String, u64),
    /// The person whose connection count is nearest 5,000, the vCard export.
    near_5000: (String, String, u64),
    /// Per action pair: whether its next action is an unfollow.
    followed: Vec<AtomicBool>,
}

impl Mix {
    pub fn new(picked: Picked) -> Result<Self, Error> {
        let viewers = Weighted::new(picked.connections.iter().map(|c| c + 1));
        let actors = action_actors(&picked.connections);
        let tokens = (0..picked.users)
            .map(|i| token(&id(i)))
            .collect::<Result<_, _>>()?;
        let (hub_i, hub_c) = picked
            .connections
            .iter()
            .enumerate()
            .max_by_key(|(_, c)| **c)
            .map(|(i, c)| (i, *c))
            .unwrap_or((0, 0));
        let nearest = |target: u64| -> Result<(String, String, u64), Error> {
            let (i, c) = picked
                .connections
                .iter()
                .enumerate()
                .min_by_key(|(_, c)| c.abs_diff(target))
                .map(|(i, c)| (i, *c))
                .unwrap_or((0, 0));
            Ok((id(i), token(&id(i))?, c))
        };
        Ok(Self {
            users: picked.users.max(1),
            viewers,
            tokens,
            actors,
            people: picked.people,
            hub: (id(hub_i), token(&id(hub_i))?, hub_c),
            near_1000: nearest(1_000)?,
            near_5000: nearest(5_000)?,
            prefixes: picked.prefixes,
            followed: (0..ACTION_PAIRS)
                .map(|k| AtomicBool::new(picked.following.get(k).copied().unwrap_or(false)))
                .collect(),
        })
    }

    /// One request of `kind` from a random viewer, for connection `worker`.
    pub fn request(&self, kind: Kind, worker: usize, rng: &mut StdRng) -> Request {
        let viewer = self.viewers.pick(rng);
        let tok = self.token(viewer);
        let bytes = match kind {
            Kind::Home | Kind::Baseline => get(RENDER, tok),
            Kind::Filter => {
                let f = ["connections", "following", "followers"][rng.random_range(0..3)];
                get(&format!("{RENDER}?{NS}filter={f}"), tok)
            }
            Kind::Search => {
                let p = self
                    .prefixes
                    .get(rng.random_range(0..self.prefixes.len().max(1)))
                    .map(String::as_str)
                    .unwrap_or("an");
                get(&format!("{RENDER}?{NS}keywords={}", encode(p)), tok)
            }
            Kind::Detail => {
                // The card looked at is drawn with the skew too: popular people are
                // looked at more. Not the viewer's own, which is no one's card.
                let mut other = self.viewers.pick(rng);
                for _ in 0..3 {
                    if other != viewer {
                        break;
                    }
                    other = self.viewers.pick(rng);
                }
                if other == viewer {
                    other = (other + 1) % self.users;
                }
                get(&format!("{RENDER}?{NS}userId={}", id(other)), tok)
            }
            Kind::Action => {
                let (tok, other, verb) = self.action(pair_for(worker, rng));
                return Request {
                    kind,
                    bytes: post(
                        &format!("/widgets/contacts_center/actions/{verb}"),
                        tok,
                        &format!("{NS}userId={other}"),
                    ),
                    says: Some(changed_key(verb == "unfollow")),
                };
            }
        };
        Request::of(kind, bytes)
    }
}

impl Mix {
    /// The token of person `i` (of the first person when there are none, so an empty
    /// graph's requests are refused rather than the load generator failing).
    fn token(&self, i: usize) -> &str {
        self.tokens
            .get(i)
            .or(self.tokens.first())
            .map_or("", String::as_str)
    }

    /// Pair `k`'s next action: its viewer's token, the person, and the verb, which
    /// alternates.
    fn action(&self, k: usize) -> (&str, String, &'static str) {
        let tok = self.token(self.actors[k]);
        let other = id(self.people.get(k).copied().unwrap_or(0));
        let unfollow = self.followed[k].fetch_xor(true, Ordering::Relaxed);
        (tok, other, if unfollow { "unfollow" } else { "follow" })
    }
}

/// A stream of requests for [`crate::load::run`].
pub enum Workload {
    Baseline,
    Only(Arc<Mix>, Kind),
    Mixed(Arc<Mix>),
}

impl Workload {
    pub fn baseline() -> Arc<dyn Requests> {
        Arc::new(Workload::Baseline)
    }

    pub fn only(mix: &Arc<Mix>, kind: Kind) -> Arc<dyn Requests> {
        Arc::new(Workload::Only(Arc::clone(mix), kind))
    }

    pub fn mixed(mix: &Arc<Mix>) -> Arc<dyn Requests> {
        Arc::new(Workload::Mixed(Arc::clone(mix)))
    }
}

impl Requests for Workload {
    fn next(&self, worker: usize, rng: &mut StdRng) -> Request {
        match self {
            Workload::Baseline => Request::of(
                Kind::Baseline,
                b"GET / HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n".to_vec(),
            ),
            Workload::Only(mix, kind) => mix.request(*kind, worker, rng),
            Workload::Mixed(mix) => {
                // List pages 70% (home 25, filters 30, search 15), cards 20%, actions 10%.
                let kind = match rng.random_range(0..100) {
                    0..25 => Kind::Home,
                    25..55 => Kind::Filter,
                    55..70 => Kind::Search,
                    70..90 => Kind::Detail,
                    _ => Kind::Action,
                };
                mix.request(kind, worker, rng)
            }
        }
    }
}

/// Median of `runs` sequential renders of the connections filter of the viewer with
/// about 1,000 connections: (their connections, median).
pub async fn median_home(
    addr: SocketAddr,
    mix: &Mix,
    runs: usize,
) -> Result<(u64, Duration), Error> {
    let (_, tok, n) = &mix.near_1000;
    let request = get(&format!("{RENDER}?{NS}filter=connections"), tok);
    let mut conn = Conn::open(addr).await?;
    let (mut times, _) = timed_runs(&mut conn, &request, runs, "home render").await?;
    times.sort();
    let median = times.get(runs / 2).ok_or("no home render was timed")?;
    Ok((*n, *median))
}

/// How many times each vCard export is timed: one export is one sample of a
/// machine whose runs vary, and the report gives their median and range.
pub const VCARD_RUNS: usize = 7;

/// vCard exports of all of a person's connections, each timed [`VCARD_RUNS`] times:
/// the person nearest 5,000 connections (the figure), then the hub, the
/// largest export the graph has, when that is someone else.
pub async fn vcard_exports(addr: SocketAddr, mix: &Mix) -> Result<Vec<Export>, Error> {
    let mut people = vec![&mix.near_5000];
    if mix.hub.0 != mix.near_5000.0 {
        people.push(&mix.hub);
    }
    let mut conn = Conn::open(addr).await?;
    let mut exports = Vec::new();
    for (_, tok, n) in people {
        let request = get(
            &format!("/widgets/contacts_center/resources/vcard?{NS}filter=connections"),
            tok,
        );
        let (times, bytes) = timed_runs(&mut conn, &request, VCARD_RUNS, "vCard export").await?;
        exports.push(Export {
            connections: *n,
            times,
            bytes,
        });
    }
    Ok(exports)
}

/// Sends `request` `runs` times, one after another on `conn`: each answer's time, in
/// the order they ran, and the size of the last body. Any status but 200 is an error
/// naming `what`.
async fn timed_runs(
    conn: &mut Conn,
    request: &[u8],
    runs: usize,
    what: &str,
) -> Result<(Vec<Duration>, usize), Error> {
    let mut times = Vec::with_capacity(runs);
    let mut bytes = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let (status, body) = conn.send(request).await?;
        if status != 200 {
            return Err(format!("{what} answered {status}").into());
        }
        times.push(t.elapsed());
        bytes = body;
    }
    Ok((times, bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 50 people: person 0 has 1,000 connections, the rest none.
    fn mix() -> Arc<Mix> {
        let mut connections = vec![0; 50];
        connections[0] = 1_000;
        let picked = Picked {
            users: 50,
            connections,
            prefixes: vec!["Ann".into()],
            people: (0..ACTION_PAIRS).map(|k| 1 + k % 49).collect(),
            // The seeded graph has pair 1's viewer following its person already.
            following: vec![false, true],
        };
        Arc::new(Mix::new(picked).expect("tokens"))
    }

    #[test]
    fn each_action_pair_follows_and_unfollows_by_turns() {
        let mix = mix();
        for k in [0, 1, ACTION_PAIRS - 1] {
            let first = mix.action(k);
            let second = mix.action(k);
            let third = mix.action(k);
            let turns = if k == 1 {
                ("unfollow", "follow", "unfollow")
            } else {
                ("follow", "unfollow", "follow")
            };
            assert_eq!((first.2, second.2, third.2), turns, "pair {k}");
            assert_eq!(first.1, id(1 + k % 49), "the pair's own person");
            assert_eq!((first.0, &first.1), (second.0, &second.1), "the same pair");
        }
    }

    /// Each pair's person is someone the viewer can follow and unfollow by turns: never
    /// the viewer, never across a block, never a pair another already has; and the pair
    /// starts from how the two stand.
    #[test]
    fn action_pairs_are_people_each_can_follow_by_turns() {
        // Few enough people that the hash gives a viewer some person twice.
        let users = 20_000;
        // Three viewers: 7, and the two ends of a block, 11 and 13 (every person 13
        // would be paired with first is one it blocks).
        let mut actors: Vec<usize> = (0..ACTION_PAIRS).map(|k| [7, 11, 13][k % 3]).collect();
        // And one whose first candidate is the viewer themself.
        actors[3] = pair_person(3, 0, users);
        // 11 is blocked by the person of its first pair.
        let people_11_first = pair_person(1, 0, users);
        let first_of_13: HashSet<usize> = (0..ACTION_PAIRS)
            .filter(|k| k % 3 == 2)
            .map(|k| pair_person(k, 0, users))
            .collect();
        let (people, following) = pair_people(&actors, users, |actor, other| {
            Ok(Relationship {
                following: other % 2 == 0,
                blocking: actor == 13 && first_of_13.contains(&other),
                blocked_by: actor == 11 && other == people_11_first,
                ..Relationship::default()
            })
        })
        .expect("pairs");
        let mut pairs = HashSet::new();
        for (k, (&actor, &other)) in actors.iter().zip(&people).enumerate() {
            assert_ne!(actor, other, "pair {k} is its viewer's own");
            assert!(pairs.insert((actor, other)), "pair {k} is taken twice");
            assert!(
                !(actor == 11 && other == people_11_first),
                "pair {k} crosses a block"
            );
            if actor == 13 {
                assert!(!first_of_13.contains(&other), "pair {k} crosses a block");
            }
            assert_eq!(
                following[k],
                other % 2 == 0,
                "pair {k} starts as they stand"
            );
        }
        // The pairs reach across the graph, not a few people.
        let reached: HashSet<usize> = people.iter().copied().collect();
        assert!(reached.len() > users / 2, "{}", reached.len());
    }

    #[test]
    fn no_two_connections_act_on_the_same_pair() {
        let mut rng = StdRng::seed_from_u64(3);
        let mut owner = vec![None; ACTION_PAIRS];
        for worker in 0..PAIR_STRIDE {
            for _ in 0..2_000 {
                let k = pair_for(worker, &mut rng);
                assert!(k < ACTION_PAIRS);
                let first = *owner[k].get_or_insert(worker);
                assert_eq!(first, worker, "pair {k}");
            }
        }
        // Each connection still reaches all of its own pairs.
        let reached = owner.iter().filter(|o| o.is_some()).count();
        assert_eq!(reached, ACTION_PAIRS);
    }

    #[test]
    fn each_requests_viewer_is_drawn_with_the_graph_skew() {
        let mix = mix();
        let mut rng = StdRng::seed_from_u64(5);
        let draws = 10_000;
        let mut seen = std::collections::BTreeMap::<String, usize>::new();
        for _ in 0..draws {
            let text =
                String::from_utf8(mix.request(Kind::Home, 0, &mut rng).bytes).expect("ASCII");
            let token = text
                .split("authorization: Bearer ")
                .nth(1)
                .and_then(|t| t.split("\r\n").next())
                .expect("a token");
            *seen.entry(token.to_owned()).or_default() += 1;
        }
        // The hub has weight 1,001 of 1,050: about 95% of the requests.
        let hub = seen.get(mix.token(0)).copied().unwrap_or(0);
        assert!(hub > 9_300 && hub < 9_750, "{hub}");
        // The 49 others (weight 1 each) come by too, each about 10 times.
        assert!(seen.len() > 45, "{} viewers", seen.len());
        // The action pairs' viewers follow the same skew.
        let hub_pairs = mix.actors.iter().filter(|&&i| i == 0).count();
        let share = hub_pairs as f64 / ACTION_PAIRS as f64;
        assert!(share > 0.9 && share < 0.98, "{hub_pairs}");
        assert_eq!(mix.near_1000.2, 1_000);
        // No one has 5,000: the nearest is the hub itself.
        assert_eq!(mix.near_5000, mix.hub);
        // The cards looked at follow the skew too, and are never the viewer's own.
        let mut hub_cards = 0;
        for _ in 0..draws {
            let text =
                String::from_utf8(mix.request(Kind::Detail, 0, &mut rng).bytes).expect("ASCII");
            let card = text
                .split(&format!("{NS}userId="))
                .nth(1)
                .and_then(|t| t.split(' ').next())
                .expect("a card");
            let token = text
                .split("authorization: Bearer ")
                .nth(1)
                .and_then(|t| t.split("\r\n").next())
                .expect("a token");
            let viewer = (0..50).find(|&i| mix.token(i) == token).expect("a viewer");
            assert_ne!(card, id(viewer), "a viewer's own card");
            hub_cards += usize::from(card == id(0));
        }
        // The hub is looked at whenever it is drawn and is not the viewer: about 95% of
        // the 5% of draws whose viewer is someone else.
        assert!(hub_cards > 350 && hub_cards < 600, "{hub_cards}");
    }

    #[test]
    fn the_mix_is_list_pages_cards_and_actions_70_20_10() {
        let mix = mix();
        let workload = Workload::mixed(&mix);
        let mut rng = StdRng::seed_from_u64(3);
        let (mut lists, mut cards, mut actions) = (0, 0, 0);
        let draws = 20_000;
        for _ in 0..draws {
            let request = workload.next(0, &mut rng);
            let text = String::from_utf8(request.bytes).expect("ASCII request");
            assert!(text.contains("authorization: Bearer "), "{text}");
            // Only an action's answer is read for what it says: its outcome.
            assert_eq!(request.says.is_some(), request.kind == Kind::Action);
            match request.kind {
                Kind::Home | Kind::Filter | Kind::Search => {
                    assert!(text.starts_with(&format!("GET {RENDER}")), "{text}");
                    lists += 1;
                }
                Kind::Detail => {
                    assert!(text.contains(&format!("{NS}userId=")), "{text}");
                    cards += 1;
                }
                Kind::Action => {
                    let (head, body) = text.split_once("\r\n\r\n").expect("head and body");
                    assert!(head.starts_with("POST /widgets/contacts_center/actions/"));
                    assert!(head.contains(&format!("content-length: {}", body.len())));
                    let unfollow = head.contains("/actions/unfollow ");
                    let key = if unfollow {
                        "you-are-not-following-this-user-anymore"
                    } else {
                        "you-are-now-following-this-user"
                    };
                    assert_eq!(request.says, Some(key), "{head}");
                    actions += 1;
                }
                Kind::Baseline => panic!("the mix never asks the baseline"),
            }
        }
        for (got, share) in [(lists, 0.70), (cards, 0.20), (actions, 0.10)] {
            let got = got as f64 / draws as f64;
            assert!((got - share).abs() < 0.015, "{got} against {share}");
        }
    }
}
