"""The ACD executor's bookkeeping, with a recording stand-in for the ARI port: which
Asterisk operations an offer, an answer and each hang-up path produce, and which inputs go
back to the engine. (Behaviour on a real Asterisk is covered by the integration tests.)"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ccd.acd.commands import CancelOffer, Connect, Offer, Overflow
from ccd.acd.inputs import CallAbandoned, CallEnded, Input, OfferAnswered, OfferFailed
from ccd.ports import NO_HOOKS, BridgeInfo, CallHooks, ChannelGone, ChannelInfo
from ccd.queues.executor import AcdExecutor


class RecordingAri:
    def __init__(self) -> None:
        self.ops: list[tuple[str, ...]] = []
        self.gone: set[str] = set()

    async def _op(self, *op: str) -> None:
        self.ops.append(op)
        if len(op) > 1 and op[1] in self.gone:
            raise ChannelGone(op[1])

    async def ensure_bridge(self, bridge_id: str, kind: str) -> None:
        await self._op("bridge", bridge_id, kind)

    async def start_bridge_moh(self, bridge_id: str, moh_class: str) -> None:
        await self._op("moh", bridge_id, moh_class)

    async def create_bridge(self, bridge_id: str, kind: str) -> None:
        await self._op("newbridge", bridge_id, kind)

    async def add_to_bridge(self, bridge_id: str, *channel_ids: str) -> None:
        await self._op("add", ",".join(channel_ids), bridge_id)

    async def remove_from_bridge(self, bridge_id: str, channel_id: str) -> None:
        await self._op("remove", channel_id, bridge_id)

    async def delete_bridge(self, bridge_id: str) -> None:
        await self._op("delbridge", bridge_id)

    async def originate(self, endpoint: str, channel_id: str, app_args: str, caller_id: str | None,
                        timeout: int) -> None:
        await self._op("originate", channel_id, endpoint, app_args, str(caller_id), str(timeout))

    async def set_variable(self, channel_id: str, name: str, value: str) -> None:
        await self._op("setvar", channel_id, name, value)

    async def hangup(self, channel_id: str) -> None:
        await self._op("hangup", channel_id)

    async def continue_in_dialplan(self, channel_id: str, context: str, exten: str, priority: int) -> None:
        await self._op("continue", channel_id, context, exten, str(priority))

    async def play(self, channel_id: str, media: Sequence[str], playback_id: str) -> None:
        await self._op("play", channel_id, *media)

    async def stop_playback(self, playback_id: str) -> None:
        await self._op("stopplay", playback_id)

    async def list_channels(self) -> list[ChannelInfo]:
        return []

    async def list_bridges(self) -> list[BridgeInfo]:
        return []


class NoSurvey:
    """The survey port: offers (``keeps``) or declines to keep the caller after the agent left."""

    def __init__(self, keeps: bool = False) -> None:
        self.keeps = keeps

    def offer(self, call_id: str, agent_id: str | None, queue: str, caller: str | None) -> bool:
        return self.keeps

    def caller_hung_up_first(self, call_id: str, agent_id: str | None, queue: str, caller: str | None) -> None:
        pass

    def left_bridge(self, channel_id: str) -> None:
        pass

    def dtmf(self, channel_id: str, digit: str) -> None:
        pass

    def playback_finished(self, playback_id: str) -> None:
        pass

    def hung_up(self, channel_id: str) -> None:
        pass


def make(surveys: NoSurvey | None = None, hooks: CallHooks = NO_HOOKS) -> tuple[AcdExecutor, RecordingAri, list[Input]]:
    ari = RecordingAri()
    fed: list[Input] = []
    ex = AcdExecutor(ari, fed.append, {"support": "default"}, surveys or NoSurvey(), hooks)
    return ex, ari, fed


def offer(call: str = "c1", agent: str = "1001", attempt: int = 1) -> Offer:
    return Offer(call, agent, f"PJSIP/{agent}", 15, "+4930123", "support", attempt)


async def settle(ex: AcdExecutor) -> None:
    await ex.serial.drain(1.0)


async def test_offer_originates_the_agent_leg_then_makes_the_call_bridge() -> None:
    ex, ari, fed = make()
    ex.caller_entered("c1", "support", "+4930123")
    ex.perform(offer())
    await settle(ex)
    assert ari.ops == [
        ("originate", "ccd-ag-c1-1", "PJSIP/1001", "agent,c1,1001", "+4930123", "15"),
        ("newbridge", "ccd-call-c1", "mixing"),
    ]
    assert fed == []


class SlowParkAri(RecordingAri):
    """The caller's move into the holding bridge takes until ``parked`` is set (on Asterisk 16
    it waits for the caller's next frame)."""

    def __init__(self) -> None:
        super().__init__()
        self.parked = asyncio.Event()

    async def add_to_bridge(self, bridge_id: str, *channel_ids: str) -> None:
        if bridge_id.startswith("ccd-hold-"):
            await self.parked.wait()
        await super().add_to_bridge(bridge_id, *channel_ids)


