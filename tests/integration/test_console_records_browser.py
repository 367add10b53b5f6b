"""Console part 2 in a real headless Chromium against the real daemon, Asterisk and PostgreSQL:
calls placed through Asterisk show in their caller's history (right agent, rating), one click
from a live call on the floor; a recording plays in the page (range requests, seek) and its
audit row names the signed-in user; another team's supervisor finds nothing of other teams;
the ratings CSV from the page equals `ccd ratings --format csv`; the report page shows
`ccd report`'s figures; English and Russian; screenshots in the artifacts dir."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pytest

from ccd.console.sessions import SessionStore
from ccd.sandbox.asterisk import AsteriskInstance, free_port
from ccd.sandbox.toml_out import dumps
from tests.harness.browser import Page
from tests.harness.ccd import Factory, Running, agent, config_data
from tests.integration.test_console_browser import click

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.browser]

PASSWORDS = {"anna": "anna-secret-1", "boris": "boris-secret-1", "root": "root-secret-1"}
CALLER = "84955550101"  # national format; stored as +74955550101 (country code 7, prefix 8)
STORED = "+74955550101"
TYPED = "+7 (495) 555-01-01"


def rated_recorded(name: str, team: str) -> dict[str, Any]:
    return {"name": name, "teams": [team], "ring_timeout": 5, "wrapup": 0.3,
            "rating": {"enabled": True, "timeout": 2.0, "retries": 1},
            "recording": {"enabled": True, "format": "wav", "announce": False, "retention_days": 30}}


def setup(ast: AsteriskInstance, rec_dir: Path) -> dict[str, Any]:
    return {
        "agents": [agent("A1", talk=2, teams=["t1"]), agent("A2", talk=60, teams=["t1"]),
                   agent("B1", talk=2, teams=["t2"])],
        "queues": [rated_recorded("support", "t1"), rated_recorded("sales", "t2")],
        "country_code": "7", "national_prefix": "8",
        "recordings_dir": str(rec_dir), "asterisk_recording_dir": str(ast.spool_dir / "recording"),
        "supervisors": [{"id": "S1", "endpoint": "PJSIP/s1", "teams": ["t1"]},
                        {"id": "S2", "endpoint": "PJSIP/s2", "teams": ["t2"]}],
        "http": {"listen": f"127.0.0.1:{free_port()}", "tokens": []},
        "console": {"users": [{"name": "anna", "supervisor": "S1"}, {"name": "boris", "supervisor": "S2"},
                              {"name": "root", "role": "admin", "download": True}]},
    }


async def rated_call(ccd: Running, queue: str, digits: str) -> tuple[str, str]:
    """One call from CALLER, answered, rated with ``digits``, recorded: (call id, agent)."""
    seen = len(ccd.of("rating.result"))
    ccd.ast.originate_caller_cli(queue, CALLER, hangup_after=25, dtmf_delay=5, digits=digits)
    deadline = time.monotonic() + 40
    while len(ccd.of("rating.result")) <= seen:
        assert time.monotonic() < deadline, "no rating result"
        await asyncio.sleep(0.1)
    result = ccd.of("rating.result")[seen]
    assert result.payload["outcome"] == "rated" and result.queue == queue
    await ccd.wait_event("recording.finished", timeout=30, call_id=result.call_id)
    return result.call_id or "", result.agent_id or ""


async def call_row(dsn: str, call_id: str, timeout: float = 15) -> dict[str, Any]:
    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        while True:
            row = await conn.fetchrow("SELECT c.*, r.status AS rec FROM call_records c LEFT JOIN recordings r "
                                      "USING (call_id) WHERE call_id = $1", call_id)
            if row is not None and row["rating"] is not None and row["rec"] == "stored":
                return dict(row)
            assert time.monotonic() < deadline, f"call {call_id} not stored with rating and recording: {row}"
            await asyncio.sleep(0.1)
    finally:
        await conn.close()


async def sign_in(page: Page, base: str, name: str, password: str | None = None) -> None:
    await page.get(base + "/console/")
    await page.wait_js("return !document.getElementById('login-view').hidden", "login form shown")
    await page.js("document.getElementById('login-name').value = arguments[0];"
                  "document.getElementById('login-password').value = arguments[1];"
                  "document.getElementById('login-submit').click();", name, password or PASSWORDS[name])
    await page.wait_js("return !document.getElementById('floor-view').hidden", "signed in")


async def records(page: Page, base: str, tab: str) -> None:
    await page.get(base + "/console/records#" + tab)
    await page.wait_js("return window.ccdRecords && window.ccdRecords.ready", "records page ready")


async def history_of(page: Page, number: str) -> list[dict[str, str]]:
    await page.js("window.ccdRecords.history = null; document.getElementById('history-caller').value = arguments[0];"
                  "document.querySelector('#history-form button').click()", number)
    await page.wait_js("return window.ccdRecords.history", "history answered")
    rows: list[dict[str, str]] = await page.js(
        "return [...document.querySelectorAll('#history tbody tr')].map(tr => ({call: tr.dataset.call, "
        "agent: tr.dataset.agent, rating: tr.dataset.rating, outcome: tr.dataset.outcome}))")
    return rows


def cli(cfg_file: Path, *args: str) -> str:
    res = subprocess.run([sys.executable, "-m", "ccd", *args, "-c", str(cfg_file)], capture_output=True,
                         text=True, check=True, timeout=120)
    return res.stdout


async def test_history_recordings_ratings_reports(asterisk: AsteriskInstance, ccd_factory: Factory, pg_dsn: str,
                                                  tmp_path: Path, browser_factory: Callable[[], Page]) -> None:
    extra = setup(asterisk, tmp_path / "rec")
    ccd = await ccd_factory(asterisk, **extra)
    store = SessionStore(ccd.daemon.dsn, 60)
    for name, pw in PASSWORDS.items():
        await store.set_password(name, pw)
    await store.close()
    base = f"http://{extra['http']['listen']}"
    cfg_file = tmp_path / "ccd.toml"
    cfg_file.write_text(dumps(config_data(asterisk, pg_dsn, tmp_path / "cli-spool", **extra)))

    # Two calls through Asterisk from one caller: support (t1, rated 4), sales (t2, rated 2).
    await ccd.login("A1", "B1")
    support_call, support_agent = await rated_call(ccd, "support", "4")
    sales_call, sales_agent = await rated_call(ccd, "sales", "2")
    assert (support_agent, sales_agent) == ("A1", "B1")
    row = await call_row(pg_dsn, support_call)
    assert row["caller"] == STORED and row["rating"] == 4
    await call_row(pg_dsn, sales_call)

    # anna (t1) finds the support call, in any written form of the number; not the sales one.
    anna = browser_factory()
    await sign_in(anna, base, "anna")
    await records(anna, base, "history")
    for typed in (TYPED, CALLER, STORED):
        rows = await history_of(anna, typed)
        assert [(r["call"], r["agent"], r["rating"], r["outcome"]) for r in rows] == \
            [(support_call, "A1", "4", "answered")], typed
    await anna.screenshot("records-history-en")

    # boris (t2) finds only the sales call: nothing of team t1.
    boris = browser_factory()
    await sign_in(boris, base, "boris")
    await records(boris, base, "history")
    rows = await history_of(boris, TYPED)
    assert [(r["call"], r["agent"], r["rating"]) for r in rows] == [(sales_call, "B1", "2")]
    await boris.js("document.getElementById('rec-from').value = arguments[0]; document.getElementById('rec-to').value"
                   " = arguments[0]; location.hash = 'recordings'; document.querySelector('#rec-form button').click()",
                   datetime.now(UTC).date().isoformat())
    await boris.wait_js("return window.ccdRecords.recordings", "recordings answered")
    listed = await boris.js("return window.ccdRecords.recordings.map(r => r.call_id)")
    assert listed == [sales_call]
    for filters, want in (  # each filter of the page: queue, agent, caller (any form), rating, duration
            ({"queue": "sales"}, [sales_call]), ({"agent": "B1"}, [sales_call]), ({"caller": TYPED}, [sales_call]),
            ({"caller": "+7 495 000-00-00"}, []), ({"rmin": "1", "rmax": "2"}, [sales_call]),
            ({"rmin": "3", "rmax": "5"}, []), ({"dmin": "0", "dmax": "3600"}, [sales_call]), ({"dmin": "3000"}, [])):
        await boris.js("window.ccdRecords.recordings = null;"
                       "for (const f of ['queue', 'agent', 'caller', 'rmin', 'rmax', 'dmin', 'dmax'])"
                       "  document.getElementById('rec-' + f).value = arguments[0][f] || '';"
                       "document.querySelector('#rec-form button').click()", filters)
        await boris.wait_js("return window.ccdRecords.recordings !== null", f"recordings answered {filters}")
        assert await boris.js("return window.ccdRecords.recordings.map(r => r.call_id)") == want, filters

    # anna plays the support recording in the page and seeks: ranges; the audit names her.
    await click(anna, f'button[data-play="{support_call}"]')
    await anna.wait_js("const a = document.getElementById('player'); return a.readyState >= 1 && a.duration > 0",
                       "audio loaded", 15)
    await anna.js("const a = document.getElementById('player'); a.pause(); a.currentTime = a.duration / 2")
    await anna.wait_js("const a = document.getElementById('player'); return !a.seeking && a.currentTime > 0",
                       "seeked", 15)
    assert await anna.js("return document.getElementById('player').error") is None
    conn = await asyncpg.connect(pg_dsn)
    try:
        deadline = time.monotonic() + 10
        while not (audit := await conn.fetch("SELECT * FROM recording_accesses WHERE call_id = $1 AND outcome = "
                                             "'granted'", support_call)):
            assert time.monotonic() < deadline, "no audit row"
            await asyncio.sleep(0.1)
    finally:
        await conn.close()
    assert {(a["user"], a["via"]) for a in audit} == {("anna", "console")}
    await anna.screenshot("records-recording-playing")
    # boris may not hear it, nor download; anna may hear but not save it as a file
    assert await boris.js(f"return (await fetch('/api/recordings/{support_call}/audio')).status") == 403
    assert await anna.js(f"return (await fetch('/api/recordings/{support_call}/audio?download=1')).status") == 403

    # root (admin): the ratings CSV from the page equals `ccd ratings --format csv`.
    day = datetime.now(UTC).date()
    start, end = day.isoformat(), (day + timedelta(days=1)).isoformat()
    root = browser_factory()
    await sign_in(root, base, "root")
    await records(root, base, "ratings")
    await root.js("for (const p of ['rat', 'rep']) { document.getElementById(p + '-from').value = arguments[0];"
                  "document.getElementById(p + '-to').value = arguments[0]; }"
                  "document.getElementById('rat-by').value = 'agent'; document.querySelector('#rat-form button').click()",
                  start)
    await root.wait_js("return window.ccdRecords.ratings && document.querySelector('#lowest tbody tr')", "ratings")
    page_csv = await root.js("return await (await fetch(document.getElementById('rat-csv').href)).text()")
    cli_csv = await asyncio.to_thread(cli, cfg_file, "ratings", "--from", start, "--to", end, "--by", "agent",
                                      "--format", "csv")
    assert page_csv == cli_csv and "A1" in cli_csv and "B1" in cli_csv
    ranking = await root.js("return [...document.querySelectorAll('#ranking li')].map(li => li.dataset.agent)")
    assert ranking == ["A1", "B1"]
    # the lowest-rated call is one click from its recording
    assert await root.js("return document.querySelector('#lowest tbody tr').dataset.call") == sales_call
    await click(root, f'#lowest button[data-play="{sales_call}"]')
    await root.wait_js("return document.getElementById('player').readyState >= 1", "lowest plays", 15)
    assert await root.js("return document.querySelectorAll('a.download').length") > 0  # root may save files
    status, disposition = await root.js("const r = await fetch(document.querySelector('a.download').href);"
                                        "return [r.status, r.headers.get('Content-Disposition') || '']")
    assert status == 200 and "attachment" in disposition
    await root.screenshot("records-ratings-en")

    # The report page shows `ccd report`'s figures for the same calls.
    await root.js("location.hash = 'reports'; document.getElementById('rep-by').value = 'queue';"
                  "document.querySelector('#rep-form button').click()")
    await root.wait_js("return window.ccdRecords.report && document.querySelector('#report tbody tr')", "report")
    shown = await root.js("return [...document.querySelectorAll('#report tbody tr')].map(tr => Object.fromEntries("
                          "[...tr.querySelectorAll('td')].map(td => [td.dataset.col, td.textContent])))")
    want = json.loads(await asyncio.to_thread(cli, cfg_file, "report", "--from", start, "--to", end, "--by", "queue",
                                              "--format", "json"))
    assert len(shown) == len(want) == 2
    for got, exp in zip(shown, want, strict=True):
        for key, value in exp.items():
            if isinstance(value, float):
                assert float(got[key]) == pytest.approx(value, abs=1e-3), key
            else:
                assert got[key] == ("" if value is None else str(value)), key
    assert {r["queue"]: r["offered"] for r in want} == {"support": 1, "sales": 1}
    page_csv = await root.js("return await (await fetch(document.getElementById('rep-csv').href)).text()")
    assert page_csv == await asyncio.to_thread(cli, cfg_file, "report", "--from", start, "--to", end, "--by", "queue",
                                               "--format", "csv")
    await root.js("document.getElementById('rep-by').value = '1h'; document.querySelector('#rep-form button').click()")
    await root.wait_js("return document.querySelector('#chart-sl') && document.querySelector('#chart-calls rect')"
                       " && document.querySelector('#chart-occupancy rect')", "charts drawn")
    await root.js("document.querySelector('#staff-form button').click()")
    await root.wait_js("return document.querySelector('#chart-staffing')", "staffing chart")
    assert await root.js("return window.ccdRecords.staffing.some(r => r.calls > 0)")
    await root.js("document.getElementById('staff-forecast').click()")
    await root.wait_js("return document.querySelector('#chart-forecast rect')", "forecast chart")
    await root.screenshot("records-reports-en")
    await root.js("const s = document.getElementById('lang'); s.value = 'ru'; s.dispatchEvent(new Event('change'))")
    await root.wait_js("return document.getElementById('h-reports').textContent === 'Отчёты'", "Russian")
    await root.screenshot("records-reports-ru")
    await root.js("location.hash = 'history'")
    await root.wait_js("return !document.getElementById('tab-history').hidden && "
                       "document.getElementById('h-history').textContent === 'История клиента'", "Russian history")
    await root.screenshot("records-history-ru")
    await root.js("localStorage.removeItem('ccd.lang')")

    # A live call: one click from the floor to its caller's history (who served them before).
    await anna.get(base + "/console/")
    await anna.wait_js("return !document.getElementById('floor-view').hidden", "floor")
    await click(anna, 'button[data-act="logout"][data-agent="A1"]')
    await ccd.wait_event("agent.logout", agent_id="A1")
    await ccd.login("A2")
    asterisk.originate_caller_cli("support", CALLER, hangup_after=60)
    await ccd.wait_event("call.answered", agent_id="A2", timeout=20)
    await anna.wait_js("return document.querySelector('#agent-A2 .caller a.history')", "caller link on the floor")
    await click(anna, "#agent-A2 .caller a.history")
    await anna.wait_js("return window.ccdRecords && window.ccdRecords.history", "history from the floor")
    rows = await anna.js("return [...document.querySelectorAll('#history tbody tr')].map(tr => [tr.dataset.agent,"
                         " tr.dataset.outcome])")
    assert rows[0] == ["A2", "in_progress"] and ["A1", "answered"] in rows
    await anna.screenshot("records-history-from-floor")
    asterisk.cli("channel request hangup all")



async def test_refusals(asterisk: AsteriskInstance, ccd_factory: Factory, tmp_path: Path,
                        browser_factory: Callable[[], Page]) -> None:
    extra = setup(asterisk, tmp_path / "rec")
    extra["console"]["users"].append({"name": "wall", "role": "viewer"})
    ccd = await ccd_factory(asterisk, **extra)
    store = SessionStore(ccd.daemon.dsn, 60)
    for name, pw in {**PASSWORDS, "wall": "wall-secret-1"}.items():
        await store.set_password(name, pw)
    await store.close()
    base = f"http://{extra['http']['listen']}"
    staffing = "/console/api/records/staffing?queue=support&from=2026-01-01&to=2026-01-02"
    async with aiohttp.ClientSession() as anonymous:
        for path in ("/console/api/history?caller=123", "/console/api/records/setup", staffing):
            async with anonymous.get(base + path) as r:
                assert r.status == 401, path
        async with anonymous.get(base + "/console/records") as r:
            assert r.status == 200  # the page itself holds no data

    async def signed_in(name: str, password: str) -> aiohttp.ClientSession:
        web = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with web.post(base + "/console/api/login", json={"name": name, "password": password}) as r:
            assert r.status == 200
        return web

    wall = await signed_in("wall", "wall-secret-1")
    async with wall:
        async with wall.get(base + "/console/api/history?caller=84955550101") as r:
            assert r.status == 403  # caller numbers are personal data: not on a wallboard
        async with wall.get(base + "/console/api/records/setup") as r:
            setup_doc = await r.json()
            assert r.status == 200 and setup_doc["agents"] == [] and not setup_doc["download"]
    anna = await signed_in("anna", PASSWORDS["anna"])
    async with anna:
        for path, reason in (("/console/api/history?caller=anonymous", "not a phone number"),
                             ("/console/api/history?caller=123&limit=0", "limit"),
                             ("/console/api/history", "caller"),
                             ("/console/api/records/staffing?queue=nope&from=2026-01-01&to=2026-01-02", "unknown queue"),
                             ("/console/api/records/staffing?queue=support&from=2026-01-02&to=2026-01-01", "days after"),
                             ("/api/recordings?from=2026-01-01&to=2026-01-02&duration_min=-1", "duration_min")):
            async with anna.get(base + path) as r:
                body = await r.json()
                assert r.status == 400 and reason in body["message"], (path, body)
        async with anna.get(base + "/console/api/history?caller=8 (495) 555-01-01") as r:
            assert r.status == 200 and await r.json() == {"caller": "+74955550101", "calls": []}
        async with anna.get(base + staffing) as r:
            assert r.status == 200  # no history yet: intervals with no calls

        # An unanswered call is in the history of the queue's teams only.
        asterisk.originate_caller_cli("support", CALLER, hangup_after=2)
        gone = await ccd.wait_event("call.abandoned", timeout=20)
        deadline = time.monotonic() + 10
        while True:
            async with anna.get(base + "/console/api/history", params={"caller": TYPED}) as r:
                calls = (await r.json())["calls"]
            if calls and calls[0]["outcome"] != "in_progress":
                break
            assert time.monotonic() < deadline, calls
            await asyncio.sleep(0.2)
        assert [(c["call_id"], c["agent_id"], c["outcome"]) for c in calls] == [(gone.call_id, None, "abandoned")]
    boris = await signed_in("boris", PASSWORDS["boris"])
    async with boris, boris.get(base + "/console/api/history", params={"caller": TYPED}) as r:
        assert r.status == 200 and (await r.json())["calls"] == []

    # A wallboard's page offers what it may read: reports by queue and interval, no history.
    page = browser_factory()
    await sign_in(page, base, "wall", "wall-secret-1")
    await records(page, base, "")
    assert await page.js("return !document.getElementById('tab-reports').hidden")
    assert await page.js("return !document.querySelector('nav a[data-tab=\"history\"]')")
    assert await page.js("return [...document.querySelectorAll('#rep-by option')].map(o => o.value)") == \
        ["1h", "30m", "15m", "day", "week", "month", "quarter", "queue"]
