"""The Contacts Center's stories (seeds/) over the native HTTP protocol, driven by an
independent client: `requests` for HTTP, PyJWT for the portal's tokens, lxml for the
rendered HTML. Every test works with its own fresh people, so the order of tests
never matters."""

import time
from datetime import datetime
from urllib.parse import parse_qs, urljoin, urlsplit

import jwt
import lxml.html
import pytest
import requests
import vobject

from conftest import CONSUMER, SECRET, listed

NS = "_contacts_center_"
WIDGET = "/widgets/contacts_center"


def relationship(response):
    body = response.json()
    assert set(body) >= {"ok", "message", "text", "relationship"}, body
    return body["relationship"]


def ok(response):
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is True, body
    return body


def refused(response):
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert body["ok"] is False, body
    assert body["text"], body
    return body


def pending(host, user):
    return host.notifications(user)["items"]


def action_forms(html, action):
    """The forms in a fragment that post to `action`, as (absolute url, fields)."""
    doc = lxml.html.fromstring(html)
    found = []
    for form in doc.forms:
        if (form.get("method") or "").lower() == "post" and urlsplit(form.get("action") or "").path.endswith(f"/actions/{action}"):
            found.append((form.get("action"), dict(form.form_values())))
    return found


def browser_post(host, url, fields, **kwargs):
    """Posts a form the way a browser does: no Bearer token, only the form's fields."""
    return requests.post(urljoin(host.base + "/", url), data=fields, allow_redirects=False, timeout=10, **kwargs)


def connect_and_confirm(host, a, b):
    ok(host.act(a, "connect", userId=b))
    [item] = pending(host, b)
    ok(host.act(b, "accept-request", requestId=str(item["requestId"])))


# --- connect, confirm, counts ------------------------------------------------------

def test_connect_request_shows_to_receiver_and_confirm_connects_both(host, texts):
    a, b = host.people("ana", "bruno")
    en = texts("en_US")
    assert en.count_text("you-have-x-connections", 0) in host.text(a)

    asked = time.time()
    r = host.act(a, "connect", userId=b)
    ok(r)
    answered = time.time()
    rel = relationship(r)
    assert rel["connectionRequested"] is True and rel["connected"] is False

    # B sees it in the notifications API and in the widget's requests view.
    items = pending(host, b)
    assert [i["fromUserId"] for i in items] == [a]
    assert items[0]["fromName"] == "Ana Tester"
    assert items[0]["createdAt"].endswith(("Z", "+00:00"))
    # In UTC, and when the request was made: this machine's clock is the host's.
    created = datetime.fromisoformat(items[0]["createdAt"].replace("Z", "+00:00")).timestamp()
    assert asked - 2 <= created <= answered + 2, (items[0]["createdAt"], asked)
    html = host.render(b, filter="requests")
    assert "Ana Tester" in html
    assert action_forms(html, "accept-request"), "no confirm button for the request"
    assert pending(host, a) == []

    # Only the receiver may confirm.
    refused(host.act(a, "accept-request", requestId=str(items[0]["requestId"])))
    assert len(pending(host, b)) == 1

    r = host.act(b, "accept-request", requestId=str(items[0]["requestId"]))
    ok(r)
    assert relationship(r)["connected"] is True
    assert pending(host, b) == []

    for me, other in ((a, b), (b, a)):
        assert listed(host.render(me, filter="connections")) == [other]
        assert en.count_text("you-have-x-connections", 1) in host.text(me, filter="connections")
    # A second confirm of the same request changes nothing.
    refused(host.act(b, "accept-request", requestId=str(items[0]["requestId"])))


def test_ignore_and_duplicate_requests(host):
    a, b = host.people("ana", "bruno")
    ok(host.act(a, "connect", userId=b))
    # A duplicate request changes nothing and says so.
    again = host.act(a, "connect", userId=b)
    assert again.json()["message"] == "a-connection-request-is-already-pending", again.text
    assert len(pending(host, b)) == 1
    [item] = pending(host, b)
    ok(host.act(b, "ignore-request", requestId=str(item["requestId"])))
    assert pending(host, b) == []
    assert relationship(host.act(a, "follow", userId=b))["connected"] is False


def test_follow_and_unfollow_change_counts(host, texts):
    a, b = host.people("ana", "bruno")
    en = texts("en_US")
    r = ok(host.act(a, "follow", userId=b))
    assert r["relationship"]["following"] is True and r["relationship"]["followedBy"] is False
    assert en.count_text("you-are-following-x-people", 1) in host.text(a)
    assert en.count_text("you-have-x-followers", 1) in host.text(b)
    assert listed(host.render(b, filter="followers")) == [a]
    r = ok(host.act(a, "unfollow", userId=b))
    assert r["relationship"]["following"] is False
    assert en.count_text("you-are-following-x-people", 0) in host.text(a)
    assert en.count_text("you-have-x-followers", 0) in host.text(b)


