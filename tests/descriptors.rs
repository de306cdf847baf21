//! Descriptor parsing, validation, catalog and `descriptors check` (DESIGN.md section 6).

use std::path::{Path, PathBuf};

use widget_host::descriptors::catalog::{self, Source};
use widget_host::descriptors::{self, Catalog, Problem, check};

mod common;
use common::copy_widget;

const SHIPPED: &str = "widget-descriptors";
const PLUTO: &str = "../shared/specs/fixtures/pluto-descriptors";

/// The catalog's first problem that `matches`, or a failure listing them all.
fn problem_where(catalog: &Catalog, matches: impl Fn(&Problem) -> bool) -> &Problem {
    catalog
        .problems
        .iter()
        .find(|p| matches(p))
        .unwrap_or_else(|| panic!("{:?}", messages(&catalog.problems)))
}

fn messages(problems: &[Problem]) -> Vec<String> {
    problems.iter().map(ToString::to_string).collect()
}

#[test]
fn shipped_folders_load_without_problems_and_with_expected_values() {
    let catalog = descriptors::load_dir(Path::new(SHIPPED));
    assert!(
        catalog.problems.is_empty(),
        "{:#?}",
        messages(&catalog.problems)
    );
    assert_eq!(
        catalog.widgets.keys().collect::<Vec<_>>(),
        ["contacts_center", "notifications"]
    );

    let cc = catalog
        .get("contacts_center")
        .expect("contacts_center deployed");
    assert_eq!(cc.display_name, "Contacts Center");
    assert_eq!(cc.title, "Contacts Center");
    assert_eq!(cc.kind, "widget-host:contacts-center");
    assert_eq!(cc.category, "category.social");
    assert!(cc.instanceable);
    assert_eq!(
        cc.css_class_wrapper.as_deref(),
        Some("contacts-center-portlet")
    );
    assert_eq!(cc.friendly_url_mapping.as_deref(), Some("contacts_center"));
    assert!(cc.requires_namespaced_parameters);
    assert_eq!(cc.modes, ["view", "edit"]);
    assert_eq!(cc.window_states, ["normal", "maximized", "minimized"]);
    assert_eq!(
        cc.supported_locales,
        [
            "en_US", "es_ES", "de_DE", "fr_FR", "pt_BR", "ja_JP", "zh_CN"
        ]
    );
    assert_eq!(cc.expiration_cache, Some(0));
    assert!(cc.keywords.contains(&"vcard".to_owned()));
    let pref = |name: &str| cc.preferences.get(name).map(|v| v.join(","));
    assert_eq!(pref("pageSize").as_deref(), Some("20"));
    assert_eq!(pref("displayStyle").as_deref(), Some("3"));
    assert_eq!(pref("showCompleteYourProfile").as_deref(), Some("false"));
    assert_eq!(pref("showRecentActivity").as_deref(), Some("false"));
    assert_eq!(pref("showTags").as_deref(), Some("false"));
    assert_eq!(pref("showSites").as_deref(), Some("false"));
    for on in [
        "showAdditionalEmailAddresses",
        "showAddresses",
        "showComments",
        "showIcon",
        "showInstantMessenger",
        "showPhones",
        "showSMS",
        "showUsersInformation",
        "showWebsites",
    ] {
        assert_eq!(pref(on).as_deref(), Some("true"), "{on}");
    }
    // Liferay's settings for what this host does not have: kept, not offered.
    assert_eq!(
        cc.read_only_preferences.iter().collect::<Vec<_>>(),
        [
            "displayStyle",
            "showCompleteYourProfile",
            "showInstantMessenger",
            "showRecentActivity",
            "showSMS",
            "showSites",
            "showSocialNetwork",
            "showTags"
        ]
    );

    let n = catalog
        .get("notifications")
        .expect("notifications deployed");
    assert_eq!(n.kind, "widget-host:notifications");
    assert_eq!(n.category, "category.social");
    assert!(!n.instanceable);
    assert_eq!(n.modes, ["view"]);
    assert!(n.preferences.is_empty());
}

#[test]
fn builtin_catalog_matches_the_shipped_folders() {
    let on_disk = descriptors::load_dir(Path::new(SHIPPED));
    let built_in = descriptors::builtin();
    assert!(
        built_in.problems.is_empty(),
        "{:#?}",
        messages(&built_in.problems)
    );
    assert_eq!(on_disk.widgets.len(), built_in.widgets.len());
    for (name, w) in &on_disk.widgets {
        let b = built_in.get(name).expect("same widgets");
        // Each built-in copy names the shipped folder it was taken from.
        assert_eq!(w.source_dir.file_name(), b.source_dir.file_name(), "{name}");
        let mut w = (**w).clone();
        w.source_dir = b.source_dir.clone();
        assert_eq!(&w, &**b);
    }
}

#[test]
fn catalog_json_lists_widgets_in_camel_case() {
    let json = descriptors::catalog_json(&descriptors::builtin());
    let list = json.as_array().expect("array");
    assert_eq!(list.len(), 2);
    let cc = &list[0];
    assert_eq!(cc["portletId"], "contacts_center");
    assert_eq!(cc["displayName"], "Contacts Center");
    assert_eq!(cc["category"], "category.social");
    assert_eq!(cc["kind"], "widget-host:contacts-center");
    assert_eq!(cc["instanceable"], true);
    assert_eq!(cc["modes"], serde_json::json!(["view", "edit"]));
    assert_eq!(
        cc["windowStates"],
        serde_json::json!(["normal", "maximized", "minimized"])
    );
    assert_eq!(cc["preferences"]["pageSize"], serde_json::json!(["20"]));
    assert_eq!(cc["cssClassWrapper"], "contacts-center-portlet");
    assert_eq!(list[1]["portletId"], "notifications");
    assert_eq!(list[1]["instanceable"], false);
}

fn pluto_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(PLUTO)
        .unwrap_or_else(|e| panic!("{PLUTO} (the shared specs, beside the repository): {e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    assert!(files.len() >= 90, "fixtures missing: {}", files.len());
    files
}

#[test]
fn every_pluto_descriptor_is_checked_and_java_portlets_are_not_hostable() {
    let files = pluto_files();
    let report = check(&files);
    assert_eq!(report.checked.len(), files.len());
    assert!(!report.passed());
    for checked in &report.checked {
        let name = checked
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        if name.ends_with("_portlet.xml") && !name.ends_with("liferay-portlet.xml") {
            assert_eq!(checked.what, "portlet.xml", "{name}");
            // Every portlet of a Java portlet application is reported as not hostable.
            assert!(!checked.portlets.is_empty(), "{name}: no portlet listed");
            for portlet in &checked.portlets {
                assert!(
                    checked.problems.iter().any(|p| p
                        .message
                        .contains(&format!("portlet {portlet} is not hostable"))),
                    "{name}: {portlet} not reported"
                );
            }
        }
        if name.ends_with("liferay-portlet.xml") {
            assert_eq!(checked.what, "liferay-portlet.xml", "{name}");
        }
        if name.ends_with("liferay-display.xml") {
            assert_eq!(checked.what, "liferay-display.xml", "{name}");
        }
    }
    let about = report
        .problems()
        .find(|p| p.message.contains("portlet AboutPortlet is not hostable"))
        .expect("pluto's AboutPortlet");
    assert!(
        about.message.contains("portlet-class org.apache.pluto.driver.portlets.AboutPortlet is a Java class; this host provides widget-host:contacts-center, widget-host:notifications"),
        "{about}"
    );
    assert!(
        about
            .file
            .ends_with("pluto-portal_src_main_webapp_WEB-INF_portlet.xml")
    );
}

/// Real mistakes in the TCK's descriptors, found by the checker, with their positions.
#[test]
fn real_content_errors_in_pluto_descriptors_have_line_and_column() {
    let report = check(&pluto_files());
    let find = |file: &str, needle: &str| -> String {
        report
            .problems()
            .find(|p| p.file.to_string_lossy().ends_with(file) && p.message.contains(needle))
            .map(|p| format!("{}:{} <{}> {}", p.line, p.column, p.element, p.message))
            .unwrap_or_else(|| panic!("{file}: no problem containing {needle:?}"))
    };
    // A typo: `veiw` is neither a standard mode nor a declared custom one.
    assert_eq!(
        find(
            "V3RenderStateTests_src_main_webapp_WEB-INF_portlet.xml",
            "veiw"
        ),
        "32:10 <portlet-mode> portlet-mode veiw of portlet RenderStateTests_SPEC2_12_MutableRenderState is neither standard (view, edit, help) nor declared in <custom-portlet-mode>"
    );
    // A name with `$` cannot become a namespace.
    assert_eq!(
        find(
            "V2SigTestsRender_src_main_webapp_WEB-INF_portlet.xml",
            "cannot be hosted"
        ),
        "39:7 <portlet-name> portlet-name \"SigTestsRender_PortletRequest$P3PUserInfos_SIGRender\" cannot be hosted"
    );
    // Longer than 64 characters.
    assert_eq!(
        find(
            "V2DispatcherReqRespTests2_src_main_webapp_WEB-INF_portlet.xml",
            "cannot be hosted"
        ),
        "68:7 <portlet-name> portlet-name \"DispatcherReqRespTests2_SPEC2_19_ForwardServletEventRequest_event\" cannot be hosted"
    );
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write fixture");
    path
}

const LIFERAY_PORTLET_OUT_OF_ORDER: &str = r#"<?xml version="1.0"?>
<!DOCTYPE liferay-portlet-app PUBLIC "-//Liferay//DTD Portlet Application 7.4.0//EN" "http://www.liferay.com/dtd/liferay-portlet-app_7_4_0.dtd">
<liferay-portlet-app>
	<portlet>
		<portlet-name>contacts_center</portlet-name>
		<instanceable>true</instanceable>
		<icon>/icon.png</icon>
		<css-class-wrapper>x</css-class-wrapper>
		<requires-namespaced-parameters>true</requires-namespaced-parameters>
		<colour>blue</colour>
	</portlet>
</liferay-portlet-app>
"#;

#[test]
fn liferay_portlet_order_errors_have_exact_message_and_position() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "liferay-portlet.xml",
        LIFERAY_PORTLET_OUT_OF_ORDER,
    );
    let report = check(&[file]);
    let found: Vec<String> = report
        .problems()
        .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
        .collect();
    assert_eq!(
        found,
        [
            "6:3 element <instanceable> must come after the <icon> on line 7 (Liferay DTD 7.4.0 order)",
            "8:3 element <css-class-wrapper> must come after the <requires-namespaced-parameters> on line 9 (Liferay DTD 7.4.0 order)",
            "10:3 unknown element <colour> in <portlet> (Liferay DTD 7.4.0)",
        ]
    );
    let first = report.problems().next().expect("a problem");
    assert_eq!(first.element, "instanceable");
    assert!(
        first
            .fix
            .contains("move <instanceable> below the <icon> on line 7"),
        "{}",
        first.fix
    );
    assert!(report.to_string().contains(
        "liferay-portlet.xml:6:3: <instanceable> element <instanceable> must come after the <icon> on line 7"
    ));
}

