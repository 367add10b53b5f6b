"""Post-call rating IVR: the survey state machine, its settings, prompts and statistics.

Pure code only (no I/O, no clock); the ARI executor drives :class:`Survey` and performs its
actions. See ``survey.py`` for the flow and ``prompts.py`` for where sounds live.
"""

from ccd.rating_ivr.actions import (
    OUTCOMES,
    Action,
    Done,
    Hangup,
    Play,
    StopPlayback,
    SurveyResult,
    not_offered,
)
from ccd.rating_ivr.prompts import missing_prompts
from ccd.rating_ivr.settings import SurveySettings
from ccd.rating_ivr.survey import Survey, announcement

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
