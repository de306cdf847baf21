//! Every route of the host in one place. Each arm names its route pattern, which is
//! also the metrics label.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::linger::RequestBody;
use bytes::Bytes;
use http_body_util::{BodyExt, Limited};
use hyper::header::CONTENT_LENGTH;
use hyper::{Method, Request, Response, StatusCode};

use super::response::{self, Body, HttpError};
use super::state::{AppState, WSRP_BYTES_IN_FLIGHT};
use super::{api, cors, widget_routes, wsrp_routes};
use crate::demo;

/// Entry point of every request: routes it under the request timeout and records metrics.
pub async fn handle(
    state: Arc<AppState>,
    req: Request<RequestBody>,
    peer: SocketAddr,
) -> Result<Response<Body>, Infallible> {
    let started = Instant::now();
    let timeout = Duration::from_secs(state.config.limits.request_timeout_secs);
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let origin = req.headers().get(hyper::header::ORIGIN).cloned();
    // Split once here: the timeout rule and the routes both read the segments. Only
    // the one leading slash goes: `//metrics` is another path than `/metrics` to a
    // proxy that keeps the operational routes to its own network, and must not reach
    // them here either.
    let segments: Vec<&str> = path.strip_prefix('/').unwrap_or(&path).split('/').collect();
    let widget_call = response::is_widget_call(&method, &segments);
    // The demo's pages are a person's too: a refusal there (a Host it does not answer
    // at, a busy host) is a page in a browser, not JSON shown as text.
    let demo_page = matches!(method, Method::GET | Method::HEAD)
        && matches!(segments[..], [""] | ["content"] | ["demo", "switch"])
        && state.config.demo_on();
    let as_page = (widget_call || demo_page) && response::refusal_is_a_page(req.headers());
    // What a widget call's refusal is worded in: the URL's languageId, else the
    // browser's languages, as the widget's own refusals are. Kept as they came (shared
    // bytes, not copies: this is every action and resource), and read only if the
    // host refuses. A form's own languageId is in its body, which a refusal before it
    // was read (too large, too slow) has not got.
    let language = widget_call.then(|| {
        (
            req.uri().clone(),
            req.headers().get(hyper::header::ACCEPT_LANGUAGE).cloned(),
        )
    });
    let refusal = |error: HttpError| {
        let error = match &language {
            Some((uri, accept)) => {
                error.worded_in(state.languages, &refusal_locale(uri, accept.as_ref()))
            }
            None => error,
        };
        let mut answer = if as_page {
            error.into_page()
        } else {
            error.into_response()
        };
        if widget_call {
            // The same refusal is a page or JSON by the first two headers, and its
            // text is in the language of the third when the URL names none.
            answer.headers_mut().insert(
                hyper::header::VARY,
                hyper::header::HeaderValue::from_static("Accept, Authorization, Accept-Language"),
            );
        }
        answer
    };
    // Read before the request goes to its route, for a 415 to say what is taken and
    // a 401 whether a token was refused or none was sent.
    let coded = response::is_coded(req.headers());
    let token_sent = !matches!(super::native::bearer_authorization(req.headers()), Ok(None));
    let seen = RouteSeen::new();
    // Counts the request as 499 if it is dropped before it is answered: a client that
    // hangs up ends the connection, and hyper drops this future where it waits.
    let mut gone = GoneBeforeAnswered {
        state: &state,
        seen: &seen,
        started,
        answered: false,
    };
    let routed = if let Some(why) = host_field_problem(&req) {
        Ok(Some((
            "bad-host",
            Err(HttpError::BadRequest(why.to_owned())),
        )))
    } else if !chunked_at_most(&req) {
        Ok(Some((
            "bad-transfer-coding",
            Err(HttpError::NotImplemented(
                "a request body may be sent as it is or chunked only: no other transfer coding is taken (RFC 9112, section 6.1)",
            )),
        )))
    } else if answers_after_its_writes(&method, &segments) {
        // Its body is read under the timeout (see `read_body`); then it waits for its
        // commit. Cut off there, it would answer 503 for a change that still happens.
        Ok(unless_it_panics(dispatch(&state, req, &segments, &seen)).await)
    } else {
        let routing = unless_it_panics(dispatch(&state, req, &segments, &seen));
        tokio::time::timeout(timeout, routing).await
    };
    let (route, mut response) = match routed {
        Ok(Some((route, Ok(response)))) => (route, response),
        Ok(Some((route, Err(error)))) => (route, refusal(error)),
        // A bug of the host's: the person gets its 500, counted under the route it was
        // in, where hyper would close the connection without a word.
        // Logged by its route, not its path, which may name a person (an address as
        // a user id): the panic's own line says where in the code.
        Ok(None) => {
            let route = seen.get().copied().unwrap_or("unrouted");
            // Throttled per route as the panic's own line is per place.
            static PANICKED: crate::throttle::Throttles = crate::throttle::Throttles::new();
            if let Some(unlogged) = PANICKED.admit(route) {
                tracing::error!(%method, route, unlogged, "a request's handler panicked; answered 500 (one such line per route per 10 s; `unlogged` counts those left out)");
            }
            (route, refusal(HttpError::Internal))
        }
        // Counted under the route it was cut off in, where an administrator looks for
        // the slow answers; "timeout" only if it never reached one.
        Err(_) => (
            seen.get().copied().unwrap_or("timeout"),
            refusal(HttpError::Timeout),
        ),
    };
    if response.status().as_u16() >= 400 || matches!(route, "/healthz" | "/readyz" | "/metrics") {
        response = not_stored(response);
    }
    response.headers_mut().insert(
        hyper::header::X_CONTENT_TYPE_OPTIONS,
        hyper::header::HeaderValue::from_static("nosniff"),
    );
    if coded && response.status() == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        // RFC 9110, section 12.5.3: a body refused for its content coding is answered
        // with the codings that are taken, here none but the body as it is.
        response.headers_mut().insert(
            hyper::header::ACCEPT_ENCODING,
            hyper::header::HeaderValue::from_static("identity"),
        );
    }
    if response.status() == StatusCode::UNAUTHORIZED {
        // RFC 9110, section 15.5.2: a 401 names the scheme that would be accepted, as
        // RFC 6750 spells it for Bearer tokens; an OAuth client reads it to sign in.
        // A token sent and refused (expired, forged, two of them) is `invalid_token`
        // (RFC 6750, section 3.1): the client gets a new one rather than ask anew.
        let challenge = if token_sent {
            "Bearer realm=\"widget-host\", error=\"invalid_token\""
        } else {
            "Bearer realm=\"widget-host\""
        };
        response.headers_mut().insert(
            hyper::header::WWW_AUTHENTICATE,
            hyper::header::HeaderValue::from_static(challenge),
        );
    }
    // Last, once the answer has every header it will have: the ones a script may
    // read are exposed by name.
    cors::allow_origin(&state, origin.as_ref(), &mut response);
    recheck_after(&state.social, response.status());
    gone.answered = true;
    let elapsed = started.elapsed();
    state
        .metrics
        .observe(route, response.status().as_u16(), elapsed);
    tracing::debug!(%peer, %method, %path, status = response.status().as_u16(), elapsed_us = elapsed.as_micros() as u64, "request");
    Ok(response)
}

