"""Interop suite fixtures: a real widget-host process started the way the README says
(release binary, its own data folder), and independent clients around it."""

import os
import pathlib
import socket
import subprocess
import time

import jwt  # PyJWT: an independent implementation of the tokens portals send
import pytest
import requests

ROOT = pathlib.Path(__file__).resolve().parents[2]
SPECS = ROOT.parent / "shared" / "specs"
BIN = os.environ.get("WIDGET_HOST_BIN", str(ROOT / "target" / "release" / "widget-host"))

CONSUMER = "interop"
SECRET = "interop-hs256-secret-0123456789abcdef"
WSRP_SECRET = "interop-wsrp-secret"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


@pytest.fixture(scope="session")
def host(tmp_path_factory):
    if not pathlib.Path(BIN).exists():
        pytest.fail(f"{BIN} is missing: run `cargo build --release` first (.ci/run does)")
    work = tmp_path_factory.mktemp("widget-host")
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
    log = open(work / "server.log", "wb")
    proc = subprocess.Popen(
        [BIN, "serve", "--config", str(config), "--listen", f"127.0.0.1:{port}",
         "--data-dir", str(work / "data"), "--descriptors-dir", str(ROOT / "widget-descriptors"), "--no-demo"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    deadline = time.time() + 30
    while True:
        try:
            if requests.get(base + "/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail("widget-host did not start; see " + str(work / "server.log"))
        time.sleep(0.1)
    yield Host(base, work / "data")
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
