//! The widgets' markup as a portal page receives it: every control labelled, every id
//! namespaced, no global CSS or JS, and one self-contained enhancement script per
//! fragment that only ever touches its own wrapper.

mod widget_support;

use widget_host::portal::PortletMode;
use widget_support::*;

/// One start tag of a fragment: its name and attributes, entities decoded, plus the
/// byte range of the tag in the HTML.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: Vec<(String, String)>,
    end: usize,
}

impl Tag {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(value: &str) -> String {
    value
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A small HTML tokenizer, enough for the host's own markup: start tags with quoted or
/// bare attributes, end tags (named `/x`), comments skipped, `<script>` as raw text.
fn tags(html: &str) -> Vec<Tag> {
    let bytes = html.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(offset) = html[i..].find('<') {
        let start = i + offset;
        if html[start..].starts_with("<!--") {
            i = start + html[start..].find("-->").expect("closed comment") + 3;
            continue;
        }
        let mut j = start + 1;
        let closing = bytes.get(j) == Some(&b'/');
        if closing {
            j += 1;
        }
        let name_start = j;
        while j < bytes.len() && bytes[j].is_ascii_alphanumeric() {
            j += 1;
        }
        if j == name_start {
            i = start + 1;
            continue;
        }
        let name = html[name_start..j].to_ascii_lowercase();
        let mut attrs = Vec::new();
        loop {
            while j < bytes.len() && bytes[j].is_ascii_whitespace() {
                j += 1;
            }
            match bytes.get(j) {
                None => panic!("unclosed tag at {start}"),
                Some(b'>') => break,
                Some(b'/') => {
                    j += 1;
                    continue;
                }
                _ => {}
            }
            let attr_start = j;
            while j < bytes.len() && !b" \t\n=>/".contains(&bytes[j]) {
                j += 1;
            }
            let attr = html[attr_start..j].to_ascii_lowercase();
            let mut value = String::new();
            if bytes.get(j) == Some(&b'=') {
                j += 1;
                match bytes.get(j) {
                    Some(q @ (b'"' | b'\'')) => {
                        let close = html[j + 1..].find(*q as char).expect("closed value");
                        value = decode(&html[j + 1..j + 1 + close]);
                        j += close + 2;
                    }
                    _ => {
                        let v_start = j;
                        while j < bytes.len() && !bytes[j].is_ascii_whitespace() && bytes[j] != b'>'
                        {
                            j += 1;
                        }
                        value = decode(&html[v_start..j]);
                    }
                }
            }
            attrs.push((attr, value));
        }
        let end = j + 1;
        i = end;
        if name == "script" && !closing {
            i += html[end..].find("</script>").expect("closed script");
        }
        out.push(Tag {
            name: if closing { format!("/{name}") } else { name },
            attrs,
            end,
        });
    }
    out
}

/// The text of an element from the end of its start tag to its end tag, tags removed.
fn inner_text(html: &str, all: &[Tag], index: usize) -> String {
    let name = &all[index].name;
    let close = all[index + 1..]
        .iter()
        .position(|t| t.name == format!("/{name}"))
        .map(|p| index + 1 + p)
        .expect("closed element");
    let mut text = String::new();
    let mut from = all[index].end;
    for t in &all[index + 1..=close] {
        let tag_start = html[..t.end].rfind('<').expect("tag start");
        text.push_str(&html[from..tag_start]);
        from = t.end;
    }
    text.trim().to_owned()
}

/// The JavaScript of every `<script>` in `html`.
fn scripts(html: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = rest.find("<script") {
        let body = &rest[at..];
        let open = body.find('>').expect("script tag") + 1;
        let close = body.find("</script>").expect("closed script");
        out.push(&body[open..close]);
        rest = &body[close..];
    }
    out
}

/// What every fragment must satisfy. `ns` is the placement's namespace.
fn check_fragment(label: &str, html: &str, ns: &str) {
    let all = tags(html);
    assert!(!all.is_empty(), "{label}: no markup");
    // The root says the fragment's language (WCAG 3.1.2): the portal's page may be in
    // another, and an aggregating portal drops `Content-Language`.
    assert!(
        all[0].attr("lang").is_some_and(|l| !l.is_empty()),
        "{label}: root <{}> has no lang",
        all[0].name
    );
    let ids: Vec<&str> = all.iter().filter_map(|t| t.attr("id")).collect();

    for t in &all {
        // No global CSS: no style sheets, no inline styles.
        assert_ne!(t.name, "style", "{label}: <style> in fragment");
        assert!(
            !(t.name == "link" && t.attr("rel").is_some_and(|r| r.contains("stylesheet"))),
            "{label}: <link rel=stylesheet> in fragment"
        );
        assert!(t.attr("style").is_none(), "{label}: style= on <{}>", t.name);
        // Every id, and every reference to one, carries the namespace.
        for name in ["id", "for", "form", "aria-labelledby", "aria-describedby"] {
            if let Some(value) = t.attr(name) {
                for id in value.split_whitespace() {
                    assert!(id.starts_with(ns), "{label}: {name}={id:?} lacks {ns}");
                    if name != "id" {
                        assert!(ids.contains(&id), "{label}: {name}={id:?} names no element");
                    }
                }
            }
        }
    }
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{label}: duplicate ids {ids:?}");

    for (index, t) in all.iter().enumerate() {
        let control = match t.name.as_str() {
            "input" => !matches!(
                t.attr("type").unwrap_or("text"),
                "hidden" | "submit" | "button" | "reset"
            ),
            "select" | "textarea" => true,
            _ => false,
        };
        if control {
            let labelled_for = t.attr("id").is_some_and(|id| {
                all.iter()
                    .any(|l| l.name == "label" && l.attr("for") == Some(id))
            });
            let aria = t.attr("aria-label").is_some_and(|v| !v.trim().is_empty())
                || t.attr("aria-labelledby").is_some();
            assert!(
                labelled_for || aria,
                "{label}: unlabelled <{} name={:?}>",
                t.name,
                t.attr("name")
            );
        }
        if t.name == "label" {
            let text = inner_text(html, &all, index);
            assert!(
                !text.is_empty(),
                "{label}: empty <label for={:?}>",
                t.attr("for")
            );
        }
        if t.name == "button" {
            let text = inner_text(html, &all, index);
            let aria = t.attr("aria-label").is_some_and(|v| !v.trim().is_empty());
            // A `hidden` one is in no accessibility tree, so it needs no name: the
            // selection toolbar's first submit button, which only keeps Enter on a
            // ticked box from submitting anything.
            let hidden = t.attr("hidden").is_some();
            assert!(
                !text.is_empty() || aria || hidden,
                "{label}: button without a name"
            );
            assert!(
                t.attr("type").is_some(),
                "{label}: button without an explicit type"
            );
        }
        // Buttons are buttons: no clickable links without a target.
        if t.name == "a" {
            let href = t.attr("href").unwrap_or("");
            // `download` saves whatever comes back, so a refusal's page (an expired
            // link, a person deleted since) would be a failed download, never read.
            // The host's answers say `attachment` themselves.
            assert!(
                t.attr("download").is_none(),
                "{label}: <a download> hides refusals: {href}"
            );
            assert!(
                !href.is_empty() && href != "#" && !href.starts_with("javascript:"),
                "{label}: <a> that is not a link: {href:?}"
            );
            // A link hidden from screen readers and the keyboard (an avatar beside
            // its person's name) must repeat a link they do reach; any other link
            // has a name.
            let hidden = t.attr("aria-hidden") == Some("true") && t.attr("tabindex") == Some("-1");
            if hidden {
                assert!(
                    all.iter().enumerate().any(|(i, other)| other.name == "a"
                        && other.attr("href") == Some(href)
                        && other.attr("aria-hidden").is_none()
                        && !inner_text(html, &all, i).is_empty()),
                    "{label}: a hidden link that repeats no named one: {href}"
                );
            } else {
                assert!(
                    !inner_text(html, &all, index).is_empty() || t.attr("aria-label").is_some(),
                    "{label}: link without a name: {href}"
                );
            }
        }
    }

    // Headings sit under the portal's own: Liferay (and the demo) titles a portlet
    // with an <h2>, so a fragment's headings start at <h3> and go down one level at a
    // time, and a screen reader's list of headings reads as the page's outline.
    let mut level = 2;
    for t in &all {
        if let Some(n) = t.name.strip_prefix('h').and_then(|n| n.parse::<u32>().ok()) {
            assert!(
                (3..=level + 1).contains(&n),
                "{label}: <h{n}> after <h{level}>"
            );
            level = n;
        }
    }

    // One element at most takes the focus on load: with two, the browser's choice is
    // the page's order, not the outcome's.
    assert!(
        all.iter().filter(|t| t.attr("autofocus").is_some()).count() <= 1,
        "{label}: more than one autofocus"
    );

    // Status messages are announced.
    for t in all.iter().filter(|t| {
        t.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == "alert"))
    }) {
        assert!(
            matches!(t.attr("role"), Some("status") | Some("alert")),
            "{label}: alert without a live role"
        );
    }

