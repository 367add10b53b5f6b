"""ACD engine, routing decisions: policies, tiers, tie-breaks, VIP, multi-queue, indexing."""

from __future__ import annotations

import pytest

from ccd.queues import (
    AgentDeviceChanged,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallArrived,
    CallEnded,
    Input,
    OfferAnswered,
    OfferFailed,
    QueueSpec,
)
from tests.unit.acd_helpers import Sim, offers, shape, spec

MIXED = [spec("s1", "senior"), spec("r1", "regular"), spec("t1", "trainee")]


def test_seniority_first_offers_the_senior() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("t1", "r1", "s1"))])
    sim.login("t1", "r1", "s1")
    cmds = sim.do(CallArrived("c1", "q", "+100"))
    assert shape(cmds) == [
        ("call.queued", "c1", {"caller": "+100", "priority": 0, "sticky_agent": None}),
        ("offer", "c1", "s1", 1),
        ("call.offered", "c1", {"attempt": 1, "sticky": False}),
        ("agent.state", "s1", {"state": "ringing", "previous": "available", "reason": None}),
    ]
    assert offers(sim.do(CallArrived("c2", "q", "+101"))) == [("c2", "r1")]
    assert offers(sim.do(CallArrived("c3", "q", "+102"))) == [("c3", "t1")]


def test_trainee_first_offers_the_trainee() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"), policy="trainee_first")])
    sim.login("s1", "r1", "t1")
    assert offers(sim.do(CallArrived("c1", "q", None))) == [("c1", "t1")]
    assert offers(sim.do(CallArrived("c2", "q", None))) == [("c2", "r1")]
    assert offers(sim.do(CallArrived("c3", "q", None))) == [("c3", "s1")]


def test_explicit_tiers_override_policy_and_exclude_unlisted() -> None:
    q = QueueSpec("q", ("s1", "r1", "t1"), tiers=(("regular",), ("trainee",)))
    sim = Sim(MIXED, [q])
    sim.login("s1", "r1", "t1")
    assert offers(sim.do(CallArrived("c1", "q", None))) == [("c1", "r1")]
    assert offers(sim.do(CallArrived("c2", "q", None))) == [("c2", "t1")]
    assert offers(sim.do(CallArrived("c3", "q", None))) == []  # seniors are in no tier


def test_widen_after_opens_tiers_one_by_one() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"), widen_after=30)])
    sim.login("s1", "r1", "t1")
    sim.do(AgentPaused("s1", "lunch"))  # tier 1 logged in but not available
    assert offers(sim.do(CallArrived("c1", "q", None), at=100)) == []
    assert sim.engine.next_deadline() == 130
    assert offers(sim.tick(129.9)) == []
    assert offers(sim.tick(130)) == [("c1", "r1")]


def test_widen_after_third_tier_needs_two_steps() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"), widen_after=30)])
    sim.login("s1", "r1", "t1")
    sim.do(AgentPaused("s1", "lunch"))
    sim.do(AgentPaused("r1", "lunch"))
    sim.do(CallArrived("c1", "q", None), at=100)
    assert offers(sim.tick(130)) == []
    assert sim.engine.next_deadline() == 160
    assert offers(sim.tick(160)) == [("c1", "t1")]


def test_widen_skips_tiers_with_nobody_logged_in() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"), widen_after=30)])
    sim.login("r1", "t1")
    sim.do(AgentPaused("r1", "lunch"))
    # Seniors: nobody logged in, skipped. Regulars are "tier 1" now, trainees wait 30 s.
    assert offers(sim.do(CallArrived("c1", "q", None), at=100)) == []
    assert offers(sim.tick(130)) == [("c1", "t1")]


def test_widen_skipped_tier_agent_available_gets_call_at_once() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"), widen_after=30)])
    sim.login("t1")
    assert offers(sim.do(CallArrived("c1", "q", None), at=100)) == [("c1", "t1")]


def test_last_tier1_logout_widens_for_waiting_calls() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"), widen_after=30)])
    sim.login("s1", "r1")
    sim.do(AgentPaused("s1", "lunch"))
    assert offers(sim.do(CallArrived("c1", "q", None), at=100)) == []
    assert offers(sim.do(AgentLoggedOut("s1"), at=101)) == [("c1", "r1")]


def test_widen_zero_prefers_best_tier_but_all_are_open() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1", "t1"))])
    sim.login("t1", "s1")
    assert offers(sim.do(CallArrived("c1", "q", None))) == [("c1", "s1")]
    assert offers(sim.do(CallArrived("c2", "q", None))) == [("c2", "t1")]


