//! The native protocol's three phases over HTTP: who is calling, which widget, which
//! parameters; then the widget runs (renders and resources on the render pool, an
//! action as a task that waits for its commit) and its answer becomes HTTP.

use std::sync::Arc;

use super::linger::RequestBody;
use bytes::Bytes;
use hyper::header::{
    ACCEPT_LANGUAGE, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_LANGUAGE, CONTENT_TYPE,
    HeaderValue,
};
use hyper::http::request::Parts;
use hyper::{Request, Response, StatusCode};

use super::claims::Ticket;
use super::native::{self, NativeUrls, TokenMinter};
use super::response::{self, Body, HttpError};
use super::router::read_body;
use super::state::AppState;
use crate::portal::auth::{
    AuthError, FORM_EXPIRED, LINK_EXPIRED, PAuthBinding, PAuthTarget, TokenNames, outcome,
};
use crate::portal::{self, Phase, PortalUser, PortletId, PortletMode, Viewer, WindowState};
use crate::widgets::{ActionOutcome, Widget, WidgetError};

/// Separates consumer, user and MAC in the `p_auth` value the browser carries. Neither
/// consumer ids ([`crate::config::is_consumer_id`]) nor user ids may contain it, nor
/// the MAC's base64url, so the split is unambiguous. A consumer id may hold `&`, `=`,
/// `%`, `#` and the like (an issuer URL): the value is percent-encoded wherever it goes
/// into a URL, and a form field either way.
const P_AUTH_SEPARATOR: char = '~';

/// Role a `save-preferences` `p_auth` carries: such tokens are only minted for viewers
/// who had an administrator role when the edit form was rendered, and last
/// [`ADMIN_P_AUTH_TTL`](crate::portal::auth::ADMIN_P_AUTH_TTL).
const PREFERENCES_ROLE: &str = "Site Administrator";

/// Who is calling, and how they proved it.
enum Caller {
    Guest,
    /// A portal acting server-to-server with the user's JWT.
    Bearer(PortalUser),
    /// A browser posting a form (or following a link) the host rendered.
    PAuth(PortalUser),
}

impl Caller {
    fn user(&self) -> Option<&PortalUser> {
        match self {
            Self::Guest => None,
            Self::Bearer(u) | Self::PAuth(u) => Some(u),
        }
    }
}

/// What the three phases share once the request is understood.
struct Prepared {
    request: portal::Request,
    widget: Arc<dyn Widget>,
    caller_consumer: Option<String>,
    host_base: String,
    wants_json: bool,
    /// The widget's namespaced `redirect` parameter, if any.
    redirect: Option<String>,
    /// The portal parameters the widget's links keep (see `prepare`), which the
    /// redirect after an action keeps too.
    kept: Vec<(String, String)>,
    /// A portal vouched for the caller with a JWT: bring their directory entry up to
    /// date from its claims before the widget runs.
    refresh_directory: bool,
}

/// Render phase. Generic over the body (render reads none) so the demo portal can call
/// it in-process with the same headers a remote portal would send.
pub async fn render<B>(
    state: &Arc<AppState>,
    req: Request<B>,
    portlet: &str,
) -> Result<Response<Body>, HttpError> {
    let (parts, _) = req.into_parts();
    let prepared = prepare(state, &parts, None, Phase::Render, portlet, None).await?;
    let locale = prepared.request.locale.clone();
    if prepared.request.window_state == WindowState::Minimized {
        // A minimized portlet shows only its title, which the portal draws; the
        // caller's directory entry is still refreshed, as for any signed-in render.
        refreshed(state, prepared).await?;
        return Ok(fragment(String::new(), &locale));
    }
    let markup = run_widget(state, prepared, |w, r| w.render(r)).await?;
    Ok(fragment(markup.html, &locale))
}

/// Largest action body. A form is read before its `p_auth` can be checked, so anyone
/// may send one; the largest real form (200 people in one bulk action) is about 14 KB,
/// and at this size 1,024 connections hold 64 MiB, where `max_body_bytes` (1 MiB by
/// default) would let them hold a gigabyte.
pub const MAX_ACTION_BODY_BYTES: usize = 64 * 1024;

pub async fn action(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    portlet: &str,
    action: &str,
) -> Result<Response<Body>, HttpError> {
    // A form in a content coding (gzip) is no form the host can read.
    let form_ok = is_form(req.headers().get(CONTENT_TYPE)) && !response::is_coded(req.headers());
    let (parts, body) = req.into_parts();
    let body = match read_body(
        Request::from_parts(parts.clone(), body),
        state
            .config
            .limits
            .max_body_bytes
            .min(MAX_ACTION_BODY_BYTES),
        state.config.limits.request_timeout(),
    )
    .await
    {
        Ok(body) => body,
        // An action the widget does not have is 404 whatever its body, as the
        // contract orders it, also one too large or too slow to read (413, 408).
        Err(_) if deployed(state, portlet, Phase::Action, Some(action)).is_none() => {
            let language_id = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
                .take(MAX_PARAMS + 1)
                .find(|(k, _)| k == "languageId")
                .map(|(_, v)| v.into_owned());
            return Err(localized_for(
                state,
                &parts,
                language_id.as_deref(),
                StatusCode::NOT_FOUND,
                "the-requested-resource-could-not-be-found",
            ));
        }
        Err(refused) => return Err(refused),
    };
    // A body that is not a form is refused only after the checks that do not need
    // it, as the contract orders them: an action the widget does not have is 404 and a
    // caller with no credentials 403 (a `p_auth` in a body the host cannot read is
    // none), whatever was sent.
    let unreadable = !body.is_empty() && !form_ok;
    let prepared = prepare(
        state,
        &parts,
        (!unreadable).then_some(body),
        Phase::Action,
        portlet,
        Some(action),
    )
    .await?;
    if unreadable {
        return Err(localized_in(
            state,
            &prepared.request.locale,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "the-request-is-invalid",
        ));
    }
    let wants_json = prepared.wants_json;
    let placement = prepared.request.portlet.clone();
    let requested = prepared
        .redirect
        .clone()
        .or_else(|| prepared.request.page_url.clone());
    let fallback = own_render_url(&prepared);
    let kept = prepared.kept.clone();
    let allowed = prepared
        .caller_consumer
        .as_deref()
        .and_then(|c| state.config.consumer(c))
        .map(|c| c.allowed_origins.clone())
        .unwrap_or_default();
    let actor = prepared.request.viewer.user().cloned();
    let mut done = run_action(state, prepared).await?;
    if let Some(actor) = &actor {
        outcome::seal(&state.p_auth, actor, &placement, &mut done.render_params);
    }
    if wants_json {
        return Ok(outcome_json(&done, &placement));
    }
    let location = native::redirect_location(
        requested.as_deref(),
        &allowed,
        &fallback,
        &placement,
        &kept,
        &done.render_params,
    );
    response::see_other(&location)
}

