"""The domain event bus: order, isolation, lag and drops, sequence numbers, durable."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from ccd import events as ev
from ccd.bus import Bus, Sequenced


def event(n: int) -> ev.DomainEvent:
    return ev.event(ev.AGENT_STATE, 1_700_000_000.0 + n, agent_id=f"a{n}", n=n)


async def settle(bus: Bus) -> None:
    for _ in range(50):
        if all(not s.queue for s in bus.subscribers):
            return
        await asyncio.sleep(0)


@given(st.lists(st.integers(0, 3), min_size=1, max_size=60))
def test_sequence_numbers_increase_by_one_per_event(subs: list[int]) -> None:
    bus = Bus()
    seen: list[list[int]] = [[] for _ in range(4)]
    for i in range(4):
        bus.subscribe(f"s{i}", lambda item, i=i: seen[i].append(item.seq))
    seqs = []
    for n, _ in enumerate(subs):
        bus.publish(event(n))
        seqs.append(bus.seq)
    bus.flush()
    assert seqs == list(range(1, len(subs) + 1))
    assert all(s == seqs for s in seen)


async def test_every_subscriber_gets_every_event_in_order() -> None:
    bus = Bus()
    got: dict[str, list[int]] = {"a": [], "b": []}
    bus.subscribe_events("a", lambda e: got["a"].append(e.payload["n"]))
    bus.subscribe_events("b", lambda e: got["b"].append(e.payload["n"]))
    tasks = bus.tasks()
    for n in range(1000):
        bus.publish(event(n))
    await settle(bus)
    assert got["a"] == got["b"] == list(range(1000))
    for t in tasks:
        t.cancel()


async def test_a_failing_subscriber_does_not_stop_the_others_or_itself() -> None:
    bus = Bus(registry=(reg := CollectorRegistry()))
    good: list[int] = []
    flaky: list[int] = []

    def explode(item: Sequenced) -> None:
        if item.seq % 2:
            raise RuntimeError("boom")
        flaky.append(item.seq)

    bus.subscribe("flaky", explode)
    bus.subscribe("good", lambda item: good.append(item.seq))
    tasks = bus.tasks()
    for n in range(10):
        bus.publish(event(n))
    await settle(bus)
    assert good == list(range(1, 11))
    assert flaky == [2, 4, 6, 8, 10]
    assert reg.get_sample_value("ccd_bus_subscriber_failures_total", {"subscriber": "flaky"}) == 5
    for t in tasks:
        t.cancel()


async def test_a_slow_subscriber_lags_and_drops_without_slowing_publish() -> None:
    reg = CollectorRegistry()
    bus = Bus(registry=reg)
    slow_seen: list[int] = []
    fast_seen: list[int] = []
    bus.subscribe("slow", lambda item: slow_seen.append(item.seq), maxsize=5)
    bus.subscribe("fast", lambda item: fast_seen.append(item.seq))
    slow = bus.subscribers[0]
    tasks = bus.tasks()
    slow.task.cancel()  # type: ignore[union-attr]  # the slow one is stuck: nothing drains it
    await asyncio.sleep(0)
    for n in range(20):
        bus.publish(event(n))  # returns at once even though "slow" never drains
    await settle_only(bus, "fast")
    assert fast_seen == list(range(1, 21))
    assert reg.get_sample_value("ccd_bus_subscriber_lag_events", {"subscriber": "slow"}) == 5
    assert reg.get_sample_value("ccd_bus_subscriber_dropped_events_total", {"subscriber": "slow"}) == 15
    assert reg.get_sample_value("ccd_bus_sequence") == 20
    slow.drain()
    assert slow_seen == [1, 2, 3, 4, 5]  # the gap after 5 tells the subscriber it lost events
    for t in tasks:
        t.cancel()


async def settle_only(bus: Bus, name: str) -> None:
    sub = next(s for s in bus.subscribers if s.name == name)
    for _ in range(50):
        if not sub.queue:
            return
        await asyncio.sleep(0)


class FakeStore:
    """Records what was committed; commits when told (a real writer is tested elsewhere)."""

    def __init__(self) -> None:
        self.committed: list[str] = []
        self.gate = asyncio.Event()

    async def durable(self, e: ev.DomainEvent) -> None:
        await self.gate.wait()
        self.committed.append(e.event_id)


async def test_durable_commits_before_anyone_else_sees_the_event_and_store_is_not_fed_twice() -> None:
    store = FakeStore()
    bus = Bus(store)
    stored: list[str] = []
    others: list[str] = []
    bus.subscribe_store(lambda e: stored.append(e.event_id))
    bus.subscribe_events("other", lambda e: others.append(e.event_id))
    tasks = bus.tasks()
    e = event(1)
    pending = asyncio.ensure_future(bus.durable(e))
    await asyncio.sleep(0.01)
    assert others == [] and not pending.done()
    store.gate.set()
    await pending
    await settle(bus)
    assert bus.seq == 1
    assert store.committed == [e.event_id]
    assert others == [e.event_id]
    assert stored == []  # committed through durable, not queued again
    for t in tasks:
        t.cancel()


def test_bus_has_the_shape_features_expect_of_a_store() -> None:
    bus = Bus()
    # Features skip re-publishing after durable by comparing their sink with store.submit.
    assert bus.submit == bus.publish


async def test_a_subscriber_added_while_running_gets_later_events() -> None:
    bus = Bus()
    tasks = bus.tasks()
    bus.publish(event(0))
    late: list[int] = []
    sub = bus.subscribe("late", lambda item: late.append(item.seq))
    bus.publish(event(1))
    await settle(bus)
    assert late == [2]
    bus.unsubscribe(sub)
    bus.publish(event(2))
    await settle(bus)
    assert late == [2]
    for t in tasks:
        t.cancel()