async def test_connect_adds_the_agent_at_once_and_the_caller_only_after_its_park() -> None:
    ari = SlowParkAri()
    ex = AcdExecutor(ari, [].append, {"support": "default"}, NoSurvey())
    call = ex.caller_entered("c1", "support", None)
    ex.park_caller(call)
    ex.perform(offer())
    await asyncio.sleep(0.01)
    ex.channel_answered("ccd-ag-c1-1")
    ex.perform(Connect("c1", "1001", 1795550000.25))
    await asyncio.sleep(0.05)
    # The agent's add does not wait for the caller's park; the caller's does.
    assert [op for op in ari.ops if op[0] == "add"] == [("add", "ccd-ag-c1-1", "ccd-call-c1")]
    ari.parked.set()
    await settle(ex)
    await asyncio.gather(*ex.parking)
    caller_adds = [op for op in ari.ops if op[0] == "add" and op[1] == "c1"]
    assert caller_adds == [("add", "c1", "ccd-hold-support"), ("add", "c1", "ccd-call-c1")]
    # agent and answer time stay on the caller channel for a restart (talk time kept)
    assert ari.ops[-2:] == [("setvar", "c1", "CCD_AGENT_ID", "1001"),
                            ("setvar", "c1", "CCD_ANSWERED_AT", "1795550000.250000")]


async def test_caller_moves_only_after_the_hook_let_it_while_the_agent_joins_at_once() -> None:
    gate = asyncio.Event()
    hooked: list[str] = []

    async def before(call_id: str) -> None:  # e.g. stopping a queue announcement
        hooked.append(call_id)
        await gate.wait()

    ex, ari, _ = make(hooks=CallHooks(before_caller_moves=(before,)))
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    await settle(ex)
    ex.channel_answered("ccd-ag-c1-1")
    ex.perform(Connect("c1", "1001"))
    await asyncio.sleep(0.02)
    assert hooked == ["c1"] and [op for op in ari.ops if op[0] == "add"] == [("add", "ccd-ag-c1-1", "ccd-call-c1")]
    gate.set()
    await settle(ex)
    assert ("add", "c1", "ccd-call-c1") in ari.ops
    ex.caller_entered("c2", "support", None)
    ex.perform(Overflow("c2", "support", "voicemail,s,1", "max_wait"))
    await settle(ex)
    assert hooked == ["c1", "c2"] and ari.ops[-1] == ("continue", "c2", "voicemail", "s", "1")


async def test_answer_feeds_engine_and_connect_moves_caller() -> None:
    ex, ari, fed = make()
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    await settle(ex)
    ex.channel_answered("ccd-ag-c1-1")
    ex.channel_answered("ccd-ag-c1-1")  # a repeated state change is reported once
    assert fed == [OfferAnswered("c1", "1001")]
    ari.ops.clear()
    ex.perform(Connect("c1", "1001"))
    await settle(ex)
    assert sorted(ari.ops[:2]) == [("add", "c1", "ccd-call-c1"), ("add", "ccd-ag-c1-1", "ccd-call-c1")]
    assert ari.ops[2:] == [("setvar", "c1", "CCD_AGENT_ID", "1001"), ("setvar", "c1", "CCD_ANSWERED_AT", "0.000000")]


async def test_unanswered_leg_reports_reason_from_cause() -> None:
    for cause, reason in ((19, "no_answer"), (17, "busy"), (34, "failed")):
        ex, _, fed = make()
        ex.caller_entered("c1", "support", None)
        ex.perform(offer())
        await settle(ex)
        ex.channel_gone("ccd-ag-c1-1", cause)
        assert fed == [OfferFailed("c1", "1001", reason)]


async def test_cancelled_leg_is_not_reported_as_missed() -> None:
    ex, ari, fed = make()
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    ex.perform(CancelOffer("c1", "1001"))
    await settle(ex)
    assert ("hangup", "ccd-ag-c1-1") in ari.ops
    ex.channel_gone("ccd-ag-c1-1", 16)
    assert fed == []


async def test_caller_hangup_while_waiting_is_abandon_and_cleans_up() -> None:
    ex, ari, fed = make()
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    await settle(ex)
    ex.channel_gone("c1", 16)
    ex.channel_gone("c1", 16)  # StasisEnd and ChannelDestroyed both arrive
    await settle(ex)
    assert fed == [CallAbandoned("c1")]
    assert ("hangup", "ccd-ag-c1-1") in ari.ops and ("delbridge", "ccd-call-c1") in ari.ops
    ex.channel_gone("ccd-ag-c1-1", 16)
    assert fed == [CallAbandoned("c1")]
    assert not ex.call_ids() and ex.leg_owner == {}


