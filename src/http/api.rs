//! The JSON integration API for portals (`/api/...`): the pending-request count for a
//! portal's own notification menu, and directory upkeep with Liferay's `UserAccount`.
//! Every call but `GET /api/openapi.json` needs a Bearer token; directory writes need
//! the `Administrator` role.

use std::sync::Arc;

use super::linger::RequestBody;
use hyper::{Request, Response, StatusCode};

use super::response::{self, Body, HttpError};
use super::router::read_body;
use super::state::AppState;
use crate::directory::{IdSource, UserAccount};
use crate::portal::PortalUser;
use crate::social::Existing;

/// A user id from the path, percent-decoded: a client that encodes `jane@example.com`
/// as a path segment sends `jane%40example.com`.
fn path_id(segment: &str) -> Result<String, HttpError> {
    let id = percent_encoding::percent_decode_str(segment)
        .decode_utf8()
        .map_err(|_| HttpError::BadRequest("the user id in the path is not UTF-8".into()))?;
    // Checked as it stands, not trimmed: the account reader trims the ids it reads,
    // so ` jdoe` would store jdoe while the claims forgotten and the person deleted
    // were ` jdoe`'s. No stored person has an id outside this form.
    if !crate::portal::auth::is_user_id(&id) {
        return Err(HttpError::BadRequest(
            "the user id in the path must be 1-64 of letters, digits, '.', '_', '@', '-'".into(),
        ));
    }
    Ok(id.into_owned())
}

/// Most requests one notifications answer lists; `count` still counts them all.
pub const NOTIFICATION_ITEMS: usize = 50;

/// `GET /api/users/{id}/notifications`: how many connection requests the person has
/// pending, and the newest of them (at most [`NOTIFICATION_ITEMS`]).
pub async fn notifications(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    id: &str,
) -> Result<Response<Body>, HttpError> {
    let id = &path_id(id)?;
    let caller = bearer(state, &req).await?;
    if caller.user_id != *id && !caller.is_portal_admin() {
        return Err(forbidden(state));
    }
    // A person asking for their own bell before their first render has nothing
    // pending; an administrator asking after an id the directory does not hold (one
    // deleted, or mistyped) is told so, where a zero would read as "all answered".
    let must_exist = caller.user_id != *id;
    let (social, id) = (state.social.clone(), id.to_owned());
    // One snapshot: the count is the O(1) counter, the items the newest page.
    let (count, requests) = reading(state, move || {
        let reader = social.read()?;
        if must_exist && reader.user_id(&id)?.is_none() {
            return Ok(None);
        }
        let count = reader.counts(&id)?.requests;
        Ok(Some((
            count,
            reader.newest_requests_received(&id, NOTIFICATION_ITEMS)?,
        )))
    })
    .await?
    .ok_or(HttpError::NotFound)?;
    let items: Vec<_> = requests
        .iter()
        .map(|r| {
            serde_json::json!({
                "requestId": r.request_id,
                "fromUserId": r.person.id,
                "fromName": r.person.display_name(),
                "createdAt": rfc3339(r.created_at),
            })
        })
        .collect();
    let mut answer = response::json(
        StatusCode::OK,
        &serde_json::json!({"count": count, "items": items}),
    );
    // One person's pending requests: no cache between the host and the portal keeps
    // them, whatever its rules for /api.
    answer.headers_mut().insert(
        hyper::header::CACHE_CONTROL,
        hyper::header::HeaderValue::from_static("private, no-store"),
    );
    Ok(answer)
}

/// Whether a body with this `Content-Type` is read as JSON: none given, or
/// `application/json` in any case, with or without parameters (`charset=utf-8`).
fn is_json(content_type: Option<&hyper::header::HeaderValue>) -> bool {
    content_type.is_none_or(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(';')
                .next()
                .is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
        })
    })
}

