"""Supervision's wiring function: its ports in, the service and what it contributes out."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from ccd.ari.client import AriClient
from ccd.config import CcdConfig
from ccd.ports import CallQuery
from ccd.snapshot import EngineSnapshot
from ccd.supervisor import Spawn
from ccd.whisper.api import add_routes
from ccd.whisper.service import SupervisionService
from ccd.whisper.steps import AuditStore
from ccd.wiring import Contribution


def wire(cfg: CcdConfig, rest: AriClient, calls: CallQuery, snapshot: Callable[[], EngineSnapshot],
         on_mentoring: Callable[[str, bool], None], bus: AuditStore, *,
         spawn: Spawn) -> tuple[SupervisionService, Contribution]:
    """``calls``: which call an agent is on (the ACD executor); ``on_mentoring``: an agent
    mentor is busy / free again; ``bus``: audit events, durable before the audio path."""
    service = SupervisionService(cfg, rest, calls, snapshot, on_mentoring, bus, spawn=spawn)
    return service, Contribution(
        asterisk=service.subscribe,
        subscribers=(("supervision", service.on_domain_event),),  # a call over ends its sessions
        routes=(partial(add_routes, service=service),),
    )
