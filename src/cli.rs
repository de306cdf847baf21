//! Command line (clap): global options, then a subcommand (`serve` when none is given).
//! Global options are accepted before or after the subcommand.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, LogFormat, Overrides};
use crate::directory::{DirectoryError, IdSource, ImportOptions, ImportProgress, SeedOptions};
use crate::portal::Profile;
use crate::portal::auth::{DEFAULT_TOKEN_TTL, mint_for_audience};
use crate::social::{Social, SocialError};
use crate::store::StoreError;

#[derive(Debug, Parser)]
#[command(
    name = "widget-host",
    version,
    about = "Hosts portal widgets (portlets) outside the portal",
    long_about = None,
    after_help = "Settings are read from the built-in defaults, then the --config file, then WIDGET_HOST_* variables, then these flags. Settings with no flag: WIDGET_HOST_TEMPLATES_DIR, WIDGET_HOST_PUBLIC_URL, WIDGET_HOST_MAX_BODY_BYTES, WIDGET_HOST_MAX_CONNECTIONS, or their keys in the file (README, Configuration)."
)]
pub struct Cli {
    /// TOML configuration file (or WIDGET_HOST_CONFIG).
    #[arg(long, global = true, value_name = "FILE", env = "WIDGET_HOST_CONFIG", value_parser = path_flag(CONFIG_EMPTY))]
    pub config: Option<PathBuf>,
    /// Address to serve on, e.g. 127.0.0.1:8080 or localhost:8080 (or
    /// WIDGET_HOST_LISTEN).
    #[arg(long, global = true, value_name = "ADDR", value_parser = crate::config::parse_listen)]
    pub listen: Option<SocketAddr>,
    /// Folder of the database (or WIDGET_HOST_DATA_DIR).
    #[arg(long, global = true, value_name = "DIR", value_parser = path_flag(PATH_EMPTY))]
    pub data_dir: Option<PathBuf>,
    /// Folder of widget descriptor folders, watched (or WIDGET_HOST_DESCRIPTORS_DIR).
    #[arg(long, global = true, value_name = "DIR", value_parser = path_flag(PATH_EMPTY))]
    pub descriptors_dir: Option<PathBuf>,
    /// Serve the demo portal at `/` (or WIDGET_HOST_DEMO=true).
    #[arg(long, global = true, overrides_with = "no_demo")]
    pub demo: bool,
    /// Do not serve the demo portal (or WIDGET_HOST_DEMO=false).
    #[arg(long, global = true, overrides_with = "demo")]
    pub no_demo: bool,
    /// Log format (or WIDGET_HOST_LOG_FORMAT).
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Whether `WIDGET_HOST_CONFIG` gave `config`, not the flag.
    #[arg(skip)]
    pub config_from_env: bool,
}

/// What an empty path flag is told.
const PATH_EMPTY: &str = "a path cannot be empty: did the flag lose its value (an unset variable)?";
/// The same for `--config`, whose value may come from the environment: clap names only
/// the flag, and an administrator who never typed it would look for it in vain.
const CONFIG_EMPTY: &str = "a path cannot be empty: is WIDGET_HOST_CONFIG set but empty, or did the flag lose its value (an unset variable)?";

/// A path flag's value, as any path the system allows (not only UTF-8), unless it is
/// empty or a command's name: `--data-dir $DATA check-db` with `$DATA` unset would
/// otherwise take `check-db` as the folder and, left with no command, start serving
/// a new database where a check was asked for.
fn path_flag(empty: &'static str) -> impl clap::builder::TypedValueParser<Value = PathBuf> {
    use clap::builder::TypedValueParser;
    clap::builder::OsStringValueParser::new().try_map(move |value| {
        if value.is_empty() {
            return Err(empty.to_owned());
        }
        if let Some(name) = value.to_str()
            && <Cli as clap::CommandFactory>::command()
                .find_subcommand(name)
                .is_some()
        {
            return Err(format!(
                "{name:?} is a command, not a path: did the flag lose its value (an unset variable)? Give ./{name} for a folder of that name"
            ));
        }
        Ok(PathBuf::from(value))
    })
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormatArg {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve widgets over HTTP and WSRP (the default).
    Serve,
    /// Work with widget descriptors.
    Descriptors {
        #[command(subcommand)]
        command: DescriptorsCommand,
    },
    /// Import Liferay headless-admin-user UserAccount JSON (a page object with items,
    /// an array, or one object per line) into the database (server stopped). Exit 0:
    /// all imported; 1: some records were rejected (the rest imported), or the file is
    /// one page of several; 2: the import could not run, or stopped (a file cut off, a
    /// record too long, a storage failure: the batches written before it stay).
    ImportUsers {
        /// The JSON file.
        file: PathBuf,
        /// Which field becomes the portal user id (the JWT `sub`): auto takes
        /// externalReferenceCode, else id, else alternateName (the screen name, which
        /// screen-name takes).
        #[arg(long, value_enum, default_value = "auto")]
        id_field: IdFieldArg,
    },
    /// Fill an empty database (server stopped) with a synthetic directory and social
    /// graph.
    Seed {
        /// How many people.
        #[arg(long)]
        users: usize,
        /// Average connections plus follows per person.
        #[arg(long, default_value_t = 10.0)]
        degree: f64,
        /// Seed of the random generator: the same value gives the same graph.
        #[arg(long, default_value_t = 1)]
        seed_value: u64,
    },
    /// Verify every invariant of the database (server stopped), or of FILE (a backup,
    /// such as one `POST /api/backup` wrote while the server runs). Exit 1 on a
    /// violation or a damaged file, 2 when it cannot check.
    CheckDb {
        /// A database file to check instead of the data folder's.
        file: Option<PathBuf>,
    },
    /// Copy the database (server stopped) into FILE as one consistent snapshot.
    Backup {
        /// Where the backup goes: a name not yet taken (an existing file is refused,
        /// exit 2). The copy is written beside it and renamed into place.
        file: PathBuf,
    },
    /// Replace the database (server stopped) with a checked backup.
    Restore {
        /// A file written by `backup` or `POST /api/backup`.
        file: PathBuf,
    },
    /// Mint a JWT for trying things out, signed with a consumer's hs256_secret.
    Token {
        /// The consumer id (the JWT `iss`).
        #[arg(long)]
        consumer: String,
        /// The portal user id (the JWT `sub`): 1-64 of A-Z a-z 0-9 . _ @ -.
        #[arg(long, value_parser = user_id)]
        user: String,
        /// Roles to claim: comma-separated ("Administrator,Site Owner"), several after
        /// one flag, or the flag repeated. Spaces around each name are dropped.
        #[arg(long, num_args = 1.., value_delimiter = ',', value_parser = role_name)]
        roles: Vec<String>,
        /// Lifetime in seconds (default one hour); a token expires at its `exp`, so
        /// it is at least one.
        #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
        ttl: Option<u64>,
    },
}

/// `token --user`, checked as the host checks a token's `sub`, so that the flag is
/// named in the refusal rather than a malformed token reported.
fn user_id(id: &str) -> Result<String, String> {
    if crate::portal::auth::is_user_id(id) {
        Ok(id.to_owned())
    } else {
        Err(format!(
            "a user id is 1-{} of A-Z a-z 0-9 . _ @ -",
            crate::portal::auth::MAX_USER_ID_LEN
        ))
    }
}

/// One name of `token --roles`, trimmed: `"Administrator, Site Owner"` reads as people
/// type it. An empty name (`a,,b`) is a slip, refused rather than claimed as a role.
fn role_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a role name cannot be empty".into());
    }
    Ok(name.to_owned())
}

