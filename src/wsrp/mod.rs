//! WSRP 2.0 producer (DESIGN.md section 7): portals that consume remote portlets over
//! SOAP call the same widgets as the native protocol.
//!
//! [`Producer::handle`] takes one SOAP 1.1 request body for one port and answers it;
//! [`xml`] reads requests safely, [`context`] turns WSRP contexts into a
//! [`crate::portal::Request`], [`urls`] writes consumer-rewritten URLs, [`describe`]
//! and [`wsdl`] describe the producer, [`registration`] remembers consumers, and
//! [`guesses`] bounds the wrong secrets it checks.

pub mod context;
pub mod describe;
pub mod fault;
pub mod guesses;
pub mod producer;
pub mod registration;
pub mod urls;
pub mod wsdl;
pub mod xml;

pub use fault::{FaultKind, WsrpFault};
pub use producer::{Hold, NoHooks, Producer, ProducerHooks, SoapReply};
pub use registration::{MemoryRegistrations, Registration, RegistrationStore};
pub use urls::WsrpUrls;

/// SOAP 1.1 envelope namespace.
pub const SOAP_ENV_NS: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// Namespace of every WSRP 2.0 message element.
pub const TYPES_NS: &str = "urn:oasis:names:tc:wsrp:v2:types";
/// Registration property that carries the consumer's configured secret.
pub const SECRET_PROPERTY: &str = "wsrp_secret";
