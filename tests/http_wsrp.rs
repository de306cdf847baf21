//! WSRP over the real HTTP server: what only the running host can show.

mod common;

use common::{start, start_in, with_consumer};

const TYPES_NS: &str = "urn:oasis:names:tc:wsrp:v2:types";

fn envelope(body: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
         <soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:t=\"{TYPES_NS}\">\
         <soapenv:Body>{body}</soapenv:Body></soapenv:Envelope>"
    )
}

async fn soap(server: &common::TestServer, port: &str, body: &str) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(server.url(&format!("/wsrp/v2/{port}")))
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(body))
        .send()
        .await
        .expect("post");
    (
        response.status().as_u16(),
        response.text().await.expect("text"),
    )
}

/// The text of the first element whose local name is `name` (prefixed or not).
fn element_text(xml: &str, name: &str) -> Option<String> {
    let tag = [format!("<{name}>"), format!(":{name}>")]
        .into_iter()
        .find_map(|t| xml.find(&t).map(|at| at + t.len()))?;
    let open = tag;
    let close = xml[open..].find("</")? + open;
    Some(xml[open..close].to_owned())
}

/// Registers the test portal (its configured WSRP secret); the registration handle.
async fn register(server: &common::TestServer) -> String {
    let register = "<t:register><t:registrationData><t:consumerName>test-portal</t:consumerName>\
        <t:consumerAgent>test.agent 1.0</t:consumerAgent><t:methodGetSupported>false</t:methodGetSupported>\
        <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>test-wsrp-secret</t:stringValue></t:registrationProperties>\
        </t:registrationData></t:register>";
    let (status, answer) = soap(server, "registration", register).await;
    assert_eq!(status, 200, "{answer}");
    element_text(&answer, "registrationHandle")
        .unwrap_or_else(|| panic!("a registration handle in {answer}"))
}

/// The contexts of a markup call to `portlet` for the user `key` named `given
/// family`, in the consumer's namespace `ns1_`, with no navigational state.
fn contexts(handle: &str, portlet: &str, key: &str, given: &str, family: &str) -> String {
    format!(
        "<t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>\
         <t:portletContext><t:portletHandle>{portlet}</t:portletHandle></t:portletContext>\
         <t:runtimeContext><t:userAuthentication>wsrp:password</t:userAuthentication>\
         <t:portletInstanceKey>k1</t:portletInstanceKey><t:namespacePrefix>ns1_</t:namespacePrefix></t:runtimeContext>\
         <t:userContext><t:userContextKey>{key}</t:userContextKey>\
         <t:profile><t:name><t:given>{given}</t:given><t:family>{family}</t:family></t:name></t:profile></t:userContext>\
         <t:markupParams><t:secureClientCommunication>false</t:secureClientCommunication>\
         <t:locales>en</t:locales><t:mimeTypes>text/html</t:mimeTypes>\
         <t:mode>wsrp:view</t:mode><t:windowState>wsrp:normal</t:windowState></t:markupParams>"
    )
}

/// `contexts` with the navigational state `state`, as the consumer sends it back.
fn in_state(contexts: &str, state: &str) -> String {
    contexts.replace(
        "</t:windowState>",
        &format!("</t:windowState><t:navigationalContext opaqueValue=\"{state}\"/>"),
    )
}

/// A blocking interaction running `action` with one form field `ns1_{field}`.
fn blocking(contexts: &str, action: &str, field: &str, value: &str) -> String {
    format!(
        "<t:performBlockingInteraction>{contexts}<t:interactionParams>\
         <t:portletStateChange>readOnly</t:portletStateChange><t:interactionState>action={action}</t:interactionState>\
         <t:formParameters name=\"ns1_{field}\"><t:value>{value}</t:value></t:formParameters>\
         </t:interactionParams></t:performBlockingInteraction>"
    )
}