def test_longest_idle_uses_login_then_call_end() -> None:
    agents = [spec("a"), spec("b"), spec("c")]
    sim = Sim(agents, [QueueSpec("q", ("a", "b", "c"), wrapup=0)])
    sim.login("b", "a", "c")  # idle since: b=0, a=1, c=2
    assert offers(sim.do(CallArrived("c1", "q", None), at=10)) == [("c1", "b")]
    sim.do(OfferAnswered("c1", "b"))
    sim.do(CallEnded("c1", "agent"), at=11)  # b idle since 11 now
    assert offers(sim.do(CallArrived("c2", "q", None), at=12)) == [("c2", "a")]
    assert offers(sim.do(CallArrived("c3", "q", None))) == [("c3", "c")]
    assert offers(sim.do(CallArrived("c4", "q", None))) == [("c4", "b")]


def test_missed_call_does_not_reset_idle_time() -> None:
    agents = [spec("a"), spec("b")]
    sim = Sim(agents, [QueueSpec("q", ("a", "b"))])
    sim.login("a", "b")
    sim.do(CallArrived("c1", "q", None))
    cmds = sim.do(OfferFailed("c1", "a", "no_answer"))
    assert offers(cmds) == [("c1", "b")]
    assert offers(sim.do(CallArrived("c2", "q", None))) == [("c2", "a")]


def test_fewest_calls_tie_break() -> None:
    agents = [spec("a"), spec("b")]
    sim = Sim(agents, [QueueSpec("q", ("a", "b"), tie_break="fewest_calls", wrapup=0)])
    sim.login("a", "b")
    sim.do(AgentPaused("b", "x"))
    for n in range(2):  # a handles two calls while b is paused
        sim.do(CallArrived(f"c{n}", "q", None))
        sim.do(OfferAnswered(f"c{n}", "a"))
        sim.do(CallEnded(f"c{n}", "caller"), at=5)
    sim.do(AgentUnpaused("b"), at=6)  # b idle for less time than a, but with fewer calls
    assert offers(sim.do(CallArrived("c9", "q", None), at=7)) == [("c9", "b")]


def test_round_robin_rotates_through_members() -> None:
    agents = [spec("a"), spec("b"), spec("c")]
    sim = Sim(agents, [QueueSpec("q", ("a", "b", "c"), tie_break="round_robin", wrapup=0)])
    sim.login("c", "b", "a")  # login order must not matter: member order does
    got = []
    for n in range(6):
        call = f"c{n}"
        [(_, agent_id)] = offers(sim.do(CallArrived(call, "q", None)))
        got.append(agent_id)
        sim.do(OfferAnswered(call, agent_id))
        sim.do(CallEnded(call, "caller"))
    assert got == ["a", "b", "c", "a", "b", "c"]


def test_vip_priority_is_served_first() -> None:
    q = QueueSpec("q", ("a",), vip_numbers=frozenset({"+999"}), vip_priority=10, wrapup=0)
    sim = Sim([spec("a")], [q])
    sim.do(CallArrived("c1", "q", "+100"), at=1)
    cmds = sim.do(CallArrived("c2", "q", "+999"), at=2)
    assert shape(cmds) == [("call.queued", "c2", {"caller": "+999", "priority": 10, "sticky_agent": None})]
    assert offers(sim.do(AgentLoggedIn("a"), at=3)) == [("c2", "a")]


def test_explicit_priority_above_vip_is_kept() -> None:
    q = QueueSpec("q", ("a",), vip_numbers=frozenset({"+999"}), vip_priority=10)
    sim = Sim([spec("a")], [q])
    cmds = sim.do(CallArrived("c1", "q", "+999", priority=20))
    assert ("call.queued", "c1", {"caller": "+999", "priority": 20, "sticky_agent": None}) in (shape(cmds))


def test_fifo_within_priority() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",), wrapup=0)])
    for n in range(3):
        sim.do(CallArrived(f"c{n}", "q", None), at=float(n))
    assert offers(sim.do(AgentLoggedIn("a"), at=5)) == [("c0", "a")]
    sim.do(OfferAnswered("c0", "a"))
    assert offers(sim.do(CallEnded("c0", "caller"))) == [("c1", "a")]


def test_restored_enqueue_time_keeps_fifo_place() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("new", "q", None), at=100)
    sim.do(CallArrived("old", "q", None, enqueued_at=50), at=101)
    assert offers(sim.do(AgentLoggedIn("a"))) == [("old", "a")]


