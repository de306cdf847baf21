//! The producer: one SOAP request in, one SOAP answer out.
//!
//! Dispatch is on the body element alone (DESIGN section 7): the WSDL puts each
//! operation on its port, but a consumer that posts every call to one port is served
//! too, since nothing about an operation depends on where it arrived. Every
//! operation but `getServiceDescription` and `register` needs a registration, and
//! every portlet operation maps to exactly one [`Widget`] call.

use std::sync::Arc;

use base64::Engine as _;

use super::context::{self, mode_to_wsrp, truncate, truncate_to, xml_lang};
use super::describe::{desired_language, portlet_description};
use super::fault::{FaultKind, WsrpFault};
use super::guesses::{HandleGuesses, MAX_WRONG_SECRETS, SecretGuesses, WINDOW};
use super::registration::{
    Registration, RegistrationStore, digests_match, secret_digest, secret_matches, sha256,
};
use super::urls::{ACTION_KEY, REWRITE_NAMESPACE, WsrpUrls, decode_state, encode_state};
use super::xml::{self, Element, Writer};
use super::{SECRET_PROPERTY, SOAP_ENV_NS, TYPES_NS, wsdl};
use crate::config::ConsumerConfig;
use crate::descriptors::{CatalogHandle, WidgetDescriptor};
use crate::portal::auth::{PAuth, outcome};
use crate::portal::{Params, Phase, PortalUser, PortletId, Request, Viewer, WindowState};
use crate::widgets::{Widget, WidgetError, WidgetSet};
use std::collections::HashMap;

/// Things the producer asks of the rest of the host.
pub trait ProducerHooks: Send + Sync {
    /// A consumer sent this user's profile: create or refresh their directory entry.
    fn refresh_profile(&self, user: &PortalUser);

    /// Taken for as long as a widget renders or serves a resource (not for an action,
    /// which waits for a commit): the host bounds how many run at once, whichever
    /// protocol asked. `None` when none came free within the host's request timeout:
    /// the call is answered busy. Free by default.
    fn render_slot(&self) -> Option<Hold> {
        Some(Hold::free())
    }

    /// Taken for as long as a user's action runs: their part of the writes the host
    /// lets wait for its writer, shared with the native path (`weight`: how many
    /// people the action names), so that one person's calls, by either protocol,
    /// cannot queue seconds of the one writer's work before everyone else's. `None`
    /// when their part is taken: the call is answered busy, nothing done. Free by
    /// default.
    fn write_share(&self, _user: &str, _weight: usize) -> Option<Hold> {
        Some(Hold::free())
    }
}

/// What [`ProducerHooks::render_slot`] and [`ProducerHooks::write_share`] hand out:
/// held until dropped.
pub struct Hold {
    /// Kept only to be dropped with the slot.
    _guard: Option<Box<dyn Send>>,
}

impl Hold {
    /// No bound.
    pub fn free() -> Self {
        Self { _guard: None }
    }

    /// Holds `guard` (a semaphore permit, say) until the slot is dropped.
    pub fn held(guard: impl Send + 'static) -> Self {
        Self {
            _guard: Some(Box::new(guard)),
        }
    }
}

/// No render slot came free in time, or the user's part of the waiting writes is
/// taken: a server fault the consumer may retry.
fn busy() -> WsrpFault {
    WsrpFault::OperationFailed("the producer is busy; retry shortly".into())
}

/// Hooks that do nothing, for tests and for hosts without a directory.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoHooks;

impl ProducerHooks for NoHooks {
    fn refresh_profile(&self, _user: &PortalUser) {}
}

/// A SOAP answer, ready for the HTTP layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapReply {
    /// 200, or 500 for a fault (SOAP 1.1 over HTTP), or 404 for an unknown port.
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
    /// The fault the body carries, if it is one.
    pub fault: Option<FaultKind>,
    /// A `getResource` answer: an export, held for its reader against the host's
    /// budget for large answers as a native one is. Markup is not: a page is bounded
    /// by its size, as a native render's is.
    pub resource: bool,
}

/// SOAP 1.1 media type.
pub const SOAP_CONTENT_TYPE: &str = "text/xml; charset=utf-8";

/// Which of the four services a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Port {
    ServiceDescription,
    Markup,
    Registration,
    PortletManagement,
}

impl Port {
    fn parse(s: &str) -> Option<Self> {
        match s {
            "service-description" => Some(Self::ServiceDescription),
            "markup" => Some(Self::Markup),
            "registration" => Some(Self::Registration),
            "portlet-management" => Some(Self::PortletManagement),
            _ => None,
        }
    }
}

/// The WSRP 2.0 producer. Cheap to share: everything inside is shared state.
pub struct Producer {
    catalog: CatalogHandle,
    widgets: WidgetSet,
    consumers: Vec<ConsumerConfig>,
    registrations: Arc<dyn RegistrationStore>,
    hooks: Arc<dyn ProducerHooks>,
    limits: xml::Limits,
    /// Wrong secrets of `register`, the host's count.
    guesses: SecretGuesses,
    /// Wrong secrets of `modifyRegistration`, counted per consumer of the handle.
    handle_guesses: HandleGuesses,
    /// The SHA-256 of each consumer's `wsrp_secret` (not empty), by consumer id:
    /// a registration hashes only the secret it presents.
    wsrp_digests: HashMap<String, [u8; 32]>,
    /// Seals an action's outcome into the next render's navigational state
    /// ([`crate::portal::auth::outcome`]): a consumer keeps that state in its own page
    /// URLs, which anyone can write.
    p_auth: PAuth,
}