/// The fragment a getMarkup with `contexts` answers, as the consumer puts it on its
/// page (the answer's `itemString`, unescaped).
async fn fragment(server: &common::TestServer, contexts: &str) -> String {
    let (status, answer) = soap(
        server,
        "markup",
        &format!("<t:getMarkup>{contexts}</t:getMarkup>"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let item = element_text(&answer, "itemString").unwrap_or_else(|| panic!("markup in {answer}"));
    quick_xml::escape::unescape(&item)
        .expect("escaped text")
        .into_owned()
}

/// The navigational state a blocking interaction's answer hands the next render.
fn next_state(answer: &str) -> &str {
    answer
        .split("opaqueValue=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("the next render's state in {answer}"))
}

fn service_description(handle: &str) -> String {
    format!(
        "<t:getServiceDescription><t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>\
         <t:desiredLocales>en-US</t:desiredLocales></t:getServiceDescription>"
    )
}

/// The `title` elements of each `offeredPortlets` or `portletDescription` in `xml`:
/// its `xml:lang` and its value.
fn titles(xml: &str) -> Vec<(String, String)> {
    xml.split("title xml:lang=\"")
        .skip(1)
        .filter_map(|rest| {
            let (lang, rest) = rest.split_once('"')?;
            let value = element_text(rest, "value")?;
            Some((lang.to_owned(), value))
        })
        .collect()
}

/// A portal lists remote portlets to its administrator by their titles: a built-in
/// widget's is written in the first of the consumer's desired locales the host has
/// texts for, English where none is asked for or known.
#[tokio::test]
async fn descriptions_title_the_widgets_in_the_desired_locale() {
    let server = start(|c, _| with_consumer(c)).await;
    let handle = register(&server).await;
    let described = |locales: &str| {
        format!(
            "<t:getServiceDescription><t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>\
             {locales}</t:getServiceDescription>"
        )
    };
    let pair = |lang: &str, value: &str| (lang.to_owned(), value.to_owned());
    for (locales, expected) in [
        (
            "<t:desiredLocales>xx-YY</t:desiredLocales><t:desiredLocales>de-DE</t:desiredLocales>",
            vec![
                pair("de-DE", "Kontaktcenter"),
                pair("de-DE", "Benachrichtigungen"),
            ],
        ),
        (
            "",
            vec![pair("en", "Contacts Center"), pair("en", "Notifications")],
        ),
        (
            "<t:desiredLocales>en-GB</t:desiredLocales><t:desiredLocales>fr</t:desiredLocales>",
            vec![pair("en", "Contacts Center"), pair("en", "Notifications")],
        ),
    ] {
        let (status, answer) = soap(&server, "service-description", &described(locales)).await;
        assert_eq!(status, 200, "{answer}");
        let mut found = titles(&answer);
        found.sort();
        let mut expected = expected;
        expected.sort();
        assert_eq!(found, expected, "{locales}: {answer}");
        // The display name follows the title it repeats.
        let mut names: Vec<(String, String)> = answer
            .split("<displayName xml:lang=\"")
            .skip(1)
            .filter_map(|rest| {
                let (lang, rest) = rest.split_once('"')?;
                Some((lang.to_owned(), element_text(rest, "value")?))
            })
            .collect();
        names.sort();
        assert_eq!(names, expected, "{answer}");
    }
    let (status, answer) = soap(
        &server,
        "markup",
        &format!(
            "<t:getPortletDescription><t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>\
             <t:portletContext><t:portletHandle>contacts_center</t:portletHandle></t:portletContext>\
             <t:userContext><t:userContextKey>jose</t:userContextKey></t:userContext>\
             <t:desiredLocales>ja-JP</t:desiredLocales></t:getPortletDescription>"
        ),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(titles(&answer), [pair("ja-JP", "コンタクトセンター")]);
}

#[tokio::test]
async fn a_registered_portal_survives_a_restart_and_deregistration_is_final() {
    let server = start(|c, _| with_consumer(c)).await;
    let handle = register(&server).await;

    let dir = server.stop_keeping_data().await;
    let server = start_in(dir, |c, _| with_consumer(c)).await;
    let (status, answer) = soap(
        &server,
        "service-description",
        &service_description(&handle),
    )
    .await;
    assert_eq!(
        status, 200,
        "the handle still works after a restart: {answer}"
    );
    assert!(answer.contains("contacts_center"), "{answer}");

    // Asked for by a placement's handle, a portlet with placements is described, one
    // without is not (as getMarkup refuses the handle).
    for (asked, offered) in [
        ("contacts_center_INSTANCE_ab12", Some("contacts_center")),
        ("notifications_INSTANCE_ab12", None),
        ("notifications", Some("notifications")),
    ] {
        let call = service_description(&handle).replace(
            "</t:desiredLocales>",
            &format!("</t:desiredLocales><t:portletHandles>{asked}</t:portletHandles>"),
        );
        let (status, answer) = soap(&server, "service-description", &call).await;
        assert_eq!(status, 200, "{answer}");
        let described: Vec<&str> = answer
            .split("<portletHandle>")
            .skip(1)
            .filter_map(|rest| rest.split_once("</portletHandle>").map(|(h, _)| h))
            .collect();
        assert_eq!(
            described,
            offered.into_iter().collect::<Vec<_>>(),
            "{asked}: {answer}"
        );
    }

    // A modification goes to the stored registration: the host's own store, which
    // looks and writes in one transaction.
    let modify = |agent: &str| {
        format!(
            "<t:modifyRegistration><t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext>\
             <t:registrationData><t:consumerName>test-portal</t:consumerName><t:consumerAgent>{agent}</t:consumerAgent>\
             <t:methodGetSupported>false</t:methodGetSupported>\
             <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>test-wsrp-secret</t:stringValue></t:registrationProperties>\
             </t:registrationData></t:modifyRegistration>"
        )
    };
    let (status, answer) = soap(&server, "registration", &modify("test.agent 2.0")).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("modifyRegistrationResponse"), "{answer}");
    // Read back from the file, the host stopped: the record holds the new agent.
    let dir = server.stop_keeping_data().await;
    {
        let social =
            widget_host::social::Social::open(dir.path().join("data").join("widget-host.redb"))
                .expect("open");
        let record = social.registration(&handle).expect("read").expect("kept");
        let record: serde_json::Value = serde_json::from_slice(&record).expect("json");
        assert_eq!(record["agent"], "test.agent 2.0", "{record}");
    }
    let server = start_in(dir, |c, _| with_consumer(c)).await;

    let deregister = format!(
        "<t:deregister><t:registrationContext><t:registrationHandle>{handle}</t:registrationHandle></t:registrationContext></t:deregister>"
    );
    let (status, answer) = soap(&server, "registration", &deregister).await;
    assert_eq!(status, 200, "{answer}");
    let (status, answer) = soap(
        &server,
        "service-description",
        &service_description(&handle),
    )
    .await;
    assert_eq!(status, 500, "{answer}");
    assert!(answer.contains("InvalidRegistration"), "{answer}");
    // Nor does a modification after it bring the registration back.
    let (status, answer) = soap(&server, "registration", &modify("test.agent 3.0")).await;
    assert_eq!(status, 500, "{answer}");
    assert!(answer.contains("InvalidRegistration"), "{answer}");
    let (status, _) = soap(
        &server,
        "service-description",
        &service_description(&handle),
    )
    .await;
    assert_eq!(status, 500, "still deregistered");
    server.stop().await;
}

/// A portal that consumes over WSRP alone (HCL DX, GateIn) is configured with its
/// `wsrp_secret` and nothing else: it registers and is served, and since it has no
/// key, a Bearer token in its name is refused, not taken on a secret nobody uses.
#[tokio::test]
async fn a_consumer_with_only_a_wsrp_secret_registers_and_signs_nobody_in() {
    let server = start(|c, _| {
        with_consumer(c);
        let consumer = &mut c.consumers[0];
        consumer.hs256_secret = None;
        consumer.allowed_origins.clear();
        widget_host::config::Config {
            consumers: c.consumers.clone(),
            ..Default::default()
        }
        .validate()
        .expect("a WSRP-only consumer is a valid configuration");
    })
    .await;
    let handle = register(&server).await;
    let (status, answer) = soap(
        &server,
        "service-description",
        &service_description(&handle),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("contacts_center"), "{answer}");
    // Nor on the WSRP secret, the one the consumer has: a token signed with it is
    // refused as well as one signed with the HS256 secret it no longer has.
    let on_wsrp_secret = widget_host::portal::auth::mint(
        common::CONSUMER,
        "test-wsrp-secret",
        "alice",
        &[],
        &Default::default(),
        std::time::Duration::from_secs(600),
    )
    .expect("token");
    for token in [common::token("alice", &[]), on_wsrp_secret] {
        let render = reqwest::Client::new()
            .get(server.url("/widgets/contacts_center/render"))
            .bearer_auth(token)
            .send()
            .await
            .expect("render");
        assert_eq!(render.status(), 401);
    }
    server.stop().await;
}

/// SOAP 1.1 answers every fault 500 (or the transport's status), so `/metrics` counts
/// faults by faultcode and kind as well: a consumer's mistakes apart from the
/// producer's own failures.
#[tokio::test]
async fn wsrp_faults_are_counted_by_faultcode_and_kind() {
    let server = start(|c, _| with_consumer(c)).await;
    for _ in 0..2 {
        let (status, answer) = soap(
            &server,
            "service-description",
            &service_description("no-such-handle"),
        )
        .await;
        assert_eq!(status, 500, "{answer}");
        assert!(answer.contains("InvalidRegistration"), "{answer}");
    }
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/markup"))
        .header("content-type", "text/plain")
        .body(envelope("<t:getMarkup/>"))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 415);
    let handle = register(&server).await;
    let (status, _) = soap(
        &server,
        "service-description",
        &service_description(&handle),
    )
    .await;
    assert_eq!(status, 200);

    let metrics = common::metrics_text(&server).await;
    // Whole, with every family holding samples, the text keeps the format's rules.
    let samples = common::exposition(&metrics);
    assert_eq!(
        samples[r#"widget_host_wsrp_faults_total{faultcode="Client",fault="Malformed"}"#],
        1.0
    );
    let faults: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("widget_host_wsrp_faults_total{"))
        .collect();
    assert_eq!(
        faults,
        [
            "widget_host_wsrp_faults_total{faultcode=\"Client\",fault=\"InvalidRegistration\"} 2",
            "widget_host_wsrp_faults_total{faultcode=\"Client\",fault=\"Malformed\"} 1",
        ],
        "{metrics}"
    );
    server.stop().await;
}

/// What a browser may post to any site unasked (text/plain, a form, an untyped body)
/// is refused with 415 before the producer sees it: eleven wrong secrets sent so from
/// a web page do not close registration for the portal.
#[tokio::test]
async fn only_xml_bodies_reach_the_producer() {
    let server = start(|c, _| with_consumer(c)).await;
    let wrong = "<t:register><t:registrationData><t:consumerName>test-portal</t:consumerName>\
        <t:registrationProperties name=\"wsrp_secret\"><t:stringValue>guess</t:stringValue></t:registrationProperties>\
        </t:registrationData></t:register>";
    for content_type in [
        Some("text/plain"),
        Some("application/x-www-form-urlencoded"),
        Some("multipart/form-data; boundary=x"),
        None,
    ] {
        for _ in 0..11 {
            let mut post = reqwest::Client::new()
                .post(server.url("/wsrp/v2/registration"))
                .body(envelope(wrong));
            if let Some(t) = content_type {
                post = post.header("content-type", t);
            }
            let response = post.send().await.expect("post");
            assert_eq!(response.status().as_u16(), 415, "{content_type:?}");
            let body = response.text().await.expect("text");
            assert!(
                body.contains("Fault") && body.contains("text/xml"),
                "{body}"
            );
        }
    }
    // An envelope in a content coding is no XML the producer can read either.
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/registration"))
        .header("content-type", "text/xml")
        .header("content-encoding", "gzip")
        .body(envelope(wrong))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 415);
    assert_eq!(response.headers()["accept-encoding"], "identity");
    let body = response.text().await.expect("text");
    assert!(
        body.contains("Fault") && body.contains("content coding"),
        "{body}"
    );
    // Nothing was counted against the secret: the portal registers at once.
    register(&server).await;
    // The type's parameters and case do not matter.
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/registration"))
        .header("content-type", "Text/XML;charset=UTF-8")
        .body(envelope(wrong))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 500, "a fault from the producer");
    // application/xml is read as text/xml is; application/soap+xml reaches the
    // producer, which answers a SOAP 1.2 envelope with SOAP's version mismatch.
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/service-description"))
        .header("content-type", "application/xml")
        .body(envelope("<t:getServiceDescription/>"))
        .send()
        .await
        .expect("post");
    assert_ne!(response.status().as_u16(), 415);
    assert!(
        response.text().await.expect("text").contains("Envelope"),
        "a SOAP answer"
    );
    let soap12 = "<?xml version=\"1.0\"?><env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\">\
        <env:Body><getServiceDescription/></env:Body></env:Envelope>";
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/service-description"))
        .header("content-type", "application/soap+xml; charset=utf-8")
        .body(soap12)
        .send()
        .await
        .expect("post");
    let status = response.status().as_u16();
    let body = response.text().await.expect("text");
    assert!(
        status != 415 && body.contains("VersionMismatch"),
        "{status}: {body}"
    );
}

