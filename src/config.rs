//! Configuration: embedded defaults, then a TOML file (`--config`), then `WIDGET_HOST_*`
//! environment variables, then command-line flags. Each layer overrides the one before.
//! Every error names the key it is about, so an administrator can fix it at once.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The whole configuration of one host.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to serve on. Loopback by default: the demo portal mints tokens for anyone.
    /// A host name (`localhost:8080`) is resolved once, when the configuration loads
    /// ([`parse_listen`]).
    #[serde(deserialize_with = "listen_from_text")]
    pub listen: SocketAddr,
    /// Folder of the redb file (`widget-host.redb`).
    pub data_dir: PathBuf,
    /// Folder of widget descriptor folders, watched for changes. When it does not
    /// exist the built-in copies of the shipped descriptors serve.
    pub descriptors_dir: PathBuf,
    /// Optional folder of templates that override the built-in ones by name.
    pub templates_dir: Option<PathBuf>,
    /// Origin at which browsers reach the host (forms post and links point here), e.g.
    /// `https://widgets.example.com`. Unset: the Host header of each request.
    pub public_url: Option<String>,
    /// Serve the demo portal at `/` and seed demo people into an empty database. Unset,
    /// it is on only while no consumer is configured (see [`Config::demo_on`]).
    pub demo: Option<bool>,
    /// `text` (readable) or `json` logs.
    pub log_format: LogFormat,
    pub limits: Limits,
    /// One entry per consumer portal.
    pub consumers: Vec<ConsumerConfig>,
    /// `WIDGET_HOST_` variables that name no setting and look like none misspelt (a
    /// harness's own, such as `WIDGET_HOST_BIN`): passed over, and logged at start.
    #[serde(skip)]
    pub ignored_env: Vec<String>,
    /// The configuration file, where every local user may read it (it holds the
    /// consumers' secrets, with which anyone signs in as anyone): logged at start.
    #[serde(skip)]
    pub readable_by_all: Option<PathBuf>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("data"),
            descriptors_dir: PathBuf::from("widget-descriptors"),
            templates_dir: None,
            public_url: None,
            demo: None,
            log_format: LogFormat::Text,
            limits: Limits::default(),
            consumers: Vec::new(),
            ignored_env: Vec::new(),
            readable_by_all: None,
        }
    }
}

/// Reads an address to listen on: an IP address and a port (`127.0.0.1:8080`,
/// `[::1]:8080`), or a host name and a port (`localhost:8080`), which is resolved
/// here, once. A name with both IPv4 and IPv6 addresses listens on its first IPv4
/// one, so `localhost` means 127.0.0.1 wherever the resolver lists ::1 first: the
/// address the README and the demo open. One address only: the host serves on one
/// socket. Only a well-formed host name goes to the resolver: anything else (an IPv6
/// address without brackets, which would otherwise split into `::` and a port and
/// listen on every interface; spaces; brackets around a name) is refused here, with
/// the example, rather than looked up.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    use std::net::ToSocketAddrs;
    if let Ok(address) = text.parse() {
        return Ok(address);
    }
    let example =
        "expected an address and a port such as 127.0.0.1:8080, [::1]:8080 or localhost:8080";
    let (name, port) = text
        .rsplit_once(':')
        .filter(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|(name, port)| Some((name, port.parse::<u16>().ok()?)))
        .ok_or_else(|| format!("{text:?}: {example}"))?;
    if name.contains(':') {
        return Err(format!(
            "{text:?}: an IPv6 address goes in brackets before its port; {example}"
        ));
    }
    let host_name = !name.is_empty()
        && name.split('.').all(|label| {
            !label.is_empty()
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        });
    if !host_name {
        return Err(format!("{text:?}: {example}"));
    }
    let found: Vec<SocketAddr> = (name, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {name:?}: {e}"))?
        .collect();
    found
        .iter()
        .find(|a| a.is_ipv4())
        .or(found.first())
        .copied()
        .ok_or_else(|| format!("{name:?} has no address"))
}

fn listen_from_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
    let text = String::deserialize(d)?;
    parse_listen(&text).map_err(serde::de::Error::custom)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl LogFormat {
    /// The format a `WIDGET_HOST_LOG_FORMAT` value names, spelt as the file spells it.
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "text" => Some(Self::Text),
            "json" => Some(Self::Json),
            _ => None,
        }
    }
}

/// Resource limits of the HTTP server. The defaults suit a widget host behind a portal:
/// bodies are small forms and SOAP envelopes, never uploads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest request body accepted; larger ones get 413 before being read whole.
    pub max_body_bytes: usize,
    /// Largest request head (request line and headers).
    pub max_header_bytes: usize,
    /// Connections served at once; further ones are answered 503 and closed.
    pub max_connections: usize,
    /// Time allowed for one request, head and body and answer; also the header read
    /// timeout. A request that may write (a widget action, a WSRP call, the user API, a
    /// backup) gets it for its head and body, then waits for its commit: its answer
    /// says what happened.
    pub request_timeout_secs: u64,
    /// How long a shutdown waits for requests in flight.
    pub shutdown_grace_secs: u64,
}

impl Limits {
    /// [`Self::request_timeout_secs`] as a duration.
    pub fn request_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.request_timeout_secs)
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_body_bytes: 1024 * 1024,
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
            request_timeout_secs: 30,
            shutdown_grace_secs: 10,
        }
    }
}

/// A portal that may call the host.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerConfig {
    /// The consumer's id: the JWT `iss` and the WSRP `consumerName`. An OIDC issuer is
    /// a URL (`https://portal.example.com/o/oauth2`), so see [`is_consumer_id`].
    pub id: String,
    /// Shared secret for HS256 tokens; not empty, and
    /// [`ADVISED_HS256_SECRET_BYTES`] long or more unless a warning at start is wanted.
    #[serde(default)]
    pub hs256_secret: Option<String>,
    /// JWKS document with RS256/ES256 public keys (Liferay's OAuth2 JWKS works as it is).
    #[serde(default)]
    pub jwks_file: Option<PathBuf>,
    /// Origins (`scheme://host[:port]`) that redirects may go to and CORS allows.
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Secret the consumer proves with a `wsrp_secret` registration property.
    #[serde(default)]
    pub wsrp_secret: Option<String>,
    /// When set, a token must name it in `aud`. An authorization server signs tokens
    /// for every client application with the same keys (Liferay's OAuth2 JWKS does): a
    /// token it made for another application has the right issuer and signature, and
    /// only the audience tells it apart.
    #[serde(default)]
    pub audience: Option<String>,
    /// `userContextKey`s that mean "not signed in" on the consumer's WSRP calls.
    /// Liferay's WSRP consumer sends its default user's id for every visitor who is
    /// not signed in; taken as a user, they would all be one person, each seeing and
    /// changing what the others did.
    #[serde(default)]
    pub wsrp_guest_users: Vec<String>,
}

/// The secrets show as whether they are set: a configuration printed in a log line or
/// a panic message must not carry what signs every user's tokens.
impl fmt::Debug for ConsumerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secret = |s: &Option<String>| s.as_ref().map(|_| "<secret>");
        f.debug_struct("ConsumerConfig")
            .field("id", &self.id)
            .field("hs256_secret", &secret(&self.hs256_secret))
            .field("jwks_file", &self.jwks_file)
            .field("allowed_origins", &self.allowed_origins)
            .field("wsrp_secret", &secret(&self.wsrp_secret))
            .field("audience", &self.audience)
            .field("wsrp_guest_users", &self.wsrp_guest_users)
            .finish()
    }
}

/// Shortest HS256 secret the host runs with in silence: RFC 7518 section 3.2 wants a
/// key at least as long as the hash output (256 bits). A shorter one is the portal's
/// choice (DESIGN sets no minimum, and test setups use short ones), so it is warned of
/// at start, not refused: anyone holding one token can try guesses at it offline.
pub const ADVISED_HS256_SECRET_BYTES: usize = 32;
/// Shortest `wsrp_secret` the host runs with in silence: a registration acts, through
/// `userContextKey`, as any user of its portal, so a guessable one lets anyone who
/// knows the consumer id do the same. Shorter ones are warned of, like short HS256 keys.
pub const ADVISED_WSRP_SECRET_BYTES: usize = 16;

/// Longest consumer id: an OIDC issuer URL with a realm path fits with room to spare,
/// and every `p_auth` the host renders carries the id, so it stays bounded.
pub const MAX_CONSUMER_ID_LEN: usize = 256;

/// Whether `id` may name a consumer: 1 to [`MAX_CONSUMER_ID_LEN`] bytes of visible
/// ASCII (`!` to `~`), except `~`.
///
/// `iss` is whatever the portal's issuer is, commonly a URL with `:`, `/`, `?`, `#`, `%`,
/// `&` and `=`. Where the id travels, each of those is safe: a `p_auth` value is
/// percent-encoded in resource links, sent as a form field, and HTML-escaped in the
/// fragment; logs, WSRP registrations (a redb value, not a key) and error messages
/// quote it. What stays out: `~`, which separates the id from the user id in a
/// `p_auth` value; spaces and control characters, which would make a log line or an
/// error message read as something else; and non-ASCII, which portals' issuers
/// never use and which would let two ids look alike.
pub fn is_consumer_id(id: &str) -> bool {
    (1..=MAX_CONSUMER_ID_LEN).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_graphic() && b != b'~')
}

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {}: {source}", named(path, *by_env))]
    Read {
        path: PathBuf,
        source: std::io::Error,
        /// Whether `WIDGET_HOST_CONFIG` named the file, not `--config`.
        by_env: bool,
    },
    #[error("configuration file {}: {message}", named(path, *by_env))]
    Parse {
        path: PathBuf,
        message: String,
        by_env: bool,
    },
    #[error("environment variable {var}: {message}")]
    Env { var: String, message: String },
    #[error("configuration key {key}: {message}")]
    Invalid { key: String, message: String },
    /// [`ConfigError::Invalid`] of a value the file set (see `set_where`).
    #[error("configuration key {key} (in {}): {message}", in_file(path, *by_env))]
    InFile {
        key: String,
        message: String,
        path: PathBuf,
        by_env: bool,
    },
}

/// The file a value out of range was read from, as [`named`] names it after "in".
fn in_file(path: &Path, by_env: bool) -> String {
    if by_env {
        format!("{}, named by WIDGET_HOST_CONFIG", path.display())
    } else {
        path.display().to_string()
    }
}

/// A configuration file's path as an error names it, with the variable that named it
/// where an administrator who never typed `--config` would look for the flag.
fn named(path: &Path, by_env: bool) -> String {
    if by_env {
        format!("{} (named by WIDGET_HOST_CONFIG)", path.display())
    } else {
        path.display().to_string()
    }
}

