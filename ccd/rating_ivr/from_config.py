"""The survey settings of each queue, from the validated config."""

from __future__ import annotations

from ccd.config import CcdConfig
from ccd.rating_ivr.core.settings import ROLES, SurveySettings


def survey_settings(cfg: CcdConfig) -> dict[str, SurveySettings]:
    """Settings for the queues that rate calls (absent: the queue runs no survey)."""
    out = {}
    for q in cfg.queues:
        r = q.rating
        if r.enabled:
            # The admin's own recordings: <prompts_dir>/<role>.wav (e.g. rate-call.wav).
            own = {role: str(r.prompts_dir / role) for role in ROLES} if r.prompts_dir else {}
            out[q.name] = SurveySettings(
                enabled=True, scale_max=r.scale, language=q.language, timeout_s=r.timeout,
                retries=r.retries, announce_at_start=r.announce_at_start, prompts=own,
            )
    return out