pub async fn resource(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    portlet: &str,
    resource: &str,
) -> Result<Response<Body>, HttpError> {
    let (parts, _) = req.into_parts();
    let prepared = prepare(
        state,
        &parts,
        None,
        Phase::Resource,
        portlet,
        Some(resource),
    )
    .await?;
    let who = prepared.request.viewer.user().map(|u| u.user_id.clone());
    let served = run_widget(state, prepared, |w, r| w.resource(r)).await?;
    let body =
        super::large_answers::held_while_sent(&state.large_answers, who.as_deref(), served.body)?;
    let mut response = Response::new(http_body_util::Full::new(body));
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&served.content_type) {
        headers.insert(CONTENT_TYPE, value);
    }
    if let Some(name) = served.filename {
        let disposition = crate::portal::download::content_disposition(&name);
        if let Ok(value) = HeaderValue::from_str(&disposition) {
            headers.insert(CONTENT_DISPOSITION, value);
        }
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    Ok(response)
}

/// Most parameters (query and form together) one widget request may carry. A bulk
/// form of 200 people with its hidden fields stays well under it.
pub const MAX_PARAMS: usize = 1_000;

/// The placement `portlet` names, its descriptor and its widget, when the widget is
/// deployed (an instance only of an instanceable one) and has `name` in `phase`;
/// `None` is 404, whoever asks (see `Widget::actions`).
fn deployed(
    state: &AppState,
    portlet: &str,
    phase: Phase,
    name: Option<&str>,
) -> Option<(
    PortletId,
    Arc<crate::descriptors::WidgetDescriptor>,
    Arc<dyn Widget>,
)> {
    let portlet = PortletId::parse(portlet)?;
    let descriptor = state.catalog.current().placement(&portlet).cloned()?;
    let widget = state.widgets.get(descriptor.kind.as_str()).cloned()?;
    let known = phase == Phase::Render || name.is_some_and(|n| widget.offers(phase, n));
    known.then_some((portlet, descriptor, widget))
}

