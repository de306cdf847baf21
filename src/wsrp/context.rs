//! Reading the WSRP call context into the portal's vocabulary: who the user is
//! (`userContext`), which mode, window state and locale (`markupParams`).

use super::fault::WsrpFault;
use super::xml::Element;
use crate::portal::{PortalUser, PortletMode, Profile, Viewer, WindowState};

/// `wsrp:view` ↔ [`PortletMode::View`] …
pub fn mode_from_wsrp(s: &str) -> Option<PortletMode> {
    PortletMode::parse(s.trim().strip_prefix("wsrp:")?)
}

pub fn mode_to_wsrp(mode: PortletMode) -> String {
    format!("wsrp:{}", mode.as_str())
}

/// WSRP's `wsrp:solo` is the portal's bare-fragment state, Liferay's `exclusive`.
/// Liferay's consumer names its own state with WSRP's prefix (`wsrp:exclusive`),
/// which is not a WSRP state but means the same, so it is read as `wsrp:solo`.
pub fn window_state_from_wsrp(s: &str) -> Option<WindowState> {
    match s.trim().strip_prefix("wsrp:")? {
        solo if solo.eq_ignore_ascii_case("solo") => Some(WindowState::Exclusive),
        other => WindowState::parse(other),
    }
}

/// A descriptor's mode or window state name (`view`, `exclusive`) in WSRP form.
pub fn descriptor_name_to_wsrp(name: &str) -> String {
    match name {
        "exclusive" => "wsrp:solo".to_owned(),
        other => format!("wsrp:{other}"),
    }
}

/// `en_US` → `en-US`, the `xml:lang` form WSRP uses for locales.
pub fn xml_lang(liferay_id: &str) -> String {
    liferay_id.replace('_', "-")
}

/// Longest user category accepted (a user id is checked as one, 1 to 64 characters).
const MAX_USER_FIELD: usize = 256;

/// The viewer from a `userContext` element (absent or nil: a guest).
///
/// `runtimeContext/userAuthentication` is not read: a consumer behind a sign-on filter
/// can say `wsrp:none` for users the filter let in (GateIn's takes it from the
/// servlet request's authentication type, which such a filter may leave unset) while
/// sending their real user context, and a registered consumer vouches for the users
/// it names as a portal's Bearer token does. A consumer that names its signed-out
/// visitors by one shared key (Liferay sends its default user's id) has it listed in
/// `guests`, its `wsrp_guest_users`: those keys are guests.
pub fn viewer(
    user_context: Option<&Element>,
    consumer: &str,
    guests: &[String],
) -> Result<Viewer, WsrpFault> {
    let Some(uc) = user_context.filter(|e| !e.is_nil()) else {
        return Ok(Viewer::Guest);
    };
    let key = uc.child_text("userContextKey").unwrap_or("");
    if key.is_empty() || key == "wsrp:minimal" || guests.iter().any(|g| g == key) {
        return Ok(Viewer::Guest);
    }
    // The same rule as a JWT's `sub`: a key the directory would refuse must not
    // become a viewer whose every read then misses.
    if !crate::portal::auth::is_user_id(key) {
        return Err(WsrpFault::InconsistentParameters(
            "userContextKey must be 1-64 characters of letters, digits and . _ @ -".into(),
        ));
    }
    let mut roles = Vec::new();
    for category in uc.children_named("userCategories") {
        let c = category.text.trim();
        if c.is_empty() || c.len() > MAX_USER_FIELD {
            return Err(WsrpFault::InvalidUserCategory(
                "user categories must be 1-256 characters".into(),
            ));
        }
        roles.push(c.to_owned());
    }
    Ok(Viewer::User(PortalUser {
        consumer: consumer.to_owned(),
        user_id: key.to_owned(),
        roles,
        profile: uc.present("profile").map(profile).unwrap_or_default(),
    }))
}

