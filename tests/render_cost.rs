//! What a render costs: one snapshot per render, O(page) reads whatever the viewer's
//! degree, paged pending requests with their ids, bounded mutual-connection counts.

mod widget_support;

use widget_host::social::{Action, BulkEdge, PersonVerb};
use widget_host::store::{Filter, Listed, MUTUAL_SCAN_LIMIT, Relationship, RequestSide};
use widget_support::*;

fn people(w: &World, n: usize) {
    people_from(w, 0, n);
}

#[test]
fn a_home_render_takes_one_snapshot() {
    let w = world();
    people(&w, 30);
    let edges = (1..30)
        .map(|i| BulkEdge::Connection("p0".into(), format!("p{i}")))
        .collect();
    w.social.link_many(edges).expect("edges");
    for filter in ["all", "connections", "requests", "requests-sent", "blocked"] {
        let before = w.social.snapshots_taken();
        let html = cc(Some("p0")).p("filter", filter).html(&w);
        assert!(html.contains("contacts-center"), "{html}");
        assert_eq!(w.social.snapshots_taken() - before, 1, "filter {filter}");
    }
    for (k, v) in [("keywords", "given1"), ("userId", "p1")] {
        let before = w.social.snapshots_taken();
        cc(Some("p0")).p(k, v).html(&w);
        assert_eq!(w.social.snapshots_taken() - before, 1, "{k}={v}");
    }
    let before = w.social.snapshots_taken();
    notes(Some("p0")).html(&w);
    assert_eq!(w.social.snapshots_taken() - before, 1, "notifications");
}

#[test]
fn page_cost_does_not_grow_with_the_number_of_connections() {
    // `hub` has 6,000 connections and `small` 40, and every one of `small`'s is also
    // connected to the hub, so a per-row mutual count would walk thousands of rows.
    let w = world();
    people(&w, 6_002);
    let mut edges: Vec<BulkEdge> = (0..6_000)
        .map(|i| BulkEdge::Connection("p6000".into(), format!("p{i}")))
        .collect();
    edges.extend((0..40).map(|i| BulkEdge::Connection("p6001".into(), format!("p{i}"))));
    w.social.link_many(edges).expect("edges");
    // The store's part of a page of the connections list, as the render asks for it:
    // the page, then each row's standing (counted by the snapshot). That these are
    // the render's reads, in one snapshot, `a_home_render_takes_one_snapshot` and the
    // standing tests below hold; here, that none of them grows with the degree.
    let cost = |viewer: &str| {
        let r = w.social.read().expect("read");
        let page = r.list(viewer, Filter::Connections, None, 20).expect("page");
        let (lookups, walks) = (r.standing_lookups(), r.mutual_walks());
        let rows = page
            .items
            .iter()
            .filter_map(|item| match item {
                Listed::Person(p) => Some(p.id.clone()),
                _ => None,
            })
            .collect::<Vec<_>>();
        for id in &rows {
            assert!(r.standing(viewer, id).expect("standing").connected, "{id}");
        }
        (
            rows.len(),
            r.standing_lookups() - lookups,
            r.mutual_walks() - walks,
        )
    };
    let (small, hub) = (cost("p6001"), cost("p6000"));
    assert_eq!(small.0, 20, "a full page");
    assert_eq!(hub, small, "the same reads for 6,000 connections as for 40");
    assert_eq!(hub.2, 0, "a list page walks no one's connections");
    // And the widget's own render of each page makes those reads: as many for the hub
    // as for the small account, and no walk of anyone's connections (which a card's
    // count makes, and a row must not).
    let rendered = |viewer: &str| {
        let before = w.social.reads_done();
        let html = cc(Some(viewer)).p("filter", "connections").html(&w);
        assert!(
            html.contains("id=\"_contacts_center_view-more\" data-view-more>"),
            "a full page: {html}"
        );
        let after = w.social.reads_done();
        (after.0 - before.0, after.1 - before.1)
    };
    let (small_render, hub_render) = (rendered("p6001"), rendered("p6000"));
    assert_eq!(hub_render, small_render);
    assert_eq!(hub_render.1, 0, "a list page walks no one's connections");
    // Its rows' standings are all facts the page and its snapshot already hold.
    assert_eq!(hub_render.0, u64::from(hub.1), "{hub_render:?} {hub:?}");
}

