"""Event store benchmark: writer throughput with COPY staging, the same with INSERT staging,
spool drain, event-to-commit latency. Prints one JSON object as its last line.

    python bench/store.py [--quick] [--dsn SERVER_DSN]

``--dsn`` names the server (default postgresql://postgres@127.0.0.1:5432/postgres); the
benchmark creates a temporary database on it and drops it afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ccd.events import DomainEvent, event
from ccd.store import db
from ccd.store.migrate import migrate
from ccd.store.spool import Spool
from ccd.store.validate import DeadLetter, Row, encode_record
from ccd.store.writer import EventWriter

SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
T0 = 1_780_000_000.0


def traffic(n: int, *, seed: int = 1, agents: int = 200) -> Iterator[DomainEvent]:
    """A realistic mix: per call queued/offered/answered/ended/wrap-up/rating, agent events."""
    rnd = random.Random(seed)
    t, made = T0, 0
    while made < n:
        call, agent = uuid.uuid4().hex, f"a{rnd.randrange(agents)}"
        q, caller = f"q{rnd.randrange(8)}", f"+4930{rnd.randrange(10**6):06d}"
        wait, talk = rnd.uniform(0, 60), rnd.uniform(30, 600)
        batch = [
            event("call.queued", t, call_id=call, queue=q, caller=caller, priority=0,
                  sticky_agent=None),
            event("call.offered", t + wait - 2, call_id=call, queue=q, agent_id=agent,
                  attempt=1, sticky=False),
            event("call.answered", t + wait, call_id=call, queue=q, agent_id=agent,
                  wait_s=wait, sticky=False),
            event("call.ended", t + wait + talk, call_id=call, queue=q, agent_id=agent,
                  talk_s=talk, ended_by="caller"),
            event("agent.wrapup_ended", t + wait + talk + 10, call_id=call, agent_id=agent,
                  wrapup_s=10.0),
            event("rating.result", t + wait + talk + 20, call_id=call, queue=q,
                  agent_id=agent, outcome="rated", score=rnd.randint(1, 5), caller=caller,
                  attempts=1),
        ]
        if rnd.random() < 0.1:
            kind = rnd.choice(["agent.paused", "agent.unpaused", "agent.login"])
            batch.append(event(kind, t, agent_id=agent, reason="break"))
        yield from batch[: n - made]
        made += len(batch)
        t += 0.5


async def writer_throughput(dsn: str, n: int, tmp: Path, *, seed: int) -> float:
    """Events/s through EventWriter: submit, batch, stage, ingest, project, commit."""
    w = EventWriter(dsn, tmp / f"tp{seed}.spool")
    await w.start()
    # time order interleaves calls, so a call's events span batches as in production
    events = sorted(traffic(n, seed=seed), key=lambda e: e.ts)
    gc.freeze()  # the bench's own pre-built events are not the writer's garbage to scan
    began = time.perf_counter()
    for i in range(0, n, 1000):
        while w.backlog > 50_000:
            await asyncio.sleep(0.005)
        for e in events[i : i + 1000]:
            w.submit(e)
        await asyncio.sleep(0)
    while w.written_total + w.duplicate_total < n:
        if w.spooled_total:
            raise RuntimeError(f"writer fell back to the spool: {w.write_errors_total} errors")
        await asyncio.sleep(0.005)
    took = time.perf_counter() - began
    await w.stop()
    del events
    gc.unfreeze()
    assert w.spooled_total == 0 and w.dead_lettered_total == 0, "unexpected spool/dead"
    return n / took


async def _write_with_insert(conn: Any, rows: Sequence[Row], dead: Sequence[DeadLetter],
                             on_copied: Callable[[], None] | None = None) -> int:
    """db.write, staging with a multi-row INSERT (executemany) instead of COPY."""
    async with conn.transaction():
        await conn.executemany(
            "INSERT INTO ccd_stage (event_id, ts, type, call_id, agent_id, queue, payload)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7)", rows)
        if on_copied is not None:
            on_copied()
        new = int(await conn.fetchval("SELECT ccd_ingest()"))
        if dead:
            await conn.executemany(db.DEAD_SQL, [(d.dedupe_key, d.event_id, d.type, d.reason,
                                                  d.raw) for d in dead])
    return new


async def insert_throughput(dsn: str, n: int, tmp: Path) -> float:
    """The same writer and work, staging batches with INSERT: what COPY buys."""
    real = db.write
    db.write = _write_with_insert  # type: ignore[assignment]
    try:
        return await writer_throughput(dsn, n, tmp, seed=3)
    finally:
        db.write = real


async def drain(dsn: str, n: int, tmp: Path) -> float:
    path = tmp / "drain.spool"
    spool = Spool(path, 1 << 34)
    spool.open()
    bodies = [encode_record(e) for e in traffic(n, seed=4)]
    for i in range(0, n, 10_000):
        spool.append(bodies[i : i + 10_000])
    spool.close()
    w = EventWriter(dsn, path)
    began = time.perf_counter()
    await w.start()
    deadline = time.monotonic() + 300
    while w.backlog > 0:
        if time.monotonic() > deadline:
            raise RuntimeError(f"drain stuck at backlog {w.backlog}")
        await asyncio.sleep(0.005)
    took = time.perf_counter() - began
    await w.stop()
    assert w.drained_total == n
    return took


async def commit_latency(dsn: str, rate: int, seconds: float, tmp: Path) -> float:
    """p99 submit-to-acknowledge latency under ``rate`` events/s (1 in 50 events timed)."""
    w = EventWriter(dsn, tmp / "lat.spool")
    await w.start()
    lat: list[float] = []
    pending: set[asyncio.Task[None]] = set()

    async def timed(e: DomainEvent) -> None:
        began = time.perf_counter()
        await w.durable(e)
        lat.append(time.perf_counter() - began)

    events = traffic(int(rate * seconds), seed=5)
    began, sent, tick = time.perf_counter(), 0, 0.01
    for e in events:
        if sent % 50 == 0:
            task = asyncio.create_task(timed(e))
            pending.add(task)
            task.add_done_callback(pending.discard)
        else:
            w.submit(e)
        sent += 1
        if sent % int(rate * tick) == 0:
            ahead = began + sent / rate - time.perf_counter()
            await asyncio.sleep(max(ahead, 0))
    await asyncio.wait_for(asyncio.gather(*pending), 120)
    await w.stop()
    lat.sort()
    return lat[int(len(lat) * 0.99)] * 1000


def with_db(dsn: str, name: str) -> str:
    return urlunsplit(urlsplit(dsn)._replace(path="/" + name))


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--dsn", default=SERVER, help="server DSN; a temp database is used")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = 100_000 if args.quick else 500_000
    name = f"ccd_bench_{uuid.uuid4().hex[:10]}"
    result: dict[str, object] = {"bench": "store", "copy_events_per_s": None,
                                 "insert_events_per_s": None, "drain_100k_s": None,
                                 "commit_p99_ms": None}
    try:
        admin = await asyncpg.connect(args.dsn, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        result["error"] = f"cannot reach PostgreSQL: {exc!r}"
        print(json.dumps(result))
        return
    await admin.execute(f'CREATE DATABASE "{name}"')
    dsn = with_db(args.dsn, name)
    try:
        await migrate(dsn)
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d)
            result["copy_events_per_s"] = round(await writer_throughput(dsn, n, tmp, seed=2))
            print(f"writer: {result['copy_events_per_s']} events/s", file=sys.stderr)
            result["insert_events_per_s"] = round(await insert_throughput(dsn, n // 5, tmp))
            print(f"insert: {result['insert_events_per_s']} events/s", file=sys.stderr)
            result["drain_100k_s"] = round(await drain(dsn, 100_000, tmp), 3)
            print(f"drain 100k: {result['drain_100k_s']} s", file=sys.stderr)
            secs = 3.0 if args.quick else 10.0
            result["commit_p99_ms"] = round(await commit_latency(dsn, 20_000, secs, tmp), 1)
    except Exception as exc:  # report what was measured, say why the rest is missing
        result["error"] = repr(exc)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
