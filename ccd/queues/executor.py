"""The ACD executor: performs the engine's commands on Asterisk through ARI and turns what
Asterisk reports about the call's channels back into engine inputs.

Flow (shaped for latency, see ASTERISK.md): the caller is answered in the dialplan and is
moved into the queue's holding bridge (music) while the first offer is already being made.
An offer originates the agent leg (it enters Stasis on answer, with media flowing) and creates
the call's mixing bridge. On answer the agent leg and the caller are added to the mixing
bridge at the same time: on Asterisk 16 each add on a channel outside a bridge waits for that
channel's next frame (res_stasis's poll), so the two waits overlap instead of adding up.
Decisions stay in the engine; this module only does and reports.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable

import structlog

from ccd.acd.commands import CancelOffer, Command, Connect, Offer, Overflow
from ccd.acd.inputs import CallAbandoned, CallEnded, Input, OfferAnswered, OfferFailed
from ccd.ports import (
    NO_HOOKS,
    AgentCall,
    AriPort,
    AsteriskFailed,
    CallHooks,
    ChannelGone,
    SurveyPort,
)
from ccd.queues.legs import (
    VAR_AGENT,
    VAR_ANSWERED_AT,
    AgentLeg,
    CallLegs,
    agent_leg_id,
    call_bridge_id,
    failure_reason,
    hold_bridge_id,
)
from ccd.queues.steps import join, run_hooks, together
from ccd.serial import KeyedSerial
from ccd.supervisor import Spawn, plain_spawn
from ccd.tasks import cancel_and_wait

log = structlog.get_logger("ccd.acd")

PARK_WAIT_S = 2.0

Feed = Callable[[Input], None]


class AcdExecutor:
    """``surveys`` decides whether a caller stays for the post-call survey; ``hooks`` are the
    other features' steps at fixed points of a call (``ccd.ports.CallHooks``)."""

    def __init__(self, ari: AriPort, feed: Feed, moh_classes: dict[str, str], surveys: SurveyPort,
                 hooks: CallHooks = NO_HOOKS, spawn: Spawn = plain_spawn) -> None:
        self.ari = ari
        self.feed = feed
        self.moh_classes = moh_classes
        self.surveys = surveys
        self.hooks = hooks
        self._calls: dict[str, CallLegs] = {}
        self.leg_owner: dict[str, str] = {}  # agent leg channel id -> call id
        self.cancelled: set[str] = set()  # legs we hung up ourselves: no OfferFailed for them
        self.spawn = spawn
        self.serial = KeyedSerial(spawn, "acd")
        self.parking: set[asyncio.Task[None]] = set()

    # -- queries (ccd.ports.CallQuery): the bookkeeping itself stays private ------------------
    def call(self, call_id: str) -> CallLegs | None:
        return self._calls.get(call_id)

    def call_ids(self) -> frozenset[str]:
        return frozenset(self._calls)

    def agent_call(self, agent_id: str) -> AgentCall | None:
        """The agent's answered, live queue call (supervision joins it)."""
        for call in self._calls.values():
            leg = call.leg_of(agent_id)
            if leg is not None and leg.answered and not call.ended and call.bridge_id:
                return AgentCall(call.call_id, call.queue, leg.channel_id, call.bridge_id)
        return None

    def forget(self, call_id: str) -> None:
        """A call ccd did not take after all (sent to the native Queue() fallback)."""
        self._calls.pop(call_id, None)

    # -- setup ----------------------------------------------------------------------------
    async def ensure_holding_bridges(self) -> None:
        for queue, moh in self.moh_classes.items():
            await self.ari.ensure_bridge(hold_bridge_id(queue), "holding")
            await self.ari.start_bridge_moh(hold_bridge_id(queue), moh)

    # -- commands -------------------------------------------------------------------------
    def perform(self, cmd: Command) -> None:
        if isinstance(cmd, Offer):
            self.serial.submit(cmd.call_id, lambda: self._offer(cmd), "offer")
        elif isinstance(cmd, CancelOffer):
            self.serial.submit(cmd.call_id, lambda: self._cancel(cmd), "cancel")
        elif isinstance(cmd, Connect):
            # An answered leg's originate worked: the connect need not wait for its HTTP answer.
            call = self._calls.get(cmd.call_id)
            leg = call.leg_of(cmd.agent_id) if call and call.bridge_id else None
            ready = leg is not None and leg.answered
            self.serial.submit(cmd.call_id, lambda: self._connect(cmd), "connect", after_previous=not ready)
        elif isinstance(cmd, Overflow):
            self.serial.submit(cmd.call_id, lambda: self._overflow(cmd), "overflow")

    async def _offer(self, cmd: Offer) -> None:
        call = self._calls.get(cmd.call_id)
        if call is None or call.ended:
            self.feed(OfferFailed(cmd.call_id, cmd.agent_id, "failed"))
            return
        chan = agent_leg_id(cmd.call_id, cmd.attempt)
        call.legs[chan] = AgentLeg(chan, cmd.agent_id)
        self.leg_owner[chan] = cmd.call_id
        try:
            # Originate, not create+dial: a created channel outside any bridge makes every
            # queued ARI command wait for res_stasis's 200 ms poll (measured: addChannel
            # 201 ms). An originated leg enters Stasis on answer, with media flowing.
            # The call's bridge is made alongside: an agent who answers at once would otherwise
            # wait one more request before Connect (Asterisk 22, bench/call_setup).
            for outcome in await together(
                    self.ari.originate(cmd.endpoint, chan, f"agent,{cmd.call_id},{cmd.agent_id}",
                                       cmd.caller, max(1, math.ceil(cmd.timeout))),
                    self._ensure_call_bridge(call)):
                if outcome is not None:
                    raise outcome
        except (ChannelGone, AsteriskFailed) as exc:
            if call.connected_agent == cmd.agent_id:  # being connected: the leg answered, it exists
                log.warning("offer's answer lost after the agent answered", call_id=cmd.call_id, error=str(exc))
                return
            log.warning("offer failed", call_id=cmd.call_id, agent_id=cmd.agent_id, error=str(exc))
            self._forget_leg(call, chan)
            self.cancelled.add(chan)
            await self._hangup_quietly(chan)
            self.feed(OfferFailed(cmd.call_id, cmd.agent_id, "failed"))

    async def _ensure_call_bridge(self, call: CallLegs) -> None:
        if call.bridge_id is None:
            await self.ari.create_bridge(call_bridge_id(call.call_id), "mixing")
            call.bridge_id = call_bridge_id(call.call_id)

    async def _cancel(self, cmd: CancelOffer) -> None:
        call = self._calls.get(cmd.call_id)
        leg = call.leg_of(cmd.agent_id) if call else None
        if call is None or leg is None:
            return
        self.cancelled.add(leg.channel_id)
        self._forget_leg(call, leg.channel_id)
        await self._hangup_quietly(leg.channel_id)

    async def _connect(self, cmd: Connect) -> None:
        call = self._calls.get(cmd.call_id)
        leg = call.leg_of(cmd.agent_id) if call else None
        if call is None or call.bridge_id is None or leg is None:
            return
        call.connected_agent = cmd.agent_id
        bridge_id = call.bridge_id

        async def caller_in() -> None:
            for hook in self.hooks.before_caller_moves:
                await hook(call.call_id)
            if call.parked is not None and not call.parked.done():
                # The caller's move into the holding bridge must not land after this one.
                await asyncio.wait([call.parked], timeout=PARK_WAIT_S)
            await join(self.ari, bridge_id, call.call_id)

        for outcome in await together(join(self.ari, bridge_id, leg.channel_id), caller_in()):
            if isinstance(outcome, ChannelGone):
                return  # a side hung up at the last moment; its ChannelDestroyed ends the call
            if isinstance(outcome, BaseException):
                raise outcome
        try:
            await self.ari.set_variable(call.call_id, VAR_AGENT, cmd.agent_id)
            await self.ari.set_variable(call.call_id, VAR_ANSWERED_AT, f"{cmd.answered_at:.6f}")
        except ChannelGone:
            return
        await run_hooks(self.hooks.on_connected, call, "post-connect")

    async def _overflow(self, cmd: Overflow) -> None:
        for hook in self.hooks.before_caller_moves:
            await hook(cmd.call_id)
        call = self._calls.pop(cmd.call_id, None)
        if call is not None:
            call.ended = True
            await self._teardown(call, keep_caller=cmd.target is not None)
        with contextlib.suppress(ChannelGone):  # hung up meanwhile
            if cmd.target:
                context, exten, prio = cmd.target.split(",")
                await self.ari.continue_in_dialplan(cmd.call_id, context, exten, int(prio))
            else:
                await self.ari.hangup(cmd.call_id)

    # -- what Asterisk reports ------------------------------------------------------------
    def caller_entered(self, call_id: str, queue: str, caller_number: str | None) -> CallLegs:
        call = CallLegs(call_id=call_id, queue=queue, caller_number=caller_number)
        self._calls[call_id] = call
        return call

    def park_caller(self, call: CallLegs) -> None:
        """Move the caller into the queue's holding bridge (music) without delaying the
        first offer; ``_connect`` waits for it so the two moves cannot cross."""

        async def park() -> None:
            # Yield once so that the first offer, decided on the same input, is sent before
            # this request: the park lands on the caller's next media frame anyway.
            await asyncio.sleep(0)
            with contextlib.suppress(ChannelGone):  # hung up meanwhile
                await self.ari.add_to_bridge(hold_bridge_id(call.queue), call.call_id)

        call.parked = self.spawn(f"ccd:park:{call.call_id}", park(), kind="park")
        self.parking.add(call.parked)
        call.parked.add_done_callback(self._parked)

    def _parked(self, task: asyncio.Task[None]) -> None:
        self.parking.discard(task)  # a failure is logged and counted by the spawner

    def channel_answered(self, channel_id: str) -> None:
        call_id = self.leg_owner.get(channel_id)
        call = self._calls.get(call_id) if call_id else None
        leg = call.legs.get(channel_id) if call else None
        if call is None or leg is None or leg.answered:
            return
        leg.answered = True
        self.feed(OfferAnswered(call.call_id, leg.agent_id))

    def channel_gone(self, channel_id: str, cause: int) -> None:
        if channel_id in self._calls:
            self._caller_gone(self._calls[channel_id])
            return
        call_id = self.leg_owner.pop(channel_id, None)
        if channel_id in self.cancelled:
            self.cancelled.discard(channel_id)
            return
        call = self._calls.get(call_id) if call_id else None
        leg = call.legs.pop(channel_id, None) if call else None
        if call is None or leg is None:
            return
        if not leg.answered:
            self.feed(OfferFailed(call.call_id, leg.agent_id, failure_reason(cause)))
        elif call.connected_agent == leg.agent_id and not call.ended:
            self._agent_hung_up(call)
        else:
            # Answered but never connected (the call went elsewhere meanwhile): report as a
            # failed offer so the engine frees the agent.
            self.feed(OfferFailed(call.call_id, leg.agent_id, "failed"))

    def _caller_gone(self, call: CallLegs) -> None:
        if call.ended:
            if call.in_survey:
                self._calls.pop(call.call_id, None)
            return
        call.ended = True
        self._calls.pop(call.call_id, None)
        self.feed(CallEnded(call.call_id, "caller") if call.connected_agent else CallAbandoned(call.call_id))
        if call.connected_agent:
            # A connected call the caller ended: the survey records "not_offered".
            self.surveys.caller_hung_up_first(call.call_id, call.connected_agent, call.queue, call.caller_number)
        self.serial.submit(call.call_id, lambda: self._teardown(call, keep_caller=False), "teardown")

    def _agent_hung_up(self, call: CallLegs) -> None:
        call.ended = True
        self.feed(CallEnded(call.call_id, "agent"))
        # The post-call survey decides whether the caller stays after the agent left.
        keep = self.surveys.offer(call.call_id, call.connected_agent, call.queue, call.caller_number)
        call.in_survey = keep
        if not keep:
            self._calls.pop(call.call_id, None)
        self.serial.submit(call.call_id, lambda: self._teardown(call, keep_caller=keep), "teardown")

    async def _teardown(self, call: CallLegs, keep_caller: bool) -> None:
        for chan in list(call.legs):
            self.cancelled.add(chan)
            self._forget_leg(call, chan)
            await self._hangup_quietly(chan)
        if not keep_caller:
            await self._hangup_quietly(call.call_id)
        if call.bridge_id is not None:
            await run_hooks(self.hooks.before_bridge_deleted, call, "pre-teardown")  # never keeps the bridge
            with contextlib.suppress(ChannelGone):  # hung up meanwhile
                await self.ari.delete_bridge(call.bridge_id)
            call.bridge_id = None

    async def close(self) -> None:
        await asyncio.gather(*(cancel_and_wait(task) for task in list(self.parking)))
        await self.serial.close()

    # -- helpers --------------------------------------------------------------------------
    def _forget_leg(self, call: CallLegs, chan: str) -> None:
        call.legs.pop(chan, None)
        self.leg_owner.pop(chan, None)

    async def _hangup_quietly(self, channel_id: str) -> None:
        with contextlib.suppress(ChannelGone):  # hung up meanwhile
            await self.ari.hangup(channel_id)
