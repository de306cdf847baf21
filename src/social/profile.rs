//! Directory entries created or refreshed from what a portal says about its user
//! (JWT profile claims, WSRP user profiles). Portals own the directory; the host keeps
//! the latest copy so lists, search and vCards can show people who only ever signed in.

use super::{Person, Social, SocialError};
use crate::store::{StoreError, Tables};

/// Longest URL the directory keeps (a portrait, a web site), whoever sends it.
pub const MAX_URL_CHARS: usize = 2048;

/// Profile claims a portal sends about its user; they create or refresh the
/// directory entry. Every field is optional: a portal sends what it has.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Profile {
    pub given_name: Option<String>,
    pub middle_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    pub screen_name: Option<String>,
    pub locale: Option<String>,
    pub picture: Option<String>,
    pub job_title: Option<String>,
}

impl Social {
    /// Creates the person if unknown and applies the claims the portal sent; writes only
    /// when something changed, so a render does not cost a commit. Returns whether it wrote.
    pub fn refresh_profile(&self, user_id: &str, profile: &Profile) -> Result<bool, SocialError> {
        if !self.profile_changes(user_id, profile)? {
            return Ok(false);
        }
        self.write_profile(user_id, profile)
    }

    /// The write of [`Self::refresh_profile`], for a caller that asked
    /// [`Self::profile_changes`] first. Returns whether it wrote.
    pub fn write_profile(&self, user_id: &str, profile: &Profile) -> Result<bool, SocialError> {
        Ok(self.store.write(merging(user_id, profile))?)
    }

    /// [`Self::write_profile`] as a future that waits for the commit without a thread.
    pub async fn write_profile_async(
        &self,
        user_id: &str,
        profile: &Profile,
    ) -> Result<bool, SocialError> {
        Ok(self.store.write_async(merging(user_id, profile)).await?)
    }
}

/// The writer's job that applies `profile` to the stored person. Merged inside the
/// write: an administrator's PUT or DELETE committed since the caller's snapshot must
/// not be overwritten with that older copy.
fn merging(
    user_id: &str,
    profile: &Profile,
) -> impl for<'a, 'b> FnMut(&'a mut Tables<'b>) -> Result<bool, StoreError> + Send + 'static {
    let (id, profile) = (user_id.to_owned(), profile.clone());
    move |tables| {
        let current = tables.person(&id)?;
        let base = current.clone().unwrap_or_else(|| Person {
            id: id.clone(),
            ..Person::default()
        });
        let updated = apply_profile(base, &profile);
        if current.as_ref() == Some(&updated) {
            return Ok(false);
        }
        tables.upsert_person(&updated)?;
        Ok(true)
    }
}

impl Social {
    /// Whether [`Self::refresh_profile`] would write: the person is unknown, or a claim
    /// differs from what is stored. One snapshot, no write; an entry the claims would
    /// make invalid is refused here already.
    pub fn profile_changes(&self, user_id: &str, profile: &Profile) -> Result<bool, SocialError> {
        let current = self.read()?.person(user_id)?;
        let base = current.clone().unwrap_or_else(|| Person {
            id: user_id.to_owned(),
            ..Person::default()
        });
        let updated = apply_profile(base, profile);
        if current.as_ref() == Some(&updated) {
            return Ok(false);
        }
        super::validate(&updated)?;
        Ok(true)
    }
}

/// A character no directory text keeps: a control character (a line break would
/// reach every list and vCard), or one of Unicode's bidirectional embeddings,
/// overrides and isolates (U+202A–U+202E, U+2066–U+2069). A name ending in an
/// override would turn the rest of every sentence it is written into backwards
/// ("Mallory\u{202E} wants to connect with you."). The left-to-right and
/// right-to-left marks stay: they are how names mixing scripts are written, and
/// reorder nothing after them.
pub fn breaks_text(c: char) -> bool {
    c.is_control() || crate::i18n::is_bidi_control(c)
}