/// `import-users --id-field`.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum IdFieldArg {
    Auto,
    ExternalReferenceCode,
    Id,
    ScreenName,
}

#[derive(Debug, Subcommand)]
pub enum DescriptorsCommand {
    /// Validate descriptor folders or files and report each problem with file:line:column
    /// (at most 100 a file or folder; the rest are counted).
    Check {
        /// Descriptors folders, widget folders or single descriptor files (default: the configured descriptors_dir).
        paths: Vec<PathBuf>,
    },
}

impl Cli {
    /// Whether `--log-format` or, without it, `WIDGET_HOST_LOG_FORMAT` asks for JSON.
    fn asks_for_json_logs(&self) -> bool {
        match self.log_format {
            Some(format) => matches!(format, LogFormatArg::Json),
            None => std::env::var("WIDGET_HOST_LOG_FORMAT")
                .is_ok_and(|v| LogFormat::parse(&v) == Some(LogFormat::Json)),
        }
    }

    /// The command line of this process, noting where `--config` came from.
    pub fn parse_noting_sources() -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let matches = Self::command().get_matches();
        let mut cli = Self::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
        cli.config_from_env =
            matches.value_source("config") == Some(clap::parser::ValueSource::EnvVariable);
        cli
    }

    /// The configuration from every layer: file, `WIDGET_HOST_*`, then these flags.
    pub fn load_config(&self) -> Result<Config, crate::config::ConfigError> {
        let demo = match (self.demo, self.no_demo) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        };
        let overrides = Overrides {
            listen: self.listen,
            data_dir: self.data_dir.clone(),
            descriptors_dir: self.descriptors_dir.clone(),
            demo,
            log_format: self.log_format.map(|f| match f {
                LogFormatArg::Text => LogFormat::Text,
                LogFormatArg::Json => LogFormat::Json,
            }),
        };
        Config::load(
            self.config.as_deref(),
            host_env(std::env::vars_os())?,
            &overrides,
        )
        .map_err(|e| {
            if self.config_from_env {
                e.named_by_env()
            } else {
                e
            }
        })
    }
}

/// The `WIDGET_HOST_*` variables of `vars`. Others are not ours to read: one that is
/// not UTF-8 must not stop the host (`std::env::vars` panics on it). A setting's
/// value that is not UTF-8 is named in a clear error.
fn host_env(
    vars: impl Iterator<Item = (std::ffi::OsString, std::ffi::OsString)>,
) -> Result<Vec<(String, String)>, crate::config::ConfigError> {
    let mut ours = Vec::new();
    for (name, value) in vars {
        if !name.as_encoded_bytes().starts_with(b"WIDGET_HOST_") {
            continue;
        }
        // Settings are named in ASCII: a name that is not UTF-8 is another program's,
        // passed on (as its lossy text) to be passed over and logged as one.
        let name = name.to_string_lossy().into_owned();
        let value = match value.into_string() {
            Ok(value) => value,
            Err(_) if crate::config::names_a_setting(&name["WIDGET_HOST_".len()..]) => {
                return Err(crate::config::ConfigError::Env {
                    var: name,
                    message: "the value is not UTF-8".into(),
                });
            }
            Err(raw) => raw.to_string_lossy().into_owned(),
        };
        ours.push((name, value));
    }
    Ok(ours)
}

/// Runs the parsed command line; the process exits with the returned code.
pub fn run(cli: Cli) -> ExitCode {
    let config = match cli.load_config() {
        Ok(config) => config,
        Err(error) => {
            // A collector reading JSON lines keeps nothing of a plain one. A file
            // that failed is not read for its log_format, so the command line and
            // the environment decide here.
            if cli.asks_for_json_logs() {
                init_logging(LogFormat::Json);
                tracing::error!(%error, "the configuration could not be read");
            }
            eprintln!("widget-host: {error}");
            return ExitCode::from(2);
        }
    };
    init_logging(config.log_format);
    if let Some(path) = &config.readable_by_all {
        tracing::warn!(
            config = %path.display(),
            "every local user may read the configuration file, and with its secrets sign in to the host as anyone: chmod o-r it (0640, owned by root and the service's group)"
        );
    }
    for var in &config.ignored_env {
        tracing::warn!(
            variable = %var,
            "not a widget-host setting (a variable of another program?): passed over"
        );
    }
    let code = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Descriptors {
            command: DescriptorsCommand::Check { paths },
        } => {
            let report = if paths.is_empty() {
                crate::descriptors::check_served(&config.descriptors_dir)
            } else {
                crate::descriptors::check(&paths)
            };
            write_out(format_args!("{report}"));
            if report.passed() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Command::ImportUsers { file, id_field } => import_users(&config, &file, id_field),
        Command::Seed {
            users,
            degree,
            seed_value,
        } => seed(&config, users, degree, seed_value),
        Command::CheckDb { file } => check_db(&config, file.as_deref()),
        Command::Backup { file } => backup(&config, &file),
        Command::Restore { file } => restore(&config, &file),
        Command::Token {
            consumer,
            user,
            roles,
            ttl,
        } => token(&config, &consumer, &user, &roles, ttl),
    };
    // What is still buffered goes out now, where a failure can still be told.
    out_failed(std::io::Write::flush(&mut std::io::stdout()));
    if OUTPUT_FAILED.load(std::sync::atomic::Ordering::Relaxed) {
        ExitCode::from(CANNOT_RUN)
    } else {
        code
    }
}

/// Whether the output could not be written, for another reason than a reader that
/// stopped reading: the command then exits 2 whatever it did, since what it printed
/// (a token, a report) is not where it was sent.
static OUTPUT_FAILED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// What a command prints, on stdout. A reader that stops reading (`check-db | head
/// -1`) ends the output, not the command: its exit code still says how it went, where
/// `println!` would panic on the closed pipe (exit 101). Another failure to write (a
/// full disk under `> report.txt`) is said on stderr, once, and exits 2.
fn write_out(text: std::fmt::Arguments<'_>) {
    use std::io::Write;
    out_failed(std::io::stdout().lock().write_fmt(text));
}

/// Notes a write of the output that failed ([`OUTPUT_FAILED`]), saying so once; a
/// reader that stopped reading is no failure.
fn out_failed(written: std::io::Result<()>) {
    use std::sync::atomic::Ordering;
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            if !OUTPUT_FAILED.swap(true, Ordering::Relaxed) {
                eprintln!("widget-host: cannot write the output: {e}");
            }
        }
    }
}

