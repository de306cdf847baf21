//! WSRP faults: what went wrong, as the types schema names it, and its SOAP 1.1 form.

use super::xml::Writer;
use super::{SOAP_ENV_NS, TYPES_NS};

/// A WSRP fault. The variant is the fault element in `detail`; the text goes to
/// `faultstring` and never carries internals (those are logged instead).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WsrpFault {
    #[error("access denied: {0}")]
    AccessDenied(String),
    #[error("inconsistent parameters: {0}")]
    InconsistentParameters(String),
    #[error("invalid handle: {0}")]
    InvalidHandle(String),
    #[error("invalid registration: {0}")]
    InvalidRegistration(String),
    #[error("invalid user category: {0}")]
    InvalidUserCategory(String),
    #[error("missing parameters: {0}")]
    MissingParameters(String),
    /// The handle is known, but the consumer must call `modifyRegistration` before it
    /// serves again: its secret changed since it registered.
    #[error("modify registration required: {0}")]
    ModifyRegistrationRequired(String),
    #[error("operation failed: {0}")]
    OperationFailed(String),
    /// `register`/`modifyRegistration` with an unknown consumer or a wrong secret. The
    /// registration port declares no better fault, so `OperationFailed` goes in
    /// `detail`, but as a client fault.
    #[error("registration refused: {0}")]
    RegistrationRefused(String),
    #[error("operation not supported: {0}")]
    OperationNotSupported(String),
    /// The interaction would change the portlet's persistent state (its preferences)
    /// and the consumer's `portletStateChange` is `readOnly`.
    #[error("portlet state change required: {0}")]
    PortletStateChangeRequired(String),
    #[error("unsupported mode: {0}")]
    UnsupportedMode(String),
    #[error("unsupported window state: {0}")]
    UnsupportedWindowState(String),
    /// None of the consumer's `mimeTypes` takes HTML, the only markup the host writes.
    #[error("unsupported mime type: {0}")]
    UnsupportedMimeType(String),
    /// The body is not a SOAP envelope we will read (malformed, too big, a DTD …).
    /// Answered as a client fault with `OperationFailed` in `detail`.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// A SOAP header entry for this producer marked `mustUnderstand="1"`: the host
    /// understands no header, and SOAP 1.1 (section 4.2.3) forbids processing the
    /// message then. Its fault has no `detail` (section 4.4).
    #[error("header not understood: {0}")]
    MustUnderstand(String),
    /// An `Envelope` in another namespace than SOAP 1.1's (SOAP 1.2, say).
    #[error("version mismatch: {0}")]
    VersionMismatch(String),
}

/// A fault as `/metrics` counts it. SOAP 1.1 answers every fault 500, so the status
/// alone cannot tell a consumer's mistake (`Client`) from the producer's (`Server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultKind {
    /// `Client`, `Server`, `MustUnderstand` or `VersionMismatch`.
    pub code: &'static str,
    /// The [`WsrpFault`] variant's name.
    pub name: &'static str,
}

impl WsrpFault {
    /// How many kinds of fault there are: [`Self::ordinal`] is below it.
    pub const KINDS: usize = 17;

    /// Which of the [`Self::KINDS`] kinds this fault is, from 0: the log's throttles
    /// are kept one for each.
    pub fn ordinal(&self) -> usize {
        match self {
            Self::AccessDenied(_) => 0,
            Self::InconsistentParameters(_) => 1,
            Self::InvalidHandle(_) => 2,
            Self::InvalidRegistration(_) => 3,
            Self::InvalidUserCategory(_) => 4,
            Self::MissingParameters(_) => 5,
            Self::ModifyRegistrationRequired(_) => 6,
            Self::OperationFailed(_) => 7,
            Self::RegistrationRefused(_) => 8,
            Self::OperationNotSupported(_) => 9,
            Self::PortletStateChangeRequired(_) => 10,
            Self::UnsupportedMode(_) => 11,
            Self::UnsupportedWindowState(_) => 12,
            Self::UnsupportedMimeType(_) => 13,
            Self::Malformed(_) => 14,
            Self::MustUnderstand(_) => 15,
            Self::VersionMismatch(_) => 16,
        }
    }

