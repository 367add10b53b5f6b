"""ACD routing on the real Asterisk: simulated callers enter the shipped dialplan, ccd offers
them to simulated agents, and the tests watch both ccd's events and Asterisk's bridges."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from ccd.acd.inputs import AgentPaused, AgentUnpaused
from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, agent, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


def queue(name: str = "support", **kw: object) -> dict[str, object]:
    return {"name": name, "teams": ["t"], "ring_timeout": 5, "wrapup": 0.5, **kw}


def bridged_pairs(ast: AsteriskInstance) -> str:
    return ast.cli("bridge show all")


@pytest.mark.parametrize(("policy", "expected"), [("trainee_first", "T1"), ("seniority_first", "S1")])
async def test_policy_picks_trainee_or_senior(
    asterisk: AsteriskInstance, ccd_factory: Factory, policy: str, expected: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("S1", "senior"), agent("T1", "trainee")],
                            queues=[queue(policy=policy)])
    await ccd.login("S1", "T1")
    asterisk.originate_caller_cli("support", "5551000", hangup_after=20)
    answered = await ccd.wait_event("call.answered")
    assert answered.agent_id == expected
    assert answered.payload["wait_s"] < 3
    # Caller and agent really share the call's mixing bridge in Asterisk.
    bridge = f"ccd-call-{answered.call_id}"

    def joined() -> bool:  # call.answered is recorded as the agent answers; the join follows
        out = asterisk.cli(f"bridge show {bridge}")
        return "Local/c-5551000-support" in out and f"Local/ag-{expected}-" in out

    await eventually(joined, "caller and agent in the call bridge", 15)


def caller_of(ccd: object, call_id: str | None) -> str | None:
    for e in ccd.of("call.queued"):  # type: ignore[attr-defined]
        if e.call_id == call_id:
            return str(e.payload.get("caller"))
    return None


async def test_tier_overflow_reaches_trainee_only_after_widen_after(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("S1", "senior", talk=0), agent("T1", "trainee")],
                            queues=[queue(widen_after=3)])
    await ccd.login("S1", "T1")
    asterisk.originate_caller_cli("support", "5552001", hangup_after=30)
    first = await ccd.wait_event("call.answered")
    assert first.agent_id == "S1"  # the senior takes the first call and stays on it
    asterisk.originate_caller_cli("support", "5552002", hangup_after=30)
    second = await ccd.wait_event("call.answered", agent_id="T1")
    assert 3.0 <= second.payload["wait_s"] < 5.0


async def test_sticky_caller_returns_to_previous_agent(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1.5), agent("B", talk=1.5)],
                            queues=[queue(sticky_wait=2)])
    await ccd.login("A", "B")  # A idles longest
    asterisk.originate_caller_cli("support", "5553001", hangup_after=30)
    first = await ccd.wait_event("call.answered")
    assert first.agent_id == "A"
    await ccd.wait_event("call.ended", call_id=first.call_id)
    await ccd.wait_event("agent.wrapup_ended", agent_id="A")
    # Now B has been idle longer than A, yet the repeat caller reaches A.
    asterisk.originate_caller_cli("support", "5553001", hangup_after=30)
    await ccd.wait_event("call.answered", agent_id="A", sticky=True, timeout=10)
    answered = [e for e in ccd.of("call.answered") if e.call_id != first.call_id]
    assert answered[0].agent_id == "A" and answered[0].payload["sticky"] is True


async def test_sticky_waits_for_busy_agent_then_falls_back(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=5), agent("B", talk=0)],
                            queues=[queue(sticky_wait=2.5)])
    await ccd.login("A")
    asterisk.originate_caller_cli("support", "5554001", hangup_after=30)  # X's first call, to A
    first = await ccd.wait_event("call.answered", agent_id="A")
    await ccd.wait_event("agent.wrapup_ended", agent_id="A")
    asterisk.originate_caller_cli("support", "5554002", hangup_after=30)  # Y keeps A busy
    await ccd.wait_count("call.answered", 2, agent_id="A", timeout=5)
    await ccd.login("B")
    asterisk.originate_caller_cli("support", "5554001", hangup_after=30)  # X again: A is busy
    fallback = await ccd.wait_event("call.answered", agent_id="B", timeout=10)
    assert caller_of(ccd, fallback.call_id) == "5554001" and fallback.call_id != first.call_id
    assert 2.5 <= fallback.payload["wait_s"] < 4.5
    assert fallback.payload["sticky"] is False
    queued = ccd.of("call.queued", call_id=fallback.call_id)[0]
    assert queued.payload["sticky_agent"] == "A"


async def test_anonymous_caller_is_never_sticky(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1), agent("B", talk=1)], queues=[queue()])
    await ccd.login("A", "B")
    asterisk.originate_caller_cli("support", "anon", hangup_after=30)
    first = await ccd.wait_event("call.answered")
    assert first.agent_id == "A"
    await ccd.wait_event("agent.wrapup_ended", agent_id="A")
    asterisk.originate_caller_cli("support", "anon", hangup_after=30)
    await ccd.wait_event("call.answered", agent_id="B")
    queued = ccd.of("call.queued")
    assert [q.payload.get("caller") for q in queued] == [None, None]
    assert all(q.payload.get("sticky_agent") is None for q in queued)


async def test_vip_served_before_earlier_normal_callers(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)],
                            queues=[queue(vip_numbers=["5559999"], wrapup=0.2)])
    await ccd.login("A")
    ccd.daemon.submit(AgentPaused("A", "lunch"))
    await ccd.wait_event("agent.paused", agent_id="A")
    for number in ("5555001", "5555002", "5559999"):
        asterisk.originate_caller_cli("support", number, hangup_after=40)
        await ccd.wait_event("call.queued", caller=number)
    ccd.daemon.submit(AgentUnpaused("A"))
    await ccd.wait_count("call.answered", 3, timeout=20)
    order = [caller_of(ccd, e.call_id) for e in ccd.of("call.answered")]
    assert order == ["5559999", "5555001", "5555002"]


async def test_ring_no_answer_moves_on_and_pauses_after_three_misses(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("N", answer_delay="never"), agent("B", talk=0.5)],
                            queues=[queue(ring_timeout=1.5, max_missed=3, wrapup=0.2)])
    await ccd.login("N", "B")  # N idles longest: every new call is offered to N first
    for i in range(3):
        asterisk.originate_caller_cli("support", f"555600{i}", hangup_after=30)
        answered = (await ccd.wait_count("call.answered", i + 1))[i]
        assert answered.agent_id == "B"
        assert answered.payload["wait_s"] >= 1.4  # it rang N for ring_timeout first
        await ccd.wait_count("agent.wrapup_ended", i + 1, agent_id="B")
    missed = ccd.of("agent.missed", agent_id="N")
    assert [m.payload["consecutive"] for m in missed] == [1, 2, 3]
    paused = await ccd.wait_event("agent.paused", agent_id="N")
    assert paused.payload["reason"] == "missed"
    failed = ccd.of("call.offer_failed", agent_id="N")
    assert len(failed) == 3 and all(f.payload["reason"] == "no_answer" for f in failed)


async def test_agent_in_wrapup_is_not_offered_a_call(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)], queues=[queue(wrapup=4)])
    await ccd.login("A")
    asterisk.originate_caller_cli("support", "5557001", hangup_after=30)
    first = await ccd.wait_event("call.answered")
    ended = await ccd.wait_event("call.ended", call_id=first.call_id)
    asterisk.originate_caller_cli("support", "5557002", hangup_after=30)
    await ccd.wait_event("call.queued", caller="5557002")
    await asyncio.sleep(2)
    assert len(ccd.of("call.offered")) == 1  # nothing offered to A during wrap-up
    second = (await ccd.wait_count("call.answered", 2, timeout=10))[1]
    assert second.ts.timestamp() - ended.ts.timestamp() >= 3.9


async def test_abandoned_call_frees_everything_and_is_recorded(
    asterisk: AsteriskInstance, ccd_factory: Factory, pg_dsn: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A")], queues=[queue()])
    asterisk.originate_caller_cli("support", "5558001", hangup_after=1.5)  # nobody logged in
    abandoned = await ccd.wait_event("call.abandoned", timeout=10)
    assert 1.0 <= abandoned.payload["wait_s"] < 3.0
    await eventually(lambda: not [c for c in asterisk.channels() if "5558001" in c], "the caller is gone", 15)
    await eventually(lambda: ccd.daemon.executor.call(abandoned.call_id) is None, "the call is forgotten", 15)
    snap = ccd.daemon.snapshot()
    assert snap.queues["support"].waiting == ()
    assert "ccd-call-" not in asterisk.cli("bridge show all")
    # And the store has it: the writer flushes within its batch interval.
    conn = await asyncpg.connect(pg_dsn)
    try:
        query = "SELECT outcome, wait_s FROM call_records WHERE call_id = $1 AND outcome IS NOT NULL"
        await eventually(lambda: conn.fetchrow(query, abandoned.call_id), "the call record", 15)
        row = await conn.fetchrow(query, abandoned.call_id)
        assert row is not None and row["outcome"] == "abandoned"
        assert abs(row["wait_s"] - abandoned.payload["wait_s"]) < 0.01
    finally:
        await conn.close()
