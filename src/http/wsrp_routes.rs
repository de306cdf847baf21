//! WSRP 2.0 over HTTP: SOAP envelopes in, the producer's answer out. The producer does
//! the protocol; this only moves bytes and keeps it off the async runtime.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt;
use tokio::sync::OwnedSemaphorePermit;

use super::linger::RequestBody;
use hyper::header::{CONTENT_TYPE, HeaderValue};
use hyper::{Request, Response, StatusCode};

use super::native::host_base;
use super::response::{self, Body, HttpError};
use super::router::declared_length;
use super::state::{AppState, WSRP_BYTES_IN_FLIGHT};
use crate::wsrp::WsrpFault;
use crate::wsrp::producer::transport_fault;

pub fn wsdl<B>(state: &AppState, req: &Request<B>) -> Result<Response<Body>, HttpError> {
    let base = host_base(&state.config, req.headers());
    response::revalidated(
        req.headers(),
        "text/xml; charset=utf-8",
        state.wsrp.wsdl(&base),
    )
}

pub async fn soap(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    port: &str,
) -> Result<Response<Body>, HttpError> {
    if let Some(refused) = crate::wsrp::producer::unknown_port(port) {
        return Ok(soap_response(state, refused));
    }
    if !is_xml(req.headers()) {
        let refused = WsrpFault::Malformed(
            "a SOAP envelope is sent as text/xml (SOAP 1.1's HTTP binding)".into(),
        );
        return Ok(soap_response(state, transport_fault(415, &refused)));
    }
    if super::response::is_coded(req.headers()) {
        let refused = WsrpFault::Malformed(
            "a SOAP envelope is sent without a content coding (no gzip): the host decodes none"
                .into(),
        );
        return Ok(soap_response(state, transport_fault(415, &refused)));
    }
    // No more than the parser takes (512 KiB): a larger envelope is refused with 413
    // before it is read, rather than read whole and refused as malformed after.
    let limit = state
        .config
        .limits
        .max_body_bytes
        .min(state.wsrp.max_envelope_bytes())
        .min(WSRP_BYTES_IN_FLIGHT);
    let until = tokio::time::Instant::now() + state.config.limits.request_timeout();
    let read = match read_envelope(state, req, limit, until).await {
        Ok((body, bytes)) => {
            let envelopes = Arc::clone(&state.wsrp_envelopes);
            match tokio::time::timeout_at(until, envelopes.acquire_owned()).await {
                Ok(Ok(slot)) => Ok((body, bytes, slot)),
                Ok(Err(_)) => Err(HttpError::Internal),
                Err(_) => Err(HttpError::Timeout),
            }
        }
        Err(refused) => Err(refused),
    };
    let reply = match read {
        Ok((body, bytes, slot)) => {
            let (state, port) = (Arc::clone(state), port.to_owned());
            // The permits go with the work: a call its client gave up on still runs.
            tokio::task::spawn_blocking(move || {
                let _held = (bytes, slot);
                state.wsrp.handle(&port, &body)
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
    Ok(soap_response(state, reply))
}

/// A resource's envelope, held against the budget for large answers as a native
/// export is (see `large_answers::held_while_sent`); markup and the rest as they are.
fn held_if_resource(
    state: &AppState,
    resource: bool,
    body: Vec<u8>,
) -> Result<bytes::Bytes, HttpError> {
    if resource {
        super::large_answers::held_while_sent(&state.large_answers, None, body)
    } else {
        Ok(bytes::Bytes::from(body))
    }
}

/// The reply as an answer. A large resource (base64 in its envelope) holds its size
/// of the host's budget for large answers until its client has read it; with no room
/// it becomes a busy fault, as an export over the native protocol gets 503.
fn soap_response(state: &AppState, reply: crate::wsrp::producer::SoapReply) -> Response<Body> {
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut fault = reply.fault;
    let mut response =
        // A consumer's call, for whichever of its users: the budget, no one's part.
        match held_if_resource(state, reply.resource, reply.body.into_bytes()) {
            Ok(body) => response::text(status, body),
            Err(busy) => {
                let busy = transport_fault(503, &WsrpFault::OperationFailed(busy.to_string()));
                fault = busy.fault;
                response::text(StatusCode::SERVICE_UNAVAILABLE, busy.body)
            }
        };
    if let Some(kind) = fault {
        state.metrics.wsrp_fault(kind.code, kind.name);
    }
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(reply.content_type));
    // Busy (no room for the envelope or the answer, no slot in time): when to try
    // again, as the native protocol's busy answers say.
    if response.status() == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// Whether the body is declared as XML: `text/xml` (SOAP 1.1), `application/soap+xml`
/// (SOAP 1.2, answered with a version mismatch) or `application/xml`. A browser can
/// post `text/plain`, a form or an untyped body to any site without asking it first
/// (CORS's simple requests); refused here, a page someone inside the network opens
/// cannot spend the host's budget of wrong registration secrets.
fn is_xml(headers: &hyper::HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let media = value.split(';').next().unwrap_or("").trim();
    ["text/xml", "application/soap+xml", "application/xml"]
        .iter()
        .any(|xml| media.eq_ignore_ascii_case(xml))
}

/// Reads an envelope of at most `limit` bytes, taking a permit of
/// [`AppState::wsrp_bytes`] for each byte as it arrives: the permits go with the
/// envelope until it has been handled. 413 past `limit` (declared or sent), 408 when
/// the body stalls until `until`. Only an envelope that holds nothing yet waits for
/// room (503 when none comes by `until`): one that holds some and finds no room for
/// its next bytes gets 503 at once, giving back what it held. Waiting while holding
/// would let envelopes that have each read part of themselves wait on one another
/// until their timeouts, once more than the room is being sent at once.
async fn read_envelope(
    state: &AppState,
    req: Request<RequestBody>,
    limit: usize,
    until: tokio::time::Instant,
) -> Result<(Bytes, OwnedSemaphorePermit), HttpError> {
    let declared = declared_length(&req);
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(HttpError::PayloadTooLarge { limit });
    }
    let budget = &state.wsrp_bytes;
    let waiting_for_room = AtomicBool::new(false);
    let read = async {
        let mut body = req.into_body();
        let mut held = Arc::clone(budget)
            .acquire_many_owned(0)
            .await
            .map_err(|_| HttpError::Internal)?;
        // Not sized from the declared length, which would allocate it all before a
        // byte came: grown as bytes arrive, it takes at most twice the permits held.
        let mut bytes = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| HttpError::BadBody)?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            let n = u32::try_from(data.len())
                .ok()
                .filter(|_| bytes.len() + data.len() <= limit)
                .ok_or(HttpError::PayloadTooLarge { limit })?;
            let room = if held.num_permits() == 0 {
                waiting_for_room.store(true, Ordering::Relaxed);
                let room = Arc::clone(budget).acquire_many_owned(n).await;
                waiting_for_room.store(false, Ordering::Relaxed);
                room.map_err(|_| HttpError::Internal)?
            } else {
                Arc::clone(budget)
                    .try_acquire_many_owned(n)
                    .map_err(|_| HttpError::Busy)?
            };
            held.merge(room);
            bytes.extend_from_slice(&data);
        }
        Ok((bytes.freeze(), held))
    };
    match tokio::time::timeout_at(until, read).await {
        Ok(read) => read,
        Err(_) if waiting_for_room.load(Ordering::Relaxed) => Err(HttpError::Timeout),
        Err(_) => Err(HttpError::BodyTimeout),
    }
}
