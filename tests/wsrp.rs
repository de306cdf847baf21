//! WSRP producer round trips against a fake widget: every operation, every fault,
//! URL rewriting, and the hostile inputs (entity bombs, huge and deep bodies).
//! Each answer body is also saved under `target/wsrp-samples/` for the schema check
//! in `tests/interop/test_wsrp_schema.py`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use widget_host::config::ConsumerConfig;
use widget_host::descriptors::{Catalog, CatalogHandle, WidgetDescriptor};
use widget_host::portal::{PortalUser, Request, Viewer};
use widget_host::widgets::{
    ActionFuture, ActionOutcome, Markup, Resource, Widget, WidgetError, WidgetSet,
};
use widget_host::wsrp::guesses as wsrp_guesses;
use widget_host::wsrp::urls::{ACTION_KEY, decode_state, parse_rewrite_url};
use widget_host::wsrp::xml::{Element, Limits, parse};
use widget_host::wsrp::{
    MemoryRegistrations, Producer, ProducerHooks, RegistrationStore, SoapReply, TYPES_NS,
};

const KIND: &str = "test:echo";
const SECRET: &str = "correct horse battery staple";

/// An action the fake widget saw: its name and its (un-namespaced) parameters.
type SeenAction = (String, Vec<(String, String)>);

/// Echoes what it was asked, so tests can see what the producer passed on.
#[derive(Default)]
struct EchoWidget {
    actions: Mutex<Vec<SeenAction>>,
}

impl Widget for EchoWidget {
    fn render(&self, req: &Request) -> Result<Markup, WidgetError> {
        let who = match &req.viewer {
            Viewer::Guest => "guest".to_owned(),
            Viewer::User(u) => format!("user {} of {}", u.user_id, u.consumer),
        };
        let params: Vec<String> = req.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let action = req.urls.action_target("say");
        let html = format!(
            "<div id=\"{ns}root\" data-who=\"{who}\" data-locale=\"{locale}\" data-dates=\"{dates}\" data-mode=\"{mode}\">\
             <p class=\"params\">{params}</p>\
             <a href=\"{render}\">next</a>\
             <form action=\"{action}\"><input name=\"{ns}text\"></form>\
             <a href=\"{vcard}\">vcard</a></div>",
            ns = req.urls.namespace(),
            locale = req.locale,
            dates = req.dates_locale,
            mode = req.mode.as_str(),
            params = params.join(";"),
            render = req.urls.render_url(&[("page", "2")]).replace('&', "&amp;"),
            action = action.url.replace('&', "&amp;"),
            vcard = req
                .urls
                .resource_url("vcard", &[("userId", "7")])
                .replace('&', "&amp;"),
        );
        Ok(Markup {
            title: "Echo".into(),
            html,
        })
    }

    fn action<'a>(&'a self, req: &'a Request) -> ActionFuture<'a> {
        Box::pin(std::future::ready(self.echo_action(req)))
    }

    fn resource(&self, req: &Request) -> Result<Resource, WidgetError> {
        match req.name.as_deref() {
            Some("vcard") => Ok(Resource {
                content_type: "text/vcard".into(),
                filename: Some("person.vcf".into()),
                body: format!(
                    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:{}\r\nEND:VCARD\r\n",
                    req.params.get("userId").unwrap_or("?")
                )
                .into_bytes(),
            }),
            Some("json") => Ok(Resource {
                content_type: "application/json".into(),
                filename: None,
                body: b"{\"ok\":true}".to_vec(),
            }),
            Some("odd-json") => Ok(Resource {
                content_type: "application/json".into(),
                filename: None,
                body: ODD_JSON.as_bytes().to_vec(),
            }),
            Some("names-json") => Ok(Resource {
                content_type: "application/json".into(),
                filename: None,
                body: NAMES_JSON.as_bytes().to_vec(),
            }),
            other => Err(WidgetError::UnknownResource(
                other.unwrap_or_default().into(),
            )),
        }
    }

    fn actions(&self) -> &'static [&'static str] {
        &["say", "forbidden"]
    }

    fn resources(&self) -> &'static [&'static str] {
        &["vcard", "json", "odd-json", "names-json"]
    }
}

impl EchoWidget {
    fn echo_action(&self, req: &Request) -> Result<ActionOutcome, WidgetError> {
        let name = req.name.clone().unwrap_or_default();
        let params = req
            .params
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        self.actions
            .lock()
            .expect("test lock")
            .push((name.clone(), params));
        match name.as_str() {
            "say" => {
                let text = req.params.get("text").unwrap_or("").to_owned();
                Ok(ActionOutcome {
                    ok: true,
                    kind: widget_host::widgets::OutcomeKind::Done,
                    message: "said".into(),
                    text: text.clone(),
                    relationship: None,
                    render_params: vec![("message".into(), format!("said {text}"))],
                    people: Vec::new(),
                })
            }
            "forbidden" => Err(WidgetError::Forbidden {
                key: "no",
                text: "not for you".into(),
            }),
            other => Err(WidgetError::UnknownAction(other.into())),
        }
    }
}

/// Records each profile refresh, and each render slot taken; while `.2` is set, no
/// render slot comes free, and while `.3` is, no user's share of the writes.
#[derive(Default)]
struct CountingHooks(
    Mutex<Vec<PortalUser>>,
    std::sync::atomic::AtomicUsize,
    std::sync::atomic::AtomicBool,
    std::sync::atomic::AtomicBool,
);

impl ProducerHooks for CountingHooks {
    fn refresh_profile(&self, user: &PortalUser) {
        self.0.lock().expect("test lock").push(user.clone());
    }

    fn render_slot(&self) -> Option<widget_host::wsrp::Hold> {
        if self.2.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        self.1.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        Some(widget_host::wsrp::Hold::free())
    }

    fn write_share(&self, _user: &str, _weight: usize) -> Option<widget_host::wsrp::Hold> {
        if self.3.load(std::sync::atomic::Ordering::SeqCst) {
            return None;
        }
        Some(widget_host::wsrp::Hold::free())
    }
}

impl CountingHooks {
    fn slots(&self) -> usize {
        self.1.load(std::sync::atomic::Ordering::SeqCst)
    }
}

struct Fixture {
    producer: Producing,
    widget: Arc<EchoWidget>,
    registrations: Arc<MemoryRegistrations>,
    hooks: Arc<CountingHooks>,
}

/// The producer as the host runs it: on a thread inside a tokio runtime, where an
/// action's future is driven.
struct Producing {
    producer: Producer,
    runtime: tokio::runtime::Runtime,
}

impl Producing {
    fn handle(&self, port: &str, body: &[u8]) -> SoapReply {
        let _inside = self.runtime.enter();
        self.producer.handle(port, body)
    }

    fn wsdl(&self, base: &str) -> String {
        self.producer.wsdl(base)
    }
}

fn descriptor() -> WidgetDescriptor {
    WidgetDescriptor {
        portlet_name: "echo".into(),
        display_name: "Echo & friends".into(),
        title: "Echo".into(),
        short_title: Some("Echo".into()),
        keywords: vec!["test".into(), "echo".into()],
        kind: KIND.into(),
        category: "category.social".into(),
        instanceable: true,
        modes: vec!["view".into(), "help".into()],
        // Declares only the portal's bare-fragment state: the standard three are
        // described all the same.
        window_states: vec!["exclusive".into()],
        preferences: BTreeMap::new(),
        read_only_preferences: Default::default(),
        expiration_cache: None,
        supported_locales: vec!["en_US".into(), "es_ES".into()],
        icon: None,
        css_class_wrapper: None,
        friendly_url_mapping: None,
        requires_namespaced_parameters: true,
        source_dir: "echo".into(),
    }
}

fn fixture() -> Fixture {
    fixture_with(SECRET, Arc::new(MemoryRegistrations::new()))
}

/// A producer whose consumer `portal` has `secret`, over `registrations`.
fn fixture_with(secret: &str, registrations: Arc<MemoryRegistrations>) -> Fixture {
    fixture_of(secret, registrations, descriptor())
}

/// [`fixture_with`], its `echo` portlet described by `echo`.
fn fixture_of(
    secret: &str,
    registrations: Arc<MemoryRegistrations>,
    echo: WidgetDescriptor,
) -> Fixture {
    let mut catalog = Catalog::default();
    catalog.widgets.insert("echo".into(), Arc::new(echo));
    let mut orphan = descriptor();
    orphan.portlet_name = "orphan".into();
    orphan.kind = "test:missing".into();
    catalog.widgets.insert("orphan".into(), Arc::new(orphan));
    let widget = Arc::new(EchoWidget::default());
    let mut widgets: WidgetSet = BTreeMap::new();
    widgets.insert(KIND, widget.clone() as Arc<dyn Widget>);
    let consumers = vec![
        ConsumerConfig {
            id: "portal".into(),
            hs256_secret: None,
            jwks_file: None,
            allowed_origins: vec![],
            wsrp_secret: Some(secret.into()),
            audience: None,
            // Liferay's default user, as its WSRP consumer names signed-out visitors.
            wsrp_guest_users: vec!["20103".into()],
        },
        ConsumerConfig {
            id: "nosecret".into(),
            hs256_secret: None,
            jwks_file: None,
            allowed_origins: vec![],
            wsrp_secret: None,
            audience: None,
            wsrp_guest_users: Vec::new(),
        },
        // What the configuration file refuses, built in code: an empty secret.
        ConsumerConfig {
            id: "emptysecret".into(),
            hs256_secret: None,
            jwks_file: None,
            allowed_origins: vec![],
            wsrp_secret: Some(String::new()),
            audience: None,
            wsrp_guest_users: Vec::new(),
        },
    ];
    let hooks = Arc::new(CountingHooks::default());
    let producer = Producer::new(
        CatalogHandle::new(catalog),
        widgets,
        consumers,
        registrations.clone(),
        hooks.clone(),
        widget_host::portal::auth::PAuth::random(),
    );
    Fixture {
        producer: Producing {
            producer,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .build()
                .expect("runtime"),
        },
        widget,
        registrations,
        hooks,
    }
}