/// `println!` through [`write_out`].
macro_rules! say {
    ($($arg:tt)*) => {
        write_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Exit code of an operations command that could not run at all.
const CANNOT_RUN: u8 = 2;

fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("widget-host: {message}");
    ExitCode::from(CANNOT_RUN)
}

/// Explains a database (`database`) locked by another process: the running server,
/// or another command (a nightly backup meeting a long import), which `what` must not
/// take for the server.
fn store_message(error: &StoreError, database: &Path, what: &str) -> String {
    let locked = |path: &Path| {
        format!(
            "{} is locked: a widget-host server serves it, or a backup, restore, check-db, seed or import-users is running on it. {what}",
            path.display()
        )
    };
    match error {
        StoreError::Locked(path) => locked(path),
        StoreError::Db(redb::Error::DatabaseAlreadyOpen) => locked(database),
        other => other.to_string(),
    }
}

/// Opens (creating if needed) the configured database for an offline command.
/// Opens the data folder's database for `seed` or `import-users`, making it (and the
/// folder) where there is none; says whether it made it.
fn open_social(config: &Config) -> Result<(Social, Made), String> {
    crate::store::create_folder(&config.data_dir)
        .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
    let database = config.database_path();
    // An empty file is the one a stopped restore leaves, which a host opens as none.
    let made = if std::fs::metadata(&database).is_ok_and(|m| m.len() > 0) {
        Made::No
    } else {
        Made::Yes
    };
    let social = Social::open(&database).map_err(|e| match e {
        SocialError::Store(
            s @ (StoreError::Locked(_) | StoreError::Db(redb::Error::DatabaseAlreadyOpen)),
        ) => store_message(&s, &database, "Stop it, or wait for it, first."),
        // A schema too new, a file damaged: the message says what, this says where.
        SocialError::Store(other) => format!("{}: {other}", database.display()),
    })?;
    Ok((social, made))
}

/// Whether a command made the database it wrote.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Made {
    Yes,
    No,
}

/// `path` from the root, where it was given relative to the working folder.
fn in_full(path: PathBuf) -> PathBuf {
    std::path::absolute(&path).unwrap_or(path)
}

/// Names the database a command wrote, in full. An administrator who left out
/// `--config` imports into `./data` and is told "300000 imported" while the service
/// serves its own, empty, data folder: the path, and whether the command made the
/// file, show that before the portal's users do.
fn say_database(config: &Config, made: Made, said: &str) {
    let database = in_full(config.database_path());
    match made {
        Made::Yes => eprintln!(
            "{}: a new database, made by this command: a host serves it only when its data folder is this one (--data-dir, WIDGET_HOST_DATA_DIR or data_dir in the --config file)",
            database.display()
        ),
        Made::No => eprintln!("{}: {said}", database.display()),
    }
}

/// A progress bar on stderr, or nothing when stderr is not a terminal.
fn progress_bar(unit: &str, total: Total) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner();
    let template = progress_template(unit, total);
    if let Ok(style) = ProgressStyle::with_template(&template) {
        bar.set_style(style);
    }
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// Whether a command knows how much work there is before it ends.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Total {
    /// `seed`: it sets the bar's length.
    Known,
    /// `import-users`, which reads its file as it goes: a bar with no length
    /// would show its position as the length, and look finished throughout.
    Unknown,
}

fn progress_template(unit: &str, total: Total) -> String {
    match total {
        Total::Known => {
            format!("{{spinner}} {{msg}} {{pos}}/{{len}} {unit} ({{per_sec}}, {{elapsed}})")
        }
        Total::Unknown => format!("{{spinner}} {{msg}} {{pos}} {unit} ({{per_sec}}, {{elapsed}})"),
    }
}

/// Records between two progress lines of `import-users` when stderr is not a terminal:
/// about a line every second or two at the import's pace, and a 100,000-person
/// directory still makes only ten.
const PROGRESS_LINE_RECORDS: usize = 10_000;

/// `import-users` progress as plain lines on stderr, for a log rather than a terminal.
struct ProgressLines {
    every: usize,
}

impl ImportProgress for ProgressLines {
    fn records_read(&self, records: usize) {
        if records.is_multiple_of(self.every) {
            eprintln!("import-users: read {records} records");
        }
    }

    /// The last line (how many were imported) is written by the command, which has
    /// the report.
    fn finished(&self) {}
}