#[test]
fn portlet_xml_order_errors_are_reported_against_the_xsd() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("widget-descriptors/notifications/portlet.xml")
        .expect("shipped file")
        .replace(
            "\t\t<portlet-class>widget-host:notifications</portlet-class>\n",
            "",
        )
        .replace(
            "<description>",
            "<portlet-class>widget-host:notifications</portlet-class>\n\t\t<description>",
        );
    let file = write(dir.path(), "portlet.xml", &text);
    let report = check(&[file]);
    let found: Vec<String> = report
        .problems()
        .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
        .collect();
    assert_eq!(
        found,
        [
            "10:3 element <portlet-class> must come after the <display-name> on line 13 (portlet-app_3_0.xsd order)"
        ]
    );
}

#[test]
fn entity_bomb_is_refused_without_expansion() {
    let mut bomb =
        String::from("<?xml version=\"1.0\"?>\n<!DOCTYPE display [\n<!ENTITY a \"aaaaaaaaaa\">\n");
    for i in 1..10 {
        let prev = (b'a' + i - 1) as char;
        let cur = (b'a' + i) as char;
        bomb.push_str(&format!("<!ENTITY {cur} \"&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};&{prev};\">\n"));
    }
    bomb.push_str("]>\n<display><category name=\"&j;\"/></display>\n");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "liferay-display.xml", &bomb);
    let report = check(&[file]);
    let problems: Vec<&Problem> = report.problems().collect();
    assert_eq!(problems.len(), 1, "{problems:#?}");
    assert!(
        problems[0]
            .message
            .contains("descriptors may not declare entities"),
        "{}",
        problems[0]
    );
    assert_eq!((problems[0].line, problems[0].column), (2, 1));

    // An undeclared entity reference is not expanded either.
    let file = write(
        dir.path(),
        "liferay-display.xml",
        "<display><category name=\"x\"><portlet id=\"a\">&lol;</portlet></category></display>",
    );
    let report = check(&[file]);
    assert!(
        report
            .problems()
            .any(|p| p.message.contains("entity &lol; is not expanded"))
    );
}

#[test]
fn oversize_descriptor_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::from("<display>");
    // Twice the limit: the file is read only as far as the limit, and its problem
    // says no length it did not read.
    while text.len() <= 2 * descriptors::MAX_DESCRIPTOR_BYTES {
        text.push_str("<!-- padding padding padding padding padding padding padding -->\n");
    }
    text.push_str("</display>");
    let file = write(dir.path(), "liferay-display.xml", &text);
    let report = check(std::slice::from_ref(&file));
    let problems: Vec<&Problem> = report.problems().collect();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]
            .message
            .contains("file is over 1048576 bytes; descriptors may be at most 1048576 bytes"),
        "{}",
        problems[0]
    );
    assert!(!problems[0].message.contains("1048577"), "{}", problems[0]);
    // Read one byte past the limit, not whole.
    let read = descriptors::catalog::read_source(&file).expect("read");
    assert_eq!(read.bytes.len(), descriptors::MAX_DESCRIPTOR_BYTES + 1);
}

/// A hidden folder (`.git`, or a copy staged as `.contacts-center.new` before it is
/// renamed into place, as the README advises) is not a widget folder: its portlets
/// are not given twice, and a broken one breaks nothing.
#[test]
fn hidden_folders_are_passed_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_widget(
        Path::new("widget-descriptors/contacts-center"),
        &dir.path().join("contacts-center"),
    );
    let staged = dir.path().join(".contacts-center.new");
    copy_widget(Path::new("widget-descriptors/contacts-center"), &staged);
    std::fs::write(staged.join("portlet.xml"), "<portlet-app").expect("write");
    std::fs::create_dir(dir.path().join(".git")).expect("mkdir");
    let catalog = descriptors::load_dir(dir.path());
    assert!(
        catalog.problems.is_empty(),
        "{:#?}",
        messages(&catalog.problems)
    );
    assert!(
        catalog.widgets.contains_key("contacts_center"),
        "{:?}",
        catalog.widgets.keys()
    );
    // Not hidden, the same broken copy is a problem of its own folder.
    std::fs::rename(&staged, dir.path().join("contacts-center-new")).expect("rename");
    let catalog = descriptors::load_dir(dir.path());
    assert!(
        !catalog.problems.is_empty(),
        "the broken copy is read once shown"
    );
}

#[test]
fn a_broken_change_keeps_the_last_good_version() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cc = dir.path().join("contacts-center");
    let n = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/contacts-center"), &cc);
    copy_widget(Path::new("widget-descriptors/notifications"), &n);
    let good = descriptors::load_dir(dir.path());
    assert!(good.problems.is_empty(), "{:#?}", messages(&good.problems));

    // Break contacts-center (order) and change notifications (valid).
    let lp = std::fs::read_to_string(cc.join("liferay-portlet.xml")).expect("read");
    let broken = lp.replace("\t\t<icon>/icon.png</icon>\n", "").replace(
        "<instanceable>true</instanceable>",
        "<instanceable>false</instanceable>\n\t\t<icon>/icon.png</icon>",
    );
    std::fs::write(cc.join("liferay-portlet.xml"), broken).expect("write");
    let np = std::fs::read_to_string(n.join("portlet.xml")).expect("read");
    std::fs::write(
        n.join("portlet.xml"),
        np.replace(
            "<display-name>Notifications</display-name>",
            "<display-name>Requests</display-name>",
        ),
    )
    .expect("write");

    let next = descriptors::reload(&good, dir.path());
    let found: Vec<String> = next
        .problems
        .iter()
        .map(|p| format!("{}:{} {}", p.line, p.column, p.message))
        .collect();
    assert_eq!(
        found,
        // The one element moved is named, not each sibling it passed.
        [
            "9:3 element <icon> must come before the <friendly-url-mapping> on line 7 (Liferay DTD 7.4.0 order)"
        ]
    );
    // The last good contacts_center keeps serving (instanceable, not the broken false).
    let cc_served = next.get("contacts_center").expect("still served");
    assert!(cc_served.instanceable);
    assert!(std::sync::Arc::ptr_eq(
        cc_served,
        good.get("contacts_center").expect("was served")
    ));
    // The valid change elsewhere is picked up.
    assert_eq!(
        next.get("notifications").expect("served").display_name,
        "Requests"
    );

    // Without a previous version, the broken folder serves nothing.
    let fresh = descriptors::load_dir(dir.path());
    assert!(fresh.get("contacts_center").is_none());
    assert!(fresh.get("notifications").is_some());

    // A folder that disappears is dropped.
    std::fs::remove_dir_all(&n).expect("rm");
    let after = descriptors::reload(&next, dir.path());
    assert!(after.get("notifications").is_none());
}