/// `PUT /api/users/{id}`: create or replace a person from Liferay's `UserAccount` JSON.
pub async fn put_user(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    id: &str,
) -> Result<Response<Body>, HttpError> {
    let id = &path_id(id)?;
    administrator(state, &req).await?;
    // JSON, or a body whose type is not said; a form's type or a coding (gzip) says
    // it is another document, which would be parsed as an account all the same.
    // (`curl -d` sends a form's type unless told `-H 'Content-Type: application/json'`,
    // as Liferay's own headless API asks too.)
    if !is_json(req.headers().get(hyper::header::CONTENT_TYPE)) || response::is_coded(req.headers())
    {
        return Err(HttpError::Localized {
            status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
            key: "the-request-is-invalid",
            text: "A UserAccount is sent as application/json, without a content coding.".into(),
            lang: "en".into(),
        });
    }
    let when = preconditions(req.headers());
    // No account is longer than the longest record an import reads.
    let body = read_body(
        req,
        state
            .config
            .limits
            .max_body_bytes
            .min(crate::directory::MAX_RECORD_BYTES),
        state.config.limits.request_timeout(),
    )
    .await?;
    // Liferay's UserAccount as its headless API writes it: `id` is a number there, so
    // the body is read as the directory's `UserAccount`, not as the stored `Person`.
    // Up to a megabyte of JSON: parsed off the async workers.
    // A byte-order mark (PowerShell 5 writes one) is no part of the JSON, as the
    // import reads it too.
    let parsed = tokio::task::spawn_blocking(move || {
        let json = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        serde_json::from_slice::<UserAccount>(json)
    })
    .await
    .map_err(|_| HttpError::Internal)?;
    // Shortened as the import's reasons are: serde and the email check quote the whole
    // bad value, which can be most of the body.
    let refused =
        |reason: String| HttpError::BadRequest(crate::directory::import::shortened(reason));
    let mut account = parsed.map_err(|e| refused(format!("not a UserAccount: {e}")))?;
    refuse_what_is_no_account(&account)?;
    // The path's id is whichever field the portal keys people by (see
    // `crate::directory`): a Liferay account read back whole carries its numeric `id`
    // and its `externalReferenceCode` both, and the path may name it by either, or by
    // its screen name when it carries no other id. A body whose ids name someone, but
    // never as the path does, is another person; a screen name does not outweigh them,
    // since people change theirs and a freed one is taken again.
    let named = |source| account.portal_id(source).filter(|b| b == id).is_some();
    let has_ids = account.portal_id(IdSource::ExternalReferenceCode).is_some()
        || account.portal_id(IdSource::Id).is_some();
    if has_ids && !named(IdSource::ExternalReferenceCode) && !named(IdSource::Id) {
        return Err(HttpError::BadRequest(
            "none of the body's ids is the id in the path".into(),
        ));
    }
    // The path names the person; the account's own ids only had to agree with it.
    account.external_reference_code = Some(id.to_owned());
    let person = account
        .to_person(IdSource::ExternalReferenceCode)
        .map_err(refused)?;
    let (social, stored) = (state.social.clone(), person.clone());
    let (claims, who) = (Arc::clone(&state.claims), id.to_owned());
    let created = writing(state, async move {
        let done = social.upsert_person_async(stored, when).await;
        // In the write's own task, which runs to the end: a client that hangs up
        // must not leave the memo saying the person's old claims still hold.
        claims.forget(&who);
        done
    })
    .await?
    .ok_or(HttpError::PreconditionFailed)?;
    // A PUT that made the person new answers 201 (RFC 9110, 9.3.4): a mistyped id
    // shows as a person created, not as one replaced.
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(response::json(status, &stored_account(&person)))
}

/// What a PUT or DELETE's preconditions ask of the person (RFC 9110, section 13.1):
/// `If-Match: *` that they exist (replace, never create), `If-None-Match: *` that
/// they do not (create, never replace), checked in the write itself, which changes
/// nothing and answers 412 when the condition does not hold. The host gives people
/// no entity tags, so an `If-Match` naming tags never holds, and an `If-None-Match`
/// naming tags always does. A DELETE of a person not there is 404 whatever it asks.
fn preconditions(headers: &hyper::HeaderMap) -> Existing {
    // Every line of the field, as one comma-separated list (RFC 9110, section 5.3);
    // a value that is not text names no `*`, and so some tag.
    let listed = |name| {
        let values: Vec<String> = headers
            .get_all(name)
            .iter()
            .flat_map(|v| v.to_str().unwrap_or("\"?\"").split(','))
            .map(|item| item.trim().to_owned())
            .filter(|item| !item.is_empty())
            .collect();
        (!values.is_empty()).then_some(values)
    };
    let must_exist = match listed(hyper::header::IF_MATCH) {
        None => false,
        Some(items) if items.iter().any(|item| item == "*") => true,
        Some(_) => return Existing::Unmet,
    };
    let must_not_exist =
        listed(hyper::header::IF_NONE_MATCH).is_some_and(|items| items.iter().any(|i| i == "*"));
    match (must_exist, must_not_exist) {
        (true, true) => Existing::Unmet,
        (true, false) => Existing::Required,
        (false, true) => Existing::Refused,
        (false, false) => Existing::Any,
    }
}

