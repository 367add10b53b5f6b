"""The post-call survey's wiring function: the runner (the ACD asks it through
``ccd.ports.SurveyPort``), whose survey timeouts run off the daemon's timer."""

from __future__ import annotations

from collections.abc import Callable

from ccd.config import CcdConfig
from ccd.events import DomainEvent
from ccd.ports import AriPort
from ccd.rating_ivr.from_config import survey_settings
from ccd.rating_ivr.runner import SurveyRunner
from ccd.supervisor import Spawn
from ccd.wiring import Contribution


def wire(cfg: CcdConfig, ari: AriPort, publish: Callable[[DomainEvent], None], *, spawn: Spawn,
         wake: Callable[[], None]) -> tuple[SurveyRunner, Contribution]:
    runner = SurveyRunner(ari, survey_settings(cfg), publish, wake=wake, spawn=spawn)
    return runner, Contribution(timers=(runner,))