fn envelope(op: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" \
         xmlns:t=\"{TYPES_NS}\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">\
         <soapenv:Header/><soapenv:Body>{op}</soapenv:Body></soapenv:Envelope>"
    )
}

/// The answer's body element, after checking that the reply is not a fault.
fn ok_body(reply: &SoapReply) -> Element {
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert!(reply.content_type.starts_with("text/xml"));
    let root = parse(reply.body.as_bytes(), Limits::default()).expect("answer parses");
    let body = root.child("Body").expect("Body");
    let el = body.children.first().expect("answer element").clone();
    assert_eq!(el.ns.as_deref(), Some(TYPES_NS), "{}", reply.body);
    el
}

/// The WSRP fault element name in `detail`.
fn fault_name(reply: &SoapReply) -> String {
    assert_eq!(reply.status, 500, "{}", reply.body);
    let root = parse(reply.body.as_bytes(), Limits::default()).expect("fault parses");
    let fault = root
        .child("Body")
        .and_then(|b| b.child("Fault"))
        .expect("Fault");
    assert!(fault.child_text("faultstring").is_some());
    let detail = fault.child("detail").expect("detail");
    let el = detail.children.first().expect("fault element");
    assert_eq!(el.ns.as_deref(), Some(TYPES_NS));
    el.name.clone()
}

fn save_sample(name: &str, reply: &SoapReply) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wsrp-samples");
    std::fs::create_dir_all(&dir).expect("sample dir");
    std::fs::write(dir.join(format!("{name}.xml")), &reply.body).expect("write sample");
}

fn register_body(consumer: &str, secret: &str) -> String {
    envelope(&format!(
        "<t:register><t:registrationData><t:consumerName>{consumer}</t:consumerName>\
         <t:consumerAgent>test.agent 1.0</t:consumerAgent><t:methodGetSupported>false</t:methodGetSupported>\
         <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>{secret}</t:stringValue></t:registrationProperties>\
         </t:registrationData><t:lifetime xsi:nil=\"true\"/><t:userContext xsi:nil=\"true\"/></t:register>"
    ))
}

fn register(f: &Fixture) -> String {
    let reply = f
        .producer
        .handle("registration", register_body("portal", SECRET).as_bytes());
    save_sample("registerResponse", &reply);
    let el = ok_body(&reply);
    assert_eq!(el.name, "registerResponse");
    el.child_text("registrationHandle")
        .expect("handle")
        .to_owned()
}

fn reg_context(handle: &str) -> String {
    format!(
        "<t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>"
    )
}

const RUNTIME: &str = "<t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
    <t:portletInstanceKey>k1</t:portletInstanceKey><t:namespacePrefix></t:namespacePrefix></t:runtimeContext>";

fn user_context(key: &str) -> String {
    format!(
        "<t:userContext><t:userContextKey>{key}</t:userContextKey>\
         <t:profile><t:name><t:given>Ada</t:given><t:family>Lovelace</t:family></t:name>\
         <t:businessInfo><t:online><t:email>ada@example.com</t:email></t:online></t:businessInfo></t:profile></t:userContext>"
    )
}

fn markup_params(mode: &str, nav: Option<&str>) -> String {
    let nav = nav
        .map(|n| format!("<t:navigationalContext opaqueValue=\"{n}\"/>"))
        .unwrap_or_default();
    format!(
        "<t:markupParams><t:secureClientCommunication>false</t:secureClientCommunication>\
         <t:locales>es-mx</t:locales><t:locales>en</t:locales><t:mimeTypes>text/html</t:mimeTypes>\
         <t:mode>{mode}</t:mode><t:windowState>wsrp:normal</t:windowState>{nav}</t:markupParams>"
    )
}

fn get_markup(
    f: &Fixture,
    handle: &str,
    portlet: &str,
    user: &str,
    nav: Option<&str>,
) -> SoapReply {
    let body = envelope(&format!(
        "<t:getMarkup>{}<t:portletContext><t:portletHandle>{portlet}</t:portletHandle></t:portletContext>{RUNTIME}{user}{}</t:getMarkup>",
        reg_context(handle),
        markup_params("wsrp:view", nav)
    ));
    f.producer.handle("markup", body.as_bytes())
}

/// The HTML of a getMarkup answer.
fn markup_html(reply: &SoapReply) -> String {
    let el = ok_body(reply);
    el.child("markupContext")
        .and_then(|m| m.child_text("itemString"))
        .expect("itemString")
        .to_owned()
}

/// The first rewrite URL of this type in `html`, as (name, value) pairs.
fn find_url(html: &str, url_type: &str) -> Vec<(String, String)> {
    let mut rest = html;
    while let Some(at) = rest.find("wsrp_rewrite?") {
        let tail = &rest[at..];
        let end = tail.find("/wsrp_rewrite").expect("end token") + "/wsrp_rewrite".len();
        let pairs = parse_rewrite_url(&tail[..end]).expect("rewrite url");
        if pairs
            .iter()
            .any(|(k, v)| k == "wsrp-urlType" && v == url_type)
        {
            return pairs;
        }
        rest = &tail[end..];
    }
    panic!("no {url_type} URL in {html}");
}

fn value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{key} missing"))
}

fn xml_attr(s: &str) -> String {
    quick_xml::escape::escape(s).into_owned()
}

#[test]
fn service_description_lists_the_portlets() {
    let f = fixture();
    let body = envelope(
        "<t:getServiceDescription><t:registrationContext xsi:nil=\"true\"/><t:desiredLocales>en</t:desiredLocales><t:userContext xsi:nil=\"true\"/></t:getServiceDescription>",
    );
    let reply = f.producer.handle("service-description", body.as_bytes());
    save_sample("getServiceDescriptionResponse", &reply);
    let el = ok_body(&reply);
    assert_eq!(el.child_text("requiresRegistration"), Some("true"));
    let offered: Vec<&Element> = el.children_named("offeredPortlets").collect();
    assert_eq!(offered.len(), 1, "the orphan kind is not offered");
    let p = offered[0];
    assert_eq!(p.child_text("portletHandle"), Some("echo"));
    assert_eq!(p.child_text("groupID"), Some("category.social"));
    let mt = p.child("markupTypes").expect("markupTypes");
    assert_eq!(mt.child_text("mimeType"), Some("text/html"));
    let modes: Vec<&str> = mt
        .children_named("modes")
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(modes, ["wsrp:view", "wsrp:help"]);
    let states: Vec<&str> = mt
        .children_named("windowStates")
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(
        states,
        [
            "wsrp:normal",
            "wsrp:maximized",
            "wsrp:minimized",
            "wsrp:solo"
        ]
    );
    assert_eq!(
        p.child("displayName").and_then(|d| d.child_text("value")),
        Some("Echo & friends")
    );
    assert_eq!(p.children_named("keywords").count(), 2);
    let locales: Vec<&str> = el
        .children_named("locales")
        .map(|l| l.text.as_str())
        .collect();
    assert_eq!(locales, ["en-US", "es-ES"]);

    // Asked for by handle, a placement's handle names its portlet; another, nothing.
    for (handles, offered) in [
        ("<t:portletHandles>echo_INSTANCE_abc</t:portletHandles>", 1),
        ("<t:portletHandles>echo</t:portletHandles>", 1),
        ("<t:portletHandles>orphan</t:portletHandles>", 0),
        ("<t:portletHandles>ech</t:portletHandles>", 0),
        ("<t:portletHandles>not a handle</t:portletHandles>", 0),
    ] {
        let body = envelope(&format!(
            "<t:getServiceDescription><t:registrationContext xsi:nil=\"true\"/><t:desiredLocales>en</t:desiredLocales>{handles}<t:userContext xsi:nil=\"true\"/></t:getServiceDescription>"
        ));
        let reply = f.producer.handle("service-description", body.as_bytes());
        assert_eq!(
            ok_body(&reply).children_named("offeredPortlets").count(),
            offered,
            "{handles}"
        );
    }
}

/// A registration keeps 16 of its properties, each value cut to 256 characters: none
/// is read, and a portal registering in a loop must not grow each row by what an
/// envelope may hold.
#[test]
fn a_registration_keeps_a_bounded_record_of_its_properties() {
    let f = fixture();
    let many: String = (0..40)
        .map(|i| {
            format!(
                "<t:registrationProperties name=\"p{i}{}\"><t:stringValue>{}</t:stringValue></t:registrationProperties>",
                "n".repeat(100),
                "v".repeat(10_000)
            )
        })
        .collect();
    let body = register_body("portal", SECRET).replace(
        "</t:registrationData>",
        &format!("{many}</t:registrationData>"),
    );
    let el = ok_body(&f.producer.handle("registration", body.as_bytes()));
    let handle = el.child_text("registrationHandle").expect("handle");
    let stored = f.registrations.get(handle).expect("get").expect("stored");
    assert_eq!(stored.properties.len(), 16);
    assert_eq!(stored.properties[0].0.chars().count(), 64);
    assert!(stored.properties[0].0.starts_with("p0n"));
    assert!(
        stored
            .properties
            .iter()
            .all(|(_, value)| value.chars().count() == 256)
    );
}

