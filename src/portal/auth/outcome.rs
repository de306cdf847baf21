//! The seal on an action's outcome.
//!
//! An action sends its person back to the page with render parameters that say what
//! it did: the message, and whom or what it concerns (whom it named, whom a bulk
//! action left out, the contact whose save was refused). Render parameters travel in
//! URLs (and in a WSRP consumer's navigational state) that anyone can write: unsealed,
//! a link sent to Dave could make his page say "You have blocked Carol." when nothing
//! happened. So the transport that carries an outcome back adds a `p_auth`-style token
//! bound to the viewer, the placement and the outcome's exact parameters ([`SEAL`]),
//! and a render drops the parameters that name someone or something when the seal
//! does not check.
//!
//! `message` itself stays: it is the contract's render parameter, which a portal that
//! acts through the JSON answer may send to show the outcome in the next render. Alone
//! it is one of the widget's own fixed texts ("You have blocked this user."), which
//! names no one; except above a person's card (`userId`), where "this user" is the
//! person the link chose, so there it goes too, unless it says a form or a download
//! link had expired and nothing was done (which the host writes unsealed, not knowing
//! who posted it).
//!
//! A seal a person's own page leaked (a `Referer`) shows only to that person, in that
//! placement, for what remains of its 15 minutes: what it says happened.

use std::time::{Duration, SystemTime};

use super::p_auth::{FORM_EXPIRED, LINK_EXPIRED, PAuth, PAuthBinding, PAuthTarget, resource_query};
use crate::portal::{Params, PortalUser, PortletId, Viewer};

/// The render parameters that say what an action did, in every built-in widget: the
/// message, then those that name whom or what it concerns ([`NAMING`]). A page keeps
/// none of them for its other placements' links (see the demo portal).
pub const OUTCOME_PARAMS: [&str; 5] = [
    "message",
    "messageUserId",
    "leftOut",
    "leftOutMore",
    "entryId",
];

/// The outcome parameters that a render takes only under their seal: all but `message`.
const NAMING: &[&str] = OUTCOME_PARAMS.split_at(1).1;

/// The render parameter that opens a person's card, whom a message about "this user"
/// then speaks of.
const CARD: &str = "userId";

/// The render parameter that carries the seal.
pub const SEAL: &str = "messageAuth";

/// How long an outcome shows: the render right after the action, a reload, the way
/// back from a card. A page reopened later from history says nothing of a past action.
pub const OUTCOME_TTL: Duration = Duration::from_secs(15 * 60);

/// The outcome's parameters among `params`, with the card it was said above (a
/// message about "this user" speaks of that card's person, so a link that swaps the
/// card must not keep the seal), as the seal binds them: sorted and form-encoded, so
/// that their order in the URL does not matter. Empty when there is no outcome.
fn said<'p>(params: impl Iterator<Item = (&'p str, &'p str)>) -> String {
    let bound: Vec<(&str, &str)> = params
        .filter(|(name, _)| OUTCOME_PARAMS.contains(name) || *name == CARD)
        .collect();
    if !bound.iter().any(|(name, _)| OUTCOME_PARAMS.contains(name)) {
        return String::new();
    }
    resource_query(bound.into_iter())
}

fn binding<'a>(user: &'a PortalUser, portlet: &'a PortletId, query: &'a str) -> PAuthBinding<'a> {
    PAuthBinding {
        consumer: &user.consumer,
        user_id: &user.user_id,
        portlet_id: portlet.as_str(),
        target: PAuthTarget::Outcome { query },
    }
}

/// Adds the seal to an action's render parameters when they hold an outcome, for the
/// `user` who acted in `portlet`. A seal already among them (none of the host's
/// widgets writes one) is replaced.
pub fn seal(
    p_auth: &PAuth,
    user: &PortalUser,
    portlet: &PortletId,
    render: &mut Vec<(String, String)>,
) {
    seal_at(p_auth, user, portlet, render, SystemTime::now());
}

fn seal_at(
    p_auth: &PAuth,
    user: &PortalUser,
    portlet: &PortletId,
    render: &mut Vec<(String, String)>,
    now: SystemTime,
) {
    render.retain(|(name, _)| name != SEAL);
    let query = said(render.iter().map(|(n, v)| (n.as_str(), v.as_str())));
    if query.is_empty() {
        return;
    }
    let token = p_auth.issue_at(&binding(user, portlet, &query), now, OUTCOME_TTL);
    render.push((SEAL.to_owned(), token));
}

/// Leaves a render's parameters that name whom or what an outcome concerns only under
/// a seal that checks for its viewer and placement, and takes the seal itself away
/// (the widget never sees it). A guest has acted on nothing: theirs always go.
pub fn open(p_auth: &PAuth, viewer: &Viewer, portlet: &PortletId, params: &mut Params) {
    open_at(p_auth, viewer, portlet, params, SystemTime::now());
}

