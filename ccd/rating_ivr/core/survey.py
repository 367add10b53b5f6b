"""The post-call rating survey of one caller: a pure state machine.

Driven by the ARI executor (which owns the clock and the single timer) once the agent has
hung up first and the caller has *left the call's bridge* (ChannelLeftBridge or
BridgeDestroyed; a play sent earlier can be lost). Every method takes ``now`` (POSIX
seconds) and returns the actions to perform, in order. Flow::

    start ─► asking (rate-call playing; a key barges in)
               │ PlaybackFinished ─► waiting (timeout_s from the end of the prompt)
               │ key 1..N ─► closing (thank-you)        ─► Hangup, Done(rated)
               │ other key, retries left ─► asking again (invalid + rate-call)
               │ other key, no retries left ─► closing (invalid + goodbye) ─► no_response
             waiting ── timeout ─► closing (goodbye-no-input) ─► Hangup, Done(no_response)
    hang-up before start: Done(not_offered); while asking/waiting: Done(abandoned);
    while closing: Done(<decided outcome>) (a caller who rated and hung up during the
    thank-you still rated).

Keys: ``1``..``scale_max`` is a score; **every other key** (0, digits above the scale,
``*``, ``#``, ``A``-``D``) is invalid and uses a retry. The first valid key wins; keys after a
decision are ignored. The survey offers no way out but hanging up.

Executor contract (checked on Asterisk 16.28): ``Play`` -> ``POST /channels/{id}/play/{pb}``
with ``media`` = the sounds joined by ``,`` (one playback; PlaybackStarted/Continuing per
item, one PlaybackFinished at the end) and a unique ``pb`` mapped back to ``tag``; every
PlaybackFinished (state ``done`` or ``failed``) -> ``on_playback_finished(tag)``;
``StopPlayback`` -> ``DELETE /playbacks/{pb}`` (a 404 is fine; the stopped playback still
sends PlaybackFinished, which the survey ignores); ``Hangup`` -> ``DELETE /channels/{id}``;
ChannelDtmfReceived -> ``on_dtmf``; StasisEnd/ChannelDestroyed -> ``on_hangup``; after each
call re-arm the one timer at ``next_deadline()``; ``Done`` -> store ``result.to_event()`` and
drop the survey.
"""

from __future__ import annotations

from typing import Final, Literal

from ccd import prompts as P
from ccd.rating_ivr.core.actions import (
    ABANDONED,
    NO_RESPONSE,
    NOT_OFFERED,
    RATED,
    Action,
    Done,
    Hangup,
    Outcome,
    Play,
    Reason,
    StopPlayback,
    SurveyResult,
)
from ccd.rating_ivr.core.settings import SurveySettings

State = Literal["new", "asking", "waiting", "closing", "done"]

THANKS_TAG: Final = "thanks"
GOODBYE_TAG: Final = "goodbye"
ANNOUNCE_TAG: Final = "rating-follows"


def announcement(call_id: str, settings: SurveySettings) -> Play | None:
    """The optional "a short rating follows" prompt, played when the call starts.

    Not part of a survey: the ACD flow plays it (before the caller hears music on hold) and
    needs no PlaybackFinished for it.
    """
    if not (settings.enabled and settings.announce_at_start):
        return None
    return Play(call_id, (settings.uri(P.RATING_FOLLOWS),), ANNOUNCE_TAG)