/// Understands the request: widget, caller, parameters, locale; notes whether the
/// caller's claims should refresh their directory entry (`refreshed` does it).
async fn prepare(
    state: &Arc<AppState>,
    parts: &Parts,
    body: Option<Bytes>,
    phase: Phase,
    portlet: &str,
    name: Option<&str>,
) -> Result<Prepared, HttpError> {
    // Refusals here answer in the language the request names, in its form as in its
    // query; looked for only when there is a refusal to word.
    let refused = |status: StatusCode, key: &'static str| {
        let language_id = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .chain(
                body.as_deref()
                    .map(form_urlencoded::parse)
                    .into_iter()
                    .flatten(),
            )
            .take(MAX_PARAMS + 1)
            .find(|(k, _)| k == "languageId")
            .map(|(_, v)| v.into_owned());
        localized_for(state, parts, language_id.as_deref(), status, key)
    };
    let not_found = || {
        refused(
            StatusCode::NOT_FOUND,
            "the-requested-resource-could-not-be-found",
        )
    };
    let (portlet, descriptor, widget) =
        deployed(state, portlet, phase, name).ok_or_else(not_found)?;

    let namespace = portlet.namespace();
    let query = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes());
    let form = body
        .as_deref()
        .map(form_urlencoded::parse)
        .into_iter()
        .flatten();
    // Counted before anything is owned: a 64 KiB action body of `a=&a=&...` is some
    // 22,000 pairs. Too many are refused once the credentials are checked (on the
    // first `MAX_PARAMS`), as the contract orders a refusal: 401 or 403 before "bad
    // parameters".
    let mut pairs: Vec<(String, String)> = query
        .chain(form)
        .take(MAX_PARAMS + 1)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let too_many = pairs.len() > MAX_PARAMS;
    pairs.truncate(MAX_PARAMS);
    let params = native::split_params(
        pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        &namespace,
    );

    // A token's refusal is logged as it is checked; a header that holds none to check
    // is logged here.
    let unread = |why: String| {
        let error = AuthError::Malformed(why);
        log_bearer_refusal(&error, TokenNames::default);
        error
    };
    let bearer = match native::bearer_authorization(&parts.headers) {
        Ok(None) => None,
        Err(why) => Some(Err(unread(why.into()))),
        Ok(Some(header)) => Some(
            match header
                .to_str()
                .ok()
                .and_then(crate::portal::auth::bearer_token)
            {
                Some(token) => checked_bearer(state, token).await?,
                None => Err(unread("not a Bearer token".into())),
            },
        ),
    };
    let caller = authenticate(
        state, parts, bearer, &params, &portlet, &*widget, phase, name,
    )?;
    if too_many {
        return Err(refused(StatusCode::BAD_REQUEST, "the-request-is-invalid"));
    }
    let crate::i18n::Negotiated {
        id: locale,
        dates: dates_locale,
    } = crate::i18n::negotiate_locale(
        params.language_id.as_deref(),
        caller.user().and_then(|u| u.profile.locale.as_deref()),
        parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    );
    let bad = |_| {
        localized_in(
            state,
            locale,
            StatusCode::BAD_REQUEST,
            "the-request-is-invalid",
        )
    };
    let mode = parse_or(
        params.mode.as_deref(),
        PortletMode::View,
        PortletMode::parse,
    )
    .map_err(bad)?;
    let window_state = parse_or(
        params.window_state.as_deref(),
        WindowState::Normal,
        WindowState::parse,
    )
    .map_err(bad)?;
    if !descriptor.supports(mode) {
        return Err(localized_in(
            state,
            locale,
            StatusCode::BAD_REQUEST,
            "the-request-is-invalid",
        ));
    }
    // An action's own parameters that do not decode to UTF-8 (a form a page in
    // Latin-1 posted, a character cut in two) would reach the widget with U+FFFD in
    // place of what was sent, and a contact's name be saved so: refused, nothing done.
    // Every Liferay page, and the script, sends UTF-8. A render, which saves nothing,
    // and the portal's own parameters (a `p_l_url` from an old link) keep the
    // lossy reading, as a refusal would take the whole widget off the page.
    if phase == Phase::Action
        && ![parts.uri.query().map(str::as_bytes), body.as_deref()]
            .into_iter()
            .flatten()
            .all(|raw| own_params_are_utf8(raw, &namespace))
    {
        return Err(bad(()));
    }

    // A portal's own token: its claims refresh the directory, and it vouches for the
    // page URL it sends.
    let from_portal = matches!(caller, Caller::Bearer(_));
    let consumer = caller.user().map(|u| u.consumer.clone());
    let allowed = consumer
        .as_deref()
        .and_then(|c| state.config.consumer(c))
        .map(|c| c.allowed_origins.as_slice())
        .unwrap_or(&[]);
    // A page URL outside the consumer's origins is dropped: links in the fragment must
    // never send people somewhere the portal did not vouch for. A portal that names no
    // origins vouches for the page it sends with its own token (DESIGN section 3: the
    // links point to `p_l_url`); a guest's render has no portal behind it.
    let page_url = params.page_url.as_deref().and_then(|u| {
        if allowed.is_empty() && from_portal {
            native::web_url(u)
        } else {
            native::allowed_target(u, allowed)
        }
    });
    // Said to the administrator when a portal's own call sent it: its people would
    // otherwise land on the host's bare page after each action, signed out, with
    // nothing anywhere saying why (a portal behind TLS that writes its pages as
    // `http://`, a relative URL). A browser's form may carry anything, and is not.
    if from_portal
        && page_url.is_none()
        && let Some(asked) = params.page_url.as_deref()
        && let Some(unlogged) = PAGE_URLS_PASSED_OVER.admit()
    {
        tracing::warn!(
            consumer = consumer.as_deref().unwrap_or_default(),
            page = %page_origin(asked),
            unlogged,
            "a portal's page URL (p_l_url) was passed over: links and the redirect after an action go to the host's own page instead; send an absolute URL of at most 2048 bytes whose origin is one of the consumer's allowed_origins, scheme included (one such line per 10 s; `unlogged` counts those left out)"
        );
    }
    let host_base = native::host_base(&state.config, &parts.headers);
    // The language a portal's token chose (its `locale`) is kept as `languageId` where
    // neither the request nor the page's own address names one: the browser's later
    // actions and downloads carry no token, and were answered in its Accept-Language.
    // A language the portal named, even one the widgets have no texts for, is the
    // portal page's: links back to that page keep it (or leave it out), and never
    // switch the page to another.
    // The page's address is parsed only for a token that has a locale to keep: not on
    // every render.
    let page_names_language = || {
        page_url.as_deref().is_some_and(|u| {
            url::Url::parse(u).is_ok_and(|u| u.query_pairs().any(|(name, _)| name == "languageId"))
        })
    };
    let language = match params.language_id.as_deref() {
        Some(named) => Some(named),
        None => caller
            .user()
            .and_then(|u| u.profile.locale.as_deref())
            .filter(|l| crate::i18n::normalize(l).is_some() && !page_names_language()),
    };
    let mut sticky = kept_params(language, window_state);
    // Links that fall back to the host's own render URL carry the page's owner
    // themselves: "View more", a card opened and the page after an action stay on
    // that person's page. A portal page is its owner's, and the portal sends the
    // parameter with every render of it: not where the action names one to go back
    // to (`redirect`), which the kept parameters are added to.
    if page_url.is_none()
        && params.widget.get("redirect").is_none()
        && let Some(owner) = params
            .page_owner
            .as_deref()
            .filter(|owner| crate::store::is_portal_user_id(owner))
    {
        sticky.push(("p_page_owner".to_owned(), owner.to_owned()));
    }
    let kept = sticky.clone();
    let minter = caller.user().map(|user| minter_for(state, user, &portlet));
    let mut urls = NativeUrls::new(
        portlet.clone(),
        &host_base,
        page_url.clone(),
        sticky,
        minter,
    );
    if let Some(root) = crate::widgets::root_id(&descriptor.kind) {
        urls = urls.landing_on(&format!("{}{root}", portlet.namespace()));
    }
    let urls = Arc::new(urls);
    let redirect = params.widget.get("redirect").map(str::to_owned);
    let wants_json = response::names_json(&parts.headers);

    let viewer = match caller {
        Caller::Guest => Viewer::Guest,
        Caller::Bearer(user) | Caller::PAuth(user) => Viewer::User(user),
    };
    // What an action did shows only under the seal its redirect carried. An action's
    // own parameters are the form's (a save names its contact by `entryId`).
    let mut widget_params = params.widget;
    if phase == Phase::Render {
        outcome::open(&state.p_auth, &viewer, &portlet, &mut widget_params);
    }
    let request = portal::Request {
        phase,
        portlet,
        descriptor,
        mode,
        window_state,
        locale: locale.to_owned(),
        dates_locale,
        viewer,
        name: name.map(str::to_owned),
        params: widget_params,
        page_url,
        page_owner: params.page_owner,
        csp_nonce: params.csp_nonce.as_deref().and_then(portal::csp_nonce),
        urls,
    };
    Ok(Prepared {
        request,
        widget,
        caller_consumer: consumer,
        host_base,
        wants_json,
        redirect,
        kept,
        refresh_directory: from_portal,
    })
}

