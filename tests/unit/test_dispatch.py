"""The dispatch point: subscription by class, order, sync + async consumers, isolation of a
failing consumer, once-per-type logging of skipped events, the single delivery task."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from structlog.testing import capture_logs

from ccd.dispatch import Dispatcher


@dataclass(frozen=True)
class Base:
    n: int


@dataclass(frozen=True)
class Child(Base):
    pass


@dataclass(frozen=True)
class Other:
    n: int


async def test_subscribe_by_class_and_base_class_in_subscription_order() -> None:
    d = Dispatcher()
    seen: list[str] = []
    d.subscribe(Child, lambda e: seen.append(f"child{e.n}"))
    d.subscribe(Base, lambda e: seen.append(f"base{e.n}"))
    d.subscribe(Other, lambda e: seen.append(f"other{e.n}"))
    await d.dispatch(Child(1))
    await d.dispatch(Base(2))
    await d.dispatch(Other(3))
    assert seen == ["child1", "base1", "base2", "other3"]


async def test_unsubscribe() -> None:
    d = Dispatcher()
    seen: list[int] = []
    off = d.subscribe(Base, lambda e: seen.append(e.n))
    await d.dispatch(Base(1))
    off()
    off()  # idempotent
    await d.dispatch(Base(2))
    assert seen == [1]


async def test_async_consumers_are_awaited_in_order_without_tasks() -> None:
    d = Dispatcher()
    seen: list[str] = []

    async def slow(e: Base) -> None:
        await asyncio.sleep(0.01)
        seen.append(f"slow{e.n}")

    async def fast(e: Base) -> None:
        seen.append(f"fast{e.n}")

    d.subscribe(Base, slow)
    d.subscribe(Base, fast)
    d.subscribe(Base, lambda e: seen.append(f"sync{e.n}"))
    tasks_before = len(asyncio.all_tasks())
    await d.dispatch(Base(1))
    assert seen == ["slow1", "fast1", "sync1"]  # slow finished before fast started
    assert len(asyncio.all_tasks()) == tasks_before  # nothing left running


async def test_failing_consumer_is_logged_with_the_event_and_others_still_run() -> None:
    d = Dispatcher()
    seen: list[int] = []

    def broken(e: Base) -> None:
        raise RuntimeError("boom")

    async def broken_async(e: Base) -> None:
        raise ValueError("async boom")

    d.subscribe(Base, broken)
    d.subscribe(Base, broken_async)
    d.subscribe(Base, lambda e: seen.append(e.n))
    with capture_logs() as logs:
        await d.dispatch(Base(7))
    assert seen == [7]
    failures = [entry for entry in logs if entry["event"] == "consumer_failed"]
    assert len(failures) == 2
    assert failures[0]["event_repr"] == "Base(n=7)"
    assert "broken" in failures[0]["consumer"]
    assert "boom" in failures[0]["error"]
    assert d.consumer_errors == 2


async def test_cancellation_is_not_swallowed() -> None:
    d = Dispatcher()

    async def cancelled(e: Base) -> None:
        raise asyncio.CancelledError

    d.subscribe(Base, cancelled)
    with pytest.raises(asyncio.CancelledError):
        await d.dispatch(Base(1))


async def test_skipped_events_are_logged_once_per_type_and_counted() -> None:
    d = Dispatcher()
    with capture_logs() as logs:
        for _ in range(5):
            d.skip("ami", "unknown", "Newexten")
            d.skip("ami", "malformed", "QueueCallerJoin", "QueueCallerJoin without queue")
        d.skip("ari", "unknown", "Newexten")
    skipped = [(e["source"], e["reason"], e["event_type"], e["log_level"]) for e in logs]
    assert skipped == [
        ("ami", "unknown", "Newexten", "info"),
        ("ami", "malformed", "QueueCallerJoin", "warning"),
        ("ari", "unknown", "Newexten", "info"),
    ]
    assert d.skipped == 11


async def test_skip_log_memory_is_bounded() -> None:
    d = Dispatcher()
    with capture_logs():
        for i in range(10_050):
            d.skip("ami", "unknown", f"Garbage{i}")
    assert len(d._skipped_types) == 10_000


async def test_published_batches_are_delivered_in_order_by_one_task() -> None:
    d = Dispatcher()
    seen: list[tuple[int, str]] = []

    async def consumer(e: Base) -> None:
        seen.append((e.n, asyncio.current_task().get_name()))  # type: ignore[union-attr]
        await asyncio.sleep(0)

    d.subscribe(Base, consumer)
    d.start()
    d.publish([Base(1), Base(2)])
    d.publish([Base(3)])
    d.publish(())
    assert d.backlog >= 1
    await d.drain()
    assert [n for n, _ in seen] == [1, 2, 3]
    assert {name for _, name in seen} == {"ccd-dispatch"}
    await d.close()
    await d.close()  # idempotent


async def test_a_consumer_may_wait_for_a_later_published_event() -> None:
    """The clients publish without waiting, so a consumer awaiting something the reader
    produces (an AMI action's response) cannot deadlock the reader."""
    d = Dispatcher()
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    got: list[int] = []

    async def waits(e: Base) -> None:
        got.append(await answer)

    d.subscribe(Base, waits)
    d.start()
    d.publish([Base(1)])
    await asyncio.sleep(0.01)
    answer.set_result(42)  # the "reader" is still free to run
    d.publish([Base(2)])
    await d.drain()
    assert got == [42, 42]
    await d.close()
