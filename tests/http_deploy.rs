//! Deployment: the host watches descriptors_dir and swaps widgets in without a restart;
//! a broken change is reported while the last good version keeps serving.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

fn copy_widget(from: &Path, to: &Path, old_name: &str, new_name: &str) {
    std::fs::create_dir_all(to).expect("mkdir");
    // Write into a staging folder first, then rename, as an administrator's deploy script would.
    for file in ["portlet.xml", "liferay-portlet.xml", "liferay-display.xml"] {
        let text = std::fs::read_to_string(from.join(file)).expect("read shipped descriptor");
        std::fs::write(to.join(file), text.replace(old_name, new_name)).expect("write");
    }
}

async fn widget_ids(server: &common::TestServer) -> Vec<String> {
    let catalog: serde_json::Value = reqwest::get(server.url("/widgets"))
        .await
        .expect("catalog")
        .json()
        .await
        .expect("json");
    catalog
        .as_array()
        .expect("array")
        .iter()
        .filter_map(|w| w["portletId"].as_str().map(str::to_owned))
        .collect()
}

async fn readyz(server: &common::TestServer) -> serde_json::Value {
    reqwest::get(server.url("/readyz"))
        .await
        .expect("readyz")
        .json()
        .await
        .expect("json")
}

async fn wait_for(
    server: &common::TestServer,
    limit: Duration,
    pred: impl Fn(&[String]) -> bool,
) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if pred(&widget_ids(server).await) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    None
}