/// The portal parameters every link and redirect of a placement keeps.
fn kept_params(language_id: Option<&str>, window_state: WindowState) -> Vec<(String, String)> {
    // The portal's language in Liferay's form, for a language the host has texts for:
    // a value it cannot read is not copied into every link and the redirect (it could
    // be some 60 KB).
    let mut kept: Vec<(String, String)> = language_id
        .and_then(crate::i18n::liferay_id)
        .map(|l| ("languageId".to_owned(), l))
        .into_iter()
        .collect();
    // A portlet URL keeps the current window state (JSR-286), so a placement someone
    // maximized stays maximized as they page, filter and act in it. Only this state: a
    // minimized render has no links, and `exclusive` asks for the bare fragment, which
    // a link to the portal page must not turn that page into. The mode is not kept:
    // edit mode's links lead back to the view.
    if window_state == WindowState::Maximized {
        kept.push(("p_p_state".to_owned(), "maximized".to_owned()));
    }
    kept
}

/// Where a person whose form or link had expired goes: back to the page it names
/// (`redirect`, else `p_l_url`), when it is within the origins of the consumer the
/// token names, with the message `said` (nothing was done; the link had expired).
/// `None` when there is no such page: they get the refusal page alone.
fn back_to_page(
    state: &AppState,
    params: &native::PortalParams,
    portlet: &PortletId,
    widget: &dyn Widget,
    consumer: &str,
    said: &str,
) -> Option<String> {
    let allowed = &state.config.consumer(consumer)?.allowed_origins;
    let requested = params
        .widget
        .get("redirect")
        .or(params.page_url.as_deref())?;
    native::allowed_target(requested, allowed)?;
    let window_state = params
        .window_state
        .as_deref()
        .and_then(WindowState::parse)
        .unwrap_or(WindowState::Normal);
    let kept = kept_params(params.language_id.as_deref(), window_state);
    let mut render = widget.where_the_form_was(&params.widget);
    render.push(("message".to_owned(), said.to_owned()));
    Some(native::redirect_location(
        Some(requested),
        allowed,
        "",
        portlet,
        &kept,
        &render,
    ))
}

/// The user a Bearer token speaks for. A token that passed before is found in memory
/// at once, and an HS256 one is checked at once (a microsecond's HMAC); one signed
/// with a public key and not seen yet is checked on the render pool, not on an async
/// worker: an RS256 or ES256 signature costs tens of microseconds or more, anyone may
/// send a token that names a consumer, and a stream of them on the workers would
/// hold up every connection's reads and writes. The pool bounds what they take to its
/// places. (HS256 is what most portals send, and a hop for each new token would make
/// every person's first render wait twice for a place.)
/// A refusal is logged here, with what the token names of its signer.
pub(crate) async fn checked_bearer(
    state: &AppState,
    token: &str,
) -> Result<Result<PortalUser, AuthError>, HttpError> {
    if let Some(user) = state.verifier.remembered(token) {
        return Ok(Ok(user));
    }
    let checked = if state.verifier.costly(token) {
        let (verifier, token) = (Arc::clone(&state.verifier), token.to_owned());
        on_render_pool(state, move || verifier.verify_bearer(&token)).await?
    } else {
        state.verifier.verify_bearer(token)
    };
    if let Err(error) = &checked {
        log_bearer_refusal(error, || state.verifier.names_of(token));
    }
    Ok(checked)
}

/// `job` on the render pool, waited for no longer than the request timeout: the
/// routes that write (actions, the user API) are not cut at that timeout by the
/// router, since a commit must not be abandoned halfway, and a wait for a place here
/// would otherwise last as long as the renders ahead of it. A forged token that
/// names a public-key consumer takes this path, so anyone could make it long.
pub(crate) async fn on_render_pool<T: Send + 'static>(
    state: &AppState,
    job: impl FnOnce() -> T + Send + 'static,
) -> Result<T, HttpError> {
    let limit = state.config.limits.request_timeout();
    match tokio::time::timeout(limit, state.render_pool.run(job)).await {
        Ok(answer) => answer.map_err(|_| HttpError::Internal),
        Err(_) => Err(HttpError::Busy),
    }
}