fn import_users(config: &Config, file: &Path, id_field: IdFieldArg) -> ExitCode {
    // Before the database: a path mistyped, or a file refused by its first bytes,
    // must not create or migrate it.
    let mut input = match std::fs::File::open(file) {
        Ok(input) => input,
        Err(e) => return fail(format!("cannot read {}: {e}", file.display())),
    };
    match crate::directory::check_start(file, &mut input) {
        Ok(()) => {}
        Err(e @ DirectoryError::Read { .. }) => return fail(e.to_string()),
        Err(e) => return fail(format!("{}: {e}", file.display())),
    }
    let (social, made) = match open_social(config) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let options = ImportOptions {
        id_source: match id_field {
            IdFieldArg::Auto => IdSource::Auto,
            IdFieldArg::ExternalReferenceCode => IdSource::ExternalReferenceCode,
            IdFieldArg::Id => IdSource::Id,
            IdFieldArg::ScreenName => IdSource::ScreenName,
        },
        ..ImportOptions::default()
    };
    // A bar draws only on a terminal; in a log or a pipe (a service, a script) plain
    // lines say how far the import got instead.
    let on_terminal = std::io::stderr().is_terminal();
    let (bar, lines);
    let progress: &dyn ImportProgress = if on_terminal {
        bar = progress_bar("records", Total::Unknown);
        bar.set_message("importing");
        &bar
    } else {
        lines = ProgressLines {
            every: PROGRESS_LINE_RECORDS,
        };
        &lines
    };
    let report = match crate::directory::import_opened(&social, file, input, options, progress) {
        Ok(report) => report,
        Err(e) => {
            progress.finished();
            // Records imported before the error stay: where they went is said, as on
            // success, without claiming any was.
            say_database(config, made, "the database imported into");
            // Each error is put next to the file it is about: the input (which a
            // cannot-read error names itself) or, when storing failed, the database.
            return fail(match e {
                DirectoryError::Read { .. } => e.to_string(),
                DirectoryError::Storing { .. } | DirectoryError::Social(_) => {
                    format!("{}: {e}", config.database_path().display())
                }
                _ => format!("{}: {e}", file.display()),
            });
        }
    };
    if !on_terminal {
        eprintln!("import-users: imported {} users", report.imported);
    }
    for rejected in &report.rejected {
        eprintln!("{}: {rejected}", file.display());
    }
    if report.rejected_unlisted > 0 {
        eprintln!(
            "{}: {} more rejected record(s) not listed",
            file.display(),
            report.rejected_unlisted
        );
    }
    if report.inactive > 0 {
        eprintln!(
            "{}: {} deactivated account(s) (\"status\": \"Inactive\") skipped; one imported before stays until DELETE /api/users/{{id}} removes it",
            file.display(),
            report.inactive
        );
    }
    if !report.inactive_stored.is_empty() {
        const SHOWN: usize = 20;
        let stored = &report.inactive_stored;
        let mut ids = stored
            .iter()
            .take(SHOWN)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        if stored.len() > SHOWN {
            ids.push_str(&format!(" and {} more", stored.len() - SHOWN));
        }
        eprintln!(
            "{}: {} of them still in the directory (imported before): {ids}",
            file.display(),
            stored.len()
        );
    }
    if report.inactive_not_looked_up > 0 {
        eprintln!(
            "{}: {} more deactivated account(s) were not looked up in the directory (the first {} were)",
            file.display(),
            report.inactive_not_looked_up,
            crate::directory::MAX_INACTIVE_LOOKED_UP
        );
    }
    if let Some(missing) = report.missing_pages() {
        eprintln!(
            "{}: the file is one page of Liferay's answer ({missing}): import the other pages too, or fetch larger ones (pageSize)",
            file.display()
        );
    }
    // A directory imported beside the demo's made-up people shows them to everyone:
    // said now, not only when the host next starts with the demo off.
    if let Ok(left) = crate::demo::people::people_left_in(&social)
        && left > 0
    {
        eprintln!(
            "{}: this database also holds {left} of the demo's made-up people (the demo ran on this data dir), whom every user's lists show: import into a fresh --data-dir, or delete them with DELETE /api/users/{{id}}",
            config.database_path().display()
        );
    }
    say_database(config, made, "written");
    say!("{report}");
    if report.complete() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn seed(config: &Config, users: usize, degree: f64, seed_value: u64) -> ExitCode {
    if !(0.0..=10_000.0).contains(&degree) {
        return fail("--degree must be between 0 and 10000");
    }
    // Zero would make an empty database and say "seeded 0 people", which is no seed.
    if users == 0 {
        return fail("--users must be 1 or more");
    }
    let options = SeedOptions {
        users,
        degree,
        seed_value,
    };
    // Before the database: options refused must not create or migrate it.
    if let Err(e) = options.relations() {
        return fail(e);
    }
    // Nor a directory that holds anyone, which a seed refuses: counted without the
    // migration opening it would make, so an older file stays one its release opens.
    {
        let database = config.database_path();
        let refused = match crate::store::people_in_file(&database) {
            // Named in full, as `import-users` names it: run without the service's
            // `--config`, the database refused may be another than the one meant.
            Ok(people) => crate::directory::refuse_a_peopled_directory(people)
                .map_err(|e| format!("{}: {e}", in_full(database.clone()).display())),
            Err(s @ StoreError::Locked(_)) => Err(store_message(
                &s,
                &database,
                "Stop it, or wait for it, first.",
            )),
            Err(other) => Err(format!("{}: {other}", database.display())),
        };
        if let Err(message) = refused {
            return fail(message);
        }
    }
    let (social, made) = match open_social(config) {
        Ok(s) => s,
        Err(e) => return fail(e),
    };
    let bar = progress_bar("", Total::Known);
    match crate::directory::seed(&social, options, &bar) {
        Ok(r) => {
            say_database(config, made, "written");
            say!(
                "seeded {} people: {} connections, {} follows, {} blocks, {} pending requests",
                r.people,
                r.connections,
                r.follows,
                r.blocks,
                r.requests
            );
            let drawn = r.connections + r.follows;
            if drawn < r.asked {
                say!(
                    "note: --degree asked for {} connections and follows; the draw stopped at {drawn}: each pair of people is related once, and a small or dense directory runs short of pairs",
                    r.asked
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            bar.finish_and_clear();
            fail(e)
        }
    }
}

/// Refuses a data folder that is a file (the database file named where its folder is
/// meant), as the commands that make the folder do, where the system's words would be
/// "Not a directory" of a path the administrator never wrote.
fn a_file_as_data_folder(config: &Config) -> Option<ExitCode> {
    std::fs::metadata(&config.data_dir)
        .is_ok_and(|m| !m.is_dir())
        .then(|| {
            fail(format!(
                "{}: {}",
                in_full(config.data_dir.clone()).display(),
                crate::store::A_FILE_NOT_A_FOLDER
            ))
        })
}

fn check_db(config: &Config, file: Option<&Path>) -> ExitCode {
    if file.is_none()
        && let Some(refused) = a_file_as_data_folder(config)
    {
        return refused;
    }
    // The data folder's database in full, as `import-users` names it: run without
    // the service's `--config`, a relative `./data` would read as the service's file.
    let path = file.map_or_else(|| in_full(config.database_path()), Path::to_owned);
    // A file named to be checked that is empty is a copy that failed: what is wrong
    // is the data (exit 1). The data folder's own empty file is a restore that was
    // stopped, on which a host starts as on none (exit 2 below, "no database").
    if file.is_some() && std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
        say!(
            "violation: the database file {} is empty (a copy that failed?)",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    // Said plainly, as `restore` says it: redb's own words are of a magic number. A
    // file that cannot be read at all is no violation: the check could not run (2).
    if file.is_some()
        && path.is_file()
        && matches!(crate::store::has_redb_signature(&path), Ok(false))
    {
        say!(
            "violation: {} is not a database: it does not start with redb's file signature, as a backup the host made does",
            path.display()
        );
        return ExitCode::FAILURE;
    }
    let summary = match crate::store::inspect_file(&path) {
        Ok(s) => s,
        // The data is what is wrong, as with a broken invariant: exit 1, not "could
        // not run", so that a script checking for 1 sees it.
        Err(crate::store::StoreError::Db(redb::Error::UpgradeRequired(version))) => {
            say!(
                "violation: the database file is in redb's file format {version}, too old \
                 for this host to read: restore a backup, or convert the file with a redb \
                 release that upgrades its format"
            );
            return ExitCode::FAILURE;
        }
        Err(e) if e.is_damage() => {
            say!(
                "violation: the database file {} is damaged: {e}",
                path.display()
            );
            return ExitCode::FAILURE;
        }
        Err(e) => {
            return fail(store_message(
                &e,
                &path,
                "If it is the server, take a copy with POST /api/backup and check that (check-db FILE), or stop the server to check.",
            ));
        }
    };
    for violation in &summary.violations {
        say!("violation: {violation}");
    }
    say!(
        "{}: schema {}, {} people, {} connections, {} follows, {} blocks, {} requests ({} pending), {} personal contacts",
        path.display(),
        summary.schema_version,
        summary.people,
        summary.connections,
        summary.follows,
        summary.blocks,
        summary.requests,
        summary.pending_requests,
        summary.entries
    );
    if summary.violations.is_empty() {
        say!("all invariants hold");
        ExitCode::SUCCESS
    } else {
        say!("{} violation(s)", summary.violations.len());
        ExitCode::FAILURE
    }
}

fn backup(config: &Config, file: &Path) -> ExitCode {
    if let Some(refused) = a_file_as_data_folder(config) {
        return refused;
    }
    // Refused at once, before a copy that could take minutes: an earlier backup given
    // the same name by mistake, or the live database itself. The copy's own naming
    // (a hard link) refuses a name taken meanwhile.
    // A folder given as the backup's place (as `POST /api/backup` takes one) is told
    // to name a file in it, not to remove it.
    if std::fs::metadata(file).is_ok_and(|m| m.is_dir()) {
        return fail(format!(
            "cannot back up to {}: it is a folder: name a new file in it, such as {}",
            file.display(),
            file.join("widget-host-backup.redb").display()
        ));
    }
    if std::fs::symlink_metadata(file).is_ok() {
        return fail(format!(
            "cannot back up to {}: it already exists (choose a new name, or remove it first)",
            file.display()
        ));
    }
    // A folder mistyped, or a share not mounted, is told before the database is
    // opened and every page of it checked, and not as the copy's hidden temporary name.
    let folder = match file.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    match std::fs::metadata(folder) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return fail(format!(
                "cannot back up to {}: {} is not a folder",
                file.display(),
                folder.display()
            ));
        }
        Err(e) => {
            return fail(format!(
                "cannot back up to {}: its folder {}: {e}",
                file.display(),
                folder.display()
            ));
        }
    }
    match backup_until_interrupted(config.database_path(), file.to_owned()) {
        Ok(()) => {
            say!(
                "backed up {} to {}",
                in_full(config.database_path()).display(),
                file.display()
            );
            ExitCode::SUCCESS
        }
        Err(crate::store::StoreError::ShuttingDown) => {
            eprintln!(
                "widget-host: the backup to {} was stopped; nothing was written there",
                file.display()
            );
            ExitCode::from(EXIT_SECOND_SIGNAL as u8)
        }
        Err(e) => fail(format!(
            "cannot back up {} to {}: {}",
            config.database_path().display(),
            file.display(),
            store_message(
                &e,
                &config.database_path(),
                "If it is the server, use POST /api/backup instead.",
            )
        )),
    }
}

/// `backup FILE`'s copy, stopped by SIGINT or SIGTERM (Ctrl-C): the copy gives up
/// within a few thousand rows and removes its temporary file, which lies beside
/// `FILE`, wherever that is, and which no later start would find and remove. Killed
/// by the signal's default action instead, it left a file as large as the database.
fn backup_until_interrupted(
    database: std::path::PathBuf,
    file: std::path::PathBuf,
) -> Result<(), crate::store::StoreError> {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| crate::store::StoreError::Db(redb::Error::Io(e)))?;
    runtime.block_on(async move {
        let stopped = Arc::new(AtomicBool::new(false));
        let seen = Arc::clone(&stopped);
        let mut signals = Signals::listen();
        let mut copy = tokio::task::spawn_blocking(move || {
            crate::store::backup_file(&database, &file, &|| seen.load(Ordering::Relaxed))
        });
        let copied = tokio::select! {
            copied = &mut copy => copied,
            () = signals.next() => {
                stopped.store(true, Ordering::Relaxed);
                eprintln!("widget-host: stopping the backup (a second Ctrl-C quits at once)");
                tokio::select! {
                    copied = &mut copy => copied,
                    // Some steps do not look at the flag (the check of every page
                    // when the file opens, the copy's commit): the signal's default
                    // action would have ended them, and so does a second signal.
                    () = signals.next() => {
                        eprintln!("widget-host: quit at once; a temporary file (.NAME.tmp-PID-RANDOM) may be left beside the backup's name");
                        std::process::exit(EXIT_SECOND_SIGNAL);
                    }
                }
            }
        };
        copied.unwrap_or_else(|e| {
            Err(crate::store::StoreError::corrupt(
                "a table",
                format!("the copy stopped: {e}"),
            ))
        })
    })
}

/// SIGINT and SIGTERM, listened for from [`Signals::listen`] on: each that could be
/// registered is caught from then on (one that could not keeps its default action).
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Said when it cannot be caught: the signal then ends the command at once,
            // which may leave its temporary file behind.
            let caught = |kind: SignalKind, name: &str| {
                signal(kind)
                    .inspect_err(|e| {
                        eprintln!("widget-host: cannot catch {name} ({e}); it will stop this command at once, and may leave a temporary file (.NAME.tmp-PID-RANDOM) behind")
                    })
                    .ok()
            };
            Self {
                interrupt: caught(SignalKind::interrupt(), "SIGINT"),
                terminate: caught(SignalKind::terminate(), "SIGTERM"),
            }
        }
        #[cfg(not(unix))]
        Self {}
    }

    /// Completes on the next signal (never, where none could be listened for).
    async fn next(&mut self) {
        #[cfg(unix)]
        {
            async fn on(signal: &mut Option<tokio::signal::unix::Signal>) {
                if let Some(s) = signal
                    && s.recv().await.is_some()
                {
                    return;
                }
                std::future::pending::<()>().await
            }
            tokio::select! {
                () = on(&mut self.interrupt) => {},
                () = on(&mut self.terminate) => {},
            }
        }
        #[cfg(not(unix))]
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await
        }
    }
}