impl ConfigError {
    /// The same error, said of a file that `WIDGET_HOST_CONFIG` named.
    pub fn named_by_env(self) -> Self {
        match self {
            Self::InFile {
                key, message, path, ..
            } => Self::InFile {
                key,
                message,
                path,
                by_env: true,
            },
            Self::Read { path, source, .. } => Self::Read {
                path,
                source,
                by_env: true,
            },
            Self::Parse { path, message, .. } => Self::Parse {
                path,
                message,
                by_env: true,
            },
            other => other,
        }
    }

    /// A value out of range, said with where it was set: the variable that set it, or
    /// the file. Without it the administrator searches a file that does not hold it.
    fn set_where(self, file: Option<&Path>, env: &[(String, String)], flags: &Overrides) -> Self {
        let Self::Invalid { key, message } = self else {
            return self;
        };
        // `limits.max_connections` is `WIDGET_HOST_MAX_CONNECTIONS`, `public_url`
        // `WIDGET_HOST_PUBLIC_URL`: the last part of the key, where the environment
        // may set it at all.
        let setting = key.rsplit('.').next().unwrap_or(&key).to_ascii_uppercase();
        let var = format!("WIDGET_HOST_{setting}");
        let flag = match setting.as_str() {
            "DATA_DIR" => flags.data_dir.is_some().then_some("--data-dir"),
            "DESCRIPTORS_DIR" => flags
                .descriptors_dir
                .is_some()
                .then_some("--descriptors-dir"),
            _ => None,
        };
        let key = if let Some(flag) = flag {
            format!("{key} (set by {flag})")
        } else if ENV_SETTINGS.contains(&setting.as_str()) && env.iter().any(|(k, _)| *k == var) {
            format!("{key} (set by {var})")
        } else if let Some(path) = file {
            return Self::InFile {
                key,
                message,
                path: path.to_owned(),
                by_env: false,
            };
        } else {
            key
        };
        Self::Invalid { key, message }
    }
}

/// Overrides given on the command line; `None` leaves the lower layers alone.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub descriptors_dir: Option<PathBuf>,
    pub demo: Option<bool>,
    pub log_format: Option<LogFormat>,
}

/// Whether every local user may read `path` (its mode grants "others" read). On
/// systems without Unix modes, and where the file cannot be looked at, no.
fn readable_by_all(path: &Path) -> bool {
    crate::store::shared_mode(path, 0o004).is_some()
}

impl Config {
    /// Builds the configuration from all layers. `env` is passed in (not read from the
    /// process) so tests can exercise it without touching global state.
    pub fn load(
        file: Option<&Path>,
        env: impl IntoIterator<Item = (String, String)>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut config = match file {
            Some(path) => Self::from_file(path)?,
            None => Self::default(),
        };
        config.readable_by_all = file
            .filter(|path| readable_by_all(path))
            .map(Path::to_owned);
        let env: Vec<(String, String)> = env.into_iter().collect();
        config.apply_env(env.iter().cloned())?;
        config.apply_overrides(overrides);
        config
            .validate()
            .map_err(|e| e.set_where(file, &env, overrides))?;
        config.normalize_origins();
        Ok(config)
    }