/// Whether a SOAP 1.1 header entry must be understood by this producer: marked
/// `mustUnderstand="1"` and meant for the ultimate recipient (no `actor`, or the
/// `next` actor, which every recipient is).
fn must_understand(entry: &Element) -> bool {
    let soap_attr = |name: &str| {
        entry
            .attrs
            .iter()
            .find(|a| a.name == name && a.ns.as_deref() == Some(SOAP_ENV_NS))
            .map(|a| a.value.trim())
    };
    let marked = matches!(soap_attr("mustUnderstand"), Some("1" | "true"));
    let for_us = matches!(
        soap_attr("actor"),
        None | Some("http://schemas.xmlsoap.org/soap/actor/next")
    );
    marked && for_us
}

/// Longest `runtimeContext/namespacePrefix` accepted. Consumers use short ones (Liferay's
/// are the portlet id with a few characters around it).
const MAX_NAMESPACE_PREFIX: usize = 128;

/// The one action that changes a portlet's own state: its preferences (edit mode).
const SAVE_PREFERENCES: &str = "save-preferences";

/// What a secret's digest is compared with when its consumer has no secret or is not
/// configured: the work is the same, and the answer is ignored.
const NO_SECRET_DIGEST: [u8; 32] = [0; 32];

/// Most registration properties a registration keeps, and the characters kept of each
/// value (a name is kept to 64, as other consumer names are). None is read: the
/// secret, which is never kept, is the one the host acts on. Unbounded, a portal
/// registering in a loop would grow the table by the half megabyte an envelope may
/// hold at each call, and every later call would read that row back.
const MAX_PROPERTIES: usize = 16;
const MAX_PROPERTY_CHARS: usize = 256;

/// A registration that a request proved it holds.
struct Registered {
    consumer: String,
}

/// The portlet a request addresses, resolved against the catalog.
struct Target {
    id: PortletId,
    descriptor: Arc<WidgetDescriptor>,
    widget: Arc<dyn Widget>,
}

impl Producer {
    pub fn new(
        catalog: CatalogHandle,
        widgets: WidgetSet,
        consumers: Vec<ConsumerConfig>,
        registrations: Arc<dyn RegistrationStore>,
        hooks: Arc<dyn ProducerHooks>,
        p_auth: PAuth,
    ) -> Self {
        Self {
            p_auth,
            catalog,
            widgets,
            registrations,
            hooks,
            limits: xml::Limits::default(),
            guesses: SecretGuesses::default(),
            handle_guesses: HandleGuesses::default(),
            wsrp_digests: consumers
                .iter()
                .filter_map(|c| {
                    let secret = c.wsrp_secret.as_deref().filter(|s| !s.is_empty())?;
                    Some((c.id.clone(), sha256(secret)))
                })
                .collect(),
            consumers,
        }
    }

    /// The largest envelope the parser takes: the transport reads no more than this.
    pub fn max_envelope_bytes(&self) -> usize {
        self.limits.max_bytes
    }

    /// The services WSDL, its addresses under `host_base_url`.
    pub fn wsdl(&self, host_base_url: &str) -> String {
        wsdl::services_wsdl(host_base_url)
    }

    /// Answers one SOAP request that arrived at `/wsrp/v2/{port}`. Blocking: it reads
    /// the database and drives widget actions to their durable commits on its own
    /// thread, so call it inside a tokio runtime's context but off its async workers
    /// (on the blocking pool, as `wsrp_routes` does): an action without a runtime is
    /// answered `OperationFailed`.
    pub fn handle(&self, port: &str, body: &[u8]) -> SoapReply {
        if let Some(refused) = unknown_port(port) {
            return refused;
        }
        match self.dispatch(body) {
            Ok((element, resource)) => SoapReply {
                status: 200,
                content_type: SOAP_CONTENT_TYPE,
                body: envelope(&element),
                fault: None,
                resource,
            },
            Err(fault) => {
                // The consumer is told the fault; its developer may only see a
                // failure, so the host's log says which (throttled for each kind of
                // fault: anyone may send).
                // Escaped: a fault quotes the request (a namespace, a name), and a
                // line break in it must not start a forged line in the log.
                match crate::portal::auth::refusals::wsrp(&fault).admit() {
                    Some(unlogged) => tracing::warn!(
                        fault = %fault.to_string().escape_debug(), unlogged,
                        "a WSRP call was answered with a fault (one such line per 10 s for each kind of fault; `unlogged` counts those left out)"
                    ),
                    None => tracing::debug!(
                        fault = %fault.to_string().escape_debug(),
                        "WSRP fault"
                    ),
                }
                fault_reply(500, &fault)
            }
        }
    }