#[tokio::test]
async fn a_new_widget_folder_serves_within_two_seconds_and_a_broken_change_keeps_the_last_good() {
    let shipped = common::repo_root().join("widget-descriptors");
    let server = common::start(|config, dir| {
        let deployed = dir.join("widget-descriptors");
        copy_widget(
            &shipped.join("notifications"),
            &deployed.join("notifications"),
            "notifications",
            "notifications",
        );
        config.descriptors_dir = deployed;
    })
    .await;
    assert_eq!(widget_ids(&server).await, ["notifications"]);

    let deployed = server.dir.path().join("widget-descriptors");
    let staging = server.dir.path().join("staging-team");
    copy_widget(
        &shipped.join("contacts-center"),
        &staging,
        "contacts_center",
        "team_contacts",
    );
    std::fs::rename(&staging, deployed.join("team-contacts")).expect("move into place");
    let took = wait_for(&server, Duration::from_secs(2), |ids| {
        ids.iter().any(|id| id == "team_contacts")
    })
    .await;
    assert!(took.is_some(), "new widget must be served within 2 s");

    // Break it: an element out of the DTD's order.
    let broken = deployed.join("team-contacts/liferay-portlet.xml");
    let text = std::fs::read_to_string(&broken).expect("read");
    let text = text.replace("<icon>/icon.png</icon>", "").replace(
        "</css-class-wrapper>",
        "</css-class-wrapper>\n\t\t<icon>/icon.png</icon>",
    );
    // The report names the element moved, where it now stands.
    let misplaced_line = text
        .lines()
        .position(|line| line.contains("<icon>"))
        .expect("the moved icon")
        + 1;
    std::fs::write(&broken, text).expect("write broken");
    let mut reported = None;
    let started = Instant::now();
    // Reported at the next reload; only a failure waits this long.
    while started.elapsed() < Duration::from_secs(30) {
        let ready = readyz(&server).await;
        if let Some(problem) = ready["descriptorProblems"]
            .as_array()
            .and_then(|p| p.first())
            .cloned()
        {
            reported = Some(problem);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let problem = reported.expect("the broken change must be reported in /readyz");
    assert!(
        problem["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("liferay-portlet.xml"),
        "{problem}"
    );
    assert_eq!(problem["element"], "icon", "{problem}");
    assert_eq!(
        problem["line"].as_u64(),
        Some(misplaced_line as u64),
        "{problem}"
    );
    assert!(
        problem["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("element <icon> must come before the <friendly-url-mapping> on line"),
        "{problem}"
    );
    assert!(
        widget_ids(&server)
            .await
            .contains(&"team_contacts".to_owned()),
        "the last good version keeps serving"
    );
    server.stop().await;
}

/// A host started before its `descriptors_dir` exists serves the built-in widgets, then
/// the folder's own once an administrator puts it in place.
#[tokio::test]
async fn a_descriptors_dir_made_after_start_is_served_without_a_restart() {
    let shipped = common::repo_root().join("widget-descriptors");
    let server = common::start(|config, dir| {
        config.descriptors_dir = dir.join("widget-descriptors");
    })
    .await;
    assert_eq!(
        widget_ids(&server).await,
        ["contacts_center", "notifications"],
        "the built-in widgets serve"
    );
    let staging = server.dir.path().join("staging");
    copy_widget(
        &shipped.join("contacts-center"),
        &staging.join("team-contacts"),
        "contacts_center",
        "team_contacts",
    );
    std::fs::rename(&staging, server.dir.path().join("widget-descriptors"))
        .expect("move into place");
    // The two seconds are for a folder in a watched directory; here the
    // directory itself is new, found at the watcher's next look (`UNWATCHED_RETRY`).
    let took = wait_for(&server, Duration::from_secs(30), |ids| {
        ids == ["team_contacts"]
    })
    .await;
    assert!(
        took.is_some(),
        "the folder's widgets must replace the built-in ones: {:?}",
        widget_ids(&server).await
    );
    server.stop().await;
}

/// `descriptors check` over the shipped folder passes; over a broken one it names file:line:column.
#[test]
fn descriptors_check_command() {
    let bin = env!("CARGO_BIN_EXE_widget-host");
    let ok = std::process::Command::new(bin)
        .args(["descriptors", "check"])
        .arg(common::repo_root().join("widget-descriptors"))
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );

    let dir = tempfile::tempdir().expect("tempdir");
    let widget = dir.path().join("broken");
    copy_widget(
        &common::repo_root().join("widget-descriptors/contacts-center"),
        &widget,
        "x",
        "x",
    );
    let path = widget.join("liferay-portlet.xml");
    let text = std::fs::read_to_string(&path).expect("read").replace(
        "<instanceable>true</instanceable>",
        "<instanceable>maybe</instanceable>",
    );
    let value_line = text
        .lines()
        .position(|line| line.contains("<instanceable>maybe"))
        .expect("the changed value")
        + 1;
    std::fs::write(&path, text).expect("write");
    let bad = std::process::Command::new(bin)
        .args(["descriptors", "check"])
        .arg(dir.path())
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&bad.stdout);
    assert_eq!(bad.status.code(), Some(1), "problems exit 1: {out}");
    assert!(
        out.contains(&format!("liferay-portlet.xml:{value_line}:")),
        "names the file with line and column: {out}"
    );
    assert!(out.contains("instanceable"), "{out}");
}

/// A descriptors_dir that is missing with its parent too (a typo in the path) cannot
/// be waited for: the built-in widgets serve, and /readyz says why and what to do.
#[tokio::test]
async fn a_descriptors_dir_that_cannot_be_waited_for_is_listed_as_a_problem() {
    let server = common::start(|config, dir| {
        config.descriptors_dir = dir.join("no-such-parent/widget-descriptors");
    })
    .await;
    assert_eq!(
        widget_ids(&server).await,
        ["contacts_center", "notifications"],
        "the built-in widgets serve"
    );
    let ready = readyz(&server).await;
    let problems = ready["descriptorProblems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{ready}");
    // Counted in /metrics, where an alert can watch it.
    let metrics = common::exposition(&common::metrics_text(&server).await);
    assert_eq!(metrics["widget_host_descriptor_problems"], 1.0);
    assert!(
        problems[0]["message"]
            .as_str()
            .unwrap_or_default()
            .starts_with("descriptors_dir does not exist, and its arrival cannot be watched for"),
        "{ready}"
    );
    assert!(
        problems[0]["file"]
            .as_str()
            .unwrap_or_default()
            .ends_with("no-such-parent/widget-descriptors"),
        "{ready}"
    );
    server.stop().await;
}

/// A file where descriptors_dir should be (a descriptor file's path given for its
/// folder's) is no folder still to come: the built-in widgets serve, and /readyz says
/// it is a file, as `descriptors check` does.
#[tokio::test]
async fn a_file_in_the_place_of_descriptors_dir_is_listed_as_a_problem() {
    let server = common::start(|config, dir| {
        let file = dir.join("portlet.xml");
        std::fs::write(&file, "<portlet-app/>").expect("write");
        config.descriptors_dir = file;
    })
    .await;
    assert_eq!(
        widget_ids(&server).await,
        ["contacts_center", "notifications"],
        "the built-in widgets serve"
    );
    let ready = readyz(&server).await;
    let problems = ready["descriptorProblems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{ready}");
    assert_eq!(
        problems[0]["message"], "descriptors_dir is a file, not a folder of widget folders",
        "{ready}"
    );
    server.stop().await;
}

/// The three files copied straight into descriptors_dir, or a folder with no widget
/// folder in it, would serve nothing. The host says so where an administrator looks:
/// `/readyz` answers 503 `no-widgets` and names the problem, and `descriptors check`
/// of the configured folder fails as the server reads it. Moving the files into a
/// folder of their own serves them, and the host is ready.
#[tokio::test]
async fn descriptors_copied_in_flat_or_missing_say_that_nothing_is_served() {
    let shipped = common::repo_root().join("widget-descriptors/contacts-center");
    let server = common::start(|config, dir| {
        let widgets = dir.join("widgets");
        std::fs::create_dir_all(&widgets).expect("mkdir");
        config.descriptors_dir = widgets;
    })
    .await;
    let widgets = server.dir.path().join("widgets");
    let ready = reqwest::get(server.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 503);
    let ready: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(ready["status"], "no-widgets", "{ready}");
    assert!(
        ready["descriptorProblems"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("holds no widget folder: no widget is served"),
        "{ready}"
    );

    // Copied in flat: the problem names the files and says where they go.
    for file in ["portlet.xml", "liferay-portlet.xml", "liferay-display.xml"] {
        std::fs::copy(shipped.join(file), widgets.join(file)).expect("copy");
    }
    let flat = "portlet.xml, liferay-portlet.xml, liferay-display.xml lie in the descriptors directory itself";
    let started = Instant::now();
    let mut last = serde_json::Value::Null;
    while started.elapsed() < Duration::from_secs(10) {
        last = readyz(&server).await;
        if last["descriptorProblems"].to_string().contains(flat) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        last["descriptorProblems"].to_string().contains(flat),
        "{last}"
    );
    assert_eq!(last["status"], "no-widgets", "{last}");

    let bin = env!("CARGO_BIN_EXE_widget-host");
    let check = std::process::Command::new(bin)
        .args(["descriptors", "check", "--descriptors-dir"])
        .arg(&widgets)
        .output()
        .expect("run");
    let out = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(1), "problems exit 1: {out}");
    assert!(out.contains(flat) && out.contains("my-widget"), "{out}");
    // Named on its own, the same folder is one widget's folder, and valid.
    let folder = std::process::Command::new(bin)
        .args(["descriptors", "check"])
        .arg(&widgets)
        .output()
        .expect("run");
    assert!(
        folder.status.success(),
        "{}",
        String::from_utf8_lossy(&folder.stdout)
    );

    // Moved into a folder of their own, they serve, and the host is ready.
    let staging = server.dir.path().join("staging");
    std::fs::create_dir_all(&staging).expect("mkdir");
    for file in ["portlet.xml", "liferay-portlet.xml", "liferay-display.xml"] {
        std::fs::rename(widgets.join(file), staging.join(file)).expect("move");
    }
    std::fs::rename(&staging, widgets.join("contacts-center")).expect("move in");
    let took = wait_for(&server, Duration::from_secs(10), |ids| {
        ids == ["contacts_center"]
    })
    .await;
    assert!(took.is_some(), "{:?}", widget_ids(&server).await);
    let ready = reqwest::get(server.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(ready["status"], "ready", "{ready}");
    assert_eq!(
        ready["descriptorProblems"],
        serde_json::json!([]),
        "{ready}"
    );
    let check = std::process::Command::new(bin)
        .args(["descriptors", "check", "--descriptors-dir"])
        .arg(&widgets)
        .output()
        .expect("run");
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    server.stop().await;
}