#[tokio::test]
async fn the_wsdl_points_at_this_host() {
    let server = start(|c, _| with_consumer(c)).await;
    let wsdl = reqwest::get(server.url("/wsrp/v2/wsdl"))
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    for port in [
        "service-description",
        "markup",
        "registration",
        "portlet-management",
    ] {
        assert!(
            wsdl.contains(&format!(
                "location=\"http://{}/wsrp/v2/{port}\"",
                server.addr
            )),
            "{port}: {wsdl}"
        );
    }
    // A host name with an underscore (a Compose service's) is a host the portal
    // reaches this one by: the addresses keep it.
    let wsdl = reqwest::Client::new()
        .get(server.url("/wsrp/v2/wsdl"))
        .header("host", "widget_host:8080")
        .send()
        .await
        .expect("get")
        .text()
        .await
        .expect("text");
    assert!(
        wsdl.contains("location=\"http://widget_host:8080/wsrp/v2/markup\""),
        "{wsdl}"
    );
    server.stop().await;
}

/// What the transport refuses before the producer reads it (here a body over
/// `max_body_bytes`) keeps its status but answers with a SOAP fault, not JSON: that
/// is what a SOAP client reads.
#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_a_soap_fault() {
    let server = start(|c, _| {
        with_consumer(c);
        c.limits.max_body_bytes = 1024;
    })
    .await;
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/markup"))
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(&format!("<!-- {} -->", "x".repeat(4096))))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 413);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/xml"), "{content_type}");
    let body = response.text().await.expect("text");
    assert!(body.contains("soapenv:Fault"), "{body}");
    assert_eq!(
        element_text(&body, "faultcode").as_deref(),
        Some("soapenv:Client")
    );
    server.stop().await;

    // Under the default 1 MiB, an envelope over the 512 KiB the SOAP parser takes is
    // refused the same way, before it is read, not read and then found malformed.
    let server = start(|c, _| with_consumer(c)).await;
    assert!(widget_host::config::Config::default().limits.max_body_bytes > 600 * 1024);
    let response = reqwest::Client::new()
        .post(server.url("/wsrp/v2/markup"))
        .header("content-type", "text/xml; charset=utf-8")
        .body(envelope(&format!("<!-- {} -->", "x".repeat(600 * 1024))))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status().as_u16(), 413);
    let body = response.text().await.expect("text");
    assert!(body.contains("soapenv:Fault"), "{body}");
    server.stop().await;
}

