"""Connection health (readiness, counters) and the shared reconnect backoff."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from ccd.health import Backoff, ConnectionHealth, StateChange, sleep_or_wake


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ready_only_when_every_interface_is_up() -> None:
    clock = Clock()
    h = ConnectionHealth(clock=clock)
    assert not h.ready
    h.update(StateChange("ami", "connecting"))
    h.update(StateChange("ami", "up"))
    assert h.is_up("ami") and not h.ready
    h(StateChange("ari", "up"))  # usable directly as on_state
    assert h.ready
    clock.now = 103.5
    snap = h.snapshot()
    assert snap["ready"] is True
    assert snap["ami"]["state"] == "up" and snap["ami"]["for_s"] == 3.5


def test_counters_for_reconnects_failures_and_disconnects() -> None:
    h = ConnectionHealth(("ami",))
    link = h.links["ami"]
    h.update(StateChange("ami", "connecting"))
    h.update(StateChange("ami", "down", "refused"))  # a failed attempt
    h.update(StateChange("ami", "connecting"))
    h.update(StateChange("ami", "up"))
    h.update(StateChange("ami", "down", "connection closed"))  # a lost session
    h.update(StateChange("ami", "connecting"))
    h.update(StateChange("ami", "down", "bad secret", auth_failed=True))
    h.update(StateChange("ami", "up"))
    assert (link.connects, link.reconnects, link.failures, link.disconnects) == (2, 1, 2, 1)
    assert link.last_error is None and not link.auth_failed
    h.update(StateChange("ami", "down", "bad secret", auth_failed=True))
    assert link.last_error == "bad secret" and link.auth_failed


async def test_wait_ready_wakes_on_change() -> None:
    h = ConnectionHealth()
    waiter = asyncio.create_task(h.wait_ready())
    await asyncio.sleep(0)
    h.update(StateChange("ami", "up"))
    await asyncio.sleep(0)
    assert not waiter.done()
    h.update(StateChange("ari", "up"))
    await asyncio.wait_for(waiter, 1)


def test_backoff_grows_exponentially_to_the_cap_and_resets() -> None:
    b = Backoff(initial=0.1, cap=2.0, factor=2.0, jitter=0.0)
    assert [round(b.next(), 3) for _ in range(7)] == [0.1, 0.2, 0.4, 0.8, 1.6, 2.0, 2.0]
    assert b.next(cap=30.0) == 12.8  # auth failures wait longer
    b.reset()
    assert b.next() == 0.1


@given(st.integers(min_value=0, max_value=10_000), st.floats(min_value=0, max_value=1))
def test_backoff_jitter_stays_within_bounds(attempt: int, r: float) -> None:
    b = Backoff(initial=0.1, cap=2.0, jitter=0.5, rng=lambda: r)
    b.attempt = attempt
    delay = b.next()
    assert 0.05 - 1e-12 <= delay <= 2.0


async def test_sleep_or_wake() -> None:
    wake = asyncio.Event()
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    await sleep_or_wake(0.02, wake)
    assert loop.time() - t0 >= 0.015
    wake.set()
    t0 = loop.time()
    await sleep_or_wake(10, wake)
    assert loop.time() - t0 < 1 and not wake.is_set()
