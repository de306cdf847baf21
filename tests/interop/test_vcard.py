"""vCard export read back by an independent parser (Python's vobject): people created
with Liferay's UserAccount JSON through the integration API, downloaded through the
Contacts Center's `vcard` resource, and every field compared with what went in."""

import uuid

import pytest
import requests
import vobject

NS = "_contacts_center_"
VCARD = "/widgets/contacts_center/resources/vcard"

LONG_STREET = "Rua Desembargador Bartolomeu de Gusmão Albuquerque e Vasconcelos, 1234, Bloco C, Apartamento 1701 — Fundos"


def account(tag, given, family, middle=""):
    """A UserAccount with everything the vCard carries."""
    return {
        "givenName": given,
        "additionalName": middle,
        "familyName": family,
        "alternateName": f"{given.lower()}-{tag}"[:30],
        "emailAddress": f"primary-{tag}@interop.test",
        "jobTitle": f"Head of Ünïcode, Semicolons; and Commas, {tag}",
        "userAccountContactInformation": {
            "emailAddresses": [
                {"emailAddress": f"primary-{tag}@interop.test", "type": "email-address", "primary": True},
                {"emailAddress": f"other-{tag}@interop.test", "type": "email-address.personal", "primary": False},
            ],
            "telephones": [
                {"phoneNumber": "+55 11 5555-0100", "phoneType": "business", "primary": True},
                {"phoneNumber": "555-0199", "phoneType": "mobile-phone", "primary": False},
            ],
            "postalAddresses": [
                {
                    "streetAddressLine1": LONG_STREET,
                    "streetAddressLine2": "Edifício São João; Torre Norte",
                    "addressLocality": "São Paulo",
                    "addressRegion": "SP",
                    "postalCode": "01310-100",
                    "addressCountry": "Brasil",
                    "addressType": "business",
                    "primary": True,
                },
                {
                    "streetAddressLine1": "1 Short St",
                    "addressLocality": "Springfield",
                    "addressRegion": "OR",
                    "postalCode": "97477",
                    "addressCountry": "United States",
                    "addressType": "personal",
                    "primary": False,
                },
            ],
            "webUrls": [
                {"url": f"https://example.com/people/{tag}?a=1&b=2", "urlType": "url.personal", "primary": True},
            ],
        },
    }


@pytest.fixture()
def person(host):
    """Creates one richly described person; returns (id, the account sent)."""
    def make(given="Zoë", family="Ñúñez-Ōtsuka 山田", middle="Émile"):
        tag = uuid.uuid4().hex[:8]
        pid = f"p-{tag}"
        body = account(tag, given, family, middle)
        host.put_person(pid, **body)
        return pid, body
    return make


def download(host, viewer, **params):
    r = requests.get(host.url(VCARD), params={NS + k: v for k, v in params.items()},
                     headers=host.auth(viewer), timeout=10)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/vcard"), r.headers
    assert "attachment" in r.headers.get("Content-Disposition", "")
    return r.content


def assert_wire_format(raw):
    """RFC 6350 / 2426 section 3.2 and 5.8.1: CRLF line ends, physical lines of at most
    75 octets, folds never splitting a UTF-8 character."""
    assert raw.endswith(b"\r\n")
    assert b"\n" not in raw.replace(b"\r\n", b""), "bare LF"
    assert b"\r" not in raw.replace(b"\r\n", b""), "bare CR"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, (len(line), line)
        line.decode("utf-8")  # a fold in the middle of a character fails here


def cards(raw):
    return list(vobject.readComponents(raw.decode("utf-8")))


def values(card, name):
    return [c.value for c in card.contents.get(name, [])]


def as_list(v):
    return v if isinstance(v, list) else [v] if v else []


def assert_card_matches(card, pid, body, version):
    assert card.version.value == version
    assert values(card, "uid")[0].endswith(pid)
    n = card.n.value
    assert (n.family, n.given, n.additional) == (body["familyName"], body["givenName"], body["additionalName"])
    assert card.fn.value == " ".join(x for x in (body["givenName"], body["additionalName"], body["familyName"]) if x)
    assert values(card, "title") == [body["jobTitle"]]
    info = body["userAccountContactInformation"]
    assert sorted(values(card, "email")) == sorted(e["emailAddress"] for e in info["emailAddresses"])
    tels = values(card, "tel")
    assert len(tels) == len(info["telephones"])
    for phone in info["telephones"]:
        digits = "".join(c for c in phone["phoneNumber"] if c.isdigit())
        assert any("".join(c for c in t if c.isdigit()) == digits for t in tels), (phone, tels)
    # Each TYPE a word the RFCs name: a quoted "work,voice" would be read as one.
    known = {"work", "home", "cell", "voice", "fax", "pager", "text", "video", "textphone", "msg", "pref"}
    for tel in card.contents.get("tel", []):
        types = {t.lower() for t in tel.params.get("TYPE", [])}
        assert types and types <= known, tel.params
    addresses = values(card, "adr")
    assert len(addresses) == len(info["postalAddresses"])
    for sent, got in zip(info["postalAddresses"], addresses):
        street = [s for s in (sent.get("streetAddressLine1"), sent.get("streetAddressLine2")) if s]
        # 3.0's street is one text value, its lines broken as address books write
        # them; 4.0 lists them.
        assert as_list(got.street) == (["\n".join(street)] if version == "3.0" else street)
        assert (got.city, got.region, got.code, got.country) == (
            sent["addressLocality"], sent["addressRegion"], sent["postalCode"], sent["addressCountry"])
    assert values(card, "url") == [u["url"] for u in info["webUrls"]]


