//! `seed`: a synthetic directory and social graph for demos, load tests and benchmarks.
//!
//! People get varied, partly non-ASCII names (so that folding, sorting and search are
//! exercised), job titles, emails, phones and addresses. Relations follow a skewed,
//! Zipf-like degree distribution: both ends of each relation are drawn from a Zipf law
//! over a shuffled ranking (one draw in ten uniformly, so that everyone has a few), so
//! a few people are connected to tens of thousands while the median person has half
//! the mean, and the top 1% hold about a quarter of all relation ends, as in real
//! portals. With one end uniform, as before, three ends in four were uniform, and all
//! but the head had about the mean.
//!
//! Every relation is between a pair of people that has no other relation, which keeps
//! the social rules by construction: nothing crosses a block, no request is pending
//! between connected people or both ways. Given the same options (`seed_value`
//! included) the result is the same, byte for byte in what is stored.

use std::collections::HashSet;

use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};

use super::DirectoryError;
use crate::social::{BulkEdge, Social, SocialError};
use crate::store::{ContactInformation, EmailAddress, Person, Phone, PostalAddress, WebUrl, fold};

/// Relations written per transaction: each transaction rewrites most pages of the
/// edge and list tables, so fewer, larger ones write far less.
const EDGE_BATCH: usize = 1_000_000;
/// People written per transaction.
const PEOPLE_BATCH: usize = 10_000;
/// Exponent of the Zipf law: near 1 gives a heavy head without one person taking all.
const ZIPF_EXPONENT: f64 = 0.8;
/// The share of draws that are uniform: without it, the people ranked last would have
/// next to no chance of any relation at all.
const UNIFORM_SHARE: f64 = 0.1;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedOptions {
    pub users: usize,
    /// Average number of relations (connections and follows) per person.
    pub degree: f64,
    /// Seed of the random generator.
    pub seed_value: u64,
}

impl SeedOptions {
    /// How many relations the seed draws, or why these options are refused. The
    /// command asks before it opens the database, so options it refuses create or
    /// migrate no file.
    pub fn relations(&self) -> Result<usize, DirectoryError> {
        let users = self.users;
        if users > MAX_SEED_USERS {
            return Err(DirectoryError::Seed(format!(
                "--users must be at most {MAX_SEED_USERS}"
            )));
        }
        let relations = (users as f64 * self.degree.max(0.0) / 2.0).round();
        if relations > MAX_SEED_RELATIONS as f64 {
            return Err(DirectoryError::Seed(format!(
                "--users {users} with --degree {} make {relations} relations; a seed draws at most {MAX_SEED_RELATIONS}",
                self.degree
            )));
        }
        Ok(relations as usize)
    }
}

/// What was written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeedReport {
    pub people: usize,
    /// Connections and follows `--degree` asked for: more than a small directory's
    /// pairs can hold are drawn short (each pair is related once).
    pub asked: usize,
    pub connections: usize,
    pub follows: usize,
    pub blocks: usize,
    pub requests: usize,
}

const GIVEN: &[&str] = &[
    "José",
    "Zoë",
    "Łukasz",
    "太郎",
    "Thị Lan",
    "Ana",
    "Björn",
    "Chloé",
    "Dmitri",
    "Émilie",
    "François",
    "Grace",
    "Hannah",
    "Ingrid",
    "Jürgen",
    "Kenji",
    "Lucía",
    "Mohammed",
    "Noémie",
    "Oliver",
    "Priya",
    "Quentin",
    "Rafał",
    "Søren",
    "Tomás",
    "Ulrike",
    "Valentina",
    "Wei",
    "Xavier",
    "Yasmin",
    "Zeynep",
    "Ahmed",
    "Beatriz",
    "Carlos",
    "Daniela",
    "Ethan",
    "Fatima",
    "Giulia",
    "Hugo",
    "Isabel",
    "João",
    "Katarzyna",
    "Liam",
    "María",
    "Nikolai",
    "Olga",
    "Pablo",
    "Siobhán",
    "Aoife",
    "花子",
];

const FAMILY: &[&str] = &[
    "Álvarez",
    "Nguyễn",
    "山田",
    "Müller",
    "O'Brien",
    "Smith",
    "García",
    "Kowalski",
    "Dubois",
    "Rossi",
    "Johansson",
    "Ivanov",
    "Tanaka",
    "Papadopoulos",
    "Silva",
    "Novák",
    "Jensen",
    "Fernández",
    "Schröder",
    "Lefèvre",
    "Wiśniewski",
    "Öztürk",
    "Kim",
    "Chen",
    "Patel",
    "Okafor",
    "Hernández",
    "Søndergaard",
    "Brown",
    "Wilson",
    "Martínez",
    "Lopez",
    "Ng",
    "Costa",
    "Ferreira",
    "Bianchi",
    "Jovanović",
    "Horváth",
    "Yılmaz",
    "Mac Lochlainn",
];