#[test]
fn registration_lifecycle() {
    let f = fixture();
    let handle = register(&f);
    assert_eq!(f.registrations.len(), 1);
    let stored = f.registrations.get(&handle).expect("get").expect("stored");
    assert_eq!(stored.consumer, "portal");
    assert_eq!(stored.agent, "test.agent 1.0");

    // A registered consumer may name its registration in the service description.
    let body = envelope(&format!(
        "<t:getServiceDescription>{}<t:userContext xsi:nil=\"true\"/></t:getServiceDescription>",
        reg_context(&handle)
    ));
    ok_body(&f.producer.handle("service-description", body.as_bytes()));

    let modify = envelope(&format!(
        "<t:modifyRegistration>{}<t:registrationData><t:consumerName>portal</t:consumerName>\
         <t:consumerAgent>test.agent 2.0</t:consumerAgent><t:methodGetSupported>false</t:methodGetSupported>\
         <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>{SECRET}</t:stringValue></t:registrationProperties>\
         </t:registrationData></t:modifyRegistration>",
        reg_context(&handle)
    ));
    let reply = f.producer.handle("registration", modify.as_bytes());
    save_sample("modifyRegistrationResponse", &reply);
    assert_eq!(ok_body(&reply).name, "modifyRegistrationResponse");
    let stored = f.registrations.get(&handle).expect("get").expect("stored");
    assert_eq!(stored.agent, "test.agent 2.0");

    let dereg = envelope(&format!(
        "<t:deregister>{}</t:deregister>",
        reg_context(&handle)
    ));
    let reply = f.producer.handle("registration", dereg.as_bytes());
    save_sample("deregisterResponse", &reply);
    assert_eq!(ok_body(&reply).name, "deregisterResponse");
    assert!(f.registrations.is_empty());

    // The handle is gone: markup and a second deregister are refused.
    let reply = get_markup(&f, &handle, "echo", "", None);
    assert_eq!(fault_name(&reply), "InvalidRegistration");
    let reply = f.producer.handle("registration", dereg.as_bytes());
    assert_eq!(fault_name(&reply), "InvalidRegistration");
}

#[test]
fn a_changed_secret_voids_the_handles_made_with_the_old_one() {
    let f = fixture();
    let handle = register(&f);
    let kept = register(&f);
    assert!(markup_html(&get_markup(&f, &handle, "echo", "", None)).contains("data-who=\"guest\""));
    // The operator rotates a leaked secret and restarts: the stored handle no longer
    // serves, whoever holds it.
    const ROTATED: &str = "rotated-secret-0123456789";
    let rotated = fixture_with(ROTATED, Arc::clone(&f.registrations));
    let reply = get_markup(&rotated, &handle, "echo", "", None);
    save_sample("fault-getMarkup-ModifyRegistrationRequired", &reply);
    assert_eq!(fault_name(&reply), "ModifyRegistrationRequired");
    assert!(reply.body.contains("soapenv:Client"), "{}", reply.body);
    assert!(reply.body.contains("register again"), "{}", reply.body);
    // Registering with the new secret gives a handle that serves.
    let body = register_body("portal", ROTATED);
    let fresh = ok_body(&rotated.producer.handle("registration", body.as_bytes()))
        .child_text("registrationHandle")
        .expect("a handle")
        .to_owned();
    assert!(
        markup_html(&get_markup(&rotated, &fresh, "echo", "", None)).contains("data-who=\"guest\"")
    );
    // A record that holds no digest (written before handles were bound) must register
    // again too.
    let mut old = rotated.registrations.get(&fresh).unwrap().unwrap();
    old.secret_digest.clear();
    rotated.registrations.create("old-handle", old).unwrap();
    let reply = get_markup(&rotated, "old-handle", "echo", "", None);
    assert_eq!(fault_name(&reply), "ModifyRegistrationRequired");
    // A voided handle can still be given up by whoever holds it.
    let dereg = envelope(&format!(
        "<t:deregister>{}</t:deregister>",
        reg_context(&handle)
    ));
    let reply = rotated.producer.handle("registration", dereg.as_bytes());
    assert_eq!(ok_body(&reply).name, "deregisterResponse");
    assert_eq!(rotated.registrations.get(&handle).unwrap(), None);
    // A consumer that keeps its registration (Liferay's does) modifies it with the new
    // secret instead of registering again; the old handle with a wrong secret is
    // still refused.
    let modify = |secret: &str| {
        envelope(&format!(
            "<t:modifyRegistration>{}<t:registrationData><t:consumerName>portal</t:consumerName>\
             <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>{secret}</t:stringValue></t:registrationProperties>\
             </t:registrationData></t:modifyRegistration>",
            reg_context(&kept)
        ))
    };
    let reply = rotated
        .producer
        .handle("registration", modify(SECRET).as_bytes());
    assert_eq!(fault_name(&reply), "OperationFailed", "the old secret");
    let reply = get_markup(&rotated, &kept, "echo", "", None);
    assert_eq!(fault_name(&reply), "ModifyRegistrationRequired");
    // Liferay's consumer asks for the service description with the stored handle before
    // it lets its administrator save the new secret: that handle gets the description
    // (the same for every consumer), a handle that names nothing still the fault.
    let described = |handle: &str| {
        let body = envelope(&format!(
            "<t:getServiceDescription>{}<t:userContext xsi:nil=\"true\"/></t:getServiceDescription>",
            reg_context(handle)
        ));
        rotated
            .producer
            .handle("service-description", body.as_bytes())
    };
    let reply = described(&kept);
    assert_eq!(ok_body(&reply).name, "getServiceDescriptionResponse");
    assert!(
        reply.body.contains("registrationPropertyDescription"),
        "{}",
        reply.body
    );
    assert_eq!(
        fault_name(&described("no-such-handle")),
        "InvalidRegistration"
    );
    let reply = rotated
        .producer
        .handle("registration", modify(ROTATED).as_bytes());
    assert_eq!(ok_body(&reply).name, "modifyRegistrationResponse");
    assert!(
        markup_html(&get_markup(&rotated, &kept, "echo", "", None)).contains("data-who=\"guest\"")
    );
    // A consumer whose secret was taken out of the configuration registers no more:
    // its handles are dead, not waiting for a modification.
    let mut gone = rotated.registrations.get(&fresh).unwrap().unwrap();
    gone.consumer = "nosecret".into();
    rotated
        .registrations
        .create("no-secret-handle", gone)
        .unwrap();
    let reply = get_markup(&rotated, "no-secret-handle", "echo", "", None);
    assert_eq!(fault_name(&reply), "InvalidRegistration");
}

/// A render or resource that finds no render slot free within the host's wait is
/// answered with a server fault the consumer may retry, and renders nothing.
#[test]
fn a_call_that_finds_no_render_slot_is_answered_busy() {
    let f = fixture();
    let handle = register(&f);
    f.hooks.2.store(true, std::sync::atomic::Ordering::SeqCst);
    let reply = get_markup(&f, &handle, "echo", &user_context("42"), None);
    assert_eq!(fault_name(&reply), "OperationFailed");
    assert!(reply.body.contains("soapenv:Server"), "{}", reply.body);
    assert!(reply.body.contains("busy"), "{}", reply.body);
    assert_eq!(f.hooks.slots(), 0);
    f.hooks.2.store(false, std::sync::atomic::Ordering::SeqCst);
    let reply = get_markup(&f, &handle, "echo", &user_context("42"), None);
    assert!(markup_html(&reply).contains("data-who"), "{}", reply.body);
}

/// A user whose part of the host's waiting writes is taken (their other actions,
/// by either protocol, still waiting for the writer) is answered busy: the action
/// does not run. Their profile is applied first, as a native action's is.
#[test]
fn an_action_past_the_users_share_of_writes_is_answered_busy() {
    let f = fixture();
    let handle = register(&f);
    let html = markup_html(&get_markup(&f, &handle, "echo", &user_context("42"), None));
    let interaction = value(&find_url(&html, "blockingAction"), "wsrp-interactionState").to_owned();
    let body = envelope(&format!(
        "<t:performBlockingInteraction>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
         <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
         <t:namespacePrefix>p1_</t:namespacePrefix></t:runtimeContext>{}{}\
         <t:interactionParams><t:portletStateChange>readOnly</t:portletStateChange><t:interactionState>{}</t:interactionState>\
         <t:formParameters name=\"p1_text\"><t:value>hi</t:value></t:formParameters>\
         </t:interactionParams></t:performBlockingInteraction>",
        reg_context(&handle),
        user_context("42"),
        markup_params("wsrp:view", None),
        xml_attr(&interaction)
    ));
    let profiles = f.hooks.0.lock().expect("lock").len();
    f.hooks.3.store(true, std::sync::atomic::Ordering::SeqCst);
    let reply = f.producer.handle("markup", body.as_bytes());
    assert_eq!(fault_name(&reply), "OperationFailed");
    assert!(reply.body.contains("busy"), "{}", reply.body);
    assert!(
        f.widget.actions.lock().expect("lock").is_empty(),
        "the action ran"
    );
    assert_eq!(
        f.hooks.0.lock().expect("lock").len(),
        profiles + 1,
        "the profile first"
    );
    f.hooks.3.store(false, std::sync::atomic::Ordering::SeqCst);
    ok_body(&f.producer.handle("markup", body.as_bytes()));
    assert_eq!(f.widget.actions.lock().expect("lock").len(), 1);
}

/// Liferay's WSRP consumer sends its default user's id for every visitor who is not
/// signed in: listed in the consumer's `wsrp_guest_users`, that id renders as a guest.
#[test]
fn a_consumers_guest_user_key_is_a_guest() {
    let f = fixture();
    let handle = register(&f);
    let guest = markup_html(&get_markup(
        &f,
        &handle,
        "echo",
        &user_context("20103"),
        None,
    ));
    assert!(guest.contains("data-who=\"guest\""), "{guest}");
    let user = markup_html(&get_markup(&f, &handle, "echo", &user_context("42"), None));
    assert!(!user.contains("data-who=\"guest\""), "{user}");
}