/// Envelopes are read whole before the registration inside them is checked, so what
/// they hold while read is bounded in bytes, not in connections: clients that send
/// slowly hold only what they sent, and keep no one else out.
#[tokio::test]
async fn clients_that_send_slowly_hold_only_what_they_sent() {
    // A timeout far above the bound below: a call that waited for the stalled
    // clients to be cut off could not pass for one that did not wait, however slow
    // the machine running the test.
    let server = start(|c, _| {
        with_consumer(c);
        c.limits.request_timeout_secs = 10;
    })
    .await;
    // More clients than envelopes are handled at once, each announcing the largest
    // envelope (more than the room, all together) and sending one byte of it.
    let mut stalled = Vec::new();
    for _ in 0..widget_host::http::state::WSRP_ENVELOPES_AT_ONCE + 36 {
        stalled.push(stalled_envelope(&server, 512 * 1024, 1).await);
    }
    served_at_once(&server, stalled.len()).await;
    bytes_held(&server, |held| held == stalled.len()).await;
    let sent = std::time::Instant::now();
    let (_, body) = soap(&server, "service-description", &service_description("none")).await;
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(5),
        "answered after {:?}: {body}",
        sent.elapsed()
    );
    // Answered by the producer (its fault for the unknown registration).
    assert!(body.contains("InvalidRegistration"), "{body}");
    drop(stalled);
    server.stop().await;
}