    fn from_file(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_owned(),
            source,
            by_env: false,
        })?;
        Self::from_toml(&text).map_err(|message| ConfigError::Parse {
            path: path.to_owned(),
            message,
            by_env: false,
        })
    }

    /// Parses TOML text; the error message names the line, column and key.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        toml::from_str(text).map_err(|e| parse_error(text, &e))
    }

    fn apply_env(
        &mut self,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), ConfigError> {
        for (var, value) in env {
            let Some(key) = var.strip_prefix("WIDGET_HOST_") else {
                continue;
            };
            let bad = |message: String| ConfigError::Env {
                var: var.clone(),
                message,
            };
            if is_service_link(key, &value) {
                continue;
            }
            // Kubernetes writes `WIDGET_HOST_PORT` as `tcp://…`; a bare port is an
            // administrator's guess at a setting, which would otherwise change nothing.
            if key == "PORT" {
                // An address given whole is what WIDGET_HOST_LISTEN takes as it is.
                let example = match (parse_listen(&value), value.trim().parse::<u16>()) {
                    (Ok(_), _) => value.trim().to_owned(),
                    (_, Ok(port)) => format!("127.0.0.1:{port} (0.0.0.0:{port} in a container)"),
                    _ => "127.0.0.1:8080".to_owned(),
                };
                return Err(bad(format!(
                    "is not a setting: to choose the port, set WIDGET_HOST_LISTEN, such as {example}"
                )));
            }
            // The file itself, named on the command line's behalf (clap reads it).
            if key == "CONFIG" {
                continue;
            }
            // Settings a variable cannot give: one that looks like it would leave the
            // host on the default while the administrator believes it is set.
            if let Some((_, in_file)) = FILE_ONLY.iter().find(|(name, _)| *name == key) {
                return Err(bad(format!(
                    "is not read from the environment: set {in_file} in the --config file (or WIDGET_HOST_CONFIG)"
                )));
            }
            // A misspelt setting would otherwise be dropped without a word, and the
            // host would run on its default (a database in ./data): refused. Any
            // other name is someone else's (a test harness's, a wrapper's), whatever
            // its value.
            if !ENV_SETTINGS.contains(&key) {
                match misspelt_setting(key) {
                    Some(meant) => {
                        return Err(bad(format!(
                            "unknown setting: did you mean WIDGET_HOST_{meant}? Known: CONFIG, {}",
                            ENV_SETTINGS.join(", ")
                        )));
                    }
                    None => {
                        self.ignored_env.push(var.clone());
                        continue;
                    }
                }
            }
            // An unset variable in a compose file (`WIDGET_HOST_DATA_DIR=${DATA_DIR}`)
            // comes as an empty one: an empty data folder would be the working folder.
            if value.trim().is_empty() {
                return Err(bad("is set but empty: give it a value, or unset it".into()));
            }
            match key {
                "LISTEN" => self.listen = parse_listen(&value).map_err(bad)?,
                "DATA_DIR" => self.data_dir = PathBuf::from(value),
                "DESCRIPTORS_DIR" => self.descriptors_dir = PathBuf::from(value),
                "TEMPLATES_DIR" => self.templates_dir = Some(PathBuf::from(value)),
                "PUBLIC_URL" => self.public_url = Some(value),
                "DEMO" => {
                    self.demo = Some(parse_bool(&value).ok_or_else(|| {
                        bad(format!("{value:?} is not a boolean: use true or false"))
                    })?)
                }
                "LOG_FORMAT" => {
                    self.log_format = LogFormat::parse(&value).ok_or_else(|| {
                        bad(format!("{value:?} is not a log format: use text or json"))
                    })?
                }
                "MAX_BODY_BYTES" => {
                    self.limits.max_body_bytes = value.parse().map_err(|_| {
                        bad(format!(
                            "{value:?} is not a whole number of bytes, such as 1048576"
                        ))
                    })?
                }
                "MAX_CONNECTIONS" => {
                    self.limits.max_connections = value.parse().map_err(|_| {
                        bad(format!(
                            "{value:?} is not a whole number of connections, such as 1024"
                        ))
                    })?
                }
                // Every name of ENV_SETTINGS has its arm above; others were sorted out
                // before the value was looked at.
                _ => {}
            }
        }
        Ok(())
    }

    fn apply_overrides(&mut self, o: &Overrides) {
        if let Some(listen) = o.listen {
            self.listen = listen;
        }
        if let Some(dir) = &o.data_dir {
            self.data_dir = dir.clone();
        }
        if let Some(dir) = &o.descriptors_dir {
            self.descriptors_dir = dir.clone();
        }
        if let Some(demo) = o.demo {
            self.demo = Some(demo);
        }
        if let Some(format) = o.log_format {
            self.log_format = format;
        }
    }

    /// Whether the demo portal is served. Set, `demo` decides. Unset, the demo is on
    /// for a first run with no portal configured, and off as soon as a `[[consumers]]`
    /// entry is: the demo's persona switcher lets anyone act as any person of the one
    /// shared directory, and a production configuration that forgot `demo = false`
    /// must not offer that at `/`.
    pub fn demo_on(&self) -> bool {
        self.demo.unwrap_or(self.consumers.is_empty())
    }

    /// Writes each origin as [`origin_of`] does, once [`Self::validate`] has passed: the
    /// host compares them as text with the `Origin` header and with redirect targets.
    pub fn normalize_origins(&mut self) {
        if let Some(url) = &mut self.public_url
            && let Some(origin) = origin_of(url)
        {
            *url = origin;
        }
        for consumer in &mut self.consumers {
            for origin in &mut consumer.allowed_origins {
                if let Some(normal) = origin_of(origin) {
                    *origin = normal;
                }
            }
        }
    }

    /// Checks what serde cannot: secrets, origins, limits, duplicate consumers.
    pub fn validate(&self) -> Result<(), ConfigError> {
        // The example configuration's secrets, as the README prints them (a test reads
        // them there): long enough to pass the length advice, and public.
        const README_HS256_SECRET: &str = "at least 32 bytes of shared secret......";
        const README_WSRP_SECRET: &str = "secret the portal proves when it registers over WSRP";
        /// Far beyond what file descriptors allow, and within tokio's semaphore.
        const MAX_CONNECTIONS: usize = 1_000_000;
        let invalid = |key: String, message: &str| {
            Err(ConfigError::Invalid {
                key,
                message: message.to_owned(),
            })
        };
        // An empty folder would be the working folder, wherever the host was started
        // from: a database and backups scattered by the service manager's whim.
        // The folders beside it likewise: an empty one is a template's unset variable.
        for (key, dir) in [
            ("descriptors_dir", Some(&self.descriptors_dir)),
            ("templates_dir", self.templates_dir.as_ref()),
        ] {
            if dir.is_some_and(|d| d.as_os_str().is_empty()) {
                return invalid(
                    key.into(),
                    "is empty: give a folder, or leave the key out for the built-in default",
                );
            }
        }
        if self.data_dir.as_os_str().is_empty() {
            return invalid(
                "data_dir".into(),
                "is empty: give the folder of the database, such as \"data\"",
            );
        }
        // A line break a Kubernetes `|` block leaves at a value's end, or a space an
        // env file keeps, would name a new folder beside the one meant: the host would
        // start on a new, empty database, or serve the built-in widgets.
        for (key, dir) in [
            ("data_dir", Some(&self.data_dir)),
            ("descriptors_dir", Some(&self.descriptors_dir)),
            ("templates_dir", self.templates_dir.as_ref()),
        ] {
            let text = dir.map(|d| d.to_string_lossy()).unwrap_or_default();
            if text.starts_with(char::is_whitespace)
                || text.ends_with(char::is_whitespace)
                || text.chars().any(char::is_control)
            {
                return Err(ConfigError::Invalid {
                    key: key.into(),
                    message: format!(
                        "{text:?} begins or ends with a space or holds a line break or another control character: give the folder's name alone"
                    ),
                });
            }
        }
        // A body is held whole while it is read, before anyone is authenticated on
        // the SOAP port. Every route caps its body lower still (an action's form
        // 64 KiB, a WSRP envelope 512 KiB, a PUT of one account 1 MiB), so this can
        // only lower those; the range is wide so that it never refuses a file that
        // merely names a generous number.
        if !(1..=1 << 30).contains(&self.limits.max_body_bytes) {
            // Either layer may have set it: the message says which (`set_where`).
            return invalid(
                "limits.max_body_bytes".into(),
                "must be between 1 and 1073741824",
            );
        }
        // hyper's smallest read buffer is 8 KiB: a lower setting would not be the
        // limit the administrator believes it is. Each connection may fill a buffer
        // this large before its head is refused: a MiB is far past any real head.
        if !(8192..=1 << 20).contains(&self.limits.max_header_bytes) {
            return invalid(
                "limits.max_header_bytes".into(),
                "must be between 8192 and 1048576",
            );
        }
        // SIGTERM lets requests in flight finish for this long: 0 would drop them.
        if !(1..=3600).contains(&self.limits.shutdown_grace_secs) {
            return invalid(
                "limits.shutdown_grace_secs".into(),
                "must be between 1 and 3600",
            );
        }
        if self.limits.max_connections == 0 || self.limits.max_connections > MAX_CONNECTIONS {
            return invalid(
                "limits.max_connections".into(),
                "must be between 1 and 1000000",
            );
        }
        // A day is far past any render; beyond it hyper's timer arithmetic overflows.
        if !(1..=86_400).contains(&self.limits.request_timeout_secs) {
            return invalid(
                "limits.request_timeout_secs".into(),
                "must be between 1 and 86400",
            );
        }
        if let Some(url) = &self.public_url
            && !is_origin(url)
        {
            return invalid(
                "public_url".into(),
                "must be an origin such as https://widgets.example.com (scheme, host, optional port; no path)",
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, c) in self.consumers.iter().enumerate() {
            let key = |field: &str| format!("consumers[{i}].{field}");
            if !is_consumer_id(&c.id) {
                return invalid(
                    key("id"),
                    "must be 1-256 visible ASCII characters (no spaces) other than '~', such as liferay or https://portal.example.com/o/oauth2",
                );
            }
            if !seen.insert(c.id.as_str()) {
                return invalid(key("id"), "is used by another consumer");
            }
            match (&c.hs256_secret, &c.jwks_file) {
                // A portal that consumes over WSRP alone (HCL DX, GateIn) sends no
                // Bearer token: a secret it would never use could only sign for
                // anyone, so it needs none.
                (None, None) if c.wsrp_secret.is_none() => {
                    return invalid(
                        key("hs256_secret"),
                        "a consumer needs hs256_secret or jwks_file (for Bearer tokens), or wsrp_secret (to consume over WSRP alone)",
                    );
                }
                // A blank key is no secret at all: anyone could sign as this portal.
                (Some(s), _) if s.trim().is_empty() => {
                    return invalid(
                        key("hs256_secret"),
                        "must not be empty: anyone could sign this consumer's tokens",
                    );
                }
                // Published in the README, so anyone could sign with it as well: a
                // copied example must not go to production unnoticed.
                (Some(s), _) if s == README_HS256_SECRET => {
                    return invalid(
                        key("hs256_secret"),
                        "is the README's example, which anyone can read: generate one, such as with `openssl rand -base64 48`",
                    );
                }
                _ => {}
            }
            if c.wsrp_secret.as_ref().is_some_and(|s| s.trim().is_empty()) {
                return invalid(
                    key("wsrp_secret"),
                    "must not be empty: it lets a WSRP registration act as any user of the portal; leave it out to refuse WSRP registration",
                );
            }
            if c.wsrp_secret.as_deref() == Some(README_WSRP_SECRET) {
                return invalid(
                    key("wsrp_secret"),
                    "is the README's example, which anyone can read: generate one, such as with `openssl rand -base64 24`",
                );
            }
            if c.audience.as_ref().is_some_and(|a| a.trim().is_empty()) {
                return invalid(
                    key("audience"),
                    "must name the host as the consumer's tokens do in aud, or be left out",
                );
            }
            for (j, user) in c.wsrp_guest_users.iter().enumerate() {
                if !crate::portal::auth::is_user_id(user) {
                    return invalid(
                        key(&format!("wsrp_guest_users[{j}]")),
                        "must be a portal user id: 1-64 letters, digits and . _ @ - (Liferay's default user's userId, say)",
                    );
                }
            }
            for (j, origin) in c.allowed_origins.iter().enumerate() {
                if !is_origin(origin) {
                    return invalid(
                        key(&format!("allowed_origins[{j}]")),
                        "must be an origin such as https://portal.example.com (scheme, host, optional port; no path)",
                    );
                }
            }
        }
        Ok(())
    }

    /// What a valid configuration leaves open that an administrator should know of,
    /// for the log at start. None is an error, since portals rightly run this way:
    ///
    /// - A consumer with RS256/ES256 keys and no `audience` takes any token its issuer
    ///   signs: an OAuth2 server signs every client app's tokens with the same keys, so
    ///   a token made for another app would act here too. Portals that put no `aud` in
    ///   their tokens work this way.
    /// - A secret shorter than RFC 7518's advice can be guessed offline from what it
    ///   protects (one token, one registration). Test and trial setups use short ones.
    /// - A consumer that names no `allowed_origins` works, but a redirect after an
    ///   action needs an allowed origin, and so does CORS: a form posted without the
    ///   script lands on the host's own page instead of the portal's, and the script's
    ///   calls from the portal's pages are refused by the browser. A consumer with a
    ///   `wsrp_secret` may consume over WSRP alone, where its portal proxies every URL
    ///   and needs none, so it is not warned of.
    ///
    /// - A consumer with both `hs256_secret` and `jwks_file` takes tokens signed with
    ///   either, which a portal moving from a shared secret to its JWKS keys needs
    ///   for a while; left in after, the secret goes on signing for the portal.
    ///
    /// Messages name the consumer and the key, never the secret.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for c in &self.consumers {
            if c.jwks_file.is_some() && c.audience.is_none() {
                warnings.push(format!(
                    "consumer {:?} takes RS256/ES256 tokens without an audience: any token its issuer signed for another app acts here too; set audience to what its tokens carry in aud",
                    c.id
                ));
            }
            if c.hs256_secret.is_some() && c.jwks_file.is_some() {
                warnings.push(format!(
                    "consumer {:?} has both hs256_secret and jwks_file: tokens signed with either act here; once the portal signs with its JWKS keys, take hs256_secret out",
                    c.id
                ));
            }
            if let Some(secret) = &c.hs256_secret
                && secret.len() < ADVISED_HS256_SECRET_BYTES
            {
                warnings.push(format!(
                    "consumer {:?}: hs256_secret is {} bytes; RFC 7518 section 3.2 asks for HS256 keys of at least {ADVISED_HS256_SECRET_BYTES} bytes, and a shorter one can be guessed offline from any of its tokens",
                    c.id,
                    secret.len()
                ));
            }
            if c.allowed_origins.is_empty() && c.wsrp_secret.is_none() {
                warnings.push(format!(
                    "consumer {:?} names no allowed_origins: after a form action its people's browsers land on the widget host's own page instead of back on the portal's, and the portal's own scripts cannot call the host from its pages (CORS); list the origins of the portal's pages (scheme://host[:port])",
                    c.id
                ));
            }
            // Forms are written to post to public_url: from an https page to an
            // http one, in the clear, and browsers warn before they send them. A
            // consumer over WSRP alone rewrites every URL and posts nothing there.
            // Unset, public_url is http:// and each request's Host: the same forms
            // in the clear, and behind a proxy that ends TLS the likelier mistake.
            let posts_from_https = (c.hs256_secret.is_some() || c.jwks_file.is_some())
                && c.allowed_origins.iter().any(|o| o.starts_with("https://"));
            match self.public_url.as_deref() {
                Some(public) if posts_from_https && public.starts_with("http://") => {
                    warnings.push(format!(
                        "public_url {public:?} is http:// while consumer {:?} serves pages on https://: forms on those pages post to the host in the clear, and browsers warn before sending them; set public_url to the https:// address a proxy ending TLS gives the host",
                        c.id
                    ));
                }
                None if posts_from_https => {
                    warnings.push(format!(
                        "public_url is not set while consumer {:?} serves pages on https://: the host writes its forms and links as http:// and the Host of each request, so forms on those pages post in the clear (and a proxy's redirect to https turns them into GETs that do nothing); set public_url to the https:// address at which browsers reach the host",
                        c.id
                    ));
                }
                _ => {}
            }
            if c.wsrp_secret.is_some() && c.wsrp_guest_users.is_empty() {
                warnings.push(format!(
                    "consumer {:?} may register over WSRP and names no wsrp_guest_users: Liferay's WSRP consumer sends its default user's id for every visitor who is not signed in, and they would all act as that one person; set wsrp_guest_users to that id (a consumer that sends no userContext for them needs none)",
                    c.id
                ));
            }
            if let Some(secret) = &c.wsrp_secret
                && secret.len() < ADVISED_WSRP_SECRET_BYTES
            {
                warnings.push(format!(
                    "consumer {:?}: wsrp_secret is {} bytes; use at least {ADVISED_WSRP_SECRET_BYTES} (as RFC 7518 section 3.2 advises for keys, long and random): a WSRP registration made with it acts as any user of the portal",
                    c.id,
                    secret.len()
                ));
            }
        }
        warnings
    }

    /// The consumer with this id.
    pub fn consumer(&self, id: &str) -> Option<&ConsumerConfig> {
        self.consumers.iter().find(|c| c.id == id)
    }

    /// Path of the redb database file.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join("widget-host.redb")
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// Whether `origin`, as a browser sends it (`Origin`) or a URL's origin is written, is
/// one of `allowed`. Configured origins are put in that form when the configuration
/// is read ([`origin_of`]); a trailing `/` is passed over where one was set otherwise.
pub fn origin_allowed(allowed: &[String], origin: &str) -> bool {
    allowed.iter().any(|a| a.trim_end_matches('/') == origin)
}

/// Whether `s` is an origin: `http(s)://host[:port]`, nothing after but a `/`.
pub fn is_origin(s: &str) -> bool {
    origin_of(s).is_some()
}

/// `s` as an origin in the form browsers send in `Origin` and redirects are compared
/// with: the host in lower case, a default port left out. An administrator may write
/// `https://Portal.Example.com:443/`, which is the same origin.
pub fn origin_of(s: &str) -> Option<String> {
    let u = url::Url::parse(s.trim()).ok()?;
    let bare = matches!(u.scheme(), "http" | "https")
        && u.host_str().is_some()
        && u.username().is_empty()
        && u.password().is_none()
        && u.path() == "/"
        && u.query().is_none()
        && u.fragment().is_none();
    bare.then(|| u.origin().ascii_serialization())
}