    // Left to right whatever the portal page's direction (every bundle is), and each
    // person's name laid out by its own letters.
    if let Some(root) = all.iter().find(|t| !t.name.starts_with('/')) {
        assert_eq!(root.attr("dir"), Some("ltr"), "{label}: the wrapper's dir");
    }
    for name in all.iter().filter(|t| {
        t.attr("class")
            .is_some_and(|c| c.split_whitespace().any(|c| c == "list-group-title"))
            && t.name == "a"
    }) {
        assert_eq!(name.attr("dir"), Some("auto"), "{label}: a name's dir");
    }
    // Lists stay lists to VoiceOver, whose WebKit drops the role of an unbulleted one.
    for list in all.iter().filter(|t| t.name == "ul") {
        assert_eq!(
            list.attr("role"),
            Some("list"),
            "{label}: <ul> without role"
        );
    }
    // One navigation landmark a placement, and every landmark named.
    let navs = all.iter().filter(|t| t.name == "nav").count();
    assert!(navs <= 1, "{label}: {navs} navigation landmarks");
    for landmark in all
        .iter()
        .filter(|t| t.name == "nav" || t.attr("role") == Some("search"))
    {
        assert!(
            landmark.attr("aria-label").is_some_and(|l| !l.is_empty()),
            "{label}: <{}> landmark without a name",
            landmark.name
        );
    }

    // At most one enhancement script, bound to the fragment's own wrapper.
    let found = scripts(html);
    assert!(found.len() <= 1, "{label}: {} scripts", found.len());
    let has_forms = all.iter().any(|t| t.name == "form");
    if has_forms {
        assert_eq!(found.len(), 1, "{label}: forms but no enhancement script");
    }
    if let Some(script) = found.first() {
        let wrapper = all
            .iter()
            .find(|t| t.name == "div" && t.attr("id").is_some())
            .and_then(|t| t.attr("id"))
            .expect("wrapper id");
        assert!(wrapper.starts_with(ns));
        check_script(label, script, wrapper);
    }
}

/// The script is one immediately invoked function: nothing at the top level but the
/// function and its call with the wrapper's id, so it declares no globals; strict mode
/// turns any accidental assignment to an undeclared name into an error instead of a
/// global; every element lookup goes through the wrapper id.
fn check_script(label: &str, script: &str, wrapper: &str) {
    let script = script.trim();
    // Its explanation lives in template comments, not in every fragment sent.
    for line in script.lines() {
        let line = line.trim_start();
        assert!(
            !line.starts_with("//") && !line.starts_with("{#"),
            "{label}: the script ships a comment: {line}"
        );
    }
    // Every fragment carries it: a budget keeps it from growing unnoticed. 7 KiB since
    // it stopped posting an action twice after a failed answer and guarded "View
    // more" against a second click (about 6.3 KB, a fifth of a home page); 7.5 KiB
    // since it sends one request at a time and puts back what a refused form held;
    // 8.5 KiB since an action's answer refreshes the page's other placements (8.5 KB);
    // 9 KiB since dates read in the reader's time zone and language (9,196 bytes;
    // 9,206 once they read in the reader's region, two loops written shorter to fit);
    // 9.5 KiB since boxes ticked for the selection toolbar are kept through another
    // placement's refresh (9,240 bytes); 10 KiB since a search's "View more" that
    // finds nobody more keeps the rows already found (9,879 bytes); 10.5 KiB since
    // Block and Delete ask first (10,301 bytes); 11.5 KiB since a busy host's refusal
    // and a press made offline post the form the ordinary way, and a run of the
    // script done again lets the earlier run's listeners go (11,409 bytes); 10.5 KiB
    // since its lines go out without their indentation (10,023 bytes, with a
    // placement refreshed under the focus keeping it on the same control); 11.5 KiB
    // since a portal's page in an action's own answer is shown rather than posted
    // again, and an outcome that arrives where the reader went on is spoken (11,164
    // bytes); 12 KiB since a browser too old for the rest still asks before Block,
    // and the selection toolbar asks nothing when nobody is ticked (11,898 bytes);
    // 13 KiB since an action it could not confirm is said so after the page is
    // loaded afresh, on that page alone and within two minutes (12,812 bytes);
    // 13.5 KiB since that page is loaded without the seals of earlier outcomes, and
    // only what a running request refuses is marked so (13,519 bytes), and an answer
    // that comes after the person went on to another page leaves them there (13,701);
    // 14 KiB since an action after "View more" keeps the rows shown (13,970); 14.5 KiB
    // since a card opened from such a list goes back to it as it was (14,409); 15
    // KiB since the markup asks before Block, Disconnect and Delete without the
    // script, and the script takes that way of asking away where it asks itself
    // (about 14,900); 15.5 KiB since a form the browser posts itself is sent once
    // for a double press, no press sends a second action while the page leaves, and
    // a connection lost after the action was sent posts nothing again (15,524); 16
    // KiB since a page that leaves does so for ten seconds at most, on every way it
    // hands over, and asks no question it would not act on (15,894), and since a
    // refusal arrives as a status where the focus goes and a question's description
    // goes with the question (16,257); 16.5 KiB since a control gone from a
    // placement refreshed under the focus leaves it on the placement's count, its
    // empty note or the Contacts Center's summary (about 16,400: 16,397 for home).
    assert!(
        script.len() < 16 * 1024 + 512,
        "{label}: the script is {} bytes",
        script.len()
    );
    assert!(
        script.starts_with("(function (rootId, unconfirmed) {"),
        "{label}: script is not an IIFE"
    );
    // Called with the wrapper's id and the words it says after an action it could
    // not confirm, in the fragment's language: two JSON strings.
    let opening = format!(")({}, ", serde_json::to_string(wrapper).expect("json"));
    let at = script
        .rfind(&opening)
        .unwrap_or_else(|| panic!("{label}: script is not called with its wrapper id {wrapper:?}"));
    let words = script[at + opening.len()..]
        .strip_suffix(");")
        .and_then(|arg| serde_json::from_str::<String>(arg).ok())
        .unwrap_or_default();
    assert!(
        !words.is_empty() && !words.contains("your-last-action"),
        "{label}: the script is not given its words"
    );
    let call = &script[at..];
    // Walk braces outside strings and comments: the body closes exactly where the
    // call begins, so no statement sits at the top level.
    let body_start = script.find('{').expect("function body");
    let mut depth = 0usize;
    let mut body_end = None;
    let mut chars = script[body_start..].char_indices().peekable();
    let mut quote: Option<char> = None;
    while let Some((i, c)) = chars.next() {
        if let Some(q) = quote {
            if c == '\\' {
                chars.next();
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => quote = Some(c),
            '/' if chars.peek().map(|(_, n)| *n) == Some('/') => {
                for (_, n) in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    body_end = Some(body_start + i);
                    break;
                }
            }
            _ => {}
        }
    }
    let body_end = body_end.expect("function body closes");
    assert_eq!(
        script[body_end + 1..].trim(),
        call,
        "{label}: code after the IIFE"
    );
    let body = &script[body_start..body_end];
    assert!(
        body.trim_start_matches('{')
            .trim_start()
            .lines()
            .any(|l| l.trim() == "\"use strict\";"),
        "{label}: not strict"
    );
    for global in [
        "window.",
        "globalThis",
        "self.",
        "top.",
        "parent.",
        "document.write",
        "document.querySelector",
        "document.getElementsBy",
        "document.forms",
        "document.links",
        "document.all",
        "document.body.",
        "document.documentElement.querySelector",
        "localStorage",
        "sessionStorage",
        "eval(",
        "new Function",
    ] {
        // Feature tests, and the one event only `window` receives: `pageshow`, when a
        // page comes back from the back/forward cache (and letting it go, when the
        // portal runs the script again). And the one note kept across a reload, under
        // the placement's own key: that an action could not be confirmed.
        let allowed = [
            "window.fetch",
            "window.DOMParser",
            "window.SubmitEvent",
            "window.AbortController",
            "window.performance",
            "window.addEventListener(\"pageshow\"",
            "window.removeEventListener(\"pageshow\"",
            "sessionStorage.setItem(unsure,",
            "sessionStorage.getItem(unsure)",
            "sessionStorage.removeItem(unsure)",
        ];
        // Whole words only: `itself.` is not `self.`.
        let word = |needle: &str| {
            body.match_indices(needle)
                .filter(|(at, _)| {
                    !body[..*at]
                        .chars()
                        .next_back()
                        .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$' || c == '.')
                })
                .count()
        };
        let hits = word(global);
        let allowed_hits: usize = allowed
            .iter()
            .filter(|a| a.starts_with(global))
            .map(|a| word(a))
            .sum();
        assert_eq!(
            hits, allowed_hits,
            "{label}: script uses {global} (only feature tests of window and pageshow are allowed)"
        );
    }
    for (at, _) in body.match_indices("getElementById(") {
        assert!(
            body[at..].starts_with("getElementById(rootId)"),
            "{label}: script looks up an element other than its wrapper"
        );
    }
    assert!(!body.contains("</"), "{label}: markup inside the script");
    check_handlers_keep_to_their_wrapper(label, body);
}