type Routed = (&'static str, Result<Response<Body>, HttpError>);

/// `routing`'s output, or `None` if polling it panicked; it is not polled again then.
/// The render pool and the writer catch their own jobs' panics; this is for the
/// async code around them.
async fn unless_it_panics<T>(routing: impl std::future::Future<Output = T>) -> Option<T> {
    use std::task::Poll;
    let mut routing = std::pin::pin!(routing);
    std::future::poll_fn(move |cx| {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| routing.as_mut().poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Some(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(None),
        }
    })
    .await
}

/// Why an HTTP/1.1 request's Host field is refused: RFC 9112, section 3.2 has a
/// server answer 400 to one without it, with more than one, or with an invalid
/// value. The host builds its links and redirects from it, and one request with two
/// could be read one way by a proxy and another here. HTTP/1.0 may leave it out; an
/// empty one is what a target without an authority is sent with.
fn host_field_problem<B>(req: &Request<B>) -> Option<&'static str> {
    if req.version() != hyper::Version::HTTP_11 {
        return None;
    }
    let mut hosts = req.headers().get_all(hyper::header::HOST).iter();
    match (hosts.next(), hosts.next()) {
        (None, _) => Some("an HTTP/1.1 request needs a Host header field (RFC 9112, section 3.2)"),
        (Some(_), Some(_)) => {
            Some("a request may carry one Host header field only (RFC 9112, section 3.2)")
        }
        (Some(host), None)
            if !host.is_empty() && !host.to_str().is_ok_and(super::native::names_a_host) =>
        {
            Some("the Host header field is not a host and port (RFC 9112, section 3.2)")
        }
        _ => None,
    }
}