/// A parse error without the line it was found on: toml's own message quotes that
/// line, and a mistyped or unquoted secret would then reach the service's logs. The
/// key, taken from before the line's `=`, says where to look instead.
fn parse_error(text: &str, error: &toml::de::Error) -> String {
    let message = without_the_value(error.message().trim_end());
    let message = message.as_str();
    let Some(before) = error.span().and_then(|span| text.get(..span.start)) else {
        return message.to_owned();
    };
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.matches('\n').count() + 1;
    let column = before[line_start..].chars().count() + 1;
    let key = text[line_start..]
        .lines()
        .next()
        .and_then(|l| l.split_once('='))
        .map(|(key, _)| key.trim())
        // Only a plain dotted key: when the line's own `=` is missing, the first one may
        // sit inside the value (base64 padding), and the "key" would be the secret.
        .filter(|key| {
            !key.is_empty()
                && key
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        });
    // TOML gives every key under a `[table]` line to that table: a key of another
    // place written there is named with its table, and told where it goes (a key
    // unknown in a table is never that table's own).
    let table = table_at(&text[..line_start]);
    let hint = match (&table, key) {
        (Some(_), Some(key)) if message.starts_with("unknown field") => key_home(key),
        _ => None,
    };
    let mut said = match (key, &table) {
        (Some(key), Some(table)) => {
            format!("line {line}, column {column}, key {table}.{key}: {message}")
        }
        (Some(key), None) => format!("line {line}, column {column}, key {key}: {message}"),
        (None, _) => format!("line {line}, column {column}: {message}"),
    };
    if let (Some(home), Some(key)) = (hint, key) {
        said.push_str(&format!("; {key} goes {home}"));
    }
    // `[consumers]` makes one table where the host reads a list of them (the only
    // list of tables in the file).
    let header = text[line_start..].lines().next().unwrap_or("").trim();
    if message.starts_with("invalid type: map, expected a sequence")
        && !header.starts_with("[[")
        && table_name(header) == Some("consumers".to_owned())
    {
        said.push_str(
            "; [consumers] is a list of tables: write each one as [[consumers]], with two brackets",
        );
    }
    said
}

/// The table a `[table]` or `[[table]]` line names, quotes taken off (`["limits"]`),
/// whatever follows it (a comment); `None` for any other line, such as one of an
/// array of arrays (`["a", "b"],`).
fn table_name(line: &str) -> Option<String> {
    let name = line.trim().strip_prefix('[')?.split(']').next()?;
    let name = name.trim_start_matches('[').trim();
    let name = name
        .strip_prefix('"')
        .and_then(|n| n.strip_suffix('"'))
        .or_else(|| name.strip_prefix('\'').and_then(|n| n.strip_suffix('\'')))
        .unwrap_or(name);
    let bare = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"_-. ".contains(&b));
    (!name.is_empty() && bare).then(|| name.to_owned())
}

/// The table the text before a line leaves it in: the name of the last `[table]` or
/// `[[table]]` line, `None` above the first.
fn table_at(before: &str) -> Option<String> {
    before.lines().rev().find_map(table_name)
}

/// The keys of the file by where they go, as the configuration's fields name them (a
/// test holds these lists to the fields).
const TOP_LEVEL_KEYS: [&str; 9] = [
    "listen",
    "data_dir",
    "descriptors_dir",
    "templates_dir",
    "public_url",
    "demo",
    "log_format",
    "limits",
    "consumers",
];
const LIMITS_KEYS: [&str; 5] = [
    "max_body_bytes",
    "max_header_bytes",
    "max_connections",
    "request_timeout_secs",
    "shutdown_grace_secs",
];
const CONSUMER_KEYS: [&str; 7] = [
    "id",
    "hs256_secret",
    "jwks_file",
    "allowed_origins",
    "wsrp_secret",
    "audience",
    "wsrp_guest_users",
];

/// Where `key` goes in the file, if it is a key of the file at all.
fn key_home(key: &str) -> Option<&'static str> {
    if TOP_LEVEL_KEYS.contains(&key) {
        Some("above the first [table] line")
    } else if LIMITS_KEYS.contains(&key) {
        Some("under [limits]")
    } else if CONSUMER_KEYS.contains(&key) {
        Some("under [[consumers]]")
    } else {
        None
    }
}

/// serde's words for a value of the wrong type or out of range, without the value:
/// "invalid type: integer `4829301174650012`, expected a string" is what an unquoted
/// secret of digits gets, and it would reach the logs. What was expected, and the
/// names in other messages (an unknown key and the keys known), stay.
fn without_the_value(message: &str) -> String {
    let Some(rest) = ["invalid type: ", "invalid value: "]
        .iter()
        .find_map(|p| message.strip_prefix(p).map(|rest| (p, rest)))
    else {
        return message.to_owned();
    };
    let (prefix, rest) = rest;
    // The last ", expected": a string value may hold the words itself.
    let (found, expected) = rest.rsplit_once(", expected").unwrap_or((rest, ""));
    // The kind, before the value's first quote of either kind.
    let quoted = [found.find(" `"), found.find(" \"")]
        .into_iter()
        .flatten()
        .min();
    let found = quoted.map_or(found, |at| &found[..at]);
    // Rust's names for numbers are no administrator's.
    let expected = match expected.trim() {
        "u8" | "u16" | "u32" | "u64" | "usize" => " a whole number, 0 or more",
        "i8" | "i16" | "i32" | "i64" | "isize" => " a whole number",
        _ => expected,
    };
    if expected.is_empty() {
        format!("{prefix}{found}")
    } else {
        format!("{prefix}{found}, expected{expected}")
    }
}

/// The settings a `WIDGET_HOST_` variable may name, after its prefix.
pub(crate) const ENV_SETTINGS: [&str; 9] = [
    "LISTEN",
    "DATA_DIR",
    "DESCRIPTORS_DIR",
    "TEMPLATES_DIR",
    "PUBLIC_URL",
    "DEMO",
    "LOG_FORMAT",
    "MAX_BODY_BYTES",
    "MAX_CONNECTIONS",
];

/// Settings of the file that a `WIDGET_HOST_` variable might be expected to give, with
/// where they go in the file: such a variable is refused, not passed over.
const FILE_ONLY: [(&str, &str); 11] = [
    ("REQUEST_TIMEOUT_SECS", "[limits] request_timeout_secs"),
    ("SHUTDOWN_GRACE_SECS", "[limits] shutdown_grace_secs"),
    ("MAX_HEADER_BYTES", "[limits] max_header_bytes"),
    ("HS256_SECRET", "[[consumers]] hs256_secret"),
    ("WSRP_SECRET", "[[consumers]] wsrp_secret"),
    ("JWKS_FILE", "[[consumers]] jwks_file"),
    ("ALLOWED_ORIGINS", "[[consumers]] allowed_origins"),
    ("AUDIENCE", "[[consumers]] audience"),
    ("WSRP_GUEST_USERS", "[[consumers]] wsrp_guest_users"),
    ("CONSUMERS", "[[consumers]] tables"),
    // A bare `WIDGET_HOST_ID` is too likely another program's (an instance's id).
    ("CONSUMER_ID", "[[consumers]] id"),
];

/// Whether `key` (after `WIDGET_HOST_`) names a setting, or misspells one: a
/// variable the host reads, whose value must then be readable.
pub(crate) fn names_a_setting(key: &str) -> bool {
    ENV_SETTINGS.contains(&key) || misspelt_setting(key).is_some()
}

/// The setting an unknown name (after `WIDGET_HOST_`) most likely misspells: the
/// same letters with the underscores moved or left out (`DATADIR`), or a letter or
/// two off (`LISTN`, `DESCRIPTOR_DIR`; one for the four-letter `DEMO`). Names further
/// from every setting are taken for another program's.
///
/// `CONFIG`, the file's own variable, is misspelt the same way (`CONF`, `CONFG`), or
/// named as other programs name theirs (`CONFIG_FILE`, `CONFIG_PATH`): passed over,
/// it left the host on the defaults with no consumer, and so with the demo portal on,
/// where anyone may act as anyone. Longer names (`CONFIG_SERVICE_HOST`, which
/// Kubernetes writes for a Service named `widget-host-config`) are another program's.
fn misspelt_setting(key: &str) -> Option<&'static str> {
    let squeezed = |s: &str| s.replace('_', "").to_ascii_uppercase();
    let file = ["CONFIGFILE", "CONFIGPATH", "CONFFILE", "CONFPATH"];
    if key != "CONFIG"
        && (edit_distance(&key.to_ascii_uppercase(), "CONFIG") <= 2
            || file.contains(&squeezed(key).as_str()))
    {
        return Some("CONFIG");
    }
    ENV_SETTINGS.into_iter().find(|known| {
        let allowed = if known.len() > 4 { 2 } else { 1 };
        squeezed(key) == squeezed(known)
            || edit_distance(&key.to_ascii_uppercase(), known) <= allowed
    })
}