fn restore(config: &Config, file: &Path) -> ExitCode {
    // Only for a file that could be a backup: a mistyped or foreign one is refused
    // without leaving an empty data folder behind.
    if file.is_file()
        && matches!(crate::store::has_redb_signature(file), Ok(true))
        && let Err(e) = crate::store::create_folder(&config.data_dir)
    {
        return fail(format!("cannot create {}: {e}", config.data_dir.display()));
    }
    match crate::store::restore_file(file, &config.database_path()) {
        Ok(restored) => {
            let s = &restored.summary;
            // In full: a restore run without the service's configuration writes into
            // ./data, and a relative name does not say so.
            let database = in_full(config.database_path());
            say!(
                "restored {} into {}: {} people, {} connections, {} follows",
                file.display(),
                database.display(),
                s.people,
                s.connections,
                s.follows
            );
            match &restored.replaced_kept_as {
                Some(kept) => say!(
                    "the database it replaced is kept as {}: to go back to it, stop the host and restore it (moved back by hand, it would give out again the ids given out since); delete it once you no longer need it",
                    kept.display()
                ),
                None => say!(
                    "there was no database here: the restored one is new, and a host serves it only when its data folder is this one (--data-dir, WIDGET_HOST_DATA_DIR or data_dir in the --config file)"
                ),
            }
            if !restored.ids_kept_ahead {
                say!(
                    "note: the ids issued since the backup are not known (there was no database here, it did not read, or its counters were behind the backup's: no later state of it), so the restored one gives new people, requests and personal contacts ids 4,294,967,296 past the larger of its own and the replaced one's: none made since the backup is given again"
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(format!(
            "cannot restore {}: {}",
            file.display(),
            store_message(
                &e,
                &config.database_path(),
                "Stop it, or wait for it, before restoring."
            )
        )),
    }
}

fn token(
    config: &Config,
    consumer: &str,
    user: &str,
    roles: &[String],
    ttl: Option<u64>,
) -> ExitCode {
    // The demo portal signs its people in with a key the host keeps in its database,
    // trusted only while no consumer is configured: the advice below (a [[consumers]]
    // table named `demo`) would turn the demo off, or stop the host from starting.
    if consumer == crate::http::state::DEMO_CONSUMER
        && config.demo_on()
        && config.consumer(consumer).is_none()
    {
        return fail(format!(
            "consumer \"demo\" is the demo portal's own, whose key stays in the database: open {} and switch people there (on a data_dir the demo did not fill, start the host with --demo first); to call the host as a portal, add a [[consumers]] table with your portal's id and an hs256_secret to the --config file (it turns the demo off) and mint for that id",
            // Where the host says the demo is when it starts: a loopback address for
            // one that listens on every address, which no browser opens.
            crate::http::server::demo_page(config.listen, config.public_url.as_deref())
        ));
    }
    let Some(found) = config.consumer(consumer) else {
        let known: Vec<&str> = config.consumers.iter().map(|c| c.id.as_str()).collect();
        return fail(format!(
            "unknown consumer {consumer:?} (configured: {}): add a [[consumers]] table with id = {consumer:?} and an hs256_secret to the --config file",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    };
    let Some(secret) = found.hs256_secret.as_deref() else {
        return fail(if found.jwks_file.is_some() {
            format!(
                "consumer {consumer:?} has no hs256_secret (it uses a JWKS file): its tokens are minted by the portal's own key"
            )
        } else {
            format!(
                "consumer {consumer:?} has only a wsrp_secret: it consumes over WSRP alone, and no Bearer token is taken in its name"
            )
        });
    };
    let ttl = ttl.map_or(DEFAULT_TOKEN_TTL, Duration::from_secs);
    let audience = found.audience.as_deref();
    match mint_for_audience(
        consumer,
        secret,
        audience,
        user,
        roles,
        &Profile::default(),
        ttl,
    ) {
        Ok(token) => {
            say!("{token}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(e),
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Colours only for a person at a terminal: a service manager's journal or a log
    // file would otherwise keep the escape codes. NO_COLOR (any non-empty value, as
    // no-color.org has it) turns them off there too.
    use std::io::IsTerminal;
    let colour = std::io::stderr().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(std::io::stderr);
    // A second initialisation (tests) is harmless: keep the first subscriber.
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
    log_panics();
}

/// Sends a panic (a bug) to the log as one line in the log's own format, with its
/// message, where in the code it happened and on which thread. Rust's own report is
/// plain lines on stderr, which a collector reading the JSON log cannot parse, and
/// the answer the panic cost (a 500, a WSRP fault) says nothing of its cause. With
/// `RUST_BACKTRACE` set, the line carries the backtrace too. Where the log leaves such
/// a line out (`RUST_LOG` naming other targets only), the report goes where it went
/// before, so that no panic goes unsaid. Installed once, in front of the hook before.
pub fn log_panics() {
    static INSTALLED: std::sync::Once = std::sync::Once::new();
    INSTALLED.call_once(|| {
        let before = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if tracing::enabled!(tracing::Level::ERROR) {
                log_panic(info);
            } else {
                before(info);
            }
        }));
    });
}

fn log_panic(info: &std::panic::PanicHookInfo<'_>) {
    let payload = info.payload();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(a panic without a message)");
    let location = info
        .location()
        .map(|at| format!("{}:{}:{}", at.file(), at.line(), at.column()))
        .unwrap_or_default();
    // A bug that every request of some kind meets panics at one place as often as
    // they come: one line per place a while (with its backtrace, which may be long),
    // and the count held back, where a flood of one would also hide another's.
    static PANICS: crate::throttle::Throttles = crate::throttle::Throttles::new();
    let Some(unlogged) = PANICS.admit(&location) else {
        return;
    };
    let current = std::thread::current();
    let thread = current.name().unwrap_or("(unnamed)");
    let backtrace = std::backtrace::Backtrace::capture();
    // Escaped: a message may quote what a request sent, line breaks included.
    let message = message.escape_debug();
    if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
        tracing::error!(panic = %message, %location, thread, unlogged, %backtrace, "a thread panicked (one such line per place in the code per 10 s; `unlogged` counts those left out)");
    } else {
        tracing::error!(panic = %message, %location, thread, unlogged, "a thread panicked (one such line per place in the code per 10 s; `unlogged` counts those left out)");
    }
}

fn serve(config: Config) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(error) => return fail(format!("cannot start the runtime: {error}")),
    };
    let grace = Duration::from_secs(config.limits.shutdown_grace_secs);
    let json_log = config.log_format == LogFormat::Json;
    let result = runtime.block_on(async move {
        #[cfg(unix)]
        keep_serving_through_hangups();
        let stop = shutdown_signal();
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| {
                crate::error::HostError::Startup(format!("cannot listen on {}: {e}", config.listen))
            })?;
        crate::launch(config, listener, stop).await
    });
    // Served and stopped by a first signal: a second one may come while it winds
    // down. A start that failed has its error to say, with no signal to wait for.
    wind_down(runtime, grace, result.is_ok());
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // A log collector reading JSON lines keeps the one that says why the host
            // stopped, which the plain line below would not be to it.
            if json_log {
                tracing::error!(%error, "the host could not start or serve");
            }
            // Like every command that could not do its job: 1 is for finding problems.
            fail(error)
        }
    }
}

