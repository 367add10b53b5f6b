"""The writer with PostgreSQL unreachable: batching, spooling, durability, caps.
No database needed: the DSN points at a closed loopback port."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from ccd.events import DomainEvent, event
from ccd.store.spool import Spool, SpoolBusy, recover
from ccd.store.validate import DeadLetter, decode_record
from ccd.store.writer import EventWriter, StoreUnavailable


def closed_port_dsn() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://postgres@127.0.0.1:{port}/nowhere"


def events(n: int, start: int = 0) -> list[DomainEvent]:
    return [event("agent.missed", 1_780_000_000.0 + i, agent_id=f"a{i % 7}", consecutive=1)
            for i in range(start, start + n)]


def spooled_ids(path: Path) -> list[str]:
    """Ids in a spool file, read without taking its lock (the writer may hold it)."""
    bodies, _, _ = recover(path.read_bytes())
    rows = [decode_record(b) for b in bodies]
    assert not any(isinstance(r, DeadLetter) for r in rows)
    return [r[0] for r in rows]  # type: ignore[index]


def writer(tmp_path: Path, **kw: int | float) -> EventWriter:
    return EventWriter(closed_port_dsn(), tmp_path / "spool", connect_timeout=0.5, **kw)  # type: ignore[arg-type]


async def test_unreachable_database_spools_everything_in_order(tmp_path: Path) -> None:
    w = writer(tmp_path, batch_max=100)
    await w.start()
    evs = events(1000)
    for e in evs:
        w.submit(e)  # sync, never blocks
    await w.stop()
    assert not w.connected
    assert w.spooled_total == 1000 and w.dropped_total == 0
    assert spooled_ids(tmp_path / "spool") == [e.event_id for e in evs]


async def test_batches_never_exceed_batch_max(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = Spool.append

    def spy(self: Spool, bodies: list[bytes], *, sync: bool = True) -> bool:
        sizes.append(len(bodies))
        return real(self, bodies, sync=sync)

    monkeypatch.setattr(Spool, "append", spy)
    w = writer(tmp_path, batch_max=64, flush_interval=0.01)
    await w.start()
    for e in events(1000):
        w.submit(e)
    await w.stop()
    assert sum(sizes) == 1000
    assert max(sizes) <= 64
    assert len(sizes) >= 1000 // 64


async def test_durable_returns_once_fsynced_in_the_spool(tmp_path: Path) -> None:
    w = writer(tmp_path)
    await w.start()
    e = events(1)[0]
    await asyncio.wait_for(w.durable(e), 5)
    # already on disk before stop(): a kill -9 now would not lose it
    assert spooled_ids(tmp_path / "spool") == [e.event_id]
    await w.stop()
    w.submit(events(1)[0])  # too late: counted and logged, never raised into the caller
    assert w.dropped_total == 1
    with pytest.raises(StoreUnavailable):
        await w.durable(events(1)[0])


async def test_full_memory_queue_spills_synchronously(tmp_path: Path) -> None:
    w = writer(tmp_path, queue_max=10, batch_max=5, flush_interval=10)
    await w.start()
    evs = events(200)
    for e in evs:
        w.submit(e)  # no await in between: the loop never runs, memory overflows
    assert w.backlog == 200
    assert w.spooled_total == 190
    await w.stop()
    assert w.dropped_total == 0
    assert sorted(spooled_ids(tmp_path / "spool")) == sorted(e.event_id for e in evs)


async def test_spool_cap_warns_then_drops_loudly(tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    w = writer(tmp_path, queue_max=5, batch_max=5, spool_max_bytes=20_000)
    await w.start()
    for e in events(400):
        w.submit(e)
    await w.stop()
    assert w.spool_near_cap_total > 0
    assert w.dropped_total > 0
    assert w.dropped_total + w.spooled_total == 400
    assert "DROPPED" in caplog.text and "byte cap" in caplog.text
    assert w.spool_bytes <= 20_000


async def test_restart_keeps_the_spool(tmp_path: Path) -> None:
    w = writer(tmp_path)
    await w.start()
    for e in events(50):
        w.submit(e)
    await w.stop()
    w2 = writer(tmp_path)
    await w2.start()
    assert w2.backlog == 50
    for e in events(5, start=50):
        w2.submit(e)
    await w2.stop()
    assert len(spooled_ids(tmp_path / "spool")) == 55


async def test_cancelled_stop_parks_memory_in_the_spool(tmp_path: Path) -> None:
    """The daemon's shutdown budget may cancel stop() while a connect hangs: whatever is
    still in memory must be on disk before the cancellation propagates."""

    async def mute(_r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
        await asyncio.sleep(3600)  # accept and never answer: a dead server

    server = await asyncio.start_server(mute, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        w = EventWriter(f"postgresql://postgres@127.0.0.1:{port}/x", tmp_path / "spool",
                        connect_timeout=30)
        await w.start()
        evs = events(300)
        for e in evs:
            w.submit(e)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(w.stop(), 0.3)
        assert sorted(spooled_ids(tmp_path / "spool")) == sorted(e.event_id for e in evs)
        assert w.dropped_total == 0
    finally:
        server.close()


async def test_one_spool_one_writer(tmp_path: Path) -> None:
    w = writer(tmp_path)
    await w.start()
    with pytest.raises(SpoolBusy):
        Spool(tmp_path / "spool", 1 << 20).open()
    await w.stop()
    sp = Spool(tmp_path / "spool", 1 << 20)  # released on close (and by the kernel on kill)
    sp.open()
    sp.close()