/// Envelopes being read hold at most `WSRP_BYTES_IN_FLIGHT` bytes in all: with that
/// much sent and not finished, the next call waits for room.
#[tokio::test]
async fn envelopes_being_read_hold_at_most_so_many_bytes() {
    use widget_host::http::state::{WSRP_BYTES_IN_FLIGHT, WSRP_ENVELOPES_AT_ONCE};
    // Long enough to send 32 MiB of stalled envelopes from a debug build on a busy
    // machine before the first of them gives up.
    let server = start(|c, _| {
        with_consumer(c);
        c.limits.request_timeout_secs = 6;
    })
    .await;
    let largest = 512 * 1024;
    assert_eq!(WSRP_BYTES_IN_FLIGHT, WSRP_ENVELOPES_AT_ONCE * largest);
    // All but a byte of the largest envelope, from as many clients as fill the room:
    // 64 bytes of it are left, less than a call takes.
    let first = std::time::Instant::now();
    let mut stalled = Vec::new();
    for _ in 0..WSRP_ENVELOPES_AT_ONCE {
        stalled.push(stalled_envelope(&server, largest, largest - 1).await);
    }
    served_at_once(&server, stalled.len()).await;
    bytes_held(&server, |held| held == stalled.len() * (largest - 1)).await;
    let sent = first.elapsed();
    let (status, body) = soap(&server, "service-description", &service_description("none")).await;
    let answered = first.elapsed();
    // It is read once a stalled one gives up at the 6 s timeout, which began after
    // `first`, or refused as busy when its own wait runs out; either way not before.
    assert!(
        answered >= std::time::Duration::from_millis(5900),
        "sent after {sent:?}, answered after {answered:?}: {status} {body}"
    );
    // Read: handle "none" is no registration. Refused as busy: the server's own fault.
    assert!(
        body.contains("InvalidRegistration") || (status == 503 && body.contains("OperationFailed")),
        "{status} {body}"
    );
    drop(stalled);
    // With the room free again a call is read at once.
    bytes_held(&server, |held| held == 0).await;
    // Well before the 6 s a stalled envelope is given: it did not wait for room.
    let sent = std::time::Instant::now();
    let (_, body) = soap(&server, "service-description", &service_description("none")).await;
    assert!(body.contains("InvalidRegistration"), "{body}");
    assert!(sent.elapsed() < std::time::Duration::from_secs(4), "{body}");
    server.stop().await;
}