/// A body that would replace a person with nothing, or keep one Liferay deactivated,
/// is refused, and the person stays as stored. A PUT replaces every field, so a body
/// that is not an account (a saved error answer of Liferay's API, a page of
/// accounts, `{}`) would otherwise blank the person's names and answer 200.
fn refuse_what_is_no_account(account: &UserAccount) -> Result<(), HttpError> {
    let named = account.names_someone();
    if !named && account.problem_title.is_some() {
        return Err(HttpError::BadRequest(
            "not an account but an error answer of Liferay's API (a \"title\" and no names): fetch the account again as a user allowed to read it".into(),
        ));
    }
    if !named {
        return Err(HttpError::BadRequest(
            "the body has no givenName, familyName, alternateName or emailAddress: it describes nobody (one account a PUT; a page of accounts goes to import-users)".into(),
        ));
    }
    if account.is_inactive() {
        return Err(HttpError::BadRequest(
            "the account is inactive (its status): nobody can sign in as it, and the directory keeps no inactive people; DELETE /api/users/{id} removes the person".into(),
        ));
    }
    Ok(())
}

/// What a PUT stored, as a `UserAccount`: the portal user id is its
/// `externalReferenceCode`. Liferay's numeric `id` is not kept, so it is left out
/// rather than answered as a string a Liferay client would not read as a number.
fn stored_account(person: &crate::store::Person) -> serde_json::Value {
    let mut account = serde_json::to_value(person).unwrap_or_default();
    if let Some(fields) = account.as_object_mut()
        && let Some(id) = fields.remove("id")
    {
        fields.insert("externalReferenceCode".into(), id);
    }
    account
}

/// `DELETE /api/users/{id}`: remove a person with all their edges, requests and entries.
pub async fn delete_user(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
    id: &str,
) -> Result<Response<Body>, HttpError> {
    let id = path_id(id)?;
    let caller = administrator(state, &req).await?;
    let when = preconditions(req.headers());
    let (social, deleting) = (state.social.clone(), id.clone());
    let claims = Arc::clone(&state.claims);
    let deleted = writing(state, async move {
        let done = social.delete_person_async(&deleting, when).await;
        // As for a PUT: a client gone before the answer must not keep the deleted
        // person from being made again from their next token's claims.
        claims.forget(&deleting);
        // The host keeps no other record of whom it erased: this line is the list an
        // administrator deletes again from after restoring an older backup. Said in
        // the write's own task, after its commit, so that a client gone before the
        // answer does not leave a deletion unsaid.
        if let Ok(Some(true)) = done {
            tracing::info!(user = %deleting, by = %caller.user_id, "a person was deleted from the directory");
        }
        done
    })
    .await?
    .ok_or(HttpError::PreconditionFailed)?;
    if deleted {
        Ok(response::text(StatusCode::NO_CONTENT, ""))
    } else {
        Err(HttpError::NotFound)
    }
}