@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_one_person_every_field_survives(host, person, version):
    pid, body = person()
    viewer, = host.people("viewer")
    raw = download(host, viewer, userId=pid, version=version)
    assert_wire_format(raw)
    [card] = cards(raw)
    assert_card_matches(card, pid, body, version)


def test_default_version_is_3(host, person):
    pid, _ = person()
    viewer, = host.people("viewer")
    [card] = cards(download(host, viewer, userId=pid))
    assert card.version.value == "3.0"


def test_several_people_by_user_ids(host, person):
    people = [person(given=g) for g in ("Åsa", "Björn", "Çelik")]
    viewer, = host.people("viewer")
    raw = download(host, viewer, userIds=",".join(p for p, _ in people), version="4.0")
    assert_wire_format(raw)
    got = cards(raw)
    assert len(got) == 3
    by_uid = {values(c, "uid")[0]: c for c in got}
    for pid, body in people:
        [uid] = [u for u in by_uid if u.endswith(pid)]
        assert_card_matches(by_uid[uid], pid, body, "4.0")


def test_all_connections(host, person):
    viewer, = host.people("viewer")
    friends = [person(given=g) for g in ("Dário", "Eva")]
    stranger, _ = person(given="Stranger")
    for pid, _ in friends:
        assert host.act(viewer, "connect", userId=pid).status_code == 200
        [item] = host.notifications(pid)["items"]
        assert host.act(pid, "accept-request", requestId=str(item["requestId"])).status_code == 200
    raw = download(host, viewer, filter="connections", version="3.0")
    assert_wire_format(raw)
    got = cards(raw)
    uids = sorted(values(c, "uid")[0].rsplit(":", 1)[-1] for c in got)
    assert uids == sorted(p for p, _ in friends)
    assert stranger not in raw.decode()
    for c in got:
        pid = values(c, "uid")[0].rsplit(":", 1)[-1]
        assert_card_matches(c, pid, dict(friends)[pid], "3.0")


def test_unknown_person_is_404_and_bad_version_is_400(host):
    """An unknown person is not found, as in an action about them; a version the host
    does not write is a bad request."""
    viewer, = host.people("viewer")
    for params, status in (({NS + "userId": "nobody-" + uuid.uuid4().hex[:6]}, 404),
                           ({NS + "userId": viewer, NS + "version": "2.1"}, 400)):
        r = requests.get(host.url(VCARD), params=params, headers=host.auth(viewer), timeout=10)
        assert r.status_code == status, r.text


def test_guest_gets_no_vcard(host, person):
    pid, _ = person()
    r = requests.get(host.url(VCARD), params={NS + "userId": pid}, timeout=10)
    # A guest is no one to export for: 403 (401 is for a token that failed).
    assert r.status_code == 403, r.text
    assert b"BEGIN:VCARD" not in r.content


def test_liferay_user_account_as_its_api_writes_it_is_accepted(host):
    """Liferay's headless-admin-user answers carry a numeric `id` and fields the host
    does not keep; PUT takes such a document as it is."""
    tag = uuid.uuid4().hex[:8]
    pid = f"lr-{tag}"
    body = dict(account(tag, "Liferay", "User"), id=38213, externalReferenceCode=pid,
                dateCreated="2024-01-02T03:04:05Z", roleBriefs=[{"id": 20101, "name": "User"}], status="Active")
    r = requests.put(host.url(f"/api/users/{pid}"), json=body, headers=host.admin(), timeout=10)
    assert r.status_code == 201, r.text  # new to the directory
    viewer, = host.people("viewer")
    [card] = cards(download(host, viewer, userId=pid))
    assert_card_matches(card, pid, body, "3.0")
    # An account that names someone else is refused.
    r = requests.put(host.url(f"/api/users/{pid}"), json=dict(body, externalReferenceCode="someone-else"),
                     headers=host.admin(), timeout=10)
    assert r.status_code == 400
