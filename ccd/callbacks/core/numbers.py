"""Which numbers ccd may call back: normalised like sticky routing's, then an allowlist.

The allowlist is a tuple of regular expressions matched in full against the normalised
number (E.164 ``+CC...`` when a country code is configured). An empty allowlist allows
nothing, so premium or foreign numbers are only called when a pattern says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

Normaliser = Callable[[str | None], str | None]

MIN_DIGITS = 3
MAX_DIGITS = 15  # E.164


@dataclass(frozen=True, slots=True)
class NumberCheck:
    number: str | None  # the normalised number when allowed
    reason: str | None  # why not: anonymous | malformed | not_allowed


def compile_allowlist(patterns: Sequence[str]) -> tuple[re.Pattern[str], ...]:
    """Compile the configured patterns; a bad one raises ValueError naming it."""
    out = []
    for p in patterns:
        try:
            out.append(re.compile(p))
        except re.error as exc:
            raise ValueError(f"invalid callback number pattern {p!r}: {exc}") from exc
    return tuple(out)


def check_number(
    raw: str | None, normalise: Normaliser, allow: Sequence[re.Pattern[str]]
) -> NumberCheck:
    number = normalise(raw)
    if number is None:
        return NumberCheck(None, "anonymous" if not raw or not raw.strip("+").isdigit() else "malformed")
    digits = number.lstrip("+")
    if not MIN_DIGITS <= len(digits) <= MAX_DIGITS:
        return NumberCheck(None, "malformed")
    if not any(p.fullmatch(number) for p in allow):
        return NumberCheck(None, "not_allowed")
    return NumberCheck(number, None)
