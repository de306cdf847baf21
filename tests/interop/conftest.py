"""Interop suite fixtures: a real widget-host process started the way the README says
(release binary, its own data folder), and independent clients around it."""

import os
import pathlib
import re
import socket
import subprocess
import time
import uuid

import jwt  # PyJWT: an independent implementation of the tokens portals send
import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPECS = ROOT.parent / "shared" / "specs"
BIN = os.environ.get("WIDGET_HOST_BIN", str(ROOT / "target" / "release" / "widget-host"))

CONSUMER = "interop"
SECRET = "interop-hs256-secret-0123456789abcdef"
WSRP_SECRET = "interop-wsrp-secret"


class PortTaken(Exception):
    """The host could not listen on the port it was given: another program took it
    after `free_port` let it go. The caller may start it again on another."""


def spawn_server(args, work):
    """Starts the release binary with `args`, its output in `work`/server.log."""
    if not pathlib.Path(BIN).exists():
        pytest.fail(f"{BIN} is missing: run `cargo build --release` first (.ci/run does)")
    log = open(work / "server.log", "wb")
    # The host reads WIDGET_HOST_* settings: one set in the shell this suite runs in
    # (a WIDGET_HOST_DATA_DIR) must not change the host each test starts, nor may a
    # RUST_LOG hide the line that says where it serves.
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIDGET_HOST_") and k != "RUST_LOG"}
    proc = subprocess.Popen([BIN, *args], stdout=log, stderr=subprocess.STDOUT, cwd=work, env=env)
    proc.log = log
    return proc


def start_on_own_port(args, work):
    """Starts the host with `args` on a loopback port it chooses (`--listen
    127.0.0.1:0`), so that no other program can take the port between its choice and
    the bind; returns the process and its base URL, read from the log's `serving`
    line, once /healthz answers."""
    proc = spawn_server([*args, "--listen", "127.0.0.1:0"], work)
    deadline = time.time() + 30
    while True:
        found = re.search(r"serving address=(127\.0\.0\.1:\d+)", (work / "server.log").read_text(errors="replace"))
        if found:
            base = "http://" + found.group(1)
            return wait_until_up(proc, work, base, deadline), base
        if proc.poll() is not None or time.time() > deadline:
            give_up(proc, work)
        time.sleep(0.1)


def give_up(proc, work):
    """Ends a host that did not start, its log closed, and fails the test."""
    proc.kill()
    proc.wait()
    proc.log.close()
    pytest.fail("widget-host did not start; see " + str(work / "server.log"))


def start_server(args, work, base):
    """Starts the release binary with `args` and waits for /healthz; returns the process.
    Raises PortTaken when the host could not listen on the port `args` names."""
    return wait_until_up(spawn_server(args, work), work, base, time.time() + 30)


def wait_until_up(proc, work, base, deadline):
    """Waits for the host `proc` to answer /healthz at `base`; returns it."""
    while True:
        try:
            # Ours, still running: a host that could not bind the port (another
            # program took it after `free_port` let it go) has exited, and whatever
            # holds the port answered instead.
            if requests.get(base + "/healthz", timeout=1).status_code == 200 and proc.poll() is None:
                return proc
        # Refused before it listens; a read that times out while a busy machine starts
        # it is no failure either: the deadline decides.
        except requests.RequestException:
            pass
        if proc.poll() is not None and "cannot listen on" in (work / "server.log").read_text(errors="replace"):
            proc.log.close()
            raise PortTaken(base)
        if proc.poll() is not None or time.time() > deadline:
            give_up(proc, work)
        time.sleep(0.1)


def stop_server(proc):
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    proc.log.close()