/// Bearer JWT first (a portal server-to-server; `bearer` is its check, when the
/// request has a Bearer header); for actions and resources a bound `p_auth` also
/// proves the caller (a browser posting a rendered form). A header of another scheme
/// is not the host's (a reverse proxy's or SSO gateway's `Basic` reaches the host
/// with every browser request): it is passed over, and the browser still proves
/// itself with `p_auth`. A Bearer header that fails is 401, whatever else comes.
#[allow(clippy::too_many_arguments)]
fn authenticate(
    state: &AppState,
    parts: &Parts,
    bearer: Option<Result<PortalUser, AuthError>>,
    params: &native::PortalParams,
    portlet: &PortletId,
    widget: &dyn Widget,
    phase: Phase,
    name: Option<&str>,
) -> Result<Caller, HttpError> {
    if let Some(user) = bearer {
        return match user {
            Ok(user) => Ok(Caller::Bearer(user)),
            Err(_) => Err(localized_for(
                state,
                parts,
                params.language_id.as_deref(),
                StatusCode::UNAUTHORIZED,
                "please-sign-in-again",
            )),
        };
    }
    let query;
    let target = match (phase, name) {
        (Phase::Render, _) | (_, None) => return Ok(Caller::Guest),
        (Phase::Action, Some(n)) => PAuthTarget::Action(n),
        (Phase::Resource, Some(n)) => {
            query = crate::portal::auth::resource_query(params.widget.iter());
            PAuthTarget::Resource {
                name: n,
                query: &query,
            }
        }
    };
    // The form's own `languageId` counts: a browser's form carries it in the body.
    let forbidden = || {
        localized_for(
            state,
            parts,
            params.language_id.as_deref(),
            StatusCode::FORBIDDEN,
            match phase {
                Phase::Resource => "this-link-has-expired-please-reload-the-page",
                _ => "this-form-has-expired-please-reload-the-page",
            },
        )
    };
    // Neither a Bearer token nor a form's `p_auth`: nobody signed in asked (a guest,
    // or a portal's call that forgot its token). "This form has expired" would send
    // them looking for a form.
    let token = params.p_auth.as_deref().ok_or_else(|| {
        localized_for(
            state,
            parts,
            params.language_id.as_deref(),
            StatusCode::FORBIDDEN,
            "you-must-sign-in-to-do-this",
        )
    })?;
    let mut fields = token.split(P_AUTH_SEPARATOR);
    let (Some(consumer), Some(user_id), Some(mac), None) =
        (fields.next(), fields.next(), fields.next(), fields.next())
    else {
        return Err(forbidden());
    };
    if !state.verifier.knows(consumer) || !crate::portal::auth::is_user_id(user_id) {
        return Err(forbidden());
    }
    let binding = PAuthBinding {
        consumer,
        user_id,
        portlet_id: portlet.as_str(),
        target,
    };
    state
        .p_auth
        .verify(mac, &binding)
        .inspect_err(|error| say_p_auth_refused(&MISMATCHED_P_AUTH, error, consumer))
        .map_err(|error| match error {
            // A form the host issued, left open past its expiry (a tab kept overnight):
            // a person's browser goes back to the page, which renders fresh forms and
            // says nothing was done. The refusal page alone would post the form again
            // when reloaded, and be refused again. A download link likewise (a list's
            // export lives an hour): the refusal page alone would be a dead end, which
            // reloading refuses again.
            AuthError::Expired
                if matches!(phase, Phase::Action | Phase::Resource)
                    && response::refusal_is_a_page(&parts.headers) =>
            {
                let said = match phase {
                    Phase::Resource => LINK_EXPIRED,
                    _ => FORM_EXPIRED,
                };
                match back_to_page(state, params, portlet, widget, consumer, said) {
                    Some(back) => HttpError::FormExpired {
                        refusal: Box::new(forbidden()),
                        back,
                        back_label: text_for(state, parts, params.language_id.as_deref(), "back"),
                    },
                    None => forbidden(),
                }
            }
            _ => forbidden(),
        })?;
    let roles = if target == PAuthTarget::Action("save-preferences") {
        vec![PREFERENCES_ROLE.to_owned()]
    } else {
        Vec::new()
    };
    Ok(Caller::PAuth(PortalUser {
        consumer: consumer.to_owned(),
        user_id: user_id.to_owned(),
        roles,
        profile: portal::Profile::default(),
    }))
}

static PAGE_URLS_PASSED_OVER: crate::throttle::Throttle = crate::throttle::Throttle::new();

/// What the log says of a page URL passed over: its origin, which is what
/// `allowed_origins` is compared with (its path may name a person), and that it was
/// too long where that is why; or that it is no absolute web URL.
fn page_origin(asked: &str) -> String {
    match url::Url::parse(asked) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            let origin = url.origin().ascii_serialization();
            match native::web_url(asked) {
                Some(_) => origin,
                None => format!(
                    "{origin} (longer than {} bytes)",
                    native::MAX_PAGE_URL_BYTES
                ),
            }
        }
        Ok(_) => "(not an http or https URL)".to_owned(),
        Err(_) => "(not an absolute URL)".to_owned(),
    }
}

/// Mints the `p_auth` of each form and link for this viewer and placement. Tokens for
/// `save-preferences` are only minted for administrators (see [`PREFERENCES_ROLE`]).
fn minter_for(state: &AppState, user: &PortalUser, portlet: &PortletId) -> TokenMinter {
    let p_auth = state.p_auth.clone();
    let (consumer, user_id, portlet_id, admin) = (
        user.consumer.clone(),
        user.user_id.clone(),
        portlet.as_str().to_owned(),
        user.is_widget_admin(),
    );
    Arc::new(move |target: PAuthTarget<'_>| {
        if target == PAuthTarget::Action("save-preferences") && !admin {
            return String::new();
        }
        let binding = PAuthBinding {
            consumer: &consumer,
            user_id: &user_id,
            portlet_id: &portlet_id,
            target,
        };
        let mac = p_auth.issue(&binding, target.lifetime());
        format!("{consumer}{P_AUTH_SEPARATOR}{user_id}{P_AUTH_SEPARATOR}{mac}")
    })
}