    /// The answer's body element, and whether it is a resource's.
    fn dispatch(&self, body: &[u8]) -> Result<(String, bool), WsrpFault> {
        // The parser's message quotes the request (names, prefixes): keep it short.
        let root = xml::parse(body, self.limits)
            .map_err(|e| WsrpFault::Malformed(e.to_string().chars().take(200).collect()))?;
        if root.name != "Envelope" {
            return Err(WsrpFault::Malformed("not a SOAP 1.1 envelope".into()));
        }
        if root.ns.as_deref() != Some(SOAP_ENV_NS) {
            return Err(WsrpFault::VersionMismatch(
                "this producer speaks SOAP 1.1 only".into(),
            ));
        }
        if let Some(entry) = root
            .child("Header")
            .filter(|h| h.ns.as_deref() == Some(SOAP_ENV_NS))
            .and_then(|h| h.children.iter().find(|e| must_understand(e)))
        {
            return Err(WsrpFault::MustUnderstand(format!(
                "{{{}}}{}",
                // Namespaces are URIs, often longer than a name: WS-Security's is 81.
                truncate_to(entry.ns.as_deref().unwrap_or_default(), 200),
                truncate(&entry.name)
            )));
        }
        let op = root
            .child("Body")
            .filter(|b| b.ns.as_deref() == Some(SOAP_ENV_NS))
            .and_then(|b| b.children.first())
            .ok_or_else(|| WsrpFault::Malformed("empty SOAP body".into()))?;
        if op.ns.as_deref() != Some(TYPES_NS) {
            return Err(WsrpFault::OperationNotSupported(format!(
                "{} is not a WSRP 2.0 operation",
                truncate(&op.name)
            )));
        }
        let resource = op.name == "getResource";
        let answer = match op.name.as_str() {
            "getServiceDescription" => self.get_service_description(op),
            "register" => self.register(op),
            "deregister" => self.deregister(op),
            "modifyRegistration" => self.modify_registration(op),
            "getPortletDescription" => self.get_portlet_description(op),
            "getMarkup" => self.get_markup(op),
            "performBlockingInteraction" => self.perform_blocking_interaction(op),
            "getResource" => self.get_resource(op),
            "initCookie" | "releaseSessions" => {
                self.registered(op)?;
                let answer = format!("{}Response", op.name);
                Ok(empty_response(&answer))
            }
            "handleEvents" => self.handle_events(op),
            // Nothing is ever exported, so there is nothing to release; the WSDL
            // declares no fault for this operation, so it is answered, not refused.
            "releaseExport" => Ok(empty_response("releaseExportResponse")),
            name => Err(WsrpFault::OperationNotSupported(format!(
                "{} is not offered by this producer",
                truncate(name)
            ))),
        };
        answer.map(|element| (element, resource))
    }

    // ---- registration -------------------------------------------------------------