/// A `descriptors_dir` that appears with a broken copy of a shipped folder keeps the
/// built-in widget of that folder serving, as a broken change to a served folder
/// keeps its last good version; its working folders replace the built-in ones.
#[test]
fn a_broken_copy_of_a_shipped_folder_keeps_the_built_in_widget() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cc = dir.path().join("contacts-center");
    copy_widget(Path::new("widget-descriptors/contacts-center"), &cc);
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &dir.path().join("notifications"),
    );
    let text = std::fs::read_to_string(cc.join("portlet.xml")).expect("read");
    std::fs::write(
        cc.join("portlet.xml"),
        text.replacen("</portlet-name>", "</portlet-nam>", 1),
    )
    .expect("write");
    let built_in = descriptors::builtin();
    let next = descriptors::reload(&built_in, dir.path());
    assert!(!next.problems.is_empty(), "the typo is reported");
    let served = next.get("contacts_center").expect("still served");
    assert!(std::sync::Arc::ptr_eq(
        served,
        built_in.get("contacts_center").expect("built in")
    ));
    let notifications = next.get("notifications").expect("served");
    assert_eq!(notifications.source_dir, dir.path().join("notifications"));
}

#[test]
fn a_file_of_many_portlets_is_refused_with_one_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let widget = dir.path().join("many");
    copy_widget(Path::new("widget-descriptors/notifications"), &widget);
    let text = std::fs::read_to_string(widget.join("portlet.xml")).expect("read");
    let close = text.rfind("</portlet-app>").expect("root end");
    // Short empty portlets, one line, as near the size cap as a generated file gets.
    let many = format!(
        "{}{}{}",
        &text[..close],
        "<portlet/>".repeat(90_000),
        &text[close..]
    );
    write(&widget, "portlet.xml", &many);
    let catalog = descriptors::load_dir(dir.path());
    let found = messages(&catalog.problems);
    assert!(catalog.get("notifications").is_none());
    assert!(
        found
            .iter()
            .any(|m| m.contains("more than 1000 <portlet> elements")),
        "{found:#?}"
    );
    assert_eq!(found.len(), 1, "{found:#?}");
}

#[test]
fn a_folder_lists_at_most_a_hundred_problems_and_counts_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let widget = dir.path().join("noisy");
    copy_widget(Path::new("widget-descriptors/notifications"), &widget);
    let portlets = "<portlet><portlet-name>p</portlet-name><colour/></portlet>".repeat(300);
    let text =
        format!("<?xml version=\"1.0\"?>\n<liferay-portlet-app>{portlets}</liferay-portlet-app>");
    write(&widget, "liferay-portlet.xml", &text);
    let catalog = descriptors::load_dir(dir.path());
    let found = messages(&catalog.problems);
    assert_eq!(found.len(), 101, "{found:#?}");
    assert!(
        found[0].contains("unknown element <colour>"),
        "{}",
        found[0]
    );
    assert!(
        found[100].contains("more problems in this folder are not listed"),
        "{}",
        found[100]
    );
}

/// A long portlet-name repeated in a problem per mode of thousands: each message
/// quotes the name cut short, and the file lists a hundred problems and counts the
/// rest, whether the folder is loaded or the file checked on its own. Unbounded, this
/// file of 260 KB made 1 GB of messages.
#[test]
fn a_long_name_with_thousands_of_modes_costs_a_hundred_short_messages() {
    let dir = tempfile::tempdir().expect("tempdir");
    let widget = dir.path().join("modes");
    copy_widget(Path::new("widget-descriptors/notifications"), &widget);
    let text = std::fs::read_to_string(widget.join("portlet.xml")).expect("read");
    let name = "n".repeat(100_000);
    let modes: String = (0..5_000)
        .map(|i| format!("<portlet-mode>m{i}</portlet-mode>"))
        .collect();
    let text = text
        .replace(
            "<portlet-name>notifications</portlet-name>",
            &format!("<portlet-name>{name}</portlet-name>"),
        )
        .replace(
            "<portlet-mode>view</portlet-mode>",
            &format!("<portlet-mode>view</portlet-mode>{modes}"),
        );
    let path = write(&widget, "portlet.xml", &text);
    // Each mode is undeclared and not provided: two problems each, and the name's.
    let loaded = messages(&descriptors::load_dir(dir.path()).problems);
    let checked = messages(&check::check_file(&path).problems);
    for (found, place) in [(&loaded, "this folder"), (&checked, "portlet.xml")] {
        assert_eq!(found.len(), 101, "{place}");
        let longest = found.iter().map(String::len).max().unwrap_or(0);
        assert!(longest < 2_000, "{place}: a message of {longest} bytes");
        assert!(
            found[0].contains(&format!("portlet {}…", &name[..80])),
            "{}",
            found[0]
        );
        let last = &found[100];
        let more: usize = last
            .split_whitespace()
            .find_map(|w| w.parse().ok())
            .unwrap_or(0);
        assert!(
            last.contains(&format!("more problems in {place} are not listed")),
            "{last}"
        );
        assert!(more >= 2 * 5_000 - 100, "{last}");
    }
}

/// A liferay-portlet.xml of 900 portlets, each with ninety-nine unknown elements: a
/// hundred problems listed, and an exact count of the other 89,000.
#[test]
fn a_liferay_file_of_many_problems_counts_what_it_does_not_list() {
    let dir = tempfile::tempdir().expect("tempdir");
    let portlets: String = (0..900)
        .map(|i| {
            format!(
                "<portlet><portlet-name>p{i}</portlet-name>{}</portlet>",
                "<x/>".repeat(99)
            )
        })
        .collect();
    let text =
        format!("<?xml version=\"1.0\"?>\n<liferay-portlet-app>{portlets}</liferay-portlet-app>");
    let path = write(dir.path(), "liferay-portlet.xml", &text);
    let found = messages(&check::check_file(&path).problems);
    assert_eq!(found.len(), 101, "{:#?}", found.first());
    assert!(found[0].contains("unknown element <x>"), "{}", found[0]);
    assert!(
        found[100].contains("89000 more problems in liferay-portlet.xml are not listed"),
        "{}",
        found[100]
    );
}

/// A line that counts an element's problems past its own cap counts all of them when
/// the file's cap is reached too: 2 portlets of 150 unknown elements are 300
/// problems, 100 listed and 200 counted, and the summary says 300.
#[test]
fn capped_counts_add_up_when_an_element_and_its_file_are_both_past_the_cap() {
    let dir = tempfile::tempdir().expect("tempdir");
    let portlets: String = (0..2)
        .map(|i| {
            format!(
                "<portlet><portlet-name>p{i}</portlet-name>{}</portlet>",
                "<x/>".repeat(150)
            )
        })
        .collect();
    let text =
        format!("<?xml version=\"1.0\"?>\n<liferay-portlet-app>{portlets}</liferay-portlet-app>");
    let path = write(dir.path(), "liferay-portlet.xml", &text);
    let report = check::check(std::slice::from_ref(&path));
    let found = messages(&report.checked[0].problems);
    assert_eq!(found.len(), 101, "{:#?}", found.last());
    assert!(
        found[100].contains("200 more problems in liferay-portlet.xml are not listed"),
        "{}",
        found[100]
    );
    assert!(
        report.to_string().ends_with("1 checked, 300 problem(s)\n"),
        "{report}"
    );
}

/// A mode or window state is reported whatever it ends with (a value ending in `:`
/// once read as an empty one), and only an empty one is left out.
#[test]
fn odd_mode_values_are_reported_and_empty_ones_left_out() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = std::fs::read_to_string("widget-descriptors/notifications/portlet.xml")
        .expect("read")
        .replace(
            "<portlet-mode>view</portlet-mode>",
            "<portlet-mode>view</portlet-mode><portlet-mode>view:</portlet-mode><portlet-mode></portlet-mode><window-state>big:</window-state>",
        );
    let path = write(dir.path(), "portlet.xml", &text);
    let found = messages(&check::check_file(&path).problems);
    assert_eq!(
        found.iter().filter(|m| m.contains(" view:")).count(),
        2,
        "{found:#?}"
    );
    assert_eq!(
        found.iter().filter(|m| m.contains(" big:")).count(),
        2,
        "{found:#?}"
    );
    assert_eq!(found.len(), 4, "{found:#?}");
}

#[test]
fn a_widget_folder_linked_in_from_elsewhere_is_served() {
    let elsewhere = tempfile::tempdir().expect("tempdir");
    let dir = tempfile::tempdir().expect("tempdir");
    let real = elsewhere.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &real);
    std::os::unix::fs::symlink(&real, dir.path().join("notifications")).expect("symlink");
    let catalog = descriptors::load_dir(dir.path());
    assert!(catalog.problems.is_empty(), "{:#?}", catalog.problems);
    assert!(catalog.get("notifications").is_some());
}

#[test]
fn a_partially_copied_folder_is_a_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let half = dir.path().join("half");
    std::fs::create_dir_all(&half).expect("mkdir");
    std::fs::copy(
        "widget-descriptors/notifications/portlet.xml",
        half.join("portlet.xml"),
    )
    .expect("copy");
    let text = std::fs::read_to_string("widget-descriptors/notifications/liferay-portlet.xml")
        .expect("read");
    std::fs::write(half.join("liferay-portlet.xml"), &text[..text.len() / 2]).expect("write");
    let catalog = descriptors::load_dir(dir.path());
    assert!(catalog.widgets.is_empty());
    let found = messages(&catalog.problems);
    assert_eq!(found.len(), 2, "{found:#?}");
    assert!(
        found
            .iter()
            .any(|m| m.contains("has no liferay-display.xml")),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|m| m.contains("liferay-portlet.xml:")
            && (m.contains("file ends inside") || m.contains("malformed XML"))),
        "{found:#?}"
    );
}