/// Asserts a refusal comes at once and leaves the registrations as they were. "At
/// once" is a second: not a speed target (the call runs in this thread, with no
/// network), but what a refusal that waited (a delay after a wrong secret, which
/// would hold a producer thread per guess) cannot meet.
fn refused_quickly(f: &Fixture, port: &str, body: &[u8], expect: &str) -> SoapReply {
    let before = f.registrations.len();
    let started = Instant::now();
    let reply = f.producer.handle(port, body);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(1), "{expect} took {took:?}");
    assert_eq!(fault_name(&reply), expect, "{}", reply.body);
    assert_eq!(
        f.registrations.len(),
        before,
        "a refusal changed registrations"
    );
    reply
}

#[test]
fn registration_refusals() {
    let f = fixture();
    let reply = refused_quickly(
        &f,
        "registration",
        register_body("portal", "wrong").as_bytes(),
        "OperationFailed",
    );
    assert!(reply.body.contains("soapenv:Client"), "{}", reply.body);
    save_sample("fault-register-OperationFailed", &reply);
    refused_quickly(
        &f,
        "registration",
        register_body("stranger", SECRET).as_bytes(),
        "OperationFailed",
    );
    refused_quickly(
        &f,
        "registration",
        register_body("nosecret", "").as_bytes(),
        "OperationFailed",
    );
    // An empty secret matches an empty secret, and proves nothing.
    refused_quickly(
        &f,
        "registration",
        register_body("emptysecret", "").as_bytes(),
        "OperationFailed",
    );
    let no_secret = envelope(
        "<t:register><t:registrationData><t:consumerName>portal</t:consumerName><t:consumerAgent>a</t:consumerAgent>\
         <t:methodGetSupported>false</t:methodGetSupported></t:registrationData><t:lifetime xsi:nil=\"true\"/></t:register>",
    );
    let reply = refused_quickly(
        &f,
        "registration",
        no_secret.as_bytes(),
        "MissingParameters",
    );
    save_sample("fault-register-MissingParameters", &reply);

    // Someone else's handle cannot be modified into another consumer's.
    let handle = register(&f);
    let hijack = envelope(&format!(
        "<t:modifyRegistration>{}<t:registrationData><t:consumerName>portal</t:consumerName><t:consumerAgent>x</t:consumerAgent>\
         <t:methodGetSupported>false</t:methodGetSupported><t:registrationProperties name=\"wsrp_secret\"><t:stringValue>bad</t:stringValue></t:registrationProperties>\
         </t:registrationData></t:modifyRegistration>",
        reg_context(&handle)
    ));
    refused_quickly(&f, "registration", hijack.as_bytes(), "OperationFailed");
    let stored = f.registrations.get(&handle).expect("get").expect("stored");
    assert_eq!(
        stored.agent, "test.agent 1.0",
        "refused modify changed nothing"
    );
}

/// Ten wrong secrets within a minute, at known and unknown ids alike, close
/// registration: the right secret is then refused too (checked, it would tell a guess
/// that hit), saying when to try again, and nothing is stored. A handle registered
/// before keeps working, and registrations that proved their secret did not count.
#[test]
fn wrong_secrets_close_registration_for_the_rest_of_the_minute() {
    // The README's figure: ten wrong secrets a minute.
    assert_eq!(wsrp_guesses::MAX_WRONG_SECRETS, 10);
    let f = fixture();
    // Right secrets do not count, however many.
    let handles: Vec<String> = (0..=wsrp_guesses::MAX_WRONG_SECRETS)
        .map(|_| register(&f))
        .collect();
    let handle = handles.last().expect("registered").clone();
    for i in 0..wsrp_guesses::MAX_WRONG_SECRETS {
        let (consumer, secret) = match i % 3 {
            0 => ("portal", format!("guess-{i}")),
            1 => ("stranger", format!("guess-{i}")),
            _ => ("portal", String::new()),
        };
        let reply = refused_quickly(
            &f,
            "registration",
            register_body(consumer, &secret).as_bytes(),
            "OperationFailed",
        );
        assert!(
            reply.body.contains("unknown consumer or wrong secret"),
            "guess {i}: {}",
            reply.body
        );
    }
    // The right secret, and a stranger with it, alike.
    for consumer in ["portal", "stranger"] {
        let reply = refused_quickly(
            &f,
            "registration",
            register_body(consumer, SECRET).as_bytes(),
            "OperationFailed",
        );
        assert!(
            reply.body.contains("too many wrong secrets")
                && reply.body.contains("checked again in "),
            "{consumer}: {}",
            reply.body
        );
    }
    // What was registered before needs no secret again.
    let markup = get_markup(&f, &handle, "echo", "", None);
    assert_eq!(ok_body(&markup).name, "getMarkupResponse");
}

/// `modifyRegistration` proves a secret only after a stored handle, and only its own
/// consumer's: its wrong secrets count against that consumer, not the host.
/// Strangers filling the host's count with `register` calls do not hold a rotated
/// consumer's handles out of service; a handle cannot be used to try another
/// consumer's secret; and a consumer's handles together get ten wrong secrets a
/// minute, however many it holds.
#[test]
fn a_handle_is_modified_while_strangers_fill_the_registration_bound() {
    let f = fixture();
    let (kept, guessed, third) = (register(&f), register(&f), register(&f));
    const ROTATED: &str = "rotated-secret-0123456789";
    let rotated = fixture_with(ROTATED, Arc::clone(&f.registrations));
    for i in 0..=wsrp_guesses::MAX_WRONG_SECRETS {
        let reply = rotated.producer.handle(
            "registration",
            register_body("stranger", &format!("guess-{i}")).as_bytes(),
        );
        assert_eq!(fault_name(&reply), "OperationFailed", "{}", reply.body);
    }
    let reply = rotated
        .producer
        .handle("registration", register_body("portal", ROTATED).as_bytes());
    assert!(
        reply.body.contains("too many wrong secrets"),
        "{}",
        reply.body
    );
    let modify = |handle: &str, consumer: &str, secret: &str| {
        let body = envelope(&format!(
            "<t:modifyRegistration>{}<t:registrationData><t:consumerName>{consumer}</t:consumerName>\
             <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>{secret}</t:stringValue></t:registrationProperties>\
             </t:registrationData></t:modifyRegistration>",
            reg_context(handle)
        ));
        rotated.producer.handle("registration", body.as_bytes())
    };
    // Another consumer's name is refused before any secret is checked, and counts in
    // no bound.
    for i in 0..=wsrp_guesses::MAX_WRONG_SECRETS {
        let reply = modify(&kept, "nosecret", &format!("guess-{i}"));
        assert!(
            reply.body.contains("a registration cannot change consumer"),
            "{}",
            reply.body
        );
    }
    // The handle proves the new secret and serves again.
    let reply = modify(&kept, "portal", ROTATED);
    assert_eq!(ok_body(&reply).name, "modifyRegistrationResponse");
    assert!(
        markup_html(&get_markup(&rotated, &kept, "echo", "", None)).contains("data-who=\"guest\"")
    );
    // One handle's holder guesses: the consumer's checks close, for all its handles.
    for i in 0..wsrp_guesses::MAX_WRONG_SECRETS {
        let reply = modify(&guessed, "portal", &format!("guess-{i}"));
        assert!(
            reply.body.contains("unknown consumer or wrong secret"),
            "guess {i}: {}",
            reply.body
        );
    }
    for handle in [&guessed, &third] {
        let reply = modify(handle, "portal", ROTATED);
        assert!(
            reply.body.contains("too many wrong secrets"),
            "{}",
            reply.body
        );
        assert_eq!(
            fault_name(&get_markup(&rotated, handle, "echo", "", None)),
            "ModifyRegistrationRequired"
        );
    }
}

#[test]
fn markup_needs_a_valid_registration_and_handle() {
    let f = fixture();
    let no_reg = envelope(&format!(
        "<t:getMarkup><t:registrationContext xsi:nil=\"true\"/><t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}<t:userContext xsi:nil=\"true\"/>{}</t:getMarkup>",
        markup_params("wsrp:view", None)
    ));
    let reply = refused_quickly(&f, "markup", no_reg.as_bytes(), "InvalidRegistration");
    save_sample("fault-getMarkup-InvalidRegistration", &reply);
    let reply = get_markup(&f, "not-a-handle", "echo", "", None);
    assert_eq!(fault_name(&reply), "InvalidRegistration");

    let handle = register(&f);
    for bad in ["nothing", "a-b", "echo_INSTANCE_a-b"] {
        let reply = get_markup(&f, &handle, bad, "", None);
        assert_eq!(fault_name(&reply), "InvalidHandle", "{bad}");
        if bad == "nothing" {
            save_sample("fault-getMarkup-InvalidHandle", &reply);
        }
    }
    let reply = get_markup(&f, &handle, "orphan", "", None);
    assert_eq!(fault_name(&reply), "OperationFailed");
    assert!(reply.body.contains("soapenv:Server"));

    let edit = envelope(&format!(
        "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}<t:userContext xsi:nil=\"true\"/>{}</t:getMarkup>",
        reg_context(&handle),
        markup_params("wsrp:edit", None)
    ));
    let reply = f.producer.handle("markup", edit.as_bytes());
    assert_eq!(fault_name(&reply), "UnsupportedMode");
    save_sample("fault-getMarkup-UnsupportedMode", &reply);

    // The standard states and wsrp:solo are served though `echo` declares only
    // `exclusive`, and so is Liferay's own name for solo as its consumer sends it;
    // a state the host does not know is refused.
    for (state, served) in [
        ("wsrp:maximized", true),
        ("wsrp:minimized", true),
        ("wsrp:solo", true),
        ("wsrp:Solo", true),
        ("wsrp:exclusive", true),
        ("wsrp:EXCLUSIVE", true),
        ("wsrp:pop_up", false),
        ("wsrp:half-page", false),
    ] {
        let call = envelope(&format!(
            "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}<t:userContext xsi:nil=\"true\"/>{}</t:getMarkup>",
            reg_context(&handle),
            markup_params("wsrp:view", None).replace(
                "<t:windowState>wsrp:normal<",
                &format!("<t:windowState>{state}<")
            )
        ));
        let reply = f.producer.handle("markup", call.as_bytes());
        if served {
            assert_eq!(reply.status, 200, "{state}: {}", reply.body);
            // A minimized portlet shows only the title the consumer draws.
            let html = markup_html(&reply);
            assert_eq!(
                html.is_empty(),
                state == "wsrp:minimized",
                "{state}: {html}"
            );
        } else {
            assert_eq!(fault_name(&reply), "UnsupportedWindowState", "{state}");
        }
    }

    let bad_category = envelope(&format!(
        "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}\
         <t:userContext><t:userContextKey>1</t:userContextKey><t:userCategories></t:userCategories></t:userContext>{}</t:getMarkup>",
        reg_context(&handle),
        markup_params("wsrp:view", None)
    ));
    let reply = f.producer.handle("markup", bad_category.as_bytes());
    assert_eq!(fault_name(&reply), "InvalidUserCategory");
    save_sample("fault-getMarkup-InvalidUserCategory", &reply);
}

