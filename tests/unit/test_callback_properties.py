"""Property tests of the callback book: service order and limits under any sequence of inputs."""

from __future__ import annotations

from datetime import time as tod

from hypothesis import given, settings
from hypothesis import strategies as st

from ccd.callbacks.core.book import CallbackBook, Dial, QueueRules
from ccd.callbacks.core.hours import Calendar

entries = st.lists(
    st.tuples(st.booleans(), st.sampled_from([0, 0, 0, 10]), st.integers(0, 1000)),
    min_size=1, max_size=25,
)


@given(entries)
def test_service_order_is_line_order(items: list[tuple[bool, int, int]]) -> None:
    """One agent at a time frees up: live calls and callbacks are served in key order."""
    book = CallbackBook({"q": QueueRules(max_pending=1000)})
    live: list[tuple[int, float, int]] = []
    keys: dict[tuple[int, float, int], str] = {}
    for seq, (is_cb, prio, at) in enumerate(items):
        key = (-prio, float(at), seq)
        if is_cb:
            res, _ = book.request(f"cb{seq}", "q", f"+49{seq}", prio, float(at), seq, 2000.0)
            assert res == "requested"
            keys[key] = f"cb{seq}"
        else:
            live.append(key)
            keys[key] = f"live{seq}"
    served: list[str] = []
    for _ in range(len(items)):
        dials = [c for c in book.dispatch("q", 2001.0, live, 1) if isinstance(c, Dial)]
        if dials:
            served.append(dials[0].callback.id)
            book.connected(dials[0].callback.id, 2001.0)
        else:
            head = min(live)
            live.remove(head)
            served.append(keys[head])
    assert served == [keys[k] for k in sorted(keys)]


ops = st.lists(
    st.one_of(
        st.tuples(st.just("request"), st.integers(0, 6), st.integers(0, 100)),
        st.tuples(st.just("dispatch"), st.integers(0, 4), st.integers(0, 3)),
        st.tuples(st.just("fail"), st.integers(0, 30), st.integers(0, 0)),
        st.tuples(st.just("connect"), st.integers(0, 30), st.integers(0, 0)),
        st.tuples(st.just("wait"), st.integers(1, 200), st.integers(0, 0)),
    ),
    max_size=60,
)


@settings(max_examples=200)
@given(ops, st.sampled_from(["agent_first", "customer_first"]))
def test_limits_hold_under_any_inputs(steps: list[tuple[str, int, int]], delivery: str) -> None:
    rules = QueueRules(max_pending=4, max_attempts=2, retry_delay=50, delivery=delivery)  # type: ignore[arg-type]
    book = CallbackBook({"q": rules})
    now, n = 0.0, 0
    dialled: dict[str, int] = {}
    for op, a, b in steps:
        if op == "request":
            n += 1
            book.request(f"cb{n}", "q", f"+49{a}", 0, now - b, n, now)
        elif op == "dispatch":
            before = {c.id for c in book.open_in("q") if c.status == "dialling"}
            waiting = sum(1 for c in book.open_in("q") if c.status == "dialling" and not c.holds_agent)
            new = [c for c in book.dispatch("q", now, [], a) if isinstance(c, Dial)]
            assert len(new) <= max(0, a - waiting)  # never more than the free agents
            for d in new:
                assert d.callback.id not in before  # one attempt in flight per callback
                dialled[d.callback.id] = dialled.get(d.callback.id, 0) + 1
        elif op in ("fail", "connect"):
            flying = [c.id for c in book.open_in("q") if c.status == "dialling"]
            if flying:
                cb = flying[a % len(flying)]
                (book.attempt_failed(cb, "no_answer", now) if op == "fail" else book.connected(cb, now))
        else:
            now += a
        open_ = book.open_in("q")
        assert len(open_) <= rules.max_pending
        numbers = [c.number for c in open_]
        assert len(numbers) == len(set(numbers))  # same number: merged, never twice
        assert all(c.attempts <= rules.max_attempts for c in open_)
    assert all(v <= rules.max_attempts for v in dialled.values())


@given(st.floats(1.7e9, 1.9e9), st.sampled_from(["UTC", "Europe/Berlin", "America/New_York"]))
def test_calendar_edges_agree(now: float, tz: str) -> None:
    cal = Calendar(tz, tuple(((tod(9), tod(12)), (tod(13), tod(17))) if d < 5 else () for d in range(7)))
    closes = cal.closes_at(now)
    if closes is not None:
        assert closes > now and cal.is_open(now) and not cal.is_open(closes)
    nxt = cal.next_opening(now)
    assert nxt is not None and nxt > now and cal.is_open(nxt)
    if closes is None:  # closed now: nothing open in between
        assert not cal.is_open((now + nxt) / 2)