/// 1-based line and column (in characters) of the first `needle` in `text`.
fn position_of(text: &str, needle: &str) -> (u32, u32) {
    let at = text.find(needle).expect("needle");
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line as u32, column as u32)
}

#[test]
fn java_portlet_folder_is_not_hostable_and_duplicates_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    copy_widget(Path::new("widget-descriptors/notifications"), &a);
    copy_widget(Path::new("widget-descriptors/notifications"), &b);
    let catalog = descriptors::load_dir(dir.path());
    assert_eq!(catalog.widgets.len(), 1);
    assert!(
        catalog
            .get("notifications")
            .expect("first wins")
            .source_dir
            .ends_with("a")
    );
    let duplicate = &catalog.problems[0];
    assert!(
        duplicate
            .message
            .contains("portlet-name notifications is already served from")
    );
    // Pointed at the name in the second folder's portlet.xml, not at its first byte.
    let text = std::fs::read_to_string(b.join("portlet.xml")).expect("read");
    let (line, column) = position_of(&text, "<portlet-name>notifications");
    assert!(duplicate.file.starts_with(&b), "{duplicate:?}");
    assert_eq!(
        (duplicate.line, duplicate.column),
        (line, column),
        "{duplicate:?}"
    );

    let p = std::fs::read_to_string(b.join("portlet.xml")).expect("read");
    std::fs::write(
        b.join("portlet.xml"),
        p.replace("widget-host:notifications", "com.example.FooPortlet"),
    )
    .expect("write");
    let catalog = descriptors::load_dir(dir.path());
    let found = messages(&catalog.problems);
    assert!(found.iter().any(|m| m.contains("portlet-class com.example.FooPortlet is a Java class; this host provides widget-host:contacts-center, widget-host:notifications")), "{found:#?}");
}

/// What the log says with each problem: a folder broken by an edit keeps its last
/// good version, one broken since it was first read serves nothing, and a problem of
/// the directory as a whole claims neither.
#[test]
fn each_problem_says_whether_its_folder_still_serves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let edited = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &edited);
    let broken = dir.path().join("contacts-center");
    copy_widget(Path::new("widget-descriptors/contacts-center"), &broken);
    std::fs::write(broken.join("portlet.xml"), "<portlet-app>").expect("write");
    let first = descriptors::load_dir(dir.path());
    assert!(first.get("notifications").is_some());
    std::fs::write(edited.join("portlet.xml"), "<portlet-app>").expect("write");
    // Copied in flat: a problem of the directory itself.
    std::fs::write(dir.path().join("liferay-display.xml"), "<display/>").expect("write");
    let next = catalog::reload(&first, dir.path());
    assert!(next.get("notifications").is_some(), "kept");
    let said = |folder: &Path| {
        let problem = next
            .problems
            .iter()
            .find(|p| p.file.starts_with(folder))
            .expect("a problem of the folder");
        catalog::last_good_serves(&next, dir.path(), problem)
    };
    assert_eq!(said(&edited), Some(true));
    assert_eq!(said(&broken), Some(false));
    // The log's words for each.
    let note = |folder: &Path| {
        let problem = next
            .problems
            .iter()
            .find(|p| p.file.starts_with(folder))
            .expect("a problem");
        catalog::problem_note(&next, dir.path(), problem)
    };
    assert!(note(&edited).ends_with("the last good version of its folder keeps serving"));
    assert!(note(&broken).ends_with("nothing of its folder is served until it is mended"));
    let flat = next
        .problems
        .iter()
        .find(|p| {
            p.message
                .contains("lies in the descriptors directory itself")
        })
        .expect("the flat file's problem");
    // Its own message says nothing in it is served, and the other folders serve.
    assert_eq!(catalog::last_good_serves(&next, dir.path(), flat), None);
    // A directory with no widget folder: a problem of the directory as a whole,
    // whose own message says nothing is served.
    let empty = tempfile::tempdir().expect("tempdir");
    let none = catalog::reload(&Catalog::default(), empty.path());
    let whole = none.problems.first().expect("no widget folder");
    assert!(
        whole.message.contains("holds no widget folder"),
        "{whole:?}"
    );
    assert_eq!(catalog::last_good_serves(&none, empty.path(), whole), None);
    assert_eq!(
        catalog::problem_note(&none, empty.path(), whole),
        "descriptor problem"
    );
}

#[test]
fn a_folder_added_beside_a_serving_one_with_its_name_does_not_take_it_over() {
    let dir = tempfile::tempdir().expect("tempdir");
    let serving = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &serving);
    let first = descriptors::load_dir(dir.path());
    assert!(first.problems.is_empty(), "{:?}", messages(&first.problems));
    // Sorted before the serving folder, so first-by-name alone would let it win.
    let added = dir.path().join("a-test");
    copy_widget(Path::new("widget-descriptors/notifications"), &added);
    let p = std::fs::read_to_string(added.join("portlet.xml")).expect("read");
    std::fs::write(
        added.join("portlet.xml"),
        p.replace("<display-name>", "<display-name>Copy of "),
    )
    .expect("write");
    let next = catalog::reload(&first, dir.path());
    let widget = next.get("notifications").expect("still served");
    assert!(widget.source_dir.ends_with("notifications"), "{widget:?}");
    let found = messages(&next.problems);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("is already served from"), "{found:#?}");
    assert!(next.problems[0].file.starts_with(&added));
    // The added folder serves nothing, and the log must not say otherwise.
    let serves = catalog::last_good_serves(&next, dir.path(), &next.problems[0]);
    assert_eq!(serves, Some(false));
    // Once the first folder goes, the added one serves the name.
    std::fs::remove_dir_all(&serving).expect("remove");
    let last = catalog::reload(&next, dir.path());
    assert!(last.problems.is_empty(), "{:?}", messages(&last.problems));
    assert!(
        last.get("notifications")
            .expect("served")
            .source_dir
            .ends_with("a-test")
    );
}

#[test]
fn booleans_read_as_liferay_reads_them() {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &folder);
    let original = std::fs::read_to_string(folder.join("liferay-portlet.xml")).expect("read");
    for (written, instanceable) in [
        (" TRUE ", true),
        ("on", true),
        ("1", true),
        ("False", false),
    ] {
        std::fs::write(
            folder.join("liferay-portlet.xml"),
            original.replace(
                "<instanceable>false</instanceable>",
                &format!("<instanceable>{written}</instanceable>"),
            ),
        )
        .expect("write");
        let catalog = descriptors::load_dir(dir.path());
        assert!(
            catalog.problems.is_empty(),
            "{written}: {:?}",
            messages(&catalog.problems)
        );
        assert_eq!(
            catalog.get("notifications").expect("served").instanceable,
            instanceable,
            "{written}"
        );
    }
    std::fs::write(
        folder.join("liferay-portlet.xml"),
        original.replace(
            "<instanceable>false</instanceable>",
            "<instanceable>maybe</instanceable>",
        ),
    )
    .expect("write");
    let found = messages(&descriptors::load_dir(dir.path()).problems);
    assert!(
        found.iter().any(|m| m.contains("not a boolean")),
        "{found:#?}"
    );
}

/// The text of `file` in the shipped folder of `widget`.
fn shipped_text(widget: &str, file: &str) -> String {
    std::fs::read_to_string(Path::new(SHIPPED).join(widget).join(file)).expect("read")
}

/// The catalog of a descriptors folder holding a copy of the shipped `widget` folder
/// whose `file` reads `text`.
fn load_edited(widget: &str, file: &str, text: &str) -> Catalog {
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join(widget);
    copy_widget(&Path::new(SHIPPED).join(widget), &folder);
    std::fs::write(folder.join(file), text).expect("write");
    descriptors::load_dir(dir.path())
}

/// [`load_edited`], which must load without problems; `label` names the case.
fn load_clean(widget: &str, file: &str, text: &str, label: &str) -> Catalog {
    let catalog = load_edited(widget, file, text);
    assert!(
        catalog.problems.is_empty(),
        "{label}: {:?}",
        messages(&catalog.problems)
    );
    catalog
}

