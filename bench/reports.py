"""Reports never stall routing: a `ccd run` process beside a real Asterisk routes calls at a
fixed rate, first alone, then while 10 clients keep asking for the heaviest reports its
bounds accept (ten years of seeded history by agent, team, queue, week and month; a month by
15 minutes; four months hourly; ratings by agent) plus the requests that used to freeze it
(ten years by 15 minutes, hourly over 357 years), which are now refused at once.

Measured in both phases: /healthz latency (polled every 50 ms) and the call offer latency
(Asterisk announces the caller's channel -> ccd's call.offered event, both wall clock).

Last line: {"bench": "reports", "history_calls", "calls_per_s", "seconds", "parallel_reports",
"healthz_p50_ms", "healthz_p99_ms", "healthz_p99_ms_idle", "offer_p50_ms", "offer_p99_ms",
"offer_p50_ms_idle", "offer_p99_ms_idle", "offers_measured", "reports_done", "reports_refused", "reports_timed_out",
"report_p50_s", "ccd_rss_mb"}.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import asyncpg

from ccd.sandbox.ami_probe import AmiProbe
from ccd.sandbox.asterisk import AsteriskInstance, free_port
from ccd.sandbox.bench_support import percentile, run_and_emit, scratch_dir, temp_database
from ccd.sandbox.toml_out import dumps

AGENTS = 12
CALLER = re.compile(r"Local/c-(\d+)-")
TOKEN = {"Authorization": "Bearer bench"}
NOW = datetime(2026, 11, 30, tzinfo=UTC)
HEAVY: list[dict[str, str]] = [  # the worst each bound allows
    {"from": "2016-12-01", "to": "2026-11-30", "by": "agent"},
    {"from": "2016-12-01", "to": "2026-11-30", "by": "team"},
    {"from": "2016-12-01", "to": "2026-11-30", "by": "queue"},
    {"from": "2016-12-01", "to": "2026-11-30", "by": "week"},
    {"from": "2016-12-01", "to": "2026-11-30", "by": "month"},
    {"from": "2026-10-30", "to": "2026-11-30", "by": "15m"},
    {"from": "2026-08-01", "to": "2026-11-30", "by": "1h"},
    {"from": "2016-12-01", "to": "2026-11-30", "by": "agent", "format": "csv"},
    {"from": "2016-01-01", "to": "2026-01-01", "by": "15m"},  # the request of issue 15: refused
    {"from": "2000-01-01", "to": "2357-01-01", "by": "interval"},  # refused
]


def config(ast: AsteriskInstance, dsn: str, base: Path, port: int) -> dict[str, Any]:
    return {
        "log_format": "json", "log_level": "warning",
        "ami": {"port": ast.ami_port, "secret": ast.ami_secret},
        "ari": {"url": ast.ari_url, "password": ast.ari_password},
        "database": {"dsn": dsn, "spool_dir": str(base / "spool")},
        "http": {"listen": f"127.0.0.1:{port}", "tokens": [{"name": "bench", "role": "admin", "token": "bench"}]},
        "teams": [{"name": "t"}, {"name": "u"}],
        "agents": [{"id": f"A{i:03d}", "teams": ["t" if i % 2 else "u"],
                    "endpoint": AsteriskInstance.agent_endpoint(f"A{i:03d}", 0.3, 1)} for i in range(AGENTS)],
        "queues": [{"name": "live", "teams": ["t", "u"], "wrapup": 0.2, "ring_timeout": 10}],
    }


SEED_CALLS = """
INSERT INTO call_records (call_id, queue, caller, agent_id, enqueued_at, answered_at, ended_at, wait_s,
                          talk_s, wrapup_s, outcome, rating)
SELECT 'h' || g, (ARRAY['support', 'sales', 'billing'])[1 + g % 3], '+4930' || (g % 50000),
       CASE WHEN g % 7 <> 0 THEN 'H' || (g % 40) END,
       t, CASE WHEN g % 7 <> 0 THEN t + interval '12 s' END, t + interval '200 s', 12 + g % 30,
       CASE WHEN g % 7 <> 0 THEN 180 END, CASE WHEN g % 7 <> 0 THEN 8 END,
       CASE WHEN g % 7 <> 0 THEN 'answered' ELSE 'abandoned' END, CASE WHEN g % 5 = 0 THEN 1 + g % 5 END
