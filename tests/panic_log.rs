//! A panic goes to the log as one line of its format (its own process: the panic hook
//! and the log's subscriber are the process's).

use std::io::Write;
use std::sync::{Arc, Mutex};

/// The log's lines, as the subscriber writes them.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panic_is_one_line_of_the_json_log_with_its_place_and_thread() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
    // The hook in place before: it hears the panics the log leaves out.
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let ear = Arc::clone(&heard);
    std::panic::set_hook(Box::new(move |_| {
        let thread = std::thread::current().name().map(str::to_owned);
        ear.lock().expect("heard").push(thread.unwrap_or_default());
    }));
    widget_host::cli::log_panics();
    widget_host::cli::log_panics();
    let panicked = std::thread::Builder::new()
        .name("render-9".into())
        .spawn(|| panic!("a bug\n{{\"level\": \"INFO\"}}"))
        .expect("spawn")
        .join();
    assert!(panicked.is_err());
    let log = String::from_utf8(captured.0.lock().expect("log").clone()).expect("UTF-8");
    let lines: Vec<&str> = log
        .lines()
        .filter(|line| line.contains("a thread panicked"))
        .collect();
    assert_eq!(lines.len(), 1, "{log}");
    let line: serde_json::Value = serde_json::from_str(lines[0]).expect("a JSON line");
    assert_eq!(line["level"], "ERROR", "{line}");
    let fields = &line["fields"];
    assert_eq!(fields["thread"], "render-9", "{line}");
    assert_eq!(fields["unlogged"], 0, "{line}");
    // The message on one line, its break escaped: nothing of it reads as a line of
    // its own.
    assert_eq!(
        fields["panic"], "a bug\\n{\\\"level\\\": \\\"INFO\\\"}",
        "{line}"
    );
    let location = fields["location"].as_str().unwrap_or_default();
    assert!(location.starts_with("tests/panic_log.rs:"), "{line}");
    assert!(
        heard.lock().expect("heard").is_empty(),
        "logged, so not reported again"
    );

    // A bug met again and again at one place is one line a while, and another
    // place's panic in that flood still has its own.
    let flood = |message: &'static str| {
        std::thread::Builder::new()
            .name("flood".into())
            .spawn(move || panic!("{message}"))
            .expect("spawn")
            .join()
    };
    for _ in 0..5 {
        assert!(flood("the same bug").is_err());
    }
    let elsewhere = std::thread::spawn(|| panic!("another bug")).join();
    assert!(elsewhere.is_err());
    let log = String::from_utf8(captured.0.lock().expect("log").clone()).expect("UTF-8");
    let said = |what: &str| {
        log.lines()
            .filter(|line| line.contains("a thread panicked") && line.contains(what))
            .count()
    };
    assert_eq!(said("the same bug"), 1, "{log}");
    assert_eq!(said("another bug"), 1, "{log}");
    assert!(
        heard.lock().expect("heard").is_empty(),
        "held back, not reported elsewhere"
    );

    // Where the log leaves error lines out, the panic goes to the hook before.
    let quiet = std::thread::Builder::new()
        .name("quiet".into())
        .spawn(|| {
            let off = tracing_subscriber::fmt()
                .with_max_level(tracing::level_filters::LevelFilter::OFF)
                .finish();
            tracing::subscriber::with_default(off, || panic!("unlogged"))
        })
        .expect("spawn")
        .join();
    assert!(quiet.is_err());
    assert_eq!(*heard.lock().expect("heard"), ["quiet"]);
}