    /// The handle a request's `registrationContext` names, with its stored record.
    fn stored<'a>(&self, op: &'a Element) -> Result<(&'a str, Registration), WsrpFault> {
        let handle = op
            .present("registrationContext")
            .and_then(|c| c.child_text("registrationHandle"))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| WsrpFault::InvalidRegistration("registration is required".into()))?;
        let registration = self
            .registrations
            .get(handle)
            .map_err(|e| store_failed(&e))?
            .ok_or_else(|| WsrpFault::InvalidRegistration("unknown registration handle".into()))?;
        Ok((handle, registration))
    }

    /// The registration a request's `registrationContext` names, if it still serves.
    fn registered(&self, op: &Element) -> Result<Registered, WsrpFault> {
        let (_, registration) = self.stored(op)?;
        // A consumer removed from the configuration loses its registrations, and one
        // whose secret was changed must prove the new one: the handle still names a
        // registration, which `modifyRegistration` with the new secret makes serve
        // again (the fault the WSDL declares for this), or `register` replaces.
        let Some(consumer) = self.consumer(&registration.consumer) else {
            return Err(WsrpFault::InvalidRegistration(
                "the consumer is no longer configured".into(),
            ));
        };
        let configured = consumer.wsrp_secret.as_deref().unwrap_or_default();
        if configured.is_empty() {
            return Err(WsrpFault::InvalidRegistration(
                "the consumer no longer registers over WSRP".into(),
            ));
        }
        if !secret_matches(&registration.secret_digest, &secret_digest(configured)) {
            return Err(WsrpFault::ModifyRegistrationRequired(
                "the consumer's secret changed since it registered; modify the registration with the new secret, or register again".into(),
            ));
        }
        Ok(Registered {
            consumer: registration.consumer,
        })
    }

    fn consumer(&self, id: &str) -> Option<&ConsumerConfig> {
        self.consumers.iter().find(|c| c.id == id)
    }

    /// Checks `registrationData` against the configuration: a configured consumer that
    /// proves its `wsrp_secret`.
    /// Proves `data`'s consumer and secret, counting a wrong secret in `guesses`.
    fn admit(&self, data: &Element, guesses: &SecretGuesses) -> Result<Registration, WsrpFault> {
        let name = data
            .child_text("consumerName")
            .filter(|n| !n.is_empty())
            .ok_or_else(|| WsrpFault::MissingParameters("consumerName".into()))?;
        let mut secret = None;
        let mut properties = Vec::new();
        for p in data.children_named("registrationProperties") {
            let Some(pname) = p.attr("name") else {
                continue;
            };
            // A QName: the local part is what counts.
            let local = pname.rsplit(':').next().unwrap_or(pname);
            let value = p
                .child("stringValue")
                .map(|v| v.text.clone())
                .unwrap_or_default();
            if local == SECRET_PROPERTY {
                secret = Some(value);
            } else if properties.len() < MAX_PROPERTIES {
                properties.push((truncate(local), truncate_to(&value, MAX_PROPERTY_CHARS)));
            }
        }
        let secret = secret.ok_or_else(|| WsrpFault::MissingParameters(SECRET_PROPERTY.into()))?;
        let attempt = guesses
            .attempt_at(std::time::Instant::now())
            .map_err(|wait| {
                WsrpFault::RegistrationRefused(format!(
                    "too many wrong secrets in the last minute: registrations are checked again in {} s",
                    wait.as_millis().div_ceil(1000).max(1)
                ))
            })?;
        // Same answer for an unknown consumer and a wrong secret, and the same work
        // (one hash of the presented secret, one comparison of digests): no probing
        // for ids. Consumers without a secret (or with an empty one, which a
        // configuration built in code may hold) have no digest and are never proved,
        // nor is an empty secret.
        let configured = self.wsrp_digests.get(name);
        let matches = digests_match(&sha256(&secret), configured.unwrap_or(&NO_SECRET_DIGEST));
        let consumer = self.consumer(name);
        let configured = consumer.and_then(|c| c.wsrp_secret.as_deref());
        let (Some(consumer), Some(configured), true) =
            (consumer, configured, matches && !secret.is_empty())
        else {
            // The consumer hears one answer; the administrator setting it up needs to
            // know which name it sent (Liferay sends its virtual host name, which its
            // administrator cannot set) and what was wrong. At most the bound's ten
            // lines a minute: a refusal while the bound holds checks nothing.
            let why = match (consumer, configured.filter(|s| !s.is_empty())) {
                (None, _) => "no consumer has this id",
                (Some(_), None) => "this consumer has no wsrp_secret",
                (Some(_), Some(_)) => "wrong secret",
            };
            tracing::warn!(
                consumer_name = %truncate(name).escape_debug(),
                why,
                "a WSRP registration was refused"
            );
            if guesses.wrong(attempt) {
                tracing::warn!(
                    "WSRP registration: {MAX_WRONG_SECRETS} wrong secrets within {} s; no secret is checked until that time has passed since the first",
                    WINDOW.as_secs()
                );
            }
            return Err(WsrpFault::RegistrationRefused(
                "unknown consumer or wrong secret".into(),
            ));
        };
        guesses.proved(attempt);
        Ok(Registration {
            consumer: consumer.id.clone(),
            agent: data
                .child_text("consumerAgent")
                .map(truncate)
                .unwrap_or_default(),
            properties,
            secret_digest: secret_digest(configured),
        })
    }

    fn register(&self, op: &Element) -> Result<String, WsrpFault> {
        let data = op
            .present("registrationData")
            .ok_or_else(|| WsrpFault::MissingParameters("registrationData".into()))?;
        let registration = self.admit(data, &self.guesses)?;
        let handle = format!("{:032x}", rand::random::<u128>());
        let consumer = registration.consumer.clone();
        self.registrations
            .create(&handle, registration)
            .map_err(|e| store_failed(&e))?;
        tracing::info!(%consumer, "WSRP consumer registered");
        let mut w = Writer::new();
        w.open("registerResponse", &[("xmlns", TYPES_NS)])
            .leaf("registrationHandle", &handle)
            .close("registerResponse");
        Ok(w.finish())
    }

    /// Giving a handle up only needs the handle: one voided by a changed secret, or
    /// whose consumer left the configuration, can still be removed by its holder.
    fn deregister(&self, op: &Element) -> Result<String, WsrpFault> {
        let (handle, registered) = self.stored(op)?;
        if !self
            .registrations
            .delete(handle)
            .map_err(|e| store_failed(&e))?
        {
            return Err(WsrpFault::InvalidRegistration(
                "unknown registration handle".into(),
            ));
        }
        tracing::info!(consumer = %registered.consumer, "WSRP consumer deregistered");
        Ok(empty_response("deregisterResponse"))
    }

    /// A handle voided by a changed secret is modified too, when the request proves
    /// the new secret: a consumer that holds a registration (Liferay's always does,
    /// once registered) calls `modifyRegistration`, never `register`, when its
    /// administrator enters the new secret. The old handle alone proves nothing. Its
    /// wrong secrets count against its consumer, not the host ([`HandleGuesses`]).
    fn modify_registration(&self, op: &Element) -> Result<String, WsrpFault> {
        let (handle, registered) = self.stored(op)?;
        let data = op
            .present("registrationData")
            .ok_or_else(|| WsrpFault::MissingParameters("registrationData".into()))?;
        // A registration keeps its consumer: another name is refused before any secret
        // is checked, so that one consumer's handles cannot be used to guess another's.
        if data.child_text("consumerName") != Some(registered.consumer.as_str()) {
            return Err(WsrpFault::RegistrationRefused(
                "a registration cannot change consumer".into(),
            ));
        }
        let budget = self
            .handle_guesses
            .of(&registered.consumer, std::time::Instant::now());
        let registration = self.admit(data, &budget)?;
        if !self
            .registrations
            .modify(handle, registration)
            .map_err(|e| store_failed(&e))?
        {
            return Err(WsrpFault::InvalidRegistration(
                "unknown registration handle".into(),
            ));
        }
        Ok(empty_response("modifyRegistrationResponse"))
    }

    // ---- descriptions -------------------------------------------------------------

    fn get_service_description(&self, op: &Element) -> Result<String, WsrpFault> {
        // Unregistered consumers may ask (they learn that registration is required);
        // a registration that is named must be valid, or wait only for its
        // modification: what the description says is the same for every consumer, and
        // Liferay's consumer asks for it with the stored handle before it lets its
        // administrator save the new secret (`modifyRegistration`), so that fault here
        // would leave the handle no way back. Markup calls still get the fault.
        if op.present("registrationContext").is_some() {
            match self.registered(op) {
                Ok(_) | Err(WsrpFault::ModifyRegistrationRequired(_)) => {}
                Err(fault) => return Err(fault),
            }
        }
        // A placement's handle (`contacts-center_INSTANCE_ab12`) asks for its portlet,
        // if that portlet has placements, as `getMarkup` would serve it.
        // A handle that is no portlet id asks for nothing, not for everything.
        let filtered = op.children_named("portletHandles").next().is_some();
        let wanted: Vec<PortletId> = op
            .children_named("portletHandles")
            .filter_map(|h| PortletId::parse(h.text.trim()))
            .collect();
        let catalog = self.catalog.current();
        let language = desired_language(op);
        let mut w = Writer::new();
        w.open(
            "getServiceDescriptionResponse",
            &[
                ("xmlns", TYPES_NS),
                ("xmlns:xsd", "http://www.w3.org/2001/XMLSchema"),
            ],
        );
        w.leaf("requiresRegistration", "true");
        let mut locales = std::collections::BTreeSet::new();
        for d in catalog.widgets.values() {
            if !self.widgets.contains_key(d.kind.as_str()) {
                continue;
            }
            if filtered && !wanted.iter().any(|id| d.places(id)) {
                continue;
            }
            portlet_description(&mut w, "offeredPortlets", &d.portlet_name, d, language);
            locales.extend(d.supported_locales.iter().map(|l| xml_lang(l)));
        }
        super::describe::user_category_descriptions(&mut w);
        w.leaf("requiresInitCookie", "none");
        w.open("registrationPropertyDescription", &[])
            .open(
                "propertyDescriptions",
                &[("name", SECRET_PROPERTY), ("type", "xsd:string")],
            )
            .localized(
                "description",
                "en",
                "The secret configured for this consumer (consumers[].wsrp_secret).",
            )
            .close("propertyDescriptions")
            .close("registrationPropertyDescription");
        for l in &locales {
            w.leaf("locales", l);
        }
        w.close("getServiceDescriptionResponse");
        Ok(w.finish())
    }

    fn get_portlet_description(&self, op: &Element) -> Result<String, WsrpFault> {
        self.registered(op)?;
        let target = self.target(op)?;
        let mut w = Writer::new();
        w.open("getPortletDescriptionResponse", &[("xmlns", TYPES_NS)]);
        // The handle asked about, a placement's included, as the consumer keys it.
        portlet_description(
            &mut w,
            "portletDescription",
            target.id.as_str(),
            &target.descriptor,
            desired_language(op),
        );
        w.close("getPortletDescriptionResponse");
        Ok(w.finish())
    }

    // ---- markup -------------------------------------------------------------------

    /// The portlet named by `portletContext/portletHandle`.
    fn target(&self, op: &Element) -> Result<Target, WsrpFault> {
        let handle = op
            .present("portletContext")
            .and_then(|c| c.child_text("portletHandle"))
            .filter(|h| !h.is_empty())
            .ok_or_else(|| WsrpFault::MissingParameters("portletContext/portletHandle".into()))?;
        let unknown = || WsrpFault::InvalidHandle(format!("no portlet {:?}", truncate(handle)));
        let id = PortletId::parse(handle).ok_or_else(unknown)?;
        let catalog = self.catalog.current();
        let descriptor = Arc::clone(catalog.placement(&id).ok_or_else(unknown)?);
        let widget = self
            .widgets
            .get(descriptor.kind.as_str())
            .cloned()
            .ok_or_else(|| {
                tracing::warn!(kind = %descriptor.kind, "descriptor names an unknown widget kind");
                WsrpFault::OperationFailed("this portlet is not available".into())
            })?;
        Ok(Target {
            id,
            descriptor,
            widget,
        })
    }

    /// Builds the portal request for `phase` from the operation's contexts and the
    /// element holding mode, window state and locales (`markupParams`/`resourceParams`).
    fn request(
        &self,
        op: &Element,
        phase: Phase,
        mime_request: &Element,
    ) -> Result<(Request, Target, Arc<WsrpUrls>), WsrpFault> {
        let registered = self.registered(op)?;
        let target = self.target(op)?;
        if phase == Phase::Render {
            let offered: Vec<&str> = mime_request
                .children_named("mimeTypes")
                .map(|m| m.text.as_str())
                .collect();
            // No list at all reads as no preference; a list must take HTML somewhere.
            if !offered.is_empty() && !offered.iter().any(|m| crate::portal::covers_html(m)) {
                return Err(WsrpFault::UnsupportedMimeType(truncate(
                    &offered.join(", "),
                )));
            }
        }
        let d = &target.descriptor;
        // When none of the consumer's locales is one the host has texts for: the
        // first of the widget's that is, so that the markup and the locale it is
        // said to be in agree (a first `it_IT` would label English markup Italian).
        let default_locale = d
            .supported_locales
            .iter()
            .map(String::as_str)
            .find(|l| crate::i18n::normalize(l).is_some())
            .unwrap_or("en_US");
        let p = context::presentation(mime_request, default_locale)?;
        if !d.supports(p.mode) {
            return Err(WsrpFault::UnsupportedMode(mode_to_wsrp(p.mode)));
        }
        let prefix = op
            .present("runtimeContext")
            .and_then(|r| r.child_text("namespacePrefix"));
        // Every id and field name of the markup repeats the prefix: a long one would
        // multiply into megabytes of output.
        if prefix.is_some_and(|p| p.chars().count() > MAX_NAMESPACE_PREFIX) {
            return Err(WsrpFault::Malformed(format!(
                "namespacePrefix is longer than {MAX_NAMESPACE_PREFIX} characters"
            )));
        }
        // The prefix goes into the markup after it was escaped (ids, field names, the
        // script's strings): a character that would end an attribute, a tag or a
        // string is refused, where a consumer's prefix is an identifier's start.
        if prefix.is_some_and(|p| {
            p.trim()
                .chars()
                .any(|c| c.is_control() || c.is_whitespace() || "<>&\"'\\`".contains(c))
        }) {
            return Err(WsrpFault::Malformed(
                "namespacePrefix holds a character markup cannot carry as it is (a quote, a backtick, <, >, &, a backslash, a space or a control character)".into(),
            ));
        }
        let guests = self
            .consumer(&registered.consumer)
            .map_or(&[][..], |c| c.wsrp_guest_users.as_slice());
        let viewer = context::viewer(op.child("userContext"), &registered.consumer, guests)?;
        let urls = Arc::new(WsrpUrls::new(prefix));
        let params = match phase {
            Phase::Render => {
                let mut params: Params = p
                    .navigational_state
                    .as_deref()
                    .map(decode_state)
                    .unwrap_or_default();
                outcome::open(&self.p_auth, &viewer, &target.id, &mut params);
                params
            }
            Phase::Action | Phase::Resource => Params::new(),
        };
        let request = Request {
            phase,
            portlet: target.id.clone(),
            descriptor: Arc::clone(d),
            mode: p.mode,
            window_state: p.window_state,
            locale: p.locale,
            dates_locale: p.dates_locale,
            viewer,
            name: None,
            params,
            page_url: None,
            page_owner: None,
            csp_nonce: None,
            urls: Arc::clone(&urls) as Arc<dyn crate::portal::PortletUrls>,
        };
        Ok((request, target, urls))
    }

    /// The user's profile into the directory, once the registration, handle and
    /// parameters are known good and the widget has the action or resource asked for
    /// (a request refused for those changes nothing), and before the widget runs,
    /// which reads the viewer from the directory. A refusal by the widget itself (a
    /// rule, its own parameters) leaves the profile applied: it describes the caller,
    /// not the request, as over the native protocol.
    fn take_profile(&self, req: &Request) {
        if let Viewer::User(user) = &req.viewer {
            self.hooks.refresh_profile(user);
        }
    }

    fn get_markup(&self, op: &Element) -> Result<String, WsrpFault> {
        let params = op
            .present("markupParams")
            .ok_or_else(|| WsrpFault::MissingParameters("markupParams".into()))?;
        let (req, target, urls) = self.request(op, Phase::Render, params)?;
        self.take_profile(&req);
        let mut w = Writer::new();
        w.open("getMarkupResponse", &[("xmlns", TYPES_NS)])
            .open("markupContext", &[])
            .leaf("mimeType", "text/html");
        if req.window_state == WindowState::Minimized {
            // As over the native protocol: a minimized portlet shows only its title,
            // which the consumer draws, so there is nothing to render.
            w.leaf("itemString", "")
                .leaf("locale", &xml_lang(&req.locale))
                .leaf("requiresRewriting", "false");
        } else {
            let markup = {
                let _slot = self.hooks.render_slot().ok_or_else(busy)?;
                target.widget.render(&req).map_err(widget_fault)?
            };
            w.leaf("itemString", &urls.finish_markup(&markup.html))
                .leaf("locale", &xml_lang(&req.locale))
                .leaf("requiresRewriting", "true")
                .leaf("preferredTitle", &markup.title);
        }
        w.close("markupContext").close("getMarkupResponse");
        Ok(w.finish())
    }

    /// No widget of this host processes events, so every event comes back as failed
    /// (`OperationNotSupported`) by its index: an empty answer would tell the consumer
    /// that each was processed. The registration and the portlet are checked first.
    fn handle_events(&self, op: &Element) -> Result<String, WsrpFault> {
        self.registered(op)?;
        self.target(op)?;
        let events = op
            .present("eventParams")
            .ok_or_else(|| WsrpFault::MissingParameters("eventParams".into()))?
            .children_named("events")
            .count();
        if events == 0 {
            return Err(WsrpFault::MissingParameters("eventParams/events".into()));
        }
        let mut w = Writer::new();
        w.open("handleEventsResponse", &[("xmlns", TYPES_NS)])
            .open(
                "failedEvents",
                &[
                    ("xmlns:types", TYPES_NS),
                    ("errorCode", "types:OperationNotSupported"),
                ],
            )
            .localized("reason", "en", "This portlet processes no events.");
        for index in 0..events {
            w.leaf("index", &index.to_string());
        }
        w.close("failedEvents").close("handleEventsResponse");
        Ok(w.finish())
    }

    fn perform_blocking_interaction(&self, op: &Element) -> Result<String, WsrpFault> {
        let params = op
            .present("markupParams")
            .ok_or_else(|| WsrpFault::MissingParameters("markupParams".into()))?;
        let interaction = op
            .present("interactionParams")
            .ok_or_else(|| WsrpFault::MissingParameters("interactionParams".into()))?;
        let (mut req, target, urls) = self.request(op, Phase::Action, params)?;
        let namespace = urls.consumer_namespace();
        let state = decode_state(interaction.child_text("interactionState").unwrap_or(""));
        let action = state
            .get(ACTION_KEY)
            .filter(|a| !a.is_empty())
            .ok_or_else(|| WsrpFault::MissingParameters("interactionState action".into()))?;
        // Saving preferences writes the portlet's own persistent state, which every
        // placement of this handle shares. WSRP 2.0 lets the consumer forbid that
        // (`readOnly`) or ask for a clone to write instead (`cloneBeforeWrite`, which
        // this producer cannot make): only `readWrite` lets it through. Both refusals
        // are PortletStateChangeRequired, the fault the WSDL declares for a write the
        // consumer's setting prevents (OperationNotSupported is not one of this
        // operation's faults, and a client built from the WSDL cannot read it).
        if action == SAVE_PREFERENCES {
            match interaction.child_text("portletStateChange").map(str::trim) {
                Some("readWrite") => {}
                Some("cloneBeforeWrite") => {
                    return Err(WsrpFault::PortletStateChangeRequired(
                        "this producer does not clone portlets; send portletStateChange readWrite to change the preferences every placement of this portlet shares".into(),
                    ));
                }
                Some(_) => {
                    return Err(WsrpFault::PortletStateChangeRequired(
                        "saving preferences changes the portlet's state: portletStateChange must be readWrite".into(),
                    ));
                }
                None => {
                    return Err(WsrpFault::MissingParameters(
                        "interactionParams/portletStateChange".into(),
                    ));
                }
            }
        }
        // The producer runs on tokio's blocking pool (see `wsrp_routes`), which this
        // call is already on: the action's future is driven to its end here. Checked
        // before the caller's profile is applied, so a refusal changes nothing.
        let runtime = tokio::runtime::Handle::try_current().map_err(|_| {
            WsrpFault::OperationFailed("the producer runs without the host's runtime".into())
        })?;
        // An action the widget does not have is refused before the profile is
        // applied, as the native route's 404 is: a refused call changes nothing.
        if !target.widget.offers(Phase::Action, action) {
            return Err(widget_fault(WidgetError::UnknownAction(action.to_owned())));
        }
        req.name = Some(action.to_owned());
        req.params = form_parameters(interaction, namespace);
        // The profile first, as the native path refreshes it before the action waits
        // for its share: it describes the caller, whatever becomes of the action, and
        // its write takes a share of its own, which the action's must not crowd out.
        self.take_profile(&req);
        let _share = match req.viewer.user() {
            Some(user) => Some(
                self.hooks
                    .write_share(&user.user_id, target.widget.action_weight(&req.params))
                    .ok_or_else(busy)?,
            ),
            None => None,
        };
        let mut done = runtime
            .block_on(target.widget.action(&req))
            .map_err(widget_fault)?;
        if let Some(actor) = req.viewer.user() {
            outcome::seal(&self.p_auth, actor, &target.id, &mut done.render_params);
        }
        let nav = encode_state(
            done.render_params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        let mut w = Writer::new();
        w.open("performBlockingInteractionResponse", &[("xmlns", TYPES_NS)])
            .open("updateResponse", &[])
            // No `newWindowState` or `newMode`: an action changes neither, and an echo
            // in the producer's spelling (`wsrp:solo` for a consumer's `wsrp:exclusive`)
            // would be taken as a change to a state the consumer may not know.
            .empty("navigationalContext", &[("opaqueValue", &nav)])
            .close("updateResponse")
            .close("performBlockingInteractionResponse");
        Ok(w.finish())
    }

    fn get_resource(&self, op: &Element) -> Result<String, WsrpFault> {
        let params = op
            .present("resourceParams")
            .ok_or_else(|| WsrpFault::MissingParameters("resourceParams".into()))?;
        let id = params
            .attr("resourceID")
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| WsrpFault::MissingParameters("resourceParams/@resourceID".into()))?;
        let (mut req, target, urls) = self.request(op, Phase::Resource, params)?;
        if !target.widget.offers(Phase::Resource, id) {
            return Err(widget_fault(WidgetError::UnknownResource(id.to_owned())));
        }
        let namespace = urls.consumer_namespace();
        req.name = Some(id.to_owned());
        let mut all = decode_state(params.attr("resourceState").unwrap_or(""));
        for (k, v) in form_parameters(params, namespace).iter() {
            all.add(k, v);
        }
        req.params = all;
        self.take_profile(&req);
        // The slot is held until the answer is written as well: an export of chosen
        // people may be 32 MiB, and its base64 and the envelope's copy of it are as
        // large again, so encodings too are as many at once as there are slots.
        let _slot = self.hooks.render_slot().ok_or_else(busy)?;
        let resource = target.widget.resource(&req).map_err(widget_fault)?;
        let mut w = Writer::new();
        w.open("getResourceResponse", &[("xmlns", TYPES_NS)])
            .open("resourceContext", &[])
            .leaf("mimeType", &resource.content_type);
        // Text goes as a string only if it has no CR (XML turns CRLF into LF, and
        // vCards need CRLF), no character XML cannot carry (a control character in a
        // contact's comment) and nothing beyond ASCII (Liferay's consumer sets the
        // answer's length to an itemString's characters, not its bytes, and cut
        // accented names short); everything else goes as base64, byte for byte.
        match std::str::from_utf8(&resource.body) {
            Ok(text) if text.is_ascii() && !text.contains('\r') && xml::carries(text) => {
                w.leaf("itemString", text);
            }
            _ => {
                let b64 = base64::engine::general_purpose::STANDARD.encode(&resource.body);
                w.leaf("itemBinary", &b64);
            }
        }
        let crate::widgets::Resource {
            content_type: _,
            filename,
            body,
        } = resource;
        // Written into the envelope by now: not kept beside it.
        drop(body);
        w.leaf("requiresRewriting", "false");
        if let Some(name) = &filename {
            let disposition = crate::portal::download::content_disposition(name);
            w.open("clientAttributes", &[("name", "Content-Disposition")])
                .leaf("value", &disposition)
                .close("clientAttributes");
        }
        w.close("resourceContext").close("getResourceResponse");
        Ok(w.finish())
    }
}

