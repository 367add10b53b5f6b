"""The callback offer to one waiting caller: a pure DTMF state machine (as the rating survey).

The shell feeds it DTMF, PlaybackFinished and its one timer, each with ``now``, and performs
the returned actions in order. The caller stays in the queue (keeping their place) until the
dialogue ends with a callback accepted by the book; every other end leaves them waiting::

    start ─► offered (cb-offer; only key 1 counts, other keys are ignored)
               │ 1, caller id allowed ─► confirming (cb-your-number, digits, cb-confirm)
               │ 1, anonymous / not allowed ─► entering (cb-enter-number)
               │ timeout ─► Done(declined)
    entering:   digits, then # (or a pause) ─► checked ─► confirming | invalid + entering again
    confirming: 1 ─► Request(number) ─► on_request_result ─► closing (cb-confirmed | cb-merged
                     | cb-unavailable) ─► Hangup when accepted
                2 ─► entering;  other key / timeout ─► cb-invalid + confirming again
    retries exhausted ─► closing (cb-sorry: "you keep your place in line") ─► Done(<reason>)

Prompts are names of :mod:`ccd.prompts`; the shell makes them URIs in the
queue's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from ccd import prompts as P
from ccd.callbacks.core.numbers import NumberCheck

State = Literal["new", "offered", "entering", "confirming", "requesting", "closing", "done"]
Outcome = Literal["requested", "merged", "declined", "refused", "invalid_input",
                  "invalid_number", "hung_up", "preempted"]


@dataclass(frozen=True, slots=True)
class Play:
    sounds: tuple[str, ...]
    tag: str


@dataclass(frozen=True, slots=True)
class StopPlayback:
    tag: str


@dataclass(frozen=True, slots=True)
class Request:
    number: str


@dataclass(frozen=True, slots=True)
class Hangup:
    pass


@dataclass(frozen=True, slots=True)
class Done:
    outcome: Outcome
    number: str | None


Action = Play | StopPlayback | Request | Hangup | Done
Checker = Callable[[str | None], NumberCheck]


@dataclass(frozen=True, slots=True)
class DialogueSettings:
    timeout_s: float = 6.0  # after a prompt ends (or the last digit) with no key
    retries: int = 2  # invalid answers tolerated before the clear end
    max_digits: int = 15


def digit_sounds(number: str) -> tuple[str, ...]:
    return tuple(P.callback_digit_name(d) for d in number if d.isdigit())


class OfferDialogue:
    def __init__(self, caller: str | None, check: Checker, settings: DialogueSettings) -> None:
        self.caller = caller
        self.check = check
        self.settings = settings
        self.state: State = "new"
        self.number: str | None = None
        self.outcome: Outcome | None = None
        self._digits = ""
        self._errors = 0
        self._tag: str | None = None  # playing prompt
        self._deadline: float | None = None
        self._n = 0

    def next_deadline(self) -> float | None:
        return self._deadline

    # -- inputs --------------------------------------------------------------------------
    def start(self, now: float) -> list[Action]:
        if self.state != "new":
            return []
        self.state = "offered"
        return [self._play((P.CB_OFFER,))]

    def on_playback_finished(self, tag: str, now: float) -> list[Action]:
        if tag != self._tag:
            return []  # a stopped or superseded prompt
        self._tag = None
        if self.state == "closing":
            return self._finish(hangup=self.outcome in ("requested", "merged"))
        if self.state in ("offered", "entering", "confirming"):
            self._deadline = now + self.settings.timeout_s
        return []

    def on_dtmf(self, digit: str, now: float) -> list[Action]:
        old = self._tag
        actions = self._key(digit, now)
        if actions and old is not None:  # a key that does something barges into the prompt
            if self._tag == old:
                self._tag = None
            actions = [StopPlayback(old), *actions]
        return actions

    def _key(self, digit: str, now: float) -> list[Action]:
        if self.state == "offered":
            return self._accept(now) if digit == "1" else []
        if self.state == "entering":
            return self._enter(digit, now)
        if self.state == "confirming":
            if digit == "1" and self.number is not None:
                self.state, self._deadline = "requesting", None
                return [Request(self.number)]
            if digit == "2":
                return self._ask_number(())
            return self._invalid("invalid_input", self._readback)
        return []

    def on_timer(self, now: float) -> list[Action]:
        if self._deadline is None or now < self._deadline:
            return []
        self._deadline = None
        if self.state == "offered":
            self.outcome = "declined"
            return self._finish(hangup=False)
        if self.state == "entering" and self._digits:
            return self._enter("#", now)
        if self.state == "entering":
            return self._invalid("invalid_input", lambda pre: self._ask_number(pre))
        if self.state == "confirming":
            return self._invalid("invalid_input", self._readback)
        return []

    def on_request_result(self, result: str, now: float) -> list[Action]:
        """The book's answer to :class:`Request`: requested, merged or a refusal."""
        if self.state != "requesting":
            return []
        self.state = "closing"
        if result in ("requested", "merged"):
            self.outcome = "requested" if result == "requested" else "merged"
            return [self._play((P.CB_CONFIRMED if result == "requested" else P.CB_MERGED,))]
        self.outcome = "refused"
        return [self._play((P.CB_UNAVAILABLE,))]

    def on_preempted(self, now: float) -> list[Action]:
        """An agent is being offered the caller: the dialogue stops (the shell silences the
        prompt), unless the callback is being booked or was booked."""
        if self.state in ("done", "requesting") or self.outcome in ("requested", "merged"):
            return []
        self.outcome = self.outcome or "preempted"
        self.state, self._deadline = "done", None
        stop: list[Action] = [StopPlayback(self._tag)] if self._tag is not None else []
        self._tag = None
        return [*stop, Done(self.outcome, self.number)]

    def on_hangup(self, now: float) -> list[Action]:
        if self.state == "done":
            return []
        if self.outcome is None:
            self.outcome = "hung_up"
        self.state, self._deadline = "done", None
        return [Done(self.outcome, self.number)]

    # -- steps ---------------------------------------------------------------------------
    def _accept(self, now: float) -> list[Action]:
        found = self.check(self.caller)
        if found.number is None:
            return self._ask_number(())
        self.number = found.number
        return self._readback(())

    def _ask_number(self, pre: tuple[str, ...]) -> list[Action]:
        self.state, self._digits, self.number, self._deadline = "entering", "", None, None
        return [self._play((*pre, P.CB_ENTER_NUMBER))]

    def _readback(self, pre: tuple[str, ...]) -> list[Action]:
        assert self.number is not None
        self.state, self._deadline = "confirming", None
        return [self._play((*pre, P.CB_YOUR_NUMBER, *digit_sounds(self.number), P.CB_CONFIRM))]

    def _enter(self, digit: str, now: float) -> list[Action]:
        if digit.isdigit() and len(self._digits) < self.settings.max_digits:
            self._digits += digit
            self._deadline = now + self.settings.timeout_s
            return []
        if digit != "#" and digit.isdigit():
            return self._invalid("invalid_number", lambda pre: self._ask_number(pre))
        if digit != "#":
            return self._invalid("invalid_input", lambda pre: self._ask_number(pre))
        found = self.check(self._digits)
        if found.number is None:
            return self._invalid("invalid_number", lambda pre: self._ask_number(pre))
        self.number = found.number
        return self._readback(())

    def _invalid(self, why: Outcome, again: Callable[[tuple[str, ...]], list[Action]]) -> list[Action]:
        self._errors += 1
        if self._errors > self.settings.retries:
            self.state, self.outcome, self._deadline = "closing", why, None
            return [self._play((P.CB_SORRY,))]
        return again((P.CB_INVALID,))

    def _play(self, sounds: tuple[str, ...]) -> Play:
        self._n += 1
        self._tag = f"cb-{self._n}"
        return Play(sounds, self._tag)

    def _finish(self, hangup: bool) -> list[Action]:
        self.state, self._deadline = "done", None
        assert self.outcome is not None
        out: list[Action] = [Hangup()] if hangup else []
        return [*out, Done(self.outcome, self.number)]
