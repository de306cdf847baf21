//! The demo directory: about fifty people with varied names (accents, other scripts),
//! job titles, phones and addresses, and a few relationships so a newcomer sees every
//! list filled at once. Seeded only into an empty database.

use crate::social::{Action, PersonVerb, Social, SocialError};
use crate::store::{ContactInformation, EmailAddress, Person, Phone, PostalAddress, WebUrl};

/// (id, given, family, job title). The first person is who the demo signs in as by default.
const PEOPLE: [(&str, &str, &str, &str); 50] = [
    ("ana.lima", "Ana", "Lima", "Product Manager"),
    ("jose.alvarez", "José", "Álvarez", "Backend Engineer"),
    ("richard.roe", "Richard", "Roe", "Sales Director"),
    ("jane.doe", "Jane", "Doe", "UX Designer"),
    ("zoe.muller", "Zoë", "Müller", "Data Scientist"),
    (
        "lukasz.nowak",
        "Łukasz",
        "Nowak",
        "Site Reliability Engineer",
    ),
    ("taro.yamada", "太郎", "山田", "Solutions Architect"),
    ("minh.nguyen", "Minh", "Nguyễn", "Frontend Engineer"),
    ("francois.lefevre", "François", "Lefèvre", "Legal Counsel"),
    ("sofia.rossi", "Sofia", "Rossi", "Marketing Lead"),
    ("bjorn.andersson", "Björn", "Andersson", "Support Engineer"),
    ("aisha.okafor", "Aisha", "Okafor", "Finance Manager"),
    ("chen.wei", "伟", "陈", "QA Engineer"),
    ("ines.garcia", "Inés", "García", "HR Partner"),
    ("oliver.smith", "Oliver", "Smith", "Account Executive"),
    ("priya.sharma", "Priya", "Sharma", "Engineering Manager"),
    ("mateo.fernandez", "Mateo", "Fernández", "Mobile Developer"),
    ("hannah.schmidt", "Hannah", "Schmidt", "Technical Writer"),
    ("lucas.martin", "Lucas", "Martin", "Security Analyst"),
    ("olga.ivanova", "Ольга", "Иванова", "Translator"),
    ("kwame.mensah", "Kwame", "Mensah", "Community Manager"),
    ("emma.johansson", "Emma", "Johansson", "Office Manager"),
    ("joao.silva", "João", "Silva", "Consultant"),
    ("camille.dubois", "Camille", "Dubois", "Designer"),
    ("yuki.sato", "Yuki", "Sato", "Researcher"),
    ("noah.williams", "Noah", "Williams", "DevOps Engineer"),
    ("fatima.haddad", "Fatima", "Haddad", "Project Coordinator"),
    ("sven.nielsen", "Sven", "Nielsen", "Database Administrator"),
    ("maria.kowalska", "Maria", "Kowalska", "Recruiter"),
    ("diego.torres", "Diego", "Torres", "Customer Success"),
    ("elif.yilmaz", "Elif", "Yılmaz", "Business Analyst"),
    ("liam.obrien", "Liam", "O'Brien", "Partner Manager"),
    ("anna.novak", "Anna", "Novák", "Controller"),
    ("hiro.tanaka", "Hiroshi", "Tanaka", "Architect"),
    ("laura.bianchi", "Laura", "Bianchi", "Content Strategist"),
    ("ravi.patel", "Ravi", "Patel", "Data Engineer"),
    ("sara.cohen", "Sara", "Cohen", "Product Designer"),
    ("tomas.horvat", "Tomáš", "Horvát", "Embedded Engineer"),
    ("nora.berg", "Nora", "Berg", "Scrum Master"),
    ("ahmed.hassan", "Ahmed", "Hassan", "Network Engineer"),
    ("chloe.martin", "Chloé", "Martin", "Event Manager"),
    ("pedro.santos", "Pedro", "Santos", "Sales Engineer"),
    ("ingrid.larsen", "Ingrid", "Larsen", "Procurement"),
    ("kenji.mori", "Kenji", "Mori", "Game Developer"),
    ("lea.weber", "Lea", "Weber", "Legal Assistant"),
    ("omar.farouk", "Omar", "Farouk", "IT Administrator"),
    ("valentina.cruz", "Valentina", "Cruz", "Analyst"),
    ("david.kim", "David", "Kim", "CTO"),
    ("eva.horakova", "Eva", "Horáková", "Illustrator"),
    ("morgan.admin", "Morgan", "Admin", "Portal Administrator"),
];