#[test]
fn pending_requests_come_in_pages_with_their_ids() {
    let w = world();
    people(&w, 25);
    for i in 1..25 {
        let out = w
            .social
            .act(&format!("p{i}"), Action::on(PersonVerb::Connect, "p0"))
            .expect("connect");
        assert!(out.first().is_ok(), "{out:?}");
    }
    let r = w.social.read().expect("read");
    let mut seen = Vec::new();
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = r
            .pending_requests("p0", RequestSide::Received, cursor.as_deref(), 10)
            .expect("page");
        assert!(page.items.len() <= 10);
        for item in &page.items {
            let request = r.request(item.request_id).expect("read").expect("known");
            assert_eq!(
                r.user_id(&item.person.id).expect("id"),
                Some(request.requester)
            );
            seen.push(item.person.family_name.clone());
            ids.push(item.request_id);
        }
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    // Newest first: p24 asked last.
    let mut newest_first = seen.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, newest_first, "newest first");
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    assert_eq!(seen.len(), 24, "every request once");
    let sent = r
        .pending_requests("p3", RequestSide::Sent, None, 10)
        .expect("sent");
    assert_eq!(sent.items.len(), 1);
    assert_eq!(sent.items[0].person.id, "p0");
    assert_eq!(
        r.pending_request_id("p3", "p0").expect("id"),
        Some(sent.items[0].request_id)
    );
    assert_eq!(r.pending_request_id("p0", "p3").expect("id"), None);
    assert!(
        r.pending_requests("p0", RequestSide::Received, Some("%%%"), 10)
            .is_err()
    );
}

#[test]
fn the_requests_view_pages_on_with_view_more() {
    let w = world();
    people(&w, 30);
    for i in 1..30 {
        w.social
            .act(&format!("p{i}"), Action::on(PersonVerb::Connect, "p0"))
            .expect("connect");
    }
    // Newest first, as a notifications menu: p29 asked last.
    let first = cc(Some("p0")).p("filter", "requests").html(&w);
    assert!(
        first.contains("id=\"_contacts_center_view-more\" data-view-more>"),
        "{first}"
    );
    assert!(first.contains("Family00029"), "{first}");
    assert!(!first.contains("Family00001"), "{first}");
    let cursor = w
        .social
        .read()
        .expect("read")
        .pending_requests("p0", RequestSide::Received, None, 20)
        .expect("page")
        .next_cursor
        .expect("a second page");
    // The page's own "View More" leads there.
    assert!(
        first.contains(&format!("_contacts_center_cursor={cursor}")),
        "{first}"
    );
    let second = cc(Some("p0"))
        .p("filter", "requests")
        .p("cursor", &cursor)
        .html(&w);
    assert!(second.contains("Family00001"), "{second}");
    assert!(!second.contains("Family00029"), "{second}");
    assert!(second.contains("accept-request"), "{second}");
    assert!(
        !second.contains("data-list=\"people\" data-restarted"),
        "{second}"
    );
    // A link from before received requests came newest first holds a sort key and a
    // user id: it names no place in this order, and the list starts over, marked so
    // that the script replaces it rather than appending the first page again.
    use base64::Engine as _;
    let old = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("family00005\u{0}7");
    let r = w.social.read().expect("read");
    let page = r
        .pending_requests("p0", RequestSide::Received, Some(&old), 20)
        .expect("page");
    assert!(page.items.is_empty() && page.next_cursor.is_none());
    let restarted = cc(Some("p0"))
        .p("filter", "requests")
        .p("cursor", &old)
        .html(&w);
    assert!(
        restarted.contains("data-list=\"people\" data-restarted>"),
        "{restarted}"
    );
    assert!(restarted.contains("Family00029"), "{restarted}");
}

#[test]
fn standing_skips_the_count_and_the_card_count_is_bounded() {
    let w = world();
    let n = MUTUAL_SCAN_LIMIT + 100;
    people(&w, n + 2);
    let (a, b) = (format!("p{n}"), format!("p{}", n + 1));
    let mut edges: Vec<BulkEdge> = (0..n)
        .flat_map(|i| {
            [
                BulkEdge::Connection(a.clone(), format!("p{i}")),
                BulkEdge::Connection(b.clone(), format!("p{i}")),
            ]
        })
        .collect();
    edges.push(BulkEdge::Follow(a.clone(), b.clone()));
    w.social.link_many(edges).expect("edges");
    let r = w.social.read().expect("read");
    let standing = r.standing(&a, &b).expect("standing");
    assert!(standing.following && !standing.followed_by && !standing.connected);
    assert_eq!(standing.mutual_connections, 0);
    let full = r.relationship(&a, &b).expect("relationship");
    assert_eq!(full.mutual_connections, MUTUAL_SCAN_LIMIT as u64);
    assert_eq!(
        Relationship {
            mutual_connections: 0,
            ..full
        },
        standing
    );
    // Below the bound the count is exact: p0 and p1 are both connected to a and b.
    let small = r.relationship("p0", "p1").expect("relationship");
    assert_eq!(small.mutual_connections, 2);
}

