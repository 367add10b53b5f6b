"""The supervisor console in a real headless Chromium, against the real daemon, Asterisk and
PostgreSQL: sign-in, live floor, actions with their audit, team scoping, CSRF, expiry, and a
gap-free resume after a ccd restart."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from ccd.console.sessions import SessionStore
from ccd.sandbox.asterisk import AsteriskInstance
from tests.harness.browser import Page
from tests.harness.ccd import Factory, Running
from tests.integration.test_supervision_audio import call_in, http, rec_agent, sup_phone, supervisor, tag

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres, pytest.mark.browser]

PASSWORDS = {"anna": "anna-secret-1", "boris": "boris-secret-1", "root": "root-secret-1"}
ZONE = "Asia/Kamchatka"  # UTC+12 all year: the page's clock is the configured zone's, not the browser's


def console_cfg(rec: str, listen: dict[str, Any]) -> dict[str, Any]:
    return {
        "agents": [rec_agent("A1", rec, teams=["t1"]), rec_agent("A2", rec, teams=["t1"]),
                   rec_agent("B1", rec, teams=["t2"])],
        "queues": [{"name": "support", "teams": ["t1"], "ring_timeout": 5, "wrapup": 0.5},
                   {"name": "sales", "teams": ["t2"], "ring_timeout": 5, "wrapup": 0.5}],
        "supervisors": [supervisor("S1", ["t1"], sup_phone(rec, hangup_after=60)), supervisor("S2", ["t2"])],
        "teams": [{"name": "t1"}, {"name": "t2"}],
        "http": listen,
        "timezone": ZONE,
        "console": {"users": [{"name": "anna", "supervisor": "S1"},
                              {"name": "boris", "supervisor": "S2", "language": "ru"},
                              {"name": "root", "role": "admin"}],
                    "pause_allowance_minutes": {"smoke": 0.03},
                    "thresholds": {"support": {"pause_over_s": [0, 4]}}},
    }


async def start(asterisk: AsteriskInstance, ccd_factory: Factory, listen: dict[str, Any] | None = None,
                rec: str | None = None, reset: bool = True) -> tuple[Running, str]:
    listen = listen or http()
    ccd = await ccd_factory(asterisk, reset=reset, **console_cfg(rec or tag(), listen))
    if not reset:
        return ccd, f"http://{listen['listen']}"  # a restart: a new password would end the sessions
    store = SessionStore(ccd.daemon.dsn, 60)
    for name, pw in PASSWORDS.items():
        await store.set_password(name, pw)
    await store.close()
    return ccd, f"http://{listen['listen']}"


async def sign_in(page: Page, base: str, name: str, password: str | None = None) -> None:
    await page.get(base + "/console/")
    await page.wait_js("return !document.getElementById('login-view').hidden", "login form shown")
    await page.js("document.getElementById('login-name').value = arguments[0];"
                  "document.getElementById('login-password').value = arguments[1];"
                  "document.getElementById('login-submit').click();", name, password or PASSWORDS[name])


async def floor_ready(page: Page) -> None:
    await page.wait_js("return !document.getElementById('floor-view').hidden && document.querySelector('.tile')",
                       "floor with tiles")


async def click(page: Page, selector: str) -> None:
    # By script: the grid re-renders on every event, so a held element reference goes stale.
    await page.wait_js(f"const b = document.querySelector({selector!r}); if (b) b.click(); return !!b;",
                       f"click {selector}")


def text_of(selector: str) -> str:
    return f"const e = document.querySelector({selector!r}); return e ? e.textContent : '';"


async def test_live_floor_actions_and_screenshots(asterisk: AsteriskInstance, ccd_factory: Factory,
                                                  browser_factory: Callable[[], Page]) -> None:
    ccd, base = await start(asterisk, ccd_factory)
    page = browser_factory()
    await sign_in(page, base, "anna", "wrong-password")
    await page.wait_js(text_of("#login-error"), "wrong password refused")
    assert await page.js("return document.getElementById('floor-view').hidden")
    await sign_in(page, base, "anna")
    await floor_ready(page)
    # Nobody logged in to support: its tile is critical and the alert list says why; every
    # tile shows the age of its data; the grid shows each agent's teams and queues.
    await page.wait_js("return document.querySelector('#queue-support.critical') && [...document.querySelectorAll("
                       "'#alerts li.critical')].some(li => li.textContent.includes('support'))", "no-agent alert")
    assert "data age" in await page.js(text_of("#queue-support .age"))
    assert await page.js(text_of("#agent-A1 .queues")) == "support"

    # A call through Asterisk, nobody logged in: it waits, and the tile shows it within 2 s of
    # ccd queueing it (the page notes when its DOM changed; same machine, same clock).
    await page.js("window.shownAt = 0; new MutationObserver(() => { if (!window.shownAt && document.querySelector("
                  "'#queue-support .waiting')?.textContent === '1') window.shownAt = Date.now(); })"
                  ".observe(document.getElementById('queues'), {childList: true, subtree: true, characterData: true})")
    number = "5551234567"
    await asyncio.to_thread(call_in, asterisk, tag(), number, 60)
    shown_ms = await page.wait_js("return window.shownAt", "waiting call in the tile", 10)
    queued = await ccd.wait_event("call.queued", queue="support")
    assert shown_ms / 1000 - queued.ts.timestamp() < 2.0

    # Log A1 in from the grid: the call is answered, and the grid shows caller and queue.
    await click(page, 'button[data-act="login"][data-agent="A1"]')
    answered = await ccd.wait_event("call.answered", agent_id="A1", timeout=20)
    await page.wait_js("return document.querySelector('#agent-A1')?.dataset.state === 'on_call'", "A1 on call")
    assert number in await page.js(text_of("#agent-A1 .caller"))
    login = await ccd.wait_event("agent.control", agent_id="A1", action="login")
    assert login.payload["actor"] == "anna" and login.payload["via"] == "console"

    # Whisper from the grid: ccd rings the supervisor's phone and the session shows.
    await click(page, 'button[data-act="whisper"][data-agent="A1"]')
    started = await ccd.wait_event("supervision.started", timeout=15)
    assert started.payload["supervisor"] == "S1" and started.call_id == answered.call_id
    channels = [c.name for c in await ccd.daemon.rest.list_channels()]
    assert any("-sp-" in name for name in channels), channels
    await page.wait_js("return document.querySelector('#sessions li[data-mode=\"whisper\"]')", "session shown")
    assert started.payload["actor"] == "console:anna"
    # ... its mode switched from the page, then stopped; each step audited with anna.
    await click(page, '#sessions button[data-mode="barge"]')
    changed = await ccd.wait_event("supervision.mode_changed", timeout=15)
    assert changed.payload["mode"] == "barge" and changed.payload["actor"] == "console:anna"
    await page.wait_js("return document.querySelector('#sessions li[data-mode=\"barge\"]')", "mode switch shown")
    await click(page, "#sessions button[data-stop]")
    ended = await ccd.wait_event("supervision.ended", timeout=15)
    assert ended.payload["actor"] == "console:anna"
    await page.wait_js("return !document.querySelector('#sessions li')", "session gone")

    # Pause A2 (logged in first) with a reason: no offers for A2, the feed names anna.
    await click(page, 'button[data-act="login"][data-agent="A2"]')
    await ccd.wait_event("agent.login", agent_id="A2")
    await page.js("document.getElementById('pause-reason').value = 'smoke'")
    await click(page, 'button[data-act="pause"][data-agent="A2"]')
    paused = await ccd.wait_event("agent.paused", agent_id="A2")
    assert paused.payload["actor"] == "console:anna"
    await page.wait_js("return [...document.querySelectorAll('#feed li[data-type=\"agent.control\"]')]"
                       ".some(li => li.textContent.includes('anna') && li.textContent.includes('A2'))",
                       "feed names who paused A2")
    await asyncio.to_thread(call_in, asterisk, tag(), "5557654321", 30)
    await ccd.wait_event("call.queued", caller="5557654321")
    await asyncio.sleep(2)
    assert not ccd.of("call.offered", agent_id="A2")

    # The smoke break's allowance is ~2 s: its timer turns red, and it is a warning; support's
    # levels make it critical 4 s past the allowance (tile and alert).
    await page.wait_js("return document.querySelector('#agent-A2 td.timer.overrun')", "overrun shown red", 10)
    await page.wait_js("return document.querySelector('#alerts li.warning[data-agent=\"A2\"]')", "warning", 10)
    await page.wait_js("return document.querySelector('#alerts li.critical[data-agent=\"A2\"]') && "
                       "document.querySelector('#queue-support.critical')", "pause critical", 10)

    # ... acknowledged, it goes quiet for everyone, and the feed says who.
    await click(page, '#alerts li.critical[data-agent="A2"] button[data-ack]')
    acked = await ccd.wait_event("alert.acknowledged", agent_id="A2")
    assert acked.payload["actor"] == "anna" and acked.payload["alert"].endswith(":critical")
    await page.wait_js("return !document.querySelector('#alerts button[data-ack^=\"a:A2:pause\"]')", "alert quiet")
    await page.wait_js("return [...document.querySelectorAll('#feed li[data-type=\"alert.acknowledged\"]')]"
                       ".some(li => li.textContent.includes('anna'))", "feed names who acknowledged")

    # Screenshots: normal, compact, TV, Russian.
    # Unpause from the grid: audited with anna. Times on the feed are in the configured zone.
    await click(page, 'button[data-act="unpause"][data-agent="A2"]')
    await ccd.wait_event("agent.unpaused", agent_id="A2")
    unpause = await ccd.wait_event("agent.control", agent_id="A2", action="unpause")
    assert unpause.payload["actor"] == "anna"
    ts, shown = await page.wait_js(
        "const i = window.ccdState.feed.findLastIndex(f => f.type === 'agent.control' && f.action === 'unpause');"
        "const li = [...document.querySelectorAll('#feed li[data-type=\"agent.control\"]')]"
        ".find(l => l.textContent.includes('unpause') || l.textContent.includes('Unpause'));"
        "return i >= 0 && li && [window.ccdState.feed[i].ts, li.querySelector('time').textContent]", "unpause on feed")
    local = datetime.fromtimestamp(ts, ZoneInfo(ZONE))
    shown = shown.replace("\u202f", " ")  # newer ICU puts a narrow no-break space before AM/PM
    assert shown in (local.strftime("%I:%M:%S %p"), local.strftime("%H:%M:%S")), (shown, local)
    await page.screenshot("floor-normal")
    await click(page, "#btn-compact")
    await page.screenshot("floor-compact")
    await click(page, "#btn-compact")
    await click(page, "#btn-tv")
    await page.screenshot("floor-tv")
    await click(page, "#btn-tv")
    await page.js("const s = document.getElementById('lang'); s.value = 'ru'; s.dispatchEvent(new Event('change'))")
    await page.wait_js("return document.getElementById('h-agents').textContent === 'Операторы'", "Russian")
    await page.screenshot("floor-ru")
    await page.js("localStorage.removeItem('ccd.lang')")
    await page.run(lambda: page.driver.set_window_size(390, 844))  # a phone
    await page.wait_js("return document.querySelector('#agents thead').offsetParent === null", "phone layout")
    await page.screenshot("floor-phone")
    await page.run(lambda: page.driver.set_window_size(1400, 1000))

    # A supervisor of another team sees none of it (in Russian: his own setting).
    other = browser_factory()
    await sign_in(other, base, "boris")
    await floor_ready(other)
    await other.wait_js("return document.getElementById('h-agents').textContent === 'Операторы'", "boris: Russian")
    assert await other.js("return !document.querySelector('#agent-A1') && !document.querySelector('#agent-A2')")
    assert await other.js("return !document.querySelector('#queue-support') && !!document.querySelector('#queue-sales')")
    assert not await other.js("return [...document.querySelectorAll('#feed li')].some(l => l.textContent.includes('A2'))")

    # An admin sees every agent and filters the grid by team and by queue.
    admin = browser_factory()
    await sign_in(admin, base, "root")
    await floor_ready(admin)
    rows = "return [...document.querySelectorAll('#agents tbody tr')].map(tr => tr.id).join(' ')"
    await admin.wait_js(rows + " === 'agent-A1 agent-A2 agent-B1'", "all agents")
    for select, value, want in (("filter-team", "t2", "agent-B1"), ("filter-team", "", "agent-A1 agent-A2 agent-B1"),
                                ("filter-queue", "support", "agent-A1 agent-A2")):
        await admin.js(f"const s = document.getElementById('{select}'); s.value = arguments[0];"
                       "s.dispatchEvent(new Event('change'))", value)
        await admin.wait_js(rows + f" === {want!r}", f"{select}={value}")

    # A stream that goes silent (no event, no refresh) for more than 10 s: the page says so.
    await page.js("window.ccdState.es.close()")
    await page.wait_js("const b = document.getElementById('banner');"
                       "return !b.hidden && b.textContent.includes('10')", "stale banner", 20)
    asterisk.cli("channel request hangup all")


async def test_refusals_csrf_and_expiry(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd, base = await start(asterisk, ccd_factory)
    async with aiohttp.ClientSession() as anonymous:
        for method, path in (("GET", "/console/api/me"), ("GET", "/console/api/stream"),
                             ("POST", "/console/api/logout"), ("POST", "/console/api/alerts/ack")):
            async with anonymous.request(method, base + path, json={}) as r:
                assert r.status == 401, (method, path)
        for path in ("/console/", "/console/static/console.js", "/console/static/i18n.js"):
            async with anonymous.get(base + path) as r:
                assert r.status == 200, path  # the page itself holds no data
        async with anonymous.get(base + "/console/static/..%2Fwire.py") as r:
            assert r.status == 404
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as web:
        async with web.post(base + "/console/api/login", json={"name": "anna", "password": "nope-nope"}) as r:
            assert r.status == 401
        async with web.post(base + "/console/api/login", data="name=anna&password=x") as r:
            assert r.status == 403  # not JSON: a cross-site form cannot sign anyone in
        async with web.post(base + "/console/api/login", json={"name": "anna", "password": PASSWORDS["anna"]}) as r:
            assert r.status == 200
            me = await r.json()
            cookie = r.cookies["ccd_session"]
            assert cookie["httponly"] and cookie["samesite"] == "Strict"
        async with web.post(base + "/api/agents/A1/login", json={}) as r:
            assert r.status == 403 and "CSRF" in (await r.json())["message"]
        async with web.post(base + "/api/agents/A1/login", json={}, headers={"X-CSRF-Token": "forged"}) as r:
            assert r.status == 403
        async with web.post(base + "/api/agents/B1/login", json={}, headers={"X-CSRF-Token": me["csrf"]}) as r:
            assert r.status == 403  # B1 is another team's agent: the API's own ACL
        async with web.post(base + "/api/agents/A1/login", json={}, headers={"X-CSRF-Token": me["csrf"]}) as r:
            assert r.status == 202
        ack = base + "/console/api/alerts/ack"
        async with web.post(ack, json={"alert": "q:sales:waiting"}, headers={"X-CSRF-Token": me["csrf"]}) as r:
            assert r.status == 403  # another team's queue
        async with web.post(ack, json={"alert": "q:support:waiting"}) as r:
            assert r.status == 403  # no CSRF token
        async with web.post(ack, json={"alert": "q:support:waiting"}, headers={"X-CSRF-Token": me["csrf"]}) as r:
            assert r.status == 200
        await ccd.wait_event("agent.login", agent_id="A1")
        store = SessionStore(ccd.daemon.dsn, 60)
        await store.expire_now("anna")
        await store.close()
        async with web.get(base + "/console/api/me") as r:
            assert r.status == 401
        async with web.get(base + "/console/api/stream") as r:
            assert r.status == 401
        async with web.post(base + "/api/agents/A1/logout", json={}, headers={"X-CSRF-Token": me["csrf"]}) as r:
            assert r.status == 401
    assert not ccd.of("agent.logout", agent_id="A1")


async def test_reconnect_after_restart_resumes_without_gap(asterisk: AsteriskInstance, ccd_factory: Factory,
                                                           browser_factory: Callable[[], Page]) -> None:
    listen = http()
    rec = tag()
    ccd, base = await start(asterisk, ccd_factory, listen, rec)
    page = browser_factory()
    await sign_in(page, base, "anna")
    await floor_ready(page)
    first_epoch = await page.js("return document.querySelector('#agent-A1') && window.ccdState?.epoch")

    # Same process: a dropped stream resumes from its last sequence, with no new snapshot.
    await page.js("window.ccdState.reconnect()")
    await click(page, 'button[data-act="login"][data-agent="A2"]')
    await ccd.wait_event("agent.login", agent_id="A2")
    await page.wait_js("return document.querySelector('#agent-A2')?.dataset.state === 'available'", "A2 in", 10)
    assert await page.js("return [window.ccdState.snapshots, window.ccdState.gaps]") == [1, 0]
    await ccd.daemon.stop()
    await page.wait_js("return !document.getElementById('banner').hidden", "disconnected banner")
    ccd2, _ = await start(asterisk, ccd_factory, listen, rec, reset=False)
    await page.wait_js("return document.getElementById('banner').hidden", "reconnected", 20)
    await click(page, 'button[data-act="login"][data-agent="A1"]')
    await ccd2.wait_event("agent.login", agent_id="A1")
    await page.wait_js("return document.querySelector('#agent-A1')?.dataset.state === 'available'",
                       "state after restart applied", 10)
    epoch, seq, gaps = await page.js("return [window.ccdState.epoch, window.ccdState.seq, window.ccdState.gaps]")
    assert epoch != first_epoch and seq >= 1 and gaps == 0
    assert await page.js("return window.ccdState.snapshots") == 2  # a new process: one new snapshot
