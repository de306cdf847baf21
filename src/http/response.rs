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
    /// A conditional request (If-Match, If-None-Match) whose condition does not hold.
    #[error("the condition in If-Match or If-None-Match does not hold; nothing was changed")]
    PreconditionFailed,
    /// No room to read the request now; retrying later may find some.
    #[error("the server is busy; retry shortly")]
    Busy,
    /// The body did not arrive within the request timeout.
    #[error("the request body took too long to arrive")]
    BodyTimeout,
    #[error("internal error")]
    Internal,
    /// A request framed in a way the host does not take: a transfer coding other
    /// than chunked (RFC 9112, section 6.1, asks for 501).
    #[error("{0}")]
    NotImplemented(&'static str),
    /// A person's form or download link that had expired: the contract's refusal
    /// (403), and the page it came from, which a person's browser is sent back to at once (`back`, on an
    /// origin its consumer vouched for, saying that nothing was done).
    #[error("{refusal}")]
    FormExpired {
        refusal: Box<HttpError>,
        back: String,
        /// The link's text, for a browser that does not follow the page's refresh.
        back_label: String,
    },
    /// One of the host's own refusals above in a person's language: the same status,
    /// `message` and headers, with `text` from the widgets' bundles.
    #[error("{text}")]
    Worded {
        refusal: Box<HttpError>,
        text: String,
        /// The BCP 47 tag of the language `text` is in.
        lang: String,
    },
    /// A refusal with a language key and its text in the request's locale.
    #[error("{text}")]
    Localized {
        status: StatusCode,
        key: &'static str,
        text: String,
        /// The BCP 47 tag of the language `text` is in.
        lang: String,
    },
}

/// A refusal with `key`'s text in `locale`, from the widgets' bundles.
pub fn localized(
    languages: &crate::i18n::Languages,
    locale: &str,
    status: StatusCode,
    key: &'static str,
) -> HttpError {
    HttpError::Localized {
        status,
        key,
        text: languages.get(locale, key).to_owned(),
        lang: crate::i18n::language_tag(locale),
    }
}

/// A widget's error as a refusal: its key and text in `locale`, and the status that
/// says which kind it is. Internal failures are logged here and answered without
/// their detail.
pub fn widget_refusal(
    languages: &crate::i18n::Languages,
    locale: &str,
    error: crate::widgets::WidgetError,
) -> HttpError {
    use crate::widgets::WidgetError;
    let localized = |status, key| localized(languages, locale, status, key);
    // A widget's own text, already in `locale`; its key's when it gave none.
    let refused = |status, key: &'static str, text: String| HttpError::Localized {
        status,
        key,
        text: if text.is_empty() {
            languages.get(locale, key).to_owned()
        } else {
            text
        },
        lang: crate::i18n::language_tag(locale),
    };
    match error {
        WidgetError::UnknownAction(_) | WidgetError::UnknownResource(_) => localized(
            StatusCode::NOT_FOUND,
            "the-requested-resource-could-not-be-found",
        ),
        WidgetError::UnsupportedMode(_) => {
            localized(StatusCode::BAD_REQUEST, "the-request-is-invalid")
        }
        WidgetError::SignInRequired => localized(
            StatusCode::FORBIDDEN,
            "sign-in-to-see-your-contacts-and-connect-with-people",
        ),
        WidgetError::Forbidden { key, text } => refused(StatusCode::FORBIDDEN, key, text),
        WidgetError::BadRequest { key, text } => refused(StatusCode::BAD_REQUEST, key, text),
        WidgetError::NotFound { key, text } => refused(StatusCode::NOT_FOUND, key, text),
        error @ (WidgetError::Internal(_) | WidgetError::Storage(_)) => {
            crate::widgets::log_failure(&error);
            localized(
                StatusCode::INTERNAL_SERVER_ERROR,
                "an-unexpected-error-occurred",
            )
        }
    }
}