#[test]
fn a_consumer_that_strips_the_namespace_gets_its_form_through() {
    // Liferay's consumer portlet posts the markup's fields to itself, where the
    // portal removes the namespace it sent as namespacePrefix, and passes the
    // parameters on bare: every value, in order, must still reach the widget.
    let f = fixture();
    let handle = register(&f);
    let html = markup_html(&get_markup(&f, &handle, "echo", &user_context("42"), None));
    let interaction = value(&find_url(&html, "blockingAction"), "wsrp-interactionState").to_owned();
    let body = envelope(&format!(
        "<t:performBlockingInteraction>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
         <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
         <t:namespacePrefix>_WSRP_1_</t:namespacePrefix></t:runtimeContext>{}{}\
         <t:interactionParams><t:portletStateChange>readOnly</t:portletStateChange><t:interactionState>{}</t:interactionState>\
         <t:formParameters name=\"userIds\"><t:value>7</t:value></t:formParameters>\
         <t:formParameters name=\"userIds\"><t:value>9</t:value></t:formParameters>\
         <t:formParameters name=\"text\"><t:value>hi</t:value></t:formParameters>\
         <t:formParameters name=\"\"><t:value>nameless</t:value></t:formParameters>\
         </t:interactionParams></t:performBlockingInteraction>",
        reg_context(&handle),
        user_context("42"),
        markup_params("wsrp:view", None),
        xml_attr(&interaction)
    ));
    ok_body(&f.producer.handle("markup", body.as_bytes()));
    let actions = f.widget.actions.lock().expect("lock").clone();
    let pair = |k: &str, v: &str| (k.to_owned(), v.to_owned());
    assert_eq!(
        actions,
        vec![(
            "say".to_owned(),
            vec![
                pair("text", "hi"),
                pair("userIds", "7"),
                pair("userIds", "9")
            ]
        )]
    );
}

#[test]
fn a_user_context_names_the_user_however_the_consumer_authenticated_them() {
    // A consumer behind a sign-on filter can say wsrp:none for users it let in: the
    // user context it sends is still the user, and its profile reaches the directory.
    let f = fixture();
    let handle = register(&f);
    let body = envelope(&format!(
        "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
         <t:runtimeContext><t:userAuthentication>wsrp:none</t:userAuthentication></t:runtimeContext>{}{}</t:getMarkup>",
        reg_context(&handle),
        user_context("42"),
        markup_params("wsrp:view", None)
    ));
    let html = markup_html(&f.producer.handle("markup", body.as_bytes()));
    assert!(html.contains("data-who=\"user 42 of portal\""), "{html}");
    assert_eq!(f.hooks.0.lock().expect("lock").len(), 1);
}

/// A consumer whose locales the host has no texts for gets the widget's first
/// supported locale the host does have: the markup and the locale it is said to be in
/// agree.
#[test]
fn with_none_of_the_consumers_locales_the_markup_says_the_language_it_is_in() {
    let mut italian_first = descriptor();
    italian_first.supported_locales = vec!["it_IT".into(), "es_ES".into()];
    let f = fixture_of(SECRET, Arc::new(MemoryRegistrations::new()), italian_first);
    let handle = register(&f);
    let body = envelope(&format!(
        "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}{}\
         <t:markupParams><t:secureClientCommunication>false</t:secureClientCommunication>\
         <t:locales>ko-KR</t:locales><t:mimeTypes>text/html</t:mimeTypes>\
         <t:mode>wsrp:view</t:mode><t:windowState>wsrp:normal</t:windowState></t:markupParams></t:getMarkup>",
        reg_context(&handle),
        user_context("42"),
    ));
    let reply = f.producer.handle("markup", body.as_bytes());
    let el = ok_body(&reply);
    let ctx = el.child("markupContext").expect("markupContext");
    assert_eq!(ctx.child_text("locale"), Some("es-ES"));
    let html = markup_html(&reply);
    assert!(html.contains("data-locale=\"es_ES\""), "{html}");
}

#[test]
fn get_markup_maps_user_locale_and_navigational_state() {
    let f = fixture();
    let handle = register(&f);
    let reply = get_markup(
        &f,
        &handle,
        "echo_INSTANCE_abc",
        &user_context("42"),
        Some("filter=connections&amp;page=3"),
    );
    save_sample("getMarkupResponse", &reply);
    let el = ok_body(&reply);
    let ctx = el.child("markupContext").expect("markupContext");
    assert_eq!(ctx.child_text("mimeType"), Some("text/html"));
    assert_eq!(ctx.child_text("requiresRewriting"), Some("true"));
    assert_eq!(ctx.child_text("preferredTitle"), Some("Echo"));
    assert_eq!(ctx.child_text("locale"), Some("es-ES"));
    let html = markup_html(&reply);
    assert!(html.contains("data-who=\"user 42 of portal\""), "{html}");
    assert!(html.contains("data-locale=\"es_ES\""), "{html}");
    // Mexican Spanish reads the Spanish texts, and its dates in its own region's way.
    assert!(html.contains("data-dates=\"es-MX\""), "{html}");
    assert!(html.contains("filter=connections;page=3"), "{html}");
    assert!(html.contains("id=\"wsrp_rewrite_root\""), "{html}");
    let refreshed = f.hooks.0.lock().expect("lock");
    assert_eq!(refreshed.len(), 1);
    assert_eq!(refreshed[0].profile.given_name.as_deref(), Some("Ada"));
    assert_eq!(
        refreshed[0].profile.email.as_deref(),
        Some("ada@example.com")
    );
    drop(refreshed);

    // A nil user context is a guest, and refreshes nobody.
    let reply = get_markup(
        &f,
        &handle,
        "echo",
        "<t:userContext xsi:nil=\"true\"/>",
        None,
    );
    assert!(markup_html(&reply).contains("data-who=\"guest\""));
    assert_eq!(f.hooks.0.lock().expect("lock").len(), 1);
}

/// Text that looks like a rewrite URL (a name, a job title, a website a person typed)
/// would have the consumer write one of its own URLs, its `p_auth` with it, into the
/// page: only the host's URLs reach the consumer as tokens.
#[test]
fn text_that_looks_like_a_rewrite_url_is_not_rewritten() {
    let f = fixture();
    let handle = register(&f);
    let forged = "wsrp_rewrite?wsrp-urlType=blockingAction/wsrp_rewrite";
    let encoded: String = form_urlencoded::byte_serialize(forged.as_bytes()).collect();
    let nav = format!("note={encoded}");
    let reply = get_markup(&f, &handle, "echo", &user_context("42"), Some(&nav));
    let html = markup_html(&reply);
    // The echo widget prints the note as text, next to its three URLs.
    assert!(
        html.contains("note=wsrp&#95;rewrite?wsrp-urlType=blockingAction/wsrp&#95;rewrite"),
        "{html}"
    );
    assert_eq!(html.matches("wsrp_rewrite?").count(), 3, "{html}");
    assert_eq!(html.matches("/wsrp_rewrite").count(), 3, "{html}");
    assert_eq!(value(&find_url(&html, "render"), "wsrp-urlType"), "render");
}