    /// The fault element's local name in `urn:oasis:names:tc:wsrp:v2:types`.
    pub fn element(&self) -> &'static str {
        match self {
            Self::AccessDenied(_) => "AccessDenied",
            Self::InconsistentParameters(_) => "InconsistentParameters",
            Self::InvalidHandle(_) => "InvalidHandle",
            Self::InvalidRegistration(_) => "InvalidRegistration",
            Self::InvalidUserCategory(_) => "InvalidUserCategory",
            Self::MissingParameters(_) => "MissingParameters",
            Self::ModifyRegistrationRequired(_) => "ModifyRegistrationRequired",
            // Never written: a header fault carries no `detail`.
            Self::OperationFailed(_)
            | Self::Malformed(_)
            | Self::RegistrationRefused(_)
            | Self::MustUnderstand(_)
            | Self::VersionMismatch(_) => "OperationFailed",
            Self::OperationNotSupported(_) => "OperationNotSupported",
            Self::PortletStateChangeRequired(_) => "PortletStateChangeRequired",
            Self::UnsupportedMode(_) => "UnsupportedMode",
            Self::UnsupportedWindowState(_) => "UnsupportedWindowState",
            Self::UnsupportedMimeType(_) => "UnsupportedMimeType",
        }
    }

    /// Which fault this is, for counting: the variant's name (the `detail` element
    /// would lump a malformed envelope and a refused secret in with the producer's own
    /// failures) and the `faultcode` without its prefix.
    pub fn kind(&self) -> FaultKind {
        let name = match self {
            Self::Malformed(_) => "Malformed",
            Self::RegistrationRefused(_) => "RegistrationRefused",
            Self::MustUnderstand(_) => "MustUnderstand",
            Self::VersionMismatch(_) => "VersionMismatch",
            other => other.element(),
        };
        let code = self.code();
        FaultKind {
            code: code.strip_prefix("soapenv:").unwrap_or(code),
            name,
        }
    }

    /// SOAP 1.1 `faultcode`: `Server` only when the producer itself failed.
    pub fn code(&self) -> &'static str {
        match self {
            Self::OperationFailed(_) => "soapenv:Server",
            Self::MustUnderstand(_) => "soapenv:MustUnderstand",
            // SOAP 1.1, section 4.4.1: an envelope in another namespace.
            Self::VersionMismatch(_) => "soapenv:VersionMismatch",
            _ => "soapenv:Client",
        }
    }

    /// The whole SOAP 1.1 envelope carrying this fault.
    pub fn envelope(&self) -> String {
        let mut w = Writer::new();
        w.open("soapenv:Envelope", &[("xmlns:soapenv", SOAP_ENV_NS)])
            .open("soapenv:Body", &[])
            .open("soapenv:Fault", &[])
            .leaf("faultcode", self.code())
            .leaf("faultstring", &self.to_string());
        // SOAP's own faults carry no WSRP detail.
        if !matches!(self, Self::MustUnderstand(_) | Self::VersionMismatch(_)) {
            w.open("detail", &[])
                .empty(
                    &format!("types:{}", self.element()),
                    &[("xmlns:types", TYPES_NS)],
                )
                .close("detail");
        }
        w.close("soapenv:Fault")
            .close("soapenv:Body")
            .close("soapenv:Envelope");
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_is_counted_by_its_own_kind_and_its_faultcode() {
        let kinds = [
            WsrpFault::InvalidRegistration(String::new()),
            WsrpFault::OperationFailed(String::new()),
            WsrpFault::Malformed(String::new()),
            WsrpFault::RegistrationRefused(String::new()),
            WsrpFault::MustUnderstand(String::new()),
            WsrpFault::VersionMismatch(String::new()),
        ]
        .map(|f| {
            let kind = f.kind();
            (kind.code, kind.name)
        });
        // Four of these carry `OperationFailed` in their detail, or none: counted by
        // that, a refused secret would look like the producer failing.
        assert_eq!(
            kinds,
            [
                ("Client", "InvalidRegistration"),
                ("Server", "OperationFailed"),
                ("Client", "Malformed"),
                ("Client", "RegistrationRefused"),
                ("MustUnderstand", "MustUnderstand"),
                ("VersionMismatch", "VersionMismatch"),
            ]
        );
    }
}