/// `formParameters` with the namespace removed. A consumer that is itself a portlet
/// container may send them without it: Liferay's consumer reads its own request's
/// parameters, which the portal has already stripped of the namespace it gave the
/// markup as `namespacePrefix`, and passes them on bare. So a bare name counts too,
/// unless the same name also came namespaced, which wins. (The native path drops bare
/// names, which there are the portal page's own; a SOAP request carries only the
/// portlet's form.)
fn form_parameters(parent: &Element, namespace: &str) -> Params {
    let mut params = Params::new();
    let mut bare = Params::new();
    for p in parent.children_named("formParameters") {
        let Some(name) = p.attr("name").filter(|n| !n.is_empty()) else {
            continue;
        };
        let value = p.child("value").map(|v| v.text.as_str()).unwrap_or("");
        match name
            .strip_prefix(namespace)
            .or_else(|| name.strip_prefix(REWRITE_NAMESPACE))
        {
            Some("") => {}
            Some(key) => params.add(key, value),
            None => bare.add(name, value),
        }
    }
    let namespaced: std::collections::BTreeSet<String> =
        params.iter().map(|(key, _)| key.to_owned()).collect();
    for (key, value) in bare.iter() {
        if !namespaced.contains(key) {
            params.add(key, value);
        }
    }
    params
}