/// Runs a render or resource phase on the render pool (widgets read redb): off the
/// async workers, on a thread that is likely still warm.
///
/// A caller whose claims the host has not applied yet (the first request of each
/// person after a start) has them compared with the directory on the same thread,
/// just before the phase: nearly always they change nothing, and the phase runs in
/// that one job. Compared in a hop of its own to tokio's blocking pool, the first
/// renders after a start grew that pool to some sixty threads under load
/// (BENCHMARKS.md, "Claims checked where the render runs"). Only claims that change
/// the entry leave the render pool, for a write slot and its commit, and then come
/// back for the phase.
async fn run_widget<T, F>(
    state: &Arc<AppState>,
    prepared: Prepared,
    phase: F,
) -> Result<T, HttpError>
where
    T: Send + 'static,
    F: FnOnce(&dyn Widget, &portal::Request) -> Result<T, WidgetError> + Send + 'static,
{
    let check = claims_unapplied(state, &prepared);
    let (widget, request) = (prepared.widget, prepared.request);
    let locale = request.locale.clone();
    let job_state = Arc::clone(state);
    // A request given up at its timeout leaves its render running in its place once
    // started; one still queued is skipped.
    let ran = state
        .render_pool
        .run(move || {
            if let (true, Some(user)) = (check, request.viewer.user()) {
                match compare_claims(&job_state, user) {
                    Ok((ticket, false)) => job_state.claims.applied(user, ticket),
                    Ok((ticket, true)) => {
                        return Ran::ClaimsChange(Box::new((phase, widget, request, ticket)));
                    }
                    Err(error) => return Ran::CheckFailed(error),
                }
            }
            Ran::Done(phase(widget.as_ref(), &request))
        })
        .await
        .map_err(|_| HttpError::Internal)?;
    let answer = match ran {
        Ran::Done(answer) => answer,
        Ran::CheckFailed(error) => return Err(refresh_failed(error)),
        Ran::ClaimsChange(waiting) => {
            let (phase, widget, request, ticket) = *waiting;
            if let Some(user) = request.viewer.user() {
                match write_claims(state, user, ticket).await {
                    // Past the person's part of the waiting writes the profile waits
                    // for their next call, as over WSRP: the widget runs on what the
                    // directory holds, where every render of theirs was refused until
                    // their bulk actions committed. An action's own write meets the
                    // same limit. (Waiting for a free slot, a render is cut at the
                    // router's timeout before this one.)
                    Err(HttpError::Busy) => {}
                    written => written?,
                }
            }
            state
                .render_pool
                .run(move || phase(widget.as_ref(), &request))
                .await
                .map_err(|_| HttpError::Internal)?
        }
    };
    answer.map_err(|error| widget_error(state, &locale, error))
}

/// What a render-pool job of [`run_widget`] came back with.
enum Ran<T, F> {
    /// The phase's answer.
    Done(Result<T, WidgetError>),
    /// The caller's claims change their entry: the phase has not run, and runs once
    /// they are written.
    /// Boxed: it is the rare case, and the common one should not carry its size.
    ClaimsChange(Box<(F, Arc<dyn Widget>, portal::Request, Ticket)>),
    CheckFailed(crate::social::SocialError),
}

/// Runs an action phase in a write slot. The action is a future that waits for its
/// commit without a thread (what it reads, the answer's relationship included, is
/// read in its write job), and a task of its own: a request given up at its timeout leaves it running to its
/// answer, with its slot, as a render does.
async fn run_action(state: &Arc<AppState>, prepared: Prepared) -> Result<ActionOutcome, HttpError> {
    let (widget, request) = refreshed(state, prepared).await?;
    let locale = request.locale.clone();
    let who = request.viewer.user().map(|u| u.user_id.clone());
    let weight = widget.action_weight(&request.params);
    state
        .in_write_slot(who.as_deref(), weight, async move {
            widget.action(&request).await
        })
        .await?
        .map_err(|error| widget_error(state, &locale, error))
}

/// Whether the caller came with a portal's token whose claims are not yet known to be
/// in the directory. Claims already applied need no directory check: a steady render
/// is one snapshot.
fn claims_unapplied(state: &AppState, prepared: &Prepared) -> bool {
    prepared.refresh_directory
        && prepared
            .request
            .viewer
            .user()
            .is_some_and(|u| !state.claims.is_current(u))
}

/// The prepared widget and request, after the caller's directory refresh when their
/// claims changed (their look on the render pool, their write in a write slot).
async fn refreshed(
    state: &Arc<AppState>,
    prepared: Prepared,
) -> Result<(Arc<dyn Widget>, portal::Request), HttpError> {
    let refresh = claims_unapplied(state, &prepared);
    let (widget, request) = (prepared.widget, prepared.request);
    if let (true, Some(user)) = (refresh, request.viewer.user()) {
        refresh_directory(state, user).await?;
    }
    Ok((widget, request))
}

/// Applies a caller's new claims to the directory, in hops of their own: an action
/// must not hold a render place while it waits for a commit. The look comes first and
/// takes no write slot, since most refreshes (after a restart, or once the memo of
/// applied claims was cleared) find nothing to write, and must not queue behind
/// actions waiting for a held writer. Only a change takes a write slot and waits for
/// its commit.
async fn refresh_directory(state: &Arc<AppState>, user: &PortalUser) -> Result<(), HttpError> {
    let (task_state, task_user) = (Arc::clone(state), user.clone());
    // On the render pool, as a render's own look is: bounded, and skipped if the
    // caller is gone before it starts.
    let (ticket, changes) = on_render_pool(state, move || compare_claims(&task_state, &task_user))
        .await?
        .map_err(refresh_failed)?;
    if changes {
        write_claims(state, user, ticket).await
    } else {
        state.claims.applied(user, ticket);
        Ok(())
    }
}