const MIDDLE: &[&str] = &["", "", "", "", "María", "Ann", "J.", "Lou", "Ōta", "Marie"];

const TITLES: &[&str] = &[
    "Software Engineer",
    "Product Manager",
    "Designer",
    "Sales Director",
    "Support Engineer",
    "HR Partner",
    "Accountant",
    "Data Scientist",
    "Marketing Lead",
    "CTO",
    "Ingeniera de datos",
    "Chef de projet",
    "営業部長",
    "Entwicklerin",
    "Analyst",
];

const CITIES: &[(&str, &str, &str)] = &[
    ("Madrid", "Madrid", "Spain"),
    ("São Paulo", "SP", "Brazil"),
    ("Kraków", "Małopolskie", "Poland"),
    ("東京", "東京都", "Japan"),
    ("München", "Bayern", "Germany"),
    ("Hà Nội", "", "Vietnam"),
    ("Diamond Bar", "CA", "United States"),
    ("Dublin", "", "Ireland"),
    ("Zürich", "ZH", "Switzerland"),
    ("Lyon", "Auvergne-Rhône-Alpes", "France"),
];

/// The portal user id of the `i`th seeded person.
pub fn seeded_id(i: usize) -> String {
    format!("user{i:06}")
}

fn pick<'a>(rng: &mut StdRng, from: &[&'a str]) -> &'a str {
    from[rng.random_range(0..from.len())]
}

fn person(i: usize, rng: &mut StdRng) -> Person {
    let given = pick(rng, GIVEN);
    let family = pick(rng, FAMILY);
    let middle = pick(rng, MIDDLE);
    let id = seeded_id(i);
    let ascii = |s: &str| fold(s).replace([' ', '\''], "-");
    let email = format!("{}.{}.{i}@example.com", ascii(given), ascii(family));
    let (city, region, country) = CITIES[rng.random_range(0..CITIES.len())];
    let phone = format!("+1 555 {:07}", rng.random_range(0..10_000_000u32));
    Person {
        id: id.clone(),
        given_name: given.to_owned(),
        additional_name: middle.to_owned(),
        family_name: family.to_owned(),
        alternate_name: id.clone(),
        email_address: email.clone(),
        job_title: pick(rng, TITLES).to_owned(),
        image: None,
        user_account_contact_information: ContactInformation {
            email_addresses: vec![EmailAddress {
                email_address: email,
                kind: "email-address".into(),
                primary: true,
            }],
            telephones: vec![Phone {
                phone_number: phone,
                extension: String::new(),
                phone_type: "business".into(),
                primary: true,
            }],
            postal_addresses: vec![PostalAddress {
                street_address_line1: format!("{} Calle Mayor", 1 + i % 200),
                address_locality: city.into(),
                address_region: region.into(),
                postal_code: format!("{:05}", i % 100_000),
                address_country: country.into(),
                address_type: "business".into(),
                primary: true,
                ..PostalAddress::default()
            }],
            web_urls: vec![WebUrl {
                url: format!("https://example.com/~{id}"),
                url_type: "personal".into(),
                primary: true,
            }],
        },
    }
}

/// Draws people: from a Zipf law over a shuffled ranking, or ([`UNIFORM_SHARE`] of the
/// time) uniformly.
struct Draw {
    /// Cumulative Zipf weights by rank.
    cumulative: Vec<f64>,
    /// Person at each rank.
    ranked: Vec<u32>,
}

impl Draw {
    fn new(users: usize, rng: &mut StdRng) -> Self {
        let mut total = 0.0;
        let cumulative = (0..users)
            .map(|r| {
                total += 1.0 / ((r + 1) as f64).powf(ZIPF_EXPONENT);
                total
            })
            .collect();
        let mut ranked: Vec<u32> = (0..users as u32).collect();
        ranked.shuffle(rng);
        Self { cumulative, ranked }
    }

    fn uniform(&self, rng: &mut StdRng) -> u32 {
        rng.random_range(0..self.ranked.len() as u32)
    }

    fn popular(&self, rng: &mut StdRng) -> u32 {
        if rng.random_bool(UNIFORM_SHARE) {
            return self.uniform(rng);
        }
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = rng.random::<f64>() * total;
        let rank = self.cumulative.partition_point(|&c| c < x);
        self.ranked[rank.min(self.ranked.len() - 1)]
    }
}