/// A post to a port the producer does not have is refused before its envelope is
/// read: at once, with the SOAP fault a client reads, and holding none of the bytes
/// every consumer shares.
#[tokio::test]
async fn a_post_to_an_unknown_port_is_refused_before_its_envelope_is_read() {
    use tokio::io::AsyncReadExt;
    let server = start(|c, _| {
        with_consumer(c);
        c.limits.request_timeout_secs = 10;
    })
    .await;
    let sent = std::time::Instant::now();
    let mut stream = stalled_envelope_to(&server, "nope", 512 * 1024, 16).await;
    // Read until the fault is in, however the answer is cut into reads.
    let mut answer = Vec::new();
    let whole = async {
        let mut chunk = vec![0u8; 4096];
        while !String::from_utf8_lossy(&answer).contains("</soapenv:Envelope>") {
            match stream.read(&mut chunk).await.expect("read") {
                0 => break,
                n => answer.extend_from_slice(&chunk[..n]),
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(8), whole)
        .await
        .expect("answered before the request timeout");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    assert!(answer.contains("no WSRP port"), "{answer}");
    // Half the request timeout, which an envelope read to its end would reach.
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        sent.elapsed()
    );
    // Its 16 bytes were never taken from the budget, while its connection is open.
    assert_eq!(
        gauge(&server, "widget_host_wsrp_envelope_held_bytes").await,
        0
    );
    drop(stream);
    server.stop().await;
}

/// An envelope that has part of itself and finds no room for the rest does not wait
/// while holding what it has (envelopes each holding part of themselves would wait on
/// one another until their timeouts): it is refused at once, as busy.
#[tokio::test]
async fn an_envelope_that_finds_no_room_for_its_rest_is_refused_at_once() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use widget_host::http::state::WSRP_ENVELOPES_AT_ONCE;
    // As above, a timeout far above the bound on the refusal.
    let server = start(|c, _| {
        with_consumer(c);
        c.limits.request_timeout_secs = 10;
    })
    .await;
    let largest = 512 * 1024;
    // The room, all but about 112 KiB of it taken.
    let mut stalled = Vec::new();
    for _ in 0..WSRP_ENVELOPES_AT_ONCE - 1 {
        stalled.push(stalled_envelope(&server, largest, largest - 1).await);
    }
    stalled.push(stalled_envelope(&server, largest, 400 * 1024).await);
    let taken = (WSRP_ENVELOPES_AT_ONCE - 1) * (largest - 1) + 400 * 1024;
    bytes_held(&server, |held| held == taken).await;
    // A 200 KiB envelope: its first bytes find room, the rest does not.
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let length = 200 * 1024;
    let head = format!(
        "POST /wsrp/v2/service-description HTTP/1.1\r\nhost: localhost\r\n\
         content-type: text/xml\r\ncontent-length: {length}\r\n\r\n"
    );
    let sent = std::time::Instant::now();
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&vec![b'<'; length]).await.expect("body");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("answer");
    let answered = sent.elapsed();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("soapenv:Server"), "{answer}");
    assert!(answer.contains("\r\nretry-after: 1\r\n"), "{answer}");
    assert!(
        answered < std::time::Duration::from_secs(5),
        "refused after {answered:?}, as at the request timeout"
    );
    drop(stalled);
    server.stop().await;
}

