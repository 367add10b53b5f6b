"""The post-call rating IVR on the real Asterisk: the caller stays after the agent hangs up,
hears the prompt and presses keys; every outcome is stored with call, agent and queue."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest

from tests.harness.asterisk import AsteriskInstance
from tests.harness.ccd import Factory, Running, agent, eventually

pytestmark = [pytest.mark.asterisk, pytest.mark.postgres]


def rated_queue(**kw: object) -> dict[str, object]:
    rating = {"enabled": True, "timeout": 2.0, "retries": 1}
    rating.update(kw.pop("rating", {}))  # type: ignore[arg-type]
    return {"name": "support", "teams": ["t"], "ring_timeout": 5, "wrapup": 0.3, "rating": rating, **kw}


async def one_rating(ccd: Running, caller: str, **phone: object) -> dict[str, object]:
    ccd.ast.originate_caller_cli("support", caller, **phone)  # type: ignore[arg-type]
    result = await ccd.wait_event("rating.result", timeout=30)
    answered = ccd.of("call.answered")[0]
    assert result.call_id == answered.call_id and result.agent_id == answered.agent_id
    assert result.queue == "support" and result.payload["caller"] == caller
    return dict(result.payload)


async def test_caller_presses_4_after_agent_hangs_up(
    asterisk: AsteriskInstance, ccd_factory: Factory, pg_dsn: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)], queues=[rated_queue()])
    await ccd.login("A")
    result = await one_rating(ccd, "5560001", hangup_after=20, dtmf_delay=4, digits="4")
    assert result["outcome"] == "rated" and result["score"] == 4 and result["attempts"] == 1
    # Stored with the right call, agent and queue; the caller is hung up after "thank you".
    conn = await asyncpg.connect(pg_dsn)
    try:
        query = "SELECT agent_id, queue, rating FROM call_records WHERE rating IS NOT NULL"
        await eventually(lambda: conn.fetchrow(query), "the rated call record")
        row = await conn.fetchrow(query)
        assert row is not None and (row["agent_id"], row["queue"], row["rating"]) == ("A", "support", 4)
    finally:
        await conn.close()
    await eventually(lambda: not [c for c in asterisk.channels() if "5560001" in c], "the caller is hung up")


async def test_invalid_key_replays_prompt_then_valid_score_is_stored(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)], queues=[rated_queue()])
    await ccd.login("A")
    result = await one_rating(ccd, "5560002", hangup_after=20, dtmf_delay=4, digits="94")
    assert result["outcome"] == "rated" and result["score"] == 4 and result["attempts"] == 2


async def test_silence_is_no_response(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)], queues=[rated_queue()])
    await ccd.login("A")
    result = await one_rating(ccd, "5560003", hangup_after=40)
    assert result["outcome"] == "no_response" and result["score"] is None


async def test_caller_hangup_mid_survey_is_abandoned(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)], queues=[rated_queue()])
    await ccd.login("A")
    result = await one_rating(ccd, "5560004", hangup_after=3.5)
    assert result["outcome"] == "abandoned"


async def test_caller_hanging_up_first_is_not_offered(asterisk: AsteriskInstance, ccd_factory: Factory) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=0)], queues=[rated_queue()])
    await ccd.login("A")
    result = await one_rating(ccd, "5560005", hangup_after=1.5)
    assert result["outcome"] == "not_offered" and result["attempts"] == 0


async def test_queue_without_rating_never_keeps_the_caller(
    asterisk: AsteriskInstance, ccd_factory: Factory
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1)],
                            queues=[rated_queue(rating={"enabled": False})])
    await ccd.login("A")
    asterisk.originate_caller_cli("support", "5560006", hangup_after=30)
    ended = await ccd.wait_event("call.ended")
    assert ended.payload["ended_by"] == "agent"
    # Hung up with the agent, long before its own 30 s: no survey holds it.
    await eventually(lambda: not [c for c in asterisk.channels() if "5560006" in c], "the caller is hung up", 10)
    await asyncio.sleep(0.5)
    assert ccd.of("rating.result") == []


@pytest.mark.parametrize(("skip_below", "expected"), [(3, "B"), (None, "A")])
async def test_low_rating_steers_stickiness(
    asterisk: AsteriskInstance, ccd_factory: Factory, skip_below: int | None, expected: str
) -> None:
    ccd = await ccd_factory(asterisk, agents=[agent("A", talk=1), agent("B", talk=1)],
                            queues=[rated_queue(sticky_skip_below=skip_below)])
    await ccd.login("A", "B")  # A idles longest, so the first call goes to A
    first = await one_rating(ccd, "5560007", hangup_after=20, dtmf_delay=4, digits="1")
    assert first["score"] == 1 and ccd.of("call.answered")[0].agent_id == "A"
    await ccd.wait_event("agent.wrapup_ended", agent_id="A")
    await asyncio.sleep(0.2)
    asterisk.originate_caller_cli("support", "5560007", hangup_after=20)
    second = (await ccd.wait_count("call.answered", 2))[1]
    assert second.agent_id == expected
