//! Building responses, and the one place where errors become HTTP answers.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Response, StatusCode};

pub type Body = Full<Bytes>;

/// Why the HTTP layer refused a request before (or instead of) a widget answering.
/// Messages are safe to show: they never echo internals.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("no such resource")]
    NotFound,
    /// With the methods the route does take, for the `Allow` header.
    #[error("method not allowed")]
    MethodNotAllowed { allow: &'static str },
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("could not read the request body")]
    BadBody,
    #[error("{0}")]
    BadRequest(String),
    #[error("the request took too long")]
    Timeout,
    /// No room to read the request now; retrying later may find some.
    #[error("the server is busy; retry shortly")]
    Busy,
    /// The body did not arrive within the request timeout.
    #[error("the request body took too long to arrive")]
    BodyTimeout,
    #[error("internal error")]
    Internal,
    /// A refusal with a language key and its text in the request's locale.
    #[error("{text}")]
    Localized {
        status: StatusCode,
        key: &'static str,
        text: String,
    },
}

impl HttpError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadBody | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Timeout | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Localized { status, .. } => *status,
        }
    }

    /// The answer: JSON `{"ok": false, "message", "text", "relationship": null}`, the
    /// shape action answers use (DESIGN section 3, "After an action"). A refusal comes
    /// before any widget looked at a person, so there is no relationship to give, but
    /// the key is there: a portal's script reads one shape, success or not.
    pub fn into_response(self) -> Response<Body> {
        let key = match &self {
            Self::NotFound => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::BadBody | Self::BadRequest(_) => "bad-request",
            Self::Timeout => "timeout",
            Self::Busy => "busy",
            Self::BodyTimeout => "request-timeout",
            Self::Internal => "internal-error",
            Self::Localized { key, .. } => key,
        };
        let allow = match &self {
            Self::MethodNotAllowed { allow } => Some(*allow),
            _ => None,
        };
        let mut response = json(
            self.status(),
            &serde_json::json!({
                "ok": false,
                "message": key,
                "text": self.to_string(),
                "relationship": null,
            }),
        );
        if let Some(allow) = allow {
            // RFC 9110, section 15.5.6: a 405 names the methods the resource takes.
            response.headers_mut().insert(
                hyper::header::ALLOW,
                hyper::header::HeaderValue::from_static(allow),
            );
        }
        response
    }
}

pub fn bytes(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Body> {
    let mut response = Response::new(Full::new(body.into()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

pub fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    bytes(status, "text/plain; charset=utf-8", body)
}

pub fn html(status: StatusCode, body: impl Into<Bytes>) -> Response<Body> {
    bytes(status, "text/html; charset=utf-8", body)
}

pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    bytes(status, "application/json", value.to_string())
}