def test_block_removes_everything_and_refuses_both_sides_unblock_restores_nothing(host, texts):
    a, b = host.people("ana", "bruno")
    en = texts("en_US")
    connect_and_confirm(host, a, b)
    ok(host.act(a, "follow", userId=b))
    ok(host.act(b, "follow", userId=a))

    rel = ok(host.act(a, "block", userId=b))["relationship"]
    assert rel["blocking"] is True
    assert not any(rel[k] for k in ("connected", "following", "followedBy", "connectionRequested", "connectionRequestReceived"))
    for me in (a, b):
        html = host.text(me)
        assert en.count_text("you-have-x-connections", 0) in html
        assert en.count_text("you-are-following-x-people", 0) in html
        assert en.count_text("you-have-x-followers", 0) in html
    assert listed(host.render(a, filter="blocked")) == [b]

    # Neither side can connect or follow while the block stands.
    for me, other in ((a, b), (b, a)):
        refused(host.act(me, "connect", userId=other))
        refused(host.act(me, "follow", userId=other))
    assert pending(host, a) == [] and pending(host, b) == []
    assert relationship(host.act(b, "unfollow", userId=a))["blockedBy"] is True

    rel = ok(host.act(a, "unblock", userId=b))["relationship"]
    assert not any(rel.values()), rel
    assert en.count_text("you-have-x-connections", 0) in host.text(a)
    # After the unblock they may connect again.
    ok(host.act(b, "connect", userId=a))
    assert len(pending(host, a)) == 1


# --- the browser's path: rendered forms with p_auth, no Bearer token ---------------

def test_rendered_form_posts_without_bearer_and_redirects_with_message(host, texts):
    a, b = host.people("ana", "bruno")
    html = host.render(a, userId=b)
    forms = action_forms(html, "connect")
    assert forms, "the detail view of B offers no connect form"
    url, fields = forms[0]
    assert "p_auth" in fields and fields[NS + "userId"] == b
    r = browser_post(host, url, fields)
    assert r.status_code == 303, r.text
    location = r.headers["Location"]
    query = parse_qs(urlsplit(location).query)
    assert query.get(NS + "message"), location
    assert [i["fromUserId"] for i in pending(host, b)] == [a]
    # The next render shows the message as an alert.
    follow = requests.get(urljoin(host.base, location), headers=host.auth(a), timeout=10)
    alert = lxml.html.fromstring(follow.text).find_class("alert")
    assert alert, follow.text
    said = texts("en_US")["this-user-has-received-a-connection-request-from-you"]
    assert alert[0].text_content().strip() == said, follow.text


def test_form_without_any_credentials_is_refused(host):
    a, b = host.people("ana", "bruno")
    url, fields = action_forms(host.render(a, userId=b), "connect")[0]
    del fields["p_auth"]
    r = browser_post(host, url, fields)
    assert r.status_code == 403
    assert pending(host, b) == []


# --- security -------------------------------------------------------------------

def forged(user, secret=SECRET, iss=CONSUMER, exp_delta=600):
    now = int(time.time())
    return jwt.encode({"iss": iss, "sub": user, "iat": now - 1200, "exp": now + exp_delta}, secret, algorithm="HS256")


@pytest.mark.parametrize("kind", ["expired", "wrong-issuer", "wrong-signature", "none-algorithm", "garbage"])
def test_bad_tokens_get_401_and_change_nothing(host, kind):
    a, b = host.people("ana", "bruno")
    token = {
        "expired": lambda: forged(a, exp_delta=-300),
        "wrong-issuer": lambda: forged(a, iss="someone-else"),
        "wrong-signature": lambda: forged(a, secret="another-secret-of-at-least-32-bytes!!"),
        "none-algorithm": lambda: jwt.encode({"iss": CONSUMER, "sub": a, "exp": int(time.time()) + 600}, None, algorithm="none"),
        "garbage": lambda: "not.a.jwt",
    }[kind]()
    r = requests.post(host.url(f"{WIDGET}/actions/connect"), data={NS + "userId": b},
                      headers={"Authorization": "Bearer " + token, "Accept": "application/json"}, timeout=10)
    assert r.status_code == 401, r.text
    assert pending(host, b) == []
    assert requests.get(host.url(f"/api/users/{b}/notifications"),
                        headers={"Authorization": "Bearer " + token}, timeout=10).status_code == 401


def test_a_forged_token_made_right_is_accepted(host):
    """The control for the refusals above: `forged` with nothing changed is a token
    the host takes, so each of them is refused for the one thing it changed."""
    a, b = host.people("ana", "bruno")
    r = requests.post(host.url(f"{WIDGET}/actions/connect"), data={NS + "userId": b},
                      headers={"Authorization": "Bearer " + forged(a), "Accept": "application/json"}, timeout=10)
    assert r.status_code == 200, r.text
    assert [i["fromUserId"] for i in pending(host, b)] == [a]