def listed(html):
    """The user ids the fragment's main list shows, in order, read from its rows'
    selection boxes: a list's check that a person is in it, where the person's name
    would be found on a page showing everyone (a filter the host did not apply)."""
    import lxml.html

    boxes = lxml.html.fromstring(html).xpath('//*[@data-list="people"]/li//input[@type="checkbox"]')
    return [box.get("value") for box in boxes if box.get("name", "").endswith("userIds")]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pytest_sessionfinish(session, exitstatus):
    """In CI (`CI` set, as .ci/run does) a skipped test is a failed run: every suite
    here must really run there, browser included."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter else []
    if os.environ.get("CI") and skipped and session.exitstatus == 0:
        reporter.write_line(f"CI: {len(skipped)} test(s) skipped; failing the run", red=True)
        session.exitstatus = 1


class Host:
    def __init__(self, base, data_dir):
        self.base = base
        self.data_dir = data_dir

    def url(self, path):
        return self.base + path

    def token(self, user, roles=(), ttl=600, **claims):
        now = int(time.time())
        body = {"iss": CONSUMER, "sub": user, "iat": now, "exp": now + ttl, "roles": list(roles)}
        body.update(claims)
        return jwt.encode(body, SECRET, algorithm="HS256")

    def auth(self, user, **claims):
        return {"Authorization": "Bearer " + self.token(user, **claims)}

    def admin(self):
        return self.auth("interop-admin", roles=["Administrator"])

    def put_person(self, user_id, **account):
        """Creates or replaces a directory entry through the integration API, with
        Liferay's `UserAccount` JSON (camelCase)."""
        body = {"givenName": user_id.split("-")[0].capitalize(), "familyName": "Tester",
                "emailAddress": f"{user_id}@interop.test"}
        body.update(account)
        r = requests.put(self.url(f"/api/users/{user_id}"), json=body, headers=self.admin(), timeout=10)
        assert r.status_code in (200, 201), r.text  # 201 when the person is new
        return r.json()

    def people(self, *names):
        """Fresh user ids (one per name) that exist in the directory: every test gets
        its own people so tests never see each other's relationships."""
        tag = uuid.uuid4().hex[:8]
        ids = [f"{n}-{tag}" for n in names]
        for i in ids:
            self.put_person(i)
        return ids

    def act(self, user, action, portlet="contacts_center", **params):
        """An action as a portal server-to-server: Bearer token, JSON answer."""
        ns = f"_{portlet}_"
        data = {ns + k: v for k, v in params.items()}
        return requests.post(self.url(f"/widgets/{portlet}/actions/{action}"), data=data,
                             headers={**self.auth(user), "Accept": "application/json"},
                             timeout=10, allow_redirects=False)

    def render(self, user, portlet="contacts_center", language=None, portal=None, **params):
        """The fragment's HTML; `params` are the widget's (namespaced here), `portal`
        the un-namespaced portal parameters (`p_page_owner` …)."""
        ns = f"_{portlet}_"
        query = {ns + k: v for k, v in params.items()}
        query.update(portal or {})
        if language:
            query["languageId"] = language
        r = requests.get(self.url(f"/widgets/{portlet}/render"), params=query,
                         headers=self.auth(user), timeout=10)
        assert r.status_code == 200, r.text
        return r.text

    def text(self, user, **kwargs):
        """The visible text of a rendered fragment (entities decoded), without the
        enhancement script's, whose code holds words ("URLSearchParams") a check of
        the page's own texts would find there."""
        import lxml.html

        root = lxml.html.fromstring(self.render(user, **kwargs))
        for script in root.xpath("//script"):
            script.drop_tree()
        return root.text_content()

    def notifications(self, user):
        r = requests.get(self.url(f"/api/users/{user}/notifications"), headers=self.auth(user), timeout=10)
        assert r.status_code == 200, r.text
        return r.json()