/// Mutual connections are the same whichever way the two lists are matched: stepped
/// through together when their lengths are near (a and b, a and the hub), probed row
/// by row when the other is far longer (c and the hub), and never the two people
/// themselves.
#[test]
fn mutual_connections_are_exact_whether_the_lists_are_merged_or_probed() {
    use std::collections::BTreeSet;
    let w = world();
    people(&w, 404);
    let (hub, a, b, c) = ("p400", "p401", "p402", "p403");
    let mut edges = Vec::new();
    for i in (0..400).chain(401..404) {
        edges.push(BulkEdge::Connection(hub.into(), format!("p{i}")));
    }
    for (who, every) in [(a, 3), (b, 5), (c, 40)] {
        for i in (0..400).step_by(every) {
            edges.push(BulkEdge::Connection(who.into(), format!("p{i}")));
        }
    }
    edges.push(BulkEdge::Connection(a.into(), b.into()));
    w.social.link_many(edges).expect("edges");
    let r = w.social.read().expect("read");
    let mutual = |x: &str, y: &str| -> BTreeSet<String> {
        let found = r.mutual_connections(x, y, 1_000).expect("mutuals");
        let count = r
            .relationship(x, y)
            .expect("relationship")
            .mutual_connections;
        assert_eq!(count as usize, found.len(), "{x} and {y}");
        found.into_iter().map(|p| p.id).collect()
    };
    let every =
        |n: usize| -> BTreeSet<String> { (0..400).step_by(n).map(|i| format!("p{i}")).collect() };
    let mut ab = every(15);
    ab.insert(hub.into());
    assert_eq!(mutual(a, b), ab);
    assert_eq!(mutual(b, a), ab);
    let mut a_hub = every(3);
    a_hub.insert(b.into());
    assert_eq!(mutual(a, hub), a_hub);
    assert_eq!(mutual(c, hub), every(40));
    assert_eq!(mutual(hub, c), every(40));
    assert_eq!(mutual("p1", "p2"), BTreeSet::from([hub.to_owned()]));
}

#[test]
fn a_card_walks_the_mutual_connections_once_for_its_count_and_its_faces() {
    let w = world();
    people(&w, 40);
    // p0 and p1 share p2..p29; p30..p39 are p0's alone.
    let mut edges: Vec<BulkEdge> = (2..30)
        .flat_map(|i| {
            [
                BulkEdge::Connection("p0".into(), format!("p{i}")),
                BulkEdge::Connection("p1".into(), format!("p{i}")),
            ]
        })
        .collect();
    edges.extend((30..40).map(|i| BulkEdge::Connection("p0".into(), format!("p{i}"))));
    w.social.link_many(edges).expect("edges");
    let r = w.social.read().expect("read");
    assert_eq!(
        r.relationship("p0", "p1").expect("card").mutual_connections,
        28
    );
    let faces = r.mutual_connections("p1", "p0", 12).expect("faces");
    let ids: Vec<&str> = faces.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), 12);
    assert!(
        ids.iter().all(|id| (2..30).any(|i| *id == format!("p{i}"))),
        "{ids:?}"
    );
    assert_eq!(r.mutual_walks(), 1, "the faces come from the count's walk");
    // Another pair is walked afresh.
    assert_eq!(
        r.relationship("p0", "p2").expect("card").mutual_connections,
        0
    );
    assert_eq!(r.mutual_walks(), 2);
    assert_eq!(
        r.mutual_connections("p1", "p0", 50).expect("faces").len(),
        28
    );
    assert_eq!(r.mutual_walks(), 3);
}