fn widget_fault(e: WidgetError) -> WsrpFault {
    match e {
        WidgetError::UnknownAction(a) => {
            WsrpFault::InconsistentParameters(format!("unknown action {:?}", truncate(&a)))
        }
        WidgetError::UnknownResource(r) => {
            WsrpFault::InconsistentParameters(format!("unknown resource {:?}", truncate(&r)))
        }
        WidgetError::UnsupportedMode(m) => WsrpFault::UnsupportedMode(format!("wsrp:{m}")),
        WidgetError::SignInRequired => WsrpFault::AccessDenied("sign in to use this widget".into()),
        WidgetError::Forbidden { text, .. } => WsrpFault::AccessDenied(text),
        WidgetError::BadRequest { text, .. } | WidgetError::NotFound { text, .. } => {
            WsrpFault::InconsistentParameters(text)
        }
        error @ (WidgetError::Internal(_) | WidgetError::Storage(_)) => {
            crate::widgets::log_failure(&error);
            WsrpFault::OperationFailed("the widget failed; see the host log".into())
        }
    }
}

fn store_failed(e: &super::registration::RegistrationStoreError) -> WsrpFault {
    // Through a throttle: most calls look their handle up first, before any secret,
    // so once the file has failed anyone's calls would each write a line.
    static FAILURES: crate::throttle::Throttle = crate::throttle::Throttle::new();
    crate::throttle::log_error(&FAILURES, "registration store failed", e);
    WsrpFault::OperationFailed("registration store unavailable".into())
}

