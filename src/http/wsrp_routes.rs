//! WSRP 2.0 over HTTP: SOAP envelopes in, the producer's answer out. The producer does
//! the protocol; this only moves bytes and keeps it off the async runtime.

use std::sync::Arc;

use super::linger::RequestBody;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::native::host_base;
use super::response::{self, Body, HttpError};
use super::router::read_body;
use super::state::AppState;
use crate::wsrp::WsrpFault;
use crate::wsrp::producer::transport_fault;

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
    req: Request<RequestBody>,
    port: &str,
) -> Result<Response<Body>, HttpError> {
    let base = host_base(&state.config, req.headers());
    // No more than the parser takes (512 KiB): a larger envelope is refused with 413
    // before it is read, rather than read whole and refused as malformed after.
    let limit = state
        .config
        .limits
        .max_body_bytes
        .min(state.wsrp.max_envelope_bytes());
    let deadline = state.config.limits.request_timeout();
    let envelopes = Arc::clone(&state.wsrp_envelopes);
    let read = match tokio::time::timeout(deadline, envelopes.acquire_owned()).await {
        Ok(Ok(permit)) => read_body(req, limit, deadline)
            .await
            .map(|body| (permit, body)),
        Ok(Err(_)) => Err(HttpError::Internal),
        Err(_) => Err(HttpError::Timeout),
    };
    let reply = match read {
        Ok((permit, body)) => {
            let (state, port) = (Arc::clone(state), port.to_owned());
            // The permit goes with the work: a call its client gave up on still runs.
            tokio::task::spawn_blocking(move || {
                let _permit = permit;
                state.wsrp.handle(&port, &body, &base)
            })
            .await
            .unwrap_or_else(|_| {
                let failed = WsrpFault::OperationFailed("the producer failed".into());
                transport_fault(500, &failed)
            })
        }
        // Refused before the producer saw it: the transport's status, with a SOAP
        // fault for a body, which is what a SOAP client reads.
        Err(refused) => {
            let status = refused.status().as_u16();
            let fault = if status >= 500 {
                // The host's own state (busy), not the envelope: a server fault.
                WsrpFault::OperationFailed(refused.to_string())
            } else {
                WsrpFault::Malformed(refused.to_string())
            };
            transport_fault(status, &fault)
        }
    };
    let mut response = response::text(
        StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        reply.body,
    );
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    Ok(response)
}
