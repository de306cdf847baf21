//! Everything a request handler needs, assembled once at start: the composition root.

use std::sync::Arc;
use std::time::Instant;

use super::metrics::Metrics;
use crate::config::{Config, ConsumerConfig};
use crate::descriptors::{self, CatalogHandle, Watcher};
use crate::error::HostError;
use crate::i18n::Languages;
use crate::portal::PortalUser;
use crate::portal::auth::{PAuth, Verifier};
use crate::social::{Social, SocialError};
use crate::store::{StoreError, StoreOptions};
use crate::templates::Templates;
use crate::widgets::WidgetSet;
use crate::wsrp::{
    Hold, Producer, ProducerHooks, Registration, RegistrationStore,
    registration::RegistrationStoreError,
};

/// Id of the consumer the demo portal signs its users' tokens as.
pub const DEMO_CONSUMER: &str = "demo";

pub struct AppState {
    pub config: Config,
    pub metrics: Arc<Metrics>,
    /// Profile claims already applied to the directory, per user (the WSRP producer
    /// reads it too).
    pub claims: Arc<super::claims::ClaimsMemo>,
    /// The threads read-only phases (render, resource) run on, [`render_slots`] of
    /// them. They are pure CPU work, so a few per core keep the cores busy; letting
    /// every connection start one would only add threads that preempt each other.
    pub render_pool: super::render_pool::RenderPool,
    /// Calls that wait for the writer, as futures: actions, directory refreshes that
    /// found a change and the user API's writes; see [`WRITES_WAITING_AT_ONCE`].
    pub write_slots: Arc<tokio::sync::Semaphore>,
    /// How many `write_slots` there are: a stopping host takes them all to know that
    /// no write is left.
    pub write_slot_count: usize,
    /// Each person's part of the write slots: half of them at most.
    pub write_shares: super::shares::Shares,
    /// The people each person's waiting writes name: [`WRITES_NAMED_AT_ONCE`] at most.
    pub named_shares: super::shares::Shares,
    /// WSRP envelopes handled at once (see [`WSRP_ENVELOPES_AT_ONCE`]).
    pub wsrp_envelopes: Arc<tokio::sync::Semaphore>,
    /// Bytes of WSRP envelopes being read at once, one permit a byte (see
    /// [`WSRP_BYTES_IN_FLIGHT`]).
    pub wsrp_bytes: Arc<tokio::sync::Semaphore>,
    /// Bytes of large answers (exports, WSRP resources) held until their clients have
    /// read them (see [`LARGE_ANSWERS_HELD_BYTES`] and `large_answers::held_while_sent`).
    pub large_answers: super::large_answers::LargeAnswers,
    /// One live backup at a time (`POST /api/backup`): each writes a whole copy of the
    /// file to the data disk and holds a snapshot that keeps the live file from reusing
    /// the pages writes free meanwhile, so a retrying script's backups at once would
    /// only fill the disk the commits need.
    pub backups: Arc<tokio::sync::Semaphore>,
    /// The database file's size and its disk's free space, as `/metrics` last read
    /// them.
    pub disk_figures: super::disk_figures::DiskFigures,
    /// Set once the host has drained its requests and is about to exit: work that
    /// outlives its request (a live backup's copy) gives up then, so that the store
    /// closes cleanly instead of being left open by a process that exits around it.
    pub stopping: Arc<std::sync::atomic::AtomicBool>,
    /// The live widget catalog; the descriptor watcher swaps it.
    pub catalog: CatalogHandle,
    pub social: Social,
    /// Shared with the JWKS watch, which reads the files on a thread of its own.
    pub verifier: Arc<Verifier>,
    pub p_auth: PAuth,
    pub languages: &'static Languages,
    pub widgets: WidgetSet,
    pub templates: Arc<Templates>,
    pub wsrp: Producer,
    /// The demo consumer's HS256 secret, when demo mode is on.
    pub demo_secret: Option<String>,
    pub started: Instant,
    /// Keeps descriptors_dir watched for as long as the host runs.
    _watcher: Option<Watcher>,
}