/// Whether the request's transfer codings, if any, are `chunked` alone. hyper takes
/// any list that ends with `chunked` (`gzip, chunked`) and hands on the body with the
/// chunks taken off and the rest still coded, which a handler would read as a form or
/// an envelope of garbled bytes.
fn chunked_at_most<B>(req: &Request<B>) -> bool {
    req.headers()
        .get_all(hyper::header::TRANSFER_ENCODING)
        .iter()
        .flat_map(|value| value.as_bytes().split(|&b| b == b','))
        .map(<[u8]>::trim_ascii)
        .all(|coding| coding.eq_ignore_ascii_case(b"chunked"))
}

/// The status nginx logs for a client that closed its connection before the answer:
/// no HTTP answer has this code, so it cannot be mistaken for one that was sent.
const CLIENT_GONE: u16 = 499;

/// Counts a request whose future was dropped before it was answered under
/// [`CLIENT_GONE`], with the route it had reached ("unrouted" if none): without it,
/// a flood of abandoned requests never showed in `/metrics`.
struct GoneBeforeAnswered<'a> {
    state: &'a AppState,
    seen: &'a RouteSeen,
    started: Instant,
    answered: bool,
}

impl Drop for GoneBeforeAnswered<'_> {
    fn drop(&mut self) {
        if !self.answered {
            let route = self.seen.get().copied().unwrap_or("unrouted");
            // Dropped by a panic in a handler, not by a client: hyper answers nothing,
            // and the host's own failure counts as one.
            let status = if std::thread::panicking() {
                500
            } else {
                CLIENT_GONE
            };
            self.state
                .metrics
                .observe(route, status, self.started.elapsed());
        }
    }
}

/// Where [`dispatch`] notes the route of a request before it waits on it, so that a
/// request the timeout cuts off is still counted under its route.
type RouteSeen = std::sync::OnceLock<&'static str>;

/// `route`, noted in `seen`: written first in an arm's pair, it is set before the
/// arm's handler is awaited.
fn noted(seen: &RouteSeen, route: &'static str) -> &'static str {
    let _ = seen.set(route);
    route
}

/// After an answer of 500, asks whether the database file failed: a read that fails
/// outside a widget's phase (a WSRP registration, a token's directory refresh, the
/// user API) is then seen by `/healthz` too. At most one a second, decided here so a
/// flood of 500s spawns nothing; the recheck itself runs off the runtime.
fn recheck_after(social: &crate::social::Social, status: StatusCode) {
    if status == StatusCode::INTERNAL_SERVER_ERROR
        && social.storage_failure().is_none()
        && social.storage_recheck_due()
    {
        let social = social.clone();
        tokio::task::spawn_blocking(move || social.recheck_storage());
    }
}

/// Routes that change state on the writer: a user's action (native or WSRP), the user
/// API's upkeep and a backup. Their answer says what happened, so it waits for the
/// commit rather than for the request timeout. (A render's directory refresh also
/// writes, but repeats harmlessly on the next render.)
fn answers_after_its_writes(method: &Method, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        (&Method::POST, ["widgets", _, "actions", _])
            | (&Method::POST, ["wsrp", "v2", _])
            | (&Method::PUT | &Method::DELETE, ["api", "users", _])
            | (&Method::POST, ["api", "backup"])
    )
}