FROM generate_series(1, $1) AS g, LATERAL (SELECT $2::timestamptz - (g * (315360000.0 / $1)) * interval '1 s' AS t) x
"""
SEED_OFFERS = """
INSERT INTO events (event_id, ts, type, call_id, agent_id, queue)
SELECT 'ho' || g, $2::timestamptz - (g * (315360000.0 / $1)) * interval '1 s', 'call.offered', 'h' || g,
       'H' || (g % 40), (ARRAY['support', 'sales', 'billing'])[1 + g % 3]
FROM generate_series(1, $1) AS g
"""
SEED_PRESENCE = """
INSERT INTO agent_presence_intervals (agent_id, state, reason, started_at, ended_at)
SELECT 'H' || a, s, NULL, d + interval '8 h', d + interval '16 h'
FROM generate_series(0, 39) AS a, unnest(ARRAY['logged_in', 'paused']) AS s,
     generate_series($1::timestamptz - interval '3650 days', $1::timestamptz, interval '1 day') AS d
WHERE s = 'logged_in' OR a % 3 = 0
"""


async def seed(dsn: str, calls: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(SEED_CALLS, calls, NOW)
        await conn.execute(SEED_OFFERS, calls, NOW)
        await conn.execute(SEED_PRESENCE, NOW)
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def wait_ready(http: aiohttp.ClientSession, base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            async with http.get(f"{base}/readyz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise TimeoutError("ccd not ready")


async def poll_health(http: aiohttp.ClientSession, base: str, until: float, out: list[float]) -> None:
    while time.monotonic() < until:
        t0 = time.perf_counter()
        async with http.get(f"{base}/healthz") as r:
            await r.read()
        out.append((time.perf_counter() - t0) * 1000)
        await asyncio.sleep(0.05)


async def place_calls(probe: AmiProbe, rate: float, until: float, first: int) -> int:
    placed, t0 = 0, time.monotonic()
    while time.monotonic() < until:
        while placed < int((time.monotonic() - t0) * rate) + 1:
            placed += 1
            await probe.send({"Action": "Originate", "Async": "true", "ActionID": f"o{first + placed}",
                              "Channel": AsteriskInstance.caller_channel("live", f"56{first + placed:06d}"),
                              "Context": "sim-phone", "Exten": AsteriskInstance.phone_exten(hangup_after=3),
                              "Priority": "1"})
        await asyncio.sleep(0.02)
    return placed


async def report_client(http: aiohttp.ClientSession, base: str, params: dict[str, str], until: float,
                        statuses: Counter[int], took: list[float]) -> None:
    while time.monotonic() < until:
        t0 = time.perf_counter()
        async with http.get(f"{base}/api/reports", params=params, headers=TOKEN,
                            timeout=aiohttp.ClientTimeout(total=120)) as r:
            await r.read()
            statuses[r.status] += 1
        if r.status == 200:
            took.append(time.perf_counter() - t0)
        else:
            await asyncio.sleep(1.0)  # told no (400/503/504): a client tries again a bit later


class CallerWatch:
    """When Asterisk announced each caller's channel (wall clock, as ccd's event timestamps)."""

    def __init__(self) -> None:
        self.seen: dict[str, float] = {}

    async def run(self, probe: AmiProbe) -> None:
        while True:
            msg = await probe.read_message()
            if msg.get("Event") == "Newchannel" and (m := CALLER.match(msg.get("Channel", ""))):
                self.seen.setdefault(m[1], time.time())


async def offer_latencies(dsn: str, seen: dict[str, float], prefix: str) -> list[float]:
    """Caller channel created in Asterisk -> ccd's call.offered (its decision to ring an agent):
    the dialplan, StasisStart over the websocket and the routing step. A stalled loop shows here."""
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch("""
            SELECT r.caller, extract(epoch FROM min(o.ts)) AS offered FROM call_records r
            JOIN events o ON o.call_id = r.call_id AND o.type = 'call.offered'
            WHERE r.caller LIKE $1 GROUP BY r.caller""", prefix + "%")
    finally:
        await conn.close()
    return [(float(r["offered"]) - seen[r["caller"]]) * 1000 for r in rows if r["caller"] in seen]


async def phase(http: aiohttp.ClientSession, base: str, probe: AmiProbe, rate: float, seconds: float,
                first: int, reports: bool) -> tuple[list[float], float, float, Counter[int], list[float]]:
    health: list[float] = []
    statuses: Counter[int] = Counter()
    took: list[float] = []
    start_wall = time.time()
    until = time.monotonic() + seconds
    tasks = [poll_health(http, base, until, health), place_calls(probe, rate, until, first)]
    if reports:
        tasks += [report_client(http, base, p, until, statuses, took) for p in HEAVY]
    await asyncio.gather(*tasks)
    return health, start_wall, time.time(), statuses, took


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def drain_forever(probe: AmiProbe) -> None:
    while True:
        await probe.read_message()


async def run(history: int, rate: float, seconds: float) -> dict[str, Any]:
    base_dir = scratch_dir("ccd-bench-reports-")
    ast = AsteriskInstance(base_dir / "ast")
    ast.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        async with temp_database("ccd_bench_reports") as dsn, aiohttp.ClientSession() as http:
            port = free_port()
            (base_dir / "ccd.toml").write_text(dumps(config(ast, dsn, base_dir, port)))
            proc = subprocess.Popen([sys.executable, "-m", "ccd", "run", "-c", str(base_dir / "ccd.toml")],
                                    stdout=open(base_dir / "ccd.log", "wb"), stderr=subprocess.STDOUT)
            base = f"http://127.0.0.1:{port}"
            await wait_ready(http, base)
            await seed(dsn, history)
            for i in range(AGENTS):
                async with http.post(f"{base}/api/agents/A{i:03d}/login", headers=TOKEN) as r:
                    assert r.status == 202
            probe = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
            await probe.send({"Action": "Events", "EventMask": "off"})
            drain = asyncio.create_task(drain_forever(probe))
            watch_probe = await AmiProbe.connect(ast.ami_host, ast.ami_port, ast.sim_ami_user, ast.sim_ami_secret)
            watch = CallerWatch()
            watching = asyncio.create_task(watch.run(watch_probe))
            await asyncio.sleep(1.0)
            idle_health, _, _, _, _ = await phase(http, base, probe, rate, seconds, 0, reports=False)
            await asyncio.sleep(4)  # the idle phase's calls end before the loaded one starts
            health, _, _, statuses, took = await phase(http, base, probe, rate, seconds, 100_000, reports=True)
            peak = rss_mb(proc.pid)
            await asyncio.sleep(3)  # the last calls' agent legs
            drain.cancel()
            watching.cancel()
            await probe.close()
            await watch_probe.close()
            idle_offer = await offer_latencies(dsn, watch.seen, "560")
            offer = await offer_latencies(dsn, watch.seen, "561")
            if not idle_offer or not offer:
                raise RuntimeError(f"no offers measured (idle {len(idle_offer)}, loaded {len(offer)})")
            return {
                "healthz_p50_ms": round(percentile(health, 0.5), 2),
                "healthz_p99_ms": round(percentile(health, 0.99), 2),
                "healthz_p99_ms_idle": round(percentile(idle_health, 0.99), 2),
                "offer_p50_ms": round(percentile(offer, 0.5), 2), "offer_p99_ms": round(percentile(offer, 0.99), 2),
                "offer_p50_ms_idle": round(percentile(idle_offer, 0.5), 2),
                "offer_p99_ms_idle": round(percentile(idle_offer, 0.99), 2),
                "offers_measured": len(offer), "reports_done": statuses[200], "reports_refused": statuses[400],
                "reports_timed_out": statuses[504], "report_p50_s": round(percentile(took, 0.5), 2) if took else None,
                "ccd_rss_mb": round(peak, 1),
            }
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        ast.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100k seeded calls, 15 s per phase")
    parser.add_argument("--history", type=int, help="calls of seeded history over ten years")
    parser.add_argument("--rate", type=float, default=2.0, help="live calls per second")
    parser.add_argument("--seconds", type=float)
    args = parser.parse_args()
    history = args.history or (100_000 if args.quick else 1_000_000)
    seconds = args.seconds or (15.0 if args.quick else 45.0)
    given = {"history_calls": history, "calls_per_s": args.rate, "seconds": seconds, "parallel_reports": len(HEAVY)}
    run_and_emit("reports", run(history, args.rate, seconds), given,
                 ("healthz_p50_ms", "healthz_p99_ms", "healthz_p99_ms_idle", "offer_p50_ms", "offer_p99_ms",
                  "offer_p50_ms_idle", "offer_p99_ms_idle", "offers_measured", "reports_done", "reports_refused", "reports_timed_out",
                  "report_p50_s", "ccd_rss_mb"))


if __name__ == "__main__":
    main()
