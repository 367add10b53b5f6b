"""Callbacks in the running daemon, on the real Asterisk and PostgreSQL: waiting callers hear
the offer and press 1 twice (accept, confirm the caller id read back), ccd books the callback
and hangs up; the callback keeps the caller's place in line and is delivered agent-first.

- A callback booked at position 2 is served after the caller ahead of it and before two
  live callers who arrived later; the booked call's record says ``callback``, not abandoned.
- Two requests from one number: one callback (the second merged), both callers released.
- An offered caller who presses nothing keeps waiting and is answered as usual.
- ``kill -9`` of ccd with 3 pending callbacks: all 3 restored and delivered in line order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from ccd import events as ev
from ccd.store.reports import kpi_report
from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent, eventually
from tests.integration import test_daemon_process as _process
from tests.integration.test_daemon_process import CcdProcess

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
ccd_process = _process.ccd_process  # the fixture: ccd as a real process (for kill -9)
Make = Callable[..., tuple[CcdProcess, Any]]

CALLBACK = {"enabled": True, "offer_after": 1, "allow": [r"49[0-9]{6,12}"], "caller_id": "4930555000",
            "dial": "Local/{number}@sim-customer", "dial_timeout": 15, "retry_delay": 2}
QUEUE = {"name": "support", "agents": ["A"], "wrapup": 0, "ring_timeout": 15, "callback": CALLBACK}
BOOK = "11"  # 1: "yes, call me back"; 1: "this number is right"


def call(ast: AsteriskInstance, number: str, digits: str = "x", hangup_after: float = 120) -> None:
    """A caller whose phone presses ``digits`` 5 s in (the offer starts after 1 s of waiting)."""
    ast.originate_caller_cli("support", number, hangup_after=hangup_after,
                             dtmf_delay=5 if digits != "x" else 0, digits=digits)


def hang_up(ast: AsteriskInstance, part: str) -> None:
    for c in ast.channels():
        if part in c:
            ast.cli(f"channel request hangup {c}")


def timeline(running: Running) -> list[str | None]:
    """Who the agent served, in order: live callers answered and callbacks connected."""
    items = [(e.ts, caller_of(running, e.call_id)) for e in running.of(ev.CALL_ANSWERED)]
    items += [(e.ts, e.payload.get("number")) for e in running.of(ev.CALLBACK_CONNECTED)]
    return [who for _, who in sorted(items, key=lambda t: t[0])]


def caller_of(running: Running, call_id: str | None) -> str | None:
    queued = running.of(ev.CALL_QUEUED)
    return next((e.payload.get("caller") for e in queued if e.call_id == call_id), None)


async def outcome(dsn: str, caller: str, timeout: float = 20.0) -> str | None:
    conn = await asyncpg.connect(dsn)
    found: list[str | None] = []

    async def check() -> bool:
        rows = await conn.fetch("SELECT outcome FROM call_records WHERE caller = $1", caller)
        found[:] = [r["outcome"] for r in rows]
        return bool(found) and found[0] is not None

    try:
        await eventually(check, f"call record of {caller}", timeout)
    finally:
        await conn.close()
    return found[0]


async def test_callback_at_position_2_is_served_between_the_callers_around_it(
        asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory, pg_dsn: str) -> None:
    ast = asterisk_factory()
    running = await ccd_factory(ast, agents=[agent("A", talk=0)], queues=[QUEUE])
    call(ast, "4930100001")  # position 1: waits
    await running.wait_event(ev.CALL_QUEUED, caller="4930100001")
    call(ast, "4930100002", BOOK)  # position 2: books a callback
    booked = await running.wait_event(ev.CALLBACK_REQUESTED, timeout=30)
    assert booked.payload["number"] == "4930100002"
    await eventually(lambda: not any("c-4930100002" in c for c in ast.channels()), "booked caller hung up")
    call(ast, "4930100003")  # later arrivals
    await running.wait_event(ev.CALL_QUEUED, caller="4930100003")
    call(ast, "4930100004")
    await running.wait_event(ev.CALL_QUEUED, caller="4930100004")

    await running.login("A")
    served: list[str | None] = []
    async with asyncio.timeout(120):
        while len(served) < 4:
            now = timeline(running)
            if len(now) > len(served):
                served = now
                # The one agent finishes this call: its other side hangs up.
                hang_up(ast, "@sim-customer" if served[-1] == "4930100002" else "ag-A-")
            await asyncio.sleep(0.1)
    assert served == ["4930100001", "4930100002", "4930100003", "4930100004"]
    connected = running.of(ev.CALLBACK_CONNECTED)[0]
    answers = running.of(ev.CALL_ANSWERED)
    assert answers[0].ts < connected.ts < answers[1].ts  # served in its place, not only counted so
    assert connected.payload["wait_s"] >= booked.payload["wait_s"]  # the wait counts from the call's enqueue
    assert await outcome(pg_dsn, "4930100002") == "callback"  # not an abandon (docs/kpis.md)
    assert await outcome(pg_dsn, "4930100001") == "answered"
    assert await outcome(pg_dsn, "4930100004") == "answered"
    conn = await asyncpg.connect(pg_dsn)
    try:
        now = datetime.now(UTC)
        [kpi] = await kpi_report(conn, start=now - timedelta(hours=1), end=now + timedelta(minutes=1),
                                 by="queue", tz="UTC")
    finally:
        await conn.close()
    # The booked call is offered, but no abandon and not in the SL / abandon-rate base (3).
    assert (kpi["offered"], kpi["answered"], kpi["abandoned"], kpi["abandon_rate"]) == (4, 3, 0, 0.0)
    abandoned = running.daemon.registry.get_sample_value(
        "ccd_queue_calls_abandoned_total", {"queue": "support", "short": "no"}) or 0.0
    assert abandoned == 0.0


async def test_two_requests_from_one_number_make_one_callback(
        asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory, pg_dsn: str) -> None:
    ast = asterisk_factory()
    running = await ccd_factory(ast, agents=[agent("A", talk=0)], queues=[QUEUE])
    call(ast, "4930100007", BOOK)
    first = await running.wait_event(ev.CALLBACK_REQUESTED, timeout=30)
    call(ast, "4930100007", BOOK)
    merged = await running.wait_event(ev.CALLBACK_MERGED, timeout=30)
    assert merged.call_id == first.call_id and merged.payload["request"] != first.call_id
    await eventually(lambda: not any("c-4930100007" in c for c in ast.channels()), "both callers released")
    assert len(running.of(ev.CALLBACK_REQUESTED)) == 1
    service = running.daemon.callbacks.service
    assert service is not None and [c.number for c in service.pending("support")] == ["4930100007"]
    assert running.daemon.callbacks.pending("support") == 1  # what the console's tile shows
    conn = await asyncpg.connect(pg_dsn)
    try:
        rows = await conn.fetch("SELECT status FROM callbacks")
    finally:
        await conn.close()
    assert [r["status"] for r in rows] == ["pending"]
    # Both calls left the line for the one callback: neither is an abandon.
    records = await _outcomes(pg_dsn, "4930100007", 2)
    assert records == ["callback", "callback"]


async def _outcomes(dsn: str, caller: str, n: int) -> list[str | None]:
    conn = await asyncpg.connect(dsn)
    found: list[str | None] = []

    async def check() -> bool:
        rows = await conn.fetch("SELECT outcome FROM call_records WHERE caller = $1", caller)
        found[:] = [r["outcome"] for r in rows]
        return len(found) >= n and None not in found

    try:
        await eventually(check, f"{n} call records of {caller}", 20)
    finally:
        await conn.close()
    return found


async def test_an_offered_caller_who_declines_keeps_waiting(
        asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory, pg_dsn: str) -> None:
    ast = asterisk_factory()
    running = await ccd_factory(ast, agents=[agent("A", talk=0)], queues=[QUEUE])
    call(ast, "4930100021")  # presses nothing
    registry = running.daemon.registry

    def declined() -> float:
        return registry.get_sample_value("ccd_callback_offers_total",
                                         {"queue": "support", "outcome": "declined"}) or 0.0

    await eventually(lambda: declined() == 1.0, "offer made and declined", 30)
    assert any("c-4930100021" in c for c in ast.channels())  # still on the line
    await running.login("A")
    answered = await running.wait_event(ev.CALL_ANSWERED, timeout=20)
    assert caller_of(running, answered.call_id) == "4930100021"
    assert not running.of(ev.CALLBACK_REQUESTED)
    hang_up(ast, "ag-A-")
    assert await outcome(pg_dsn, "4930100021") == "answered"


async def test_kill9_with_3_pending_callbacks_restores_and_delivers_them_in_order(
        asterisk_factory: Callable[..., AsteriskInstance], ccd_process: Make, pg_dsn: str) -> None:
    ast = asterisk_factory()
    proc, _ = ccd_process(ast, [agent("A", talk=0)], [QUEUE])
    proc.start()
    proc.wait_ready()
    numbers = ["4930100031", "4930100032", "4930100033"]
    conn = await asyncpg.connect(pg_dsn)
    try:
        for n in numbers:  # booked one after the other: their places are in this order
            call(ast, n, BOOK)
            await eventually(lambda n=n: not any(f"c-{n}" in c for c in ast.channels()), f"{n} booked", 30)
        await eventually(lambda: _open(proc) == 3, "3 pending callbacks")
        proc.kill9()

        proc.start()
        proc.wait_ready()
        assert _open(proc) == 3  # restored from PostgreSQL
        assert proc.api("POST", "/api/agents/A/login")[0] == 202
        delivered: list[str] = []

        async def next_connected() -> bool:
            rows = await conn.fetch("SELECT payload->>'number' AS number FROM events "
                                    "WHERE type = 'callback.connected' ORDER BY ts")
            if len(rows) > len(delivered):
                delivered[:] = [r["number"] for r in rows]
                hang_up(ast, "@sim-customer")  # the agent and the customer talk, then hang up
            return len(delivered) == 3

        await eventually(next_connected, "3 callbacks delivered", 120)
        assert delivered == numbers
        statuses = await conn.fetch("SELECT status FROM callbacks")
        assert {r["status"] for r in statuses} == {"connected"}
    finally:
        await conn.close()


def _open(proc: CcdProcess) -> int:
    status, body = proc.api("GET", "/api/queues/support/callbacks")
    return len(body) if status == 200 else -1


async def test_customer_first_confirms_before_the_agent_rings_then_both_are_bridged(
        asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory) -> None:
    ast = asterisk_factory()
    queue = {**QUEUE, "callback": {**CALLBACK, "delivery": "customer_first"}}
    running = await ccd_factory(ast, agents=[agent("A", talk=0)], queues=[queue])
    call(ast, "4988100041", BOOK)  # 4988...: the customer's phone presses 1 when called back
    await running.wait_event(ev.CALLBACK_REQUESTED, timeout=30)
    await eventually(lambda: not any("c-4988100041" in c for c in ast.channels()), "booked caller hung up")
    await running.login("A")
    connected = await running.wait_event(ev.CALLBACK_CONNECTED, timeout=40)
    attempted = running.of(ev.CALLBACK_ATTEMPTED)[0]
    ringing = running.of(ev.AGENT_STATE, agent_id="A", state="ringing")[0]
    # The customer answers after 1 s and presses 1 two seconds later: only then the agent rings.
    assert (ringing.ts - attempted.ts).total_seconds() >= 2.5
    assert attempted.payload["delivery"] == "customer_first" and ringing.ts < connected.ts
    bridge = f"ccd-cb-{attempted.call_id}-{attempted.payload['attempt']}-customer"
    await eventually(lambda: "ag-A-" in (out := ast.cli(f"bridge show {bridge}")) and "sim-customer" in out,
                     "customer and agent in one bridge")
    freed = len(running.of(ev.AGENT_STATE, agent_id="A", state="available"))
    hang_up(ast, "@sim-customer")  # the call ends: the agent is free again
    await running.wait_count(ev.AGENT_STATE, freed + 1, agent_id="A", state="available", timeout=20)


async def test_an_attempt_cut_by_an_asterisk_restart_is_made_again(
        asterisk_factory: Callable[..., AsteriskInstance], ccd_factory: Factory) -> None:
    ast = asterisk_factory()
    running = await ccd_factory(ast, agents=[agent("A", talk=0)], queues=[QUEUE])
    call(ast, "4930100051", BOOK)
    await running.wait_event(ev.CALLBACK_REQUESTED, timeout=30)
    await eventually(lambda: not any("c-4930100051" in c for c in ast.channels()), "booked caller hung up")
    await running.login("A")
    await running.wait_event(ev.CALLBACK_ATTEMPTED, timeout=20)
    await eventually(lambda: any("ag-A-" in c for c in ast.channels()), "the agent hears the announcement")
    health = running.daemon.health
    reconnects = health.links["ari"].reconnects
    # The attempt's channels die with Asterisk. (A stop, not kill -9: after a kill -9 the
    # agent's device state stays "in use" in ccd until the device changes again.)
    await asyncio.to_thread(ast.restart)
    await eventually(lambda: health.links["ari"].reconnects > reconnects and health.is_up("ari"),
                     "ARI back", 30)
    connected = await running.wait_event(ev.CALLBACK_CONNECTED, timeout=60)
    # The cut attempt was Asterisk's, not the customer's: it is not counted.
    assert connected.payload["attempt"] == 1 and not running.of(ev.CALLBACK_RETRY)
    assert len(running.of(ev.CALLBACK_ATTEMPTED)) >= 2 and not running.of(ev.AGENT_PAUSED)
    hang_up(ast, "@sim-customer")
