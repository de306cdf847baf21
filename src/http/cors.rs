//! CORS for consumer portals: a page of an allowed origin may call the widget and API
//! endpoints from the browser (the progressive-enhancement script does). Tokens travel
//! in headers or parameters, never cookies, so credentials are not allowed.

use hyper::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, ETAG, HeaderValue, RETRY_AFTER,
    VARY, WWW_AUTHENTICATE,
};
use hyper::{Response, StatusCode};

use super::response::{self, Body};
use super::state::AppState;

/// Whether `origin` is one of any consumer's allowed origins.
fn is_allowed(state: &AppState, origin: &str) -> bool {
    state
        .config
        .consumers
        .iter()
        .any(|c| crate::config::origin_allowed(&c.allowed_origins, origin))
}

/// Adds `Access-Control-Allow-Origin` for an allowed origin, and exposes the answer's
/// headers a portal's script acts on: a busy answer's `Retry-After` (busy, not down),
/// a 405's `Allow`, a 401's `WWW-Authenticate` (a token refused, `invalid_token`, or
/// none sent) and the `ETag` of an answer that is revalidated (the API document, the
/// catalog, the WSDL). A header other than a few simple ones is hidden from a script
/// unless named.
pub fn allow_origin(state: &AppState, origin: Option<&HeaderValue>, response: &mut Response<Body>) {
    let headers = response.headers_mut();
    // Appended: a page may vary on more than the origin (the demo's on its cookie).
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin.filter(|o| o.to_str().is_ok_and(|o| is_allowed(state, o))) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        let exposed: Vec<&str> = [
            (RETRY_AFTER, "Retry-After"),
            (ALLOW, "Allow"),
            (WWW_AUTHENTICATE, "WWW-Authenticate"),
            (ETAG, "ETag"),
        ]
        .into_iter()
        .filter(|(name, _)| headers.contains_key(name))
        .map(|(_, written)| written)
        .collect();
        if let Ok(value) = HeaderValue::from_str(&exposed.join(", "))
            && !exposed.is_empty()
        {
            headers.insert(ACCESS_CONTROL_EXPOSE_HEADERS, value);
        }
    }
}

/// Answers a preflight; the origin itself is checked by [`allow_origin`] on the way out.
pub fn preflight() -> Response<Body> {
    let mut response = response::text(StatusCode::NO_CONTENT, "");
    let headers = response.headers_mut();
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, DELETE, OPTIONS"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        // With the conditional headers the API documents for PUT and DELETE: a page's
        // script that sends them would otherwise never get its call sent.
        HeaderValue::from_static(
            "Authorization, Content-Type, Accept, Accept-Language, If-Match, If-None-Match",
        ),
    );
    headers.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
    response
}