impl AppState {
    /// Runs `write`, which waits for the writer, in one of the write slots and as a
    /// task of its own: a request given up at its timeout leaves it running to its
    /// commit, holding its slot, so abandoned requests cannot queue more jobs for the
    /// writer than there are slots. A person's writes (`who`) hold half of the
    /// slots at most, and name [`WRITES_NAMED_AT_ONCE`] people in all (`weight`,
    /// what the write asks of the writer: the people a bulk action names): past
    /// either, [`HttpError::Busy`] at once, so that one person's scripted calls cannot
    /// take every slot, nor queue a hundred 200-person Blocks (seconds of the one
    /// writer's time each round) before everyone else's actions. Busy too when no slot
    /// comes free within the request timeout. Internal when the task was lost (a
    /// panic).
    ///
    /// [`HttpError::Busy`]: super::response::HttpError::Busy
    pub async fn in_write_slot<T: Send + 'static>(
        &self,
        who: Option<&str>,
        weight: usize,
        write: impl std::future::Future<Output = T> + Send + 'static,
    ) -> Result<T, super::response::HttpError> {
        use super::response::HttpError;
        let share = match who {
            Some(who) => Some(
                persons_share(&self.write_shares, &self.named_shares, who, weight)
                    .ok_or(HttpError::Busy)?,
            ),
            None => None,
        };
        // Nothing is queued until a slot is had, so a call that finds none within its
        // request timeout is refused as busy, and may be retried: waiting on, calls
        // behind a held writer would take every connection the host has, and its
        // renders, which need no writer, would be refused with them.
        let wait = self.config.limits.request_timeout();
        let slot =
            match tokio::time::timeout(wait, Arc::clone(&self.write_slots).acquire_owned()).await {
                Ok(slot) => slot.map_err(|_| HttpError::Internal)?,
                Err(_) => return Err(HttpError::Busy),
            };
        let task = tokio::spawn(async move {
            let _held = (slot, share);
            write.await
        });
        task.await.map_err(|error| {
            tracing::error!(%error, "a write's task was lost");
            HttpError::Internal
        })
    }

    /// Opens storage, loads descriptors and starts the watcher. Blocking work runs off
    /// the async runtime.
    pub async fn start(config: Config) -> Result<Self, HostError> {
        Self::start_with(config, StoreOptions::default()).await
    }

    /// [`AppState::start`] with the store's commit options given.
    pub async fn start_with(mut config: Config, store: StoreOptions) -> Result<Self, HostError> {
        // Origins are compared as text with `Origin` and redirect targets: a
        // configuration built in code, not loaded, gets the form loading gives them.
        config.normalize_origins();
        // The demo portal signs its tokens with a secret of its own: a configured
        // consumer of that id would verify them with another key, and every fragment
        // of the demo page would show the sign-in error.
        if config.demo_on() && config.consumer(DEMO_CONSUMER).is_some() {
            return Err(HostError::Startup(format!(
                "consumer id {DEMO_CONSUMER:?} belongs to the demo portal while demo mode is on: rename that consumer, or start with --no-demo"
            )));
        }
        // Decided once: unset, demo mode follows "no consumers configured", and the
        // demo's own consumer is added below; asked again afterwards, the question
        // would find that consumer and turn the demo off.
        // Whether the demo was asked for by name (`demo = true`, `--demo`), or is on
        // because no portal is configured.
        let demo_asked = config.demo == Some(true);
        config.demo = Some(config.demo_on());
        for warning in config.warnings() {
            tracing::warn!("{warning}");
        }
        // What needs no database is checked before it is opened, and perhaps migrated,
        // which no older host can read back: a mistyped key file or template folder
        // must not cost an upgrade its way back. The consumers' keys are read again
        // below only when the demo's is added, whose secret comes from the database.
        let configured =
            Verifier::from_config(&config).map_err(|e| HostError::Startup(e.to_string()))?;
        if let Some(dir) = config.templates_dir.as_deref()
            && !dir.is_dir()
        {
            return Err(HostError::Startup(format!(
                "templates_dir {} is not a folder",
                dir.display()
            )));
        }
        let templates = Arc::new(Templates::for_host(
            config.templates_dir.as_deref(),
            config.limits.request_timeout_secs,
        ));
        templates
            .check()
            .map_err(|e| HostError::Startup(format!("templates_dir: {e}")))?;
        let path = config.database_path();
        let serves_portals = !config.consumers.is_empty();
        let social = tokio::task::spawn_blocking(move || -> Result<Social, HostError> {
            // An empty file is a restore that was stopped, on which the host starts as
            // on none.
            let new = !std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() > 0);
            if let Some(dir) = path.parent() {
                crate::store::create_folder(dir).map_err(|e| {
                    HostError::Startup(format!("cannot create data folder {}: {e}", dir.display()))
                })?;
            }
            let social = Social::open_with(&path, store).map_err(|e| match e {
                // It names the path itself.
                SocialError::Store(StoreError::File { .. }) => {
                    HostError::Startup(format!("cannot open database {e}"))
                }
                SocialError::Store(StoreError::Locked(_)) => HostError::Startup(format!(
                    "cannot open database {}: it is locked: another widget-host serves this data folder, or a backup, restore, check-db, seed or import-users is running on it",
                    path.display()
                )),
                // What to do next, where the cause alone does not say: the file is
                // whole, but not this release's to serve; or it is damaged.
                SocialError::Store(s @ StoreError::SchemaTooNew { .. }) => HostError::Startup(format!(
                    "cannot open database {}: {s}: a newer widget-host wrote it; run that release, or restore a backup this release made (`widget-host restore FILE`, with the host stopped)",
                    path.display()
                )),
                SocialError::Store(s) if s.is_damage() => HostError::Startup(format!(
                    "cannot open database {}: {s}: the file is damaged or not widget-host's; restore a backup (`widget-host restore FILE`, with the host stopped), or move the file aside to start on an empty directory",
                    path.display()
                )),
                e => HostError::Startup(format!("cannot open database {}: {e}", path.display())),
            })?;
            // With the database's lock held, no backup or restore can be writing.
            if let Some(dir) = path.parent() {
                crate::store::remove_stale_temporaries(dir);
                crate::store::remove_stale_temporaries(&dir.join("backups"));
            }
            opened(&social, &path, new, serves_portals);
            Ok(social)
        })
        .await
        .map_err(|e| HostError::Startup(format!("database open failed: {e}")))??;

        if config.demo_on() {
            let demo_social = social.clone();
            // Seeded into an empty directory. Anyone else in the one there (imported
            // into `./data` by a bare `import-users`, before or after the demo ran)
            // is someone the demo did not make.
            let others = tokio::task::spawn_blocking(move || {
                crate::demo::prepare(&demo_social)?;
                let made = crate::demo::people::people_left_in(&demo_social)?;
                let held = demo_social.read()?.directory_size()?;
                Ok::<_, SocialError>(held.saturating_sub(made as u64))
            })
            .await
            .map_err(|e| HostError::Startup(format!("demo set-up failed: {e}")))?
            .map_err(|e| HostError::Startup(format!("demo set-up failed: {e}")))?;
            if others > 0 && !demo_asked {
                // Anyone who reaches the demo, playing its people, would see them, and
                // each person the switcher played would be written in beside them.
                tracing::warn!(
                    others,
                    "the demo portal is off: this data_dir holds people the demo did not make, whom anyone playing its made-up people would see, and to whom signing in as those would add them. Configure a [[consumers]] for your portal, or start with --demo to try the demo on this directory anyway"
                );
                config.demo = Some(false);
            } else if others > 0 {
                tracing::warn!(
                    others,
                    "the demo portal serves a directory with people it did not make: anyone who reaches it sees them, each of its made-up people signed in as is added to it, and playing one whose id a real person holds (jane.doe) acts as that person"
                );
            }
        }
        let demo_secret = config.demo_on().then(|| demo_secret(&social.host_key()));
        if config.demo_on() {
            if !config.listen.ip().is_loopback() {
                tracing::warn!(
                    listen = %config.listen,
                    "DEMO MODE IS ON AND NOT ON LOOPBACK: anyone who can reach this address can act as any demo person. Use --no-demo for a real deployment."
                );
            }
            // Asked for beside a real portal, or served at a public address through a
            // proxy (which reaches the host on loopback, so the warning above is not
            // said): its switcher is then on the same host as real people.
            if serves_portals || config.public_url.is_some() {
                tracing::warn!(
                    "DEMO MODE IS ON beside a portal's configuration (a [[consumers]] or public_url): anyone who reaches the demo's pages can act as any of its people. Use --no-demo once you have tried it."
                );
            }
        } else {
            // Fifty made-up people in a real directory show in every user's lists; an
            // administrator who tried the demo on this `data_dir` first must hear it.
            let demo_social = social.clone();
            let left = tokio::task::spawn_blocking(move || {
                crate::demo::people::people_left_in(&demo_social)
            })
            .await
            .map_err(|e| HostError::Startup(format!("database read failed: {e}")))?
            .map_err(|e| HostError::Startup(format!("database read failed: {e}")))?;
            if left > 0 {
                tracing::warn!(
                    people = left,
                    "this database holds the demo's made-up people (the demo ran on this data_dir); every user's lists show them. Start a real deployment on a fresh data_dir, or delete them with DELETE /api/users/{{id}}"
                );
            }
        }
        if let Some(secret) = &demo_secret {
            config.consumers.push(ConsumerConfig {
                id: DEMO_CONSUMER.to_owned(),
                hs256_secret: Some(secret.clone()),
                jwks_file: None,
                allowed_origins: demo_origins(&config),
                wsrp_secret: None,
                audience: None,
                wsrp_guest_users: Vec::new(),
            });
        }
        let verifier = match &demo_secret {
            Some(_) => {
                Verifier::from_config(&config).map_err(|e| HostError::Startup(e.to_string()))?
            }
            None => configured,
        };
        let p_auth = PAuth::new(social.host_key());
        let languages = Languages::shared();
        let widgets =
            crate::widgets::builtin_widgets(social.clone(), Arc::clone(&templates), languages);
        // The consumers configured, not the demo's own added above: the demo is what
        // `cargo run` without a portal serves, and the built-in widgets are meant.
        let (catalog, watcher) = load_catalog(
            config.descriptors_dir.clone(),
            Portals::from(serves_portals),
        )
        .await?;
        let claims = Arc::new(super::claims::ClaimsMemo::default());
        // Half, not less: a person's script acting on many people at once may fill a
        // group, and still leaves the other half to everyone else. Shared by both
        // protocols' actions.
        let write_shares = super::shares::Shares::new(WRITES_WAITING_AT_ONCE / 2);
        let named_shares = super::shares::Shares::new(WRITES_NAMED_AT_ONCE);
        let wsrp = Producer::new(
            catalog.clone(),
            widgets.clone(),
            config.consumers.clone(),
            Arc::new(StoredRegistrations(social.clone())),
            Arc::new(DirectoryHooks {
                social: social.clone(),
                claims: Arc::clone(&claims),
                render_slots: Arc::new(BlockingSlots::new(render_slots())),
                write_shares: write_shares.clone(),
                named_shares: named_shares.clone(),
                slot_wait: config.limits.request_timeout(),
            }),
            p_auth.clone(),
        );
        Ok(Self {
            config,
            metrics: Arc::default(),
            claims,
            render_pool: super::render_pool::RenderPool::new(render_slots())
                .map_err(|e| HostError::Startup(format!("cannot start the render threads: {e}")))?,
            write_slots: Arc::new(tokio::sync::Semaphore::new(WRITES_WAITING_AT_ONCE)),
            write_slot_count: WRITES_WAITING_AT_ONCE,
            write_shares,
            named_shares,
            wsrp_envelopes: Arc::new(tokio::sync::Semaphore::new(WSRP_ENVELOPES_AT_ONCE)),
            backups: Arc::new(tokio::sync::Semaphore::new(1)),
            disk_figures: Default::default(),
            stopping: Arc::default(),
            wsrp_bytes: Arc::new(tokio::sync::Semaphore::new(WSRP_BYTES_IN_FLIGHT)),
            large_answers: super::large_answers::LargeAnswers::new(LARGE_ANSWERS_HELD_BYTES),
            catalog,
            social,
            verifier: Arc::new(verifier),
            p_auth,
            languages,
            widgets,
            templates,
            wsrp,
            demo_secret,
            started: Instant::now(),
            _watcher: watcher,
        })
    }
}