def test_p_auth_replayed_for_another_user_instance_or_action_is_403(host):
    a, b, c = host.people("ana", "bruno", "carla")
    url, fields = action_forms(host.render(a, userId=b), "connect")[0]
    consumer, user, mac = fields["p_auth"].split("~")
    assert (consumer, user) == (CONSUMER, a)

    as_c = dict(fields, p_auth=f"{consumer}~{c}~{mac}")
    assert browser_post(host, url, as_c).status_code == 403
    # Another instance, its fields named as that instance's own: only the token's
    # binding to the instance stands in the way.
    other = "_contacts_center_INSTANCE_other_"
    as_other = {(other + k[len(NS):] if k.startswith(NS) else k): v for k, v in fields.items()}
    assert other + "userId" in as_other, as_other
    assert browser_post(host, "/widgets/contacts_center_INSTANCE_other/actions/connect", as_other).status_code == 403
    assert browser_post(host, f"{WIDGET}/actions/block", fields).status_code == 403
    assert pending(host, b) == []
    assert relationship(host.act(a, "follow", userId=b))["blocking"] is False
    # The untouched form still works: the refusals were about the edits.
    assert browser_post(host, url, fields).status_code == 303
    assert [i["fromUserId"] for i in pending(host, b)] == [a]

    # Another widget's same action, with its own field: only the token's binding to
    # its portlet refuses it.
    url, fields = action_forms(host.render(b, filter="requests"), "accept-request")[0]
    [request] = pending(host, b)
    assert fields[NS + "requestId"] == str(request["requestId"]), fields
    elsewhere = dict(fields, _notifications_requestId=fields[NS + "requestId"])
    assert browser_post(host, "/widgets/notifications/actions/accept-request", elsewhere).status_code == 403
    assert pending(host, b) == [request]
    assert browser_post(host, url, fields).status_code == 303
    assert pending(host, b) == []


def test_redirect_to_a_foreign_origin_is_not_followed(host):
    a, b = host.people("ana", "bruno")
    url, fields = action_forms(host.render(a, userId=b), "follow")[0]
    r = browser_post(host, url, dict(fields, **{NS + "redirect": "https://evil.example/"}))
    assert r.status_code == 303
    location = r.headers["Location"]
    assert "evil.example" not in location
    assert location.startswith(host.base + WIDGET + "/render") or location.startswith(WIDGET + "/render"), location
    # An allowed origin is followed (so the fallback above is not the only behaviour).
    url, fields = action_forms(host.render(a, userId=b), "unfollow")[0]
    r = browser_post(host, url, dict(fields, **{NS + "redirect": "http://portal.interop.test/web/guest/home"}))
    assert r.status_code == 303
    assert r.headers["Location"].startswith("http://portal.interop.test/web/guest/home?"), r.headers["Location"]


def test_hostile_names_are_escaped_in_html_and_cannot_inject_vcard_properties(host):
    viewer, = host.people("viewer")
    evil = "evil-" + viewer.split("-")[1]
    # The portal sends the hostile profile in the token's claims.
    r = requests.get(host.url(f"{WIDGET}/render"), timeout=10, headers=host.auth(
        evil, given_name="<script>alert(1)</script>", family_name="Smith",
        job_title="Boss\r\nEMAIL:pwned@evil.example\r\nX-EVIL:1", email=f"{evil}@interop.test"))
    assert r.status_code == 200
    html = host.render(viewer, userId=evil)
    assert "<script>alert(1)" not in html
    doc = lxml.html.fromstring(html)
    # The fragment's one script is the widget's own enhancement; the name never
    # becomes markup or script.
    scripts = doc.xpath("//script")
    assert len(scripts) <= 1, "only the widget's own script"
    assert all("alert(1)" not in (s.text or "") for s in scripts), "the name reached a script"
    assert "<script>alert(1)</script>" in doc.text_content()

    r = requests.get(host.url(f"{WIDGET}/resources/vcard"), params={NS + "userId": evil},
                     headers=host.auth(viewer), timeout=10)
    assert r.status_code == 200, r.text
    card = vobject.readOne(r.content.decode("utf-8"))
    assert [e.value for e in card.contents["email"]] == [f"{evil}@interop.test"]
    assert "x-evil" not in card.contents
    assert card.n.value.given == "<script>alert(1)</script>"
    # The title reached the card, its line breaks as spaces (the claim is cleaned
    # when the token is read): one TITLE, no property made of what followed them.
    assert [t.value for t in card.contents["title"]] == ["Boss EMAIL:pwned@evil.example X-EVIL:1"]
    for line in r.content.split(b"\r\n"):
        assert not line.upper().startswith((b"EMAIL:PWNED", b"X-EVIL")), line