fn empty_response(name: &str) -> String {
    let mut w = Writer::new();
    w.empty(name, &[("xmlns", TYPES_NS)]);
    w.finish()
}

fn envelope(body_element: &str) -> String {
    format!(
        "<soapenv:Envelope xmlns:soapenv=\"{SOAP_ENV_NS}\"><soapenv:Body>{body_element}</soapenv:Body></soapenv:Envelope>"
    )
}

/// The 404 fault of a port the producer does not have, `None` for one of its four.
/// Which known port a call came to changes nothing (see the module doc). The
/// transport asks before reading the envelope, so that a post to a mistyped port is
/// not read (up to 512 KiB, against the budget every consumer shares) to be refused.
pub fn unknown_port(port: &str) -> Option<SoapReply> {
    Port::parse(port).is_none().then(|| {
        fault_reply(
            404,
            &WsrpFault::OperationNotSupported(format!("no WSRP port {:?}", truncate(port))),
        )
    })
}

/// A fault for a request the transport refused before the producer saw it (too large,
/// too slow, unreadable: `status` says which) or that failed on the way (500): a SOAP
/// envelope, which SOAP clients read where a JSON body would leave them guessing.
pub fn transport_fault(status: u16, fault: &WsrpFault) -> SoapReply {
    fault_reply(status, fault)
}

fn fault_reply(status: u16, fault: &WsrpFault) -> SoapReply {
    SoapReply {
        status,
        content_type: SOAP_CONTENT_TYPE,
        body: fault.envelope(),
        fault: Some(fault.kind()),
        resource: false,
    }
}