/// `POST /api/backup`: a consistent snapshot of the live database, taken while serving,
/// written under `data_dir/backups/` with a name the host chooses (a caller never names
/// a path on the server). Administrators only.
pub async fn backup(
    state: &Arc<AppState>,
    req: Request<RequestBody>,
) -> Result<Response<Body>, HttpError> {
    let caller = administrator(state, &req).await?;
    // Held until the copy is written, even if the caller goes: its blocking task
    // finishes the file either way.
    let running = state
        .backups
        .clone()
        .try_acquire_owned()
        .map_err(|_| HttpError::Localized {
            status: StatusCode::CONFLICT,
            key: "a-backup-is-already-running",
            text: "A backup is already running. Try again when it has finished.".into(),
            lang: "en".into(),
        })?;
    let now = time::OffsetDateTime::now_utc();
    // The time names it for people; the random tail keeps two backups of one second
    // from landing on one name, where the second would replace the first.
    let name = format!(
        "widget-host-{:04}{:02}{:02}T{:02}{:02}{:02}Z-{:08x}.redb",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second(),
        rand::random::<u32>()
    );
    let dir = state.config.data_dir.join("backups");
    let file = dir.join(&name);
    let (social, target) = (state.social.clone(), file.clone());
    let stopping = Arc::clone(&state.stopping);
    let folder = dir.clone();
    tokio::task::spawn_blocking(move || crate::store::create_folder(&folder))
        .await
        .map_err(|_| HttpError::Internal)?
        .map_err(|error| {
            tracing::error!(%error, dir = %dir.display(), "cannot create the backup folder");
            HttpError::Internal
        })?;
    // Checked before the copy starts: a copy that fills the disk would fail, and the
    // live database's next commit with it, which stops every write until a restart.
    let (database, folder) = (state.config.database_path(), dir.clone());
    let room = tokio::task::spawn_blocking(move || {
        let size = std::fs::metadata(&database).map(|m| m.len()).ok()?;
        Some((size, free_bytes(&folder)?))
    })
    .await
    .ok()
    .flatten();
    if let Some((database, free)) = room
        && let Some(needed) = backup_shortfall(database, free)
    {
        tracing::warn!(free, needed, "a backup was refused: not enough free space");
        return Err(HttpError::Localized {
            status: StatusCode::INSUFFICIENT_STORAGE,
            key: "not-enough-free-space-for-a-backup",
            text: format!(
                "Not enough free space for a backup: {free} bytes are free in backups/, and it needs {needed} (the database's size and {BACKUP_HEADROOM} bytes for the database to go on growing). Nothing was written."
            ),
            lang: "en".into(),
        });
    }
    let by = caller.user_id.clone();
    let bytes = blocking(move || {
        let _running = running;
        social.backup_until(&target, &|| {
            stopping.load(std::sync::atomic::Ordering::Relaxed)
        })?;
        let bytes = std::fs::metadata(&target).map(|m| m.len()).unwrap_or(0);
        // Said where the copy ends, not after the answer's wait: a caller whose
        // proxy gave up (a 504 on a large file) finds the file's name here.
        tracing::info!(file = %target.display(), bytes, %by, "backup written");
        Ok(bytes)
    })
    .await?;
    Ok(response::json(
        StatusCode::OK,
        &serde_json::json!({"file": format!("backups/{name}"), "bytes": bytes}),
    ))
}

/// Free space a backup leaves beyond its own size, for the live database's commits
/// while it is written (and after).
const BACKUP_HEADROOM: u64 = 64 * 1024 * 1024;

/// How many bytes a backup of a `database`-byte file needs when `free` bytes are free
/// on its disk, if that is more than there is. The copy holds only the pages in use,
/// so the file's own size is a bound.
fn backup_shortfall(database: u64, free: u64) -> Option<u64> {
    let needed = database.saturating_add(BACKUP_HEADROOM);
    (free < needed).then_some(needed)
}

/// Bytes an unprivileged process may still write on the filesystem of `path`. Off
/// Linux, where the host takes no system crate, unknown: the backup is not refused
/// for space, and a full disk fails it as it writes, leaving the live file as it was.
#[cfg(target_os = "linux")]
pub(super) fn free_bytes(path: &std::path::Path) -> Option<u64> {
    let stat = rustix::fs::statvfs(path).ok()?;
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(target_os = "linux"))]
pub(super) fn free_bytes(_path: &std::path::Path) -> Option<u64> {
    None
}

/// `GET /api/openapi.json`.
pub fn openapi(request: &hyper::HeaderMap) -> Result<Response<Body>, HttpError> {
    response::revalidated(request, "application/json", include_str!("openapi.json"))
}

async fn bearer<B>(state: &AppState, req: &Request<B>) -> Result<PortalUser, HttpError> {
    // Beside a gateway's own `Basic`, in either order, as the widget routes do.
    // Two Bearer tokens are no caller's: refused as none.
    let token = super::native::bearer_authorization(req.headers())
        .ok()
        .flatten()
        .and_then(|h| h.to_str().ok())
        .and_then(crate::portal::auth::bearer_token);
    let unauthorized = || in_english(state, StatusCode::UNAUTHORIZED, "please-sign-in-again");
    let token = token.ok_or_else(unauthorized)?;
    // Its refusal is logged as it is checked.
    super::widget_routes::checked_bearer(state, token)
        .await?
        .map_err(|_| unauthorized())
}

/// The caller, who must hold the portal's `Administrator` role.
async fn administrator<B>(state: &AppState, req: &Request<B>) -> Result<PortalUser, HttpError> {
    let caller = bearer(state, req).await?;
    if caller.is_portal_admin() {
        Ok(caller)
    } else {
        Err(forbidden(state))
    }
}

