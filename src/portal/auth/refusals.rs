//! Refusals worth an administrator's eye, logged without letting anyone flood the log.
//!
//! A portal wired with the wrong secret, issuer or audience, or a WSRP consumer whose
//! registration the host does not know, gets the same short refusal every time: the
//! answer says nothing of the cause, so that nobody can probe for it. The cause is
//! what the administrator setting the portal up needs, so it goes to the log at
//! `warn`. Anyone can send bad tokens, though, so at most one such line is written per
//! [`INTERVAL_SECS`] for each kind of refusal, with the count of those left out since;
//! the rest go to `debug`.

use super::AuthError;
pub use crate::throttle::{INTERVAL_SECS, Throttle};
use crate::wsrp::WsrpFault;

/// Bearer tokens refused on the widget routes and the integration API, one throttle
/// for each cause: anyone can send tokens signed with nothing, and had they shared
/// one, those would take the line a portal wired with the wrong audience needs.
static BEARER: [Throttle; 9] = [const { Throttle::new() }; 9];

/// The throttle of bearer refusals for `error`'s cause.
pub fn bearer(error: &AuthError) -> &'static Throttle {
    let cause = match error {
        AuthError::Expired => 0,
        AuthError::NotYetValid => 1,
        AuthError::InvalidSignature => 2,
        AuthError::UnknownIssuer(_) => 3,
        AuthError::WrongAudience { .. } => 4,
        AuthError::AlgorithmNotAllowed => 5,
        AuthError::Malformed(_) => 6,
        AuthError::Config { .. } => 7,
        AuthError::ClockUnset => 8,
    };
    &BEARER[cause]
}

/// Faults WSRP consumers were answered with, one throttle for each kind of fault:
/// anyone can post junk envelopes, and had they shared one, those would take the line
/// a real consumer's `ModifyRegistrationRequired` after a change of secret needs.
static WSRP: [Throttle; WsrpFault::KINDS] = [const { Throttle::new() }; WsrpFault::KINDS];

/// The throttle of WSRP faults of `fault`'s kind.
pub fn wsrp(fault: &WsrpFault) -> &'static Throttle {
    // Within bounds whatever `KINDS` says: a kind added and not counted there shares
    // a line rather than panicking on the fault's path.
    &WSRP[fault.ordinal() % WsrpFault::KINDS]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flood of one cause leaves the line of another free: each cause has a
    /// throttle of its own (compared by place, not by lines written, which other
    /// tests of this process may take).
    #[test]
    fn each_cause_of_a_bearer_refusal_has_its_own_line() {
        let causes = [
            AuthError::Expired,
            AuthError::NotYetValid,
            AuthError::InvalidSignature,
            AuthError::UnknownIssuer("https://idp.example".into()),
            AuthError::WrongAudience {
                aud: "other-app".into(),
                expected: "widget-host".into(),
            },
            AuthError::AlgorithmNotAllowed,
            AuthError::Malformed("not a JWT".into()),
            AuthError::Config {
                consumer: "portal".into(),
                message: "no key".into(),
            },
            AuthError::ClockUnset,
        ];
        for (i, one) in causes.iter().enumerate() {
            for other in &causes[i + 1..] {
                assert!(
                    !std::ptr::eq(bearer(one), bearer(other)),
                    "{one:?} {other:?}"
                );
            }
        }
        assert!(std::ptr::eq(
            bearer(&AuthError::Malformed("one".into())),
            bearer(&AuthError::Malformed("another".into()))
        ));
    }

    /// Junk envelopes leave the line of a real consumer's fault free, as bad tokens
    /// do a portal's: each kind of WSRP fault has a throttle of its own.
    #[test]
    fn each_kind_of_wsrp_fault_has_its_own_line() {
        let s = String::new;
        let faults = [
            WsrpFault::AccessDenied(s()),
            WsrpFault::InconsistentParameters(s()),
            WsrpFault::InvalidHandle(s()),
            WsrpFault::InvalidRegistration(s()),
            WsrpFault::InvalidUserCategory(s()),
            WsrpFault::MissingParameters(s()),
            WsrpFault::ModifyRegistrationRequired(s()),
            WsrpFault::OperationFailed(s()),
            WsrpFault::RegistrationRefused(s()),
            WsrpFault::OperationNotSupported(s()),
            WsrpFault::PortletStateChangeRequired(s()),
            WsrpFault::UnsupportedMode(s()),
            WsrpFault::UnsupportedWindowState(s()),
            WsrpFault::UnsupportedMimeType(s()),
            WsrpFault::Malformed(s()),
            WsrpFault::MustUnderstand(s()),
            WsrpFault::VersionMismatch(s()),
        ];
        assert_eq!(faults.len(), WsrpFault::KINDS);
        for (i, one) in faults.iter().enumerate() {
            for other in &faults[i + 1..] {
                assert!(!std::ptr::eq(wsrp(one), wsrp(other)), "{one:?} {other:?}");
            }
        }
        assert!(std::ptr::eq(
            wsrp(&WsrpFault::Malformed("one".into())),
            wsrp(&WsrpFault::Malformed("another".into()))
        ));
    }
}
