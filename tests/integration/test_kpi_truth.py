"""A scripted set of 20 real calls through the real Asterisk, with known talk times, wrap-ups
and abandons: `ccd report` (CLI and API) equals a hand computation from what happened, call
by call (call_records and the wrap_up intervals) and in every KPI, and /metrics agrees with the report on AHT, ASA, abandons and service level.

support (SL T = 2 s, short abandon N = 2 s, wrap-up 1.5 s): 14 callers in bursts to agents
A (answers after 0.3 s, talks 1.5 s), B (0.8 s, 2.5 s) and C (1.5 s, 1 s): some wait longer
than T. sales (nobody logged in): 6 callers hang up after 1-6 s, 2 of them short abandons.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import aiohttp
import asyncpg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from ccd.acd.inputs import AgentLoggedOut
from ccd.events import DomainEvent
from ccd.sandbox.toml_out import dumps
from tests.harness.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import Factory, Running, agent, config_data, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]
TOKEN = "kpi-truth-token"
T, N, WRAPUP = 2.0, 2.0, 1.5
TALK = {"A": 1.5, "B": 2.5, "C": 1.0}
AGENTS = [agent("A", answer_delay=0.3, talk=TALK["A"]), agent("B", answer_delay=0.8, talk=TALK["B"]),
          agent("C", answer_delay=1.5, talk=TALK["C"]), agent("D")]
QUEUES = [{"name": "support", "agents": ["A", "B", "C"], "wrapup": WRAPUP, "service_level_seconds": T,
           "short_abandon_seconds": N, "sticky": False},
          {"name": "sales", "agents": ["D"], "service_level_seconds": T, "short_abandon_seconds": N}]
SALES_HANGUPS = [1.0, 1.2, 3.0, 4.0, 5.0, 6.0]  # the first two leave before N: short abandons


Hand = tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]], dict[str, dict[str, Any]]]


def hand_computation(events: list[DomainEvent]) -> Hand:
    """Each call, then per queue and per agent KPIs worked out from the calls as they happened
    (docs/kpis.md), linking each wrap-up to the call its agent had just ended, by the order of
    events (not by the event's call_id, which the store uses)."""
    calls: dict[str, dict[str, Any]] = {}
    last_call_of: dict[str, str] = {}
    presence: dict[str, list[float]] = defaultdict(list)
    for e in events:
        c = calls.setdefault(e.call_id or "", {}) if e.call_id else None
        if e.type == "call.queued" and c is not None:
            c.update(queue=e.queue, caller=e.payload.get("caller"), outcome=None)
        elif e.type == "call.answered" and c is not None:
            c.update(outcome="answered", wait=e.payload["wait_s"], agent=e.agent_id)
        elif e.type == "call.abandoned" and c is not None:
            c.update(outcome="abandoned", wait=e.payload["wait_s"])
        elif e.type == "call.ended" and c is not None and e.agent_id:
            c["talk"] = e.payload["talk_s"]
            last_call_of[e.agent_id] = e.call_id or ""
        elif e.type == "agent.wrapup_ended" and e.agent_id in last_call_of:
            calls[last_call_of.pop(e.agent_id)]["wrapup"] = e.payload["wrapup_s"]
        elif e.type in ("agent.login", "agent.logout") and e.agent_id:
            presence[e.agent_id].append(e.ts.timestamp())
    queues: dict[str, dict[str, Any]] = {}
    for q in {c["queue"] for c in calls.values()}:
        cs = [c for c in calls.values() if c["queue"] == q]
        answered = [c for c in cs if c["outcome"] == "answered"]
        short = [c for c in cs if c["outcome"] == "abandoned" and c["wait"] < N]
        base = len(cs) - len(short)
        queues[q] = {
            "offered": len(cs), "answered": len(answered), "short_abandons": len(short),
            "abandoned": sum(c["outcome"] == "abandoned" and c["wait"] >= N for c in cs),
            "service_level": sum(c["wait"] <= T for c in answered) / base if base else None,
            "asa_s": mean(c["wait"] for c in answered) if answered else None,
            "aht_s": mean(c["talk"] + c.get("wrapup", 0.0) for c in answered) if answered else None,
        }
    agents: dict[str, dict[str, Any]] = {}
    for a, (login, logout) in ((a, p) for a, p in presence.items() if len(p) == 2):
        mine = [c for c in calls.values() if c.get("agent") == a]
        if mine:
            agents[a] = {"answered": len(mine), "aht_s": mean(c["talk"] + c.get("wrapup", 0.0) for c in mine),
                         "occupancy": sum(c["talk"] + c.get("wrapup", 0.0) for c in mine) / (logout - login)}
    return calls, queues, agents


async def run_script(ccd: Running, ast: AsteriskInstance) -> None:
    await ccd.login("A", "B", "C")
    for n, hang in enumerate(SALES_HANGUPS):
        ast.originate_caller_cli("sales", f"55570{n:02d}", hangup_after=hang)
    for burst in ([0, 1, 2, 3], [4, 5], [6, 7, 8, 9, 10], [11], [12, 13]):
        for n in burst:
            ast.originate_caller_cli("support", f"55580{n:02d}", hangup_after=60)
        await ccd.wait_count("call.queued", len(SALES_HANGUPS) + burst[-1] + 1, timeout=30)
        await asyncio.sleep(1.0)  # the next burst arrives while some are still waiting
    await ccd.wait_count("call.answered", 14, timeout=90, queue="support")
    await ccd.wait_count("call.abandoned", 6, timeout=30, queue="sales")
    await ccd.wait_count("agent.wrapup_ended", 14, timeout=60)
    for a in ("A", "B", "C"):
        ccd.daemon.submit(AgentLoggedOut(a))
        await ccd.wait_event("agent.logout", agent_id=a)


async def stored_as_computed(dsn: str, calls: dict[str, dict[str, Any]]) -> None:
    """Once the writer has stored every call, each row of call_records, and each wrap_up
    interval, is the hand computation's call: outcome, agent, wait, talk and wrap-up."""
    conn = await asyncpg.connect(dsn)
    try:
        rows: list[Any] = []

        async def all_stored() -> bool:
            nonlocal rows
            rows = await conn.fetch("SELECT * FROM call_records WHERE outcome IS NOT NULL AND "
                                    "(outcome <> 'answered' OR wrapup_s IS NOT NULL)")
            return len(rows) == len(calls)

        await eventually(all_stored, f"{len(calls)} finished calls in call_records", timeout=30)
        wrapups = {r["call_id"]: r for r in await conn.fetch(
            "SELECT agent_id, call_id, extract(epoch FROM ended_at - started_at)::float8 AS s "
            "FROM agent_state_intervals WHERE state = 'wrap_up'")}
    finally:
        await conn.close()
    for r in rows:
        c = calls[r["call_id"]]
        assert (r["queue"], r["caller"], r["outcome"], r["agent_id"]) == (
            c["queue"], c["caller"], c["outcome"], c.get("agent")), (dict(r), c)
        for col, key in (("wait_s", "wait"), ("talk_s", "talk"), ("wrapup_s", "wrapup")):
            assert close(r[col], c.get(key), 0.1), (col, dict(r), c)
    answered = {k: c for k, c in calls.items() if c["outcome"] == "answered"}
    assert set(wrapups) == set(answered)
    for call_id, w in wrapups.items():
        assert w["agent_id"] == answered[call_id]["agent"] and close(w["s"], answered[call_id]["wrapup"], 0.1), w


def metric_figures(text: str, queue: str) -> dict[str, float | None]:
    samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
               for fam in text_string_to_metric_families(text) for s in fam.samples}

    def get(name: str, **labels: str) -> float:
        return samples[(name, tuple(sorted({"queue": queue, **labels}.items())))]

    handled = get("ccd_queue_handle_seconds_count")
    answered = get("ccd_queue_wait_seconds_count")
    return {"aht_s": get("ccd_queue_handle_seconds_sum") / handled if handled else None,
            "asa_s": get("ccd_queue_wait_seconds_sum") / answered if answered else None,
            "abandoned": get("ccd_queue_calls_abandoned_total", short="no"),
            "service_level": samples.get(("ccd_queue_service_level_ratio",
                                          tuple(sorted({"queue": queue, "window": "1h"}.items()))))}