/// (street, city, region, postal code, country).
const PLACES: [(&str, &str, &str, &str, &str); 6] = [
    (
        "1400 Montefino Ave",
        "Diamond Bar",
        "CA",
        "91765",
        "United States",
    ),
    ("Calle de Alcalá 52", "Madrid", "Madrid", "28014", "Spain"),
    ("Rua Augusta 1200", "São Paulo", "SP", "01304-001", "Brazil"),
    ("Friedrichstraße 68", "Berlin", "Berlin", "10117", "Germany"),
    ("1-2-3 Shibuya", "東京", "東京都", "150-0002", "Japan"),
    (
        "12 Rue de Rivoli",
        "Paris",
        "Île-de-France",
        "75004",
        "France",
    ),
];

/// Who the demo signs in as first.
pub const DEFAULT_PERSON: &str = PEOPLE[0].0;
/// The demo person with the Administrator role (edit mode, preferences).
pub const ADMINISTRATOR: &str = "morgan.admin";

/// Every demo person as (id, full name), for the person switcher: the name as the
/// widgets write it (山田太郎, family name first).
pub fn roster() -> impl Iterator<Item = (&'static str, String)> {
    PEOPLE
        .iter()
        .enumerate()
        .map(|(i, p)| (p.0, person(i, *p).full_name()))
}

/// How many of the demo's people a directory holds: a host started with the demo
/// off on a `data_dir` where it once ran still lists them to every real user.
pub fn people_left_in(social: &Social) -> Result<usize, SocialError> {
    let reader = social.read()?;
    let mut found = 0;
    for (id, given, family, _) in PEOPLE {
        // The demo's own record, not a real person who happens to have a demo id
        // (`jane.doe`): its names, and an address in the reserved example.com.
        let seeded = reader.person(id)?.is_some_and(|p| {
            p.given_name == *given
                && p.family_name == *family
                && p.email_address == format!("{id}@example.com")
        });
        found += usize::from(seeded);
    }
    Ok(found)
}

/// Seeds the demo directory, with `preferences` for its placements, into an empty
/// database, and only there: fifty made-up people must never join a real directory
/// that was imported before the first start with the demo on. One transaction (see
/// [`Social::seed_at_once`]). Returns whether it seeded.
pub fn seed_if_empty(
    social: &Social,
    preferences: Vec<(String, crate::store::Preferences)>,
) -> Result<bool, SocialError> {
    if social.read()?.directory_size()? > 0 {
        return Ok(false);
    }
    let people: Vec<Person> = PEOPLE
        .iter()
        .enumerate()
        .map(|(i, p)| person(i, *p))
        .collect();
    // A lived-in start: connections, a pending request each way, follows both ways.
    let me = DEFAULT_PERSON;
    let mut acts = Vec::new();
    let mut act = |actor: &str, verb: PersonVerb, other: &str| {
        acts.push((actor.to_owned(), Action::on(verb, other)));
    };
    for other in ["jose.alvarez", "jane.doe", "zoe.muller"] {
        act(me, PersonVerb::Connect, other);
        act(other, PersonVerb::Connect, me);
    }
    act("richard.roe", PersonVerb::Connect, me);
    act(me, PersonVerb::Connect, "taro.yamada");
    for followed in ["minh.nguyen", "sofia.rossi"] {
        act(me, PersonVerb::Follow, followed);
    }
    for follower in ["lukasz.nowak", "aisha.okafor"] {
        act(follower, PersonVerb::Follow, me);
    }
    act("jose.alvarez", PersonVerb::Connect, "jane.doe");
    act("jane.doe", PersonVerb::Connect, "jose.alvarez");
    social.seed_at_once(people, acts, preferences)?;
    Ok(true)
}