async fn dispatch(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    segments: &[&str],
    seen: &RouteSeen,
) -> Routed {
    // HEAD is answered as GET is (RFC 9110, section 9.3.2), and hyper leaves the body
    // out of the answer to a HEAD request.
    let method = match req.method() {
        &Method::HEAD => Method::GET,
        other => other.clone(),
    };
    let demo = state.config.demo_on();
    if demo
        && matches!(segments, [""] | ["content"] | ["demo", ..])
        && !demo::answers_host(&state.config, req.headers())
    {
        return ("demo-host", Err(demo_elsewhere()));
    }
    let wsrp_port = |port: &str| crate::wsrp::wsdl::PORTS.iter().any(|(_, _, p)| *p == port);
    match (&method, segments) {
        (&Method::GET, ["healthz"]) => ("/healthz", Ok(healthz(state.social.storage_failure()))),
        (&Method::GET, ["readyz"]) => ("/readyz", Ok(readyz(state))),
        (&Method::GET, ["metrics"]) => ("/metrics", Ok(metrics(state).await)),
        (&Method::GET, ["widgets"]) => ("/widgets", widgets_catalog(state, &req)),
        (&Method::GET, ["widgets", id, "render"]) => (
            noted(seen, "/widgets/{portletId}/render"),
            widget_routes::render(state, req, id).await,
        ),
        (&Method::POST, ["widgets", id, "actions", name]) => (
            noted(seen, "/widgets/{portletId}/actions/{action}"),
            widget_routes::action(state, req, id, name).await,
        ),
        (&Method::GET, ["widgets", id, "resources", name]) => (
            noted(seen, "/widgets/{portletId}/resources/{resource}"),
            widget_routes::resource(state, req, id, name).await,
        ),
        (&Method::GET, ["wsrp", "v2", "wsdl"]) => ("/wsrp/v2/wsdl", wsrp_routes::wsdl(state, &req)),
        (&Method::POST, ["wsrp", "v2", port]) if *port != "wsdl" => (
            noted(seen, "/wsrp/v2/{port}"),
            wsrp_routes::soap(state, req, port).await,
        ),
        (&Method::GET, [""]) if state.config.demo_on() => {
            (noted(seen, "/"), demo::page(state, req, "dashboard").await)
        }
        (&Method::GET, ["content"]) if state.config.demo_on() => (
            noted(seen, "/content"),
            demo::page(state, req, "content").await,
        ),
        (&Method::GET, ["demo", "switch"]) if state.config.demo_on() => {
            ("/demo/switch", Ok(demo::switch(&req)))
        }
        (&Method::GET, ["demo", "demo.css"]) if state.config.demo_on() => {
            ("/demo/demo.css", demo::stylesheet(req.headers()))
        }
        (&Method::GET, ["api", "openapi.json"]) => {
            ("/api/openapi.json", api::openapi(req.headers()))
        }
        (&Method::GET, ["api", "users", id, "notifications"]) => (
            noted(seen, "/api/users/{id}/notifications"),
            api::notifications(state, req, id).await,
        ),
        (&Method::PUT, ["api", "users", id]) => (
            noted(seen, "/api/users/{id}"),
            api::put_user(state, req, id).await,
        ),
        (&Method::POST, ["api", "backup"]) => {
            (noted(seen, "/api/backup"), api::backup(state, req).await)
        }
        (&Method::DELETE, ["api", "users", id]) => (
            noted(seen, "/api/users/{id}"),
            api::delete_user(state, req, id).await,
        ),
        (&Method::OPTIONS, ["widgets", ..] | ["api", ..]) => ("preflight", Ok(cors::preflight())),
        (_, ["healthz" | "readyz" | "metrics"]) => not_allowed("GET, HEAD"),
        // Its preflight is answered, as under all of /api/.
        (_, ["api", "openapi.json"]) => not_allowed("GET, HEAD, OPTIONS"),
        (_, ["wsrp", "v2", "wsdl"]) => not_allowed("GET, HEAD"),
        (_, ["wsrp", "v2", port]) if wsrp_port(port) => not_allowed("POST"),
        (_, [""] | ["content"] | ["demo", "switch" | "demo.css"]) if demo => {
            not_allowed("GET, HEAD")
        }
        (_, ["widgets"] | ["widgets", _, "render"]) => not_allowed("GET, HEAD, OPTIONS"),
        (_, ["widgets", _, "actions", _]) => not_allowed("POST, OPTIONS"),
        (_, ["widgets", _, "resources", _]) => not_allowed("GET, HEAD, OPTIONS"),
        (_, ["api", "users", _]) => not_allowed("PUT, DELETE, OPTIONS"),
        (_, ["api", "users", _, "notifications"]) => not_allowed("GET, HEAD, OPTIONS"),
        (_, ["api", "backup"]) => not_allowed("POST, OPTIONS"),
        _ => ("not-found", Err(HttpError::NotFound)),
    }
}