/// The script listens for clicks and submits on the whole document (the widget's
/// markup is replaced as it goes), and every placement on a page runs a copy: each
/// handler must act only on what happened inside its own wrapper, or one submit
/// would be posted by every placement. So each element a handler takes from
/// `event.target` must be checked with `el.contains(…)`, `el` being its wrapper.
fn check_handlers_keep_to_their_wrapper(label: &str, body: &str) {
    // A function's body from its opening brace at `open`, up to the brace that closes
    // it; braces in strings are passed over (the script writes no regular expression
    // or template string with one).
    let function_body = |open: usize| -> &str {
        let mut depth = 0;
        let mut quote = None;
        let mut escaped = false;
        for (i, c) in body[open..].char_indices() {
            match quote {
                Some(q) => {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == q {
                        quote = None;
                    }
                }
                None => match c {
                    '"' | '\'' => quote = Some(c),
                    '{' => depth += 1,
                    '}' => {
                        depth -= 1;
                        if depth == 0 {
                            return &body[open..=open + i];
                        }
                    }
                    _ => {}
                },
            }
        }
        panic!("{label}: a function that does not end: {}", &body[open..])
    };
    // Every listener for clicks or submits is one the check below reads: on the
    // document, written as the check looks for it. One written otherwise would pass
    // unread.
    for (at, _) in body.match_indices("addEventListener(") {
        let rest = body[at + "addEventListener(".len()..].trim_start();
        let event = rest
            .trim_start_matches(['"', '\''])
            .split(|c: char| !c.is_ascii_alphabetic())
            .next()
            .unwrap_or_default();
        if event == "click" || event == "submit" {
            assert!(
                body[..at].ends_with("document.") && rest.starts_with(&format!("\"{event}\", ")),
                "{label}: a {event} listener the check cannot read: {}",
                body.get(body[..at].rfind('\n').map_or(0, |n| n + 1)..(at + 40).min(body.len()))
                    .unwrap_or_default()
            );
        }
    }
    let mut handlers = 0;
    for event in ["\"submit\", ", "\"click\", "] {
        let registration = format!("document.addEventListener({event}");
        for (at, _) in body.match_indices(&registration) {
            let rest = &body[at + registration.len()..];
            // An inline function, or one named, whose definition is found by its name.
            let open = if rest.starts_with("function") {
                at + registration.len() + rest.find('{').expect("its body")
            } else {
                let name = &rest[..rest.find(')').expect("the call's end")];
                let definition = body
                    .find(&format!("function {name}("))
                    .unwrap_or_else(|| panic!("{label}: no handler {name}"));
                definition + body[definition..].find('{').expect("its body")
            };
            let handler = function_body(open);
            // Each element taken, and what the handler does with it before it first
            // keeps the browser from acting (`preventDefault`): the check comes first.
            let taken: Vec<(&str, &str)> = handler
                .match_indices(" = event.target")
                .map(|(at, _)| {
                    let before = &handler[..at];
                    let from = before
                        .rfind(|c: char| !c.is_alphanumeric() && c != '_')
                        .map_or(0, |p| p + 1);
                    let after = &handler[at..];
                    let until = after.find("preventDefault(").unwrap_or(after.len());
                    (&before[from..], &after[..until])
                })
                .collect();
            assert!(
                !taken.is_empty(),
                "{label}: a handler that takes no element: {handler}"
            );
            for (element, first) in taken {
                assert!(
                    first.contains(&format!("el.contains({element})")),
                    "{label}: {element} is not checked to be in the wrapper: {handler}"
                );
            }
            handlers += 1;
        }
    }
    assert!(handlers > 0, "{label}: no document handler found");
}

/// A graph with requests both ways, connections, follows and a personal contact, so
/// every view has rows, forms and badges.
fn busy_world() -> World {
    let w = world();
    for (id, given, family) in [
        ("a", "Ann", "Archer"),
        ("b", "Bob", "Baker"),
        ("c", "Cid", "Cole"),
        ("d", "Dee", "Dunn"),
    ] {
        w.add(id, given, family);
    }
    assert!(cc(Some("b")).named("connect").p("userId", "a").ok(&w).ok);
    assert!(cc(Some("a")).named("connect").p("userId", "c").ok(&w).ok);
    assert!(cc(Some("a")).named("connect").p("userId", "d").ok(&w).ok);
    let reader = w.social.read().expect("read");
    let request = reader.requests_received("d").expect("requests")[0].request_id;
    drop(reader);
    assert!(
        cc(Some("d"))
            .named("accept-request")
            .p("requestId", &request.to_string())
            .ok(&w)
            .ok
    );
    assert!(cc(Some("a")).named("follow").p("userId", "b").ok(&w).ok);
    assert!(
        cc(Some("a"))
            .named("save-contact")
            .p("fullName", "Eve Eden")
            .p("emailAddress", "eve@example.com")
            .p("comments", "met at a conference")
            .ok(&w)
            .ok
    );
    w
}

#[test]
fn every_view_is_labelled_namespaced_and_free_of_global_css() {
    let w = busy_world();
    let ns = "_contacts_center_";
    let views = [
        ("home", cc(Some("a"))),
        (
            "home with message",
            cc(Some("a")).p("message", "you-are-now-following-this-user"),
        ),
        ("connections", cc(Some("a")).p("filter", "connections")),
        ("requests", cc(Some("a")).p("filter", "requests")),
        ("requests sent", cc(Some("a")).p("filter", "requests-sent")),
        ("contacts", cc(Some("a")).p("filter", "contacts")),
        ("search", cc(Some("a")).p("keywords", "bob")),
        ("detail", cc(Some("a")).p("userId", "b")),
        ("detail of a connection", cc(Some("a")).p("userId", "d")),
        ("owner", cc(Some("a")).owner("d")),
        ("guest", cc(None)),
        ("edit", cc(Some("a")).admin().mode(PortletMode::Edit)),
        (
            "edit in German",
            cc(Some("a"))
                .admin()
                .mode(PortletMode::Edit)
                .locale("de_DE"),
        ),
        ("home in Japanese", cc(Some("a")).locale("ja_JP")),
    ];
    for (label, call) in views {
        let html = call.html(&w);
        check_fragment(label, &html, ns);
    }
    for (label, call) in [
        ("notifications", notes(Some("a"))),
        ("notifications empty", notes(Some("b"))),
        ("notifications guest", notes(None)),
    ] {
        let html = call.html(&w);
        // Each reaches its own state: a list, nothing to answer, the sign-in hint.
        let (state, has) = match label {
            "notifications" => ("id=\"_notifications_requests\"", true),
            "notifications empty" => ("id=\"_notifications_empty\"", true),
            _ => ("<script", false),
        };
        assert_eq!(html.contains(state), has, "{label}: {html}");
        check_fragment(label, &html, "_notifications_");
    }
}