class Survey:
    """One caller's survey. Not thread-safe: one task feeds it events in order."""

    def __init__(
        self,
        call_id: str,
        agent_id: str | None,
        queue: str | None,
        caller: str | None,
        settings: SurveySettings,
    ) -> None:
        self.call_id = call_id
        self.agent_id = agent_id
        self.queue = queue
        self.caller = caller
        self.settings = settings
        self._state: State = "new"
        self._attempts = 0  # rating questions started
        self._tag: str | None = None  # the playback we wait for, if any
        self._deadline: float | None = None
        self._result: SurveyResult | None = None

    # -- read-only views ----------------------------------------------------------------
    @property
    def state(self) -> State:
        return self._state

    @property
    def done(self) -> bool:
        return self._state == "done"

    @property
    def result(self) -> SurveyResult | None:
        """The decided result (set from the deciding moment, before the goodbye ends)."""
        return self._result

    def next_deadline(self) -> float | None:
        """When the executor must call :meth:`on_timer` next (None: no timer needed)."""
        return self._deadline

    # -- inputs -------------------------------------------------------------------------
    def start(self, now: float) -> list[Action]:
        """Begin the survey (the caller is alone, out of the bridge). Idempotent."""
        if self._state != "new":
            return []
        if not self.settings.enabled:
            self._decide(NOT_OFFERED, None, now, "disabled")
            return self._finish(hangup=True)
        return self._ask(now, invalid_first=False)

    def on_dtmf(self, digit: str, now: float) -> list[Action]:
        """A key from the caller (ARI ChannelDtmfReceived), also while a prompt plays."""
        if self._state not in ("asking", "waiting"):
            return []  # before start, or the outcome is already decided
        stop = self._stop_current()
        score = self._score(digit)
        if score is not None:
            self._decide(RATED, score, now, "key")
            return stop + self._close(now, THANKS_TAG, (P.THANK_YOU,))
        if self._attempts <= self.settings.retries:
            return stop + self._ask(now, invalid_first=True)
        self._decide(NO_RESPONSE, None, now, "retries_exhausted")
        return stop + self._close(now, GOODBYE_TAG, (P.INVALID, P.GOODBYE_NO_INPUT))

    def on_playback_finished(self, playback_tag: str, now: float) -> list[Action]:
        """A playback ended (ARI PlaybackFinished, whatever its state)."""
        if self._tag is None or playback_tag != self._tag:
            return []  # stale: a stopped prompt, the announcement, or unknown
        self._tag = None
        if self._state == "asking":
            self._state = "waiting"
            self._deadline = now + self.settings.timeout_s
            return []
        if self._state == "closing":
            return self._finish(hangup=True)
        return []

    def on_timer(self, now: float) -> list[Action]:
        """The executor's timer fired; early or spurious calls do nothing."""
        if self._deadline is None or now < self._deadline:
            return []
        if self._state == "asking":
            # The prompt never reported its end (a lost play): carry on as if it had.
            stop = self._stop_current()
            self._state = "waiting"
            self._deadline = now + self.settings.timeout_s
            return stop
        if self._state == "waiting":
            self._decide(NO_RESPONSE, None, now, "timeout")
            return self._close(now, GOODBYE_TAG, (P.GOODBYE_NO_INPUT,))
        if self._state == "closing":
            return self._finish(hangup=True)
        return []

    def on_hangup(self, now: float) -> list[Action]:
        """The caller's channel is gone (StasisEnd / ChannelHangupRequest / destroyed)."""
        if self._state == "done":
            return []
        if self._state == "new":
            self._decide(NOT_OFFERED, None, now, "caller_left_first")
        elif self._state in ("asking", "waiting"):
            self._decide(ABANDONED, None, now, "hangup")
        return self._finish(hangup=False)

    # -- transitions --------------------------------------------------------------------
    def _score(self, digit: str) -> int | None:
        if len(digit) == 1 and "1" <= digit <= str(self.settings.scale_max):
            return int(digit)
        return None

    def _ask(self, now: float, *, invalid_first: bool) -> list[Action]:
        self._attempts += 1
        roles = (P.INVALID, P.RATE_CALL) if invalid_first else (P.RATE_CALL,)
        return [self._play(now, "asking", f"rate-{self._attempts}", roles)]

    def _close(self, now: float, tag: str, roles: tuple[str, ...]) -> list[Action]:
        return [self._play(now, "closing", tag, roles)]

    def _play(self, now: float, state: State, tag: str, roles: tuple[str, ...]) -> Play:
        self._state = state
        self._tag = tag
        self._deadline = now + self.settings.playback_guard_s
        return Play(self.call_id, tuple(self.settings.uri(r) for r in roles), tag)

    def _stop_current(self) -> list[Action]:
        if self._state != "asking" or self._tag is None:
            return []
        tag, self._tag = self._tag, None
        return [StopPlayback(self.call_id, tag)]

    def _decide(self, outcome: Outcome, score: int | None, now: float, reason: Reason) -> None:
        self._result = SurveyResult(
            self.call_id,
            self.agent_id,
            self.queue,
            self.caller,
            outcome,
            score,
            self._attempts,
            now,
            reason,
        )

    def _finish(self, *, hangup: bool) -> list[Action]:
        assert self._result is not None  # every path decides before finishing
        self._state = "done"
        self._tag = None
        self._deadline = None
        actions: list[Action] = [Hangup(self.call_id)] if hangup else []
        actions.append(Done(self._result))
        return actions