fn demo_elsewhere() -> HttpError {
    HttpError::Localized {
        status: StatusCode::MISDIRECTED_REQUEST,
        key: "the-request-is-invalid",
        text: "The demo answers only at an IP address, at localhost, or at the host public_url names: set public_url to the address you open.".into(),
        lang: "en".into(),
    }
}

fn not_allowed(allow: &'static str) -> Routed {
    (
        "method-not-allowed",
        Err(HttpError::MethodNotAllowed { allow }),
    )
}

/// The body's length as its `Content-Length` declares it.
pub fn declared_length<B>(req: &Request<B>) -> Option<u64> {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// Reads the whole body, refusing more than `limit` bytes without buffering them:
/// a declared length over the limit is refused before any byte is read, and a body
/// that has not all arrived within `deadline` gets 408.
pub async fn read_body(
    req: Request<RequestBody>,
    limit: usize,
    deadline: Duration,
) -> Result<Bytes, HttpError> {
    if declared_length(&req).is_some_and(|n| n > limit as u64) {
        return Err(HttpError::PayloadTooLarge { limit });
    }
    let collected = tokio::time::timeout(deadline, Limited::new(req.into_body(), limit).collect())
        .await
        .map_err(|_| HttpError::BodyTimeout)?;
    match collected {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if error.is::<http_body_util::LengthLimitError>() => {
            Err(HttpError::PayloadTooLarge { limit })
        }
        Err(_) => Err(HttpError::BadBody),
    }
}

/// The locale a widget call's refusal is worded in: the URL's `languageId`, else the
/// browser's languages.
fn refusal_locale(
    uri: &hyper::Uri,
    accept_language: Option<&hyper::header::HeaderValue>,
) -> String {
    let language_id = uri.query().and_then(|q| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(name, _)| name == "languageId")
            .map(|(_, value)| value.into_owned())
    });
    crate::i18n::negotiate(
        language_id.as_deref(),
        None,
        accept_language.and_then(|v| v.to_str().ok()),
    )
}

/// The answer on a connection past `max_connections` (`server.rs`): the liveness and
/// readiness probes and the metrics as on any connection, and 503
/// `too-many-connections` for the rest, which the host has no place for. The metrics
/// cost a few string writes, and a host that is full is when a scraper must still
/// read them: refused, its target would read as down just then.
pub(super) fn past_the_limit<B>(state: &AppState, req: &Request<B>) -> Response<Body> {
    let mut answer = not_stored(match (req.method(), req.uri().path()) {
        (&Method::GET | &Method::HEAD, "/healthz") => healthz(state.social.storage_failure()),
        (&Method::GET | &Method::HEAD, "/readyz") => readyz(state),
        // Without the figures read from the disk: no blocking work for a connection
        // the host has no room for.
        (&Method::GET | &Method::HEAD, "/metrics") => metrics_answer(state, (None, None)),
        // A preflight costs nothing to answer, and without its answer the browser
        // never sends the call, whose 503 the script could then read.
        (&Method::OPTIONS, path) if path.starts_with("/widgets/") || path.starts_with("/api/") => {
            cors::preflight()
        }
        // A person's browser that posted a widget's form without the script shows the
        // answer as the page: the host's busy page in their language, not JSON.
        (method, path)
            if response::refusal_is_a_page(req.headers())
                && response::is_widget_call(
                    method,
                    &path
                        .strip_prefix('/')
                        .unwrap_or(path)
                        .split('/')
                        .collect::<Vec<_>>(),
                ) =>
        {
            let locale =
                refusal_locale(req.uri(), req.headers().get(hyper::header::ACCEPT_LANGUAGE));
            HttpError::Busy
                .worded_in(state.languages, &locale)
                .into_page()
        }
        _ => {
            let mut refused = response::bytes(
                StatusCode::SERVICE_UNAVAILABLE,
                "application/json",
                super::server::OVER_CAPACITY,
            );
            refused.headers_mut().insert(
                hyper::header::RETRY_AFTER,
                hyper::header::HeaderValue::from_static("1"),
            );
            refused
        }
    });
    // As on every other answer: a portal's script may read the 503 and its
    // Retry-After (busy, try again) instead of a network error it cannot tell from a
    // host that is down.
    cors::allow_origin(state, req.headers().get(hyper::header::ORIGIN), &mut answer);
    let headers = answer.headers_mut();
    headers.insert(
        hyper::header::X_CONTENT_TYPE_OPTIONS,
        hyper::header::HeaderValue::from_static("nosniff"),
    );
    answer
}