def close(got: Any, want: Any, tol: float = 0.1) -> bool:
    if want is None or got is None:
        return got is want
    return abs(float(got) - float(want)) <= tol


async def test_report_cli_api_and_metrics_equal_the_hand_computation(
    asterisk: AsteriskInstance, ccd_factory: Factory, pg_dsn: str, tmp_path: Path,
) -> None:
    port = free_port()
    http = {"listen": f"127.0.0.1:{port}", "tokens": [{"name": "t", "role": "admin", "token": TOKEN}]}
    start = datetime.now(UTC) - timedelta(minutes=1)
    ccd = await ccd_factory(asterisk, agents=AGENTS, queues=QUEUES, http=http)
    await run_script(ccd, asterisk)
    calls, queues, agents = hand_computation(ccd.events)
    assert queues["support"]["answered"] == 14 and queues["sales"]["short_abandons"] == 2
    assert queues["sales"]["abandoned"] == 4
    # the script's own figures: each wrap-up 1.5 s, each talk the agent phone's, each sales
    # caller's wait the time after which their phone hangs up
    assert all(close(e.payload["wrapup_s"], WRAPUP) for e in ccd.of("agent.wrapup_ended"))
    for e in ccd.of("call.ended"):
        assert abs(e.payload["talk_s"] - TALK[e.agent_id or ""]) < 0.5, e
    sales_waits = sorted(c["wait"] for c in calls.values() if c["queue"] == "sales")
    assert all(abs(w - hang) < 0.5 for w, hang in zip(sales_waits, SALES_HANGUPS, strict=True)), sales_waits

    window = {"from": start.isoformat(), "to": (datetime.now(UTC) + timedelta(minutes=1)).isoformat()}
    cfg_path = tmp_path / "report.toml"
    cfg_path.write_text(dumps(config_data(asterisk, pg_dsn, tmp_path / "s", agents=AGENTS, queues=QUEUES)))
    await stored_as_computed(pg_dsn, calls)
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as s:
        reports = {}
        for by in ("queue", "agent"):
            async with s.get(f"http://127.0.0.1:{port}/api/reports", params={**window, "by": by,
                                                                               "format": "json"}) as r:
                assert r.status == 200, await r.text()
                reports[("api", by)] = json.loads(await r.text())
            cli = await asyncio.to_thread(subprocess.run, [
                sys.executable, "-m", "ccd", "report", "-c", str(cfg_path), "--from", window["from"],
                "--to", window["to"], "--by", by, "--format", "json"], capture_output=True, text=True, timeout=60)
            assert cli.returncode == 0, cli.stderr
            reports[("cli", by)] = json.loads(cli.stdout)
        async with s.get(f"http://127.0.0.1:{port}/metrics") as r:
            metrics_text = await r.text()

    for source in ("api", "cli"):
        rows = {r["queue"]: r for r in reports[(source, "queue")]}
        for q, want in queues.items():
            for key, value in want.items():
                assert close(rows[q][key], value, 0.1 if key.endswith("_s") else 1e-9), (source, q, key, rows[q])
        by_agent = {r["agent"]: r for r in reports[(source, "agent")]}
        for a, want in agents.items():
            for key, value in want.items():
                assert close(by_agent[a][key], value, 0.1 if key == "aht_s" else 0.005), (source, a, key, by_agent[a])
    report = {r["queue"]: r for r in reports[("api", "queue")]}
    for q in ("support", "sales"):
        figures = metric_figures(metrics_text, q)
        for key, value in figures.items():
            assert close(value, report[q][key], 0.1 if key.endswith("_s") else 1e-9), (q, key, figures, report[q])
    print(f"\nsupport: {queues['support']}\nsales: {queues['sales']}\nagents: {agents}\n"
          f"sales waits {sorted(c['wait'] for c in calls.values() if c['queue'] == 'sales')} (hang-ups {SALES_HANGUPS})")
