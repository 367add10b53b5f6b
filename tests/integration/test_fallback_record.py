"""Calls the native Queue() fallback handles while ccd is down reach call_records once when
ccd is back, marked as fallback calls, and a second restart stores none of them twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg
import pytest

from ccd.asterisk_config import render_queuerules, render_queues
from ccd.config import CcdConfig
from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import agent
from tests.integration import test_daemon_process as _process
from tests.integration.test_daemon_process import CcdProcess
from tests.integration.test_restart_numbers import rows_when

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
Make = Callable[..., tuple[CcdProcess, CcdConfig]]
ccd_process = _process.ccd_process  # the fixture: ccd as a real process


async def logged(path: Path, *needles: str, timeout: float = 30.0) -> list[str]:
    """queue_log lines, once every needle is in the file (Asterisk writes as calls go)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = path.read_text() if path.exists() else ""
        if all(n in text for n in needles):
            return text.splitlines()
        await asyncio.sleep(0.1)
    raise AssertionError(f"queue_log lacks {needles}: {path.read_text() if path.exists() else 'missing'}")


async def test_fallback_calls_are_recorded_once_across_restarts(
    asterisk_factory: Callable[..., AsteriskInstance], ccd_process: Make, pg_dsn: str,
) -> None:
    agents = [agent("A", answer_delay=0.5, talk=3)]
    queues = [{"name": "support", "agents": ["A"], "wrapup": 0}]
    cfg = CcdConfig.model_validate({"teams": [{"name": "t"}], "agents": agents, "queues": queues})
    ast = asterisk_factory(queues_conf=render_queues(cfg), queuerules_conf=render_queuerules(cfg))
    qlog = ast.base / "log" / "queue_log"
    proc, _ = ccd_process(ast, agents, queues)
    proc.start()
    proc.wait_ready()
    proc.kill9()

    # ccd down: one call answered by A through Queue(), one abandoned while A talks
    ast.originate_caller_cli("support", "5556001", hangup_after=30)
    lines = await logged(qlog, "|CONNECT|")
    ast.originate_caller_cli("support", "5556002", hangup_after=1.5)
    lines = await logged(qlog, "|COMPLETEAGENT|", "|ABANDON|")
    ids = {ln.split("|")[1]: ln.split("|") for ln in lines if "|ENTERQUEUE|" in ln}
    connect = next(ln.split("|") for ln in lines if "|CONNECT|" in ln)
    complete = next(ln.split("|") for ln in lines if "|COMPLETEAGENT|" in ln)
    abandon = next(ln.split("|") for ln in lines if "|ABANDON|" in ln)  # ...|position|origposition|waittime

    proc.start()
    proc.wait_ready()
    conn = await asyncpg.connect(pg_dsn)
    try:
        sql = ("SELECT call_id, queue, caller, agent_id, wait_s, talk_s, outcome, fallback "
               "FROM call_records WHERE fallback ORDER BY enqueued_at, call_id")
        rows = await rows_when(conn, sql, 2)
        assert set(ids) == {r["call_id"] for r in rows}
        abandoned, answered = sorted(rows, key=lambda r: r["outcome"])
        assert (answered["queue"], answered["caller"], answered["agent_id"], answered["outcome"]) == (
            "support", "5556001", "A", "answered")
        assert answered["wait_s"] == float(connect[5]) and answered["talk_s"] == float(complete[6])
        assert 2 <= answered["talk_s"] <= 4  # the agent's phone talks 3 s (queue_log keeps whole seconds)
        assert (abandoned["queue"], abandoned["caller"], abandoned["outcome"], abandoned["agent_id"]) == (
            "support", "5556002", "abandoned", None)
        assert abandoned["wait_s"] == float(abandon[7]) and abandoned["talk_s"] is None
        counted = "SELECT count(*) FROM events WHERE call_id = ANY($1)"
        events_before = await conn.fetchval(counted, list(ids))

        # a second outage with one more fallback call, then a second restart
        proc.kill9()
        ast.originate_caller_cli("support", "5556003", hangup_after=30)
        await logged(qlog, "|5556003|")
        while sum("|COMPLETEAGENT|" in ln for ln in await logged(qlog, "|5556003|")) < 2:
            await asyncio.sleep(0.2)
        proc.start()
        proc.wait_ready()
        rows = await rows_when(conn, sql, 3)
        assert len(rows) == 3 and sorted(r["caller"] for r in rows) == ["5556001", "5556002", "5556003"]
        assert await conn.fetchval(counted, list(ids)) == events_before  # nothing stored twice
        assert await conn.fetchval("SELECT count(*) FROM call_records WHERE caller LIKE '555600%'") == 3
        report = await conn.fetch("SELECT type FROM events WHERE call_id = $1 ORDER BY ts, event_id",
                                  answered["call_id"])
        assert [r["type"] for r in report] == ["call.queued", "call.answered", "call.ended", "call.fallback"]
    finally:
        await conn.close()