class Texts:
    """The host's language bundle for one Liferay language id, read straight from
    content/Language*.properties, with Liferay's fallback (pt_BR -> pt -> English)
    and the plural rules of CLDR written out independently of the host's code."""

    # Languages whose "one" form covers 0 as well as 1 (CLDR: fr, pt); languages
    # without plural forms (ja, zh); everything else uses "one" for 1 only.
    ONE_INCLUDES_ZERO = {"fr", "pt"}
    NO_PLURALS = {"ja", "zh"}

    def __init__(self, language_id):
        self.language_id = language_id
        lang, _, country = language_id.partition("_")
        self.lang = lang
        self.chain = []
        for suffix in (f"_{lang}_{country}", f"_{lang}", ""):
            path = ROOT / "content" / f"Language{suffix}.properties"
            if path.exists() and (suffix == "" or suffix.startswith("_")):
                self.chain.append(read_properties(path))

    def __getitem__(self, key):
        for bundle in self.chain:
            if key in bundle:
                return bundle[key]
        raise KeyError(key)

    def fmt(self, key, *args):
        text = self[key]
        for i, a in enumerate(args):
            text = text.replace("{%d}" % i, str(a))
        return text

    def named(self, key, *names):
        """`fmt` with each name set apart as the host sets a name into a sentence:
        between U+2068 FIRST STRONG ISOLATE and U+2069 POP DIRECTIONAL ISOLATE."""
        return self.fmt(key, *("\u2068%s\u2069" % n for n in names))

    @staticmethod
    def singular_key(key):
        """`you-have-x-connections` -> `you-have-x-connection`; `-people` -> `-person`."""
        head, _, word = key.rpartition("-x-")
        first, sep, rest = word.partition("-")
        first = "person" if first == "people" else first.removesuffix("s")
        return f"{head}-x-{first}{sep}{rest}"

    def is_one(self, n):
        if self.lang in self.NO_PLURALS:
            return False
        if self.lang in self.ONE_INCLUDES_ZERO:
            return n in (0, 1)
        return n == 1

    # The counts above the lists say none in words, not with a 0 that some languages'
    # rules pair with a singular noun ("0 conexão").
    NONE = {
        "you-have-x-connections": "you-have-no-connections",
        "you-are-following-x-people": "you-are-not-following-anyone",
        "you-have-x-followers": "you-have-no-followers",
        "you-have-x-pending-requests": "you-have-no-pending-requests",
        "you-have-x-contacts": "you-have-no-contacts",
    }

    def count_text(self, plural_key, n, *more):
        if n == 0 and not more and plural_key in self.NONE:
            return self[self.NONE[plural_key]]
        key = self.singular_key(plural_key) if self.is_one(n) else plural_key
        return self.fmt(key, *more, n) if more else self.fmt(key, n)


def read_properties(path):
    """Liferay's Language.properties: key=value, # comments, UTF-8."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "!")) or "=" not in line:
            continue
        key, _, value = line.partition("=")
        out[key.strip()] = value.strip()
    return out


@pytest.fixture(scope="session")
def texts():
    return Texts


@pytest.fixture(scope="session")
def host(tmp_path_factory):
    if not pathlib.Path(BIN).exists():
        pytest.fail(f"{BIN} is missing: run `cargo build --release` first (.ci/run does)")
    work = tmp_path_factory.mktemp("widget-host")
    # The configuration names the host's own origin, so its port is chosen here; one
    # another program takes before the host binds it is replaced by another.
    for attempt in range(3):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        config = work / "config.toml"
        config.write_text(
            f"""
[[consumers]]
id = "{CONSUMER}"
hs256_secret = "{SECRET}"
allowed_origins = ["{base}", "http://portal.interop.test"]
wsrp_secret = "{WSRP_SECRET}"
"""
        )
        try:
            proc = start_server(
                ["serve", "--config", str(config), "--listen", f"127.0.0.1:{port}",
                 "--data-dir", str(work / "data"), "--descriptors-dir", str(ROOT / "widget-descriptors"),
                 "--no-demo"],
                work, base,
            )
            break
        except PortTaken:
            if attempt == 2:
                raise
    yield Host(base, work / "data")
    stop_server(proc)