/// A row's selection checkbox has a namespaced id with the person's id in it, and its
/// label points at it.
#[test]
fn a_selection_checkbox_id_is_namespaced_and_names_its_person() {
    let w = busy_world();
    w.add("e.f-9", "Eff", "Fox");
    let html = cc(Some("a")).html(&w);
    let all = tags(&html);
    for (person, name) in [("b", "Bob Baker"), ("e.f-9", "Eff Fox")] {
        let id = format!("_contacts_center_select-{person}");
        assert!(html.contains(&format!(r#"<label for="{id}">"#)), "{html}");
        // The box sends that person, and its label (for screen readers) names them.
        let at = all
            .iter()
            .position(|t| t.name == "input" && t.attr("id") == Some(id.as_str()))
            .expect("the box");
        assert_eq!(all[at].attr("value"), Some(person), "{html}");
        assert_eq!(
            inner_text(&html, &all, at + 2),
            format!("Select {name}"),
            "{html}"
        );
    }
}

/// The root's `lang` is the language the texts are in: the request's when the host
/// has it (a region it lacks reads the language's own), English otherwise.
#[test]
fn every_fragment_names_the_language_its_texts_are_in() {
    let w = busy_world();
    let english = ["Search", "Back", "Sign in to see", "Save", "Ignore"];
    for (locale, lang, words) in [
        ("en_US", "en-US", english),
        (
            "de_DE",
            "de-DE",
            [
                "Suchen",
                "Zurück",
                "Melden Sie sich an",
                "Speichern",
                "Ignorieren",
            ],
        ),
        (
            "pt_BR",
            "pt-BR",
            ["Pesquisar", "Voltar", "Entre para ver", "Salvar", "Ignorar"],
        ),
        (
            "es_MX",
            "es-ES",
            ["Buscar", "Volver", "Inicia sesión", "Guardar", "Ignorar"],
        ),
        ("xx_YY", "en-US", english),
    ] {
        // Each view's texts are in that language indeed: one of its own words, as
        // the view writes it.
        let [search, back, sign_in, save, ignore] = words;
        for (label, call, text) in [
            ("home", cc(Some("a")), format!(">{search}</button>")),
            (
                "detail",
                cc(Some("a")).p("userId", "c"),
                format!("_back\">{back}</a>"),
            ),
            ("guest", cc(None), format!(">{sign_in}")),
            (
                "edit",
                cc(Some("a")).admin().mode(PortletMode::Edit),
                format!(">{save}</button>"),
            ),
            ("notifications", notes(Some("a")), format!(">{ignore}<")),
        ] {
            let html = call.locale(locale).html(&w);
            let root = tags(&html).into_iter().next().expect("a root");
            assert_eq!(root.attr("lang"), Some(lang), "{label} in {locale}");
            assert!(
                html.contains(&text),
                "{label} in {locale}: {text} in {html}"
            );
        }
    }
}

#[test]
fn the_checker_catches_what_it_looks_for() {
    // The checks above must be able to fail: feed them broken markup, each sample
    // broken one way and caught for that reason, not for an earlier check's.
    let ns = "_x_";
    for (html, why) in [
        ("", "no markup"),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><link rel=\"stylesheet\" href=\"/s.css\"></div>",
            "<link rel=stylesheet>",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><input id=\"_x_r\" aria-label=\"R\" aria-describedby=\"_x_none\"></div>",
            "aria-describedby=\"_x_none\" names no element",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><label for=\"_x_r\"></label><input id=\"_x_r\"></div>",
            "empty <label",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\n})(\"_x_w\", \"Not confirmed.\");</script><script>(function (rootId, unconfirmed) {\n})(\"_x_w\", \"x\");</script></div>",
            "2 scripts",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\n// a note\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "the script ships a comment",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\nvar b = \"<\" + \"/b>\"; var c = \"</b>\";\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "markup inside the script",
        ),
        ("<div id=\"_x_w\"></div>", "root <div> has no lang"),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><input type=\"text\" name=\"_x_q\"></div>",
            "unlabelled <input",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><label for=\"_x_q\">Q</label><input id=\"_x_r\" name=\"_x_q\"></div>",
            "for=\"_x_q\" names no element",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><input id=\"q\" aria-label=\"Q\"></div>",
            "id=\"q\" lacks _x_",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><button type=\"submit\"></button></div>",
            "button without a name",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><button>Go</button></div>",
            "button without an explicit type",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\" style=\"color:red\"></div>",
            "style= on <div>",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><style>p{}</style></div>",
            "<style> in fragment",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><div class=\"alert alert-success\">Done</div></div>",
            "alert without a live role",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><div class=\"alert alert-success\" role=\"status\" tabindex=\"-1\" autofocus>Done</div><input type=\"search\" aria-label=\"Search\" autofocus></div>",
            "more than one autofocus",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><form method=\"post\" action=\"/a\"><button type=\"submit\">Go</button></form></div>",
            "forms but no enhancement script",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\nwindow.x = 1;\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "script uses window.",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>var leaked = 1;(function (rootId, unconfirmed) {\n\"use strict\";\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "script is not an IIFE",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\n})(\"_x_other\", \"Not confirmed.\");</script></div>",
            "script is not called with its wrapper id",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\n})(\"_x_w\", \"\");</script></div>",
            "the script is not given its words",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\n})(\"_x_w\", \"x\"); g()(\"_x_w\", \"Not confirmed.\");</script></div>",
            "code after the IIFE",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\nwindow.fetch;\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "not strict",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\ndocument.getElementById(\"other\");\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "script looks up an element other than its wrapper",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\nsessionStorage.setItem(\"k\", 1);\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "script uses sessionStorage",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\nvar forms = document.getElementsByTagName(\"form\");\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "script uses document.getElementsBy",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\nfunction sent(event) {\n  var el = document.getElementById(rootId), form = event.target;\n  if (!el) {\n    return;\n  }\n}\ndocument.addEventListener(\"submit\", sent);\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "form is not checked to be in the wrapper",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {\n\"use strict\";\ndocument.addEventListener('click', function (event) {});\n})(\"_x_w\", \"Not confirmed.\");</script></div>",
            "a click listener the check cannot read",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><a href=\"/p\"><img alt=\"\"></a></div>",
            "link without a name: /p",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><a href=\"/p\" tabindex=\"-1\" aria-hidden=\"true\"><img alt=\"\"></a><a href=\"/q\">Q</a></div>",
            "a hidden link that repeats no named one: /p",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><a href=\"/v\" download>vCard</a></div>",
            "<a download> hides refusals",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><a href=\"#\">Top</a></div>",
            "<a> that is not a link",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><h2>Ann Archer</h2></div>",
            "<h2> after <h2>",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><h3>Ann Archer</h3><h5>Phones</h5></div>",
            "<h5> after <h3>",
        ),
        ("<div lang=\"en\" id=\"_x_w\"></div>", "the wrapper's dir"),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><a class=\"list-group-title\" href=\"/p\">Ann</a></div>",
            "a name's dir",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><ul class=\"list-group\"><li>Ann</li></ul></div>",
            "<ul> without role",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><nav aria-label=\"A\"></nav><nav aria-label=\"B\"></nav></div>",
            "2 navigation landmarks",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><nav></nav></div>",
            "<nav> landmark without a name",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><div role=\"search\"></div></div>",
            "<div> landmark without a name",
        ),
        (
            "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><p id=\"_x_a\"></p><p id=\"_x_a\"></p></div>",
            "duplicate ids",
        ),
    ] {
        let caught = std::panic::catch_unwind(|| check_fragment("bad", html, ns)).expect_err(html);
        let said = caught
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| caught.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        assert!(
            said.contains(why),
            "{html}: caught for another reason: {said}"
        );
    }
    // And a script past its budget.
    let long = format!(
        "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><script>(function (rootId, unconfirmed) {{\n\"use strict\";\nvar pad = \"{}\";\n}})(\"_x_w\", \"Not confirmed.\");</script></div>",
        "x".repeat(16 * 1024 + 512)
    );
    let caught = std::panic::catch_unwind(|| check_fragment("bad", &long, ns)).expect_err("caught");
    let said = caught.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(said.contains("bad: the script is 16"), "{said}");
    let hidden = "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><a href=\"/p\" tabindex=\"-1\" aria-hidden=\"true\"><img alt=\"\"></a><a href=\"/p\">P</a></div>";
    check_fragment("a hidden avatar link beside its named one", hidden, ns);
    let outline = "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><h3>Requests</h3><h3>Ann</h3><h4>Phones</h4><h3>Sent</h3></div>";
    check_fragment(
        "headings under the portal's title, one level at a time",
        outline,
        ns,
    );
    let lists = "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><nav aria-label=\"F\"><ul role=\"list\"><li><a href=\"/f\">F</a></li></ul></nav><div role=\"search\" aria-label=\"S\"></div><ul class=\"list-group\" role=\"list\"><li><a class=\"list-group-title\" href=\"/p\" dir=\"auto\">Ann</a></li></ul></div>";
    check_fragment("a named list of named people", lists, ns);
    let good = "<div lang=\"en\" dir=\"ltr\" id=\"_x_w\"><label for=\"_x_q\">Q</label><input id=\"_x_q\" name=\"_x_q\"><button type=\"submit\">Go</button><script>(function (rootId, unconfirmed) {\n\"use strict\";\nfunction sent(event) {\n  var el = document.getElementById(rootId), form = event.target;\n  if (!el || !el.contains(form)) {\n    return;\n  }\n}\ndocument.addEventListener(\"submit\", sent);\ndocument.addEventListener(\"click\", function (event) {\n  var el = document.getElementById(rootId), link = event.target.closest(\"a\");\n  if (link && el && el.contains(link)) {\n    return;\n  }\n});\n})(\"_x_w\", \"Not confirmed.\");</script></div>";
    check_fragment("good", good, ns);
}

#[test]
fn two_placements_on_one_page_each_enhance_only_their_own_wrapper() {
    let w = busy_world();
    let one = cc(Some("a"))
        .instance("contacts_center_INSTANCE_one")
        .html(&w);
    let two = cc(Some("a"))
        .instance("contacts_center_INSTANCE_two")
        .html(&w);
    check_fragment("one", &one, "_contacts_center_INSTANCE_one_");
    check_fragment("two", &two, "_contacts_center_INSTANCE_two_");
    let page = format!("{one}{two}");
    let found = scripts(&page);
    assert_eq!(found.len(), 2, "one script per fragment");
    assert!(found[0].contains("(\"_contacts_center_INSTANCE_one_contacts-center\", \""));
    assert!(found[1].contains("(\"_contacts_center_INSTANCE_two_contacts-center\", \""));
    // The same code in both: only the bound id differs.
    assert_eq!(
        found[0].replace("INSTANCE_one", "INSTANCE_two"),
        found[1],
        "the script differs by more than its wrapper id"
    );
    // No id is shared between the two placements.
    let ids = |html: &str| -> Vec<String> {
        tags(html)
            .iter()
            .filter_map(|t| t.attr("id").map(str::to_owned))
            .collect()
    };
    let (first, second) = (ids(&one), ids(&two));
    assert!(!first.is_empty());
    assert!(first.iter().all(|id| !second.contains(id)), "{first:?}");
}