/// Ends the runtime, giving work still on its blocking pool (a live backup, a WSRP
/// call's render) one more grace period (the render pool's renders were waited for
/// in the drain's). Dropped, the runtime would wait
/// for that work however long it takes, and a supervisor's stop timeout would then
/// kill the host mid-write; past the grace the host exits, and redb, which commits
/// durably or not at all, has nothing half-written to lose.
///
/// With `listening`, a second SIGINT or SIGTERM meanwhile still stops the host at once
/// (exit 130), as during the drain: the task that listened for it ends with the
/// runtime's tasks.
fn wind_down(runtime: tokio::runtime::Runtime, grace: Duration, listening: bool) {
    let started = std::time::Instant::now();
    // Nothing to listen for: the end is waited for here, with no thread or runtime
    // beside it.
    let how = if listening {
        end_unless(runtime, grace, second_signal)
    } else {
        runtime.shutdown_timeout(grace);
        WoundDown::Ended
    };
    match how {
        WoundDown::Interrupted => {
            tracing::warn!(
                "a second shutdown signal: stopping now, without waiting for work still running"
            );
            std::process::exit(EXIT_SECOND_SIGNAL);
        }
        WoundDown::Ended if started.elapsed() >= grace => tracing::warn!(
            grace_secs = grace.as_secs(),
            "work on the blocking pool outlasted a second grace period; exiting without it"
        ),
        WoundDown::Ended => {}
    }
}

/// How a runtime's end came: its work done or its grace over, or a signal first.
#[derive(Debug, PartialEq)]
enum WoundDown {
    Ended,
    Interrupted,
}