/// The HTTP status of a widget's outcome: 200 when done; 400 for what the request
/// got wrong, 403 for what the viewer may not do, 404 for what does not exist, 409
/// for what the current state forbids.
pub fn outcome_status(kind: crate::widgets::OutcomeKind) -> StatusCode {
    use crate::widgets::OutcomeKind;
    match kind {
        OutcomeKind::Done => StatusCode::OK,
        OutcomeKind::Invalid => StatusCode::BAD_REQUEST,
        OutcomeKind::Forbidden => StatusCode::FORBIDDEN,
        OutcomeKind::NotFound => StatusCode::NOT_FOUND,
        OutcomeKind::Conflict => StatusCode::CONFLICT,
    }
}

impl HttpError {
    /// The BCP 47 tag of the language the refusal's text is in: the request's for a
    /// widget's refusal, English for the host's own words.
    pub fn lang(&self) -> &str {
        match self {
            Self::Localized { lang, .. } | Self::Worded { lang, .. } => lang,
            Self::FormExpired { refusal, .. } => refusal.lang(),
            _ => "en",
        }
    }

    /// The refusal in `locale`'s words where the bundles have the host's own: a person
    /// who pressed a widget's button reads "the server is busy" in their language, on
    /// the page a browser shows and in the `text` a portal's script shows. The
    /// `message` key stays the contract's (`busy`, `timeout` …). A refusal with words
    /// of its own (a widget's, a bad request's reason) is left as it is.
    pub fn worded_in(self, languages: &crate::i18n::Languages, locale: &str) -> Self {
        let key = match &self {
            Self::Busy => "the-server-is-busy-please-try-again-shortly",
            Self::Timeout | Self::BodyTimeout => "the-request-took-too-long-please-try-again",
            Self::Internal => "something-went-wrong-please-try-again",
            Self::PayloadTooLarge { .. } => "the-request-is-too-large",
            Self::BadBody => "the-request-is-invalid",
            _ => return self,
        };
        Self::Worded {
            text: languages.get(locale, key).to_owned(),
            lang: crate::i18n::language_tag(locale),
            refusal: Box::new(self),
        }
    }