/// A file written for an older Liferay (DTD 7.1.0, with its `<remoteable>`; 7.0.0, with
/// its `<ddm-display>`) still deploys, as Liferay 7.4 deploys it: the elements that
/// DTD 7.4.0 dropped are passed over, not refused as unknown.
#[test]
fn an_older_dtds_remoteable_is_passed_over() {
    let original = shipped_text("contacts-center", "liferay-portlet.xml");
    let older = original
        .replace("7.4.0", "7.1.0")
        .replace("7_4_0", "7_1_0")
        .replace(
            "<instanceable>true</instanceable>",
            "<instanceable>true</instanceable>\n\t\t<remoteable>true</remoteable>",
        );
    assert!(
        older.contains("<remoteable>true</remoteable>") && older.contains("7.1.0"),
        "the shipped file changed"
    );
    let catalog = load_clean(
        "contacts-center",
        "liferay-portlet.xml",
        &older,
        "remoteable",
    );
    assert!(catalog.widgets.values().any(|w| w.instanceable));
    // DTD 7.0.0's `<ddm-display>`, between `<custom-attributes-display>` and
    // `<permission-propagator>`, before `<instanceable>`.
    let with_ddm = original
        .replace("7.4.0", "7.0.0")
        .replace("7_4_0", "7_0_0")
        .replace(
            "<instanceable>",
            "<ddm-display>com.example.Display</ddm-display>\n\t\t<instanceable>",
        );
    assert!(
        with_ddm.contains("<ddm-display>"),
        "the shipped file changed"
    );
    load_clean(
        "contacts-center",
        "liferay-portlet.xml",
        &with_ddm,
        "ddm-display",
    );
    // Still in its place: after `<scopeable>` it is out of the DTDs' order.
    let misplaced = original.replace(
        "<css-class-wrapper>",
        "<remoteable>true</remoteable>\n\t\t<css-class-wrapper>",
    );
    let found =
        messages(&load_edited("contacts-center", "liferay-portlet.xml", &misplaced).problems);
    assert!(
        found
            .iter()
            .any(|m| m.contains("must come after") && m.contains("<remoteable>")),
        "{found:#?}"
    );
}

/// A `<window-state>` adds a state; the standard three stay served and described
/// whatever the descriptor lists (the portlet TCK's descriptors list only their custom
/// states).
#[test]
fn declared_window_states_add_to_the_standard_ones() {
    let original = shipped_text("notifications", "portlet.xml");
    let standard = "\t\t\t<window-state>normal</window-state>\n\t\t\t<window-state>maximized</window-state>\n\t\t\t<window-state>minimized</window-state>\n";
    assert!(original.contains(standard), "the shipped file changed");
    for (supports, expected) in [
        (
            "\t\t\t<window-state>EXCLUSIVE</window-state>\n",
            vec!["normal", "maximized", "minimized", "exclusive"],
        ),
        (
            "\t\t\t<window-state>minimized</window-state>\n",
            vec!["normal", "maximized", "minimized"],
        ),
        ("", vec!["normal", "maximized", "minimized"]),
    ] {
        let text = original.replace(standard, supports).replace(
            "\t</portlet>\n</portlet-app>",
            "\t</portlet>\n\t<custom-window-state>\n\t\t<window-state>exclusive</window-state>\n\t</custom-window-state>\n</portlet-app>",
        );
        let catalog = load_clean("notifications", "portlet.xml", &text, supports);
        let served = catalog.get("notifications").expect("served");
        assert_eq!(served.window_states, expected, "{supports:?}");
    }
}

/// `exclusive` is Liferay's for every portlet: listed in `<supports>` without a
/// `<custom-window-state>`, it is taken and described, as Liferay takes it; another
/// undeclared state is still refused.
#[test]
fn exclusive_needs_no_custom_window_state() {
    let original = shipped_text("notifications", "portlet.xml");
    let standard = "\t\t\t<window-state>minimized</window-state>\n";
    assert!(original.contains(standard), "the shipped file changed");
    assert!(
        !original.contains("custom-window-state"),
        "the shipped file changed"
    );
    let listing = |state: &str| {
        original.replace(
            standard,
            &format!("{standard}\t\t\t<window-state>{state}</window-state>\n"),
        )
    };
    let catalog = load_clean(
        "notifications",
        "portlet.xml",
        &listing("exclusive"),
        "exclusive",
    );
    let served = catalog.get("notifications").expect("served");
    assert_eq!(
        served.window_states,
        ["normal", "maximized", "minimized", "exclusive"]
    );
    let found = messages(&load_edited("notifications", "portlet.xml", &listing("pop_up")).problems);
    assert!(
        found
            .iter()
            .any(|m| m.contains("nor declared in <custom-window-state>")),
        "{found:#?}"
    );
}

/// A `<supports>` block for `*/*` or `text/*` declares modes for HTML too.
#[test]
fn wildcard_mime_types_speak_for_html() {
    let original = shipped_text("contacts-center", "portlet.xml");
    let view = "<mime-type>text/html</mime-type>\n\t\t\t<portlet-mode>view</portlet-mode>";
    let html = format!("{view}\n\t\t\t<portlet-mode>edit</portlet-mode>");
    assert!(original.contains(&html), "the shipped file changed");
    let with_edit = |mime: &str| {
        original.replace(
            &html,
            &format!("<mime-type>{mime}</mime-type>\n\t\t\t<portlet-mode>view</portlet-mode>\n\t\t\t<portlet-mode>edit</portlet-mode>"),
        )
    };
    for mime in ["*/*", "text/*", "TEXT/HTML; charset=UTF-8"] {
        let catalog = load_clean("contacts-center", "portlet.xml", &with_edit(mime), mime);
        let served = catalog.get("contacts_center").expect("served");
        assert_eq!(served.modes, ["view", "edit"], "{mime}");
    }
    // Another markup's block says nothing about HTML: beside an HTML block it adds
    // no mode; alone, it leaves nothing this host can serve, and the folder says so.
    let pdf_then_html = original.replace(
        &html,
        &format!(
            "<mime-type>application/pdf</mime-type>\n\t\t\t<portlet-mode>edit</portlet-mode>\n\t\t</supports>\n\t\t<supports>\n\t\t\t{view}"
        ),
    );
    let catalog = load_clean(
        "contacts-center",
        "portlet.xml",
        &pdf_then_html,
        "pdf, html",
    );
    assert_eq!(
        catalog.get("contacts_center").expect("served").modes,
        ["view"]
    );
    let catalog = load_edited(
        "contacts-center",
        "portlet.xml",
        &with_edit("application/pdf"),
    );
    assert!(
        catalog.get("contacts_center").is_none(),
        "served without HTML"
    );
    let problems = messages(&catalog.problems);
    assert!(
        problems
            .iter()
            .any(|m| m.contains("no <supports> covers text/html")),
        "{problems:?}"
    );
}

/// A descriptor may not offer a standard mode its widget kind does not render: the
/// mode would be listed in `/widgets` and offered to WSRP consumers, and every call in
/// it refused. The problem points at the `<portlet-mode>` and says what the kind has.
#[test]
fn a_mode_the_widget_kind_does_not_render_is_refused_where_it_is_declared() {
    for (widget, portlet, mode) in [
        ("notifications", "notifications", "edit"),
        ("notifications", "notifications", "HELP"),
        ("contacts-center", "contacts_center", "help"),
    ] {
        let original = shipped_text(widget, "portlet.xml");
        let view = "<portlet-mode>view</portlet-mode>";
        assert!(original.contains(view), "the shipped file changed");
        let text = original.replacen(
            view,
            &format!("{view}\n\t\t\t<portlet-mode>{mode}</portlet-mode>"),
            1,
        );
        let line = 1 + text[..text.find(&format!(">{mode}<")).expect("added")]
            .matches('\n')
            .count();
        let catalog = load_edited(widget, "portlet.xml", &text);
        assert!(catalog.get(portlet).is_none(), "{widget} {mode} served");
        let problem = catalog
            .problems
            .iter()
            .find(|p| p.message.contains("does not render"))
            .unwrap_or_else(|| panic!("{widget} {mode}: {:?}", messages(&catalog.problems)));
        assert_eq!(
            (problem.element.as_str(), problem.line),
            ("portlet-mode", line as u32),
            "{problem:?}"
        );
        assert!(
            problem
                .message
                .contains(&format!("portlet mode {}", mode.to_ascii_lowercase())),
            "{problem:?}"
        );
        let offered = if widget == "notifications" {
            "renders view"
        } else {
            "renders view and edit"
        };
        assert!(problem.fix.ends_with(offered), "{problem:?}");
    }
}

/// `<read-only>true</read-only>` marks a preference the portlet may not change.
#[test]
fn read_only_preferences_are_kept() {
    let original = shipped_text("contacts-center", "portlet.xml");
    let phones = "<name>showPhones</name>\n\t\t\t\t<value>true</value>";
    assert!(original.contains(phones), "the shipped file changed");
    for (read_only, expected) in [(" TRUE ", true), ("false", false)] {
        let text = original.replace(
            phones,
            &format!("{phones}\n\t\t\t\t<read-only>{read_only}</read-only>"),
        );
        let catalog = load_clean("contacts-center", "portlet.xml", &text, read_only);
        let served = catalog.get("contacts_center").expect("served");
        assert_eq!(
            served.read_only_preferences.contains("showPhones"),
            expected,
            "{read_only:?}"
        );
        // The shipped file's own eight, and this one when it says so.
        assert_eq!(
            served.read_only_preferences.len(),
            8 + usize::from(expected)
        );
    }
}