#[test]
fn counts_and_filters_mark_the_current_one_and_enhancement_hooks_are_present() {
    let w = busy_world();
    let html = cc(Some("a")).p("filter", "connections").html(&w);
    let all = tags(&html);
    let counts = all
        .iter()
        .position(|t| t.attr("id") == Some("_contacts_center_counts"))
        .expect("counts list");
    let counts_end = all[counts..]
        .iter()
        .position(|t| t.name == "/ul")
        .map(|p| counts + p)
        .expect("counts close");
    let current: Vec<&Tag> = all[counts..counts_end]
        .iter()
        .filter(|t| t.attr("aria-current") == Some("page"))
        .collect();
    assert_eq!(current.len(), 1, "one current count: {html}");
    assert!(
        current[0]
            .attr("href")
            .is_some_and(|h| h.contains("filter=connections"))
    );
    let filters: Vec<&Tag> = all
        .iter()
        .filter(|t| t.name == "a" && t.attr("class").is_some_and(|c| c.contains("nav-link")))
        .filter(|t| t.attr("aria-current") == Some("page"))
        .collect();
    assert_eq!(filters.len(), 1, "one current filter: {html}");
    assert!(
        filters[0]
            .attr("href")
            .is_some_and(|h| h.contains("filter=connections"))
            && filters[0].attr("class") == Some("nav-link active"),
        "{html}"
    );
    // The list the script appends to carries its hook.
    assert!(
        all.iter()
            .any(|t| t.attr("id") == Some("_contacts_center_people")
                && t.attr("data-list") == Some("people"))
    );
}

#[test]
fn view_more_is_a_plain_link_the_script_can_take_over() {
    let w = world();
    w.add("a", "Ann", "Archer");
    for i in 0..25 {
        w.add(&format!("p{i:02}"), "Person", &format!("N{i:02}"));
    }
    let html = cc(Some("a")).html(&w);
    let all = tags(&html);
    let more = all
        .iter()
        .find(|t| t.attr("id") == Some("_contacts_center_view-more"))
        .expect("view more link");
    assert_eq!(more.name, "a");
    assert!(more.attr("data-view-more").is_some());
    assert!(
        more.attr("href")
            .is_some_and(|h| h.starts_with("https://portal.test/"))
    );
    // Followed without the script, it shows the next page: its cursor leads there.
    let cursor = link_param(&html, "view-more", "cursor");
    assert!(!cursor.is_empty());
    let next = cc(Some("a")).p("cursor", &cursor).html(&w);
    assert!(
        next.contains(">Person N24</a>") && !next.contains(">Person N00</a>"),
        "{next}"
    );
}

#[test]
fn edit_mode_labels_are_words_not_preference_names() {
    let w = busy_world();
    let edit = |locale: &str| {
        cc(Some("a"))
            .admin()
            .mode(PortletMode::Edit)
            .locale(locale)
            .html(&w)
    };
    let label_texts = |html: &str| -> Vec<String> {
        let all = tags(html);
        all.iter()
            .enumerate()
            .filter(|(_, t)| t.name == "label")
            .map(|(i, _)| inner_text(html, &all, i))
            .collect()
    };
    let english = label_texts(&edit("en_US"));
    assert!(english.contains(&"Show Phones".to_owned()), "{english:?}");
    // Liferay's settings for features this host lacks are read-only in the shipped
    // descriptor: not offered, since they would change nothing.
    for lacking in ["Show SMS", "Show Tags", "Show Sites", "Display Style"] {
        assert!(
            !english.contains(&lacking.to_owned()),
            "{lacking}: {english:?}"
        );
    }
    assert!(
        english.contains(&"Items per Page".to_owned()),
        "{english:?}"
    );
    assert!(
        english.contains(&"Show Users Information".to_owned()),
        "{english:?}"
    );
    for text in &english {
        assert!(
            !text.starts_with("show") && text != "pageSize" && text != "displayStyle",
            "raw preference name as a label: {text}"
        );
    }
    let german = label_texts(&edit("de_DE"));
    assert!(
        german.contains(&"Telefonnummern anzeigen".to_owned()),
        "{german:?}"
    );
    assert_ne!(english, german);
}

/// Items per Page says its bounds in words as well as in `min` and `max`, which screen
/// readers do not read out: the field is described by them, in the page's language.
#[test]
fn the_page_size_field_is_described_by_its_bounds() {
    let w = busy_world();
    for (locale, words) in [("en_US", "From 1 to 100"), ("de_DE", "Von 1 bis 100")] {
        let html = cc(Some("a"))
            .admin()
            .mode(PortletMode::Edit)
            .locale(locale)
            .html(&w);
        let all = tags(&html);
        let field = all
            .iter()
            .find(|t| t.name == "input" && t.attr("name").is_some_and(|n| n.ends_with("pageSize")))
            .expect("the page size field");
        assert_eq!(field.attr("min"), Some("1"), "{html}");
        assert_eq!(field.attr("max"), Some("100"), "{html}");
        let described_by = field.attr("aria-describedby").expect("described");
        let (at, _) = all
            .iter()
            .enumerate()
            .find(|(_, t)| t.attr("id") == Some(described_by))
            .expect("the description it names");
        assert_eq!(inner_text(&html, &all, at), words);
    }
}

/// The home view the host writes itself (`views/home_page.rs`) is byte for byte what
/// `home.html` makes of the same fields. An administrator's copy of `home.html` (the
/// built-in source behind a comment, which prints nothing) renders through the
/// template instead, so the same world rendered through both must give the same
/// fragment, in every state the page has.
#[test]
fn the_written_home_page_is_the_templates_own_markup_byte_for_byte() {
    use widget_host::social::{Action, PersonVerb};
    use widget_host::store::Person;

    let (_copy, written, fields) = written_and_copied("contacts_center/home.html");
    let social = written.social.clone();
    social
        .upsert_people(vec![
            odd_person("me", "Mé", "Viewer"),
            odd_person("a", "O'Brien & \"Sons\"", "<b>Able</b>"),
            Person {
                image: None,
                job_title: String::new(),
                ..odd_person("b", "Béa", "Baker")
            },
            odd_person("c", "Cat", "Cole"),
            odd_person("d", "Dee", "<script>alert(1)</script>"),
            odd_person("e", "", ""),
        ])
        .expect("people");
    for (actor, verb, other) in [
        ("me", PersonVerb::Connect, "a"),
        ("a", PersonVerb::Connect, "me"),
        ("me", PersonVerb::Follow, "a"),
        ("b", PersonVerb::Follow, "me"),
        ("me", PersonVerb::Connect, "c"),
        ("d", PersonVerb::Connect, "me"),
        ("me", PersonVerb::Block, "e"),
    ] {
        social
            .act(actor, Action::on(verb, other))
            .expect("act")
            .first()
            .expect("allowed");
    }
    let lists: [&[(&str, &str)]; 8] = [
        &[],
        &[("filter", "connections")],
        &[("filter", "following")],
        &[("filter", "followers")],
        &[("filter", "blocked")],
        &[("keywords", "o'brien")],
        &[("filter", "requests")],
        &[("userId", "nobody")],
    ];
    for params in lists {
        let call = params
            .iter()
            .fold(cc(Some("me")), |call, (k, v)| call.p(k, v));
        let a = call.html(&written);
        let b = call.html(&fields);
        assert_eq!(a, b, "{params:?}");
        assert!(a.contains("list-group-item"), "{params:?}: a list: {a}");
    }
    // A tab's search that found nobody, with its link to search everyone, the
    // words in it needing escapes.
    let call = cc(Some("me"))
        .p("filter", "following")
        .p("keywords", "<zz> & \"q\"");
    let (a, b) = (call.html(&written), call.html(&fields));
    assert_eq!(a, b);
    assert!(a.contains("Search Everyone for"), "{a}");
    let all = cc(Some("me")).html(&written);
    assert!(all.contains("O&#x27;Brien &amp; &quot;Sons&quot;"), "{all}");
    the_written_home_page_in_every_state(&written, &fields);
    // Each row's avatar opens the person's card, like the name beside it (the
    // product documentation: "click on the user avatar").
    {
        let html = &all;
        let rows = html.matches("<a class=\"list-group-title\"").count();
        let avatars = html
            .match_indices("<a class=\"sticker sticker-circle sticker-light user-icon\" href=\"")
            .map(|(at, found)| {
                let href = &html[at + found.len()..];
                &href[..href.find('"').expect("href end")]
            })
            .collect::<Vec<_>>();
        assert!(rows > 0, "{html}");
        assert_eq!(avatars.len(), rows, "{html}");
        for href in avatars {
            assert!(
                html.contains(&format!(
                    "<a class=\"list-group-title\" href=\"{href}\" dir=\"auto\">"
                )),
                "{href} in {html}"
            );
        }
    }
    check_fragment("the written page", &all, "_contacts_center_");
    // A portrait's address comes from a profile and may be anyone's server: it is
    // not told which page, or which person's list, showed it.
    let card = cc(Some("me")).p("userId", "a").html(&written);
    for html in [&all, &card] {
        let images = html.matches("<img ").count();
        assert!(images > 0, "{html}");
        assert_eq!(
            html.matches("\" alt=\"\" referrerpolicy=\"no-referrer\">")
                .count(),
            images,
            "{html}"
        );
    }
    assert!(
        all.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{all}"
    );
    assert!(!all.contains("<script>alert"), "{all}");
}