#[test]
fn blocking_action_url_round_trip() {
    let f = fixture();
    let handle = register(&f);
    let html = markup_html(&get_markup(&f, &handle, "echo", &user_context("42"), None));
    // A render takes one of the producer's render slots, as a native render takes a
    // place in the render pool.
    assert_eq!(f.hooks.slots(), 1);
    let action = find_url(&html, "blockingAction");
    let interaction = value(&action, "wsrp-interactionState").to_owned();
    assert_eq!(decode_state(&interaction).get(ACTION_KEY), Some("say"));

    // The consumer sends the form's fields, names rewritten with its prefix. A bare
    // name counts too (a portlet container passes its own request's parameters on
    // without the namespace), unless the same name came namespaced as well.
    let body = envelope(&format!(
        "<t:performBlockingInteraction>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
         <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication><t:portletInstanceKey>k1</t:portletInstanceKey>\
         <t:namespacePrefix>p1_</t:namespacePrefix></t:runtimeContext>{}{}\
         <t:interactionParams><t:portletStateChange>readOnly</t:portletStateChange><t:interactionState>{}</t:interactionState>\
         <t:formParameters name=\"p1_text\"><t:value>hello &amp; bye</t:value></t:formParameters>\
         <t:formParameters name=\"text\"><t:value>the bare copy loses</t:value></t:formParameters>\
         <t:formParameters name=\"stray\"><t:value>kept</t:value></t:formParameters>\
         <t:formParameters name=\"p1_\"><t:value>no name left</t:value></t:formParameters>\
         </t:interactionParams></t:performBlockingInteraction>",
        reg_context(&handle),
        user_context("42"),
        markup_params("wsrp:view", None),
        xml_attr(&interaction)
    ));
    let reply = f.producer.handle("markup", body.as_bytes());
    save_sample("performBlockingInteractionResponse", &reply);
    assert_eq!(
        f.hooks.slots(),
        1,
        "an action waits for a commit, not for a slot"
    );
    let el = ok_body(&reply);
    let update = el.child("updateResponse").expect("updateResponse");
    // Neither changed, so neither is named: an echo would read as a change.
    assert_eq!(update.child_text("newMode"), None);
    assert_eq!(update.child_text("newWindowState"), None);
    let nav = update
        .child("navigationalContext")
        .and_then(|n| n.attr("opaqueValue"))
        .expect("opaqueValue")
        .to_owned();
    let actions = f.widget.actions.lock().expect("lock").clone();
    assert_eq!(
        actions,
        vec![(
            "say".to_owned(),
            vec![
                ("stray".to_owned(), "kept".to_owned()),
                ("text".to_owned(), "hello & bye".to_owned())
            ]
        )]
    );

    // The next render gets the outcome's render parameters.
    let html = markup_html(&get_markup(
        &f,
        &handle,
        "echo",
        &user_context("42"),
        Some(&xml_attr(&nav)),
    ));
    assert!(html.contains("message=said hello & bye"), "{html}");

    // A render URL's state comes back the same way.
    let render = find_url(&html, "render");
    let state = value(&render, "wsrp-navigationalState");
    let html = markup_html(&get_markup(&f, &handle, "echo", "", Some(&xml_attr(state))));
    assert!(html.contains("page=2"), "{html}");

    // An interaction without an action, or with a refused one, is a fault; one
    // without an action takes nothing from the user's profile either.
    let refreshed = || f.hooks.0.lock().expect("test lock").len();
    let before = refreshed();
    let missing = body.replace(&xml_attr(&interaction), "");
    let reply = f.producer.handle("markup", missing.as_bytes());
    assert_eq!(fault_name(&reply), "MissingParameters");
    assert_eq!(refreshed(), before, "a refused interaction changes nothing");
    let forbidden = body.replace(&xml_attr(&interaction), "action=forbidden");
    let reply = f.producer.handle("markup", forbidden.as_bytes());
    assert_eq!(fault_name(&reply), "AccessDenied");
    save_sample("fault-performBlockingInteraction-AccessDenied", &reply);
    // The forbidden one reached the widget: the caller's profile was applied before
    // it ran (it describes the caller, not the request; README, "Profile claims").
    assert_eq!(refreshed(), before + 1);
    // An action the widget does not have is refused before that, as the native
    // route's 404 is, and never reaches the widget.
    let unknown = body.replace(&xml_attr(&interaction), "action=nope");
    let reply = f.producer.handle("markup", unknown.as_bytes());
    assert_eq!(fault_name(&reply), "InconsistentParameters");
    save_sample(
        "fault-performBlockingInteraction-InconsistentParameters",
        &reply,
    );
    assert_eq!(
        refreshed(),
        before + 1,
        "an unknown action applies no profile"
    );

    // Saving preferences writes the portlet's own state, shared by every placement
    // of the handle: only with portletStateChange readWrite. readOnly, and
    // cloneBeforeWrite (a clone to write to is not something this producer makes),
    // get the fault the WSDL declares for a write the setting prevents; a missing
    // setting is a missing parameter. None reaches the widget, nor applies the profile.
    let save = body.replace(&xml_attr(&interaction), "action=save-preferences");
    let reply = f.producer.handle("markup", save.as_bytes());
    assert_eq!(fault_name(&reply), "PortletStateChangeRequired");
    save_sample(
        "fault-performBlockingInteraction-PortletStateChangeRequired",
        &reply,
    );
    let clone = save.replace(">readOnly<", ">cloneBeforeWrite<");
    let reply = f.producer.handle("markup", clone.as_bytes());
    assert_eq!(fault_name(&reply), "PortletStateChangeRequired");
    assert!(
        reply.body.contains("does not clone portlets"),
        "{}",
        reply.body
    );
    let unset = save.replace("<t:portletStateChange>readOnly</t:portletStateChange>", "");
    assert_ne!(unset, save);
    let reply = f.producer.handle("markup", unset.as_bytes());
    assert_eq!(fault_name(&reply), "MissingParameters");
    assert_eq!(refreshed(), before + 1);
    let ran = |name: &str| {
        f.widget
            .actions
            .lock()
            .expect("lock")
            .iter()
            .any(|(a, _)| a == name)
    };
    assert!(!ran("save-preferences"), "refused before the widget");
    let write = save.replace(">readOnly<", ">readWrite<");
    let reply = f.producer.handle("markup", write.as_bytes());
    // The test widget has no such action: refused as "nope" was, before the profile.
    assert_eq!(fault_name(&reply), "InconsistentParameters");
    assert_eq!(refreshed(), before + 1);
    assert!(!ran("save-preferences"), "refused before the widget");

    // An action's future is driven on the runtime the producer runs in; called
    // without one, the producer answers a fault instead of panicking.
    let said = f.widget.actions.lock().expect("lock").len();
    let outside = f.producer.producer.handle("markup", body.as_bytes());
    assert_eq!(fault_name(&outside), "OperationFailed");
    assert_eq!(f.widget.actions.lock().expect("lock").len(), said);
    assert_eq!(refreshed(), before + 1, "the refusal applied no profile");
}

fn get_resource(f: &Fixture, handle: &str, id: &str, state: &str) -> SoapReply {
    get_resource_as(f, handle, id, state, "<t:userContext xsi:nil=\"true\"/>")
}

/// A getResource call with `user` as its userContext element.
fn get_resource_as(f: &Fixture, handle: &str, id: &str, state: &str, user: &str) -> SoapReply {
    let body = envelope(&format!(
        "<t:getResource>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}{user}\
         <t:resourceParams resourceID=\"{id}\" portletStateChange=\"readOnly\" resourceState=\"{}\">\
         <t:secureClientCommunication>false</t:secureClientCommunication><t:locales>en</t:locales><t:mimeTypes>*/*</t:mimeTypes>\
         <t:mode>wsrp:view</t:mode><t:windowState>wsrp:normal</t:windowState></t:resourceParams></t:getResource>",
        reg_context(handle),
        xml_attr(state)
    ));
    f.producer.handle("markup", body.as_bytes())
}

/// Liferay's consumer (Axis 1) as it calls: the registration property's name
/// prefixed (`ns1:wsrp_secret`), and `mimeTypes` of `text/html` on every call,
/// `getResource` included, whose answer is a vCard. Both are taken: a producer that
/// held a resource to the markup's types would break every download for Liferay.
#[test]
fn liferays_prefixed_property_and_html_only_mime_types_are_taken() {
    let f = fixture();
    let body = register_body("portal", SECRET).replace(
        "name=\"wsrp_secret\"",
        "xmlns:ns1=\"urn:oasis:names:tc:wsrp:v2:types\" name=\"ns1:wsrp_secret\"",
    );
    assert!(body.contains("ns1:wsrp_secret"), "{body}");
    let reply = f.producer.handle("registration", body.as_bytes());
    let el = ok_body(&reply);
    assert_eq!(el.name, "registerResponse");
    let handle = el
        .child_text("registrationHandle")
        .expect("handle")
        .to_owned();
    // The wrong secret under the prefixed name is refused: the name was read.
    let wrong = register_body("portal", "wrong").replace(
        "name=\"wsrp_secret\"",
        "xmlns:ns1=\"urn:oasis:names:tc:wsrp:v2:types\" name=\"ns1:wsrp_secret\"",
    );
    let refused = f.producer.handle("registration", wrong.as_bytes());
    assert_eq!(fault_name(&refused), "OperationFailed");
    let html = markup_html(&get_markup(&f, &handle, "echo", "", None));
    let url = find_url(&html, "resource");
    let state = value(&url, "wsrp-resourceState");
    let body = envelope(&format!(
        "<t:getResource>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}\
         <t:userContext xsi:nil=\"true\"/>\
         <t:resourceParams resourceID=\"vcard\" portletStateChange=\"readOnly\" resourceState=\"{}\">\
         <t:secureClientCommunication>false</t:secureClientCommunication><t:locales>en_US</t:locales><t:locales>en</t:locales>\
         <t:mimeTypes>text/html</t:mimeTypes>\
         <t:mode>wsrp:view</t:mode><t:windowState>wsrp:normal</t:windowState></t:resourceParams></t:getResource>",
        reg_context(&handle),
        xml_attr(state)
    ));
    let reply = f.producer.handle("markup", body.as_bytes());
    let el = ok_body(&reply);
    let context = el.child("resourceContext").expect("resourceContext");
    assert_eq!(context.child_text("mimeType"), Some("text/vcard"));
}

/// A resource the widget does not have is refused before the caller's profile is
/// applied, as the native route's 404 is: the refused call changes nothing.
#[test]
fn an_unknown_resource_applies_no_profile() {
    let f = fixture();
    let handle = register(&f);
    let user = "<t:userContext><t:userContextKey>7</t:userContextKey></t:userContext>";
    let refreshed = || f.hooks.0.lock().expect("test lock").len();
    let before = refreshed();
    let reply = get_resource_as(&f, &handle, "nope", "", user);
    assert_eq!(fault_name(&reply), "InconsistentParameters");
    assert_eq!(
        refreshed(),
        before,
        "an unknown resource applies no profile"
    );
    ok_body(&get_resource_as(&f, &handle, "json", "", user));
    assert_eq!(refreshed(), before + 1, "a known one does");
}

