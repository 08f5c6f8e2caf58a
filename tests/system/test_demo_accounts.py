"""``plaza demo`` makes accounts for its owners and an auditor and prints their generated
passwords once, after the web address; each logs in on the web app with them, the
auditor's account holds the market's auditor role, and a second run prints no password.
The city sensors name alice's account as their owner: her /streams/mine lists them; so do
the service providers: her /services/my/services lists their services."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from plaza.bootstrap.market_files import MarketDataDir
from plaza.market.auth import Role
from plaza.market.sql import SqlAccountStore, SqlParticipantStore, make_engine

pytestmark = pytest.mark.slow
_LOGIN = re.compile(r"log in as (owner \w+|auditor|operator)\s+(\S+@example\.org)\s+password (\S+)")


def _run_demo(data_dir: Path) -> tuple[str, list[tuple[str, str, str]], subprocess.Popen[str]]:
    command = [sys.executable, "-m", "plaza.cli.main", "demo", "--data-dir", str(data_dir)]
    command += ["--duration", "60", "--port", "0", "--web-port", "0", "--tick", "0.5"]
    demo = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert demo.stdout is not None
    first = demo.stdout.readline()
    found = re.match(r"Plaza (http://127\.0\.0\.1:\d+) ", first)
    assert found, first
    logins = []
    for _ in range(4):
        line = demo.stdout.readline()
        login = _LOGIN.search(line)
        assert login, line
        logins.append((login.group(1), login.group(2), login.group(3)))
    return found.group(1), logins, demo


def _stop(demo: subprocess.Popen[str]) -> None:
    demo.send_signal(signal.SIGINT)
    _, errors = demo.communicate(timeout=60)  # reads both pipes to their end and closes them
    assert demo.returncode == 0, errors


def _logs_in(web: str, email: str, password: str) -> bool:
    with httpx.Client(base_url=web, timeout=10) as browser:
        page = browser.get("/login").text
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
        assert token
        form = {"csrf": token.group(1), "email": email, "password": password}
        answer = browser.post("/login", data=form)
        if answer.status_code != 303 or email not in browser.get("/account").text:
            return False
        # the dashboard reaches the demo's marketplace, which says whom to sign requests for
        info = browser.get("/dashboard/market/api/v1/market/info")
        assert info.status_code == 200, info.text
        assert info.json()["audience"].startswith("plz1")
        return True


def _listed_to(
    web: str, email: str, password: str, path: str, pattern: str, wanted: int
) -> list[str]:
    """The names ``pattern`` finds on ``path`` for ``email``, logged in, once there are
    ``wanted`` of them (or after 30 s: the demo's sensors and services announce themselves)."""
    with httpx.Client(base_url=web, timeout=10) as browser:
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', browser.get("/login").text)
        assert token
        form = {"csrf": token.group(1), "email": email, "password": password}
        assert browser.post("/login", data=form).status_code == 303
        deadline = time.monotonic() + 30
        while True:
            page = browser.get(path)
            assert page.status_code == 200
            names = re.findall(pattern, page.text)
            if len(names) == wanted or time.monotonic() > deadline:
                return sorted(names)
            time.sleep(0.5)


def _owned_sensors(web: str, email: str, password: str, wanted: int) -> list[str]:
    """The sensors /streams/mine lists to ``email``."""
    sensor = r'<h2 id="sensor-[0-9a-f]+"><a href="/streams/[0-9a-f]+">([^<]+)</a>'
    return _listed_to(web, email, password, "/streams/mine", sensor, wanted)


def _owned_services(web: str, email: str, password: str, wanted: int) -> list[str]:
    """The services /services/my/services lists to ``email``."""
    service = r'<section class="owned-service"[^>]*data-name="([^"]+)"'
    return _listed_to(web, email, password, "/services/my/services", service, wanted)


def test_the_demo_prints_logins_that_work_once(tmp_path: Path) -> None:
    web, logins, demo = _run_demo(tmp_path)
    try:
        assert [who for who, _, _ in logins] == [
            "owner alice",
            "owner mallory",
            "auditor",
            "operator",
        ]
        for _, email, password in logins:
            assert _logs_in(web, email, password)
        assert not _logs_in(web, logins[0][1], logins[1][2])
        assert len(_owned_sensors(web, logins[0][1], logins[0][2], 12)) == 12, "alice's sensors"
        assert _owned_sensors(web, logins[1][1], logins[1][2], 0) == [], "none of mallory's"
        owned = _owned_services(web, logins[0][1], logins[0][2], 3)
        assert owned == ["forecast", "route", "thumbnail"], "alice's services"
        assert _owned_services(web, logins[1][1], logins[1][2], 0) == [], "none of mallory's"
    finally:
        _stop(demo)
    engine = make_engine(MarketDataDir(tmp_path / "accounts").database_url)
    try:
        auditor = SqlAccountStore(engine).by_email("auditor@example.org")
        assert auditor is not None
        participant = SqlParticipantStore(engine).get(auditor.participant_id)
        assert participant is not None
        assert participant.roles == {Role.AUDITOR}
    finally:
        engine.dispose()
    web, again, demo = _run_demo(tmp_path)
    try:
        assert [password for _, _, password in again] == ["(printed"] * 4
        assert _logs_in(web, logins[2][1], logins[2][2])
    finally:
        _stop(demo)
