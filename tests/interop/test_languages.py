"""Languages in the rendered page: for each supported locale, the Contacts Center's
texts come from that language's bundle (content/Language_*.properties, read here
independently), and counted texts take the language's plural form for 1 and 2
(CLDR: English, Spanish, German use the singular for 1 only; French and Brazilian
Portuguese for 0 and 1; Japanese and Chinese have no plural forms), while none is
said in words ("You have no connections.")."""

import pytest

LOCALES = ["en_US", "es_ES", "de_DE", "fr_FR", "pt_BR", "ja_JP", "zh_CN"]


@pytest.fixture(scope="module")
def counted(host):
    """Three people with 0, 1 and 2 connections."""
    zero, one, two, x, y = host.people("zero", "one", "two", "x", "y")
    for me, other in ((one, x), (two, x), (two, y)):
        assert host.act(me, "connect", userId=other).status_code == 200
        [item] = [i for i in host.notifications(other)["items"] if i["fromUserId"] == me]
        assert host.act(other, "accept-request", requestId=str(item["requestId"])).status_code == 200
    return {0: zero, 1: one, 2: two}


@pytest.mark.parametrize("language", LOCALES)
def test_texts_and_plural_forms(host, texts, counted, language):
    t = texts(language)
    for n, user in counted.items():
        page = host.text(user, language=language)
        assert t.count_text("you-have-x-connections", n) in page, (language, n)
        assert t["search"] in page
    if language != "en_US":
        english = texts("en_US")
        page = host.text(counted[2], language=language)
        assert english.count_text("you-have-x-connections", 2) not in page


@pytest.mark.parametrize("language", LOCALES)
def test_page_owner_view_counts_the_owners_connections(host, texts, counted, language):
    """On a person's profile page (`p_page_owner`), the widget titles their connections."""
    t = texts(language)
    for n, owner in counted.items():
        viewer = counted[1] if n == 0 else counted[0]
        page = host.text(viewer, language=language, portal={"p_page_owner": owner})
        # The owner's display name fills {0}; check the sentence around it.
        if n == 0:
            expected = t.fmt("x-has-no-connections", "\x00")
        else:
            key = t.singular_key("x-has-x-connections") if t.is_one(n) else "x-has-x-connections"
            expected = t.fmt(key, "\x00", n)
        for part in expected.split("\x00"):
            assert part.strip() in page, (language, n, part)
        other_key = "x-has-x-connections" if n and t.is_one(n) else None
        if other_key and t[other_key] != t[t.singular_key(other_key)]:
            assert t.fmt(other_key, "\x00", n).split("\x00")[1].strip() not in page


def test_singular_and_plural_really_differ_where_the_language_has_them(texts):
    """Guards the test itself: if the bundles lost their singular keys, the checks
    above could pass on the plural alone."""
    for language in ("en_US", "es_ES", "de_DE", "fr_FR", "pt_BR"):
        t = texts(language)
        assert t["you-have-x-connection"] != t["you-have-x-connections"], language


def test_accept_language_picks_the_language_without_language_id(host, texts, counted):
    import lxml.html
    import requests

    r = requests.get(host.url("/widgets/contacts_center/render"), timeout=10,
                     headers={**host.auth(counted[1]), "Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert r.status_code == 200
    page = lxml.html.fromstring(r.text).text_content()
    assert texts("de_DE").count_text("you-have-x-connections", 1) in page