/// Ends `runtime` (within `grace` for its blocking pool's work) on a thread of its
/// own, unless `interrupted` comes first, which waits on a small runtime of its own:
/// the ending runtime's tasks stop at once. `interrupted` is called in that runtime
/// before the end begins, so that what it listens for is heard from then on.
fn end_unless<F: std::future::Future<Output = ()>>(
    runtime: tokio::runtime::Runtime,
    grace: Duration,
    interrupted: impl FnOnce() -> F,
) -> WoundDown {
    let Ok(waiting) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        // No runtime to listen on: the end is waited for, unheard.
        runtime.shutdown_timeout(grace);
        return WoundDown::Ended;
    };
    let interrupted = {
        let _inside = waiting.enter();
        interrupted()
    };
    let (ended, has_ended) = tokio::sync::oneshot::channel::<()>();
    let ending = std::thread::spawn(move || {
        runtime.shutdown_timeout(grace);
        let _ = ended.send(());
    });
    let how = waiting.block_on(async move {
        tokio::select! {
            _ = has_ended => WoundDown::Ended,
            () = interrupted => WoundDown::Interrupted,
        }
    });
    if how == WoundDown::Ended {
        let _ = ending.join();
    }
    how
}

/// A SIGINT or SIGTERM, listened for from the call on (so it must be made inside a
/// runtime); never, where they cannot be listened for.
fn second_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let streams = {
        use tokio::signal::unix::{SignalKind, signal};
        signal(SignalKind::interrupt())
            .ok()
            .zip(signal(SignalKind::terminate()).ok())
    };
    async move {
        #[cfg(unix)]
        if let Some((mut interrupt, mut terminate)) = streams {
            tokio::select! {
                _ = interrupt.recv() => {},
                _ = terminate.recv() => {},
            }
            return;
        }
        std::future::pending::<()>().await;
    }
}

/// SIGHUP asks a daemon to reload. This host reads its configuration, HS256 secrets and
/// templates at start only (JWKS files and descriptors reload by themselves when they
/// change), and SIGHUP's default action would end it at once, without
/// draining its requests (a `systemctl reload`, a `kill -HUP` meant for another
/// daemon). So it is logged, and the host serves on.
#[cfg(unix)]
fn keep_serving_through_hangups() {
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
        Ok(mut hangups) => {
            tokio::spawn(async move {
                while hangups.recv().await.is_some() {
                    tracing::warn!(
                        "SIGHUP received: nothing is reloaded; restart the host to read its configuration, HS256 secrets and templates again (JWKS files and descriptors reload by themselves)"
                    );
                }
            });
        }
        Err(error) => tracing::warn!(%error, "cannot listen for SIGHUP; it would end the host"),
    }
}

/// The exit status of a host stopped by a second signal, or of a `backup` stopped by
/// one: 128 + SIGINT, as a shell reports a program interrupted.
pub const EXIT_SECOND_SIGNAL: i32 = 130;