/// The host's gauge `name`, from `/metrics`.
async fn gauge(server: &common::TestServer, name: &str) -> usize {
    let text = reqwest::get(server.url("/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no gauge {name}: {text}"))
}

/// Waits (10 s at most) until the bytes of WSRP envelopes the host holds
/// (`widget_host_wsrp_envelope_held_bytes`) pass `wanted`.
async fn bytes_held(server: &common::TestServer, wanted: impl Fn(usize) -> bool) {
    let started = std::time::Instant::now();
    loop {
        let held = gauge(server, "widget_host_wsrp_envelope_held_bytes").await;
        if wanted(held) {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{held} bytes of envelopes held"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits until the host serves at least `n` connections besides the one asking
/// (`widget_host_open_connections`): a check made before the stalled clients were in
/// would pass without testing them. Their bytes are [`bytes_held`]'s to wait for.
async fn served_at_once(server: &common::TestServer, n: usize) {
    let started = std::time::Instant::now();
    loop {
        let open = gauge(server, "widget_host_open_connections").await;
        if open > n {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{open} connections open, {n} stalled ones expected"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A connection that announces an envelope of `length` bytes and sends `sent` of them.
async fn stalled_envelope(
    server: &common::TestServer,
    length: usize,
    sent: usize,
) -> tokio::net::TcpStream {
    stalled_envelope_to(server, "service-description", length, sent).await
}

async fn stalled_envelope_to(
    server: &common::TestServer,
    port: &str,
    length: usize,
    sent: usize,
) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let mut stream = tokio::net::TcpStream::connect(server.addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /wsrp/v2/{port} HTTP/1.1\r\nhost: localhost\r\n\
         content-type: text/xml\r\ncontent-length: {length}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("head");
    stream.write_all(&vec![b'<'; sent]).await.expect("body");
    stream
}

/// A Contacts Center action through `performBlockingInteraction` on the running host:
/// the producer, on its blocking thread, drives the action's future to its commit and
/// through the read of the answer's relationship, which takes a blocking thread of
/// its own. B then sees A's request.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocking_interaction_runs_a_contacts_center_action_to_its_commit() {
    let server = start(|c, _| with_consumer(c)).await;
    let handle = register(&server).await;
    let alice = contexts(&handle, "contacts_center", "wsrp-alice", "Wanda", "Aalto");
    let bob = contexts(&handle, "contacts_center", "wsrp-bob", "Walter", "Brandt");
    // Bob is in the directory once the consumer shows him the widget.
    let (status, answer) = soap(
        &server,
        "markup",
        &format!("<t:getMarkup>{bob}</t:getMarkup>"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");

    let connect = blocking(&alice, "connect", "userId", "wsrp-bob");
    let (status, answer) = soap(&server, "markup", &connect).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("updateResponse"), "{answer}");
    let next = next_state(&answer);
    assert_eq!(
        widget_host::wsrp::urls::decode_state(next).get("message"),
        Some("this-user-has-received-a-connection-request-from-you"),
        "the rule's outcome in the next render's state: {answer}"
    );
    // Fed back as the consumer found it, the state renders the outcome.
    let (status, after) = soap(
        &server,
        "markup",
        &format!("<t:getMarkup>{}</t:getMarkup>", in_state(&alice, next)),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert!(
        after.contains("This user has received a connection request from you."),
        "{after}"
    );
    // One person ticked in a list: the next render names whom, under the seal the
    // producer wrote into the state. The state is the consumer's to keep, in its own
    // page URLs: the same state names no one to Walter, nor to Wanda once its name
    // is changed or the whole outcome is written by hand.
    let follow = connect
        .replace("action=connect", "action=follow")
        .replace("ns1_userId\"", "ns1_userIds\"");
    let (status, answer) = soap(&server, "markup", &follow).await;
    assert_eq!(status, 200, "{answer}");
    let sealed = next_state(&answer);
    use widget_host::wsrp::urls::{decode_state, encode_state};
    assert_eq!(decode_state(sealed).get("messageUserId"), Some("wsrp-bob"));
    let named = "You are now following \u{2068}Walter Brandt\u{2069}.";
    let unnamed = "You are now following this user.";
    let page = fragment(&server, &in_state(&alice, sealed)).await;
    assert!(page.contains(named), "{page}");
    let page = fragment(&server, &in_state(&bob, sealed)).await;
    assert!(page.contains(unnamed) && !page.contains(named), "{page}");
    let params = decode_state(sealed);
    let renamed = encode_state(params.iter().map(|(n, v)| {
        (
            n,
            if n == "messageUserId" {
                "wsrp-alice"
            } else {
                v
            },
        )
    }));
    let page = fragment(&server, &in_state(&alice, &renamed)).await;
    assert!(
        page.contains(unnamed) && !page.contains("following \u{2068}Wanda Aalto\u{2069}"),
        "{page}"
    );
    let by_hand = encode_state(
        [
            ("message", "you-are-now-following-this-user"),
            ("messageUserId", "wsrp-bob"),
        ]
        .into_iter(),
    );
    let page = fragment(&server, &in_state(&alice, &by_hand)).await;
    assert!(page.contains(unnamed) && !page.contains(named), "{page}");

    let requests = in_state(&bob, "filter=requests");
    let (status, answer) = soap(
        &server,
        "markup",
        &format!("<t:getMarkup>{requests}</t:getMarkup>"),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("Wanda Aalto"), "{answer}");
    // On the requests page, not on everyone's where the filter was lost: a received
    // request's answer forms carry its id.
    assert!(answer.contains("ns1_requestId"), "{answer}");
    server.stop().await;
}

/// The Notifications widget through a WSRP consumer: its markup lists the request in
/// the consumer's namespace, its Confirm runs as a blocking interaction to its
/// commit, the next render (the state the producer handed back) says so and lists
/// nothing, and it has no resources to serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_answer_a_request_through_a_consumer() {
    let server = start(|c, _| with_consumer(c)).await;
    let handle = register(&server).await;
    let bob = contexts(&handle, "notifications", "wsrp-bob", "Walter", "Brandt");
    let empty = fragment(&server, &bob).await;
    assert!(empty.contains("You have no pending requests."), "{empty}");
    let alice = contexts(&handle, "contacts_center", "wsrp-alice", "Wanda", "Aalto");
    let connect = blocking(&alice, "connect", "userId", "wsrp-bob");
    let (status, answer) = soap(&server, "markup", &connect).await;
    assert_eq!(status, 200, "{answer}");

    let asking = "\u{2068}Wanda Aalto\u{2069} wants to connect with you.";
    let listed = fragment(&server, &bob).await;
    assert!(listed.contains(asking), "{listed}");
    // The script is bound to the consumer's namespace, as the page's ids are.
    assert!(listed.contains("id=\"ns1_notifications\""), "{listed}");
    let request_id = listed
        .split("name=\"ns1_requestId\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("a request id field in {listed}"))
        .to_owned();
    // Not yet on Wanda's connections tab (everyone's list, where the filter was lost,
    // shows him already).
    let before = fragment(&server, &in_state(&alice, "filter=connections")).await;
    assert!(!before.contains("Walter Brandt"), "{before}");
    let confirm = blocking(&bob, "accept-request", "requestId", &request_id);
    let (status, answer) = soap(&server, "markup", &confirm).await;
    assert_eq!(status, 200, "{answer}");
    let next = next_state(&answer);
    assert_eq!(
        widget_host::wsrp::urls::decode_state(next).get("message"),
        Some("you-are-now-connected-to-this-user"),
        "{answer}"
    );
    let after = fragment(&server, &in_state(&bob, next)).await;
    assert!(
        // Sealed by the producer into the state: it names whom.
        after.contains("You are now connected to \u{2068}Wanda Aalto\u{2069}.")
            && after.contains("You have no pending requests.")
            && !after.contains(asking),
        "{after}"
    );
    // Committed: Wanda's own Contacts Center lists the connection.
    let hers = fragment(&server, &in_state(&alice, "filter=connections")).await;
    assert!(hers.contains("Walter Brandt"), "{hers}");
    // The widget serves no resource: a consumer asking for one gets a fault.
    let resource = format!(
        "<t:getResource>{}<t:resourceParams resourceID=\"vcard\" portletStateChange=\"readOnly\">\
         <t:secureClientCommunication>false</t:secureClientCommunication>\
         <t:locales>en</t:locales><t:mimeTypes>text/vcard</t:mimeTypes><t:mode>wsrp:view</t:mode>\
         <t:windowState>wsrp:normal</t:windowState></t:resourceParams></t:getResource>",
        bob.split("<t:markupParams>").next().expect("contexts")
    );
    let (status, answer) = soap(&server, "markup", &resource).await;
    assert_eq!(status, 500, "{answer}");
    assert!(
        answer.contains("InconsistentParameters") && answer.contains("unknown resource"),
        "{answer}"
    );
    server.stop().await;
}
