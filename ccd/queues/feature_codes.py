"""Agent feature codes dialled on a phone (log in/out, pause, unpause): the dialplan hands
the code to ccd in Stasis; the pure ``feature_action`` decides; an accepted code becomes an
engine input, a refused one a durable audit event before the phone hears "denied"."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Final

import structlog

from ccd import events as ev
from ccd.acd.inputs import Input
from ccd.ari import events as ari
from ccd.config import CcdConfig
from ccd.ports import AriPort
from ccd.queues.core.stasis_input import Refused, endpoint_of, feature_action, refusal_event
from ccd.queues.tolerate import gone_is_fine

log = structlog.get_logger("ccd.acd")

AUDIT_TIMEOUT_S: Final = 5.0  # a refused code's audit; the phone hears "denied" after it


class FeatureCodes:
    def __init__(self, cfg: CcdConfig, ari: AriPort, submit: Callable[[Input], None],
                 audit: Callable[[ev.DomainEvent], Awaitable[None]], clock: Callable[[], float]) -> None:
        self.ari, self.submit, self.audit, self.clock = ari, submit, audit, clock
        self.agents_by_endpoint = {a.endpoint: a.id for a in cfg.agents}
        self.agent_ids = {a.id for a in cfg.agents}
        self.shared_phones = frozenset(cfg.shared_phones)

    async def dialled(self, e: ari.StasisStart) -> None:
        args = [*e.args, "", "", "", "", ""]
        feature, explicit, reason, phone, dialplan_refused = args[1:6]
        action = feature_action(feature, explicit, reason, phone or endpoint_of(e.channel.name),
                                self.agents_by_endpoint, self.agent_ids, self.shared_phones, dialplan_refused)
        ok = not isinstance(action, Refused)
        if isinstance(action, Refused):
            log.warning("feature code refused", feature=feature[:20], agent=explicit[:64], why=action.reason,
                        actor=action.actor, channel=e.channel.name)
            await self._audit(refusal_event(action, feature, reason, e.channel.id, self.clock(), self.agent_ids))
        else:
            self.submit(action)
        with gone_is_fine("feature_code_result", channel_id=e.channel.id, feature=feature[:20]):
            await self.ari.set_variable(e.channel.id, "CCD_RESULT", "ok" if ok else "denied")
            await self.ari.continue_in_dialplan(e.channel.id, "ccd-agent", "result", 1)

    async def _audit(self, event: ev.DomainEvent) -> None:
        try:
            await asyncio.wait_for(self.audit(event), AUDIT_TIMEOUT_S)
        except Exception:  # a slow or failed store never leaves the phone waiting for its answer
            log.exception("feature code refusal not audited durably", event_id=event.event_id)