/// Listens for SIGINT and SIGTERM from the moment it is called, and returns what
/// completes on the first. It is called before the host binds and opens its database:
/// a stop asked while the host starts (a schema migration takes seconds) then takes
/// effect once it serves, drained like any other, where the signal's default action
/// would end the process wherever it stood.
///
/// The signals are watched by a task of their own, not by the future returned: that
/// future is first polled once the host serves, and a second signal during a long
/// start (Ctrl-C pressed again) must stop the host then too, not wait for the start.
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    let (asked, stop) = tokio::sync::oneshot::channel::<()>();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(mut interrupt), Ok(mut terminate)) => {
                tokio::spawn(async move {
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                    // Said at once: during a long start the host may say nothing else
                    // for minutes, and the person who pressed Ctrl-C wants to know.
                    tracing::info!(
                        "shutdown signal received: the host stops once its requests have drained (after its start, if it is still starting); a second signal stops it at once"
                    );
                    let _ = asked.send(());
                    // A second signal while the host starts or while requests drain
                    // (Ctrl-C pressed again, a service manager's stop repeated) stops
                    // it at once. What was acknowledged is durable already; the file
                    // is checked at the next start, as after a crash.
                    tokio::select! {
                        _ = interrupt.recv() => {},
                        _ = terminate.recv() => {},
                    }
                    tracing::warn!(
                        "a second shutdown signal: stopping now, without waiting for requests in flight"
                    );
                    std::process::exit(EXIT_SECOND_SIGNAL);
                });
            }
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(%error, "cannot listen for SIGINT or SIGTERM; the host stops only when killed");
            }
        }
    }
    #[cfg(not(unix))]
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            let _ = asked.send(());
        }
    });
    async move {
        // No sender left: no signal can be listened for, and only a kill stops the host.
        if stop.await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    /// Work on the blocking pool that outlasts the drain is given its grace, but a
    /// second signal meanwhile ends the wait at once; without one, the end waits for
    /// the work.
    #[test]
    fn a_second_signal_ends_the_wait_for_blocking_work() {
        use super::{WoundDown, end_unless};
        use std::time::{Duration, Instant};
        let busy = |for_how_long: Duration| {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(1)
                .enable_all()
                .build()
                .expect("runtime");
            runtime.spawn_blocking(move || std::thread::sleep(for_how_long));
            runtime
        };
        let grace = Duration::from_secs(30);
        let started = Instant::now();
        let signalled = || tokio::time::sleep(Duration::from_millis(100));
        assert_eq!(
            end_unless(busy(Duration::from_secs(10)), grace, signalled),
            WoundDown::Interrupted
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        let started = Instant::now();
        assert_eq!(
            end_unless(
                busy(Duration::from_millis(300)),
                grace,
                std::future::pending
            ),
            WoundDown::Ended
        );
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(300) && waited < Duration::from_secs(10),
            "{waited:?}"
        );
    }

    /// `import-users` reads its file as it goes and cannot know its length: its bar
    /// shows how many records so far, not "N/N", which would read as finished.
    #[test]
    fn a_bar_without_a_known_length_shows_none() {
        let unknown = super::progress_template("records", super::Total::Unknown);
        assert!(!unknown.contains("{len}"), "{unknown}");
        assert!(unknown.contains("{pos} records"), "{unknown}");
        let known = super::progress_template("", super::Total::Known);
        assert!(known.contains("{pos}/{len}"), "{known}");
    }

    use std::ffi::OsString;
    use std::os::unix::ffi::OsStringExt;

    use super::*;

    fn var(name: &str, value: Vec<u8>) -> (OsString, OsString) {
        (OsString::from(name), OsString::from_vec(value))
    }

    /// `--help` names the variable of every setting the environment may give, beside
    /// its flag where it has one: an administrator reading it learns the layer.
    #[test]
    fn the_help_names_every_settings_variable() {
        use clap::CommandFactory;
        let help = Cli::command().render_help().to_string();
        for setting in crate::config::ENV_SETTINGS {
            assert!(
                help.contains(&format!("WIDGET_HOST_{setting}")),
                "{setting}: {help}"
            );
        }
        for (flag, var) in [
            ("--listen", "WIDGET_HOST_LISTEN"),
            ("--data-dir", "WIDGET_HOST_DATA_DIR"),
            ("--descriptors-dir", "WIDGET_HOST_DESCRIPTORS_DIR"),
            ("--log-format", "WIDGET_HOST_LOG_FORMAT"),
        ] {
            let line = help
                .lines()
                .find(|option| option.trim_start().starts_with(&format!("{flag} ")))
                .unwrap_or_else(|| panic!("{flag}: {help}"));
            assert!(line.contains(var), "{flag}: {line}");
        }
    }

    /// Blocking work that outlives the grace period does not hold the host's exit.
    #[test]
    fn winding_down_waits_for_blocking_work_one_grace_period_at_most() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        runtime.spawn_blocking(move || {
            started_tx.send(()).expect("test alive");
            std::thread::sleep(Duration::from_secs(60));
        });
        started_rx.recv().expect("the work started");
        let before = std::time::Instant::now();
        wind_down(runtime, Duration::from_millis(200), false);
        let took = before.elapsed();
        assert!(
            took >= Duration::from_millis(200) && took < Duration::from_secs(30),
            "{took:?}"
        );
    }

    fn token_roles(args: &[&str]) -> Result<Vec<String>, String> {
        let base = [
            "widget-host",
            "token",
            "--consumer",
            "portal",
            "--user",
            "jdoe",
        ];
        let cli = Cli::try_parse_from(base.iter().chain(args)).map_err(|e| e.to_string())?;
        match cli.command {
            Some(Command::Token { roles, .. }) => Ok(roles),
            other => Err(format!("not the token command: {other:?}")),
        }
    }

    /// `--roles "Administrator,Site Owner"` claims two roles, not one named after the
    /// whole string; the flag repeated and several names after it still work.
    #[test]
    fn token_roles_are_comma_separated_or_repeated() {
        let roles = |args: &[&str]| token_roles(args).expect("parses");
        assert_eq!(
            roles(&["--roles", "Administrator,Site Owner"]),
            ["Administrator", "Site Owner"]
        );
        assert_eq!(
            roles(&["--roles", " Administrator , Site Owner ", "--roles", "User"]),
            ["Administrator", "Site Owner", "User"]
        );
        assert_eq!(roles(&["--roles", "admin", "user"]), ["admin", "user"]);
        assert_eq!(
            roles(&["--roles", "Site Administrator"]),
            ["Site Administrator"]
        );
        assert_eq!(roles(&[]), Vec::<String>::new());
        let err = token_roles(&["--roles", "Administrator,,User"]).expect_err("empty name");
        assert!(err.contains("a role name cannot be empty"), "{err}");
    }

    /// `--user` is checked as a token's `sub` is, and `--ttl` is a second at least:
    /// each refusal names its flag, before anything is minted.
    #[test]
    fn token_user_and_ttl_are_checked_as_flags() {
        let parse = |user: &str, ttl: &str| {
            Cli::try_parse_from([
                "widget-host",
                "token",
                "--consumer",
                "portal",
                "--user",
                user,
                "--ttl",
                ttl,
            ])
            .map(|_| ())
            .map_err(|e| e.to_string())
        };
        assert_eq!(parse("j.doe@example.com", "1"), Ok(()));
        let err = parse("j doe", "60").expect_err("a space");
        assert!(
            err.contains("--user") && err.contains("a user id is 1-64"),
            "{err}"
        );
        let err = parse(&"x".repeat(65), "60").expect_err("too long");
        assert!(err.contains("--user"), "{err}");
        let err = parse("jdoe", "0").expect_err("expired at once");
        assert!(err.contains("--ttl"), "{err}");
    }

    /// A path flag whose value is a command's name lost its own value (`--data-dir
    /// $DATA check-db` with `$DATA` unset): refused, where the host served a new
    /// database in a folder named check-db; `./check-db` is still a folder.
    #[test]
    fn a_path_flag_whose_value_is_a_command_is_refused() {
        let parse = |args: &[&str]| {
            Cli::try_parse_from(std::iter::once("widget-host").chain(args.iter().copied()))
                .map(|cli| cli.data_dir)
                .map_err(|e| e.to_string())
        };
        for flag in ["--data-dir", "--descriptors-dir", "--config"] {
            let err = parse(&[flag, "check-db"]).expect_err(flag);
            assert!(
                err.contains(flag) && err.contains("\"check-db\" is a command, not a path"),
                "{err}"
            );
        }
        assert_eq!(
            parse(&["--data-dir", "./check-db", "check-db"]),
            Ok(Some(PathBuf::from("./check-db")))
        );
        let err = parse(&["--descriptors-dir", ""]).expect_err("empty");
        assert!(err.contains("cannot be empty"), "{err}");
        // Any path Linux allows, as clap's own path parser took it.
        use std::os::unix::ffi::OsStrExt;
        let odd = std::ffi::OsStr::from_bytes(b"data-\xff");
        let cli = Cli::try_parse_from([
            std::ffi::OsStr::new("widget-host"),
            std::ffi::OsStr::new("--data-dir"),
            odd,
        ])
        .expect("a path that is not UTF-8");
        assert_eq!(cli.data_dir.as_deref(), Some(std::path::Path::new(odd)));
    }

    #[test]
    fn listen_flag_takes_a_host_name_with_a_port() {
        let listen = |address: &str| {
            Cli::try_parse_from(["widget-host", "--listen", address])
                .map(|cli| cli.listen.map(|a| a.to_string()))
                .map_err(|e| e.to_string())
        };
        assert_eq!(listen("localhost:8081"), Ok(Some("127.0.0.1:8081".into())));
        assert_eq!(listen("[::1]:8081"), Ok(Some("[::1]:8081".into())));
        let err = listen("localhost").expect_err("no port");
        assert!(err.contains("such as 127.0.0.1:8080"), "{err}");
    }

    #[test]
    fn only_our_variables_are_read_and_others_may_be_any_bytes() {
        let vars = vec![
            var("JUNK", vec![0xff, 0xfe]),
            var("WIDGET_HOST_DEMO", b"false".to_vec()),
            (OsString::from_vec(vec![0xff]), OsString::from("x")),
        ];
        assert_eq!(
            host_env(vars.into_iter()).expect("ours are UTF-8"),
            vec![("WIDGET_HOST_DEMO".to_owned(), "false".to_owned())]
        );
        let ours = vec![var("WIDGET_HOST_DATA_DIR", vec![b'd', 0xff])];
        let err = host_env(ours.into_iter()).expect_err("not UTF-8");
        assert!(err.to_string().contains("WIDGET_HOST_DATA_DIR"), "{err}");
        // Under our prefix, a name that is not UTF-8, or another program's variable
        // whose value is not, is passed on to be passed over (and logged), not refused.
        let mut name = b"WIDGET_HOST_X".to_vec();
        name.push(0xff);
        let others = vec![
            (OsString::from_vec(name), OsString::from("1")),
            var("WIDGET_HOST_BIN", vec![b'b', 0xff]),
        ];
        let passed = host_env(others.into_iter()).expect("not ours");
        assert_eq!(passed.len(), 2, "{passed:?}");
        assert!(passed[0].0.starts_with("WIDGET_HOST_X"), "{passed:?}");
        assert_eq!(passed[1].0, "WIDGET_HOST_BIN");
        // A misspelt setting's value is read as the setting's would be.
        let misspelt = vec![var("WIDGET_HOST_DATADIR", vec![b'd', 0xff])];
        let err = host_env(misspelt.into_iter()).expect_err("not UTF-8");
        assert!(err.to_string().contains("WIDGET_HOST_DATADIR"), "{err}");
    }
}