/// Whether `user`'s claims would change their directory entry, read now; with the
/// memo's ticket, taken before the read, for [`ClaimsMemo::applied`].
///
/// [`ClaimsMemo::applied`]: super::claims::ClaimsMemo::applied
fn compare_claims(
    state: &AppState,
    user: &PortalUser,
) -> Result<(Ticket, bool), crate::social::SocialError> {
    let ticket = state.claims.ticket();
    let changes = state.social.profile_changes(&user.user_id, &user.profile)?;
    Ok((ticket, changes))
}

/// Writes `user`'s claims in a write slot and waits for the commit; then the memo
/// knows them. The memo is told in the write's own task, after its commit: a request
/// given up meanwhile (its client gone, its timeout) leaves the write running, and a
/// write that ended unheard would let the memo keep what a look saw before it.
async fn write_claims(
    state: &Arc<AppState>,
    user: &PortalUser,
    ticket: Ticket,
) -> Result<(), HttpError> {
    let (social, claims, task_user) = (
        state.social.clone(),
        Arc::clone(&state.claims),
        user.clone(),
    );
    let writing = state.claims.writing(&user.user_id, ticket);
    state
        .in_write_slot(Some(&user.user_id), 1, async move {
            let wrote = social
                .write_profile_async(&task_user.user_id, &task_user.profile)
                .await;
            claims.written(&task_user, writing, wrote.is_ok());
            wrote
        })
        .await?
        .map_err(refresh_failed)?;
    Ok(())
}

fn refresh_failed(error: crate::social::SocialError) -> HttpError {
    static FAILURES: crate::throttle::Throttle = crate::throttle::Throttle::new();
    crate::throttle::log_error(&FAILURES, "directory refresh failed", &error);
    HttpError::Internal
}

/// A widget's error as the HTTP answer to `state`'s request in `locale`.
fn widget_error(state: &AppState, locale: &str, error: WidgetError) -> HttpError {
    response::widget_refusal(state.languages, locale, error)
}

/// An action's answer in the contract's shape. `relationship` is always there, `null`
/// when the action was not about one person (a bulk action, a request answered, a
/// preference saved), so that a portal's script reads one shape.
fn outcome_json(outcome: &ActionOutcome, placement: &PortletId) -> Response<Body> {
    // The render parameters a browser's redirect would carry, namespaced and sealed:
    // a portal's script that re-renders with them shows the outcome as the redirect's
    // page does, naming the person where the seal lets it (above a card, too).
    let namespace = placement.namespace();
    let render: serde_json::Map<String, serde_json::Value> = outcome
        .render_params
        .iter()
        .map(|(name, value)| (format!("{namespace}{name}"), value.clone().into()))
        .collect();
    let mut body = serde_json::json!({
        "ok": outcome.ok,
        "message": outcome.message,
        "text": outcome.text,
        "relationship": outcome.relationship,
        "renderParameters": render,
    });
    // A bulk action adds each person's outcome; the four fields above keep the shape.
    if !outcome.people.is_empty() {
        body["results"] = serde_json::json!(outcome.people);
    }
    let status = response::outcome_status(outcome.kind);
    let mut answer = response::json(status, &body);
    // How two people stand is one person's view, as the fragment is.
    answer
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    answer
}

fn fragment(html: String, locale: &str) -> Response<Body> {
    let mut response = response::html(StatusCode::OK, html);
    let headers = response.headers_mut();
    // Per-user markup: never cached by anything between the host and the portal.
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    if let Ok(value) = HeaderValue::from_str(&crate::i18n::language_tag(locale)) {
        headers.insert(CONTENT_LANGUAGE, value);
    }
    response
}

fn own_render_url(prepared: &Prepared) -> String {
    format!(
        "{}/widgets/{}/render",
        prepared.host_base, prepared.request.portlet
    )
}

/// Whether a body with this `Content-Type` is read as a form: none given, or the
/// urlencoded type in any case (media types are case-insensitive), with or without
/// parameters. A value that is not even text is not a form.
fn is_form(content_type: Option<&HeaderValue>) -> bool {
    const FORM: &[u8] = b"application/x-www-form-urlencoded";
    content_type.is_none_or(|v| {
        let v = v.as_bytes();
        v.get(..FORM.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(FORM))
            && matches!(v.get(FORM.len()), None | Some(b';' | b' ' | b'\t'))
    })
}

/// Whether each of the widget's own parameters (named under `namespace`, and
/// `p_auth`) in `raw`, a query or a form body, decodes to UTF-8.
fn own_params_are_utf8(raw: &[u8], namespace: &str) -> bool {
    use percent_encoding::percent_decode;
    raw.split(|&b| b == b'&').all(|pair| {
        percent_decode(pair).decode_utf8().is_ok() || {
            let name = pair.split(|&b| b == b'=').next().unwrap_or_default();
            let name = percent_decode(name).decode_utf8_lossy();
            !name.starts_with(namespace) && name != "p_auth"
        }
    })
}

fn parse_or<T: Copy>(
    value: Option<&str>,
    default: T,
    parse: fn(&str) -> Option<T>,
) -> Result<T, ()> {
    match value {
        None | Some("") => Ok(default),
        Some(v) => parse(v).ok_or(()),
    }
}

/// A refusal in the language `language_id` (a parameter of the query or the form) or
/// `Accept-Language` asks for.
fn localized_for(
    state: &AppState,
    parts: &Parts,
    language_id: Option<&str>,
    status: StatusCode,
    key: &'static str,
) -> HttpError {
    localized_in(state, &request_locale(parts, language_id), status, key)
}