/// Levenshtein distance: the fewest single-character insertions, deletions and
/// substitutions that turn `a` into `b`.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != *cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// Whether `key` (after `WIDGET_HOST_`) is one of the variables Kubernetes writes into
/// every pod for a Service named `widget-host` (`WIDGET_HOST_SERVICE_HOST`,
/// `WIDGET_HOST_SERVICE_PORT_HTTP`, `WIDGET_HOST_PORT_8080_TCP_ADDR` ...). They are not
/// settings, and no setting is named so: refused as typos, they would stop the host in
/// every pod started after its Service. `WIDGET_HOST_PORT` is one only as Kubernetes
/// writes it (`tcp://10.0.0.7:8080`).
fn is_service_link(key: &str, value: &str) -> bool {
    key == "SERVICE_HOST"
        || key.starts_with("SERVICE_PORT")
        || (key == "PORT" && value.contains("://"))
        || key.starts_with("PORT_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(None, Vec::new(), &Overrides::default()).expect("defaults are valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("data"));
        assert!(c.demo_on());
    }

    #[test]
    fn the_demo_is_off_by_default_once_a_portal_is_configured() {
        let portal = "[[consumers]]\nid = \"liferay\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\n";
        let c = Config::from_toml(portal).expect("valid");
        assert!(!c.demo_on(), "a consumer and no `demo` key: off");
        let c = Config::from_toml(&format!("demo = true\n{portal}")).expect("valid");
        assert!(c.demo_on(), "asked for explicitly: on");
        let c = Config::from_toml("demo = false\n").expect("valid");
        assert!(!c.demo_on());
        assert!(Config::default().demo_on(), "the first run's defaults: on");
    }

    #[test]
    fn a_jwks_consumer_without_an_audience_is_warned_of() {
        // public_url set: its own warning is not this test's.
        let jwks = "public_url = \"https://widgets.example\"\n[[consumers]]\nid = \"liferay\"\njwks_file = \"keys.json\"\nallowed_origins = [\"https://portal.example\"]\n";
        let c = Config::from_toml(jwks).expect("valid");
        let warnings = c.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("\"liferay\"") && warnings[0].contains("audience"));
        let c = Config::from_toml(&format!("{jwks}audience = \"widget-host\"\n")).expect("valid");
        assert_eq!(c.warnings(), Vec::<String>::new());
        // A shared secret is the portal's alone: no other app holds it.
        let hs = "public_url = \"https://widgets.example\"\n[[consumers]]\nid = \"liferay\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\nallowed_origins = [\"https://portal.example\"]\n";
        assert_eq!(
            Config::from_toml(hs).expect("valid").warnings(),
            Vec::<String>::new()
        );
        // Both kinds of key: either signs, which the log says until the secret goes.
        let both = format!("{hs}jwks_file = \"keys.json\"\naudience = \"widget-host\"\n");
        let warnings = Config::from_toml(&both).expect("valid").warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("\"liferay\"") && warnings[0].contains("take hs256_secret out"),
            "{warnings:?}"
        );
    }

    /// A public_url of http:// beside a consumer's https:// pages is warned of: their
    /// forms would post in the clear. Both on https, or both on http (a trial on one
    /// machine), are not.
    #[test]
    fn an_http_public_url_beside_https_pages_is_warned_of() {
        let consumer = "[[consumers]]\nid = \"intranet\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\n";
        let with = |public: &str, origin: &str| {
            let toml =
                format!("public_url = \"{public}\"\n{consumer}allowed_origins = [\"{origin}\"]\n");
            let c = Config::from_toml(&toml).expect("parses");
            c.validate().expect("valid");
            c.warnings()
        };
        let warned = with("http://widgets.example.com", "https://portal.example.com");
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].contains("\"http://widgets.example.com\"")
                && warned[0].contains("\"intranet\"")
                && warned[0].contains("in the clear"),
            "{warned:?}"
        );
        for (public, origin) in [
            ("https://widgets.example.com", "https://portal.example.com"),
            ("http://localhost:8080", "http://localhost:3000"),
        ] {
            assert_eq!(with(public, origin), Vec::<String>::new(), "{public}");
        }
        // Unset, it is http:// too: warned of beside https pages, not beside http ones.
        let unset = |origin: &str| {
            let toml = format!("{consumer}allowed_origins = [\"{origin}\"]\n");
            let c = Config::from_toml(&toml).expect("parses");
            c.validate().expect("valid");
            c.warnings()
        };
        let warned = unset("https://portal.example.com");
        assert_eq!(warned.len(), 1, "{warned:?}");
        assert!(
            warned[0].contains("public_url is not set")
                && warned[0].contains("\"intranet\"")
                && warned[0].contains("in the clear"),
            "{warned:?}"
        );
        assert_eq!(unset("http://localhost:3000"), Vec::<String>::new());
        // A consumer over WSRP alone posts nothing to public_url.
        let wsrp_only = "public_url = \"http://widgets.example.com\"\n[[consumers]]\nid = \"dx\"\nwsrp_secret = \"a-wsrp-secret-of-its-own\"\nwsrp_guest_users = [\"anonymous\"]\nallowed_origins = [\"https://portal.example.com\"]\n";
        let c = Config::from_toml(wsrp_only).expect("parses");
        c.validate().expect("valid");
        assert_eq!(c.warnings(), Vec::<String>::new());
    }

    /// Tokens without origins work (links follow the page the portal sends), but
    /// redirects and CORS need an origin: the log at start says so, naming the
    /// consumer. A WSRP consumer, which may need none, is not warned of.
    #[test]
    fn a_token_consumer_without_origins_is_warned_of() {
        let secret = "hs256_secret = \"0123456789abcdef0123456789abcdef\"";
        let jwks = "jwks_file = \"keys.json\"\naudience = \"widget-host\"";
        for keys in [secret, jwks] {
            let toml = format!("[[consumers]]\nid = \"intranet\"\n{keys}\n");
            let c = Config::from_toml(&toml).expect("valid");
            c.validate().expect("no origins is a portal's choice");
            let warnings = c.warnings();
            assert_eq!(warnings.len(), 1, "{keys}: {warnings:?}");
            assert!(
                warnings[0].contains("\"intranet\"")
                    && warnings[0].contains("allowed_origins")
                    && warnings[0].contains("CORS"),
                "{warnings:?}"
            );
            let with = format!(
                "public_url = \"https://widgets.example\"\n{toml}allowed_origins = [\"https://intranet.example\"]\n"
            );
            assert_eq!(
                Config::from_toml(&with).expect("valid").warnings(),
                Vec::<String>::new()
            );
        }
        let wsrp = format!(
            "[[consumers]]\nid = \"remote\"\n{secret}\nwsrp_secret = \"sixteen-bytes-ok\"\nwsrp_guest_users = [\"20103\"]\n"
        );
        let c = Config::from_toml(&wsrp).expect("valid");
        c.validate().expect("a WSRP consumer");
        assert_eq!(c.warnings(), Vec::<String>::new());
    }

    /// A WSRP consumer that names no guest key is told what Liferay's consumer sends
    /// for visitors who are not signed in; a key that is no user id is refused.
    #[test]
    fn a_wsrp_consumer_without_guest_users_is_warned_of() {
        let toml = "public_url = \"https://widgets.example\"\n[[consumers]]\nid = \"liferay\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\nwsrp_secret = \"sixteen-bytes-ok\"\nallowed_origins = [\"https://portal.example\"]\n";
        let c = Config::from_toml(toml).expect("valid");
        c.validate().expect("valid");
        let warnings = c.warnings();
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].contains("\"liferay\"") && warnings[0].contains("wsrp_guest_users"),
            "{warnings:?}"
        );
        let bad = format!("{toml}wsrp_guest_users = [\"guest user\"]\n");
        match Config::from_toml(&bad).expect("parses").validate() {
            Err(ConfigError::Invalid { key, .. }) => {
                assert_eq!(key, "consumers[0].wsrp_guest_users[0]");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_printed_configuration_does_not_show_its_secrets() {
        let c = Config::from_toml(
            "[[consumers]]\nid = \"liferay\"\nhs256_secret = \"hs-0123456789abcdef0123456789abcdef\"\nwsrp_secret = \"wsrp-0123456789abcdef\"\n",
        )
        .expect("valid");
        let printed = format!("{c:?}");
        assert!(
            printed.contains("\"liferay\"") && printed.contains("<secret>"),
            "{printed}"
        );
        assert!(
            !printed.contains("hs-0123") && !printed.contains("wsrp-0123"),
            "{printed}"
        );
    }

    /// Every key of the file and every variable lands in its own field: each is given
    /// a value no other has, so a swapped key would show.
    #[test]
    fn each_key_and_variable_sets_its_own_field() {
        let file = Config::from_toml(
            "listen = \"127.0.0.1:9001\"\ndata_dir = \"/file/data\"\ndescriptors_dir = \"/file/descriptors\"\n\
             templates_dir = \"/file/templates\"\npublic_url = \"https://file.example\"\ndemo = true\nlog_format = \"json\"\n\
             [limits]\nmax_body_bytes = 1001\nmax_header_bytes = 9002\nmax_connections = 1003\nrequest_timeout_secs = 1004\nshutdown_grace_secs = 1005\n",
        )
        .expect("parses");
        assert_eq!(file.listen.to_string(), "127.0.0.1:9001");
        assert_eq!(file.data_dir, PathBuf::from("/file/data"));
        assert_eq!(file.descriptors_dir, PathBuf::from("/file/descriptors"));
        assert_eq!(file.templates_dir, Some(PathBuf::from("/file/templates")));
        assert_eq!(file.public_url.as_deref(), Some("https://file.example"));
        assert_eq!(file.demo, Some(true));
        assert_eq!(file.log_format, LogFormat::Json);
        let limits = &file.limits;
        assert_eq!(
            (
                limits.max_body_bytes,
                limits.max_header_bytes,
                limits.max_connections,
                limits.request_timeout_secs,
                limits.shutdown_grace_secs
            ),
            (1001, 9002, 1003, 1004, 1005)
        );

        let mut c = Config::default();
        c.apply_env(env(&[
            ("WIDGET_HOST_LISTEN", "127.0.0.1:9011"),
            ("WIDGET_HOST_DATA_DIR", "/env/data"),
            ("WIDGET_HOST_DESCRIPTORS_DIR", "/env/descriptors"),
            ("WIDGET_HOST_TEMPLATES_DIR", "/env/templates"),
            ("WIDGET_HOST_PUBLIC_URL", "https://env.example"),
            ("WIDGET_HOST_DEMO", "false"),
            ("WIDGET_HOST_LOG_FORMAT", "json"),
            ("WIDGET_HOST_MAX_BODY_BYTES", "2001"),
            ("WIDGET_HOST_MAX_CONNECTIONS", "2003"),
        ]))
        .expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:9011");
        assert_eq!(c.data_dir, PathBuf::from("/env/data"));
        assert_eq!(c.descriptors_dir, PathBuf::from("/env/descriptors"));
        assert_eq!(c.templates_dir, Some(PathBuf::from("/env/templates")));
        assert_eq!(c.public_url.as_deref(), Some("https://env.example"));
        assert_eq!(c.demo, Some(false));
        assert_eq!(c.log_format, LogFormat::Json);
        assert_eq!(c.limits.max_body_bytes, 2001);
        assert_eq!(c.limits.max_connections, 2003);
        let untouched = Config::default().limits;
        assert_eq!(c.limits.max_header_bytes, untouched.max_header_bytes);
    }

    /// A folder's name with a space or a line break at either end (what a YAML block
    /// or an env file may leave) is refused, not taken as a new folder to start in.
    #[test]
    fn a_folder_with_a_space_or_line_break_at_an_end_is_refused() {
        let from_env = Config::load(
            None,
            env(&[("WIDGET_HOST_DATA_DIR", "/srv/widget-host\n")]),
            &Overrides::default(),
        )
        .expect_err("a line break at the end");
        let said = from_env.to_string();
        assert!(said.contains("data_dir"), "{said}");
        assert!(said.contains("line break"), "{said}");
        for (toml, key) in [
            ("data_dir = \" \"\n", "data_dir"),
            ("data_dir = \"data \"\n", "data_dir"),
            ("descriptors_dir = \" widgets\"\n", "descriptors_dir"),
            ("templates_dir = \"templates\\t\"\n", "templates_dir"),
            ("data_dir = \"da\\u0007ta\"\n", "data_dir"),
        ] {
            let config = Config::from_toml(toml).expect("well formed");
            let refused = config.validate().expect_err(toml).to_string();
            assert!(refused.contains(key), "{refused}");
            assert!(
                refused.contains("begins or ends with a space or holds a line break"),
                "{refused}"
            );
        }
        // A space inside a name is a name.
        Config::from_toml("data_dir = \"my data\"\ndescriptors_dir = \"my widgets\"\n")
            .expect("well formed")
            .validate()
            .expect("a space inside");
    }

    #[test]
    fn layers_override_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndata_dir = \"/from-file\"\ndemo = false\n",
        )
        .expect("write");
        let c = Config::load(
            Some(&file),
            env(&[
                ("WIDGET_HOST_DATA_DIR", "/from-env"),
                ("WIDGET_HOST_DEMO", "true"),
                ("PATH", "/bin"),
            ]),
            &Overrides {
                demo: Some(false),
                ..Default::default()
            },
        )
        .expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:9000", "file beats default");
        assert_eq!(c.data_dir, PathBuf::from("/from-env"), "env beats file");
        assert!(!c.demo_on(), "flag beats env");
    }

    #[test]
    fn listen_takes_an_address_or_a_name_with_a_port() {
        let at = |text: &str| parse_listen(text).map(|a| a.to_string());
        assert_eq!(at("127.0.0.1:9000").as_deref(), Ok("127.0.0.1:9000"));
        assert_eq!(at("[::1]:9000").as_deref(), Ok("[::1]:9000"));
        assert_eq!(at("0.0.0.0:0").as_deref(), Ok("0.0.0.0:0"));
        // localhost is 127.0.0.1 even where the resolver lists ::1 first.
        assert_eq!(at("localhost:9000").as_deref(), Ok("127.0.0.1:9000"));
        // Refused before any lookup: an unbracketed IPv6 address (which would split
        // into `::` and a port and listen everywhere), spaces, brackets, signs.
        for wrong in [
            "localhost",
            "localhost:",
            ":9000",
            "localhost:65536",
            "localhost:+80",
            "127.0.0.1:x",
            "",
            "::1",
            "::",
            "fe80::1:8080",
            " localhost:8080",
            "local host:8080",
            "[localhost]:8080",
            "localhost.:8080",
        ] {
            let err = parse_listen(wrong).expect_err(wrong);
            assert!(err.contains("such as 127.0.0.1:8080"), "{wrong:?}: {err}");
        }
        assert!(parse_listen("::1").is_err_and(|e| e.contains("brackets")));
        // Each layer reads it the same way.
        let c = Config::from_toml("listen = \"localhost:9001\"").expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:9001");
        let err = Config::from_toml("listen = \"localhost\"").expect_err("no port");
        assert!(err.contains("listen") && err.contains("such as"), "{err}");
        let c = Config::load(
            None,
            env(&[("WIDGET_HOST_LISTEN", "localhost:9002")]),
            &Overrides::default(),
        )
        .expect("valid");
        assert_eq!(c.listen.to_string(), "127.0.0.1:9002");
        let err = Config::load(
            None,
            env(&[("WIDGET_HOST_LISTEN", "9002")]),
            &Overrides::default(),
        )
        .expect_err("no port");
        assert!(err.to_string().contains("WIDGET_HOST_LISTEN"), "{err}");
    }

    #[test]
    fn unknown_file_key_is_named() {
        let err = Config::from_toml("listne = \"x\"").expect_err("typo must fail");
        assert!(err.contains("listne"), "{err}");
        let err = Config::from_toml("[limits]\nmax_body_bytes = \"big\"").expect_err("type error");
        assert!(err.contains("max_body_bytes"), "{err}");
        assert!(err.starts_with("line 2,"), "{err}");
    }

    #[test]
    fn a_key_in_the_wrong_table_is_named_with_its_table_and_told_where_it_goes() {
        let consumer =
            "[[consumers]]\nid = \"p\"\nhs256_secret = \"abcdefghijklmnopqrstuvwxyz0123456789\"\n";
        for (toml, key, goes) in [
            (
                format!("{consumer}public_url = \"https://portal.example.com\"\n"),
                "key consumers.public_url: unknown field `public_url`",
                "; public_url goes above the first [table] line",
            ),
            (
                "[limits]\nmax_body_bytes = 10\ndemo = true\n".to_owned(),
                "key limits.demo: unknown field `demo`",
                "; demo goes above the first [table] line",
            ),
            (
                format!("{consumer}max_connections = 4\n"),
                "key consumers.max_connections: unknown field",
                "; max_connections goes under [limits]",
            ),
            (
                "[limits]\nwsrp_secret = \"x\"\n".to_owned(),
                "key limits.wsrp_secret: unknown field",
                "; wsrp_secret goes under [[consumers]]",
            ),
        ] {
            let err = Config::from_toml(&toml).expect_err("misplaced");
            assert!(err.contains(key), "{err}");
            assert!(err.ends_with(goes), "{err}");
        }
        // A key unknown everywhere is only unknown; one at the top is named alone.
        let err = Config::from_toml("[limits]\nmax_conections = 4\n").expect_err("typo");
        assert!(
            err.contains("key limits.max_conections: unknown field"),
            "{err}"
        );
        assert!(!err.contains(" goes "), "{err}");
        let err = Config::from_toml("listen = 5\n").expect_err("a number");
        assert!(err.contains(", key listen: "), "{err}");
        // A list of tables written as one table, with a comment after it or not; a
        // table inside a consumer is no list of tables.
        for toml in [
            "[consumers]\nid = \"p\"\n",
            "[consumers] # the portals\nid = \"p\"\n",
        ] {
            let err = Config::from_toml(toml).expect_err("one table");
            assert!(
                err.ends_with("; [consumers] is a list of tables: write each one as [[consumers]], with two brackets"),
                "{err}"
            );
        }
        let err = Config::from_toml("[[consumers]]\nid = \"p\"\n[consumers.allowed_origins]\n")
            .expect_err("a table for a list of strings");
        assert!(!err.contains("two brackets"), "{err}");
        // A quoted table's name is its name.
        let err = Config::from_toml(&format!("{consumer}[\"limits\"]\ndemo = true\n"))
            .expect_err("misplaced");
        assert!(err.contains("key limits.demo: unknown field"), "{err}");
        // A string value that holds serde's own words is not quoted in part.
        let err = Config::from_toml("[limits]\nrequest_timeout_secs = \"tok, expected X\"\n")
            .expect_err("a string");
        assert!(!err.contains("tok") && !err.contains(" X"), "{err}");
        let err = Config::from_toml("[limits]\nrequest_timeout_secs = \"ab `cd\"\n")
            .expect_err("a string");
        assert!(!err.contains("ab") && !err.contains("cd"), "{err}");
        // A number of the wrong kind is said in words, without the value given.
        let err =
            Config::from_toml("[limits]\nrequest_timeout_secs = \"30s\"\n").expect_err("a string");
        assert!(
            err.ends_with("key limits.request_timeout_secs: invalid type: string, expected a whole number, 0 or more"),
            "{err}"
        );
        let err = Config::from_toml("[limits]\nmax_connections = -1\n").expect_err("negative");
        assert!(err.ends_with("expected a whole number, 0 or more"), "{err}");
    }

    /// The lists [`key_home`] reads are the configuration's own fields: a key of
    /// each place, unknown there, gets the fields serde expects there.
    #[test]
    fn the_lists_of_keys_are_the_fields_of_each_place() {
        for (toml, keys) in [
            ("unknown_key = 1\n", &TOP_LEVEL_KEYS[..]),
            ("[limits]\nunknown_key = 1\n", &LIMITS_KEYS[..]),
            ("[[consumers]]\nunknown_key = 1\n", &CONSUMER_KEYS[..]),
        ] {
            let err = Config::from_toml(toml).expect_err("unknown");
            let listed = err
                .split_once("expected one of ")
                .map(|(_, list)| {
                    list.split(", ")
                        .map(|k| k.trim_matches('`'))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            assert_eq!(listed, keys, "{err}");
        }
    }

    #[test]
    fn a_parse_error_never_quotes_a_secret() {
        let secret = "0123456789abcdef0123456789abcdef-do-not-log";
        for toml in [
            format!("[[consumers]]\nid = \"p\"\nhs256_secrt = \"{secret}\"\n"),
            format!("[[consumers]]\nid = \"p\"\nhs256_secret = \"{secret}\n"),
            format!("[[consumers]]\nid = \"p\"\nhs256_secret = {secret}\n"),
            format!("[[consumers]]\nid = \"p\"\nhs256_secret \"{secret}=\"\n"),
        ] {
            let err = Config::from_toml(&toml).expect_err("broken");
            assert!(!err.contains("do-not-log"), "{err}");
            assert!(err.starts_with("line 3,"), "{err}");
        }
        // A secret of digits alone, unquoted, is a number to TOML: serde's refusal
        // would quote it as the value of the wrong type.
        for toml in [
            "[[consumers]]\nid = \"p\"\nwsrp_secret = 4829301174650012\n",
            "[[consumers]]\nid = \"p\"\nhs256_secret = 4829301174650012.5\n",
        ] {
            let err = Config::from_toml(toml).expect_err("a number");
            assert!(!err.contains("4829301174650012"), "{err}");
            assert!(err.contains("invalid type"), "{err}");
            assert!(err.contains("expected a string"), "{err}");
        }
    }

    #[test]
    fn a_value_of_the_wrong_type_is_named_by_its_kind_alone() {
        for (message, meant) in [
            (
                "invalid type: integer `42`, expected a string",
                "invalid type: integer, expected a string",
            ),
            (
                "invalid value: string `x`, expected one of `text`, `json`",
                "invalid value: string, expected one of `text`, `json`",
            ),
            (
                "unknown field `listn`, expected one of `listen`, `data_dir`",
                "unknown field `listn`, expected one of `listen`, `data_dir`",
            ),
            ("invalid type: sequence", "invalid type: sequence"),
        ] {
            assert_eq!(without_the_value(message), meant);
        }
    }

    #[test]
    fn kubernetes_service_links_are_not_settings() {
        let c = Config::load(
            None,
            env(&[
                ("WIDGET_HOST_SERVICE_HOST", "10.0.0.7"),
                ("WIDGET_HOST_SERVICE_PORT", "8080"),
                ("WIDGET_HOST_SERVICE_PORT_HTTP", "8080"),
                ("WIDGET_HOST_PORT", "tcp://10.0.0.7:8080"),
                ("WIDGET_HOST_PORT_8080_TCP", "tcp://10.0.0.7:8080"),
                ("WIDGET_HOST_PORT_8080_TCP_ADDR", "10.0.0.7"),
                ("WIDGET_HOST_PORT_8080_TCP_PORT", "8080"),
                ("WIDGET_HOST_PORT_8080_TCP_PROTO", "tcp"),
                ("WIDGET_HOST_LISTEN", "0.0.0.0:8080"),
            ]),
            &Overrides::default(),
        )
        .expect("service links are passed over");
        // Not as another program's variables are, with a warning each: they are
        // in every pod.
        assert!(c.ignored_env.is_empty(), "{:?}", c.ignored_env);
        assert_eq!(c.listen.to_string(), "0.0.0.0:8080");
        // A typo beside them is still one.
        let err = Config::load(
            None,
            env(&[("WIDGET_HOST_LISTN", "x")]),
            &Overrides::default(),
        )
        .expect_err("typo");
        assert!(err.to_string().contains("unknown setting"), "{err}");
        // A port given bare is an administrator's, not Kubernetes's.
        for (value, example) in [
            ("9090", "127.0.0.1:9090 (0.0.0.0:9090 in a container)"),
            ("0.0.0.0:9090", "0.0.0.0:9090"),
            ("http", "127.0.0.1:8080"),
        ] {
            let err = Config::load(
                None,
                env(&[("WIDGET_HOST_PORT", value)]),
                &Overrides::default(),
            )
            .expect_err("a bare port");
            assert_eq!(
                err.to_string(),
                format!(
                    "environment variable WIDGET_HOST_PORT: is not a setting: to choose the port, set WIDGET_HOST_LISTEN, such as {example}"
                )
            );
        }
    }

    #[test]
    fn a_misspelt_setting_is_refused_and_another_programs_variable_passed_over() {
        for (typo, meant) in [
            ("WIDGET_HOST_DATADIR", "WIDGET_HOST_DATA_DIR"),
            ("WIDGET_HOST_LISTN", "WIDGET_HOST_LISTEN"),
            ("WIDGET_HOST_DESCRIPTOR_DIR", "WIDGET_HOST_DESCRIPTORS_DIR"),
            ("WIDGET_HOST_data_dir", "WIDGET_HOST_DATA_DIR"),
            ("WIDGET_HOST_DEM", "WIDGET_HOST_DEMO"),
            ("WIDGET_HOST_MAX_CONECTIONS", "WIDGET_HOST_MAX_CONNECTIONS"),
            ("WIDGET_HOST_CONFG", "WIDGET_HOST_CONFIG"),
            ("WIDGET_HOST_CONFIG_FILE", "WIDGET_HOST_CONFIG"),
            ("WIDGET_HOST_conf", "WIDGET_HOST_CONFIG"),
            ("WIDGET_HOST_CONFIG_PATH", "WIDGET_HOST_CONFIG"),
        ] {
            let err =
                Config::load(None, env(&[(typo, "x")]), &Overrides::default()).expect_err(typo);
            let said = err.to_string();
            assert!(said.contains(typo), "{said}");
            assert!(said.contains(&format!("did you mean {meant}?")), "{said}");
            assert!(said.contains("Known: CONFIG, "), "{said}");
        }
        let c = Config::load(
            None,
            env(&[
                ("WIDGET_HOST_BIN", "/usr/bin/widget-host"),
                ("WIDGET_HOST_VERSION", "1.2"),
                ("WIDGET_HOST_DATA_DIR", "/srv/widgets"),
            ]),
            &Overrides::default(),
        )
        .expect("another program's variables do not stop the host");
        assert_eq!(c.data_dir, PathBuf::from("/srv/widgets"));
        assert_eq!(c.ignored_env, ["WIDGET_HOST_BIN", "WIDGET_HOST_VERSION"]);
        // Names that only begin like the file's variable are another program's: a
        // Service named widget-host-config, a wrapper's hash of its ConfigMap.
        let c = Config::load(
            None,
            env(&[
                ("WIDGET_HOST_CONFIG_SERVICE_HOST", "10.0.0.1"),
                ("WIDGET_HOST_CONFIG_PORT_80_TCP_ADDR", "10.0.0.1"),
                ("WIDGET_HOST_CONFIGMAP_HASH", "abc"),
            ]),
            &Overrides::default(),
        )
        .expect("another program's variables that begin CONFIG");
        assert_eq!(c.ignored_env.len(), 3, "{:?}", c.ignored_env);
        // Whatever its value: a compose file's unset `${BIN}` gives an empty one.
        let c = Config::load(None, env(&[("WIDGET_HOST_BIN", "")]), &Overrides::default())
            .expect("another program's empty variable");
        assert_eq!(c.ignored_env, ["WIDGET_HOST_BIN"]);
    }

    /// A setting only the file gives is refused as a variable, naming where it goes,
    /// where it was passed over as another program's; WIDGET_HOST_CONFIG names the
    /// file (the command line reads it) and is no stranger either.
    #[test]
    fn a_variable_for_a_setting_of_the_file_says_where_it_goes() {
        for (var, in_file) in [
            (
                "WIDGET_HOST_REQUEST_TIMEOUT_SECS",
                "[limits] request_timeout_secs",
            ),
            ("WIDGET_HOST_HS256_SECRET", "[[consumers]] hs256_secret"),
            ("WIDGET_HOST_CONSUMER_ID", "[[consumers]] id"),
        ] {
            let err = Config::load(None, env(&[(var, "60")]), &Overrides::default())
                .expect_err(var)
                .to_string();
            assert!(err.contains(var) && err.contains(in_file), "{err}");
        }
        let c = Config::load(
            None,
            env(&[("WIDGET_HOST_CONFIG", "/etc/widget-host/host.toml")]),
            &Overrides::default(),
        )
        .expect("the file's own variable");
        assert!(c.ignored_env.is_empty(), "{:?}", c.ignored_env);
        // No variable the host reads is refused as one it does not.
        for (name, _) in FILE_ONLY {
            assert!(!ENV_SETTINGS.contains(&name) && name != "CONFIG", "{name}");
        }
    }

    /// The spellings of a switch the README lists, and one it does not.
    #[test]
    fn the_demo_variable_reads_a_switch_as_service_managers_write_it() {
        for (value, demo) in [
            ("true", true),
            ("FALSE", false),
            ("1", true),
            ("0", false),
            ("Yes", true),
            ("no", false),
            ("on", true),
            ("Off", false),
        ] {
            let c = Config::load(
                None,
                env(&[("WIDGET_HOST_DEMO", value)]),
                &Overrides::default(),
            )
            .expect(value);
            assert_eq!(c.demo, Some(demo), "{value}");
        }
        let err = Config::load(
            None,
            env(&[("WIDGET_HOST_DEMO", "enabled")]),
            &Overrides::default(),
        )
        .expect_err("not a switch");
        assert!(err.to_string().contains("is not a boolean"), "{err}");
    }

    #[test]
    fn an_empty_variable_is_refused_by_name() {
        for var in [
            "WIDGET_HOST_DATA_DIR",
            "WIDGET_HOST_PUBLIC_URL",
            "WIDGET_HOST_DEMO",
        ] {
            for value in ["", "  "] {
                let err = Config::load(None, env(&[(var, value)]), &Overrides::default())
                    .expect_err("empty");
                let said = err.to_string();
                assert!(said.contains(var) && said.contains("empty"), "{said}");
            }
        }
    }

    #[test]
    fn bad_env_names_the_variable() {
        let err = Config::load(
            None,
            env(&[("WIDGET_HOST_LISTEN", "nowhere")]),
            &Overrides::default(),
        )
        .expect_err("bad address");
        assert!(err.to_string().contains("WIDGET_HOST_LISTEN"), "{err}");
        let err = Config::load(
            None,
            env(&[("WIDGET_HOST_DEMMO", "1")]),
            &Overrides::default(),
        )
        .expect_err("typo");
        assert!(err.to_string().contains("WIDGET_HOST_DEMMO"), "{err}");
        // A value that parses but is out of range is found after every layer is in:
        // the message names the variable as well as the key.
        for (var, value) in [
            ("WIDGET_HOST_MAX_CONNECTIONS", "0"),
            ("WIDGET_HOST_MAX_BODY_BYTES", "0"),
        ] {
            let err = Config::load(None, env(&[(var, value)]), &Overrides::default())
                .expect_err("out of range");
            assert!(err.to_string().contains(var), "{err}");
        }
        // A value that is no number says what it read and what a number looks like.
        for (var, what) in [
            (
                "WIDGET_HOST_MAX_CONNECTIONS",
                "\"1MB\" is not a whole number of connections",
            ),
            (
                "WIDGET_HOST_MAX_BODY_BYTES",
                "\"1MB\" is not a whole number of bytes",
            ),
        ] {
            let err = Config::load(None, env(&[(var, "1MB")]), &Overrides::default())
                .expect_err("no number");
            let err = err.to_string();
            assert!(err.contains(var) && err.contains(what), "{err}");
        }
    }

    /// An empty `data_dir` in the file is refused as the empty variable is: it would
    /// put the database wherever the host was started from.
    #[test]
    fn an_empty_data_dir_is_refused() {
        let err = Config::from_toml("data_dir = \"\"\n")
            .expect("parses")
            .validate()
            .expect_err("empty data_dir");
        assert!(err.to_string().contains("data_dir"), "{err}");
        let named = Config::from_toml("data_dir = \"data\"\n").expect("parses");
        assert!(named.validate().is_ok());
        for key in ["descriptors_dir", "templates_dir"] {
            let err = Config::from_toml(&format!("{key} = \"\"\n"))
                .expect("parses")
                .validate()
                .expect_err("empty folder");
            assert!(
                err.to_string()
                    .starts_with(&format!("configuration key {key}: is empty")),
                "{err}"
            );
            let named = Config::from_toml(&format!("{key} = \"somewhere\"\n")).expect("parses");
            assert!(named.validate().is_ok());
        }
    }

    /// A value out of range names where it was set: the file, or the variable that
    /// set it over the file.
    #[test]
    fn a_value_out_of_range_names_where_it_was_set() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("host.toml");
        std::fs::write(
            &path,
            "public_url = \"https://w.example/widgets\"\n[limits]\nmax_connections = 0\n",
        )
        .expect("write");
        let load = |env: &[(&str, &str)]| {
            let env = env.iter().map(|(k, v)| (k.to_string(), v.to_string()));
            Config::load(Some(&path), env, &Overrides::default())
                .expect_err("refused")
                .to_string()
        };
        assert_eq!(
            load(&[]),
            format!(
                "configuration key limits.max_connections (in {}): must be between 1 and 1000000",
                path.display()
            )
        );
        // Set in the file and over it by no variable: the file.
        let err = load(&[("WIDGET_HOST_MAX_CONNECTIONS", "8")]);
        assert!(
            err.starts_with(&format!(
                "configuration key public_url (in {}): ",
                path.display()
            )),
            "{err}"
        );
        // A file whose values are good, and a variable that sets a bad one over it:
        // the variable, not the file the administrator would search in vain.
        std::fs::write(
            &path,
            "public_url = \"https://w.example\"\n[limits]\nmax_connections = 100\n",
        )
        .expect("write");
        let err = load(&[("WIDGET_HOST_MAX_CONNECTIONS", "0")]);
        assert!(
            err.starts_with(
                "configuration key limits.max_connections (set by WIDGET_HOST_MAX_CONNECTIONS): "
            ),
            "{err}"
        );
        let err = load(&[("WIDGET_HOST_PUBLIC_URL", "https://x.example/w")]);
        assert!(
            err.starts_with("configuration key public_url (set by WIDGET_HOST_PUBLIC_URL): "),
            "{err}"
        );
        // Over both, the command line's flag.
        let flags = Overrides {
            data_dir: Some(PathBuf::new()),
            ..Overrides::default()
        };
        let env = [("WIDGET_HOST_DATA_DIR".to_owned(), "data".to_owned())];
        let err = Config::load(Some(&path), env, &flags)
            .expect_err("refused")
            .to_string();
        assert!(
            err.starts_with("configuration key data_dir (set by --data-dir): "),
            "{err}"
        );
    }

    #[test]
    fn consumers_are_checked() {
        for blank in ["", "   "] {
            let toml = format!("[[consumers]]\nid = \"portal\"\nhs256_secret = \"{blank}\"\n");
            let err = Config::from_toml(&toml)
                .expect("parses")
                .validate()
                .expect_err("blank secret");
            assert!(
                err.to_string().contains("consumers[0].hs256_secret"),
                "{err}"
            );
        }
        let origin = "[[consumers]]\nid = \"portal\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\nallowed_origins = [\"https://p.example/path\"]\n";
        let err = Config::from_toml(origin)
            .expect("parses")
            .validate()
            .expect_err("path in origin");
        assert!(
            err.to_string().contains("consumers[0].allowed_origins[0]"),
            "{err}"
        );
        let none = "[[consumers]]\nid = \"portal\"\n";
        assert!(Config::from_toml(none).expect("parses").validate().is_err());
        // Over WSRP alone, a portal needs its WSRP secret and no Bearer key.
        let wsrp_only = "[[consumers]]\nid = \"dx\"\nwsrp_secret = \"sixteen-bytes-ok\"\n";
        assert!(
            Config::from_toml(wsrp_only)
                .expect("parses")
                .validate()
                .is_ok()
        );
        let blank_wsrp_only = "[[consumers]]\nid = \"dx\"\nwsrp_secret = \" \"\n";
        assert!(
            Config::from_toml(blank_wsrp_only)
                .expect("parses")
                .validate()
                .is_err()
        );
        let secret = "hs256_secret = \"0123456789abcdef0123456789abcdef\"";
        for wsrp in ["", "   "] {
            let toml =
                format!("[[consumers]]\nid = \"portal\"\n{secret}\nwsrp_secret = \"{wsrp}\"\n");
            let err = Config::from_toml(&toml)
                .expect("parses")
                .validate()
                .expect_err("blank wsrp secret");
            assert!(
                err.to_string().contains("consumers[0].wsrp_secret"),
                "{err}"
            );
        }
        let long = format!(
            "[[consumers]]\nid = \"portal\"\n{secret}\nwsrp_secret = \"sixteen-bytes-ok\"\n"
        );
        assert!(Config::from_toml(&long).expect("parses").validate().is_ok());
    }

    /// The README's example secrets are public: a copied example is refused, naming
    /// the key, and secrets of one's own are taken.
    #[test]
    fn the_readmes_example_secrets_are_refused() {
        // The README's configuration block, whole, with its example values as an
        // administrator would copy them.
        let readme = include_str!("../README.md");
        let start = "```toml\n".len()
            + readme
                .find("```toml\nlisten = ")
                .expect("the README's example configuration");
        let block = &readme[start..start + readme[start..].find("```").expect("its end")];
        let copied = Config::from_toml(block).expect("the README's example parses");
        assert_eq!(copied.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(
            copied.public_url.as_deref(),
            Some("https://widgets.example.com")
        );
        let error = copied
            .validate()
            .expect_err("its secret is public")
            .to_string();
        assert!(
            error.contains("consumers[0].hs256_secret") && error.contains("README's example"),
            "{error}"
        );
        // With a secret of its own, the example's WSRP secret is refused next.
        let mut own = copied.clone();
        own.consumers[0].hs256_secret = Some("k".repeat(40));
        let error = own
            .validate()
            .expect_err("its WSRP secret is public")
            .to_string();
        assert!(
            error.contains("consumers[0].wsrp_secret") && error.contains("README's example"),
            "{error}"
        );
        own.consumers[0].wsrp_secret = Some("w".repeat(24));
        own.validate().expect("secrets of its own are taken");
    }

    /// DESIGN sets no length for secrets, and trial setups use short ones: they start,
    /// and the log at start says what RFC 7518 advises, naming consumer and key.
    #[test]
    fn short_secrets_are_warned_of_not_refused() {
        let toml = "public_url = \"https://widgets.example\"\n[[consumers]]\nid = \"trial\"\nhs256_secret = \"test-secret\"\nwsrp_secret = \"short\"\nwsrp_guest_users = [\"20103\"]\nallowed_origins = [\"https://portal.example\"]\n";
        let c = Config::from_toml(toml).expect("parses");
        c.validate().expect("a short secret is the portal's choice");
        let warnings = c.warnings();
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings[0].contains("\"trial\"")
                && warnings[0].contains("hs256_secret is 11 bytes")
                && warnings[0].contains("RFC 7518 section 3.2")
                && warnings[0].contains("at least 32 bytes"),
            "{warnings:?}"
        );
        assert!(
            warnings[1].contains("\"trial\"")
                && warnings[1].contains("wsrp_secret is 5 bytes")
                && warnings[1].contains("at least 16"),
            "{warnings:?}"
        );
        // The warning is about the secret, never a copy of it.
        assert!(!warnings.iter().any(|w| w.contains("test-secret")));
        // At the advised lengths nothing is said.
        let long = "public_url = \"https://widgets.example\"\n[[consumers]]\nid = \"trial\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\nwsrp_secret = \"sixteen-bytes-ok\"\nwsrp_guest_users = [\"20103\"]\nallowed_origins = [\"https://portal.example\"]\n";
        assert_eq!(
            Config::from_toml(long).expect("parses").warnings(),
            Vec::<String>::new()
        );
    }

    /// An OIDC issuer is a URL, and `iss` names the consumer: ids take any visible
    /// ASCII but the `p_auth` separator.
    #[test]
    fn consumer_ids_may_be_issuer_urls() {
        for id in [
            "liferay",
            "https://portal.example.com/o/oauth2",
            "https://p.example:8443/realms/a%20b?x=1&y=2#frag",
            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}",
            &"a".repeat(MAX_CONSUMER_ID_LEN),
        ] {
            assert!(is_consumer_id(id), "{id:?}");
        }
        for id in [
            "",
            "portal~a",
            "portal a",
            "portal\tb",
            "portal\n",
            "pörtal",
            "\u{7f}",
            &"a".repeat(MAX_CONSUMER_ID_LEN + 1),
        ] {
            assert!(!is_consumer_id(id), "{id:?}");
        }
        let secret = "hs256_secret = \"0123456789abcdef0123456789abcdef\"";
        let issuer =
            format!("[[consumers]]\nid = \"https://portal.example.com/o/oauth2\"\n{secret}\n");
        let c = Config::from_toml(&issuer).expect("parses");
        c.validate().expect("an issuer URL is a consumer id");
        let tilde = format!("[[consumers]]\nid = \"a~b\"\n{secret}\n");
        let err = Config::from_toml(&tilde)
            .expect("parses")
            .validate()
            .expect_err("~ separates p_auth fields");
        assert!(err.to_string().contains("consumers[0].id"), "{err}");
    }

    #[test]
    fn limits_are_bounded_where_the_server_would_misbehave() {
        let limit = |toml: &str| {
            Config::from_toml(&format!("[limits]\n{toml}\n"))
                .expect("parses")
                .validate()
                .map_err(|e| e.to_string())
        };
        for (toml, key) in [
            ("max_connections = 0", "limits.max_connections"),
            (
                "max_connections = 18446744073709551615",
                "limits.max_connections",
            ),
            ("request_timeout_secs = 0", "limits.request_timeout_secs"),
            (
                "request_timeout_secs = 9223372036854775807",
                "limits.request_timeout_secs",
            ),
            ("max_header_bytes = 1024", "limits.max_header_bytes"),
            ("max_header_bytes = 1048577", "limits.max_header_bytes"),
            ("max_body_bytes = 0", "limits.max_body_bytes"),
            ("max_body_bytes = 1073741825", "limits.max_body_bytes"),
            ("shutdown_grace_secs = 0", "limits.shutdown_grace_secs"),
            ("shutdown_grace_secs = 3601", "limits.shutdown_grace_secs"),
        ] {
            let err = limit(toml).expect_err(toml);
            assert!(err.contains(key), "{toml}: {err}");
        }
        for toml in [
            "max_connections = 1000000",
            "request_timeout_secs = 86400",
            "max_header_bytes = 8192",
            "max_header_bytes = 1048576",
            "max_body_bytes = 1",
            "max_body_bytes = 1073741824",
            "shutdown_grace_secs = 1",
            "shutdown_grace_secs = 3600",
        ] {
            assert_eq!(limit(toml), Ok(()), "{toml}");
        }
    }

    #[test]
    fn origins() {
        assert!(is_origin("https://portal.example.com"));
        assert!(is_origin("http://127.0.0.1:8080"));
        assert!(!is_origin("https://portal.example.com/x"));
        assert!(!is_origin("https://portal.example.com?x=1"));
        assert!(!is_origin("https://portal.example.com/#top"));
        assert!(!is_origin("https://admin@portal.example.com"));
        assert!(!is_origin("javascript:alert(1)"));
        assert!(!is_origin("portal.example.com"));
        // The same origin however it is written, in the form browsers send.
        for written in [
            "https://Portal.Example.com:443",
            "https://portal.example.com/",
            " https://PORTAL.example.com ",
        ] {
            assert_eq!(
                origin_of(written).as_deref(),
                Some("https://portal.example.com"),
                "{written}"
            );
        }
        assert_eq!(
            origin_of("http://Widgets.Example.com:8080/").as_deref(),
            Some("http://widgets.example.com:8080")
        );
    }

    /// A loaded configuration holds its origins as browsers write them, so that they
    /// match the `Origin` header and redirect targets as text.
    #[test]
    fn loaded_origins_are_written_as_browsers_send_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(
            &file,
            "public_url = \"https://Widgets.Example.com:443/\"\n[[consumers]]\nid = \"p\"\nhs256_secret = \"0123456789abcdef0123456789abcdef\"\nallowed_origins = [\"https://Portal.Example.com:443\", \"http://intranet:8080/\"]\n",
        )
        .expect("write");
        let c = Config::load(Some(&file), Vec::new(), &Overrides::default()).expect("valid");
        assert_eq!(c.public_url.as_deref(), Some("https://widgets.example.com"));
        assert_eq!(
            c.consumers[0].allowed_origins,
            ["https://portal.example.com", "http://intranet:8080"]
        );
    }

    /// A configuration file every local user may read (it holds the secrets) is
    /// named, to be logged at start; one only its owner and group read is not.
    #[cfg(unix)]
    #[test]
    fn a_configuration_file_anyone_may_read_is_named() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("c.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9\"\n").expect("write");
        let load = || Config::load(Some(&file), Vec::new(), &Overrides::default()).expect("valid");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert_eq!(load().readable_by_all.as_deref(), Some(file.as_path()));
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        assert_eq!(load().readable_by_all, None);
        assert_eq!(
            Config::load(None, Vec::new(), &Overrides::default())
                .expect("defaults")
                .readable_by_all,
            None
        );
    }
}