    /// The answer's `message`: the contract's key, whatever language its text is in.
    fn message(&self) -> &'static str {
        match self {
            Self::NotFound => "not-found",
            Self::MethodNotAllowed { .. } => "method-not-allowed",
            Self::PayloadTooLarge { .. } => "payload-too-large",
            Self::BadBody | Self::BadRequest(_) => "bad-request",
            Self::Timeout => "timeout",
            Self::PreconditionFailed => "precondition-failed",
            Self::Busy => "busy",
            Self::BodyTimeout => "request-timeout",
            Self::Internal => "internal-error",
            Self::NotImplemented(_) => "not-implemented",
            Self::Localized { key, .. } => key,
            Self::FormExpired { .. } => "this-form-has-expired-please-reload-the-page",
            Self::Worded { refusal, .. } => refusal.message(),
        }
    }

    /// The refusal under any words given to it.
    fn unworded(&self) -> &Self {
        match self {
            Self::Worded { refusal, .. } => refusal,
            other => other,
        }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Self::BadBody | Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Timeout | Self::Busy => StatusCode::SERVICE_UNAVAILABLE,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            Self::NotImplemented(_) => StatusCode::NOT_IMPLEMENTED,
            Self::Localized { status, .. } => *status,
            Self::FormExpired { refusal, .. } | Self::Worded { refusal, .. } => refusal.status(),
        }
    }

    /// The answer: JSON `{"ok": false, "message", "text", "relationship": null}`, the
    /// shape action answers use (DESIGN section 3, "After an action"). A refusal comes
    /// before any widget looked at a person, so there is no relationship to give, but
    /// the key is there: a portal's script reads one shape, success or not.
    pub fn into_response(self) -> Response<Body> {
        if let Self::FormExpired { refusal, .. } = self {
            return refusal.into_response();
        }
        let key = self.message();
        let allow = match self.unworded() {
            Self::MethodNotAllowed { allow } => Some(*allow),
            _ => None,
        };
        let busy = self.unworded().did_nothing_busy();
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
        if busy {
            retry_shortly(&mut response);
        }
        response
    }

    /// The answer as a page for a person: a browser that posted a widget's form or
    /// followed its download link without the script (a form left open past its
    /// `p_auth`'s expiry, a preference the host refuses) would otherwise show the
    /// JSON a portal's script reads. The same status; the text alone, in its
    /// language, as the page's title and heading. The browser's Back button returns
    /// to the portal page. Only an expired form or download link, whose token the host
    /// did issue, has a page to go back to: its refusal refreshes to that page at once (an instant
    /// refresh, which keeps the contract's status), with a link for a browser that
    /// does not follow it.
    pub fn into_page(self) -> Response<Body> {
        let (this, back) = match self {
            Self::FormExpired {
                refusal,
                back,
                back_label,
            } => (*refusal, Some((back, back_label))),
            other => (other, None),
        };
        let (mut refresh, mut link) = (String::new(), String::new());
        if let Some((back, label)) = back {
            let mut url = String::new();
            let _ = crate::templates::write_escaped(&mut url, &back);
            let mut label_text = String::new();
            let _ = crate::templates::write_escaped(&mut label_text, &label);
            refresh = format!("<meta http-equiv=\"refresh\" content=\"0; url={url}\">");
            link = format!("<p><a href=\"{url}\">{label_text}</a></p>");
        }
        let status = this.status();
        let lang = this.lang().to_owned();
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = crate::templates::write_escaped(&mut text, &this.to_string());
        let mut lang_attr = String::new();
        let _ = crate::templates::write_escaped(&mut lang_attr, &lang);
        let page = format!(
            "<!DOCTYPE html>\n<html lang=\"{lang_attr}\">\n<head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <meta name=\"robots\" content=\"noindex\">{refresh}<title>{text}</title></head>\n\
             <body><main><h1>{text}</h1>{link}</main></body>\n</html>\n"
        );
        let mut response = html(status, page);
        let headers = response.headers_mut();
        headers.insert(
            hyper::header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        forbid_framing(headers);
        if let Ok(value) = HeaderValue::from_str(&lang) {
            headers.insert(hyper::header::CONTENT_LANGUAGE, value);
        }
        if let Self::MethodNotAllowed { allow } = this.unworded() {
            headers.insert(hyper::header::ALLOW, HeaderValue::from_static(allow));
        }
        if this.unworded().did_nothing_busy() {
            retry_shortly(&mut response);
        }
        response
    }
}

impl HttpError {
    /// A 503 of a host too busy to do what was asked, which did nothing of it: refused
    /// as busy, or cut at the request timeout, which is never an action's (the router
    /// leaves actions uncut, past their body, since they commit; a WSRP call is cut
    /// only while it waits for room to be read). Waiting in the render queue for the
    /// whole timeout is the busy host's answer too, and a portal told when to retry
    /// can tell it from a failure.
    fn did_nothing_busy(&self) -> bool {
        matches!(self, Self::Busy | Self::Timeout)
    }
}

/// A busy host's 503 says when to come back (RFC 9110, section 10.2.3), and that it
/// did nothing: the enhancement script posts such a refused form again the ordinary
/// way, as it does a 4xx, rather than reloading the page over what was typed.
fn retry_shortly(response: &mut Response<Body>) {
    response
        .headers_mut()
        .insert(hyper::header::RETRY_AFTER, HeaderValue::from_static("1"));
}

/// A widget's action or download: the calls a person's browser makes straight to the
/// host, whose refusals may be read by a person ([`refusal_is_a_page`]).
pub fn is_widget_call(method: &hyper::Method, segments: &[&str]) -> bool {
    matches!(
        (method, segments),
        (&hyper::Method::POST, ["widgets", _, "actions", _])
            | (
                &hyper::Method::GET | &hyper::Method::HEAD,
                ["widgets", _, "resources", _]
            )
    )
}

/// Whether the body comes in a content coding (`Content-Encoding: gzip`, `br` …):
/// the host decodes none, and would otherwise read the coded bytes as the form or
/// document they hide (RFC 9110, section 8.4: 415 for a coding not taken).
pub fn is_coded(headers: &hyper::HeaderMap) -> bool {
    headers
        .get_all(hyper::header::CONTENT_ENCODING)
        .iter()
        .any(|v| {
            v.to_str().map_or(true, |v| {
                v.split(',').any(|coding| {
                    let coding = coding.trim();
                    !coding.is_empty() && !coding.eq_ignore_ascii_case("identity")
                })
            })
        })
}