/// Where a line ends: a control character, or Unicode's line and paragraph
/// separators (U+2028, U+2029), which a vCard writes as a line break and which end a
/// name's isolation in a sentence as a paragraph would.
pub fn breaks_line(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `text` without bidirectional overrides and isolates (`breaks_text`): in a name or
/// a contact's comment one turns the rest of its line backwards.
pub fn without_overrides(text: &str) -> String {
    text.chars()
        .filter(|c| !crate::i18n::is_bidi_control(*c))
        .collect()
}

/// `text` as directory text is kept: without overrides, and on one line, each run of
/// line breaks and control characters, with the spaces around it, one space; trimmed.
/// The overrides go first: one between a space and a line break would keep the space
/// from being trimmed with the break.
pub fn on_one_line(text: &str) -> String {
    without_overrides(text)
        .split(breaks_line)
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The person with every claim the portal sent; absent claims keep what is stored.
pub fn apply_profile(mut person: Person, profile: &Profile) -> Person {
    let set = |field: &mut String, claim: &Option<String>| {
        let Some(claim) = claim.as_deref() else {
            return;
        };
        // Bounded, and on one line (a CR/LF would otherwise reach every list and
        // vCard). A claim is not a place for a novel either. Bidirectional
        // overrides go (`breaks_text`); each run of control characters, with the
        // spaces around it, becomes one space, so that the words either side stay
        // apart and the text is the one an import of the same account stores (its
        // tabs and line breaks are folded so). What is left is trimmed, and a claim
        // with nothing left to show (zero-width spaces alone, say) keeps what is
        // stored, as an absent one does.
        // Combining marks past a few in a row go too (`with_few_marks`), before the
        // cut, as an import leaves them out before it measures: the two store one
        // text for one name, and do not undo each other at every call.
        let value: String = crate::store::with_few_marks(&on_one_line(claim))
            .chars()
            .take(256)
            .collect();
        if !crate::store::shows_nothing(&value) {
            *field = value;
        }
    };
    set(&mut person.given_name, &profile.given_name);
    set(&mut person.additional_name, &profile.middle_name);
    set(&mut person.family_name, &profile.family_name);
    // An address the directory's own import would refuse is not stored: the one on
    // file stays, as for any claim the portal did not send.
    let email = profile
        .email
        .as_deref()
        .map(str::trim)
        // Composed, as an import stores it: one address is one string. Checked as
        // composed, since composing may lengthen it.
        .map(|e| unicode_normalization::UnicodeNormalization::nfc(e).collect::<String>())
        .filter(|e| super::rules::is_valid_email(e));
    match email {
        // The portal says the person has no address: Liferay's made-up one.
        Some(e) if super::rules::is_made_up_email(&e) => person.email_address.clear(),
        email => set(&mut person.email_address, &email),
    }
    set(&mut person.alternate_name, &profile.screen_name);
    set(&mut person.job_title, &profile.job_title);
    // An http(s) address, of the length and on the one line `import-users` allows an
    // `image`. Anything else (cut short, it would be a broken address) leaves the one
    // on file.
    if let Some(picture) = profile.picture.as_deref().map(str::trim).filter(|p| {
        (p.starts_with("https://") || p.starts_with("http://"))
            && p.chars().count() <= MAX_URL_CHARS
            && !p.chars().any(char::is_control)
    }) {
        person.image = Some(picture.to_owned());
    }
    if person.alternate_name.is_empty() {
        person.alternate_name = person.id.clone();
    }
    person
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A name of a letter and two hundred combining marks keeps a few of them: the
    /// rest would be drawn over other people's rows.
    #[test]
    fn a_claim_keeps_few_stacked_marks() {
        let claimed = Profile {
            given_name: Some(format!("Z{}", "\u{346}".repeat(199))),
            job_title: Some(format!("Boss{}", "\u{300}".repeat(50))),
            ..Profile::default()
        };
        let p = apply_profile(Person::default(), &claimed);
        let marks = crate::store::MAX_MARKS;
        assert_eq!(p.given_name, format!("Z{}", "\u{346}".repeat(marks)));
        assert_eq!(p.job_title, format!("Boss{}", "\u{300}".repeat(marks)));
        // The marks go before the claim is cut to 256 characters, as an import's go
        // before it is measured: the letters after them stay, and the two agree.
        let long = Profile {
            given_name: Some(format!("A{}lice", "\u{346}".repeat(300))),
            ..Profile::default()
        };
        let p = apply_profile(Person::default(), &long);
        assert_eq!(p.given_name, format!("A{}lice", "\u{346}".repeat(marks)));
    }

    /// A claim's address is stored composed, as an import's is.
    #[test]
    fn a_claimed_address_is_stored_composed() {
        let claimed = Profile {
            email: Some("jose\u{301}@x.es".into()),
            ..Profile::default()
        };
        let p = apply_profile(Person::default(), &claimed);
        assert_eq!(p.email_address, "jos\u{E9}@x.es");
    }

    /// A claim with nothing to show keeps what is stored, as an empty one does.
    #[test]
    fn a_claim_with_nothing_to_show_keeps_the_stored_name() {
        let stored = Person {
            id: "zoe".into(),
            given_name: "Zoé".into(),
            ..Person::default()
        };
        let blank = Profile {
            given_name: Some("\u{200B}\u{3164} \u{FEFF}".into()),
            ..Profile::default()
        };
        assert_eq!(apply_profile(stored.clone(), &blank).given_name, "Zoé");
        let renamed = Profile {
            given_name: Some("\u{200B}Zoë".into()),
            ..Profile::default()
        };
        assert_eq!(apply_profile(stored, &renamed).given_name, "\u{200B}Zoë");
    }

    #[test]
    fn creates_then_refreshes_only_on_change() {
        let social = Social::in_memory().expect("store");
        let profile = Profile {
            given_name: Some("José".into()),
            family_name: Some("Álvarez".into()),
            ..Profile::default()
        };
        assert!(
            social
                .refresh_profile("jalvarez", &profile)
                .expect("create")
        );
        assert!(
            !social.refresh_profile("jalvarez", &profile).expect("same"),
            "no write when nothing changed"
        );
        let person = social
            .read()
            .expect("read")
            .person("jalvarez")
            .expect("read")
            .expect("exists");
        assert_eq!(person.full_name(), "José Álvarez");
        assert_eq!(
            person.alternate_name, "jalvarez",
            "screen name defaults to the id"
        );
        let changed = Profile {
            job_title: Some("Engineer".into()),
            ..Profile::default()
        };
        assert!(
            social
                .refresh_profile("jalvarez", &changed)
                .expect("update")
        );
        let person = social
            .read()
            .expect("read")
            .person("jalvarez")
            .expect("read")
            .expect("exists");
        assert_eq!(
            (person.given_name.as_str(), person.job_title.as_str()),
            ("José", "Engineer"),
            "absent claims keep stored values"
        );
    }

    #[test]
    fn a_refresh_never_writes_back_what_an_administrator_replaced() {
        use crate::store::{ContactInformation, Phone};
        let social = Social::in_memory().expect("store");
        let with_phone = |n: usize| Person {
            id: "jdoe".into(),
            given_name: "Jane".into(),
            user_account_contact_information: ContactInformation {
                telephones: vec![Phone {
                    phone_number: format!("+1 555 {n:04}"),
                    ..Phone::default()
                }],
                ..ContactInformation::default()
            },
            ..Person::default()
        };
        social.upsert_person(with_phone(0)).expect("first");
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let done = AtomicBool::new(false);
        let refreshes = AtomicU64::new(0);
        let last = 200;
        // Waits until the refresher has finished `more` refreshes after now (a
        // refresher that failed would never get there: the wait is bounded).
        let refreshed = |more: u64| {
            let until = refreshes.load(Ordering::Acquire) + more;
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while refreshes.load(Ordering::Acquire) < until {
                assert!(
                    std::time::Instant::now() < deadline,
                    "the refresher stopped"
                );
                std::thread::yield_now();
            }
        };
        std::thread::scope(|scope| {
            // Claims that always differ from what is stored, so every refresh writes.
            scope.spawn(|| {
                let mut n = 0u64;
                while !done.load(Ordering::Relaxed) {
                    let profile = Profile {
                        job_title: Some(format!("title {n}")),
                        ..Profile::default()
                    };
                    social.refresh_profile("jdoe", &profile).expect("refresh");
                    n += 1;
                    refreshes.store(n, Ordering::Release);
                }
            });
            // The refresher runs from before the first upsert until after the last,
            // so the upserts meet refreshes in flight.
            refreshed(1);
            for n in 1..=last {
                social.upsert_person(with_phone(n)).expect("put");
            }
            refreshed(2);
            done.store(true, Ordering::Relaxed);
        });
        let stored = social
            .read()
            .expect("read")
            .person("jdoe")
            .expect("read")
            .expect("exists");
        let phones = &stored.user_account_contact_information.telephones;
        assert_eq!(phones[0].phone_number, format!("+1 555 {last:04}"));
        // The refreshes landed: the claims they carried are stored.
        assert!(
            stored.job_title.starts_with("title "),
            "{}",
            stored.job_title
        );
    }

    /// A person known by their id alone, after the portal's `profile` claims.
    fn claimed(profile: &Profile) -> Person {
        apply_profile(
            Person {
                id: "u".into(),
                ..Person::default()
            },
            profile,
        )
    }

    /// The README's bound: a claim is cut at 256 characters (not bytes: a name in
    /// another script is not cut in the middle of a character).
    #[test]
    fn a_long_claim_is_cut_at_256_characters() {
        let name = format!("{}{}", "é".repeat(200), "山".repeat(100));
        let profile = Profile {
            given_name: Some(name.clone()),
            ..Profile::default()
        };
        let person = claimed(&profile);
        assert_eq!(person.given_name.chars().count(), 256);
        assert_eq!(
            person.given_name,
            name.chars().take(256).collect::<String>()
        );
    }

    #[test]
    fn control_characters_in_claims_become_spaces() {
        let profile = Profile {
            job_title: Some("Boss\r\nEMAIL:x@evil.example".into()),
            ..Profile::default()
        };
        let person = claimed(&profile);
        assert_eq!(person.job_title, "Boss EMAIL:x@evil.example");
        let hidden = apply_profile(
            Person::default(),
            &Profile {
                job_title: Some("Boss \u{202E}\nEMAIL".into()),
                ..Profile::default()
            },
        );
        assert_eq!(
            hidden.job_title, "Boss EMAIL",
            "one space, the override gone"
        );
        // Unicode's line and paragraph separators end a line as a line feed does
        // (a vCard writes them as one).
        let separated = apply_profile(
            Person::default(),
            &Profile {
                given_name: Some("Ann\u{2028}Archer".into()),
                job_title: Some("CFO \u{2029} Finance".into()),
                ..Profile::default()
            },
        );
        assert_eq!(
            (separated.given_name.as_str(), separated.job_title.as_str()),
            ("Ann Archer", "CFO Finance")
        );
    }

    #[test]
    fn bidirectional_overrides_in_claims_are_dropped_and_marks_kept() {
        let profile = Profile {
            given_name: Some("Mallory\u{202E}".into()),
            family_name: Some("\u{2066}Eve\u{2069} Lee".into()),
            job_title: Some("\u{5de}\u{5e0}\u{5d4}\u{200F} 2".into()),
            ..Profile::default()
        };
        let person = claimed(&profile);
        assert_eq!(person.given_name, "Mallory");
        assert_eq!(person.family_name, "Eve Lee");
        assert_eq!(person.job_title, "\u{5de}\u{5e0}\u{5d4}\u{200F} 2");
        // A claim of overrides alone keeps the name on file; one that leaves a space
        // at its end is trimmed.
        let on_file = Person {
            id: "u".into(),
            given_name: "Eve".into(),
            family_name: "Lee".into(),
            ..Person::default()
        };
        let person = apply_profile(
            on_file,
            &Profile {
                given_name: Some("\u{202E}".into()),
                family_name: Some("Lee \u{202E}".into()),
                ..Profile::default()
            },
        );
        assert_eq!(
            (person.given_name.as_str(), person.family_name.as_str()),
            ("Eve", "Lee")
        );
        assert!(breaks_text('\u{202A}') && breaks_text('\n') && !breaks_text('\u{200E}'));
    }

    /// Liferay makes an address up for an account without one: the claim clears the
    /// one on file, and a look-alike domain is an address like any other.
    #[test]
    fn liferays_made_up_address_is_no_address() {
        let stored = Person {
            id: "ann".into(),
            email_address: "ann@example.com".into(),
            ..Person::default()
        };
        for made_up in ["20123@no-emailaddress.com", " ann@No-EmailAddress.com "] {
            let profile = Profile {
                email: Some(made_up.into()),
                ..Profile::default()
            };
            let person = apply_profile(stored.clone(), &profile);
            assert_eq!(person.email_address, "", "{made_up:?}");
        }
        // Only that domain: a look-alike is an address like any other.
        let profile = Profile {
            email: Some("ann@not-no-emailaddress.com".into()),
            ..Profile::default()
        };
        let person = apply_profile(stored, &profile);
        assert_eq!(person.email_address, "ann@not-no-emailaddress.com");
        assert!(!crate::social::rules::is_made_up_email(
            "@no-emailaddress.com"
        ));
    }

    #[test]
    fn an_email_claim_that_is_not_an_address_keeps_the_one_on_file() {
        let on_file = Person {
            id: "u".into(),
            email_address: "ann@example.com".into(),
            ..Person::default()
        };
        for bad in ["not-an-email", "x@", "@example.com", "a b@example.com"] {
            let claims = Profile {
                email: Some(bad.into()),
                ..Profile::default()
            };
            let person = apply_profile(on_file.clone(), &claims);
            assert_eq!(person.email_address, "ann@example.com", "{bad:?}");
        }
        let claims = Profile {
            email: Some(" ann.new@example.com ".into()),
            ..Profile::default()
        };
        let person = apply_profile(on_file, &claims);
        assert_eq!(person.email_address, "ann.new@example.com");
    }

    #[test]
    fn unsafe_picture_urls_are_ignored() {
        let person = apply_profile(
            Person {
                id: "u".into(),
                ..Person::default()
            },
            &Profile {
                picture: Some("javascript:alert(1)".into()),
                ..Profile::default()
            },
        );
        assert_eq!(person.image, None);
    }

    /// A picture claim is an http(s) address, trimmed, on one line, at most 2,048
    /// characters (as `import-users` bounds an `image`); any other keeps the one on
    /// file.
    #[test]
    fn a_picture_claim_is_checked_as_an_import_is() {
        let on_file = || Person {
            id: "u".into(),
            image: Some("https://portal.test/image/1".into()),
            ..Person::default()
        };
        let with = |picture: String| {
            apply_profile(
                on_file(),
                &Profile {
                    picture: Some(picture),
                    ..Profile::default()
                },
            )
            .image
        };
        assert_eq!(
            with(" https://portal.test/image/2 ".into()).as_deref(),
            Some("https://portal.test/image/2")
        );
        let long = format!("https://portal.test/{}", "a".repeat(2048));
        for refused in [
            "https://x/a\u{0}b".to_owned(),
            "https://x/a\nb".to_owned(),
            long,
        ] {
            assert_eq!(
                with(refused.clone()).as_deref(),
                Some("https://portal.test/image/1"),
                "{refused:?}"
            );
        }
    }
}
