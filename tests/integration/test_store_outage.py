"""Database outages: a TCP proxy between the writer and PostgreSQL is cut on purpose while
events keep coming. Nothing may be lost or duplicated, and the backlog must drain."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
import time
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import pytest

from ccd.events import DomainEvent, RawEvent, utc
from ccd.store.migrate import migrate
from ccd.store.writer import EventWriter
from tests.harness.postgres import TcpProxy

pytestmark = pytest.mark.postgres
T = 1_780_000_000.0
REPO = str(Path(__file__).resolve().parents[2])
# The acceptance run is a 30 s outage: CCD_STORE_OUTAGE_S=30 pytest -m postgres ...
OUTAGE_S = float(os.environ.get("CCD_STORE_OUTAGE_S", "3"))


@pytest.fixture
async def proxy(pg_dsn: str) -> AsyncIterator[TcpProxy]:
    await migrate(pg_dsn)
    url = urlsplit(pg_dsn)
    p = TcpProxy(url.hostname or "127.0.0.1", url.port or 5432)
    await p.start()
    yield p
    await p.close()


def ev(i: int) -> DomainEvent:
    """Event number i of a mix that exercises the projections: calls and agent state."""
    eid, ts, agent = f"e{i:07d}", utc(T + i), f"a{i % 5}"
    if i % 10 == 9:
        kind = "agent.paused" if i % 20 == 9 else "agent.unpaused"
        return RawEvent(type=kind, ts=ts, agent_id=agent, payload={"reason": "break"}, event_id=eid)
    kind = ("call.queued", "call.offered", "call.answered")[i % 3]
    payload = {"caller": "+491"} if i % 3 == 0 else {"wait_s": 1.0} if i % 3 == 2 else {}
    return RawEvent(type=kind, ts=ts, call_id=f"c{i // 3}", agent_id=agent, queue="q1",
                       payload=payload, event_id=eid)


async def produce(w: EventWriter, n: int, rate: float) -> None:
    began = time.monotonic()
    for i in range(n):
        w.submit(ev(i))
        if i % 50 == 0:
            await asyncio.sleep(max(0.0, began + i / rate - time.monotonic()))


async def wait_drained(w: EventWriter, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while w.backlog or not w.connected:
        assert time.monotonic() < deadline, f"backlog {w.backlog} not drained"
        await asyncio.sleep(0.05)


async def stored_ids(dsn: str) -> list[str]:
    conn = await asyncpg.connect(dsn)
    try:
        return [r[0] for r in await conn.fetch("SELECT event_id FROM events ORDER BY 1")]
    finally:
        await conn.close()


@pytest.mark.parametrize("blackhole", [False, True], ids=["reset", "blackhole"])
async def test_outage_loses_and_duplicates_nothing(
    proxy: TcpProxy, pg_dsn: str, tmp_path: Path, blackhole: bool
) -> None:
    rate = 2_000.0
    n = int(rate * (OUTAGE_S + 3))  # traffic before, during and after the outage
    w = EventWriter(proxy.dsn_for(pg_dsn), tmp_path / "spool", batch_max=500,
                    connect_timeout=1.0, command_timeout=1.0, backoff_max=0.5)
    await w.start()
    producer = asyncio.create_task(produce(w, n, rate))
    await asyncio.sleep(1.0)
    assert w.connected
    proxy.cut(blackhole=blackhole)
    await asyncio.sleep(OUTAGE_S)  # the outage: events keep coming
    assert w.spooled_total > 0 and w.spool_bytes > 0
    proxy.restore()
    await producer
    await wait_drained(w, 30 + OUTAGE_S)
    await w.stop()
    assert w.dropped_total == 0 and w.dead_lettered_total == 0
    assert w.drained_total > 0
    assert await stored_ids(pg_dsn) == sorted(f"e{i:07d}" for i in range(n))
    assert not (tmp_path / "spool").stat().st_size  # spool emptied after the drain


WRITER_SCRIPT = textwrap.dedent("""
    import asyncio, sys
    from pathlib import Path
    from ccd.events import RawEvent, utc
    from ccd.store.writer import EventWriter

    async def main(dsn, spool):
        w = EventWriter(dsn, Path(spool), batch_max=200, connect_timeout=1.0,
                        command_timeout=1.0, backoff_max=0.3)
        await w.start()
        i = 0
        while True:  # until killed
            chunk = [RawEvent(type="agent.missed", ts=utc(1.78e9 + i + k), agent_id="a1",
                                 payload={"consecutive": 1}, event_id=f"k{i + k:07d}")
                     for k in range(100)]
            await asyncio.gather(*(w.durable(e) for e in chunk))
            i += 100
            print(f"ACK {i} {w.spooled_total}", flush=True)
            await asyncio.sleep(0.01)

    asyncio.run(main(sys.argv[1], sys.argv[2]))
""")


async def test_spool_survives_kill_9_during_outage(proxy: TcpProxy, pg_dsn: str,
                                                   tmp_path: Path) -> None:
    spool = tmp_path / "spool"
    env = {**os.environ, "PYTHONPATH": REPO}
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-c", WRITER_SCRIPT, proxy.dsn_for(pg_dsn), str(spool),
        stdout=asyncio.subprocess.PIPE, env=env)
    assert child.stdout is not None
    acked, spooled, cut_at = 0, 0, None
    try:
        while True:
            line = await asyncio.wait_for(child.stdout.readline(), 30)
            assert line, "writer process died"
            _, acked_s, spooled_s = line.decode().split()
            acked, spooled = int(acked_s), int(spooled_s)
            if cut_at is None and acked >= 2_000:
                proxy.cut()
                cut_at = acked
            if cut_at is not None and spooled >= 2_000:
                break  # well into the outage, with acknowledged events only on disk
    finally:
        child.send_signal(signal.SIGKILL)
        await child.wait()
    assert child.returncode == -signal.SIGKILL
    proxy.restore()

    w = EventWriter(pg_dsn, spool)  # the restarted daemon, database reachable again
    await w.start()
    assert w.backlog >= spooled
    await wait_drained(w, 30)
    await w.stop()
    ids = await stored_ids(pg_dsn)
    assert len(ids) == len(set(ids))
    # every acknowledged event survived; none beyond what the child created
    assert set(ids) >= {f"k{i:07d}" for i in range(acked)}
    assert all(int(x[1:]) < acked + 100 for x in ids)


async def test_hard_stop_during_a_hung_write_loses_nothing(proxy: TcpProxy, pg_dsn: str,
                                                           tmp_path: Path) -> None:
    """A batch in flight on a dead connection when the shutdown budget runs out is parked
    in the spool; the next start drains it (a duplicate, if it did commit, is ignored)."""
    w = EventWriter(proxy.dsn_for(pg_dsn), tmp_path / "spool", command_timeout=30)
    await w.start()
    await w.durable(ev(0))  # connected
    proxy.cut(blackhole=True)
    for i in range(1, 500):
        w.submit(ev(i))
    await asyncio.sleep(0.3)  # the loop has taken them into a batch that now hangs
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(w.stop(), 0.5)
    proxy.restore()
    w2 = EventWriter(pg_dsn, tmp_path / "spool")
    await w2.start()
    await wait_drained(w2, 30)
    await w2.stop()
    assert await stored_ids(pg_dsn) == sorted(f"e{i:07d}" for i in range(500))