/// `answer` marked `Cache-Control: no-store` unless it says otherwise: a refusal, a
/// health check or the metrics say how things stand now, and a shared cache keeping
/// one (a 404 is cacheable by default, RFC 9110 section 15.1) would answer for a
/// widget deployed since, or for a host that recovered.
fn not_stored(mut answer: Response<Body>) -> Response<Body> {
    if !answer.headers().contains_key(hyper::header::CACHE_CONTROL) {
        answer.headers_mut().insert(
            hyper::header::CACHE_CONTROL,
            hyper::header::HeaderValue::from_static("no-store"),
        );
    }
    answer
}

/// Alive unless the database file has failed: redb takes no more writes on it until
/// it is opened again, so a supervisor watching this should restart the host.
fn healthz(storage_failure: Option<&str>) -> Response<Body> {
    match storage_failure {
        None => response::text(StatusCode::OK, "ok\n"),
        Some(failure) => response::text(
            StatusCode::SERVICE_UNAVAILABLE,
            format!("the database file failed ({failure}); restart the host\n"),
        ),
    }
}

fn readyz(state: &AppState) -> Response<Body> {
    readiness(
        &state.catalog.current(),
        state.social.storage_failure(),
        &state.verifier.jwks_problems(),
        state.started.elapsed(),
    )
}

/// A JWKS file not wholly in use is listed, not made a reason to be unready: one that
/// cannot be read leaves the keys read before signing people in, one that revokes
/// every key concerns that consumer alone, and taking every host out of a load
/// balancer over one consumer's key file would sign everyone out.
fn readiness(
    catalog: &crate::descriptors::Catalog,
    storage_failure: Option<&str>,
    jwks_problems: &[(String, String)],
    uptime: std::time::Duration,
) -> Response<Body> {
    // A host that serves no widget (its descriptors directory empty, or the files
    // copied in flat) has nothing for a portal: not ready, so that a load balancer
    // keeps it out and a deployment check fails, instead of portals finding no widget.
    let (status, code) = match storage_failure {
        Some(_) => ("storage-failed", StatusCode::SERVICE_UNAVAILABLE),
        None if catalog.widgets.is_empty() => ("no-widgets", StatusCode::SERVICE_UNAVAILABLE),
        None => ("ready", StatusCode::OK),
    };
    let body = serde_json::json!({
        "status": status,
        "storageFailure": storage_failure,
        "widgets": catalog.widgets.len(),
        "descriptorProblems": catalog.problems,
        "jwksProblems": jwks_problems
            .iter()
            .map(|(consumer, problem)| serde_json::json!({"consumer": consumer, "problem": problem}))
            .collect::<Vec<_>>(),
        "uptimeSeconds": uptime.as_secs(),
    });
    response::json(code, &body)
}

/// `/metrics`: the counters of requests and connections, and the gauges of what the
/// host holds now.
async fn metrics(state: &AppState) -> Response<Body> {
    let on_disk = state.disk_figures.of(state.config.database_path()).await;
    metrics_answer(state, on_disk)
}

/// `/metrics`' answer, the database file's size and free space as given.
fn metrics_answer(state: &AppState, on_disk: (Option<u64>, Option<u64>)) -> Response<Body> {
    response::bytes(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        metrics_text(state, on_disk),
    )
}