/// An empty `<title>`, `<short-title>` or `<display-name>` names nothing: the widget
/// is named as if it were not written (its display name, then its portlet-name), not
/// listed with a blank name to a portal's administrator or a WSRP consumer.
#[test]
fn an_empty_title_names_nothing() {
    let original = shipped_text("notifications", "portlet.xml");
    let (display, title, short) = (
        "<display-name>Notifications</display-name>",
        "<title>Notifications</title>",
        "<short-title>Notifications</short-title>",
    );
    for shipped in [display, title, short] {
        assert!(original.contains(shipped), "the shipped file changed");
    }
    let untitled = original
        .replace(display, "<display-name>Notices</display-name>")
        .replace(title, "<title> </title>")
        .replace(short, "<short-title/>");
    let catalog = load_clean("notifications", "portlet.xml", &untitled, "untitled");
    let served = catalog.get("notifications").expect("served");
    assert_eq!(
        (served.title.as_str(), served.display_name.as_str()),
        ("Notices", "Notices")
    );
    assert_eq!(served.short_title, None);

    let nameless = untitled.replace("<display-name>Notices</display-name>", "<display-name/>");
    let catalog = load_clean("notifications", "portlet.xml", &nameless, "nameless");
    let served = catalog.get("notifications").expect("served");
    assert_eq!(
        (served.title.as_str(), served.display_name.as_str()),
        ("notifications", "notifications")
    );
}

/// A problem with one element points at that element's line, not at the element
/// around it: a bad `<read-only>` at its own line, a `<portlet-name>` that
/// portlet.xml does not declare at the name.
#[test]
fn problems_point_at_the_element_they_name() {
    let original = shipped_text("contacts-center", "portlet.xml");
    let phones = "<name>showPhones</name>\n\t\t\t\t<value>true</value>";
    assert!(original.contains(phones), "the shipped file changed");
    let text = original.replace(
        phones,
        &format!("{phones}\n\t\t\t\t<read-only>maybe</read-only>"),
    );
    let catalog = load_edited("contacts-center", "portlet.xml", &text);
    let problem = problem_where(&catalog, |p| p.element == "read-only");
    assert_eq!(
        (problem.line, problem.column),
        position_of(&text, "<read-only>maybe"),
        "{problem:?}"
    );

    let original = shipped_text("notifications", "liferay-portlet.xml");
    let name = "<portlet-name>notifications</portlet-name>";
    assert!(original.contains(name), "the shipped file changed");
    let text = original.replace(name, "<portlet-name>notices</portlet-name>");
    let catalog = load_edited("notifications", "liferay-portlet.xml", &text);
    let problem = problem_where(&catalog, |p| {
        p.message.contains("which portlet.xml does not declare")
    });
    assert_eq!(
        (problem.element.as_str(), problem.line, problem.column),
        (
            "portlet-name",
            position_of(&text, "<portlet-name>notices").0,
            position_of(&text, "<portlet-name>notices").1
        ),
        "{problem:?}"
    );
}

/// `<init-param>` and `<security-role-ref>`, which serve no widget of the host, and
/// the custom modes and states follow their schema's structure, as Liferay's
/// validating parser holds them to it: an `<init-param>` or a `<custom-window-state>`
/// named twice, or a `<security-role-ref>` without its role-name, is a problem at
/// its place, and the folder is not served until it is fixed.
#[test]
fn params_roles_and_custom_states_follow_their_schema() {
    let original = shipped_text("contacts-center", "portlet.xml");
    let (class, prefs_end, app_end) = (
        "<portlet-class>widget-host:contacts-center</portlet-class>",
        "</portlet-preferences>",
        "</portlet-app>",
    );
    for anchor in [class, prefs_end, app_end] {
        assert_eq!(
            original.matches(anchor).count(),
            1,
            "the shipped file changed"
        );
    }
    let param = |name: &str, file: &str| {
        format!("<init-param><name>{name}</name><value>{file}</value></init-param>")
    };
    let state = "<custom-window-state><window-state>wide</window-state></custom-window-state>";
    let text = original
        // One name, as the schema's token type reads it: white space collapsed.
        .replace(
            class,
            &format!(
                "{class}\n\t\t{}\n\t\t{}",
                param("my config", "/a.xml"),
                param("my\n\t\t\tconfig ", "/b.xml")
            ),
        )
        .replace(
            prefs_end,
            &format!("{prefs_end}\n\t\t<security-role-ref><role-link>tomcat</role-link></security-role-ref>"),
        )
        .replace(app_end, &format!("\t{state}\n\t{state}\n{app_end}"));
    let catalog = load_edited("contacts-center", "portlet.xml", &text);
    assert!(catalog.get("contacts_center").is_none(), "served");
    // The second of each, where it names what it repeats.
    let last = |needle: &str| {
        let before = &text[..text.rfind(needle).expect("written")];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        (line as u32, column as u32)
    };
    let param_twice = problem_where(&catalog, |p| {
        p.message
            .contains("<init-param> with name \"my config\" is declared twice")
    });
    assert_eq!((param_twice.line, param_twice.column), last("<name>my"));
    let state_twice = problem_where(&catalog, |p| {
        p.message
            .contains("<custom-window-state> with window-state \"wide\" is declared twice")
    });
    assert_eq!(
        (state_twice.line, state_twice.column),
        last("<window-state>wide")
    );
    let no_role = problem_where(&catalog, |p| {
        p.message
            .contains("<security-role-ref> lacks the required element <role-name>")
    });
    assert_eq!(no_role.line, last("<security-role-ref>").0);
    // Each once, in the schema's order, is served.
    let once = original
        .replace(class, &format!("{class}\n\t\t{}", param("config", "/a.xml")))
        .replace(
            prefs_end,
            &format!("{prefs_end}\n\t\t<security-role-ref><role-name>admin</role-name><role-link>tomcat</role-link></security-role-ref>"),
        )
        .replace(app_end, &format!("\t{state}\n{app_end}"));
    load_clean("contacts-center", "portlet.xml", &once, "each once");
}

/// One portlet described twice in liferay-portlet.xml is a problem at the second entry.
#[test]
fn a_portlet_described_twice_in_liferay_portlet_xml_is_a_problem() {
    let original = shipped_text("notifications", "liferay-portlet.xml");
    let start = original.find("<portlet>").expect("a portlet");
    let end = original.find("</portlet>").expect("its end") + "</portlet>".len();
    let entry = &original[start..end];
    let twice = original.replacen(entry, &format!("{entry}\n\t{entry}"), 1);
    let found = messages(&load_edited("notifications", "liferay-portlet.xml", &twice).problems);
    assert!(
        found
            .iter()
            .any(|m| m.contains("portlet notifications is described twice")),
        "{found:#?}"
    );
}

/// With a title per language, the English one describes the widget, whatever the
/// order (the host describes widgets in English).
#[test]
fn the_english_title_is_taken_whatever_the_order() {
    let original = shipped_text("notifications", "portlet.xml");
    for (shipped, localized) in [
        (
            "<display-name>Notifications</display-name>",
            "<display-name xml:lang=\"de\">Benachrichtigungen</display-name>\n\t\t<display-name xml:lang=\"en-US\">Notifications</display-name>",
        ),
        (
            "<title>Notifications</title>",
            "<title xml:lang=\"fr\">Notifications en attente</title>\n\t\t\t<title>Notifications</title>",
        ),
    ] {
        assert!(original.contains(shipped), "the shipped file changed");
        let text = original.replace(shipped, localized);
        let catalog = load_clean("notifications", "portlet.xml", &text, localized);
        let served = catalog.get("notifications").expect("served");
        assert_eq!(
            (served.display_name.as_str(), served.title.as_str()),
            ("Notifications", "Notifications"),
            "{localized}"
        );
    }
}

/// The `<portlet>` order table in the code is the DTD's, element for element, but for
/// the elements older DTDs had, which it keeps.
#[test]
fn liferay_portlet_order_table_matches_the_official_dtd() {
    let path = "../shared/specs/liferay/liferay-portlet-app_7_4_0.dtd";
    let dtd = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{path} (the shared specs, beside the repository): {e}"));
    let start =
        dtd.find("<!ELEMENT portlet (").expect("portlet element") + "<!ELEMENT portlet (".len();
    let end = start + dtd[start..].find(")>").expect("end of model");
    let from_dtd: Vec<String> = dtd[start..end]
        .split(',')
        .map(|s| s.split_whitespace().collect::<String>())
        .collect();
    let from_code: Vec<String> = descriptors::liferay::PORTLET
        .iter()
        .filter(|(name, _)| !descriptors::liferay::FROM_OLDER_DTDS.contains(name))
        .map(|(name, occurs)| {
            use descriptors::order::Occurs;
            let mark = match occurs {
                Occurs::One => "",
                Occurs::Optional => "?",
                Occurs::Many => "*",
                Occurs::OneOrMore => "+",
            };
            format!("{name}{mark}")
        })
        .collect();
    assert_eq!(from_code, from_dtd);
    // What it keeps from older DTDs is truly gone from this one.
    for old in descriptors::liferay::FROM_OLDER_DTDS {
        let bare = |e: &String| e.trim_end_matches(['?', '*', '+']).to_owned();
        assert!(!from_dtd.iter().map(bare).any(|e| e == *old), "{old}");
    }
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    fn shipped(name: &str) -> Vec<u8> {
        std::fs::read(Path::new("widget-descriptors/contacts-center").join(name)).expect("shipped")
    }

    fn load(portlet: Vec<u8>, lp: Vec<u8>, display: Vec<u8>) -> usize {
        let dir = Path::new("fuzz");
        let src = |name: &str, bytes| {
            Some(Source {
                path: dir.join(name),
                bytes,
            })
        };
        let load = catalog::load_sources(
            dir,
            src("portlet.xml", portlet),
            src("liferay-portlet.xml", lp),
            src("liferay-display.xml", display),
        );
        // A folder either serves or says why, never both and never neither.
        assert_ne!(load.widgets.is_empty(), load.problems.is_empty());
        load.widgets.len()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            load(bytes.clone(), bytes.clone(), bytes);
        }

        #[test]
        fn truncations_never_panic(cut in 0usize..4000, which in 0usize..3) {
            let mut files = [shipped("portlet.xml"), shipped("liferay-portlet.xml"), shipped("liferay-display.xml")];
            let len = files[which].len();
            files[which].truncate(cut.min(len));
            let [p, l, d] = files;
            let served = load(p, l, d);
            prop_assert!(cut < len || served == 1);
        }

        #[test]
        fn byte_flips_never_panic(at in 0usize..4000, byte in any::<u8>()) {
            let mut portlet = shipped("portlet.xml");
            let len = portlet.len();
            portlet[at % len] = byte;
            load(portlet, shipped("liferay-portlet.xml"), shipped("liferay-display.xml"));
        }
    }
}

