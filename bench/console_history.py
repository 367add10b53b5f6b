"""The console's pages with a year of history: ~500k calls for 60 agents in PostgreSQL.

Seeds direct rows (as bench/reports.py does): call_records, their call.offered and
rating.result events, recordings for the answered calls, and the agents' presence intervals;
then times, on a migrated database, the very functions the console's routes call:
- customer history (ccd.console.history.history) for random callers, as an admin and as a
  supervisor of one team (the scoped query);
- a month's KPI report (ccd.store.reports.kpi_report) by queue, by agent and by day;
- a month's rating statistics (load_rows + render, as /api/ratings and `ccd ratings`);
- a month's recordings search with a rating filter (the ratings page's lowest-rated calls);
then the same history searches and month reports over HTTP, through a `ccd run` process and
the console's session cookie, as an admin ("root") and as a supervisor of one team ("sup").

Last line: {"bench": "console_history", "calls", "agents", "history_p50_ms", "history_p99_ms",
"history_scoped_p99_ms", "report_month_queue_s", "report_month_agent_s", "report_month_day_s",
"ratings_month_s", "recordings_month_s", "seed_s", and per user U in root, sup:
"http_history_p50_ms_U", "http_history_p99_ms_U", "http_report_month_queue_s_U",
"http_report_month_agent_s_U"}.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import aiohttp
import asyncpg

from ccd.api.auth import Principal
from ccd.console.history import Scope, history, scope_of
from ccd.console.sessions import SessionStore
from ccd.rating_ivr.report import load_rows, render
from ccd.recordings import queries
from ccd.sandbox.asterisk import AsteriskInstance, free_port
from ccd.sandbox.bench_support import percentile, run_and_emit, scratch_dir, temp_database
from ccd.sandbox.toml_out import dumps
from ccd.store.migrate import migrate
from ccd.store.reports import kpi_report

AGENTS = 60
CALLERS = 100_000
QUEUES = ("support", "sales", "billing")
NOW = datetime(2026, 11, 30, tzinfo=UTC)
YEAR_S = 365 * 86400.0
TEAMS = {f"H{i:02d}": [f"team{i % 6}"] for i in range(AGENTS)}

SEED_CALLS = """
INSERT INTO call_records (call_id, queue, caller, agent_id, enqueued_at, answered_at, ended_at, wait_s,
                          talk_s, wrapup_s, outcome, rating, rating_outcome, offered_count)
SELECT 'h' || g, (ARRAY['support', 'sales', 'billing'])[1 + g % 3], '+7495' || lpad((g::bigint * 7919 % $3)::text, 7, '0'),
       CASE WHEN g % 7 <> 0 THEN 'H' || lpad((g % 60)::text, 2, '0') END,
       t, CASE WHEN g % 7 <> 0 THEN t + interval '12 s' END, t + interval '200 s', 12 + g % 30,
       CASE WHEN g % 7 <> 0 THEN 180 END, CASE WHEN g % 7 <> 0 THEN 8 END,
       CASE WHEN g % 7 <> 0 THEN 'answered' ELSE 'abandoned' END,
       CASE WHEN g % 7 <> 0 AND g % 5 = 0 THEN 1 + g % 5 END,
       CASE WHEN g % 7 <> 0 AND g % 5 = 0 THEN 'rated' END, 1
FROM generate_series(1, $1) AS g, LATERAL (SELECT $2::timestamptz - (g * ($4 / $1)) * interval '1 s' AS t) x
"""
SEED_OFFERS = """
INSERT INTO events (event_id, ts, type, call_id, agent_id, queue)
SELECT 'ho' || call_id, enqueued_at + interval '1 s', 'call.offered', call_id, agent_id, queue
FROM call_records WHERE agent_id IS NOT NULL
"""
SEED_RATINGS = """
INSERT INTO events (event_id, ts, type, call_id, agent_id, queue, payload)
SELECT 'hr' || call_id, ended_at + interval '10 s', 'rating.result', call_id, agent_id, queue,
       jsonb_build_object('outcome', 'rated', 'score', rating, 'caller', caller, 'attempts', 1)