/// Whether `Accept` names JSON, in any case: the contract's JSON answers.
pub fn names_json(headers: &hyper::HeaderMap) -> bool {
    accepts(headers, "application/json")
}

/// Whether the request's `Accept` names `media` (in any case) with a weight above
/// zero. Every `Accept` field counts, as one list (RFC 9110, section 5.3), and a
/// range with `q=0` says "not this" (section 12.4.2): `application/json;q=0` asks
/// for anything but JSON. A weight that is no q-value (`q=abc`, `q=NaN`) counts as
/// zero, as it does in `Accept-Language`.
fn accepts(headers: &hyper::HeaderMap, media: &str) -> bool {
    headers
        .get_all(hyper::header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|range| {
            let mut parts = range.split(';');
            let named = parts
                .next()
                .is_some_and(|m| m.trim().eq_ignore_ascii_case(media));
            let refused = parts.any(|p| {
                p.split_once('=').is_some_and(|(name, weight)| {
                    name.trim().eq_ignore_ascii_case("q")
                        && crate::i18n::parse_quality(weight.trim()).unwrap_or(0) == 0
                })
            });
            named && !refused
        })
}

/// Whether a refusal of a widget call is for a person to read rather than for a
/// portal's code: asked for as a page (a browser's form post or link sends
/// `Accept: text/html`; the script's requests do too), not as JSON, and without a
/// Bearer token. A portal's code keeps the JSON the contract gives it: it names JSON,
/// sends `*/*`, or signs its calls with its token, which a browser never sends; a
/// Java client's default `Accept` names `text/html` too.
pub fn refusal_is_a_page(headers: &hyper::HeaderMap) -> bool {
    accepts(headers, "text/html")
        && !names_json(headers)
        && matches!(super::native::bearer_authorization(headers), Ok(None))
}

/// A 303 to `location`, with no body. A `location` that is no header value (it is
/// built from serialized URLs, so none is) is a 500: a 303 without a `Location`
/// shows a blank page, and the script, reading it as an answer that did not go
/// through, would post the action again, where a 500 tells it the action may have run.
pub fn see_other(location: &str) -> Result<Response<Body>, HttpError> {
    let value = HeaderValue::from_str(location).map_err(|_| {
        tracing::error!(location, "a redirect's location is not a header value");
        HttpError::Internal
    })?;
    let mut response = text(StatusCode::SEE_OTHER, "");
    response
        .headers_mut()
        .insert(hyper::header::LOCATION, value);
    Ok(response)
}

/// A 200 of `body`, which a cache must check with the host before each use: an answer
/// for everyone that changes without its address changing (the catalog at a
/// descriptor's reload, the API document and WSDL at an upgrade). Without it, a proxy's
/// default lifetime (Varnish keeps such an answer 120 s) serves the old one.
///
/// Its entity tag is a digest of the bytes, so a check finds an unchanged answer
/// without the host keeping versions: a request whose `If-None-Match` names it (or
/// `*`) gets 304 with no body (RFC 9110, section 13.1.2), which a portal polling the
/// catalog, or a browser reloading the demo's stylesheet, then does not download
/// again; one whose `If-Match` names neither it nor `*` gets 412 (section 13.1.1),
/// which is decided first.
pub fn revalidated(
    request: &hyper::HeaderMap,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Result<Response<Body>, HttpError> {
    use sha2::Digest as _;
    let body = body.into();
    let digest = sha2::Sha256::digest(&body);
    let mut tag = String::with_capacity(34);
    tag.push('"');
    for byte in &digest[..16] {
        let _ = std::fmt::Write::write_fmt(&mut tag, format_args!("{byte:02x}"));
    }
    tag.push('"');
    // A client that asks for this answer only as it holds it (`If-Match`, compared
    // strongly) gets 412 once it changed (RFC 9110, section 13.1.1).
    if let Some(listed) = listed_tags(request, hyper::header::IF_MATCH)
        && !listed.iter().any(|item| *item == "*" || *item == tag)
    {
        return Err(HttpError::PreconditionFailed);
    }
    let mut response = if listed_tags(request, hyper::header::IF_NONE_MATCH)
        .is_some_and(|listed| listed.iter().any(|item| names(item, &tag)))
    {
        let mut unchanged = Response::new(Body::default());
        *unchanged.status_mut() = StatusCode::NOT_MODIFIED;
        unchanged
    } else {
        bytes(StatusCode::OK, content_type, body)
    };
    let headers = response.headers_mut();
    headers.insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static("no-cache"),
    );
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        headers.insert(hyper::header::ETAG, tag);
    }
    Ok(response)
}