def test_multi_queue_agent_takes_highest_priority_then_longest_wait() -> None:
    queues = [QueueSpec("q1", ("a",), wrapup=0), QueueSpec("q2", ("a",), wrapup=0)]
    sim = Sim([spec("a")], queues)
    sim.do(CallArrived("old1", "q1", None), at=1)
    sim.do(CallArrived("old2", "q2", None), at=2)
    sim.do(CallArrived("vip2", "q2", None, priority=5), at=3)
    assert offers(sim.do(AgentLoggedIn("a"), at=4)) == [("vip2", "a")]
    sim.do(OfferAnswered("vip2", "a"))
    assert offers(sim.do(CallEnded("vip2", "caller"))) == [("old1", "a")]
    sim.do(OfferAnswered("old1", "a"))
    assert offers(sim.do(CallEnded("old1", "caller"))) == [("old2", "a")]


def test_agent_never_holds_two_offers() -> None:
    sim = Sim([spec("a")], [QueueSpec("q1", ("a",)), QueueSpec("q2", ("a",))])
    sim.login("a")
    assert offers(sim.do(CallArrived("c1", "q1", None))) == [("c1", "a")]
    assert offers(sim.do(CallArrived("c2", "q2", None))) == []
    assert offers(sim.do(CallArrived("c3", "q1", None))) == []


def test_device_in_use_blocks_offers_until_free() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.login("a")
    assert sim.do(AgentDeviceChanged("a", in_use=True)) == []
    assert offers(sim.do(CallArrived("c1", "q", None))) == []
    assert offers(sim.do(AgentDeviceChanged("a", in_use=False))) == [("c1", "a")]


def test_waiting_call_offered_when_agent_logs_in() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("c1", "q", None))
    assert shape(sim.do(AgentLoggedIn("a"), at=2)) == [
        ("agent.login", "a", {}),
        ("agent.state", "a", {"state": "available", "previous": "logged_out", "reason": None}),
        ("offer", "c1", "a", 1),
        ("call.offered", "c1", {"attempt": 1, "sticky": False}),
        ("agent.state", "a", {"state": "ringing", "previous": "available", "reason": None}),
    ]


def test_non_member_is_never_offered() -> None:
    sim = Sim([spec("a"), spec("b")], [QueueSpec("q", ("a",))])
    sim.login("b")
    assert offers(sim.do(CallArrived("c1", "q", None))) == []


@pytest.mark.parametrize(
    "inp",
    [
        CallArrived("c1", "nope", None),
        CallAbandoned("zz"),
        OfferAnswered("zz", "a"),
        OfferAnswered("c0", "zz"),
        OfferFailed("zz", "a", "busy"),
        CallEnded("zz", "caller"),
        AgentLoggedIn("zz"),
        AgentLoggedOut("zz"),
        AgentPaused("zz", "x"),
        AgentDeviceChanged("zz", True),
    ],
)
def test_unknown_ids_are_ignored(inp: Input) -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("c0", "q", None))
    assert sim.do(inp) == []


def test_duplicate_call_arrived_is_ignored() -> None:
    sim = Sim([spec("a")], [QueueSpec("q", ("a",))])
    sim.do(CallArrived("c0", "q", None))
    assert sim.do(CallArrived("c0", "q", None)) == []


def test_decisions_touch_indexes_not_all_agents() -> None:
    # 2,000 logged-in agents in other queues must not be visited for a queue's decision.
    agents = [spec(f"x{n}") for n in range(2000)] + [spec("a")]
    queues = [QueueSpec("big", tuple(f"x{n}" for n in range(2000))), QueueSpec("q", ("a",))]
    sim = Sim(agents, queues)
    for n in range(2000):
        sim.do(AgentLoggedIn(f"x{n}"))
    sim.do(AgentLoggedIn("a"))
    visited: list[object] = []
    engine = sim.engine
    big = engine.state.queues["big"]
    original = big.avail

    class Guard:
        def __getitem__(self, i: int) -> object:
            visited.append(i)
            return original[i]

        def __iter__(self) -> object:
            visited.append("iter")
            return iter(original)

    big.avail = Guard()  # type: ignore[assignment]
    assert offers(sim.do(CallArrived("c1", "q", None))) == [("c1", "a")]
    assert visited == []


def test_calls_widening_at_the_same_instant_are_served_by_priority() -> None:
    sim = Sim(MIXED, [QueueSpec("q", ("s1", "r1"), widen_after=4)])
    sim.login("s1", "r1")
    sim.do(AgentPaused("s1", "lunch"))  # seniors logged in, so regulars wait 4 s
    sim.do(CallArrived("plain", "q", None), at=1000)
    sim.do(CallArrived("vip", "q", None, priority=5, enqueued_at=1000), at=1003)
    assert offers(sim.tick(1004)) == [("vip", "r1")]
