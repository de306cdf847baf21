//! WSRP 2.0 over HTTP: SOAP envelopes in, the producer's answer out. The producer does
//! the protocol; this only moves bytes and keeps it off the async runtime.

use std::sync::Arc;

use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::native::host_base;
use super::response::{self, Body, HttpError};
use super::router::read_body;
use super::state::AppState;

pub fn wsdl<B>(state: &AppState, req: &Request<B>) -> Response<Body> {
    let base = host_base(&state.config, req.headers());
    response::bytes(
        StatusCode::OK,
        "text/xml; charset=utf-8",
        state.wsrp.wsdl(&base),
    )
}

pub async fn soap(
    state: &Arc<AppState>,
    req: Request<Incoming>,
    port: &str,
) -> Result<Response<Body>, HttpError> {
    let base = host_base(&state.config, req.headers());
    let body = read_body(
        req,
        state.config.limits.max_body_bytes,
        state.config.limits.request_timeout(),
    )
    .await?;
    let (state, port) = (Arc::clone(state), port.to_owned());
    let reply = tokio::task::spawn_blocking(move || state.wsrp.handle(&port, &body, &base))
        .await
        .map_err(|_| HttpError::Internal)?;
    let mut response = response::text(
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        reply.body,
    );
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    Ok(response)
}