fn person(i: usize, (id, given, family, title): (&str, &str, &str, &str)) -> Person {
    let (street, city, region, postal, country) = PLACES[i % PLACES.len()];
    let email = format!("{id}@example.com");
    Person {
        id: id.to_owned(),
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        alternate_name: id.to_owned(),
        email_address: email.clone(),
        job_title: title.to_owned(),
        user_account_contact_information: ContactInformation {
            email_addresses: vec![EmailAddress {
                email_address: email,
                kind: "email-address".into(),
                primary: true,
            }],
            telephones: vec![Phone {
                phone_number: format!("+1 555 01{i:02}"),
                extension: String::new(),
                phone_type: "business".into(),
                primary: true,
            }],
            postal_addresses: vec![PostalAddress {
                street_address_line1: street.to_owned(),
                address_locality: city.to_owned(),
                address_region: region.to_owned(),
                postal_code: postal.to_owned(),
                address_country: country.to_owned(),
                address_type: "business".into(),
                primary: true,
                ..PostalAddress::default()
            }],
            web_urls: vec![WebUrl {
                url: format!("https://example.com/people/{id}"),
                url_type: "personal".into(),
                primary: true,
            }],
        },
        ..Person::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_once_with_a_lived_in_start() {
        let social = Social::in_memory().expect("store");
        let preferences = vec![(
            "contacts_center_INSTANCE_x".to_owned(),
            [("pageSize".to_owned(), vec!["5".to_owned()])].into(),
        )];
        assert!(seed_if_empty(&social, preferences).expect("seed"));
        assert!(
            !seed_if_empty(&social, Vec::new()).expect("second start"),
            "a database with people is left alone"
        );
        let saved = social
            .read()
            .expect("read")
            .preferences("contacts_center_INSTANCE_x")
            .expect("preferences");
        assert_eq!(saved.get("pageSize"), Some(&vec!["5".to_owned()]));
        let reader = social.read().expect("read");
        let counts = reader.counts(DEFAULT_PERSON).expect("counts");
        assert_eq!(counts.connections, 3);
        assert_eq!(counts.following, 2);
        assert_eq!(counts.followers, 2);
        assert_eq!(counts.requests, 1, "Richard's request waits");
        assert!(social.check_invariants().expect("check").is_empty());
        let ids: std::collections::BTreeSet<_> = PEOPLE.iter().map(|p| p.0).collect();
        assert_eq!(ids.len(), PEOPLE.len(), "ids are unique");
        assert!(PEOPLE.iter().all(|p| crate::store::is_portal_user_id(p.0)));
    }

    /// A seed is written whole or not at all: one whose last action fails (after its
    /// people and first relation were written in the transaction) leaves no one, no
    /// relation and no preference behind.
    #[test]
    fn a_seed_that_cannot_be_written_whole_writes_nothing() {
        let social = Social::in_memory().expect("store");
        let people: Vec<Person> = PEOPLE
            .iter()
            .enumerate()
            .map(|(i, p)| person(i, *p))
            .collect();
        let acts = vec![
            (
                DEFAULT_PERSON.to_owned(),
                Action::on(PersonVerb::Follow, "jane.doe"),
            ),
            (
                "nobody".to_owned(),
                Action::on(PersonVerb::Follow, "jane.doe"),
            ),
        ];
        let preferences = vec![(
            "contacts_center".to_owned(),
            [("pageSize".to_owned(), vec!["5".to_owned()])].into(),
        )];
        assert!(social.seed_at_once(people, acts, preferences).is_err());
        let reader = social.read().expect("read");
        assert_eq!(reader.directory_size().expect("size"), 0);
        assert!(
            reader
                .preferences("contacts_center")
                .expect("preferences")
                .is_empty()
        );
    }

    #[test]
    fn a_real_directory_gets_no_demo_people() {
        let social = Social::in_memory().expect("store");
        social
            .upsert_person(Person {
                id: "20123".into(),
                given_name: "Real".into(),
                ..Person::default()
            })
            .expect("import");
        assert!(!seed_if_empty(&social, Vec::new()).expect("start"));
        let reader = social.read().expect("read");
        assert_eq!(reader.directory_size().expect("size"), 1);
        assert!(reader.person(DEFAULT_PERSON).expect("read").is_none());
    }
}