fn metrics_text(state: &AppState, (size, free): (Option<u64>, Option<u64>)) -> String {
    let mut text = state.metrics.render(state.social.snapshots_taken());
    write_health(
        &mut text,
        state.social.storage_failure().is_some(),
        state.catalog.current().problems.len(),
        (size, free),
    );
    let held = WSRP_BYTES_IN_FLIGHT.saturating_sub(state.wsrp_bytes.available_permits());
    super::metrics::write_gauge(
        &mut text,
        "widget_host_wsrp_envelope_held_bytes",
        &format!(
            "Bytes of WSRP envelopes read or being read and not yet handled (at most {WSRP_BYTES_IN_FLIGHT})."
        ),
        held as u64,
    );
    super::metrics::write_commit_times(&mut text, &state.social.commit_totals());
    let waiting = state
        .write_slot_count
        .saturating_sub(state.write_slots.available_permits());
    super::metrics::write_gauge(
        &mut text,
        "widget_host_writes_in_flight",
        &format!(
            "Writes holding one of the host's write slots now (native widget actions, directory refreshes from tokens, user-API writes; WSRP actions take none), waiting for the store's writer or their commit (at most {}; more wait for a slot, and are answered busy if none comes free within the request timeout). A stopping host takes every slot to know the writes are done, so this reads the most while it stops.",
            state.write_slot_count
        ),
        waiting as u64,
    );
    let keys = state.verifier.jwks_key_counts();
    if !keys.is_empty() {
        super::metrics::write_labelled_gauge(
            &mut text,
            "widget_host_jwks_keys",
            "Signing keys in use from each consumer's JWKS file (0: none of its tokens is accepted).",
            "consumer",
            &keys,
        );
    }
    text
}

/// The gauges an operator alerts on besides the counters: a failed database file, the
/// file's size and its disk's free space (each left out when it could not be read),
/// and the descriptors' problems.
fn write_health(
    out: &mut String,
    storage_failed: bool,
    descriptor_problems: usize,
    (size, free): (Option<u64>, Option<u64>),
) {
    super::metrics::write_gauge(
        out,
        "widget_host_storage_failed",
        "1 once the database file failed an I/O operation (a full disk, a failing device): the host takes no writes until restarted, and /healthz answers 503.",
        u64::from(storage_failed),
    );
    if let Some(size) = size {
        super::metrics::write_gauge(
            out,
            "widget_host_database_file_bytes",
            "Size of the database file on disk.",
            size,
        );
    }
    if let Some(free) = free {
        super::metrics::write_gauge(
            out,
            "widget_host_database_disk_free_bytes",
            "Bytes the host may still write on the database file's file system: at none, commits fail and the host stops taking writes.",
            free,
        );
    }
    super::metrics::write_gauge(
        out,
        "widget_host_descriptor_problems",
        "Problems found in the deployed descriptors at their last load (each listed in /readyz): a widget they name may be missing or changed.",
        descriptor_problems as u64,
    );
}