/// A render's fuel (the template instructions it may run before it is stopped, so that
/// an administrator's template cannot loop for ever) is far above what a real page
/// needs: an administrator's copy of `home.html` drawing a page of 100 people, the
/// most a placement shows, uses less than a twentieth of it.
#[test]
fn a_page_of_a_hundred_people_uses_a_small_part_of_a_renders_fuel() {
    use std::sync::Arc;
    use widget_host::i18n::Languages;
    use widget_host::templates::{RENDER_FUEL, Templates};
    use widget_host::widgets::builtin_widgets;

    let dir = copy_of_built_in(
        "contacts_center/home.html",
        "<!-- an administrator's copy -->",
    );
    let templates = Arc::new(Templates::new(Some(dir.path())));
    let social = widget_host::social::Social::in_memory().expect("social");
    let w = World::new(
        social.clone(),
        builtin_widgets(social, Arc::clone(&templates), Languages::shared()),
    );
    w.add("me", "Mé", "Viewer");
    for i in 0..120 {
        w.add(&format!("p{i:03}"), "Person", &format!("N{i:03}"));
    }
    let html = cc(Some("me"))
        .declared("pageSize", &["100"])
        .p("filter", "all")
        .html(&w);
    assert_eq!(html.matches("<a class=\"list-group-title\"").count(), 100);
    assert!(
        html.contains("<!-- an administrator's copy -->"),
        "the copy drew the page"
    );
    let used = templates.most_fuel_used();
    eprintln!("fuel used by a page of 100 people: {used} of {RENDER_FUEL}");
    assert!(used > 0 && used < RENDER_FUEL / 20, "{used}");
}

/// A folder holding an administrator's copy of the built-in template `name`: its text
/// after `lead`.
fn copy_of_built_in(name: &str, lead: &str) -> tempfile::TempDir {
    let source = widget_host::templates::Templates::builtin()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .expect("a built-in template");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(name);
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("mkdir");
    std::fs::write(&path, format!("{lead}{source}")).expect("write");
    dir
}

/// An administrator's copy of `widgets/macros.html` made before questions described
/// their buttons (its `question` takes the text alone) still draws the home view and
/// a card: the built-in `home.html` writes its selection's question itself rather than
/// calling that macro with an id the old copy would refuse (a render error, 500), and
/// the copy's own forms ask as they did.
#[test]
fn a_copy_of_the_macros_made_before_questions_had_ids_still_draws_every_view() {
    use std::sync::Arc;
    use widget_host::i18n::Languages;
    use widget_host::templates::Templates;
    use widget_host::widgets::builtin_widgets;

    let name = "widgets/macros.html";
    let source = Templates::builtin()
        .find(|(n, _)| *n == name)
        .map(|(_, s)| s)
        .expect("the built-in macros");
    let mut old = source.to_owned();
    for (new, before) in [
        (
            "{% macro question(text, id=none) -%}\n<span class=\"confirm-question\"{% if id %} id=\"{{ id }}\"{% endif %} data-question>",
            "{% macro question(text) -%}\n<span class=\"confirm-question\" data-question>",
        ),
        (
            "question(form.confirm, form.question_id)",
            "question(form.confirm)",
        ),
        (
            "{% if form.question_id %} aria-describedby=\"{{ form.question_id }}\"{% endif %}",
            "",
        ),
    ] {
        assert_eq!(old.matches(new).count(), 1, "{new}");
        old = old.replace(new, before);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("widgets")).expect("mkdir");
    std::fs::write(dir.path().join(name), old).expect("write");
    let copied = Templates::new(Some(dir.path()));
    assert!(!copied.is_builtin(name));
    let social = widget_host::social::Social::in_memory().expect("social");
    let w = World::new(
        social.clone(),
        builtin_widgets(social, Arc::new(copied), Languages::shared()),
    );
    w.add("me", "Mé", "Viewer");
    w.add("bob", "Bob", "Baker");
    let home = cc(Some("me")).render(&w).expect("the home view draws");
    assert!(
        home.contains("Block the selected people?"),
        "the selection asks: {home}"
    );
    let card = cc(Some("me"))
        .p("userId", "bob")
        .render(&w)
        .expect("the card draws");
    assert!(
        card.contains(
            "<span class=\"confirm-question\" data-question>Block \u{2068}Bob Baker\u{2069}?"
        ),
        "the copy's own question: {card}"
    );
}

/// A person whose every value needs escaping, with a portrait (the tests take the
/// portrait or the title away for the other cases).
fn odd_person(id: &str, given: &str, family: &str) -> widget_host::store::Person {
    widget_host::store::Person {
        id: id.to_owned(),
        given_name: given.to_owned(),
        family_name: family.to_owned(),
        email_address: format!("{id}&co@example.com"),
        job_title: "R&D <lead> \"north\" 'west'".to_owned(),
        image: Some(format!("https://img.example/{id}?a=1&b=\"2\"")),
        ..widget_host::store::Person::default()
    }
}

/// Two worlds over one store: `written`, on the built-in templates, whose views the
/// host writes itself, and `fields`, on an administrator's copy of the template `name`
/// (the built-in text behind a comment), which minijinja renders from the fields. The
/// directory holds the copy and must outlive the worlds.
fn written_and_copied(name: &str) -> (tempfile::TempDir, World, World) {
    use std::sync::Arc;
    use widget_host::i18n::Languages;
    use widget_host::templates::Templates;
    use widget_host::widgets::builtin_widgets;

    let dir = copy_of_built_in(name, "{# an administrator's copy #}");
    let builtin = Templates::new(None);
    let copied = Templates::new(Some(dir.path()));
    assert!(builtin.is_builtin(name));
    assert!(!copied.is_builtin(name));
    let written = world();
    let social = written.social.clone();
    let fields = World::new(
        social.clone(),
        builtin_widgets(social, Arc::new(copied), Languages::shared()),
    );
    (dir, written, fields)
}

/// A card's Back lands on the row it came from only where the list's template marks
/// that row: with an administrator's own `home.html` (or `owner.html`, on a person's
/// page) it leads to the list as before, without `from` or a fragment the copy would
/// not hold, and a portal page's link then lands on the placement.
#[test]
fn back_lands_on_a_row_only_where_the_lists_template_marks_it() {
    for (template, owner) in [
        ("contacts_center/home.html", None),
        ("contacts_center/owner.html", Some("b")),
    ] {
        let (_copy, written, copied) = written_and_copied(template);
        written.add("a", "Ann", "Archer");
        written.add("b", "Bob", "Baker");
        let card = |world: &World| {
            let call = cc(Some("a")).p("userId", "b").p("filter", "following");
            match owner {
                Some(owner) => call.owner(owner).html(world),
                None => call.html(world),
            }
        };
        let back = |html: &str| -> String {
            let at = html.find("id=\"_contacts_center_back\"").expect("Back");
            let href = &html[html[..at].rfind("href=\"").expect("its address") + 6..at];
            href.trim_end_matches("\" ").replace("&amp;", "&")
        };
        let landing = back(&card(&written));
        assert!(
            landing.contains("_contacts_center_from=b")
                && landing.ends_with("#_contacts_center_returned"),
            "{template}: {landing}"
        );
        let plain = back(&card(&copied));
        assert!(
            plain.contains("_contacts_center_filter=following")
                && !plain.contains("_contacts_center_from=")
                && !plain.contains('#'),
            "{template}: {plain}"
        );
    }
}