/// The text of `key` in the language a request names (its `languageId`, else its
/// `Accept-Language`), before any token is read.
fn text_for(state: &AppState, parts: &Parts, language_id: Option<&str>, key: &str) -> String {
    let locale = request_locale(parts, language_id);
    state.languages.get(&locale, key).to_owned()
}

fn request_locale(parts: &Parts, language_id: Option<&str>) -> String {
    crate::i18n::negotiate(
        language_id,
        None,
        parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok()),
    )
}

/// A refusal with `key`'s text in `locale` (see [`response::localized`]).
fn localized_in(
    state: &AppState,
    locale: &str,
    status: StatusCode,
    key: &'static str,
) -> HttpError {
    response::localized(state.languages, locale, status, key)
}

/// The log's line for `p_auth` tokens whose signature does not match.
static MISMATCHED_P_AUTH: crate::throttle::Throttle = crate::throttle::Throttle::new();

/// A form's or link's `p_auth` refused. One that expired is a page left open (a tab
/// kept overnight), which the person is sent back from: `debug`. One whose signature
/// does not match was issued under another host key (the database restored from
/// another host's backup, or hosts behind one balancer each with its own file) or was
/// altered: every form open on the portal's pages then fails, and the administrator
/// hears why at `warn`, once per 10 s, with the consumer it named (a configured id,
/// checked before the signature). The person's id is not logged: it may be an address.
fn say_p_auth_refused(throttle: &crate::throttle::Throttle, error: &AuthError, consumer: &str) {
    if matches!(error, AuthError::Expired | AuthError::Malformed(_)) {
        tracing::debug!(%consumer, error = %error, "a p_auth token was refused");
        return;
    }
    match throttle.admit() {
        Some(unlogged) => tracing::warn!(
            %consumer,
            unlogged,
            "a form's or link's p_auth token was refused: its signature does not match (issued under another host key, as by a host whose database was restored from another's backup or another host behind the same balancer, or altered); people must reload their pages (one such line per 10 s; `unlogged` counts those left out)"
        ),
        None => tracing::debug!(%consumer, "a p_auth token's signature does not match"),
    }
}

/// A portal's bearer token refused: the answer says only "sign in again", so the cause
/// (an unknown issuer, a wrong secret or audience, an expired token) goes to the log,
/// where an administrator wiring a portal looks, at most one line per 10 s.
///
/// With the configured consumer the token's `iss` names and its `kid`, when it names
/// them (`-` when not): a portal signing with a key rotated away, or with another
/// consumer's, is told apart from a stranger's junk. `names` reads them from the
/// token only for a line that is written: a flood of junk costs no decoding more.
pub(crate) fn log_bearer_refusal(error: &AuthError, names: impl FnOnce() -> TokenNames) {
    let admitted = crate::portal::auth::refusals::bearer(error).admit();
    if admitted.is_none() && !tracing::enabled!(tracing::Level::DEBUG) {
        return;
    }
    let names = names();
    let consumer = names.consumer.as_deref().unwrap_or("-");
    // Escaped, as anything a request may have shaped.
    let kid = names
        .kid
        .as_deref()
        .unwrap_or("-")
        .escape_debug()
        .to_string();
    let error = error.to_string().escape_debug().to_string();
    match admitted {
        Some(unlogged) => tracing::warn!(
            %error, consumer, kid, unlogged,
            "a bearer token was refused (one such line per 10 s; `unlogged` counts those left out)"
        ),
        None => tracing::debug!(%error, consumer, kid, "bearer token refused"),
    }
}

#[cfg(test)]
mod tests {
    use super::page_origin;

    /// A `p_auth` whose signature does not match is a `warn` line naming its
    /// consumer, once a while however many come; an expired one is no such line.
    #[test]
    fn a_mismatched_p_auth_is_said_once_a_while_and_an_expired_one_not() {
        use super::{AuthError, say_p_auth_refused};
        let throttle = crate::throttle::Throttle::new();
        let ((), expired) = crate::captured_log::CapturedLog::during(|| {
            say_p_auth_refused(&throttle, &AuthError::Expired, "portal");
        });
        assert!(!expired.contains("WARN"), "{expired}");
        let ((), said) = crate::captured_log::CapturedLog::during(|| {
            for _ in 0..3 {
                say_p_auth_refused(&throttle, &AuthError::InvalidSignature, "portal");
            }
        });
        assert_eq!(said.matches("WARN").count(), 1, "{said}");
        assert!(said.contains("signature does not match"), "{said}");
        assert!(said.contains("consumer=portal"), "{said}");
    }

    /// The log names a passed-over page by its origin, as `allowed_origins` is
    /// written, and never its path; or says what kind of URL it was not.
    #[test]
    fn a_passed_over_page_is_named_by_its_origin_alone() {
        assert_eq!(
            page_origin("http://Portal.Example.com:80/web/guest/people?p_u_i_d=42"),
            "http://portal.example.com"
        );
        assert_eq!(
            page_origin("https://portal.example.com:8443/web/x"),
            "https://portal.example.com:8443"
        );
        assert_eq!(page_origin("/web/guest/home"), "(not an absolute URL)");
        assert_eq!(
            page_origin("javascript:alert(1)"),
            "(not an http or https URL)"
        );
        assert_eq!(
            page_origin("ftp://files.example.com/pub"),
            "(not an http or https URL)"
        );
        let long = format!("https://portal.example.com/web/x?q={}", "a".repeat(2100));
        assert_eq!(
            page_origin(&long),
            "https://portal.example.com (longer than 2048 bytes)"
        );
    }
}