#[test]
fn get_resource_returns_the_bytes() {
    let f = fixture();
    let handle = register(&f);
    let markup = get_markup(&f, &handle, "echo", "", None);
    // Markup is not held against the budget for large answers; a resource is.
    assert!(!markup.resource);
    let html = markup_html(&markup);
    let url = find_url(&html, "resource");
    assert_eq!(value(&url, "wsrp-resourceID"), "vcard");
    let slots = f.hooks.slots();
    let reply = get_resource(&f, &handle, "vcard", value(&url, "wsrp-resourceState"));
    save_sample("getResourceResponse", &reply);
    assert!(reply.resource);
    assert_eq!(f.hooks.slots(), slots + 1, "a resource takes a render slot");
    let el = ok_body(&reply);
    let ctx = el.child("resourceContext").expect("resourceContext");
    assert_eq!(ctx.child_text("mimeType"), Some("text/vcard"));
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(ctx.child_text("itemBinary").expect("itemBinary"))
        .expect("base64");
    assert_eq!(
        bytes,
        b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:7\r\nEND:VCARD\r\n".to_vec()
    );
    let disposition = ctx.child("clientAttributes").expect("clientAttributes");
    assert_eq!(disposition.attr("name"), Some("Content-Disposition"));
    assert!(
        disposition
            .child_text("value")
            .is_some_and(|v| v.contains("person.vcf"))
    );

    let reply = get_resource(&f, &handle, "json", "");
    let el = ok_body(&reply);
    assert_eq!(
        el.child("resourceContext")
            .and_then(|c| c.child_text("itemString")),
        Some("{\"ok\":true}")
    );
    // The bytes of a resource that must go as base64, not as a string.
    let binary = |resource: &str| {
        let reply = get_resource(&f, &handle, resource, "");
        let el = ok_body(&reply);
        let ctx = el.child("resourceContext").expect("resourceContext");
        assert_eq!(ctx.child_text("itemString"), None, "{resource}");
        base64::engine::general_purpose::STANDARD
            .decode(ctx.child_text("itemBinary").expect("itemBinary"))
            .expect("base64")
    };
    // Characters XML cannot carry go as base64 rather than replaced.
    assert_eq!(binary("odd-json"), ODD_JSON.as_bytes());
    // So does text beyond ASCII: Liferay's consumer sizes an itemString by its
    // characters, not its bytes, and cut accented names short.
    assert_eq!(binary("names-json"), NAMES_JSON.as_bytes());
    let reply = get_resource(&f, &handle, "nothing", "");
    assert_eq!(fault_name(&reply), "InconsistentParameters");
}

/// JSON text with characters XML 1.0 cannot carry (JSON escapes them, a widget may not).
const ODD_JSON: &str = "{\"comment\":\"a\u{ffff}b\u{1}c\"}";

/// JSON text beyond ASCII, as names often are.
const NAMES_JSON: &str = "{\"name\":\"Zoë Łukasz 山田\"}";

#[test]
fn portlet_description_and_empty_operations() {
    let f = fixture();
    let handle = register(&f);
    let body = envelope(&format!(
        "<t:getPortletDescription>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
         <t:userContext xsi:nil=\"true\"/></t:getPortletDescription>",
        reg_context(&handle)
    ));
    let reply = f.producer.handle("portlet-management", body.as_bytes());
    save_sample("getPortletDescriptionResponse", &reply);
    let el = ok_body(&reply);
    assert_eq!(
        el.child("portletDescription")
            .and_then(|p| p.child_text("portletHandle")),
        Some("echo")
    );
    // Dispatch is on the body element alone: the same call on another port is
    // answered the same.
    let elsewhere = f.producer.handle("markup", body.as_bytes());
    assert_eq!(
        ok_body(&elsewhere)
            .child("portletDescription")
            .and_then(|p| p.child_text("portletHandle")),
        Some("echo")
    );
    // A placement's description is under the handle asked about.
    let placement = body.replace(
        "<t:portletHandle>echo</t:portletHandle>",
        "<t:portletHandle>echo_INSTANCE_abc</t:portletHandle>",
    );
    assert_eq!(
        ok_body(
            &f.producer
                .handle("portlet-management", placement.as_bytes())
        )
        .child("portletDescription")
        .and_then(|p| p.child_text("portletHandle")),
        Some("echo_INSTANCE_abc")
    );
    // A WSRP 2.0 operation the producer does not offer (portlets are not cloned).
    let clone = envelope(&format!(
        "<t:clonePortlet>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
         <t:userContext xsi:nil=\"true\"/></t:clonePortlet>",
        reg_context(&handle)
    ));
    let reply = f.producer.handle("portlet-management", clone.as_bytes());
    assert_eq!(fault_name(&reply), "OperationNotSupported");
    save_sample("fault-clonePortlet-OperationNotSupported", &reply);

    let ops = [
        ("initCookie", "<t:userContext xsi:nil=\"true\"/>".to_owned()),
        (
            "releaseSessions",
            "<t:sessionIDs>s1</t:sessionIDs><t:userContext xsi:nil=\"true\"/>".to_owned(),
        ),
    ];
    for (op, rest) in ops {
        let body = envelope(&format!("<t:{op}>{}{rest}</t:{op}>", reg_context(&handle)));
        let reply = f.producer.handle("markup", body.as_bytes());
        save_sample(&format!("{op}Response"), &reply);
        assert_eq!(ok_body(&reply).name, format!("{op}Response"));
        // Without a registration they are refused.
        let body = envelope(&format!("<t:{op}>{}{rest}</t:{op}>", reg_context("x")));
        let reply = f.producer.handle("markup", body.as_bytes());
        assert_eq!(fault_name(&reply), "InvalidRegistration");
    }

    // Nothing is exported, so a release has nothing to do; the WSDL declares no
    // fault for it, so it is answered.
    let release = envelope(&format!(
        "<t:releaseExport>{}<t:exportContext>AA==</t:exportContext><t:userContext xsi:nil=\"true\"/></t:releaseExport>",
        reg_context(&handle)
    ));
    let reply = f.producer.handle("portlet-management", release.as_bytes());
    save_sample("releaseExportResponse", &reply);
    assert_eq!(ok_body(&reply).name, "releaseExportResponse");
}

/// No widget processes events: each event of a handleEvents comes back failed, by its
/// index, as OperationNotSupported (an empty answer said each was processed). The
/// registration, the portlet and the events are checked first.
#[test]
fn handle_events_reports_each_event_unprocessed() {
    let f = fixture();
    let handle = register(&f);
    let call = |registration: &str, portlet: &str, events: &str| {
        let body = envelope(&format!(
            "<t:handleEvents>{}<t:portletContext><t:portletHandle>{portlet}</t:portletHandle></t:portletContext>{RUNTIME}<t:userContext xsi:nil=\"true\"/>{}{events}</t:handleEvents>",
            reg_context(registration),
            markup_params("wsrp:view", None)
        ));
        f.producer.handle("markup", body.as_bytes())
    };
    let two = "<t:eventParams portletStateChange=\"readOnly\"><t:events><t:name>t:a</t:name></t:events><t:events><t:name>t:b</t:name></t:events></t:eventParams>";
    let reply = call(&handle, "echo", two);
    save_sample("handleEventsResponse", &reply);
    let answer = ok_body(&reply);
    assert_eq!(answer.name, "handleEventsResponse");
    let failed = answer.child("failedEvents").expect("failedEvents");
    assert_eq!(
        failed.attr("errorCode"),
        Some("types:OperationNotSupported")
    );
    let indexes: Vec<&str> = failed
        .children_named("index")
        .map(|i| i.text.as_str())
        .collect();
    assert_eq!(indexes, ["0", "1"]);
    assert!(failed.child_text("reason").is_some());
    assert!(
        reply
            .body
            .contains("xmlns:types=\"urn:oasis:names:tc:wsrp:v2:types\""),
        "the error code's prefix is bound: {}",
        reply.body
    );
    assert_eq!(fault_name(&call("x", "echo", two)), "InvalidRegistration");
    assert_eq!(fault_name(&call(&handle, "nope", two)), "InvalidHandle");
    assert_eq!(fault_name(&call(&handle, "echo", "")), "MissingParameters");
    let none = "<t:eventParams portletStateChange=\"readOnly\"/>";
    assert_eq!(
        fault_name(&call(&handle, "echo", none)),
        "MissingParameters"
    );
}