/// A person's card, written by the host (`views/detail_page.rs`), is byte for byte what
/// `detail.html` makes of the same fields, in every state of the card: one's own, each
/// standing's forms, every detail list with values that need escaping, a portrait and
/// initials, mutual connections, an outcome of either kind, the list it was opened
/// from, another language, rewritten (WSRP) URLs and details the preferences hide.
/// Each case names a piece of markup only its state has.
#[test]
fn the_written_card_is_the_templates_own_markup_byte_for_byte() {
    use widget_host::social::{Action, PersonVerb};
    use widget_host::store::{
        ContactInformation, EmailAddress, Person, Phone, PostalAddress, WebUrl,
    };

    let (_copy, written, fields) = written_and_copied("contacts_center/detail.html");
    let social = written.social.clone();
    let detailed = Person {
        user_account_contact_information: ContactInformation {
            email_addresses: vec![EmailAddress {
                email_address: "o'brien+<home>@example.com".to_owned(),
                ..EmailAddress::default()
            }],
            telephones: vec![
                Phone {
                    phone_number: "+1 <555> & 0100".to_owned(),
                    extension: "\"7\"".to_owned(),
                    ..Phone::default()
                },
                // Nothing to dial: text, not a link.
                Phone {
                    phone_number: "ask <reception>".to_owned(),
                    ..Phone::default()
                },
            ],
            postal_addresses: vec![PostalAddress {
                street_address_line1: "1 <Main> & Co".to_owned(),
                address_locality: "O'Town".to_owned(),
                ..PostalAddress::default()
            }],
            web_urls: vec![WebUrl {
                url: "https://example.com/?a=1&b=\"<2>\"".to_owned(),
                ..WebUrl::default()
            }],
        },
        ..odd_person("a", "O'Brien & \"Sons\"", "<b>Able</b>")
    };
    social
        .upsert_people(vec![
            odd_person("me", "Mé", "Viewer"),
            detailed,
            Person {
                image: None,
                job_title: String::new(),
                ..odd_person("b", "Béa", "Baker")
            },
            odd_person("c", "Cat", "Cole"),
            odd_person("d", "Dee", "<script>alert(1)</script>"),
            odd_person("e", "Eve", "Ely"),
            odd_person("f", "Fay", "Fox"),
            odd_person("g", "Gus", "Gray"),
            odd_person("h", "Hal", "Hunt"),
        ])
        .expect("people");
    for (actor, verb, other) in [
        ("me", PersonVerb::Connect, "a"),
        ("a", PersonVerb::Connect, "me"),
        ("me", PersonVerb::Follow, "a"),
        ("a", PersonVerb::Follow, "me"),
        ("me", PersonVerb::Connect, "h"),
        ("h", PersonVerb::Connect, "me"),
        ("a", PersonVerb::Connect, "h"),
        ("h", PersonVerb::Connect, "a"),
        ("b", PersonVerb::Connect, "a"),
        ("a", PersonVerb::Connect, "b"),
        ("b", PersonVerb::Connect, "me"),
        ("me", PersonVerb::Connect, "b"),
        ("me", PersonVerb::Connect, "c"),
        ("d", PersonVerb::Connect, "me"),
        ("me", PersonVerb::Block, "e"),
        ("f", PersonVerb::Block, "me"),
        ("g", PersonVerb::Follow, "me"),
    ] {
        social
            .act(actor, Action::on(verb, other))
            .expect("act")
            .first()
            .expect("allowed");
    }
    let same = |what: &str, call: Call, marker: &str| -> String {
        let a = call.html(&written);
        let b = call.html(&fields);
        assert_eq!(a, b, "{what}");
        assert!(
            a.contains("_contacts_center_person"),
            "{what}: no card in {a}"
        );
        assert!(a.contains(marker), "{what}: no {marker} in {a}");
        check_fragment(what, &a, "_contacts_center_");
        a
    };
    let card = |id: &str| cc(Some("me")).p("userId", id);
    let own = same("my own card", card("me"), "_contacts_center_actions\"><a ");
    assert!(!own.contains("<form"), "{own}");
    let a = same(
        "a connection with every detail",
        card("a"),
        "_contacts_center_mutual",
    );
    for piece in [
        "O&#x27;Brien &amp; &quot;Sons&quot; &lt;b&gt;Able&lt;/b&gt;",
        // Text people wrote, which may run right to left: its direction is its own.
        "<p class=\"card-subtitle\" dir=\"auto\">R&amp;D",
        // Addresses and numbers link to writing and calling; what would end a URI's
        // address is encoded in it, what would end the attribute escaped.
        "<li><a href=\"mailto:o&#x27;brien+%3Chome%3E@example.com\">o&#x27;brien+&lt;home&gt;@example.com</a></li>",
        // The main address too, under the name.
        "<p class=\"card-text\"><a href=\"mailto:a%26co@example.com\">a&amp;co@example.com</a></p>",
        "<li><a href=\"tel:+15550100\">+1 &lt;555&gt; &amp; 0100 ext. &quot;7&quot;</a></li><li>ask &lt;reception&gt;</li>",
        "<li dir=\"auto\">1 &lt;Main&gt; &amp; Co, O&#x27;Town</li>",
        "href=\"https://example.com/?a=1&amp;b=&quot;&lt;2&gt;&quot;\" rel=\"nofollow noopener noreferrer\"",
        "sticker-xl\" aria-hidden=\"true\"><span class=\"sticker-overlay\"><img",
        // Both mutual connections: one with a portrait, one with initials.
        "<span class=\"sticker-overlay\">BB</span>",
        "src=\"https://img.example/h?a=1&amp;b=&quot;2&quot;\"",
        "actions/disconnect",
        "actions/unfollow",
        "actions/remove-follower",
    ] {
        assert!(a.contains(piece), "no {piece} in {a}");
    }
    same(
        "no portrait, no title",
        card("b"),
        "sticker-xl\" aria-hidden=\"true\"><span class=\"sticker-overlay\">BB</span>",
    );
    same("a request received", card("d"), "actions/accept-request");
    // The portal page's CSP nonce on the script, as the template writes it.
    same(
        "a CSP nonce",
        card("d").nonce("n0nce+/_-A=="),
        "<script nonce=\"n0nce+/_-A==\">",
    );
    same("a request sent", card("c"), "actions/withdraw-request");
    same("someone I block", card("e"), "actions/unblock");
    let blocked_by = same("someone who blocks me", card("f"), "actions/block");
    assert!(!blocked_by.contains("actions/connect"), "{blocked_by}");
    same("a follower", card("g"), "actions/remove-follower");
    same(
        "an outcome",
        card("a").p("message", "you-are-now-connected-to-this-user"),
        "role=\"status\"",
    );
    same(
        "a refusal",
        card("a").p("message", "you-cannot-do-this-to-yourself"),
        "role=\"alert\"",
    );
    same(
        "opened from a search's later page",
        card("a")
            .p("filter", "following")
            .p("keywords", "o'brien")
            .p("cursor", "abc"),
        "_contacts_center_keywords",
    );
    // Its Back link keeps each of the three, and names whom it came back from.
    let later = card("a")
        .p("filter", "following")
        .p("keywords", "o'brien")
        .p("cursor", "abc")
        .html(&written);
    for (name, value) in [
        ("filter", "following"),
        ("keywords", "o'brien"),
        ("cursor", "abc"),
        ("from", "a"),
    ] {
        assert_eq!(link_param(&later, "back", name), value, "{later}");
    }
    same("in German", card("a").locale("de_DE"), "Telefonnummern");
    let mut wsrp = card("a");
    wsrp.rewritten = true;
    same("rewritten URLs", wsrp, "wsrp_rewrite?wsrp-urlType=render");
    social
        .save_preferences(
            "contacts_center",
            [
                ("showPhones".to_owned(), vec!["false".to_owned()]),
                ("showUsersInformation".to_owned(), vec!["false".to_owned()]),
                ("showIcon".to_owned(), vec!["false".to_owned()]),
            ]
            .into(),
        )
        .expect("prefs");
    let hidden = same("details the preferences hide", card("a"), "O&#x27;Town");
    assert!(!hidden.contains("0100"), "{hidden}");
    assert!(!hidden.contains("<img"), "{hidden}");
    // No avatar at all, not even the initials that stand in for a portrait, on the
    // card or beside its mutual connections.
    assert!(hidden.contains("_contacts_center_mutual"), "{hidden}");
    assert!(!hidden.contains("sticker"), "{hidden}");
    assert!(!hidden.contains("a&amp;co@example.com"), "{hidden}");
    check_fragment("the written card", &a, "_contacts_center_");
}

