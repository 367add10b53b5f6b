"""Glue between the ARI event stream and the ACD: callers entering Stasis, agent legs
answering or hanging up, feature codes, and the resync that rebuilds everything from
Asterisk after a (re)connect. Decisions stay in the engine; this module observes and feeds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import structlog

from ccd import events as ev
from ccd.acd.inputs import CallAbandoned, CallArrived, CallRestoredConnected, Input
from ccd.ari import events as ari
from ccd.ari.app_args import parse_app_args
from ccd.ari.models import Channel
from ccd.config import CcdConfig, normalise_number
from ccd.dispatch import Dispatcher
from ccd.ports import AriPort, AsteriskFailed, ChannelGone, SurveyPort
from ccd.queues import agent_persist
from ccd.queues.core.stasis_input import parse_priority
from ccd.queues.executor import AcdExecutor
from ccd.queues.feature_codes import FeatureCodes
from ccd.queues.legs import (
    CALL_BRIDGE_PREFIX,
    VAR_AGENT,
    VAR_ANSWERED_AT,
    VAR_ENQUEUED_AT,
    VAR_QUEUE_SEQ,
    AgentLeg,
    as_float,
    call_bridge_id,
    entry_time,
    queue_order,
)
from ccd.queues.steps import run_hooks
from ccd.queues.sticky import StickyResolver
from ccd.queues.tolerate import gone_is_fine
from ccd.serial import KeyedSerial
from ccd.supervisor import Spawn, plain_spawn

log = structlog.get_logger("ccd.acd")

class AcdService:
    def __init__(
        self,
        cfg: CcdConfig,
        ari: AriPort,
        executor: AcdExecutor,
        surveys: SurveyPort,
        sticky: StickyResolver,
        submit: Callable[[Input], None],
        agent_store: agent_persist.AgentStateStore,
        wait_ami: Callable[[float], Awaitable[bool]],
        audit: Callable[[ev.DomainEvent], Awaitable[None]],
        clock: Callable[[], float] = time.time,
        spawn: Spawn = plain_spawn,
    ) -> None:
        self.cfg = cfg
        self.ari = ari
        self.executor = executor
        self.surveys = surveys
        self.sticky = sticky
        self.submit = submit
        self.clock = clock
        self.agent_store = agent_store
        self.wait_ami = wait_ami
        self.features = FeatureCodes(cfg, ari, submit, audit, clock)  # audit: durable, commit-then-publish
        self.app = cfg.ari.app
        self.queues = {q.name: q for q in cfg.queues}
        self.agent_ids = {a.id for a in cfg.agents}
        self.serial = KeyedSerial(spawn, "acd-entry")
        self.arrivals = 0  # arrival counter: the tie-break kept on the channel (VAR_QUEUE_SEQ)
        self.restored_agents = False
        self.resynced = False  # state rebuilt from Asterisk after the latest (re)connect
        self.resynced_event = asyncio.Event()

    def subscribe(self, dispatcher: Dispatcher) -> None:
        dispatcher.subscribe(ari.StasisStart, self.on_stasis_start)
        dispatcher.subscribe(ari.ChannelStateChange, self.on_state_change)
        dispatcher.subscribe(ari.ChannelDestroyed, self.on_destroyed)
        dispatcher.subscribe(ari.StasisEnd, self.on_stasis_end)
        dispatcher.subscribe(ari.ChannelLeftBridge, self.on_left_bridge)
        dispatcher.subscribe(ari.ChannelDtmfReceived, self.on_dtmf)
        dispatcher.subscribe(ari.PlaybackFinished, self.on_playback_finished)
        dispatcher.subscribe(ari.Resync, self.on_resync)

    # -- events ---------------------------------------------------------------------------
    def on_stasis_start(self, e: ari.StasisStart) -> None:
        kind = e.args[0] if e.args else ""
        if kind == "queue":
            self._caller_entered(e)
        elif kind == "agent":
            # An originated agent leg enters Stasis when the agent answers.
            self.executor.channel_answered(e.channel.id)
        elif kind == "feature":
            self.serial.submit(e.channel.id, lambda: self.features.dialled(e), "feature")

    def on_state_change(self, e: ari.ChannelStateChange) -> None:
        if e.channel.state == "Up":
            self.executor.channel_answered(e.channel.id)

    def on_destroyed(self, e: ari.ChannelDestroyed) -> None:
        self.surveys.hung_up(e.channel.id)
        self.executor.channel_gone(e.channel.id, e.cause or 0)

    def on_stasis_end(self, e: ari.StasisEnd) -> None:
        # A caller leaving Stasis has hung up (or was sent on by an overflow we performed,
        # which already removed the call); agent legs are handled on ari.ChannelDestroyed.
        if self.executor.call(e.channel.id) is not None:
            self.surveys.hung_up(e.channel.id)
            self.executor.channel_gone(e.channel.id, 16)

    def on_left_bridge(self, e: ari.ChannelLeftBridge) -> None:
        if e.bridge.id.startswith(CALL_BRIDGE_PREFIX):
            self.surveys.left_bridge(e.channel.id)

    def on_dtmf(self, e: ari.ChannelDtmfReceived) -> None:
        self.surveys.dtmf(e.channel.id, e.digit)

    def on_playback_finished(self, e: ari.PlaybackFinished) -> None:
        self.surveys.playback_finished(e.playback.id)

    # -- callers --------------------------------------------------------------------------
    def _caller_entered(self, e: ari.StasisStart) -> None:
        args = [*e.args, "", "", ""]
        queue = args[1]
        chan = e.channel
        if queue not in self.queues:
            log.error("call for unknown queue: sending it to the native Queue() fallback", queue=queue)
            self.serial.submit(chan.id, lambda: self._fallback(chan.id, queue), "fallback")
            return
        priority = parse_priority(args[2])
        if priority is None:
            log.warning("malformed call priority ignored", priority=args[2][:40], channel=chan.name)
            priority = 0
        caller = normalise_number(chan.caller.number, self.cfg)
        call = self.executor.caller_entered(chan.id, queue, caller)
        # The wait starts when the dialplan handed the call over; this time and the arrival
        # order go on the channel, so a ccd restarted even by kill -9 restores the queue in this
        # order with these waits.
        enqueued_at = entry_time(args, self.clock())
        self.arrivals += 1
        order = {VAR_ENQUEUED_AT: f"{enqueued_at:.6f}", VAR_QUEUE_SEQ: str(self.arrivals)}

        if not self.executor.hooks.before_queue and not self.sticky.applies(caller, queue):
            # Nothing to wait for: the engine has the call in this turn, so the first offer
            # goes out before any other request (bench/call_setup).
            self.submit(CallArrived(chan.id, queue, caller, priority, enqueued_at=enqueued_at))
            self.executor.park_caller(call)
            self.serial.submit(chan.id, lambda: self._keep_order(chan.id, order), "enter")
            return
        arrived = False  # the engine has the call: from then on it is ccd's to route

        async def enter() -> None:
            try:
                await entering()
            except Exception:
                if arrived:
                    raise
                # A call ccd cannot take goes to the native Queue(): it never stays in Stasis.
                log.exception("call not taken: sending it to the native Queue() fallback", call_id=chan.id)
                self.executor.forget(chan.id)
                await self._fallback(chan.id, queue)

        async def entering() -> None:
            nonlocal arrived
            if self.executor.hooks.before_queue:  # e.g. "this call is recorded"
                await run_hooks(self.executor.hooks.before_queue, call, "pre-queue")
                if call.ended:
                    arrived = True
                    self.submit(CallArrived(chan.id, queue, caller, priority, enqueued_at=enqueued_at))
                    self.submit(CallAbandoned(chan.id))
                    return
            hit = await self.sticky.resolve(caller, queue, self.clock())
            arrived = True
            self.submit(CallArrived(
                chan.id, queue, caller, priority, enqueued_at=enqueued_at,
                sticky_agent=hit.agent_id if hit else None,
                sticky_rating=hit.rating if hit else None,
            ))
            # Parked after the submit so the routing decision is not queued behind the park
            # request; the park is still started before any Connect can be performed. (The
            # sticky lookup before it is bounded at 0.25 s, so music starts promptly even
            # while the database is down.)
            self.executor.park_caller(call)
            if call.ended:  # hung up during the lookup: record it as the abandon it was
                self.submit(CallAbandoned(chan.id))
                return
            await self._keep_order(chan.id, order)

        self.serial.submit(chan.id, enter, "enter")

    async def _keep_order(self, channel_id: str, order: dict[str, str]) -> None:
        for name, value in order.items():
            try:
                await self.ari.set_variable(channel_id, name, value)
            except (ChannelGone, AsteriskFailed):
                break

    async def _fallback(self, channel_id: str, queue: str) -> None:
        with gone_is_fine("continue_to_fallback", channel_id=channel_id, queue=queue):
            await self.ari.continue_in_dialplan(channel_id, "ccd-queue-fallback", queue, 1)

    # -- agent state persistence ----------------------------------------------------------
    def persist_agent_state(self, event: ev.DomainEvent) -> None:
        value = agent_persist.stored_value(event)
        if value is None or event.agent_id is None:
            return
        agent_id = event.agent_id
        self.serial.submit(f"agent:{agent_id}", lambda: self.agent_store.save(agent_id, value), "persist")

    # -- resync ---------------------------------------------------------------------------
    async def on_resync(self, e: ari.Resync) -> None:
        """Rebuild from Asterisk's truth: callers waiting (original order and wait), calls
        already bridged, ringing legs to retry, calls that ended while we were away."""
        self.resynced = False
        self.resynced_event.clear()
        if not self.restored_agents and await self.wait_ami(5.0):
            login = frozenset(a.id for a in self.cfg.agents if a.login_on_start)
            for inp in await self.agent_store.restore(sorted(self.agent_ids), login):
                self.submit(inp)
            self.restored_agents = True
        await self.executor.ensure_holding_bridges()
        present = {c.id: c for c in e.channels}
        for call_id in [c for c in self.executor.call_ids() if c not in present]:
            self.executor.channel_gone(call_id, 16)
        members = {b.id: set(b.channels) for b in e.bridges}
        callers = []
        for chan in e.channels:
            args = parse_app_args(chan.dialplan.app_data, self.app) or []
            if args[:1] == ["queue"] and self.executor.call(chan.id) is None and len(args) > 1:
                callers.append((*queue_order(chan.channelvars, args, self.clock()), chan, args))
        for enqueued_at, _, chan, args in sorted(callers, key=lambda t: t[:2]):
            await self._restore_caller(chan, args, enqueued_at, present, members)
        for chan in e.channels:  # ringing legs of calls we lost track of: hang up, re-offer
            args = parse_app_args(chan.dialplan.app_data, self.app) or []
            if args[:1] == ["agent"] and chan.id not in self.executor.leg_owner:
                await self._hangup(chan.id)
        for bridge_id, chans in members.items():
            if bridge_id.startswith(CALL_BRIDGE_PREFIX) and not chans & self.executor.call_ids():
                with gone_is_fine("delete_stale_bridge", bridge_id=bridge_id):
                    await self.ari.delete_bridge(bridge_id)
        self.resynced = True
        self.resynced_event.set()
        log.info("ccd ready: state rebuilt from Asterisk", calls=len(self.executor.call_ids()),
                 reconnect=e.reconnect)

    async def _restore_caller(self, chan: Channel, args: list[str], enqueued_at: float,
                              present: dict[str, Channel], members: dict[str, set[str]]) -> None:
        queue = args[1]
        if queue not in self.queues:
            return
        caller = normalise_number(chan.caller.number, self.cfg)
        call = self.executor.caller_entered(chan.id, queue, caller)
        bridge = call_bridge_id(chan.id)
        agent_id = chan.channelvars.get(VAR_AGENT) or ""
        legs = [present[c] for c in members.get(bridge, set()) if c in present and c != chan.id]
        up_leg = next((leg for leg in legs if leg.state == "Up"), None)
        if chan.id in members.get(bridge, set()) and up_leg is not None and agent_id in self.agent_ids:
            call.bridge_id, call.connected_agent = bridge, agent_id
            call.legs[up_leg.id] = AgentLeg(up_leg.id, agent_id, answered=True)
            self.executor.leg_owner[up_leg.id] = chan.id
            answered_at = as_float(chan.channelvars.get(VAR_ANSWERED_AT)) or self.clock()
            self.submit(CallRestoredConnected(chan.id, queue, agent_id, caller, answered_at))
            return
        for leg in legs:
            await self._hangup(leg.id)
        if bridge in members:
            call.bridge_id = bridge
        self.executor.park_caller(call)
        priority = parse_priority(args[2]) or 0
        hit = await self.sticky.resolve(caller, queue, self.clock())
        self.submit(CallArrived(chan.id, queue, caller, priority, enqueued_at=enqueued_at,
                                sticky_agent=hit.agent_id if hit else None,
                                sticky_rating=hit.rating if hit else None))

    async def _hangup(self, channel_id: str) -> None:
        with gone_is_fine("hangup_stale_leg", channel_id=channel_id):
            await self.ari.hangup(channel_id)