/// Where browsers reach the demo portal: the listen address, and `localhost` for a
/// loopback one, so redirects back to the demo page are allowed either way. A host
/// listening on every address (`0.0.0.0`) is opened on this machine at the loopback
/// address its log prints.
fn demo_origins(config: &Config) -> Vec<String> {
    let mut origins = vec![format!("http://{}", config.listen)];
    let ip = config.listen.ip();
    if ip.is_loopback() || ip.is_unspecified() {
        let port = config.listen.port();
        origins.push(format!("http://localhost:{port}"));
        origins.push(format!("http://127.0.0.1:{port}"));
        origins.push(format!("http://[::1]:{port}"));
    }
    if let Some(url) = &config.public_url {
        origins.push(url.trim_end_matches('/').to_owned());
    }
    origins.dedup();
    origins
}

/// The demo consumer's secret, derived from the host key (kept in the database) so
/// demo tokens survive a restart and are never the same on two hosts.
fn demo_secret(host_key: &[u8; 32]) -> String {
    use hmac::Mac;
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(host_key).expect("any key length"); // invariant: HMAC takes keys of any length
    mac.update(b"widget-host demo consumer secret v1");
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// WSRP registrations kept in the database, so a registered portal survives restarts.
struct StoredRegistrations(Social);

impl StoredRegistrations {
    fn encode(registration: &Registration) -> Result<Vec<u8>, RegistrationStoreError> {
        serde_json::to_vec(registration).map_err(|e| RegistrationStoreError(e.to_string()))
    }
}

fn store_error(e: impl std::fmt::Display) -> RegistrationStoreError {
    RegistrationStoreError(e.to_string())
}

impl RegistrationStore for StoredRegistrations {
    fn create(
        &self,
        handle: &str,
        registration: Registration,
    ) -> Result<(), RegistrationStoreError> {
        self.0
            .put_registration(handle, Self::encode(&registration)?)
            .map_err(store_error)
    }

    fn get(&self, handle: &str) -> Result<Option<Registration>, RegistrationStoreError> {
        match self.0.registration(handle).map_err(store_error)? {
            Some(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(store_error),
            None => Ok(None),
        }
    }

    fn modify(
        &self,
        handle: &str,
        registration: Registration,
    ) -> Result<bool, RegistrationStoreError> {
        // The look and the write are one transaction: a deregistration acknowledged
        // in between stays done.
        self.0
            .replace_registration(handle, Self::encode(&registration)?)
            .map_err(store_error)
    }

    fn delete(&self, handle: &str) -> Result<bool, RegistrationStoreError> {
        self.0.delete_registration(handle).map_err(store_error)
    }
}

/// WSRP user profiles refresh the directory, as JWT claims do natively, and WSRP
/// renders and resources are bounded as native ones are.
struct DirectoryHooks {
    social: Social,
    /// Shared with the native path: claims applied by either need no second look.
    claims: Arc<super::claims::ClaimsMemo>,
    render_slots: Arc<BlockingSlots>,
    /// The native path's shares of the waiting writes, which a WSRP action takes too.
    write_shares: super::shares::Shares,
    named_shares: super::shares::Shares,
    /// How long a call waits for a render slot: the request timeout, which a WSRP
    /// call, waited for as a write may be, is not otherwise cut off by.
    slot_wait: std::time::Duration,
}

/// Slots waited for on a blocking thread, for the producer, which learns that a call
/// is a render only once it is running on the blocking pool, and renders there, so
/// a set of its own: the render pool's places are taken by async callers, as futures,
/// for work on the pool's own threads. A slot's holder is always running, and gives
/// it back.
struct BlockingSlots {
    free: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

/// One of [`BlockingSlots`], given back when dropped.
struct BlockingSlot(Arc<BlockingSlots>);

impl BlockingSlots {
    fn new(slots: usize) -> Self {
        Self {
            free: std::sync::Mutex::new(slots),
            freed: std::sync::Condvar::new(),
        }
    }

    /// A slot, or `None` if none came free within `wait`.
    fn take_within(self: &Arc<Self>, wait: std::time::Duration) -> Option<BlockingSlot> {
        let deadline = std::time::Instant::now() + wait;
        // A poisoned lock still counts right: the count is changed in one statement.
        let mut free = self.free.lock().unwrap_or_else(|p| p.into_inner());
        while *free == 0 {
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            free = self
                .freed
                .wait_timeout(free, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        *free -= 1;
        Some(BlockingSlot(Arc::clone(self)))
    }
}

impl Drop for BlockingSlot {
    fn drop(&mut self) {
        let mut free = self.0.free.lock().unwrap_or_else(|p| p.into_inner());
        *free += 1;
        self.0.freed.notify_one();
    }
}

/// `who`'s part of the waiting writes for one write naming `weight` people: one of
/// their half of the write slots, and `weight` of the people theirs may name.
/// `None`, logged through a throttle, where either part is taken.
fn persons_share(
    write_shares: &super::shares::Shares,
    named_shares: &super::shares::Shares,
    who: &str,
    weight: usize,
) -> Option<(super::shares::Share, super::shares::Share)> {
    let refused = |what: &str| {
        if let Some(unlogged) = REFUSED_WRITES.admit() {
            tracing::warn!(
                unlogged,
                "a person's write was refused as busy: they have {what} waiting already (one such line per 10 s; `unlogged` counts those left out)"
            );
        }
    };
    let Some(one) = write_shares.take(who, 1) else {
        refused("half of the write slots");
        return None;
    };
    let Some(named) = named_shares.take(who, weight.clamp(1, WRITES_NAMED_AT_ONCE)) else {
        refused(&format!("writes naming {WRITES_NAMED_AT_ONCE} people"));
        return None;
    };
    Some((one, named))
}

impl ProducerHooks for DirectoryHooks {
    fn refresh_profile(&self, user: &PortalUser) {
        // A steady consumer sends the same profile with every call: one map lookup,
        // not a snapshot (and perhaps a commit) before each render.
        if self.claims.is_current(user) {
            return;
        }
        let ticket = self.claims.ticket();
        let wrote = match self.social.profile_changes(&user.user_id, &user.profile) {
            Ok(false) => return self.claims.applied(user, ticket),
            Ok(true) => {
                // In the person's part of the waiting writes, as a native refresh's
                // write is (`in_write_slot`): past it, the profile waits for their
                // next call, as one whose write failed does.
                let Some(_share) =
                    persons_share(&self.write_shares, &self.named_shares, &user.user_id, 1)
                else {
                    return;
                };
                // As a native refresh does (`ClaimsMemo::writing`): two calls of one
                // person with different claims may commit in either order.
                let writing = self.claims.writing(&user.user_id, ticket);
                let wrote = self.social.write_profile(&user.user_id, &user.profile);
                self.claims.written(user, writing, wrote.is_ok());
                wrote
            }
            Err(error) => Err(error),
        };
        // As the native refresh's failure: through a throttle (once the file has
        // failed, every WSRP call fails so), and without the user id, which may be
        // an address.
        if let Err(error) = wrote {
            static FAILURES: crate::throttle::Throttle = crate::throttle::Throttle::new();
            crate::throttle::log_error(
                &FAILURES,
                "directory refresh from WSRP profile failed",
                &error,
            );
        }
    }

    fn render_slot(&self) -> Option<Hold> {
        // The producer runs on the blocking pool, where a thread may wait.
        let slot = self.render_slots.take_within(self.slot_wait)?;
        Some(Hold::held(slot))
    }

    fn write_share(&self, user: &str, weight: usize) -> Option<Hold> {
        persons_share(&self.write_shares, &self.named_shares, user, weight).map(Hold::held)
    }
}

/// Says at start which database file the host serves and how many people it holds:
/// a mistyped or relative `data_dir` (relative to the service manager's working
/// folder) otherwise starts a new, empty directory without a word. A new one for a
/// host that serves portals is warned of, and so are a file or folder others may use
/// ([`exposed`]) and a clock that lost its setting ([`clock_unset`]).
fn opened(social: &Social, path: &std::path::Path, new: bool, serves_portals: bool) {
    let at = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let people = social
        .read()
        .and_then(|reader| Ok(reader.directory_size()?));
    match people {
        Ok(people) => tracing::info!(database = %at.display(), people, new, "database opened"),
        Err(error) => tracing::warn!(
            database = %at.display(),
            %error,
            "database opened; its directory could not be counted"
        ),
    }
    if new && serves_portals {
        tracing::warn!(
            database = %at.display(),
            "a new, empty database was created: if this host should serve an existing directory, check data_dir (a relative one follows the working folder)"
        );
    }
    for warning in exposed(path) {
        tracing::warn!("{warning}");
    }
    if let Some(error) = clock_unset(crate::clock::unix_now()) {
        tracing::error!("{error}");
    }
}

/// Said at start when the clock reads before [`crate::clock::EARLIEST_BELIEVABLE`]:
/// every portal's token is refused until it is set, and the refusals logged one by one
/// would not say why.
fn clock_unset(now: u64) -> Option<String> {
    (now < crate::clock::EARLIEST_BELIEVABLE).then(|| {
        format!(
            "the clock reads {now} seconds after 1970, before 2026: it has lost its setting, and every portal's token will be refused until it is set (timedatectl, NTP)"
        )
    })
}

/// What others than the database's owner may do to it, said at start. The host makes
/// its files and folders its owner's alone; ones copied in, or made by an older
/// release, keep what they were given.
fn exposed(path: &std::path::Path) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(mode) = crate::store::shared_mode(path, 0o077) {
        warnings.push(format!(
            "the database {} (mode {mode:o}) may be opened by other users than its owner, and holds everyone's personal data and the key that signs forms: chmod 600 it",
            path.display()
        ));
    }
    if let Some(dir) = path.parent()
        && let Some(mode) = crate::store::shared_mode(dir, 0o022)
    {
        warnings.push(format!(
            "the data folder {} (mode {mode:o}) may be written to by other users than its owner, who could put a database of their own, whose key they know, in place of this one: chmod go-w it",
            dir.display()
        ));
    }
    warnings
}

/// Whether the configuration names any consumer (a portal the host serves).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Portals {
    None,
    Some,
}

impl From<bool> for Portals {
    fn from(any: bool) -> Self {
        if any { Self::Some } else { Self::None }
    }
}

/// The catalog from descriptors_dir, watched; or the built-in descriptors while that
/// folder does not exist (so `cargo run` works from anywhere), watched for its arrival.
/// `portals` says whether the configuration names consumers, for how loud a missing
/// folder is.
async fn load_catalog(
    dir: std::path::PathBuf,
    portals: Portals,
) -> Result<(CatalogHandle, Option<Watcher>), HostError> {
    tokio::task::spawn_blocking(move || {
        // The watcher reloads from the absolute path; loading from the same one keeps
        // its catch-up reload from finding every folder's path changed (and logging a
        // reload) when the folder was given relative, as the default is.
        let dir = std::path::absolute(&dir).unwrap_or(dir);
        if !dir.is_dir() {
            let mut builtin = descriptors::builtin();
            // A file in the folder's place is a mistake, said where `/readyz` and
            // `descriptors check` say problems, not a folder still to come.
            let a_file = dir.exists();
            if a_file {
                builtin.problems.push(descriptors::a_file_in_its_place(&dir));
            }
            let handle = CatalogHandle::new(builtin);
            return Ok(match descriptors::spawn_watcher(dir.clone(), handle.clone()) {
                Ok(watcher) => {
                    // Without a portal (`cargo run`, the demo) the built-in widgets are
                    // what is meant. A host that serves portals was most likely given
                    // its own descriptors, and a mistyped path would serve the shipped
                    // ones, preferences and all, without a word at the default level.
                    let message = "descriptors folder not found; serving the built-in widgets until it is made";
                    match portals {
                        _ if a_file => tracing::warn!(
                            dir = %dir.display(),
                            "descriptors_dir is a file, not a folder; serving the built-in widgets"
                        ),
                        Portals::None => tracing::info!(dir = %dir.display(), "{message}"),
                        Portals::Some => tracing::warn!(dir = %dir.display(), "{message}"),
                    }
                    (handle, Some(watcher))
                }
                Err(error) => {
                    // Nothing will notice the folder if it is made later (a typo in
                    // the path, perhaps): say so where an administrator looks.
                    tracing::warn!(dir = %dir.display(), %error, "descriptors folder not found and cannot be waited for; serving the built-in widgets until a restart");
                    let mut catalog = descriptors::builtin();
                    catalog.problems.push(descriptors::xml::problem(
                        &dir,
                        descriptors::xml::Pos { line: 1, column: 1 },
                        "",
                        format!("descriptors_dir does not exist, and its arrival cannot be watched for: {error}"),
                        "create the folder (or fix descriptors_dir, or the permissions of the folder above it) and restart; the built-in widgets serve meanwhile".into(),
                    ));
                    (CatalogHandle::new(catalog), None)
                }
            });
        }
        let catalog = descriptors::load_dir(&dir);
        descriptors::say(&catalog, &dir);
        tracing::info!(dir = %dir.display(), widgets = catalog.widgets.len(), "descriptors loaded");
        let handle = CatalogHandle::new(catalog);
        let watcher = descriptors::spawn_watcher(dir, handle.clone()).map_err(|e| HostError::Startup(e.to_string()))?;
        Ok((handle, Some(watcher)))
    })
    .await
    .map_err(|e| HostError::Startup(format!("descriptor loading failed: {e}")))?
}

/// WSRP envelopes handled at once, once read: each holds a blocking thread (and may
/// wait there for the writer, while an action's read takes a second one for a
/// moment), so this bounds what WSRP puts on the pool.
pub const WSRP_ENVELOPES_AT_ONCE: usize = 64;

/// Bytes of WSRP envelopes being read at once, across all connections: as many as 64
/// envelopes of the largest size. An envelope is read whole (up to 512 KiB) before its
/// registration inside can be checked, so without a bound every connection could hold
/// one unchecked: 1,024 of them, half a gibibyte. Each envelope takes a permit for each
/// byte as it arrives, and keeps them until it has been handled: a client that sends
/// slowly holds only what it sent, and keeping the others out takes sending this much.
/// (The buffers grow by doubling, so they take at most twice this.) Past it, a read
/// that holds nothing yet waits for room, up to the request timeout, then gets 503;
/// one that holds some gets 503 at once (see `wsrp_routes::read_envelope`).
pub const WSRP_BYTES_IN_FLIGHT: usize = WSRP_ENVELOPES_AT_ONCE * 512 * 1024;

/// Most bytes of large answers the host holds at once for clients still reading them.
/// An export is built whole (up to 16 MiB of all connections, 32 MiB of a chosen
/// list) and kept until its client has read it, and
/// a client that takes a little within each request timeout is not cut off, however
/// slowly it reads, so without a bound one person's export link fetched on a thousand
/// connections would hold gigabytes. Past it, a large answer gets 503 (retry shortly)
/// as soon as it is built, and the log says so. Four exports of the largest size, or
/// a few hundred of an ordinary contact list. One person's answers hold a quarter of
/// it at most (see `large_answers::LargeAnswers`). The price: clients of four people or
/// more that read that much slowly enough keep other large answers out while they
/// read, which is the lesser harm than the memory they would otherwise take.
pub const LARGE_ANSWERS_HELD_BYTES: usize = 128 * 1024 * 1024;

/// Writes that may wait for the writer at once over the native protocol and the user
/// API: actions, directory refreshes that found a change, the API's PUTs and DELETEs.
/// They wait for their commit as futures, without a thread (`Store::write_async`), so
/// while a long write holds the writer (deleting a hub takes seconds) the calls waiting
/// behind it hold no thread. The slots bound the jobs queued for the writer meanwhile,
/// and each goes with its write until the commit (`AppState::in_write_slot`), so
/// requests given up at their timeout cannot queue more. This many fill the writer's
/// largest group. Past it, a call waits for a slot up to its request timeout, then is
/// refused as busy, nothing done; one that has its slot waits for its commit however
/// long it takes. WSRP's writes wait on the producer's blocking thread, bounded by its 64
/// envelopes.
pub const WRITES_WAITING_AT_ONCE: usize = 256;

/// People one person's waiting writes may name in all: two of the largest bulk
/// actions (200 people each) at once, as a person who clicks twice sends, and about
/// 80 ms of the writer's time at its measured 190 µs a person (BENCHMARKS.md). Without
/// it, half of the write slots of 200-person actions were 25,600 writes, seconds of
/// the one writer's time before anyone else's action in each round of a script.
pub const WRITES_NAMED_AT_ONCE: usize = 400;

static REFUSED_WRITES: crate::throttle::Throttle = crate::throttle::Throttle::new();

/// How many renders and resources may run at once, and the threads of the render pool:
/// two per core. One per core would be enough for pure CPU work; the second covers a
/// render that waits on a page the database cache has to read from the file. Actions
/// have slots of their own ([`WRITES_WAITING_AT_ONCE`]): they spend their time waiting
/// for a grouped commit, and the more of them wait together, the more one fsync serves.
pub fn render_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get()) * 2
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A WSRP profile's write takes the person's part of the waiting writes, as a
    /// native refresh's does: with it all held, the profile is not written (nor
    /// remembered as applied), and the next call writes it.
    #[test]
    fn a_wsrp_profile_write_takes_the_persons_share() {
        let social = Social::in_memory().expect("store");
        let hooks = DirectoryHooks {
            social: social.clone(),
            claims: Arc::default(),
            render_slots: Arc::new(BlockingSlots::new(1)),
            write_shares: super::super::shares::Shares::new(1),
            named_shares: super::super::shares::Shares::new(WRITES_NAMED_AT_ONCE),
            slot_wait: std::time::Duration::from_secs(1),
        };
        let user = PortalUser {
            user_id: "wanda".into(),
            consumer: "portal".into(),
            roles: Vec::new(),
            profile: crate::portal::Profile {
                given_name: Some("Wanda".into()),
                ..Default::default()
            },
        };
        let known = || {
            social
                .read()
                .expect("read")
                .person("wanda")
                .expect("person")
                .is_some()
        };
        let held = hooks
            .write_shares
            .take("wanda", 1)
            .expect("all of her part");
        hooks.refresh_profile(&user);
        assert!(!known(), "written past her share");
        drop(held);
        hooks.refresh_profile(&user);
        assert!(known(), "written once her share is free");
    }

    /// A database others may open, or a data folder others may write to, is said at
    /// start; one its owner's alone is not.
    #[cfg(unix)]
    #[test]
    fn a_database_others_may_open_is_said_at_start() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let data = dir.path().join("data");
        crate::store::create_folder(&data).expect("folder");
        let path = data.join("widget-host.redb");
        std::fs::write(&path, "").expect("file");
        let mode = |path: &std::path::Path, mode| {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod")
        };
        mode(&path, 0o600);
        assert_eq!(exposed(&path), Vec::<String>::new());
        mode(&path, 0o644);
        let said = exposed(&path);
        assert!(
            said.len() == 1 && said[0].contains("(mode 644)") && said[0].contains("chmod 600"),
            "{said:?}"
        );
        mode(&path, 0o600);
        mode(&data, 0o775);
        let said = exposed(&path);
        assert!(
            said.len() == 1 && said[0].contains("data folder") && said[0].contains("chmod go-w"),
            "{said:?}"
        );
    }

    /// A clock that lost its setting is named so (at start, by `opened`), one that is
    /// set is not.
    #[test]
    fn a_clock_before_the_floor_is_named_unset() {
        let said = clock_unset(0).expect("said");
        assert!(
            said.contains("every portal's token will be refused"),
            "{said}"
        );
        assert!(clock_unset(crate::clock::EARLIEST_BELIEVABLE - 1).is_some());
        assert_eq!(clock_unset(crate::clock::EARLIEST_BELIEVABLE), None);
        assert_eq!(clock_unset(crate::clock::unix_now()), None);
    }

    /// A demo listening on every address is opened on this machine at the loopback
    /// address its log prints: its links and redirects go back there.
    #[test]
    fn a_demo_on_every_address_takes_its_loopback_origins() {
        let config = Config {
            listen: "0.0.0.0:8080".parse().expect("addr"),
            ..Config::default()
        };
        let origins = demo_origins(&config);
        for origin in [
            "http://127.0.0.1:8080",
            "http://localhost:8080",
            "http://[::1]:8080",
        ] {
            assert!(origins.iter().any(|o| o == origin), "{origin}: {origins:?}");
        }
        let remote = Config {
            listen: "192.0.2.7:8080".parse().expect("addr"),
            ..Config::default()
        };
        assert_eq!(demo_origins(&remote), ["http://192.0.2.7:8080"]);
    }

    /// The default folder is relative (tests run from the project's root, where the
    /// repository's own `widget-descriptors` folder is). The watcher's first reload,
    /// which catches up on changes made while it started, must find nothing new.
    #[tokio::test]
    async fn the_catch_up_reload_of_a_relative_folder_replaces_nothing() {
        let relative = std::path::PathBuf::from("widget-descriptors");
        assert!(relative.is_dir(), "run from the project's root");
        let (handle, watcher) = load_catalog(relative, Portals::None).await.expect("loaded");
        let watcher = watcher.expect("watched");
        let loaded = handle.current();
        assert!(!loaded.widgets.is_empty());
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while watcher.reloads() == 0 {
            assert!(std::time::Instant::now() < deadline, "no catch-up reload");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        assert!(
            Arc::ptr_eq(&loaded, &handle.current()),
            "the catch-up reload replaced the catalog"
        );
    }

    /// The demo's secret follows the host key, which the database keeps: the same
    /// after a restart, another on another host, and long enough for HS256.
    #[test]
    fn the_demo_secret_is_the_host_keys_own() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("host.redb");
        let first = demo_secret(&Social::open(&path).expect("open").host_key());
        let again = demo_secret(&Social::open(&path).expect("reopen").host_key());
        assert_eq!(first, again, "the same after a restart");
        let other = dir.path().join("other.redb");
        let elsewhere = demo_secret(&Social::open(&other).expect("open").host_key());
        assert_ne!(first, elsewhere, "another host, another secret");
        assert_eq!(first.len(), 64);
        assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    }

    /// WSRP renders wait for a slot on their blocking thread, and a profile a
    /// consumer sends again unchanged costs no snapshot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn wsrp_hooks_share_the_render_slots_and_the_claims_memo() {
        let social = Social::in_memory().expect("store");
        let slots = Arc::new(BlockingSlots::new(1));
        let hooks = Arc::new(DirectoryHooks {
            social: social.clone(),
            claims: Arc::default(),
            render_slots: Arc::clone(&slots),
            write_shares: super::super::shares::Shares::new(1),
            named_shares: super::super::shares::Shares::new(1),
            slot_wait: std::time::Duration::from_secs(30),
        });
        let free = |slots: &BlockingSlots| *slots.free.lock().expect("count");
        let on_pool = |work: Box<dyn FnOnce(&DirectoryHooks) + Send>| {
            let hooks = Arc::clone(&hooks);
            tokio::task::spawn_blocking(move || work(&hooks))
        };
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        on_pool(Box::new(move |h| {
            let slot = h.render_slot();
            held_tx.send(slot).expect("send");
        }))
        .await
        .expect("first slot");
        let held = held_rx.recv().expect("held");
        assert_eq!(free(&slots), 0);
        // One that finds none free within its wait gets none, and holds nothing.
        let short = DirectoryHooks {
            social: social.clone(),
            claims: Arc::default(),
            render_slots: Arc::clone(&slots),
            write_shares: super::super::shares::Shares::new(1),
            named_shares: super::super::shares::Shares::new(1),
            slot_wait: std::time::Duration::from_millis(50),
        };
        let none = tokio::task::spawn_blocking(move || short.render_slot().is_none());
        assert!(none.await.expect("joined"), "a slot past a full set");
        assert_eq!(free(&slots), 0);
        // A second render waits until the first gives its slot back.
        let second = on_pool(Box::new(|h| drop(h.render_slot())));
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        assert!(
            !second.is_finished(),
            "a second render went past a full set of slots"
        );
        drop(held);
        second.await.expect("second slot");
        assert_eq!(free(&slots), 1);

        let user = PortalUser {
            consumer: "portal".into(),
            user_id: "u1".into(),
            roles: Vec::new(),
            profile: crate::portal::Profile {
                given_name: Some("Ann".into()),
                ..Default::default()
            },
        };
        let refresh = |user: &PortalUser| {
            let user = user.clone();
            on_pool(Box::new(move |h| h.refresh_profile(&user)))
        };
        refresh(&user).await.expect("first refresh");
        let person = social.read().expect("read").person("u1").expect("read");
        assert_eq!(person.map(|p| p.given_name), Some("Ann".to_owned()));
        let taken = social.snapshots_taken();
        refresh(&user).await.expect("same claims");
        assert_eq!(
            social.snapshots_taken(),
            taken,
            "unchanged claims are not looked at"
        );
        let mut renamed = user.clone();
        renamed.profile.given_name = Some("Anna".into());
        refresh(&renamed).await.expect("changed claims");
        assert!(social.snapshots_taken() > taken);
    }
}
