"""The live floor as server-sent events: a snapshot at bus sequence N, then one delta per
bus event from N+1 on, each with its sequence, plus a refresh every few seconds.

A client that reconnects sends the last ``epoch:seq`` it applied (``Last-Event-ID``); if
this process still holds every delta after it, they are replayed, else (gap, or another
process: a restart) the client gets a new snapshot. Deltas are filtered per viewer: a
supervisor gets only their teams' agents and queues (an empty delta keeps the numbering).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from aiohttp import web

from ccd import events as ev
from ccd.api.auth import Principal
from ccd.bus import Bus, Sequenced
from ccd.config import CcdConfig, QueueThresholds
from ccd.console.core.floor import Layout, Today, agent_row, feed_item, queue_tile, snapshot_parts
from ccd.snapshot import EngineSnapshot

RING = 2000  # deltas kept for resuming clients
FEED = 50  # feed items in a snapshot
REFRESH_S = 3.0
CLIENT_QUEUE = 1000  # a client this far behind is cut off and resumes (or re-snapshots)


Parts = tuple[Mapping[str, Any], Mapping[str, Any]]  # (queue tiles, agent rows)


class Delta:
    """One bus event's change to the floor. The tiles and rows (an engine snapshot and Erlang C
    per event: most of the console's cost) are made only when a client needs them: at once
    while a browser is connected, else when one resumes across this delta; a tile or row
    replaces the whole one, so one made later shows the later state, as the deltas after it do."""

    __slots__ = ("_make", "_parts", "acks", "feed", "seq")

    def __init__(self, seq: int, parts: Parts | Callable[[EngineSnapshot | None], Parts],
                 feed: Mapping[str, Any] | None, acks: Mapping[str, float]) -> None:
        self.seq, self.feed = seq, feed
        self.acks = acks  # alert id -> quiet until (POSIX seconds)
        self._parts: Parts | None = parts if isinstance(parts, tuple) else None
        self._make: Callable[[EngineSnapshot | None], Parts] | None = None if isinstance(parts, tuple) else parts

    def made(self, snap: EngineSnapshot | None = None) -> Parts:
        if self._parts is None:
            assert self._make is not None
            self._parts, self._make = self._make(snap), None
        return self._parts

    @property
    def is_made(self) -> bool:
        return self._parts is not None

    @property
    def queues(self) -> Mapping[str, Any]:
        return self.made()[0]

    @property
    def agents(self) -> Mapping[str, Any]:
        return self.made()[1]


class View:
    """What one signed-in viewer may see."""

    def __init__(self, who: Principal, layout: Layout) -> None:
        self.teams = who.teams
        self.queues = layout.visible_queues(who.teams)
        self.layout = layout

    def agent(self, agent_id: str | None) -> bool:
        if self.teams is None:
            return True
        return bool(agent_id and self.teams.intersection(self.layout.agent_teams.get(agent_id, ())))

    def filter(self, queues: Mapping[str, Any], agents: Mapping[str, Any]) -> dict[str, Any]:
        return {"queues": {k: v for k, v in queues.items() if k in self.queues},
                "agents": {k: v for k, v in agents.items() if self.agent(k)}}

    def alert(self, alert_id: str) -> bool:
        """Alert ids are ``q:<queue>:<what>`` or ``a:<agent>:<what>``."""
        kind, _, rest = alert_id.partition(":")
        subject = rest.partition(":")[0]
        return (kind == "q" and subject in self.queues) or (kind == "a" and subject in self.layout.agent_teams
                                                            and self.agent(subject))

    def sees(self, item: Mapping[str, Any]) -> bool:
        if item.get("agent"):
            return self.agent(item["agent"])
        return item.get("queue") in self.queues


class FloorHub:
    def __init__(self, cfg: CcdConfig, bus: Bus, snapshot: Callable[[], EngineSnapshot],
                 clock: Callable[[], float] = time.time,
                 callbacks: Callable[[str], int] = lambda q: 0) -> None:
        self.cfg, self.bus, self.snapshot, self.clock = cfg, bus, snapshot, clock
        self.callbacks = callbacks  # open callbacks of a queue (ccd.callbacks), for its tile
        self.layout = Layout(
            {q.name: tuple(a.id for a in cfg.queue_members(q)) for q in cfg.queues},
            {a.id: tuple(a.teams) for a in cfg.agents},
            {q.name: q.service_level_target for q in cfg.queues},
            {q.name: q.service_level_seconds for q in cfg.queues})
        self.today = Today(cfg.tz, self.layout.sl_seconds, {q.name: q.short_abandon_seconds for q in cfg.queues})
        self.allowance = {k: v * 60 for k, v in cfg.console.pause_allowance_minutes.items()}
        self.default_allowance = cfg.console.default_pause_allowance_minutes * 60
        self.ring: deque[Delta] = deque(maxlen=RING)
        self.feed: deque[dict[str, Any]] = deque(maxlen=FEED)
        self.acks: dict[str, float] = {}  # acknowledged alerts, quiet until
        self.seq = 0  # the last bus sequence applied here
        self.clients: set[asyncio.Queue[Delta | None]] = set()

    # -- bus side ---------------------------------------------------------------------------
    def remember(self, e: ev.DomainEvent) -> dict[str, float]:
        """Fold one event into today's figures and the acknowledged alerts (also at start-up)."""
        self.today.apply(e)
        if not isinstance(e, ev.AlertAcknowledged):
            return {}
        until = e.ts.timestamp() + e.quiet_s
        self.acks[e.alert] = until
        return {e.alert: until}

    def on_event(self, item: Sequenced) -> None:
        e = item.event
        acks = self.remember(e)
        queue = e.queue if e.queue and e.queue in self.layout.queue_members else None
        parts: Parts | Callable[[EngineSnapshot | None], Parts] = ({}, {})
        if queue is not None or e.agent_id:  # else the delta carries no tile or row: no snapshot
            parts = lambda snap: self._parts(snap or self.snapshot(), queue, e.agent_id)  # noqa: E731
        item_ = feed_item(item.seq, e)
        if item_ is not None:
            self.feed.append(item_)
        self._emit(Delta(item.seq, parts, item_, acks))

    def _parts(self, snap: EngineSnapshot, queue: str | None, agent_id: str | None) -> Parts:
        queues: dict[str, Any] = {}
        agents: dict[str, Any] = {}
        if queue is not None:
            queues[queue] = self._tile(snap, queue)
        if agent_id and agent_id in snap.agents:
            agents[agent_id] = self._row(snap, agent_id)
            for q in self.layout.queues_of(agent_id):  # agent counts of their queues changed
                if q not in queues:  # the event's own queue: the same tile, already made
                    queues[q] = self._tile(snap, q)
        return queues, agents

    def _tile(self, snap: EngineSnapshot, queue: str) -> dict[str, Any]:
        return queue_tile(queue, snap.queues.get(queue), snap.agents, self.today, self.layout, snap.now,
                          self.callbacks(queue))

    def _row(self, snap: EngineSnapshot, agent_id: str) -> dict[str, Any]:
        a = snap.agents[agent_id]
        return agent_row(a, self.today, self.layout, self.allowance.get(a.reason or "", self.default_allowance),
                         snap.now)

    def _emit(self, delta: Delta) -> None:
        self.seq = delta.seq
        self.ring.append(delta)
        if self.clients:
            delta.made()  # the state at this event, as the connected browsers see it
        for q in list(self.clients):
            if q.qsize() >= CLIENT_QUEUE:
                self.clients.discard(q)
                q.put_nowait(None)  # too far behind: cut off; the browser resumes by itself
            else:
                q.put_nowait(delta)

    def snapshot_doc(self, view: View) -> dict[str, Any]:
        snap = self.snapshot()
        tiles, rows = snapshot_parts(snap, self.today, self.layout, self.allowance, self.default_allowance,
                                     self.layout.queue_members, self.callbacks)
        return {"epoch": self.bus.epoch, "seq": self.seq, "now": snap.now, **view.filter(tiles, rows),
                "feed": [f for f in self.feed if view.sees(f)],
                "acks": {k: v for k, v in self.acks.items() if v > snap.now and view.alert(k)},
                "thresholds": self._thresholds(view), "cooldown_s": self.cfg.console.alert_cooldown_s,
                "pause_reasons": sorted(self.cfg.console.pause_allowance_minutes)}

    def _thresholds(self, view: View) -> dict[str, Any]:
        t = self.cfg.console.thresholds
        return {q: (t.get(q) or QueueThresholds()).model_dump() for q in view.queues}

    # -- HTTP side --------------------------------------------------------------------------
    def resume_from(self, last_id: str) -> list[Delta] | None:
        """Deltas after ``epoch:seq`` if this process holds them all, else None."""
        epoch, _, seq_text = last_id.partition(":")
        if epoch != self.bus.epoch or not seq_text.isdigit():
            return None
        seq = int(seq_text)
        if seq == self.seq:
            return []
        if not self.ring or seq < self.ring[0].seq - 1 or seq > self.seq:
            return None
        missing = [d for d in self.ring if d.seq > seq]
        snap = self.snapshot() if any(not d.is_made for d in missing) else None  # one for them all
        for d in missing:
            d.made(snap)
        return missing

    async def stream(self, request: web.Request, who: Principal) -> web.StreamResponse:
        view = View(who, self.layout)
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-store",
                                           "X-Accel-Buffering": "no"})
        await resp.prepare(request)
        await resp.write(b"retry: 1000\n\n")  # reconnect within a second after a restart
        queue: asyncio.Queue[Delta | None] = asyncio.Queue()
        self.clients.add(queue)  # before the snapshot: nothing after it can be missed
        try:
            last = request.headers.get("Last-Event-ID") or request.query.get("last", "")
            replay = self.resume_from(last) if last else None
            if replay is None:
                doc = self.snapshot_doc(view)
                await self._write(resp, "snapshot", doc["seq"], doc)
                start = doc["seq"]
            else:
                start = int(last.partition(":")[2])
                for old in replay:
                    await self._send_delta(resp, view, old)
                start = replay[-1].seq if replay else start
            while True:
                try:
                    async with asyncio.timeout(REFRESH_S):
                        d = await queue.get()
                except TimeoutError:
                    await self._refresh(resp, view)
                    continue
                if d is None:
                    break
                if d.seq <= start:
                    continue  # already in the snapshot or the replay
                await self._send_delta(resp, view, d)
        except ConnectionResetError:
            pass  # the browser went away; it resumes from its last sequence when it is back
        finally:
            self.clients.discard(queue)
        return resp

    async def _send_delta(self, resp: web.StreamResponse, view: View, d: Delta) -> None:
        doc = {"seq": d.seq, **view.filter(d.queues, d.agents),
               "feed": [d.feed] if d.feed is not None and view.sees(d.feed) else [],
               "acks": {k: v for k, v in d.acks.items() if view.alert(k)}}
        await self._write(resp, "delta", d.seq, doc)

    async def _refresh(self, resp: web.StreamResponse, view: View) -> None:
        """Times grow without events: the full state at the current sequence, every few seconds."""
        snap = self.snapshot()
        tiles, rows = snapshot_parts(snap, self.today, self.layout, self.allowance, self.default_allowance,
                                     self.layout.queue_members, self.callbacks)
        await self._write(resp, "refresh", self.seq, {"seq": self.seq, "now": snap.now, **view.filter(tiles, rows)})

    async def _write(self, resp: web.StreamResponse, kind: str, seq: int, doc: Mapping[str, Any]) -> None:
        data = json.dumps(doc, separators=(",", ":"), default=str)
        await resp.write(f"id: {self.bus.epoch}:{seq}\nevent: {kind}\ndata: {data}\n\n".encode())