#[test]
fn check_accepts_descriptors_dir_widget_folder_and_single_files() {
    let report = check(&[PathBuf::from(SHIPPED)]);
    assert!(report.passed(), "{report}");
    assert_eq!(report.checked.len(), 2);
    assert!(report.to_string().ends_with("2 checked, all valid\n"));

    let folder = Path::new(SHIPPED).join("notifications");
    let report = check(&[
        folder.clone(),
        folder.join("portlet.xml"),
        folder.join("liferay-display.xml"),
    ]);
    assert!(report.passed(), "{report}");
    let whats: Vec<&str> = report.checked.iter().map(|c| c.what).collect();
    assert_eq!(
        whats,
        ["widget folder", "portlet.xml", "liferay-display.xml"]
    );

    let report = check(&[PathBuf::from("no/such/path.xml")]);
    assert!(!report.passed());
}

#[test]
fn check_refuses_a_directory_whose_folders_share_a_portlet_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &dir.path().join("a"),
    );
    copy_widget(
        Path::new("widget-descriptors/notifications"),
        &dir.path().join("b"),
    );
    let report = check(&[dir.path().to_path_buf()]);
    assert!(!report.passed(), "{report}");
    let failed: Vec<&Path> = report
        .checked
        .iter()
        .filter(|c| !c.problems.is_empty())
        .map(|c| c.path.as_path())
        .collect();
    assert_eq!(failed, [dir.path().join("b").as_path()], "{report}");
    assert!(
        report.to_string().contains("is already served from"),
        "{report}"
    );
}

/// A copy of a folder of 150 portlets clashes 150 times with the folder it copies: a
/// hundred clashes listed, the other fifty counted, as a folder's own problems are.
#[test]
fn clashing_names_are_capped_like_a_folders_own_problems() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shipped = Path::new("widget-descriptors/notifications");
    let many = |file: &str| {
        let text = std::fs::read_to_string(shipped.join(file)).expect("read");
        let start = text.find("<portlet>").expect("a portlet");
        let end = text.rfind("</portlet>").expect("its end") + "</portlet>".len();
        let block = &text[start..end];
        let blocks: String = (0..150)
            .map(|i| {
                block.replace(
                    "<portlet-name>notifications</portlet-name>",
                    &format!("<portlet-name>n{i}</portlet-name>"),
                )
            })
            .collect();
        format!("{}{blocks}{}", &text[..start], &text[end..])
    };
    for folder in ["a", "b"] {
        let to = dir.path().join(folder);
        std::fs::create_dir_all(&to).expect("mkdir");
        for file in ["portlet.xml", "liferay-portlet.xml"] {
            std::fs::write(to.join(file), many(file)).expect("write");
        }
        let display = std::fs::read_to_string(shipped.join("liferay-display.xml"))
            .expect("read")
            .replace("id=\"notifications\"", "id=\"n0\"");
        std::fs::write(to.join("liferay-display.xml"), display).expect("write");
    }
    let catalog = descriptors::load_dir(dir.path());
    assert_eq!(
        catalog.widgets.len(),
        150,
        "{:#?}",
        catalog.problems.first()
    );
    let found = messages(&catalog.problems);
    assert_eq!(found.len(), 101, "{:#?}", found.last());
    assert!(
        found[0].contains("portlet-name n0 is already served from"),
        "{}",
        found[0]
    );
    assert!(
        found[100].contains("50 more problems in this folder are not listed"),
        "{}",
        found[100]
    );
    let counted: usize = catalog.problems.iter().map(|p| p.count()).sum();
    assert_eq!(counted, 150);
}

/// A widget folder linked in whose target goes away keeps its last good version and
/// says why, as a folder with a broken file does; it is not dropped without a word.
#[cfg(unix)]
#[test]
fn a_linked_folder_whose_target_is_gone_keeps_serving_with_a_problem() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().join("widgets");
    std::fs::create_dir_all(&root).expect("mkdir");
    let target = dir.path().join("release-1");
    copy_widget(Path::new("widget-descriptors/notifications"), &target);
    std::os::unix::fs::symlink(&target, root.join("notifications")).expect("link");
    // A link to a file is no widget folder.
    std::fs::write(dir.path().join("notes.txt"), "x").expect("file");
    std::os::unix::fs::symlink(dir.path().join("notes.txt"), root.join("notes")).expect("link");
    let first = descriptors::load_dir(&root);
    assert!(first.problems.is_empty(), "{:?}", messages(&first.problems));
    assert!(first.get("notifications").is_some());

    std::fs::remove_dir_all(&target).expect("remove the target");
    let next = catalog::reload(&first, &root);
    assert!(
        next.get("notifications").is_some(),
        "the last good version serves"
    );
    assert!(
        next.problems
            .iter()
            .any(|p| p.file.starts_with(root.join("notifications"))),
        "{:?}",
        messages(&next.problems)
    );
}

/// A descriptor file the host cannot look at (here a link that loops; for a service
/// user, a mode that lost its bits) is read, and the problem says why: not that the
/// folder has no `portlet.xml`, which would send the administrator to add one.
#[cfg(unix)]
#[test]
fn a_descriptor_that_cannot_be_looked_at_is_reported_as_such() {
    let dir = tempfile::tempdir().expect("tempdir");
    let widget = dir.path().join("notifications");
    copy_widget(Path::new("widget-descriptors/notifications"), &widget);
    std::fs::remove_file(widget.join("portlet.xml")).expect("remove");
    std::os::unix::fs::symlink("portlet.xml", widget.join("portlet.xml")).expect("loop");
    let catalog = descriptors::load_dir(dir.path());
    let found = messages(&catalog.problems);
    assert!(catalog.get("notifications").is_none());
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        catalog.problems[0]
            .file
            .ends_with("notifications/portlet.xml")
            && !found[0].contains("no portlet.xml"),
        "{found:#?}"
    );
}

/// Liferay would ignore a `liferay-display.xml` id that names no portlet, and the
/// widget would land in "undefined" without a word; `requires-namespaced-parameters`
/// false would promise bare parameters this host never passes. Both are problems at
/// their element, and the folder is not served until they are fixed.
#[test]
fn a_display_id_of_no_portlet_and_bare_parameters_are_reported_where_written() {
    let display = shipped_text("contacts-center", "liferay-display.xml");
    let id = "id=\"contacts_center\"";
    assert!(display.contains(id), "the shipped file changed");
    let typo = display.replace(id, "id=\"contacts-center\"");
    let line = 1 + typo[..typo.find("contacts-center\"").expect("typo")]
        .matches('\n')
        .count();
    let catalog = load_edited("contacts-center", "liferay-display.xml", &typo);
    assert!(catalog.get("contacts_center").is_none(), "served");
    let problem = problem_where(&catalog, |p| {
        p.message.contains("which portlet.xml does not declare")
    });
    assert_eq!(
        (problem.element.as_str(), problem.line),
        ("portlet", line as u32),
        "{problem:?}"
    );
    assert!(
        problem.message.contains("\"contacts-center\""),
        "{problem:?}"
    );
    assert!(problem.fix.contains("\"contacts_center\""), "{problem:?}");

    let liferay = shipped_text("contacts-center", "liferay-portlet.xml");
    let flag = "<requires-namespaced-parameters>true</requires-namespaced-parameters>";
    let text = if liferay.contains(flag) {
        liferay.replace(
            flag,
            "<requires-namespaced-parameters>false</requires-namespaced-parameters>",
        )
    } else {
        let instanceable = "<instanceable>true</instanceable>";
        assert!(liferay.contains(instanceable), "the shipped file changed");
        liferay.replace(
            instanceable,
            &format!("{instanceable}\n\t\t<requires-namespaced-parameters>false</requires-namespaced-parameters>"),
        )
    };
    let catalog = load_edited("contacts-center", "liferay-portlet.xml", &text);
    assert!(catalog.get("contacts_center").is_none(), "served");
    let found = messages(&catalog.problems);
    assert!(
        found
            .iter()
            .any(|m| m.contains("<requires-namespaced-parameters> is false")),
        "{found:?}"
    );
    // Written true, it is what the host does anyway: no problem.
    let text = text.replace(
        ">false</requires-namespaced-parameters>",
        "> TRUE </requires-namespaced-parameters>",
    );
    load_clean("contacts-center", "liferay-portlet.xml", &text, "true");
}