fn open_at(
    p_auth: &PAuth,
    viewer: &Viewer,
    portlet: &PortletId,
    params: &mut Params,
    now: SystemTime,
) {
    let query = said(params.iter());
    let sealed = match (params.all(SEAL), viewer.user()) {
        ([seal], Some(user)) => p_auth
            .verify_at(seal, &binding(user, portlet, &query), now)
            .is_ok(),
        _ => false,
    };
    if !sealed {
        for name in NAMING {
            params.remove(name);
        }
        // The host's own notes of an expired form or link name nobody: they pass.
        let expired =
            matches!(params.all("message"), [m] if m == FORM_EXPIRED || m == LINK_EXPIRED);
        if params.get(CARD).is_some() && !expired {
            params.remove("message");
        }
    }
    params.remove(SEAL);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::Profile;

    fn person(user_id: &str) -> PortalUser {
        PortalUser {
            consumer: "portal".to_owned(),
            user_id: user_id.to_owned(),
            roles: Vec::new(),
            profile: Profile::default(),
        }
    }

    fn placement(id: &str) -> PortletId {
        PortletId::parse(id).expect("a portlet id")
    }

    fn pairs(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The render parameters as a render gets them back.
    fn params(pairs: &[(String, String)]) -> Params {
        let mut params = Params::new();
        for (n, v) in pairs {
            params.add(n.clone(), v.clone());
        }
        params
    }

    const NOW: Duration = Duration::from_secs(1_800_000_000);

    fn at(offset: Duration) -> SystemTime {
        SystemTime::UNIX_EPOCH + NOW + offset
    }

    /// What an action of `user` in `portlet` sends back, sealed.
    fn sealed(p_auth: &PAuth, user: &str, portlet: &str, render: &[(&str, &str)]) -> Params {
        let mut render = pairs(render);
        seal_at(
            p_auth,
            &person(user),
            &placement(portlet),
            &mut render,
            at(Duration::ZERO),
        );
        params(&render)
    }

    fn opened(
        p_auth: &PAuth,
        viewer: Viewer,
        portlet: &str,
        mut params: Params,
        after: Duration,
    ) -> Params {
        open_at(p_auth, &viewer, &placement(portlet), &mut params, at(after));
        params
    }

    const BLOCKED: [(&str, &str); 3] = [
        ("filter", "connections"),
        ("message", "you-have-blocked-this-user"),
        ("messageUserId", "carol"),
    ];

    /// [`BLOCKED`] as a render takes it without its seal: the message names no one.
    fn unnamed() -> Params {
        params(&pairs(&BLOCKED[..2]))
    }

    #[test]
    fn a_sealed_outcome_shows_for_its_viewer_in_its_placement() {
        let p_auth = PAuth::random();
        let back = sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        assert!(back.get(SEAL).is_some(), "{back:?}");
        let dave = Viewer::User(person("dave"));
        let shown = opened(
            &p_auth,
            dave,
            "contacts_center",
            back,
            Duration::from_secs(60),
        );
        assert_eq!(
            shown,
            params(&pairs(&BLOCKED)),
            "the outcome stays, the seal goes"
        );
    }

    #[test]
    fn an_outcome_without_its_seal_names_no_one() {
        let p_auth = PAuth::random();
        let dave = || Viewer::User(person("dave"));
        let forged = params(&pairs(&BLOCKED));
        assert_eq!(
            opened(&p_auth, dave(), "contacts_center", forged, Duration::ZERO),
            unnamed()
        );

        // A seal of one outcome does not vouch for another name, nor one more.
        let mut changed = sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        changed.remove("messageUserId");
        changed.add("messageUserId", "erin");
        assert_eq!(
            opened(&p_auth, dave(), "contacts_center", changed, Duration::ZERO),
            unnamed()
        );
        let mut added = sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        added.add("leftOut", "erin");
        assert_eq!(
            opened(&p_auth, dave(), "contacts_center", added, Duration::ZERO),
            unnamed()
        );
        // Nor for the name beside another message.
        let mut message = sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        message.remove("message");
        message.add("message", "you-are-now-connected-to-this-user");
        let shown = opened(&p_auth, dave(), "contacts_center", message, Duration::ZERO);
        assert_eq!(
            shown.get("message"),
            Some("you-are-now-connected-to-this-user")
        );
        assert_eq!(shown.get("messageUserId"), None);

        // Nor for another viewer, a guest, another placement, or after its time.
        let back = || sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        let erin = Viewer::User(person("erin"));
        assert_eq!(
            opened(&p_auth, erin, "contacts_center", back(), Duration::ZERO),
            unnamed()
        );
        let guest = opened(
            &p_auth,
            Viewer::Guest,
            "contacts_center",
            back(),
            Duration::ZERO,
        );
        assert_eq!(guest, unnamed());
        let other = "contacts_center_INSTANCE_b2";
        assert_eq!(
            opened(&p_auth, dave(), other, back(), Duration::ZERO),
            unnamed()
        );
        let late = opened(&p_auth, dave(), "contacts_center", back(), OUTCOME_TTL);
        assert_eq!(late, unnamed());
        let just_in_time = OUTCOME_TTL - Duration::from_secs(1);
        let shown = opened(&p_auth, dave(), "contacts_center", back(), just_in_time);
        assert_eq!(shown, params(&pairs(&BLOCKED)));
        let another_host = PAuth::random();
        let elsewhere = opened(
            &another_host,
            dave(),
            "contacts_center",
            back(),
            Duration::ZERO,
        );
        assert_eq!(elsewhere, unnamed());
        // Two seals are one too many: the render cannot tell which one the host wrote.
        let mut twice = back();
        let seal = twice.get(SEAL).expect("a seal").to_owned();
        twice.add(SEAL, seal);
        assert_eq!(
            opened(&p_auth, dave(), "contacts_center", twice, Duration::ZERO),
            unnamed()
        );
    }

    #[test]
    fn every_outcome_parameter_is_sealed_and_none_other() {
        let p_auth = PAuth::random();
        let dave = || Viewer::User(person("dave"));
        let all: Vec<(&str, &str)> = OUTCOME_PARAMS.iter().map(|n| (*n, "x")).collect();
        for name in OUTCOME_PARAMS {
            let mut changed = sealed(&p_auth, "dave", "contacts_center", &all);
            changed.remove(name);
            changed.add(name, "y");
            let shown = opened(&p_auth, dave(), "contacts_center", changed, Duration::ZERO);
            let message = if name == "message" { "y" } else { "x" };
            assert_eq!(
                shown,
                params(&pairs(&[("message", message)])),
                "{name} changed"
            );
        }
        let mut navigated = sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        navigated.remove("filter");
        navigated.add("filter", "following");
        let shown = opened(
            &p_auth,
            dave(),
            "contacts_center",
            navigated,
            Duration::ZERO,
        );
        assert_eq!(shown.get("messageUserId"), Some("carol"));
        assert_eq!(shown.get("filter"), Some("following"));
    }

    #[test]
    fn on_a_card_an_unsealed_message_goes_too_but_a_form_expired() {
        let p_auth = PAuth::random();
        let dave = || Viewer::User(person("dave"));
        let card = [
            ("userId", "carol"),
            ("message", "you-have-blocked-this-user"),
        ];
        let forged = params(&pairs(&card));
        let shown = opened(&p_auth, dave(), "contacts_center", forged, Duration::ZERO);
        assert_eq!(shown, params(&pairs(&card[..1])));
        let back = || sealed(&p_auth, "dave", "contacts_center", &card);
        let shown = opened(&p_auth, dave(), "contacts_center", back(), Duration::ZERO);
        assert_eq!(shown, params(&pairs(&card)), "Dave's own action");
        // Its seal does not carry the message to another card, nor a list's outcome
        // onto a card added to its link: "this user" would be someone else.
        let mut moved = back();
        moved.remove("userId");
        moved.add("userId", "erin");
        let shown = opened(&p_auth, dave(), "contacts_center", moved, Duration::ZERO);
        assert_eq!(shown, params(&pairs(&[("userId", "erin")])));
        let mut carded = sealed(&p_auth, "dave", "contacts_center", &BLOCKED);
        carded.add("userId", "erin");
        let shown = opened(&p_auth, dave(), "contacts_center", carded, Duration::ZERO);
        assert_eq!(
            shown,
            params(&pairs(&[("filter", "connections"), ("userId", "erin")]))
        );
        let expired = params(&pairs(&[("userId", "carol"), ("message", FORM_EXPIRED)]));
        let shown = opened(
            &p_auth,
            dave(),
            "contacts_center",
            expired.clone(),
            Duration::ZERO,
        );
        assert_eq!(shown, expired);
    }

    #[test]
    fn only_render_parameters_with_an_outcome_get_a_seal() {
        let p_auth = PAuth::random();
        let mut render = pairs(&[("filter", "connections"), (SEAL, "written-by-hand")]);
        let dave = person("dave");
        seal_at(
            &p_auth,
            &dave,
            &placement("contacts_center"),
            &mut render,
            at(Duration::ZERO),
        );
        assert_eq!(render, pairs(&[("filter", "connections")]));
        // A seal with nothing to vouch for is dropped before the widget sees it.
        let stray = params(&pairs(&[("filter", "connections"), (SEAL, "x")]));
        let shown = opened(
            &p_auth,
            Viewer::User(dave),
            "contacts_center",
            stray,
            Duration::ZERO,
        );
        assert_eq!(shown, params(&pairs(&[("filter", "connections")])));
    }
}