#[test]
fn hostile_input_is_refused_fast() {
    let f = fixture();
    let handle = register(&f);
    let bomb = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>
<t:register xmlns:t="urn:oasis:names:tc:wsrp:v2:types"><t:registrationData><t:consumerName>&lol9;</t:consumerName></t:registrationData></t:register>
</soapenv:Body></soapenv:Envelope>"#;
    let reply = refused_quickly(&f, "registration", bomb.as_bytes(), "OperationFailed");
    assert!(reply.body.contains("soapenv:Client"), "{}", reply.body);
    assert!(reply.body.contains("document type"), "{}", reply.body);
    save_sample("fault-register-Malformed", &reply);

    // The parser's message names what it met; a long made-up prefix is not echoed
    // back whole.
    let long = format!(
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\"><soapenv:Body><{}:x/></soapenv:Body></soapenv:Envelope>",
        "q".repeat(100_000)
    );
    let reply = refused_quickly(&f, "markup", long.as_bytes(), "OperationFailed");
    assert!(reply.body.len() < 2_000, "{} bytes", reply.body.len());

    // A namespace prefix the markup would repeat in every id and field name, or one
    // with a character that would end an attribute or a script's string there.
    for (prefix, refused) in [
        ("p".repeat(128), false),
        ("p".repeat(129), true),
        ("p&quot;q".to_owned(), true),
        ("p q".to_owned(), true),
        ("p\\q".to_owned(), true),
    ] {
        let body = envelope(&format!(
            "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
             <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
             <t:namespacePrefix>{prefix}</t:namespacePrefix></t:runtimeContext>\
             <t:userContext xsi:nil=\"true\"/>{}</t:getMarkup>",
            reg_context(&handle),
            markup_params("wsrp:view", None)
        ));
        let reply = f.producer.handle("markup", body.as_bytes());
        if refused {
            assert_eq!(fault_name(&reply), "OperationFailed");
            let why = if prefix.len() > 128 {
                "namespacePrefix is longer than"
            } else {
                "namespacePrefix holds a character"
            };
            assert!(reply.body.contains(why), "{}", reply.body);
        } else {
            assert!(markup_html(&reply).contains(&format!("id=\"{prefix}root\"")));
        }
    }

    // A refused request changes nothing: a user's profile is not taken into the
    // directory from a request refused for its prefix or its mime types, nor from
    // one whose registration is unknown.
    let refreshed = || f.hooks.0.lock().expect("test lock").len();
    let before = refreshed();
    let params = |mime: &str| {
        markup_params("wsrp:view", None).replace(
            "<t:mimeTypes>text/html</t:mimeTypes>",
            &format!("<t:mimeTypes>{mime}</t:mimeTypes>"),
        )
    };
    for (registration, prefix, mime, fault) in [
        (
            reg_context(&handle),
            "p".repeat(129),
            "text/html",
            "OperationFailed",
        ),
        (
            reg_context(&handle),
            "p".into(),
            "image/png",
            "UnsupportedMimeType",
        ),
        (
            reg_context("unknown"),
            "p".into(),
            "image/png",
            "InvalidRegistration",
        ),
    ] {
        let body = envelope(&format!(
            "<t:getMarkup>{registration}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>\
             <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
             <t:namespacePrefix>{prefix}</t:namespacePrefix></t:runtimeContext>{}{}</t:getMarkup>",
            user_context("ada"),
            params(mime)
        ));
        let reply = f.producer.handle("markup", body.as_bytes());
        assert_eq!(fault_name(&reply), fault, "{}", reply.body);
    }
    assert_eq!(
        refreshed(),
        before,
        "no profile was taken from a refused request"
    );

    // An undeclared entity without a DTD.
    let undeclared = register_body("&ent;", SECRET);
    let reply = refused_quickly(&f, "registration", undeclared.as_bytes(), "OperationFailed");
    // Refused by the parser, not read as an unknown consumer named "&ent;".
    assert!(reply.body.contains("is not declared"), "{}", reply.body);
    assert!(!reply.body.contains("wrong secret"), "{}", reply.body);

    // Malformed, not SOAP, not WSRP, empty.
    for body in [
        "<soapenv:Envelope".to_owned(),
        "<a/>".to_owned(),
        String::new(),
        envelope("<x:register xmlns:x=\"urn:other\"/>"),
        envelope(""),
        "\u{feff}garbage".to_owned(),
    ] {
        let reply = f.producer.handle("registration", body.as_bytes());
        assert_eq!(reply.status, 500, "{body}");
        parse(reply.body.as_bytes(), Limits::default()).expect("fault is XML");
    }
    // An operation of another namespace is none of WSRP's, not a `register` that
    // lacks its data.
    let foreign = envelope("<x:register xmlns:x=\"urn:other\"/>");
    let reply = f.producer.handle("registration", foreign.as_bytes());
    assert_eq!(
        fault_name(&reply),
        "OperationNotSupported",
        "{}",
        reply.body
    );
    assert!(
        reply.body.contains("not a WSRP 2.0 operation"),
        "{}",
        reply.body
    );

    // Oversized: well-formed but larger than the limit.
    let filler = "x".repeat(600 * 1024);
    let big = register_body(&filler, SECRET);
    let reply = refused_quickly(&f, "registration", big.as_bytes(), "OperationFailed");
    assert!(reply.body.contains("larger than"), "{}", reply.body);

    // Deep: ten thousand nested elements.
    let deep = envelope(&format!(
        "<t:register>{}{}</t:register>",
        "<t:a>".repeat(10_000),
        "</t:a>".repeat(10_000)
    ));
    let reply = refused_quickly(&f, "registration", deep.as_bytes(), "OperationFailed");
    assert!(reply.body.contains("nested deeper"), "{}", reply.body);

    // Many siblings.
    let wide = envelope(&format!(
        "<t:register>{}</t:register>",
        "<t:a/>".repeat(20_000)
    ));
    refused_quickly(&f, "registration", wide.as_bytes(), "OperationFailed");

    // An unknown port.
    let reply = f
        .producer
        .handle("nowhere", register_body("portal", SECRET).as_bytes());
    assert_eq!(reply.status, 404);
    assert_eq!(f.registrations.len(), 1);
}

#[test]
fn wsdl_names_this_host() {
    let f = fixture();
    let wsdl = f.producer.wsdl("https://widgets.example:8443");
    for port in [
        "markup",
        "service-description",
        "registration",
        "portlet-management",
    ] {
        assert!(
            wsdl.contains(&format!("https://widgets.example:8443/wsrp/v2/{port}\"")),
            "{port}"
        );
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/wsrp-samples");
    std::fs::create_dir_all(&dir).expect("sample dir");
    std::fs::write(
        dir.join("services.wsdl.template"),
        f.producer.wsdl("BASE_URL"),
    )
    .expect("write");
}

#[test]
fn a_header_that_must_be_understood_stops_the_message() {
    let f = fixture();
    let with_header = |header: &str| {
        envelope(
            "<t:getServiceDescription><t:userContext xsi:nil=\"true\"/></t:getServiceDescription>",
        )
        .replace(
            "<soapenv:Header/>",
            &format!("<soapenv:Header>{header}</soapenv:Header>"),
        )
    };
    const WSSE: &str =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd";
    // Meant for this producer and marked: SOAP 1.1 says fault, with no detail.
    for marked in ["1", "true"] {
        let body = with_header(&format!(
            "<wsse:Security xmlns:wsse=\"{WSSE}\" soapenv:mustUnderstand=\"{marked}\"/>"
        ));
        let reply = f.producer.handle("service-description", body.as_bytes());
        assert_eq!(reply.status, 500);
        let root = parse(reply.body.as_bytes(), Limits::default()).expect("fault parses");
        let fault = root
            .child("Body")
            .and_then(|b| b.child("Fault"))
            .expect("Fault");
        assert_eq!(
            fault.child_text("faultcode"),
            Some("soapenv:MustUnderstand")
        );
        assert!(
            fault
                .child_text("faultstring")
                .is_some_and(|t| t.contains(&format!("{{{WSSE}}}Security"))),
            "the header's whole name: {}",
            reply.body
        );
        assert!(fault.child("detail").is_none(), "{}", reply.body);
    }
    // Not marked, marked "0", or meant for another actor: the message is processed.
    for header in [
        format!("<wsse:Security xmlns:wsse=\"{WSSE}\"/>"),
        format!("<wsse:Security xmlns:wsse=\"{WSSE}\" soapenv:mustUnderstand=\"0\"/>"),
        format!(
            "<wsse:Security xmlns:wsse=\"{WSSE}\" soapenv:mustUnderstand=\"1\" soapenv:actor=\"http://example.com/gateway\"/>"
        ),
    ] {
        let reply = f
            .producer
            .handle("service-description", with_header(&header).as_bytes());
        assert_eq!(
            ok_body(&reply).name,
            "getServiceDescriptionResponse",
            "{header}"
        );
    }
}

#[test]
fn markup_is_refused_to_a_consumer_that_takes_no_html() {
    let f = fixture();
    let handle = register(&f);
    let markup_taking = |types: &[&str]| {
        let listed: String = types
            .iter()
            .map(|t| format!("<t:mimeTypes>{t}</t:mimeTypes>"))
            .collect();
        let body = envelope(&format!(
            "<t:getMarkup>{}<t:portletContext><t:portletHandle>echo</t:portletHandle></t:portletContext>{RUNTIME}<t:userContext xsi:nil=\"true\"/>{}</t:getMarkup>",
            reg_context(&handle),
            markup_params("wsrp:view", None)
                .replace("<t:mimeTypes>text/html</t:mimeTypes>", &listed)
        ));
        f.producer.handle("markup", body.as_bytes())
    };
    let reply = markup_taking(&["application/pdf", "image/png"]);
    assert_eq!(fault_name(&reply), "UnsupportedMimeType");
    assert!(reply.body.contains("application/pdf"), "{}", reply.body);
    for types in [
        &["application/pdf", "text/*"][..],
        &["TEXT/HTML; charset=UTF-8"],
        &["*/*"],
        &[],
    ] {
        let reply = markup_taking(types);
        assert!(markup_html(&reply).contains("data-who"), "{types:?}");
    }
}

/// SOAP 1.1, section 4.4.1: an envelope in another namespace (SOAP 1.2's) gets the
/// `VersionMismatch` fault code, with no WSRP detail, and nothing runs.
#[test]
fn a_soap_1_2_envelope_gets_a_version_mismatch() {
    let f = fixture();
    let body = "<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\"><env:Body>\
                <t:getServiceDescription xmlns:t=\"urn:oasis:names:tc:wsrp:v2:types\"/>\
                </env:Body></env:Envelope>";
    let reply = f.producer.handle("service-description", body.as_bytes());
    assert_eq!(reply.status, 500);
    assert!(
        reply
            .body
            .contains("<faultcode>soapenv:VersionMismatch</faultcode>"),
        "{}",
        reply.body
    );
    assert!(!reply.body.contains("<detail>"), "{}", reply.body);
}