fn forbidden(state: &AppState) -> HttpError {
    in_english(
        state,
        StatusCode::FORBIDDEN,
        "you-do-not-have-the-required-permissions",
    )
}

/// The API speaks to integrations, not to a person, so its refusals are in English,
/// from the bundle that holds the widgets' words.
fn in_english(state: &AppState, status: StatusCode, key: &'static str) -> HttpError {
    HttpError::Localized {
        status,
        key,
        text: state
            .languages
            .get(crate::i18n::DEFAULT_LANGUAGE_ID, key)
            .to_owned(),
        // As the host's own English refusals say it: the bundle is plain English.
        lang: "en".into(),
    }
}

/// Waits for a write, without a thread, in one of the slots of calls that wait for
/// the writer ([`super::state::WRITES_WAITING_AT_ONCE`]).
async fn writing<T: Send + 'static>(
    state: &AppState,
    write: impl std::future::Future<Output = Result<T, crate::social::SocialError>> + Send + 'static,
) -> Result<T, HttpError> {
    // An administrator's calls, on behalf of the directory: no person's part.
    answered(state.in_write_slot(None, 1, write).await?)
}

/// Runs a read on the render pool, as renders are: bounded, and skipped when its
/// caller gave up before it started. On tokio's blocking pool a client that sent the
/// request and hung up, over and over, left a read queued behind each time.
async fn reading<T: Send + 'static>(
    state: &AppState,
    work: impl FnOnce() -> Result<T, crate::social::SocialError> + Send + 'static,
) -> Result<T, HttpError> {
    state
        .render_pool
        .run(work)
        .await
        .map_err(|_| HttpError::Internal)
        .and_then(answered)
}

/// Runs storage work on the blocking pool: a backup's copy, which may take minutes
/// and runs one at a time.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, crate::social::SocialError> + Send + 'static,
) -> Result<T, HttpError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|_| HttpError::Internal)
        .and_then(answered)
}

/// A storage call's result as the API answers it: a refused person record is the
/// caller's fault.
fn answered<T>(result: Result<T, crate::social::SocialError>) -> Result<T, HttpError> {
    match result {
        Ok(value) => Ok(value),
        Err(crate::social::SocialError::Store(crate::store::StoreError::InvalidPerson(why))) => {
            Err(HttpError::BadRequest(why))
        }
        // Nobody is left to answer: the host has stopped serving.
        Err(crate::social::SocialError::Store(crate::store::StoreError::ShuttingDown)) => {
            Err(HttpError::Busy)
        }
        Err(error) => {
            static FAILURES: crate::throttle::Throttle = crate::throttle::Throttle::new();
            crate::throttle::log_error(&FAILURES, "API storage call failed", &error);
            Err(HttpError::Internal)
        }
    }
}

/// `secs` as an RFC 3339 instant, or `None` (JSON's null) for one the calendar cannot
/// write (past the year 9999: a damaged record): a made-up 1970 would read as a date.
fn rfc3339(secs: u64) -> Option<String> {
    let at = time::OffsetDateTime::from_unix_timestamp(i64::try_from(secs).ok()?).ok()?;
    at.format(&time::format_description::well_known::Rfc3339)
        .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_instant_the_calendar_cannot_write_is_null() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(1_717_171_717).as_deref(),
            Some("2024-05-31T16:08:37Z")
        );
        assert_eq!(rfc3339(253_402_300_800), None, "the year 10000");
        assert_eq!(rfc3339(u64::MAX), None);
    }

    #[test]
    fn a_backup_needs_the_databases_size_and_headroom() {
        let gib = 1024 * 1024 * 1024;
        assert_eq!(backup_shortfall(gib, 2 * gib), None);
        assert_eq!(
            backup_shortfall(gib, gib + BACKUP_HEADROOM),
            None,
            "exactly enough"
        );
        assert_eq!(
            backup_shortfall(gib, gib + BACKUP_HEADROOM - 1),
            Some(gib + BACKUP_HEADROOM)
        );
        assert_eq!(backup_shortfall(gib, gib / 2), Some(gib + BACKUP_HEADROOM));
        assert_eq!(backup_shortfall(u64::MAX, u64::MAX), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn free_space_is_read_from_the_folders_filesystem() {
        let dir = tempfile::tempdir().expect("dir");
        assert!(free_bytes(dir.path()).is_some_and(|free| free > 0));
        assert_eq!(free_bytes(&dir.path().join("not-there")), None);
    }
}