fn widgets_catalog<B>(state: &AppState, req: &Request<B>) -> Result<Response<Body>, HttpError> {
    response::revalidated(
        req.headers(),
        "application/json",
        crate::descriptors::catalog_json(&state.catalog.current()).to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The health gauges say a failed file as 1, and leave out a figure the disk
    /// did not give.
    #[test]
    fn health_gauges_say_what_was_read() {
        let mut failed = String::new();
        write_health(&mut failed, true, 2, (Some(4096), None));
        assert!(
            failed.contains("\nwidget_host_storage_failed 1\n"),
            "{failed}"
        );
        assert!(
            failed.contains("\nwidget_host_descriptor_problems 2\n"),
            "{failed}"
        );
        assert!(
            failed.contains("\nwidget_host_database_file_bytes 4096\n"),
            "{failed}"
        );
        assert!(!failed.contains("free_bytes"), "{failed}");
        let mut healthy = String::new();
        write_health(&mut healthy, false, 0, (None, Some(7)));
        assert!(
            healthy.contains("\nwidget_host_storage_failed 0\n"),
            "{healthy}"
        );
        assert!(
            healthy.contains("\nwidget_host_database_disk_free_bytes 7\n"),
            "{healthy}"
        );
        assert!(!healthy.contains("file_bytes"), "{healthy}");
    }

    /// A handler that panics, at once or after waiting, comes back as `None` (the
    /// request's 500), and one that answers comes back with its answer.
    #[tokio::test]
    async fn a_panicking_handler_is_caught_and_an_answering_one_is_not() {
        let answered = unless_it_panics(async {
            tokio::task::yield_now().await;
            7
        })
        .await;
        assert_eq!(answered, Some(7));
        let at_once = unless_it_panics(async { panic!("a handler bug") }).await;
        assert_eq!(at_once, None::<()>);
        let after_waiting = unless_it_panics(async {
            tokio::task::yield_now().await;
            if answered.is_some() {
                panic!("a handler bug after a wait");
            }
        })
        .await;
        assert_eq!(after_waiting, None);
    }

    fn split(path: &str) -> Vec<&str> {
        path.strip_prefix('/').unwrap_or(path).split('/').collect()
    }

    #[test]
    fn a_failed_database_file_makes_the_host_unhealthy_and_unready() {
        let catalog = crate::descriptors::builtin();
        let uptime = std::time::Duration::from_secs(5);
        assert_eq!(healthz(None).status(), StatusCode::OK);
        assert_eq!(
            readiness(&catalog, None, &[], uptime).status(),
            StatusCode::OK
        );
        // A JWKS file that cannot be used is named, and the host stays ready.
        let jwks = [("liferay".to_owned(), "jwks.json: not JSON".to_owned())];
        let named = readiness(&catalog, None, &jwks, uptime);
        assert_eq!(named.status(), StatusCode::OK);
        let body = json_of(named);
        assert_eq!(body["jwksProblems"][0]["consumer"], "liferay");
        assert_eq!(body["jwksProblems"][0]["problem"], "jwks.json: not JSON");
        let failure = Some("no space left on device");
        assert_eq!(healthz(failure).status(), StatusCode::SERVICE_UNAVAILABLE);
        let ready = readiness(&catalog, failure, &[], uptime);
        assert_eq!(ready.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = json_of(ready);
        assert_eq!(body["status"], "storage-failed");
        assert_eq!(body["storageFailure"], "no space left on device");
    }

    /// A read failure nobody noted (redb keeps it) is found after an answer of 500,
    /// and only then.
    #[tokio::test]
    async fn an_answer_of_500_rechecks_the_database_file() {
        use crate::store::flaky_disk::FlakyDisk;
        use std::sync::atomic::Ordering;
        let disk = FlakyDisk::new();
        let unreadable = Arc::clone(&disk.unreadable);
        let social = crate::social::Social::open_on(disk, FlakyDisk::uncached()).expect("open");
        let person = crate::store::Person {
            id: "ann".into(),
            given_name: "Ann".into(),
            ..Default::default()
        };
        social.upsert_person(person).expect("a healthy write");
        let reader = social.read().expect("a snapshot");
        unreadable.store(true, Ordering::SeqCst);
        assert!(reader.person("ann").is_err(), "the read fails");
        unreadable.store(false, Ordering::SeqCst);

        let social_ref = &social;
        let waited = |tries: u32| async move {
            for _ in 0..tries {
                if social_ref.storage_failure().is_some() {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            }
            false
        };
        for status in [
            StatusCode::OK,
            StatusCode::NOT_FOUND,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            recheck_after(&social, status);
        }
        assert!(!waited(30).await, "only a 500 asks");
        recheck_after(&social, StatusCode::INTERNAL_SERVER_ERROR);
        assert!(waited(1000).await, "a 500 finds the failure");
    }

    fn json_of(response: Response<Body>) -> serde_json::Value {
        use http_body_util::BodyExt;
        let bytes = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(response.into_body().collect())
            .expect("body")
            .to_bytes();
        serde_json::from_slice(&bytes).expect("json")
    }

    #[test]
    fn only_routes_that_write_wait_past_the_request_timeout() {
        for (method, path) in [
            (Method::POST, "/widgets/contacts_center/actions/follow"),
            (Method::POST, "/wsrp/v2/markup"),
            (Method::PUT, "/api/users/alice"),
            (Method::DELETE, "/api/users/alice"),
            (Method::POST, "/api/backup"),
        ] {
            assert!(
                answers_after_its_writes(&method, &split(path)),
                "{method} {path}"
            );
        }
        for (method, path) in [
            (Method::GET, "/widgets/contacts_center/render"),
            (Method::GET, "/widgets/contacts_center/resources/vcard"),
            (Method::GET, "/api/users/alice/notifications"),
            (Method::GET, "/wsrp/v2/wsdl"),
            (Method::GET, "/api/backup"),
            (
                Method::POST,
                "/widgets/contacts_center/actions/follow/extra",
            ),
        ] {
            assert!(
                !answers_after_its_writes(&method, &split(path)),
                "{method} {path}"
            );
        }
    }
}
