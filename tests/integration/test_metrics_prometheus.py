"""A real Prometheus scrapes a ccd that handles real calls through Asterisk; every PromQL
expression of the shipped Grafana dashboard and alert rules is then evaluated by it.

Scenario (queue support: SL 2 s, rating on; queue sales: its only agent logged out):
  call 1 -> A at once, rated 4;  call 2 -> B at once (B stays on the call);
  A pauses; call 3 (call 1's caller again) waits 3 s, A unpauses and takes it (sticky hit, SL miss);
  A pauses again; call 4 waits.  sales: call 5 hangs up after 2 s, call 6 waits.
So support has 3 answered, 1 waiting, SL 2/3 (below its 0.8 target); sales has an agentless wait.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from ccd.acd.inputs import AgentPaused, AgentUnpaused
from tests.harness.asterisk import AsteriskInstance, free_port
from tests.harness.ccd import Factory, Running, agent

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "config/grafana/dashboards/ccd.json"
ALERTS = ROOT / "config/prometheus/alerts.yml"
PROMETHEUS = shutil.which("prometheus") or "/usr/bin/prometheus"
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
GRAFANA_VARS = {"$__rate_interval": "30s", "$__interval": "5s", "$__range": "5m", "$queue": "support"}
# Alerts the scenario cannot trigger without breaking Asterisk or PostgreSQL: they are evaluated
# with their final comparison as `bool`, which proves their series exist.
QUIET_ALERTS = {"CcdDown", "CcdAmiDown", "CcdAriDown", "CcdAsteriskFlapping", "CcdWriterSpooling",
                "CcdWriterSpoolFilling", "CcdRecordingsDiskLow", "CcdRecordingsFailing"}


def dashboard_exprs() -> list[tuple[str, str]]:
    def walk(panels: list[dict[str, Any]]) -> list[tuple[str, str]]:
        found = []
        for p in panels:
            found += [(p["title"], t["expr"]) for t in p.get("targets", []) if t.get("expr")]
            found += walk(p.get("panels", []))
        return found
    return walk(json.loads(DASHBOARD.read_text())["panels"])


def grafana(expr: str) -> str:
    for var, value in GRAFANA_VARS.items():
        expr = expr.replace(var, value)
    assert "$" not in expr, expr
    return expr


def as_bool(expr: str) -> str:
    m = re.fullmatch(r"(?s)(.*\S)\s*(==|!=|>=|<=|>|<)\s*(-?[0-9.]+)\s*", expr)
    assert m, f"quiet alert must be `<expr> <op> <number>`: {expr}"
    return f"{m[1]} {m[2]} bool {m[3]}"


class Prom:
    def __init__(self, http: aiohttp.ClientSession, url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
        self.http, self.url, self.proc, self.log = http, url, proc, log

    async def query(self, expr: str) -> list[dict[str, Any]]:
        async with self.http.get(f"{self.url}/api/v1/query", params={"query": expr}) as r:
            body = await r.json()
        assert body.get("status") == "success", f"{expr}: {body}"
        assert body["data"]["resultType"] == "vector", (expr, body["data"]["resultType"])
        return list(body["data"]["result"])

    async def values(self, expr: str) -> dict[str, float]:
        return {s["metric"].get("queue", ""): float(s["value"][1]) for s in await self.query(expr)}

    async def until(self, expr: str, check: Any, timeout: float = 15.0) -> dict[str, float]:
        deadline, got = time.monotonic() + timeout, {}
        while time.monotonic() < deadline:
            got = await self.values(expr)
            if check(got):
                return got
            await asyncio.sleep(0.25)
        raise AssertionError(f"{expr}: {got}\n{self.log.read_text()[-3000:]}")


@pytest.fixture
async def http_port() -> int:
    return free_port()


@pytest.fixture
async def prometheus(tmp_path: Path, http_port: int) -> AsyncIterator[Prom]:
    port = free_port()
    cfg = tmp_path / "prometheus.yml"
    cfg.write_text(json.dumps({  # JSON is YAML
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(ALERTS)],
        "scrape_configs": [{"job_name": "ccd", "static_configs": [{"targets": [f"127.0.0.1:{http_port}"]}]}],
    }))
    log = tmp_path / "prometheus.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([PROMETHEUS, f"--config.file={cfg}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                                 f"--web.listen-address=127.0.0.1:{port}"], stdout=out, stderr=subprocess.STDOUT)
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:
            url = f"http://127.0.0.1:{port}"
            for _ in range(100):
                try:
                    async with http.get(f"{url}/-/ready") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    pass
                assert proc.poll() is None, log.read_text()
                await asyncio.sleep(0.1)
            yield Prom(http, url, proc, log)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def place_calls(ccd: Running, ast: AsteriskInstance) -> None:
    await ccd.login("A", "B")
    ast.originate_caller_cli("support", "5571001", hangup_after=40, dtmf_delay=4, digits="4")
    await ccd.wait_event("call.answered", agent_id="A")
    ast.originate_caller_cli("support", "5571002", hangup_after=60)
    await ccd.wait_event("call.answered", agent_id="B")
    await ccd.wait_event("agent.wrapup_ended", agent_id="A")
    ccd.daemon.submit(AgentPaused("A", "break"))
    await ccd.wait_event("agent.paused", agent_id="A")
    ast.originate_caller_cli("support", "5571001", hangup_after=40)  # sticky to A, who is paused
    await ccd.wait_count("call.queued", 3)
    await asyncio.sleep(3)
    ccd.daemon.submit(AgentUnpaused("A"))
    third = (await ccd.wait_count("call.answered", 3))[2]
    assert third.agent_id == "A" and third.payload["sticky"] is True and third.payload["wait_s"] > 2
    await ccd.wait_count("agent.wrapup_ended", 2, agent_id="A")
    ccd.daemon.submit(AgentPaused("A", "break"))
    await ccd.wait_count("agent.paused", 2, agent_id="A")
    ast.originate_caller_cli("support", "5571004", hangup_after=60)
    ast.originate_caller_cli("sales", "5572001", hangup_after=2)
    ast.originate_caller_cli("sales", "5572002", hangup_after=60)
    await ccd.wait_event("call.abandoned", queue="sales")
    rating = await ccd.wait_event("rating.result", outcome="rated", timeout=20)
    assert rating.payload["score"] == 4


async def test_prometheus_evaluates_dashboard_and_alerts(
    asterisk: AsteriskInstance, ccd_factory: Factory, prometheus: Prom, http_port: int
) -> None:
    support = {"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5, "service_level_seconds": 2,
               "service_level_target": 0.8, "rating": {"enabled": True, "timeout": 2.0, "retries": 0}}
    sales = {"name": "sales", "teams": ["t2"], "ring_timeout": 5}
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1), agent("B", talk=60), agent("C", teams=["t2"])],
                            queues=[support, sales], http={"listen": f"127.0.0.1:{http_port}"})
    prom = prometheus
    await prom.until('up{job="ccd"}', lambda v: v.get("") == 1)  # scraped before the first call
    await place_calls(ccd, asterisk)

    # Prometheus has seen the final state (with a 1 s scrape interval this takes a second or two).
    await prom.until('ccd_queue_calls_waiting', lambda v: v == {"support": 1, "sales": 1})
    await prom.until('ccd_queue_calls_answered_total', lambda v: v == {"support": 3, "sales": 0})
    await prom.until('ccd_queue_longest_wait_seconds{queue="support"}', lambda v: v.get("support", 0) > 2.5)
    await prom.until('sum(ccd_queue_ratings_total{score="4"})', lambda v: v.get("") == 1)

    # The dashboard: every expression returns data, and the headline figures are what happened.
    by_title: dict[str, list[list[dict[str, Any]]]] = {}
    for title, expr in dashboard_exprs():
        result = await prom.query(grafana(expr))
        assert result, f"dashboard panel {title!r}: no data for {grafana(expr)}"
        by_title.setdefault(title, []).append(result)

    def stat(title: str) -> float:
        (series,) = by_title[title][0]
        return float(series["value"][1])

    assert stat("Calls waiting") == 1
    assert stat("Answered") == 3
    assert stat("Offered") == 4
    assert stat("Service level (15 min)") == pytest.approx(2 / 3)
    assert stat("Average rating") == pytest.approx(4)
    assert stat("Longest wait") > 2.5
    sticky = {s["metric"]["result"]: round(float(s["value"][1])) for s in by_title["Sticky routing"][0]}
    assert sticky == {"hit": 1, "miss": 2, "fallback": 0}
    states = {s["metric"]["state"]: float(s["value"][1]) for s in by_title["Agents by state"][0]}
    assert states["paused"] == 1 and states["on_call"] == 1 and states["available"] == 0
    assert await prom.values('ccd_queue_calls_abandoned_total{queue="sales", short="yes"}') == {"sales": 1}

    # The alert rules, as Prometheus loaded them from alerts.yml: each was evaluated without error
    # by the rule engine, each expression returns data, and the queue alerts fire here.
    async with prom.http.get(f"{prom.url}/api/v1/rules") as r:
        rules = [rule for g in (await r.json())["data"]["groups"] for rule in g["rules"]]
    assert len(rules) == ALERTS.read_text().count("- alert:") and {r["name"] for r in rules} >= QUIET_ALERTS
    assert all(rule["health"] == "ok" for rule in rules), rules
    firing: dict[str, set[str | None]] = {}
    for rule in rules:
        result = await prom.query(rule["query"])
        if rule["name"] in QUIET_ALERTS:
            assert not result, f"{rule['name']} fires: {result}"
            assert await prom.query(as_bool(rule["query"])), f"{rule['name']}: no series"
        else:
            assert result, f"{rule['name']} does not fire: {rule['query']}"
            firing[rule["name"]] = {s["metric"].get("queue") for s in result}
    assert firing == {"CcdServiceLevelBelowTarget": {"support"}, "CcdLongestWaitAboveThreshold": {"support"},
                      "CcdNoAgentLoggedIn": {"sales"}}

    # The exposition after real calls passes promtool's linter.
    async with prom.http.get(f"http://127.0.0.1:{http_port}/metrics") as r:
        body = await r.read()
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=body, capture_output=True, timeout=30)
    assert out.returncode == 0, out.stdout.decode() + out.stderr.decode()

