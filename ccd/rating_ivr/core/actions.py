"""What the survey asks the ARI executor to do (commands as data), and its result."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Final, Literal

from ccd.events import RATING_RESULT, DomainEvent, RatingResult, utc

Outcome = Literal["rated", "no_response", "abandoned", "not_offered"]
RATED: Final = "rated"
NO_RESPONSE: Final = "no_response"
ABANDONED: Final = "abandoned"
NOT_OFFERED: Final = "not_offered"
OUTCOMES: Final[tuple[Outcome, ...]] = (RATED, NO_RESPONSE, ABANDONED, NOT_OFFERED)

# Why the survey ended; finer than the outcome, for logs (not part of the event contract).
Reason = Literal["key", "timeout", "retries_exhausted", "hangup", "caller_left_first", "disabled"]

# A fixed namespace so a call's rating event id is the same on every ccd run: the store's
# idempotency key then makes a re-run survey (e.g. after a restart) a no-op, not a duplicate.
_EVENT_NS: Final = uuid.UUID("6f6c3b0e-0c1d-4f0e-9a55-7a7e1c0ad5e1")


@dataclass(frozen=True, slots=True)
class Play:
    """Play ``sounds`` (ARI media URIs, in order, as one playback) to the caller.

    The executor must report the end of this playback with ``on_playback_finished(tag)``;
    tags are unique within a survey, so a late event of a stopped playback is ignored.
    """

    call_id: str
    sounds: tuple[str, ...]
    tag: str


@dataclass(frozen=True, slots=True)
class StopPlayback:
    """Stop the playback started with ``tag`` (caller barged in)."""

    call_id: str
    tag: str


@dataclass(frozen=True, slots=True)
class Hangup:
    """Hang the caller's channel up: the survey is over."""

    call_id: str


@dataclass(frozen=True, slots=True)
class SurveyResult:
    """The outcome of one survey; ``score`` is set iff ``outcome == "rated"``.

    ``attempts`` is how many times the rating question was started (0 if never offered).
    ``ts`` (POSIX seconds) is when the outcome was decided: the key press, the timeout, the
    hang-up; not when the goodbye prompt ended.
    """

    call_id: str
    agent_id: str | None
    queue: str | None
    caller: str | None
    outcome: Outcome
    score: int | None
    attempts: int
    ts: float
    reason: Reason

    def to_event(self) -> DomainEvent:
        """The ``rating.result`` domain event, with a deterministic id per call."""
        return RatingResult(
            ts=utc(self.ts),
            event_id=uuid.uuid5(_EVENT_NS, f"{RATING_RESULT}:{self.call_id}").hex,
            call_id=self.call_id,
            agent_id=self.agent_id,
            queue=self.queue,
            outcome=self.outcome,
            score=self.score,
            caller=self.caller,
            attempts=self.attempts,
        )


@dataclass(frozen=True, slots=True)
class Done:
    """The survey is finished; always the last action, exactly once per survey."""

    result: SurveyResult


Action = Play | StopPlayback | Hangup | Done


def not_offered(
    call_id: str, agent_id: str | None, queue: str | None, caller: str | None, now: float
) -> SurveyResult:
    """The result for a call whose caller hung up first: no survey is run at all."""
    return SurveyResult(call_id, agent_id, queue, caller, NOT_OFFERED, None, 0, now, "caller_left_first")
