"""Wiring functions of the queues' optional parts: what the position / expected-wait
announcer contributes (a bus subscriber, its playback handler, its timer client, and the call
hook that silences it before the caller moves)."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry

from ccd.ari.events import PlaybackFinished
from ccd.config import CcdConfig
from ccd.dispatch import Dispatcher
from ccd.ports import AriPort, CallHooks
from ccd.queues.announcer import QueueAnnouncer
from ccd.queues.from_config import announce_settings
from ccd.snapshot import EngineSnapshot
from ccd.supervisor import Spawn
from ccd.wiring import Contribution


def wire_announcer(cfg: CcdConfig, ari: AriPort, snapshot: Callable[[], EngineSnapshot],
                   registry: CollectorRegistry, *, spawn: Spawn,
                   wake: Callable[[], None]) -> tuple[QueueAnnouncer, Contribution]:
    announcer = QueueAnnouncer(ari, snapshot, announce_settings(cfg), {q.name: q.language for q in cfg.queues},
                               registry, spawn=spawn, wake=wake)
    if not announcer.enabled:
        return announcer, Contribution()

    def asterisk(dispatcher: Dispatcher) -> None:
        dispatcher.subscribe(PlaybackFinished, lambda e: announcer.playback_finished(e.playback.id))

    return announcer, Contribution(
        asterisk=asterisk,
        subscribers=(("announcer", announcer.on_event),),
        timers=(announcer,),
        # An announcement playing would hold the caller until it ends.
        hooks=CallHooks(before_caller_moves=(announcer.silence,)),
    )