/// The states of the home view beyond a plain list, each rendered by the host and by
/// the template (`fields`) over one world: personal entries with their forms, a
/// refused save marking its field, an outcome, the introduction, another language,
/// rewritten (WSRP) URLs, paging with "View more", sent requests paged on their own,
/// the export link, a list that restarted and a search's end. Each case names a piece
/// of markup only its state has, so that a case that stopped reaching its state fails
/// instead of comparing two plain lists.
fn the_written_home_page_in_every_state(written: &World, fields: &World) {
    let save = |name: &str, email: &str, comments: &str| {
        let saved = cc(Some("me"))
            .named("save-contact")
            .p("fullName", name)
            .p("emailAddress", email)
            .p("comments", comments)
            .ok(written);
        assert!(saved.ok, "{saved:?}");
    };
    save(
        "Zoë <Z> & 'Co'",
        "z&co@example.com",
        "met at \"the\" fair\r\nstand <4>\n\nwith Yul",
    );
    save("Yul Yates", "yul@example.com", "");
    // A second page of everyone, and the requests I sent, take more people.
    for id in ["f", "g", "h"] {
        written.add(id, &format!("Fay{id}"), "Fox");
        let sent = cc(Some("me")).named("connect").p("userId", id).ok(written);
        assert!(sent.ok, "{sent:?}");
    }
    let same = |what: &str, call: Call, marker: &str| -> String {
        let a = call.html(written);
        let b = call.html(fields);
        assert_eq!(a, b, "{what}");
        assert!(a.contains(marker), "{what}: no {marker} in {a}");
        check_fragment(what, &a, "_contacts_center_");
        a
    };
    let me = || cc(Some("me"));
    // The portal page's CSP nonce on the script, as the template writes it.
    same(
        "a CSP nonce",
        me().nonce("n0nce+/_-A=="),
        "<script nonce=\"n0nce+/_-A==\">",
    );
    let contacts = same(
        "entries",
        me().p("filter", "contacts"),
        "data-list=\"entries\"",
    );
    assert!(
        contacts.contains("Zoë &lt;Z&gt; &amp; &#x27;Co&#x27;"),
        "{contacts}"
    );
    // A comment keeps its lines, in the list and in its edit form, where one line
    // break more comes first: HTML drops one right after <textarea>.
    assert!(
        contacts.contains(
            "<p class=\"list-group-text\" dir=\"auto\">met at &quot;the&quot; fair<br>stand &lt;4&gt;<br><br>with Yul</p>"
        ),
        "{contacts}"
    );
    assert!(
        contacts.contains(
            "comments\">\nmet at &quot;the&quot; fair\nstand &lt;4&gt;\n\nwith Yul</textarea>"
        ),
        "{contacts}"
    );
    // What people type or wrote may run right to left (a Hebrew name, an Arabic
    // comment): each field and text takes its own direction, as names do. A
    // contact's name and address are someone else's: no autofill of the reader's
    // own. The two required fields' mark is explained in words, not by a hover
    // title alone.
    for piece in [
        "type=\"search\" dir=\"auto\"",
        "type=\"text\" dir=\"auto\" autocomplete=\"off\" autocapitalize=\"words\" spellcheck=\"false\" required",
        "type=\"email\" autocomplete=\"off\" spellcheck=\"false\" required",
        "<textarea class=\"form-control\" dir=\"auto\"",
        "<p class=\"text-secondary small\" aria-hidden=\"true\"><span class=\"reference-mark\">*</span> Required</p>",
    ] {
        assert!(contacts.contains(piece), "no {piece} in {contacts}");
    }
    let everyone = same("everyone", me().p("filter", "all"), "list-group-subtitle");
    // Back from a card lands on its person's row, or above the list they left.
    let row_landing =
        "<li class=\"list-group-item list-group-item-flex\" id=\"_contacts_center_returned\">";
    same("back from a card", me().p("from", "a"), row_landing);
    same(
        "back from a sent request's card",
        me().p("filter", "requests").p("from", "f"),
        row_landing,
    );
    same(
        "back from someone not on the list",
        me().p("filter", "connections").p("from", "b"),
        "<nav aria-label=\"Filters\" id=\"_contacts_center_returned\">",
    );
    assert!(
        everyone.contains("<p class=\"list-group-subtitle\" dir=\"auto\">R&amp;D"),
        "{everyone}"
    );
    let entry_id = {
        let field = "entryId\" value=\"";
        let at = contacts.find(field).expect("an entry's id") + field.len();
        contacts[at..].split('"').next().expect("id").to_owned()
    };
    same(
        "a refused edit",
        me().p("filter", "contacts")
            .p("message", "please-enter-a-valid-email-address")
            .p("entryId", &entry_id),
        "<details class=\"contacts-entry-edit\" open>",
    );
    same(
        "a refused addition",
        me().p("filter", "contacts")
            .p("message", "full-name-cannot-be-empty"),
        "has-error",
    );
    same(
        "no entries found",
        me().p("filter", "contacts").p("keywords", "nobody-at-all"),
        "_contacts_center_empty",
    );
    same(
        "an outcome",
        me().p("message", "you-are-now-connected-to-this-user"),
        "role=\"status\"",
    );
    same(
        "a page owner not known: a standing notice",
        me().owner("nobody-known"),
        "role=\"status\" id=\"_contacts_center_outcome\" tabindex=\"-1\">",
    );
    same(
        "a danger outcome",
        me().p("message", "you-must-unblock-this-user-first"),
        "role=\"alert\" id=\"_contacts_center_outcome\" tabindex=\"-1\" autofocus>",
    );
    same("the introduction", cc(Some("e")), "_contacts_center_intro");
    same("in German", me().locale("de_DE"), "Suche");
    let mut wsrp = me().p("filter", "following");
    wsrp.rewritten = true;
    same(
        "rewritten URLs",
        wsrp,
        "method=\"post\" action=\"https://host.test/actions/search\"",
    );
    same(
        "the blocked",
        me().p("filter", "blocked"),
        "actions/unblock",
    );
    written
        .social
        .save_preferences(
            "contacts_center",
            [("pageSize".to_owned(), vec!["2".to_owned()])].into(),
        )
        .expect("prefs");
    let first = same("a first page", me(), "_contacts_center_view-more");
    let cursor = link_param(&first, "view-more", "cursor");
    // A later page is that page, not the first one again: no restart, other people.
    let first_row = |html: &str| -> String {
        let title = "class=\"list-group-title\"";
        let at = html.find(title).expect("a row") + title.len();
        html[at..].split("</a>").next().expect("a name").to_owned()
    };
    let second = same(
        "a second page",
        me().p("cursor", &cursor),
        "_contacts_center_people",
    );
    assert!(
        second.contains("data-list=\"people\">")
            && !second.contains("data-list=\"people\" data-restarted"),
        "{second}"
    );
    assert_ne!(first_row(&second), first_row(&first), "{second}");
    same(
        "a search's end",
        me().p("keywords", "nobody-at-all").p("cursor", &cursor),
        "data-list-end tabindex=\"-1\">No more people were found.</p>",
    );
    same(
        "a tab's search's end, with the way to everyone",
        me().p("filter", "connections")
            .p("keywords", "nobody-at-all")
            .p("cursor", &cursor),
        "data-list-end tabindex=\"-1\">No more people were found. <a href=",
    );
    same(
        "a list that restarted",
        me().p("cursor", "%%garbage"),
        "role=\"status\" id=\"_contacts_center_restarted\">The list has changed since it was shown: it starts again from the beginning.</p>\n<ul class=\"list-group\" role=\"list\" id=\"_contacts_center_people\" data-list=\"people\" data-restarted>",
    );
    same(
        "the export",
        me().p("filter", "connections"),
        "_contacts_center_export",
    );
    same(
        "requests with sent ones paged",
        me().p("filter", "requests"),
        "_contacts_center_sent-more",
    );
    let sent = same(
        "sent requests only",
        me().p("filter", "requests-sent"),
        "_contacts_center_sent",
    );
    same(
        "sent requests begun again",
        me().p("filter", "requests-sent").p("cursor", "%%garbage"),
        "it starts again from the beginning.</p>\n<h3 class=\"sheet-subtitle\">Sent Requests</h3>",
    );
    let sent_cursor = link_param(&sent, "sent-more", "cursor");
    let sent_later = same(
        "the sent requests' second page",
        me().p("filter", "requests-sent").p("cursor", &sent_cursor),
        "sheet-subtitle",
    );
    assert_ne!(first_row(&sent_later), first_row(&sent), "{sent_later}");
    // A save replaces the placement's preferences whole: the page size stays.
    let page_size = ("pageSize".to_owned(), vec!["2".to_owned()]);
    written
        .social
        .save_preferences(
            "contacts_center",
            [
                page_size.clone(),
                ("showIcon".to_owned(), vec!["false".to_owned()]),
            ]
            .into(),
        )
        .expect("prefs");
    for (what, call, marker) in [
        ("a list without avatars", me(), "class=\"list-group-title\""),
        (
            "sent requests without avatars",
            me().p("filter", "requests-sent"),
            "id=\"_contacts_center_sent\"",
        ),
    ] {
        let html = same(what, call, marker);
        assert!(!html.contains("sticker"), "{what}: {html}");
    }
    // The world goes on to other checks as it was.
    written
        .social
        .save_preferences("contacts_center", [page_size].into())
        .expect("prefs");
}

/// The value of `name` in the link whose id is `id` (un-namespaced both).
fn link_param(html: &str, id: &str, name: &str) -> String {
    let at = html
        .find(&format!("id=\"_contacts_center_{id}\""))
        .unwrap_or_else(|| panic!("no {id} in {html}"));
    let href_at = html[..at].rfind("href=\"").expect("a link") + "href=\"".len();
    let href = html[href_at..]
        .split('"')
        .next()
        .expect("an address")
        .replace("&amp;", "&");
    let query = href.split_once('?').expect("a query").1;
    let query = query.split('#').next().unwrap_or_default();
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == &format!("_contacts_center_{name}"))
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no {name} in {href}"))
}

/// Every view's script carries the portal page's CSP nonce when the portal gives one
/// (`cspNonce`), so that a page whose policy allows scripts by nonce runs it: the home
/// list, a card, edit mode, a page owner's list and the Notifications widget. Without
/// one, the script has no attribute.
#[test]
fn every_views_script_carries_the_pages_nonce() {
    let w = world();
    w.add("me", "Mé", "Viewer");
    w.add("ann", "Ann", "Archer");
    let views = [
        ("home", cc(Some("me"))),
        ("card", cc(Some("me")).p("userId", "ann")),
        (
            "edit mode",
            cc(Some("me"))
                .admin()
                .mode(widget_host::portal::PortletMode::Edit),
        ),
        ("a page owner's list", cc(Some("me")).owner("ann")),
        ("notifications", notes(Some("me"))),
    ];
    for (what, call) in views {
        let plain = call.html(&w);
        assert_eq!(plain.matches("<script>").count(), 1, "{what}: {plain}");
        let with = call.nonce("n0nce+/_-A==").html(&w);
        assert_eq!(
            with.matches("<script nonce=\"n0nce+/_-A==\">").count(),
            1,
            "{what}: {with}"
        );
        assert!(!with.contains("<script>"), "{what}: {with}");
    }
}
