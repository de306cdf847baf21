//! Shared helpers for integration tests: a host started in-process on 127.0.0.1:0.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::PathBuf;

use tokio::sync::oneshot;
use widget_host::config::Config;

pub struct TestServer {
    pub addr: SocketAddr,
    pub dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<Result<(), widget_host::error::HostError>>>,
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Asks the server to stop and waits for it to drain.
    pub async fn stop(self) {
        self.stop_keeping_data().await;
    }

    /// Stops the server and hands back its folder, for a restart on the same data.
    pub async fn stop_keeping_data(mut self) -> tempfile::TempDir {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.expect("server task").expect("server result");
        }
        self.dir
    }
}

/// A configuration rooted in a fresh temporary folder: its own data dir and no
/// descriptors dir unless the test makes one.
pub fn test_config(dir: &std::path::Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("addr"),
        data_dir: dir.join("data"),
        descriptors_dir: dir.join("widget-descriptors"),
        demo: Some(false),
        ..Config::default()
    }
}

pub async fn start(adjust: impl FnOnce(&mut Config, &std::path::Path)) -> TestServer {
    start_in(tempfile::tempdir().expect("tempdir"), adjust).await
}

/// Starts a host whose data lives in `dir` (so a test can stop it and start another
/// on the same data).
pub async fn start_in(
    dir: tempfile::TempDir,
    adjust: impl FnOnce(&mut Config, &std::path::Path),
) -> TestServer {
    let mut config = test_config(dir.path());
    adjust(&mut config, dir.path());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(widget_host::launch(config, listener, async move {
        let _ = stopped.await;
    }));
    // Wait until it answers: a host that never does fails here, not in the test's
    // first request with an error that hides why.
    let client = reqwest::Client::new();
    let mut answered = false;
    for _ in 0..200 {
        if client
            .get(format!("http://{addr}/healthz"))
            .send()
            .await
            .is_ok()
        {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(answered, "the test host did not answer /healthz within 5 s");
    TestServer {
        addr,
        dir,
        stop: Some(stop),
        task: Some(task),
    }
}

/// What `/metrics` answers now, as text.
pub async fn metrics_text(server: &TestServer) -> String {
    reqwest::Client::new()
        .get(server.url("/metrics"))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text")
}

/// The repository root (for shipped descriptors and the shared specs beside it).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The consumer every test server trusts.
pub const CONSUMER: &str = "test-portal";
pub const SECRET: &str = "test-portal-hs256-secret-0123456789abcdef";
pub const PORTAL_ORIGIN: &str = "https://portal.test";

/// Adds the test consumer to a configuration.
pub fn with_consumer(config: &mut Config) {
    config.consumers.push(widget_host::config::ConsumerConfig {
        id: CONSUMER.into(),
        hs256_secret: Some(SECRET.into()),
        jwks_file: None,
        allowed_origins: vec![PORTAL_ORIGIN.into()],
        wsrp_secret: Some("test-wsrp-secret".into()),
        audience: None,
        wsrp_guest_users: Vec::new(),
    });
}

/// A JWT of the test consumer for `user` with `roles`.
pub fn token(user: &str, roles: &[&str]) -> String {
    let roles: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
    let profile = widget_host::portal::Profile {
        given_name: Some(format!("Given{user}")),
        family_name: Some(format!("Family{user}")),
        ..Default::default()
    };
    widget_host::portal::auth::mint(
        CONSUMER,
        SECRET,
        user,
        &roles,
        &profile,
        std::time::Duration::from_secs(600),
    )
    .expect("mint")
}

/// Where an answer sends the client: its `Location`, or "" when it has none.
pub fn location(answer: &reqwest::Response) -> String {
    answer
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