/// `UserProfile` → [`Profile`]: the name parts and the business (else home) e-mail.
fn profile(p: &Element) -> Profile {
    let text = |e: Option<&Element>, name: &str| {
        e.and_then(|e| e.child_text(name))
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let name = p.present("name");
    let email = ["businessInfo", "homeInfo"]
        .iter()
        .find_map(|info| text(p.present(info).and_then(|c| c.present("online")), "email"));
    let job_title = text(p.present("employerInfo"), "jobtitle");
    Profile {
        given_name: text(name, "given"),
        middle_name: text(name, "middle"),
        family_name: text(name, "family"),
        screen_name: text(name, "nickname"),
        email,
        job_title,
        ..Profile::default()
    }
}

/// Mode, window state and locale from `markupParams` (or `resourceParams`).
pub struct Presentation {
    pub mode: PortletMode,
    pub window_state: WindowState,
    pub locale: String,
    /// The tag the reader's dates are written in ([`crate::i18n::dates_tag`] of the
    /// locale `locale` was chosen from).
    pub dates_locale: String,
    /// `navigationalContext/@opaqueValue`: the widget's render parameters.
    pub navigational_state: Option<String>,
}

/// Reads [`Presentation`]; `default_locale` applies when no offered locale parses.
pub fn presentation(params: &Element, default_locale: &str) -> Result<Presentation, WsrpFault> {
    let mode_text = params
        .child_text("mode")
        .ok_or_else(|| WsrpFault::MissingParameters("mode".into()))?;
    let mode =
        mode_from_wsrp(mode_text).ok_or_else(|| WsrpFault::UnsupportedMode(truncate(mode_text)))?;
    let state_text = params
        .child_text("windowState")
        .ok_or_else(|| WsrpFault::MissingParameters("windowState".into()))?;
    let window_state = window_state_from_wsrp(state_text)
        .ok_or_else(|| WsrpFault::UnsupportedWindowState(truncate(state_text)))?;
    // The consumer lists the user's locales in order of preference: the first one the
    // host has a language for wins, as `Accept-Language` does on the native path.
    let tags: Vec<&str> = params
        .children_named("locales")
        .map(|l| l.text.as_str())
        .collect();
    let (locale, dates_locale) = crate::i18n::first_readable(&tags)
        .map(|(id, tag)| (id.to_owned(), crate::i18n::dates_tag(id, tag)))
        .unwrap_or_else(|| {
            let texts =
                crate::i18n::normalize(default_locale).unwrap_or(crate::i18n::DEFAULT_LANGUAGE_ID);
            (
                default_locale.to_owned(),
                crate::i18n::dates_tag(texts, default_locale),
            )
        });
    let navigational_state = params
        .present("navigationalContext")
        .and_then(|n| n.attr("opaqueValue"))
        .map(str::to_owned);
    Ok(Presentation {
        mode,
        window_state,
        locale,
        dates_locale,
        navigational_state,
    })
}

/// Keeps fault texts short: they echo consumer input.
pub fn truncate(s: &str) -> String {
    truncate_to(s, 64)
}

/// At most `max` characters of `s`, for a value longer than a name: a namespace URI.
pub fn truncate_to(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wsrp::xml::{Limits, parse};

    #[test]
    fn the_first_offered_locale_the_host_speaks_wins() {
        let params = |locales: &[&str]| {
            let tags: String = locales
                .iter()
                .map(|l| format!("<locales>{l}</locales>"))
                .collect();
            let xml = format!(
                "<markupParams><mode>wsrp:view</mode><windowState>wsrp:normal</windowState>{tags}</markupParams>"
            );
            parse(xml.as_bytes(), Limits::default()).expect("parses")
        };
        // The descriptor's default here is German, so a match is told from a fallback.
        let locale = |locales: &[&str]| presentation(&params(locales), "de_DE").unwrap().locale;
        // Italian has no bundle here; Spanish, the consumer's second choice, does.
        assert_eq!(locale(&["it-IT", "es-ES"]), "es_ES");
        assert_eq!(locale(&["EN"]), "en_US");
        assert_eq!(locale(&["*", "x1-US"]), "de_DE", "the descriptor's default");
        // A Traditional Chinese reader's bare `zh` (a browser's echo of `zh-TW`) is no
        // wish for the Simplified texts; a bare `zh` alone is.
        assert_eq!(locale(&["zh-TW", "zh", "es"]), "es_ES");
        assert_eq!(locale(&["zh", "es"]), "zh_CN");
        assert_eq!(locale(&[]), "de_DE");
        // Dates keep the region of the locale chosen, which the texts may not have.
        let dates = |locales: &[&str]| {
            let p = presentation(&params(locales), "de_DE").unwrap();
            (p.locale, p.dates_locale)
        };
        assert_eq!(dates(&["ko-KR", "en-GB"]), ("en_US".into(), "en-GB".into()));
        assert_eq!(dates(&["pt-PT"]), ("pt_BR".into(), "pt-PT".into()));
        assert_eq!(dates(&["en"]), ("en_US".into(), "en-US".into()));
        assert_eq!(dates(&["ko-KR"]), ("de_DE".into(), "de-DE".into()));
        // A descriptor's default in a region the host has no texts for keeps it too.
        let p = presentation(&params(&["ko-KR"]), "de_AT").unwrap();
        assert_eq!(
            (p.locale.as_str(), p.dates_locale.as_str()),
            ("de_AT", "de-AT")
        );
        let p = presentation(&params(&[]), "nl_NL").unwrap();
        assert_eq!(
            (p.locale.as_str(), p.dates_locale.as_str()),
            ("nl_NL", "en-US")
        );
    }

    #[test]
    fn modes_and_states_map_both_ways() {
        for m in [PortletMode::View, PortletMode::Edit, PortletMode::Help] {
            assert_eq!(mode_from_wsrp(&mode_to_wsrp(m)), Some(m));
        }
        for s in [
            WindowState::Normal,
            WindowState::Maximized,
            WindowState::Minimized,
            WindowState::Exclusive,
        ] {
            assert_eq!(
                window_state_from_wsrp(&descriptor_name_to_wsrp(s.as_str())),
                Some(s)
            );
        }
        assert_eq!(mode_from_wsrp("view"), None);
        assert_eq!(mode_from_wsrp("wsrp:preview"), None);
    }

    #[test]
    fn user_context_becomes_a_portal_user() {
        let doc = br#"<userContext xmlns="urn:oasis:names:tc:wsrp:v2:types"><userContextKey>42</userContextKey><userCategories>Administrator</userCategories><profile><name><given>Ada</given><family>Lovelace</family></name><businessInfo><online><email>ada@example.com</email></online></businessInfo></profile></userContext>"#;
        let uc = parse(doc, Limits::default()).expect("xml");
        let Viewer::User(user) = viewer(Some(&uc), "portal", &[]).expect("viewer") else {
            panic!("expected a user");
        };
        assert_eq!(user.user_id, "42");
        assert_eq!(user.consumer, "portal");
        assert_eq!(user.roles, vec!["Administrator".to_owned()]);
        assert_eq!(user.profile.given_name.as_deref(), Some("Ada"));
        assert_eq!(user.profile.family_name.as_deref(), Some("Lovelace"));
        assert_eq!(user.profile.email.as_deref(), Some("ada@example.com"));
        let anon = parse(
            b"<userContext><userContextKey>wsrp:minimal</userContextKey></userContext>",
            Limits::default(),
        )
        .expect("xml");
        assert_eq!(viewer(Some(&anon), "portal", &[]), Ok(Viewer::Guest));
        assert_eq!(viewer(None, "portal", &[]), Ok(Viewer::Guest));
        // Liferay's default user, named in the consumer's `wsrp_guest_users`, with the
        // profile Liferay sends for it, is a guest; another key is still a user.
        let guests = ["20103".to_owned()];
        let liferay_guest = parse(
            b"<userContext><userContextKey>20103</userContextKey><userCategories>User</userCategories><profile><name><given></given></name></profile></userContext>",
            Limits::default(),
        )
        .expect("xml");
        assert_eq!(
            viewer(Some(&liferay_guest), "portal", &guests),
            Ok(Viewer::Guest)
        );
        assert!(matches!(
            viewer(Some(&liferay_guest), "portal", &[]),
            Ok(Viewer::User(_))
        ));
        assert!(matches!(
            viewer(Some(&uc), "portal", &guests),
            Ok(Viewer::User(_))
        ));
    }

    #[test]
    fn user_context_keys_follow_the_user_id_rule() {
        let long = "u".repeat(65);
        for key in ["a b", "x/y", "tab\there", long.as_str()] {
            let doc = format!("<userContext><userContextKey>{key}</userContextKey></userContext>");
            let uc = parse(doc.as_bytes(), Limits::default()).expect("xml");
            assert!(
                matches!(
                    viewer(Some(&uc), "portal", &[]),
                    Err(WsrpFault::InconsistentParameters(_))
                ),
                "{key:?} must be refused"
            );
        }
        let doc =
            b"<userContext><userContextKey>jane.doe@example.com</userContextKey></userContext>";
        let uc = parse(doc, Limits::default()).expect("xml");
        assert!(matches!(
            viewer(Some(&uc), "portal", &[]),
            Ok(Viewer::User(_))
        ));
    }
}