/// `<active>false</active>` ("not active or available to users") or
/// `<include>false</include>` in liferay-portlet.xml turns the widget off: it loads
/// without a problem and is not served. A value that is no boolean is a problem, not
/// taken as either.
#[test]
fn a_widget_liferay_portlet_xml_turns_off_is_not_served() {
    let liferay = shipped_text("contacts-center", "liferay-portlet.xml");
    let wrapper = "<css-class-wrapper>contacts-center-portlet</css-class-wrapper>";
    assert!(liferay.contains(wrapper), "the shipped file changed");
    let with = |extra: &str| liferay.replace(wrapper, &format!("{wrapper}\n\t\t{extra}"));
    for off in ["<active>false</active>", "<include>false</include>"] {
        let catalog = load_clean("contacts-center", "liferay-portlet.xml", &with(off), off);
        assert!(catalog.get("contacts_center").is_none(), "{off}: served");
    }
    // `descriptors check` says so, of a descriptors directory and of the folder alone.
    let dir = tempfile::tempdir().expect("tempdir");
    let folder = dir.path().join("contacts-center");
    copy_widget(&Path::new(SHIPPED).join("contacts-center"), &folder);
    std::fs::write(
        folder.join("liferay-portlet.xml"),
        with("<active>false</active>"),
    )
    .expect("write");
    for path in [dir.path().to_path_buf(), folder] {
        let report = check(&[path]);
        assert!(report.passed(), "{report}");
        assert!(
            report.to_string().contains("[contacts_center (off)]"),
            "{report}"
        );
    }
    // A folder that serves the widget, then turns it off while another folder
    // declares it, hands it over at once: it is served from the other, as `descriptors
    // check` of the same directory says.
    let dir = tempfile::tempdir().expect("tempdir");
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    copy_widget(&Path::new(SHIPPED).join("contacts-center"), &a);
    let first = descriptors::load_dir(dir.path());
    assert!(
        first
            .get("contacts_center")
            .expect("served")
            .source_dir
            .ends_with("a")
    );
    copy_widget(&Path::new(SHIPPED).join("contacts-center"), &b);
    std::fs::write(
        a.join("liferay-portlet.xml"),
        with("<active>false</active>"),
    )
    .expect("write");
    let next = descriptors::reload(&first, dir.path());
    let served = next.get("contacts_center").expect("served from b");
    assert!(served.source_dir.ends_with("b"), "{:?}", served.source_dir);
    let found = messages(&next.problems);
    assert!(found.is_empty(), "{found:?}");
    assert!(check(&[dir.path().to_path_buf()]).passed());
    let on = "<active>true</active>\n\t\t<include>true</include>";
    let catalog = load_clean("contacts-center", "liferay-portlet.xml", &with(on), on);
    assert!(catalog.get("contacts_center").is_some(), "{on}: not served");
    let catalog = load_edited(
        "contacts-center",
        "liferay-portlet.xml",
        &with("<active>flase</active>"),
    );
    assert!(catalog.get("contacts_center").is_none());
    let found = messages(&catalog.problems);
    assert!(
        found
            .iter()
            .any(|m| m.contains("<active> is \"flase\", not a boolean")),
        "{found:?}"
    );
}

/// A built-in widget declared with what only a Java portal runs (a preferences
/// validator, events, a filter mapped to it, a URL listener) is not served: each is
/// reported where it stands, as it would never run.
#[test]
fn java_hooks_on_a_built_in_widget_are_problems() {
    let portlet = shipped_text("contacts-center", "portlet.xml");
    let prefs_end = "</portlet-preferences>";
    let app_end = "</portlet-app>";
    assert!(
        portlet.contains(prefs_end) && portlet.contains(app_end),
        "the shipped file changed"
    );
    let cases = [
        (
            "preferences-validator",
            portlet.replace(
                prefs_end,
                &format!("<preferences-validator>x.V</preferences-validator>{prefs_end}"),
            ),
        ),
        (
            "supported-processing-event",
            portlet.replace(
                prefs_end,
                &format!("{prefs_end}<supported-processing-event><name>e</name></supported-processing-event>"),
            ),
        ),
        (
            "filter-mapping",
            portlet.replace(
                app_end,
                &format!("<filter><filter-name>audit</filter-name><filter-class>x.F</filter-class><lifecycle>RENDER_PHASE</lifecycle></filter>\
                          <filter-mapping><filter-name>audit</filter-name><portlet-name>*</portlet-name></filter-mapping>{app_end}"),
            ),
        ),
        (
            "supported-publishing-event",
            portlet.replace(
                prefs_end,
                &format!("{prefs_end}<supported-publishing-event><name>e</name></supported-publishing-event>"),
            ),
        ),
        (
            "filter-mapping",
            portlet.replace(
                app_end,
                &format!("<filter><filter-name>audit</filter-name><filter-class>x.F</filter-class><lifecycle>RENDER_PHASE</lifecycle></filter>\
                          <filter-mapping><filter-name>audit</filter-name><portlet-name>contacts_center</portlet-name></filter-mapping>{app_end}"),
            ),
        ),
        (
            "filter-mapping",
            portlet.replace(
                app_end,
                &format!("<filter><filter-name>audit</filter-name><filter-class>x.F</filter-class><lifecycle>RENDER_PHASE</lifecycle></filter>\
                          <filter-mapping><filter-name>audit</filter-name><portlet-name>contacts*</portlet-name></filter-mapping>{app_end}"),
            ),
        ),
        (
            "listener",
            portlet.replace(
                app_end,
                &format!("<listener><listener-class>x.L</listener-class></listener>{app_end}"),
            ),
        ),
    ];
    let class = "<portlet-class>widget-host:contacts-center</portlet-class>";
    assert!(portlet.contains(class), "the shipped file changed");
    for (element, text) in cases {
        let catalog = load_edited("contacts-center", "portlet.xml", &text);
        assert!(
            catalog.get("contacts_center").is_none(),
            "{element}: served"
        );
        let found: Vec<_> = catalog
            .problems
            .iter()
            .filter(|p| p.message.contains("runs no Java"))
            .collect();
        assert_eq!(
            found.len(),
            1,
            "{element}: {:?}",
            messages(&catalog.problems)
        );
        assert_eq!(found[0].element, element);
        // A Java portlet's hooks are the portal's to run: no such problem.
        let java = text.replace(class, "<portlet-class>x.P</portlet-class>");
        let catalog = load_edited("contacts-center", "portlet.xml", &java);
        assert!(
            !catalog
                .problems
                .iter()
                .any(|p| p.message.contains("runs no Java")),
            "{element}: {:?}",
            messages(&catalog.problems)
        );
    }
    // A filter mapped to another portlet only is no concern of this one.
    let elsewhere = portlet.replace(
        app_end,
        &format!("<filter><filter-name>audit</filter-name><filter-class>x.F</filter-class><lifecycle>RENDER_PHASE</lifecycle></filter>\
                  <filter-mapping><filter-name>audit</filter-name><portlet-name>other</portlet-name></filter-mapping>{app_end}"),
    );
    let catalog = load_edited("contacts-center", "portlet.xml", &elsewhere);
    assert!(
        !catalog
            .problems
            .iter()
            .any(|p| p.message.contains("runs no Java")),
        "{:?}",
        messages(&catalog.problems)
    );
}

/// `descriptors check` with no path takes a descriptors_dir that is not there as
/// `serve` does: the built-in widgets serve until it is made, which passes, unless
/// the folder above is missing too and nothing could wait for it. A file in its
/// place is a problem: no folder can arrive there while it is.
#[test]
fn checking_a_missing_descriptors_dir_says_what_serve_would_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("widgets");
    let report = descriptors::check_served(&missing);
    assert!(report.passed(), "{report}");
    assert_eq!(
        report.checked[0].portlets,
        ["contacts_center", "notifications"],
        "{report}"
    );
    assert!(
        report
            .to_string()
            .contains("serve uses the built-in widgets"),
        "{report}"
    );
    let file = dir.path().join("portlet.xml");
    std::fs::write(&file, shipped_text("notifications", "portlet.xml")).expect("write");
    let report = descriptors::check_served(&file);
    assert!(!report.passed(), "{report}");
    assert!(
        report
            .to_string()
            .contains("descriptors_dir is a file, not a folder"),
        "{report}"
    );
    let orphan = dir.path().join("no-such-parent/widgets");
    let report = descriptors::check_served(&orphan);
    assert!(!report.passed(), "{report}");
    assert!(
        report.to_string().contains("cannot be watched for"),
        "{report}"
    );
}