/// Pairs (unordered) that already hold a relation.
struct Pairs(HashSet<(u32, u32)>);

impl Pairs {
    /// Claims the pair for one relation; false when it is taken or a self-pair.
    fn claim(&mut self, a: u32, b: u32) -> bool {
        a != b && self.0.insert((a.min(b), a.max(b)))
    }
}

/// Draws `want` relations between fresh pairs; gives up after enough failed tries
/// (a tiny directory cannot hold a large degree).
fn draw(want: usize, draw: &Draw, pairs: &mut Pairs, rng: &mut StdRng) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(want);
    let mut tries = want.saturating_mul(4).saturating_add(100);
    while out.len() < want && tries > 0 {
        tries -= 1;
        let a = draw.popular(rng);
        let b = draw.popular(rng);
        if pairs.claim(a, b) {
            out.push((a, b));
        }
    }
    out
}

/// Most people one seed writes: ten times the benchmark's graph, and far below what
/// would overflow the allocations sized by it.
pub const MAX_SEED_USERS: usize = 1_000_000;

/// Most relations one seed draws: ten times the benchmark's graph. The set that keeps
/// pairs distinct is sized by it, so `--users 1000000 --degree 10000` would ask for
/// tens of gigabytes at once.
pub const MAX_SEED_RELATIONS: usize = 20_000_000;

/// A seed's refusal of a directory that holds `existing` people: it seeds only an
/// empty one.
pub fn refuse_a_peopled_directory(existing: u64) -> Result<(), DirectoryError> {
    if existing == 0 {
        return Ok(());
    }
    Err(DirectoryError::Seed(format!(
        "the database already holds {existing} people; seed an empty data dir (a seed that was stopped part way leaves some: delete the data dir's widget-host.redb and run it again)"
    )))
}

/// Writes the synthetic directory and graph into an empty directory. A directory that
/// holds anyone is refused: seeded ids would replace real people of the same id, fake
/// people would join a real directory, and relations drawn without looking at the
/// ones there could break the rules against them (a follow across a block).
pub fn seed(
    social: &Social,
    options: SeedOptions,
    progress: &ProgressBar,
) -> Result<SeedReport, DirectoryError> {
    let users = options.users;
    let relations = options.relations()?;
    let existing = social.read()?.directory_size().map_err(SocialError::from)?;
    if users > 0 {
        refuse_a_peopled_directory(existing)?;
    }
    let mut rng = StdRng::seed_from_u64(options.seed_value);
    let people: Vec<Person> = (0..users).map(|i| person(i, &mut rng)).collect();
    progress.set_length(users as u64);
    progress.set_message("people");
    for chunk in people.chunks(PEOPLE_BATCH) {
        social.upsert_people(chunk.to_vec())?;
        progress.inc(chunk.len() as u64);
    }
    drop(people);

    let sampler = Draw::new(users, &mut rng);
    let mut pairs = Pairs(HashSet::with_capacity(relations + users / 20));
    let blocks = draw(users / 200, &sampler, &mut pairs, &mut rng);
    let requests = draw(users / 50, &sampler, &mut pairs, &mut rng);
    let connections = draw(relations * 55 / 100, &sampler, &mut pairs, &mut rng);
    let follows = draw(
        relations - relations * 55 / 100,
        &sampler,
        &mut pairs,
        &mut rng,
    );
    drop(pairs);
    let report = SeedReport {
        people: users,
        asked: relations,
        connections: connections.len(),
        follows: follows.len(),
        blocks: blocks.len(),
        requests: requests.len(),
    };

    let id = |n: u32| seeded_id(n as usize);
    let edges = blocks
        .iter()
        .map(|&(a, b)| BulkEdge::Block(id(a), id(b)))
        .chain(
            requests
                .iter()
                .map(|&(a, b)| BulkEdge::Request(id(a), id(b))),
        )
        .chain(
            connections
                .iter()
                .map(|&(a, b)| BulkEdge::Connection(id(a), id(b))),
        )
        .chain(follows.iter().map(|&(a, b)| BulkEdge::Follow(id(a), id(b))));
    let total = blocks.len() + requests.len() + connections.len() + follows.len();
    progress.set_position(0);
    progress.set_length(total as u64);
    progress.set_message("relations");
    let mut edges = edges.peekable();
    while edges.peek().is_some() {
        let chunk: Vec<BulkEdge> = edges.by_ref().take(EDGE_BATCH).collect();
        let n = chunk.len() as u64;
        social.link_many(chunk)?;
        progress.inc(n);
    }
    progress.finish_and_clear();
    Ok(report)
}