/// The items of a conditional field (`If-Match`, `If-None-Match`): every line of it,
/// as one comma-separated list (RFC 9110, section 5.3); `None` when it is absent, and
/// empty when it is sent empty (a list that names no tag). A line that is not text
/// is an item that names nothing.
fn listed_tags(request: &hyper::HeaderMap, field: hyper::header::HeaderName) -> Option<Vec<&str>> {
    let lines = request.get_all(field);
    lines.iter().next()?;
    Some(
        lines
            .iter()
            .flat_map(|line| line.to_str().unwrap_or("\"?\"").split(','))
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .collect(),
    )
}

/// Whether an `If-None-Match` item names `tag`: `*`, or the tag compared weakly (a
/// `W/` before it is not part of it), as RFC 9110 asks of this field.
fn names(item: &str, tag: &str) -> bool {
    item == "*" || item.strip_prefix("W/").unwrap_or(item) == tag
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

/// Says no page of another site may frame this one. A page the host shows a person
/// itself (the demo portal, a refusal with its way back) holds forms with live
/// `p_auth` tokens: framed by a site the person visits, its buttons could be pressed
/// for them by a click on something laid over it. Fragments need no such header: a
/// portal fetches them server to server and puts them in its own page.
pub fn forbid_framing(headers: &mut hyper::HeaderMap) {
    headers.insert(
        hyper::header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    // For browsers that predate `frame-ancestors`.
    headers.insert(
        hyper::header::X_FRAME_OPTIONS,
        HeaderValue::from_static("DENY"),
    );
}

pub fn json(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    bytes(status, "application/json", value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An answer for everyone carries a digest of its bytes as its entity tag, and a
    /// request naming that tag, weakly or in a list or as `*`, gets 304 without the
    /// bytes; a request naming another tag, or none, gets them.
    #[tokio::test]
    async fn a_revalidated_answer_is_unchanged_for_a_request_naming_its_tag() {
        use http_body_util::BodyExt as _;
        let asked = |lines: &[&[u8]]| {
            let mut headers = hyper::HeaderMap::new();
            for line in lines {
                headers.append(
                    hyper::header::IF_NONE_MATCH,
                    HeaderValue::from_bytes(line).expect("header"),
                );
            }
            revalidated(&headers, "text/css", "a { }").expect("no If-Match")
        };
        let first = asked(&[]);
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[hyper::header::CACHE_CONTROL], "no-cache");
        let tag = first.headers()[hyper::header::ETAG]
            .to_str()
            .expect("text")
            .to_owned();
        assert_eq!(tag.len(), 34, "{tag}");
        assert!(tag.starts_with('"') && tag.ends_with('"'), "{tag}");
        let other = revalidated(&hyper::HeaderMap::new(), "text/css", "b { }").expect("answered");
        assert_ne!(other.headers()[hyper::header::ETAG], tag.as_str());
        let weak = format!("W/{tag}");
        let listed = format!("\"x\", {tag}");
        for lines in [
            vec![tag.as_bytes()],
            vec![weak.as_bytes()],
            vec![listed.as_bytes()],
            vec![b"\"x\"".as_slice(), tag.as_bytes()],
            vec![b"*".as_slice()],
        ] {
            let answer = asked(&lines);
            assert_eq!(answer.status(), StatusCode::NOT_MODIFIED, "{lines:?}");
            assert_eq!(answer.headers()[hyper::header::ETAG], tag.as_str());
            assert_eq!(answer.headers()[hyper::header::CACHE_CONTROL], "no-cache");
            let body = answer.into_body().collect().await.expect("body").to_bytes();
            assert!(body.is_empty());
        }
        // The same tag but for its last digit.
        let last = if &tag[32..33] == "0" { "1" } else { "0" };
        let stale = format!("{}{last}\"", &tag[..32]);
        for lines in [vec![stale.as_bytes()], vec![b"\xff".as_slice()]] {
            let answer = asked(&lines);
            assert_eq!(answer.status(), StatusCode::OK, "{lines:?}");
            let body = answer.into_body().collect().await.expect("body").to_bytes();
            assert_eq!(body, "a { }");
        }
        // `If-Match` holds for its tag (strongly) or `*`, and is 412 otherwise.
        let if_match = |value: &str| {
            let mut headers = hyper::HeaderMap::new();
            headers.insert(
                hyper::header::IF_MATCH,
                HeaderValue::from_str(value).expect("header"),
            );
            revalidated(&headers, "text/css", "a { }")
        };
        for holds in [tag.as_str(), "*", &format!("\"x\", {tag}")] {
            let answer = if_match(holds).expect(holds);
            assert_eq!(answer.status(), StatusCode::OK, "{holds}");
        }
        for fails in [stale.as_str(), weak.as_str(), "", " , "] {
            assert!(
                matches!(if_match(fails), Err(HttpError::PreconditionFailed)),
                "{fails}"
            );
        }
    }

    /// A redirect goes out with its `Location`, and one whose location could not be
    /// a header is a 500, never a 303 without one.
    #[test]
    fn a_redirect_carries_its_location_or_is_an_error() {
        let answer = see_other("https://portal.example/web/home?p_p_id=a%20b").unwrap();
        assert_eq!(answer.status(), StatusCode::SEE_OTHER);
        assert_eq!(
            answer.headers()[hyper::header::LOCATION],
            "https://portal.example/web/home?p_p_id=a%20b"
        );
        for broken in ["https://portal.example/\nSet-Cookie: a=b", "/a\u{7f}"] {
            assert!(
                matches!(see_other(broken), Err(HttpError::Internal)),
                "{broken:?}"
            );
        }
    }

    /// The host's own refusals of a widget call are worded in the person's language,
    /// as a page and as JSON's `text`, keeping the contract's `message`, the status
    /// and a busy host's Retry-After; a refusal with words of its own keeps them.
    #[tokio::test]
    async fn the_hosts_own_refusals_are_worded_in_the_persons_language() {
        let languages = &crate::i18n::Languages::builtin();
        let german = |key| languages.get("de_DE", key).to_owned();
        let page = HttpError::Busy.worded_in(languages, "de_DE").into_page();
        assert_eq!(page.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(page.headers()[hyper::header::RETRY_AFTER], "1");
        assert_eq!(page.headers()[hyper::header::CONTENT_LANGUAGE], "de-DE");
        let text = body(page).await;
        let busy = german("the-server-is-busy-please-try-again-shortly");
        assert!(
            text.starts_with("<!DOCTYPE html>\n<html lang=\"de-DE\">"),
            "{text}"
        );
        assert!(text.contains(&format!("<h1>{busy}</h1>")), "{text}");
        for (refusal, status, message, key) in [
            (
                HttpError::Busy,
                503,
                "busy",
                "the-server-is-busy-please-try-again-shortly",
            ),
            (
                HttpError::Timeout,
                503,
                "timeout",
                "the-request-took-too-long-please-try-again",
            ),
            (
                HttpError::Internal,
                500,
                "internal-error",
                "something-went-wrong-please-try-again",
            ),
            (
                HttpError::BodyTimeout,
                408,
                "request-timeout",
                "the-request-took-too-long-please-try-again",
            ),
            (
                HttpError::BadBody,
                400,
                "bad-request",
                "the-request-is-invalid",
            ),
            (
                HttpError::PayloadTooLarge { limit: 9 },
                413,
                "payload-too-large",
                "the-request-is-too-large",
            ),
        ] {
            // A busy host, and a call cut at its timeout (waiting its turn to render),
            // did nothing and say when to retry; the other refusals do not.
            let retry = matches!(refusal, HttpError::Busy | HttpError::Timeout);
            let answer = refusal.worded_in(languages, "de_DE").into_response();
            assert_eq!(answer.status().as_u16(), status, "{message}");
            assert_eq!(
                answer.headers().get(hyper::header::RETRY_AFTER).is_some(),
                retry,
                "{message}"
            );
            let json: serde_json::Value = serde_json::from_str(&body(answer).await).expect("json");
            assert_eq!(json["message"], message);
            assert_eq!(json["text"], german(key).as_str(), "{message}");
            assert_ne!(
                german(key),
                languages.get("en_US", key),
                "{key} is translated"
            );
        }
        let own = HttpError::BadRequest("a reason of its own".into()).worded_in(languages, "de_DE");
        assert_eq!(own.to_string(), "a reason of its own");
    }

    /// A busy host's refusal, JSON or page, says when to retry: the script reads it as
    /// "nothing was done", where another 5xx might have come after the action ran. A
    /// call cut at its timeout says so too: the router cuts no action (past its body),
    /// so such a call read or rendered, and did nothing.
    #[test]
    fn a_busy_refusal_says_when_to_retry() {
        for response in [
            HttpError::Busy.into_response(),
            HttpError::Busy.into_page(),
            HttpError::Timeout.into_response(),
            HttpError::Timeout.into_page(),
        ] {
            assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert_eq!(response.headers()[hyper::header::RETRY_AFTER], "1");
        }
        for other in [
            HttpError::Internal.into_response(),
            HttpError::Internal.into_page(),
        ] {
            assert!(other.headers().get(hyper::header::RETRY_AFTER).is_none());
        }
    }

    /// Each kind of a widget's outcome has its own status, which the contract names:
    /// a portal's script tells a block (409) from a mistake (400) by it.
    #[test]
    fn each_kind_of_outcome_has_its_status() {
        use crate::widgets::OutcomeKind;
        for (kind, status) in [
            (OutcomeKind::Done, 200),
            (OutcomeKind::Invalid, 400),
            (OutcomeKind::Forbidden, 403),
            (OutcomeKind::NotFound, 404),
            (OutcomeKind::Conflict, 409),
        ] {
            assert_eq!(outcome_status(kind).as_u16(), status, "{kind:?}");
        }
    }
    use http_body_util::BodyExt;

    async fn body(response: Response<Body>) -> String {
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        String::from_utf8(bytes.to_vec()).expect("utf-8")
    }

    /// A refusal's text can hold what a caller sent: the page escapes it, names its
    /// language, and keeps what the JSON answer's headers say.
    #[tokio::test]
    async fn a_refusal_page_escapes_its_text_and_keeps_its_headers() {
        let page = HttpError::BadRequest("<script>alert(1)</script> & co".into()).into_page();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert_eq!(page.headers()[hyper::header::CONTENT_LANGUAGE], "en");
        let html = body(page).await;
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
            "{html}"
        );
        assert!(
            html.contains("<h1>&lt;script&gt;alert(1)&lt;/script&gt; &amp; co</h1>"),
            "{html}"
        );
        assert!(!html.contains("<script>"), "{html}");
        let refused = HttpError::MethodNotAllowed { allow: "POST" }.into_page();
        assert_eq!(
            refused.headers()[hyper::header::CONTENT_SECURITY_POLICY],
            "frame-ancestors 'none'"
        );
        assert_eq!(refused.headers()[hyper::header::X_FRAME_OPTIONS], "DENY");
        assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(refused.headers()[hyper::header::ALLOW], "POST");
        // An expired form's page keeps its refusal's status and text, and leads back
        // with its address and label escaped; as JSON it is the refusal alone.
        let expired = || HttpError::FormExpired {
            refusal: Box::new(HttpError::BadRequest("gone".into())),
            back: "https://p.test/a?x=1&y=\"><script>".into(),
            back_label: "<Back>".into(),
        };
        let page = expired().into_page();
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        let html = body(page).await;
        let url = "https://p.test/a?x=1&amp;y=&quot;&gt;&lt;script&gt;";
        assert!(
            html.contains(&format!(
                "<meta http-equiv=\"refresh\" content=\"0; url={url}\">"
            )),
            "{html}"
        );
        assert!(
            html.contains(&format!(
                "<h1>gone</h1><p><a href=\"{url}\">&lt;Back&gt;</a></p>"
            )),
            "{html}"
        );
        let json = body(expired().into_response()).await;
        assert!(json.contains("\"message\":\"bad-request\""), "{json}");
        assert!(!json.contains("p.test"), "{json}");
    }

    /// Only a widget's action or download, asked for as a page by a browser.
    #[test]
    fn only_a_browsers_widget_call_gets_a_page() {
        let (post, get, head) = (hyper::Method::POST, hyper::Method::GET, hyper::Method::HEAD);
        let action = ["widgets", "cc", "actions", "follow"];
        let download = ["widgets", "cc", "resources", "vcard"];
        assert!(is_widget_call(&post, &action));
        assert!(is_widget_call(&get, &download) && is_widget_call(&head, &download));
        assert!(!is_widget_call(&get, &action), "a GET is no action");
        assert!(!is_widget_call(&get, &["widgets", "cc", "render"]));
        assert!(!is_widget_call(&get, &["api", "users", "x"]));

        let headers = |pairs: &[(&'static str, &'static str)]| {
            let mut map = hyper::HeaderMap::new();
            for (name, value) in pairs {
                map.append(*name, HeaderValue::from_static(value));
            }
            map
        };
        let browser = "text/html,application/xhtml+xml,*/*;q=0.8";
        // Java's HttpURLConnection, by default.
        let java = "text/html, image/gif, image/jpeg, */*; q=.2";
        assert!(refusal_is_a_page(&headers(&[("accept", browser)])));
        assert!(refusal_is_a_page(&headers(&[("accept", "TEXT/HTML")])));
        assert!(refusal_is_a_page(&headers(&[
            ("accept", browser),
            ("authorization", "Basic Z2F0ZTp3YXk=")
        ])));
        // JSON refused by its weight leaves a page; HTML refused so is no page.
        assert!(refusal_is_a_page(&headers(&[(
            "accept",
            "application/json;q=0, text/html"
        )])));
        for code in [
            headers(&[("accept", "text/html, Application/JSON")]),
            // Two fields are one list.
            headers(&[("accept", "text/html"), ("accept", "application/json")]),
            headers(&[("accept", "text/html; q=0, */*")]),
            headers(&[("accept", "*/*")]),
            headers(&[]),
            headers(&[("accept", java), ("authorization", "Bearer x.y.z")]),
        ] {
            assert!(!refusal_is_a_page(&code), "{code:?}");
        }
        assert!(names_json(&headers(&[
            ("accept", "text/html"),
            ("accept", "application/json; charset=utf-8")
        ])));
        assert!(!names_json(&headers(&[(
            "accept",
            "application/json;q=0.0"
        )])));
        assert!(!names_json(&headers(&[("accept", "application/jsonl")])));
        for weight in ["abc", "NaN", "inf", "-1", "2"] {
            let said = format!("application/json;q={weight}");
            let mut one = hyper::HeaderMap::new();
            one.append("accept", HeaderValue::from_str(&said).expect("header"));
            assert!(!names_json(&one), "{said}");
        }
        assert!(names_json(&headers(&[(
            "accept",
            "application/json;q=0.001"
        )])));

        assert!(!is_coded(&headers(&[])));
        assert!(!is_coded(&headers(&[("content-encoding", "identity")])));
        for coded in [
            headers(&[("content-encoding", "gzip")]),
            headers(&[("content-encoding", "identity, br")]),
            headers(&[
                ("content-encoding", "identity"),
                ("content-encoding", "deflate"),
            ]),
        ] {
            assert!(is_coded(&coded), "{coded:?}");
        }
    }
}