FROM call_records WHERE rating IS NOT NULL
"""
SEED_RECORDINGS = """
INSERT INTO recordings (call_id, queue, agent_id, caller, format, started_at, finished_at, duration_s, file, size)
SELECT call_id, queue, agent_id, caller, 'wav', answered_at, ended_at, talk_s,
       to_char(answered_at, 'YYYY/MM/DD/') || call_id || '.wav', 16000 * talk_s::bigint
FROM call_records WHERE agent_id IS NOT NULL
"""
SEED_PRESENCE = """
INSERT INTO agent_presence_intervals (agent_id, state, reason, started_at, ended_at)
SELECT 'H' || lpad(a::text, 2, '0'), s, NULL, d + interval '8 h', d + interval '16 h'
FROM generate_series(0, 59) AS a, unnest(ARRAY['logged_in', 'paused']) AS s,
     generate_series($1::timestamptz - interval '365 days', $1::timestamptz, interval '1 day') AS d
WHERE s = 'logged_in' OR a % 3 = 0
"""


async def seed(conn: asyncpg.Connection, calls: int) -> None:
    await conn.execute(SEED_CALLS, calls, NOW, CALLERS, YEAR_S)
    for sql in (SEED_OFFERS, SEED_RATINGS, SEED_RECORDINGS):
        await conn.execute(sql)
    await conn.execute(SEED_PRESENCE, NOW)
    await conn.execute("ANALYZE")


def config(ast: AsteriskInstance, dsn: str, base: Path, port: int) -> dict[str, Any]:
    return {
        "log_format": "json", "log_level": "warning", "country_code": "7", "national_prefix": "8",
        "ami": {"port": ast.ami_port, "secret": ast.ami_secret},
        "ari": {"url": ast.ari_url, "password": ast.ari_password},
        "database": {"dsn": dsn, "spool_dir": str(base / "spool")},
        "http": {"listen": f"127.0.0.1:{port}", "tokens": []},
        "teams": [{"name": f"team{i}"} for i in range(6)],
        "agents": [{"id": a, "teams": t, "endpoint": AsteriskInstance.agent_endpoint(a)} for a, t in TEAMS.items()],
        "queues": [{"name": q, "teams": [f"team{i}" for i in range(6)]} for q in QUEUES],
        "supervisors": [{"id": "s1", "endpoint": "PJSIP/s1", "teams": ["team1"]}],
        "console": {"users": [{"name": "root", "role": "admin"}, {"name": "sup", "supervisor": "s1"}]},
    }


async def over_http(dsn: str, searches: int) -> dict[str, Any]:
    """The same work through a `ccd run` process and the console's session cookie."""
    base_dir = scratch_dir("ccd-bench-console-history-")
    ast = AsteriskInstance(base_dir / "ast")
    ast.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        (base_dir / "ccd.toml").write_text(dumps(config(ast, dsn, base_dir, port)))
        store = SessionStore(dsn, 60)
        for name in ("root", "sup"):
            await store.set_password(name, "bench-password")
        await store.close()
        proc = subprocess.Popen([sys.executable, "-m", "ccd", "run", "-c", str(base_dir / "ccd.toml")],
                                stdout=open(base_dir / "ccd.log", "wb"), stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        out: dict[str, Any] = {}
        for user in ("root", "sup"):
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
                deadline = time.monotonic() + 60
                while True:
                    try:
                        async with http.post(url + "/console/api/login",
                                             json={"name": user, "password": "bench-password"}) as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        pass
                    if time.monotonic() > deadline:
                        raise TimeoutError("ccd not answering")
                    await asyncio.sleep(0.2)
                rnd, took, found = random.Random(7), [], 0
                for _ in range(searches):
                    t0 = time.perf_counter()
                    async with http.get(url + "/console/api/history",
                                        params={"caller": f"8495{rnd.randrange(CALLERS):07d}"}) as r:
                        found += len((await r.json())["calls"])
                        assert r.status == 200, r.status
                    took.append((time.perf_counter() - t0) * 1000)
                if found == 0:
                    raise RuntimeError(f"{user} found no calls over HTTP")
                out[f"http_history_p50_ms_{user}"] = round(percentile(took, 0.5), 2)
                out[f"http_history_p99_ms_{user}"] = round(percentile(took, 0.99), 2)
                for by in ("queue", "agent"):
                    t0 = time.perf_counter()
                    async with http.get(url + "/api/reports", params={"from": "2026-10-01", "to": "2026-11-01",
                                                                      "by": by}) as r:
                        await r.read()
                        assert r.status == 200, r.status
                    out[f"http_report_month_{by}_s_{user}"] = round(time.perf_counter() - t0, 3)
        return out
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        ast.stop()


async def timed(coro: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = await coro
    return time.perf_counter() - t0, result


async def run(calls: int, searches: int, http: bool) -> dict[str, Any]:
    async with temp_database("ccd_bench_console") as dsn:
        await migrate(dsn)
        conn = await asyncpg.connect(dsn, command_timeout=600)
        try:
            t0 = time.perf_counter()
            await seed(conn, calls)
            seed_s = time.perf_counter() - t0
            rnd = random.Random(19)
            admin = Scope(None, [])
            members = {q: sorted(TEAMS) for q in QUEUES}
            sup = scope_of(Principal("s", "supervisor", frozenset({"team1"}), "S"), TEAMS, members)
            took, scoped, found = [], [], 0
            for _ in range(searches):
                caller = "+7495" + f"{rnd.randrange(CALLERS):07d}"
                s, rows = await timed(history(conn, caller, admin))
                took.append(s * 1000)
                found += len(rows)
                s, _ = await timed(history(conn, caller, sup))
                scoped.append(s * 1000)
            month = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))
            figures: dict[str, Any] = {}
            for by in ("queue", "agent", "day"):
                s, rows = await timed(kpi_report(conn, start=month[0], end=month[1], by=by, tz="UTC", teams=TEAMS))
                if not rows:
                    raise RuntimeError(f"empty report by {by}")
                figures[f"report_month_{by}_s"] = round(s, 3)
            t0 = time.perf_counter()
            rating_rows = await load_rows(conn, month[0], month[1], TEAMS)
            render(rating_rows, ("agent",), "csv", period="day", tz=ZoneInfo("UTC"))
            figures["ratings_month_s"] = round(time.perf_counter() - t0, 3)
            s, recs = await timed(queries.search(conn, queries.Search(month[0], month[1], rating_max=2, limit=200)))
            figures["recordings_month_s"] = round(s, 3)
            if found == 0 or not recs:
                raise RuntimeError("the seeded history was not found")
            via_http = await over_http(dsn, searches) if http else {}
            return {**via_http, "history_p50_ms": round(percentile(took, 0.5), 2), "history_p99_ms": round(percentile(took, 0.99), 2),
                    "history_scoped_p99_ms": round(percentile(scoped, 0.99), 2),
                    "calls_per_caller": round(found / searches, 1), **figures, "seed_s": round(seed_s, 1)}
        finally:
            await conn.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=500_000)
    ap.add_argument("--searches", type=int, default=200)
    ap.add_argument("--quick", action="store_true", help="50,000 calls and 50 searches (make bench)")
    ap.add_argument("--no-http", action="store_true", help="skip the phase through a `ccd run` process")
    args = ap.parse_args()
    if args.quick:
        args.calls, args.searches = 50_000, 50
    measured = ("history_p50_ms", "history_p99_ms", "history_scoped_p99_ms", "calls_per_caller",
                "report_month_queue_s", "report_month_agent_s", "report_month_day_s", "ratings_month_s",
                "recordings_month_s", "seed_s",
                *(f"{k}_{u}" for u in ("root", "sup") for k in ("http_history_p50_ms", "http_history_p99_ms",
                                                                "http_report_month_queue_s", "http_report_month_agent_s")))
    run_and_emit("console_history", run(args.calls, args.searches, not args.no_http),
                 {"calls": args.calls, "agents": AGENTS, "since": (NOW - timedelta(days=365)).date().isoformat()},
                 measured)


if __name__ == "__main__":
    main()
