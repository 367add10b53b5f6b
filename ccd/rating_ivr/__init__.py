"""Post-call rating IVR: the survey state machine, its settings, prompts and statistics.

``core/`` is pure (no I/O, no clock): the survey state machine and the statistics. Beside it
the shell: ``runner`` (drives :class:`Survey` over ARI; the ACD asks it through
``ccd.ports.SurveyPort``), ``from_config`` (settings per queue), ``wire`` (its wiring function),
``routes`` (``/api/ratings``), ``report`` and ``cli`` (PostgreSQL).
Prompt texts live in the shared catalogue ``ccd/prompts.py``.
"""

from ccd.prompts import missing_prompts
from ccd.rating_ivr.core.actions import (
    OUTCOMES,
    Action,
    Done,
    Hangup,
    Play,
    StopPlayback,
    SurveyResult,
    not_offered,
)
from ccd.rating_ivr.core.settings import SurveySettings
from ccd.rating_ivr.core.survey import Survey, announcement

__all__ = [
    "OUTCOMES",
    "Action",
    "Done",
    "Hangup",
    "Play",
    "StopPlayback",
    "Survey",
    "SurveyResult",
    "SurveySettings",
    "announcement",
    "missing_prompts",
    "not_offered",
]