#[test]
fn a_page_reads_each_list_of_its_viewer_once_not_once_a_row() {
    // p0 is connected to everyone, follows the even ones and is followed by every
    // third: the rows differ in the follows, which are the only facts left to learn,
    // from one read of each of p0's two follow lists over the page's place.
    let w = world();
    people(&w, 25);
    let mut edges: Vec<BulkEdge> = (1..25)
        .map(|i| BulkEdge::Connection("p0".into(), format!("p{i}")))
        .collect();
    edges.extend(
        (2..25)
            .step_by(2)
            .map(|i| BulkEdge::Follow("p0".into(), format!("p{i}"))),
    );
    edges.extend(
        (3..25)
            .step_by(3)
            .map(|i| BulkEdge::Follow(format!("p{i}"), "p0".into())),
    );
    w.social.link_many(edges).expect("edges");

    let r = w.social.read().expect("read");
    let page = r.list("p0", Filter::Connections, None, 20).expect("page");
    assert_eq!(page.items.len(), 20);
    let before = r.standing_lookups();
    for item in &page.items {
        let Listed::Person(p) = item else {
            panic!("a person row: {item:?}")
        };
        let i: usize = p.id[1..].parse().expect("seeded id");
        let s = r.standing("p0", &p.id).expect("standing");
        let want = Relationship {
            connected: true,
            following: i.is_multiple_of(2),
            followed_by: i.is_multiple_of(3),
            ..Relationship::default()
        };
        assert_eq!(s, want, "{}", p.id);
    }
    assert_eq!(r.standing_lookups() - before, 2);
    drop(r);
    // The widget's render of that page reads no more.
    let before = w.social.reads_done();
    let html = cc(Some("p0")).p("filter", "connections").html(&w);
    assert!(
        html.contains("id=\"_contacts_center_view-more\" data-view-more>"),
        "a full page: {html}"
    );
    let after = w.social.reads_done();
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 0));

    // The same people from the directory list: p0 blocks nobody, is blocked by
    // nobody and has no request pending, which four one-row reads tell once; then one
    // read of p0's connections and of each follow list over the page (a connection
    // rules out a request), where each row looked up all three.
    let r = w.social.read().expect("read");
    let page = r.list("p0", Filter::All, None, 30).expect("page");
    let others: Vec<&str> = page
        .items
        .iter()
        .filter_map(|item| match item {
            Listed::Person(p) if p.id != "p0" => Some(p.id.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(others.len(), 24);
    let before = r.standing_lookups();
    for id in &others {
        assert!(r.standing("p0", id).expect("standing").connected, "{id}");
    }
    assert_eq!(r.standing_lookups() - before, 4 + 3);

    // Once p0 blocks someone and has sent a request, p0's rows look up p0's own
    // blocks and sent requests as well, but still not the sides p0 has none of
    // (blocked by someone, a request received).
    people_from(&w, 25, 3);
    w.social
        .act("p0", Action::on(PersonVerb::Block, "p25"))
        .expect("block");
    let out = w
        .social
        .act("p0", Action::on(PersonVerb::Connect, "p26"))
        .expect("connect");
    assert!(out.first().is_ok(), "{out:?}");
    let r = w.social.read().expect("read");
    let before = r.standing_lookups();
    let blocked = r.standing("p0", "p25").expect("standing");
    assert_eq!(
        blocked,
        Relationship {
            blocking: true,
            ..Relationship::default()
        }
    );
    let asked = r.standing("p0", "p26").expect("standing");
    assert!(asked.connection_requested && !asked.connection_request_received && !asked.connected);
    let stranger = r.standing("p0", "p27").expect("standing");
    assert_eq!(stranger, Relationship::default());
    // The four sides once; p25: the block, then nothing more stands; p26: the
    // block, the connection, the request sent (none can come back), the follows;
    // p27: the same five.
    assert_eq!(r.standing_lookups() - before, 4 + 1 + 5 + 5);
}

/// A page of one list may lie far apart in another, with many of the viewer's rows
/// between its own: the read of that other list over the page stops after twice the
/// page's rows, and the rows it did not reach are looked up, not taken for strangers.
#[test]
fn a_list_read_over_a_sparse_page_stops_and_the_rest_is_looked_up() {
    let w = world();
    // p0..p99 (family names Family00000..) between Xavier Aaa and Xavier Zzz.
    people(&w, 100);
    w.social
        .upsert_people(vec![
            person("xa", "Xavier", "Aaa"),
            person("xz", "Xavier", "Zzz"),
        ])
        .expect("people");
    let edges = (1..100)
        .map(|i| BulkEdge::Connection("p0".into(), format!("p{i}")))
        .chain([
            BulkEdge::Connection("p0".into(), "xz".into()),
            BulkEdge::Follow("p0".into(), "xa".into()),
            BulkEdge::Follow("p0".into(), "xz".into()),
        ])
        .collect();
    w.social.link_many(edges).expect("edges");

    let r = w.social.read().expect("read");
    let page = r
        .list("p0", Filter::Following, None, 20)
        .expect("following");
    let ids: Vec<&str> = page
        .items
        .iter()
        .map(|item| match item {
            Listed::Person(p) => p.id.as_str(),
            Listed::Entry(e) => panic!("an entry: {e:?}"),
        })
        .collect();
    assert_eq!(ids, ["xa", "xz"]);
    let before = r.standing_lookups();
    assert!(!r.standing("p0", "xa").expect("standing").connected);
    assert!(
        r.standing("p0", "xz").expect("standing").connected,
        "past the read's end"
    );
    // The four sides, the two list reads (the connections read stopped at 12 of its
    // 101 rows, past Xavier Aaa's place; the followers read found none), then Xavier
    // Zzz's connection looked up.
    assert_eq!(r.standing_lookups() - before, 4 + 2 + 1);
}

/// `n` more people, numbered on from `first`.
fn people_from(w: &World, first: usize, n: usize) {
    let batch = (first..first + n)
        .map(|i| {
            person(
                &format!("p{i}"),
                &format!("Given{i}"),
                &format!("Family{i:05}"),
            )
        })
        .collect();
    w.social.upsert_people(batch).expect("people");
}
