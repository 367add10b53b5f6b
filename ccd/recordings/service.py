"""The recording shell: announce to the caller before queueing, start an ARI recording of
the call's mixing bridge once caller and agent are bridged, and file the finished recording
under ``recordings_dir`` with its metadata as a ``recording.finished`` event.

It is the *bridge* that is recorded, so a transfer or a supervisor barge stays in the same
recording. Before the executor deletes the bridge, ccd stops the recording and waits for
RecordingFinished: a recording's events reach ccd through its bridge, and one still being
finished when the bridge goes (a busy machine) is never announced. If the event is not
heard in time anyway, ccd files the file once Asterisk no longer lists the recording as
live. Each recording is filed exactly once: whoever takes it out of ``live`` files it, and a
late event for a filed call is ignored. Every failure is logged and reported as
``recording.failed`` (counted by ``ccd_recording_failures_total``) and never touches the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import shutil
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import structlog

from ccd import events as ev
from ccd.ari import events as ari
from ccd.ari.client import AriClient
from ccd.ari.errors import AriError, AriNotFound
from ccd.config import CcdConfig, QueueConfig
from ccd.dispatch import Dispatcher
from ccd.ports import QueueCall
from ccd.prompts import CALL_RECORDED, sound_uri
from ccd.recordings.core import layout
from ccd.recordings.queries import Started
from ccd.recordings.retention import writable_dir
from ccd.serial import KeyedSerial
from ccd.supervisor import Spawn, plain_spawn

log = structlog.get_logger("ccd.recordings")

ANNOUNCE_MAX_S = 30.0  # a playback that never reports its end does not hold the caller longer
LOOKUP_TIMEOUT_S = 5.0
FINISH_WAIT_S = 5.0  # for RecordingFinished after the stop, before ccd looks for itself
FILED_MEMORY = 10_000  # call ids filed in this run, remembered to ignore late events
Sink = Callable[[ev.DomainEvent], None]


@dataclass
class Live:
    call_id: str
    queue: str | None
    agent_id: str | None
    caller: str | None
    fmt: str
    started: float  # POSIX seconds


async def _unknown(call_id: str) -> Started | None:
    return None


def sha256_and_size(path: Path) -> tuple[str, int]:
    h, size = hashlib.sha256(), 0
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            h.update(chunk)
            size += len(chunk)
    return h.hexdigest(), size


class RecordingService:
    def __init__(self, cfg: CcdConfig, rest: AriClient, record: Sink,
                 clock: Callable[[], float] = time.time,
                 started_of: Callable[[str], Awaitable[Started | None]] = _unknown,
                 spawn: Spawn = plain_spawn) -> None:
        self.cfg, self.rest, self.record, self.clock = cfg, rest, record, clock
        self.queues: dict[str, QueueConfig] = {q.name: q for q in cfg.queues if q.recording.enabled}
        self.root = Path(cfg.recordings_dir)
        self.spool = Path(cfg.asterisk_recording_dir)
        self.live: dict[str, Live] = {}  # by call id
        self.finishing: dict[str, asyncio.Future[None]] = {}  # stopped, RecordingFinished awaited
        self.filed: OrderedDict[str, None] = OrderedDict()  # recently filed call ids
        self.announcing: dict[str, asyncio.Future[None]] = {}  # by playback id
        self.serial = KeyedSerial(spawn, "recording")
        # What ccd stored when a recording started (the wire looks it up in the database);
        # used for files found in the spool whose end ccd never heard of.
        self.started_of = started_of

    def subscribe(self, dispatcher: Dispatcher) -> None:
        dispatcher.subscribe(ari.Resync, self.on_resync)
        dispatcher.subscribe(ari.RecordingFinished, self.on_finished)
        dispatcher.subscribe(ari.RecordingFailed, self.on_failed)
        dispatcher.subscribe(ari.PlaybackFinished, self.on_playback_finished)

    # -- hooks ----------------------------------------------------------------------------
    async def before_queue(self, call: QueueCall) -> None:
        """A ``before_queue`` call hook: the announcement, heard before any agent is connected."""
        q = self.queues.get(call.queue)
        if q is None or not q.recording.announce:
            return
        playback_id = f"ccd-recann-{call.call_id}"
        done = asyncio.get_running_loop().create_future()
        self.announcing[playback_id] = done
        try:
            await self.rest.play(call.call_id, sound_uri(q.language, CALL_RECORDED), playback_id=playback_id)
            deadline = time.monotonic() + ANNOUNCE_MAX_S
            while not done.done() and not call.ended and time.monotonic() < deadline:
                await asyncio.wait([done], timeout=0.25)  # wake up for a caller who hung up
        except AriError as exc:
            log.warning("recording announcement not played", call_id=call.call_id, error=str(exc))
        finally:
            self.announcing.pop(playback_id, None)

    async def on_connected(self, call: QueueCall) -> None:
        """An ``on_connected`` call hook: start recording the call's mixing bridge."""
        q = self.queues.get(call.queue)
        if q is None or call.bridge_id is None or call.call_id in self.live:
            return  # not recorded, or already recording (a reconnect after a transfer)
        now, fmt = self.clock(), q.recording.format
        live = Live(call.call_id, call.queue, call.connected_agent, call.caller_number, fmt, now)
        target = self.root / layout.relative_path(call.call_id, ev.utc(now), self.cfg.tz, fmt)
        problem = writable_dir(target.parent)
        if problem is None:
            try:
                await self.rest.bridge_record(call.bridge_id, layout.spool_name(call.call_id), fmt=fmt,
                                              if_exists="overwrite")
            except AriError as exc:
                missing = "" if self.spool.is_dir() else f" (is {self.spool} missing?)"
                problem = f"Asterisk did not start the recording: {exc}{missing}"
        if problem is not None:
            self._failed(live, "start", problem)
            return
        self.live[call.call_id] = live
        self.record(ev.RecordingStarted(ts=ev.utc(now), call_id=call.call_id, agent_id=live.agent_id,
                                        queue=live.queue, caller=live.caller, format=fmt,
                                        name=layout.spool_name(call.call_id)))

    async def before_bridge_deleted(self, call: QueueCall) -> None:
        """A ``before_bridge_deleted`` call hook: stop the recording and hear it finished while
        its bridge still exists; file it from the spool if the event does not come."""
        live = self.live.get(call.call_id)
        if live is None:
            return
        name = layout.spool_name(call.call_id)
        done = self.finishing.setdefault(call.call_id, asyncio.get_running_loop().create_future())
        try:
            try:
                await self.rest.stop_recording(name)
                async with asyncio.timeout(FINISH_WAIT_S):
                    await asyncio.shield(done)
                return
            except AriNotFound:
                pass  # not live: ended without ccd hearing it (Asterisk restarted under us)
            except (AriError, TimeoutError) as exc:
                log.warning("recording end not heard", call_id=call.call_id, error=repr(exc))
            if await self._still_live(name) is not False or self.live.get(call.call_id) is not live:
                return  # still being written (its event or a later sweep files it), or taken
            del self.live[call.call_id]
            self._file_recovered(live)
        finally:
            self.finishing.pop(call.call_id, None)

    async def _still_live(self, name: str) -> bool | None:
        """Asterisk's word on whether a recording is still being written; None if unknown."""
        try:
            return await self.rest.recording_is_live(name)
        except AriError as exc:
            log.warning("could not ask Asterisk about a recording", name=name, error=str(exc))
            return None

    # -- what Asterisk reports ------------------------------------------------------------
    def on_resync(self, e: ari.Resync) -> None:
        """After every (re)connect: recordings that ended while ccd could not hear it (Asterisk
        restarted mid-call, or the websocket was down) are still in Asterisk's spool; file
        them. What Asterisk still lists as live is still being written: its end is heard."""
        self.serial.submit("spool-sweep", self._sweep, "sweep the recording spool")

    async def _sweep(self) -> None:
        found = await asyncio.to_thread(layout.spool_files, self.spool)
        orphans = []
        for call_id, fmt in found:
            # Asked now, not from the (re)connect's snapshot: a call bridged since then is
            # recording too, and a file must never be moved while Asterisk writes it.
            if call_id in self.finishing or await self._still_live(layout.spool_name(call_id)) is not False:
                continue
            orphans.append(call_id)
            # Started in this run (Asterisk restarted under us): what we kept is all we need.
            live = self.live.pop(call_id, None) or await self._recovered(call_id, fmt)
            self._file_recovered(live)
        if orphans:
            log.warning("filing recordings that ended while ccd was not listening", count=len(orphans))

    def _file_recovered(self, live: Live) -> None:
        self.serial.submit(live.call_id, lambda: self._store(live, recovered=True), "store recovered recording")

    async def _recovered(self, call_id: str, fmt: str) -> Live:
        try:
            async with asyncio.timeout(LOOKUP_TIMEOUT_S):
                known = await self.started_of(call_id)
        except Exception as exc:  # the database being down must not keep the file in the spool
            log.warning("recording start not found; filing with what the file says", call_id=call_id,
                        error=repr(exc))
            known = None
        if known is not None:  # the format is the file's
            return Live(call_id, known.queue, known.agent_id, known.caller, fmt, known.started_at.timestamp())
        path = layout.spool_file(self.spool, call_id, fmt)
        stat = await asyncio.to_thread(path.stat)
        duration = await asyncio.to_thread(layout.duration_s, path, fmt) or 0.0
        return Live(call_id, None, None, None, fmt, stat.st_mtime - duration)

    def on_playback_finished(self, e: ari.PlaybackFinished) -> None:
        fut = self.announcing.get(e.playback.id)
        if fut is not None and not fut.done():
            fut.set_result(None)

    def on_finished(self, e: ari.RecordingFinished) -> None:
        live = self._live_for(e.recording)
        if live is not None:
            self.serial.submit(live.call_id, lambda: self._store(live), "store recording")
            done = self.finishing.get(live.call_id)
            if done is not None and not done.done():
                done.set_result(None)

    def on_failed(self, e: ari.RecordingFailed) -> None:
        live = self._live_for(e.recording)
        if live is not None:
            self._failed(live, "record", f"Asterisk reported the recording failed: {e.recording.cause or '?'}")
            done = self.finishing.get(live.call_id)
            if done is not None and not done.done():
                done.set_result(None)

    def _live_for(self, rec: object) -> Live | None:
        name = getattr(rec, "name", "")
        call_id = layout.call_id_of(name)
        if call_id is None or call_id in self.filed:
            return None  # not ours, or filed already (a late or repeated event)
        live = self.live.pop(call_id, None)
        if live is None:  # started by an earlier ccd run: file it with what Asterisk says
            fmt = next((f.name for f in layout.FORMATS.values() if f.ext == getattr(rec, "format", "")), "wav")
            duration = getattr(rec, "duration", None) or 0
            live = Live(call_id, None, None, None, fmt, self.clock() - duration)
        return live

    async def _store(self, live: Live, recovered: bool = False) -> None:
        src = layout.spool_file(self.spool, live.call_id, live.fmt)
        if live.call_id in self.filed or (recovered and not await asyncio.to_thread(src.exists)):
            return  # filed meanwhile (on its RecordingFinished, or by a sweep)
        rel = layout.relative_path(live.call_id, ev.utc(live.started), self.cfg.tz, live.fmt)
        dest = self.root / rel
        try:
            problem = await asyncio.to_thread(writable_dir, dest.parent)
            if problem is not None:
                raise OSError(problem)
            # Same filesystem: a rename; otherwise copy then delete (shutil.move does both).
            await asyncio.to_thread(shutil.move, src, dest)
            if recovered and live.fmt == "wav":
                await asyncio.to_thread(layout.repair_wav_header, dest)
            digest, size = await asyncio.to_thread(sha256_and_size, dest)
            duration = await asyncio.to_thread(layout.duration_s, dest, live.fmt)
        except OSError as exc:
            self._failed(live, "store", f"recording not filed from {src}: {exc}")
            return
        self.filed[live.call_id] = None
        while len(self.filed) > FILED_MEMORY:
            self.filed.popitem(last=False)
        self.record(ev.RecordingFinished(
            ts=ev.utc(self.clock()), call_id=live.call_id, agent_id=live.agent_id, queue=live.queue,
            file=str(rel), format=live.fmt, duration_s=round(duration, 3) if duration is not None else None,
            size=size, sha256=digest, caller=live.caller, started_epoch=live.started,
            started=datetime.fromtimestamp(live.started, self.cfg.tz).isoformat(), recovered=recovered))
        log.info("recording stored", call_id=live.call_id, file=str(dest), size=size, duration_s=duration)

    def _failed(self, live: Live, stage: str, reason: str) -> None:
        log.error("call recording failed; the call goes on", call_id=live.call_id, queue=live.queue,
                  stage=stage, reason=reason)
        self.record(ev.RecordingFailed(ts=ev.utc(self.clock()), call_id=live.call_id, agent_id=live.agent_id,
                                       queue=live.queue, reason=reason, stage=stage))

    async def close(self) -> None:
        await self.serial.drain(2.0)
        for fut in self.announcing.values():
            with contextlib.suppress(asyncio.InvalidStateError):
                fut.set_result(None)
        await self.serial.close()