async def test_agent_hangup_ends_call_and_hangs_up_caller_without_survey() -> None:
    ex, ari, fed = make()
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    await settle(ex)
    ex.channel_answered("ccd-ag-c1-1")
    ex.perform(Connect("c1", "1001"))
    await settle(ex)
    ex.channel_gone("ccd-ag-c1-1", 16)
    await settle(ex)
    assert fed[-1] == CallEnded("c1", "agent")
    assert ("hangup", "c1") in ari.ops and ("delbridge", "ccd-call-c1") in ari.ops


async def test_agent_hangup_keeps_caller_when_survey_takes_over() -> None:
    ex, ari, fed = make(NoSurvey(keeps=True))
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    await settle(ex)
    ex.channel_answered("ccd-ag-c1-1")
    ex.perform(Connect("c1", "1001"))
    await settle(ex)
    ex.channel_gone("ccd-ag-c1-1", 16)
    await settle(ex)
    assert ("hangup", "c1") not in ari.ops
    assert (c1 := ex.call("c1")) is not None and c1.in_survey
    ex.channel_gone("c1", 16)  # the caller leaves the survey: no second CallEnded
    assert fed.count(CallEnded("c1", "agent")) == 1 and len(fed) == 2


async def test_offer_on_vanished_caller_fails_and_leaves_nothing() -> None:
    ex, ari, fed = make()
    ari.gone.add("ccd-ag-c1-1")
    ex.caller_entered("c1", "support", None)
    ex.perform(offer())
    await settle(ex)
    assert fed == [OfferFailed("c1", "1001", "failed")]
    assert ex.leg_owner == {}


async def test_overflow_continues_in_dialplan() -> None:
    ex, ari, _ = make()
    ex.caller_entered("c1", "support", None)
    ex.perform(Overflow("c1", "support", "voicemail,support,1", "max_wait"))
    await settle(ex)
    assert ari.ops[-1] == ("continue", "c1", "voicemail", "support", "1")
    assert ex.call("c1") is None


async def test_commands_of_different_calls_do_not_wait_for_each_other() -> None:
    # c1's originate hangs; c2's offer goes out meanwhile.
    ex, ari, _ = make()
    gate = asyncio.Event()
    real_originate = ari.originate

    async def slow_originate(endpoint: str, channel_id: str, app_args: str, caller_id: str | None,
                             timeout: int) -> None:
        if channel_id.startswith("ccd-ag-c1"):
            await gate.wait()
        await real_originate(endpoint, channel_id, app_args, caller_id, timeout)

    ari.originate = slow_originate  # type: ignore[method-assign]
    ex.caller_entered("c1", "support", None)
    ex.caller_entered("c2", "support", None)
    ex.perform(offer("c1"))
    ex.perform(offer("c2", "1002"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert ("newbridge", "ccd-call-c2", "mixing") in ari.ops
    assert any(op[0] == "originate" and op[1].startswith("ccd-ag-c2") for op in ari.ops)
    assert not any(op[0] == "originate" and op[1].startswith("ccd-ag-c1") for op in ari.ops)
    gate.set()
    await settle(ex)
    assert any(op[0] == "originate" and op[1].startswith("ccd-ag-c1") for op in ari.ops)


async def test_call_bridge_is_created_alongside_the_originate_not_after() -> None:
    ex, ari, fed = make()
    gate = asyncio.Event()
    real_originate = ari.originate

    async def slow_originate(endpoint: str, channel_id: str, app_args: str, caller_id: str | None,
                             timeout: int) -> None:
        await gate.wait()  # Asterisk has not answered the originate yet
        await real_originate(endpoint, channel_id, app_args, caller_id, timeout)

    ari.originate = slow_originate  # type: ignore[method-assign]
    ex.caller_entered("c1", "support", None)
    ex.perform(offer("c1"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert ("newbridge", "ccd-call-c1", "mixing") in ari.ops
    gate.set()
    await settle(ex)
    assert (c1 := ex.call("c1")) is not None and c1.bridge_id == "ccd-call-c1" and fed == []


async def test_a_failed_bridge_fails_the_offer() -> None:
    ex, ari, fed = make()

    async def no_bridge(bridge_id: str, kind: str) -> None:
        raise ChannelGone(bridge_id)

    ari.create_bridge = no_bridge  # type: ignore[method-assign]
    ex.caller_entered("c1", "support", None)
    ex.perform(offer("c1"))
    await settle(ex)
    assert fed == [OfferFailed("c1", "1001", "failed")]
    assert (c1 := ex.call("c1")) is not None and c1.bridge_id is None
