"""Per-queue settings of the post-call rating survey."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Final

from ccd import prompts as P

# The prompt roles a queue may override; the value is a prompt name (see prompts.sound_name).
ROLES: Final = (P.RATE_CALL, P.INVALID, P.THANK_YOU, P.GOODBYE_NO_INPUT, P.RATING_FOLLOWS)


@dataclass(frozen=True)
class SurveySettings:
    """How one queue runs its survey.

    ``timeout_s`` runs from the end of the rating prompt. ``retries`` is how many times an
    invalid key replays the prompt (so at most ``retries + 1`` prompts). ``prompts`` maps a
    role (``rate-call``, ``invalid``, ``thank-you``, ``goodbye-no-input``,
    ``rating-follows``) to the admin's own prompt name; missing roles use ccd's prompts in
    ``language`` (``rate-call`` picks the question matching ``scale_max``).
    ``playback_guard_s`` bounds a prompt whose PlaybackFinished never arrives (ARI can
    lose a play): after it, the survey carries on as if the prompt had ended.
    """

    enabled: bool = True
    scale_max: int = P.DEFAULT_SCALE
    language: str = "en"
    timeout_s: float = 8.0
    retries: int = 2
    prompts: Mapping[str, str] = field(default_factory=dict)
    announce_at_start: bool = False
    playback_guard_s: float = 60.0

    def __post_init__(self) -> None:
        if (
            isinstance(self.scale_max, bool)
            or not isinstance(self.scale_max, int)
            or (self.scale_max not in P.SCALES)
        ):
            raise ValueError(f"scale_max must be an integer 2..9, got {self.scale_max!r}")
        if (
            isinstance(self.retries, bool)
            or not isinstance(self.retries, int)
            or not (0 <= self.retries <= 9)
        ):
            raise ValueError(f"retries must be an integer 0..9, got {self.retries!r}")
        for name in ("timeout_s", "playback_guard_s"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
        P.check_language(self.language)
        unknown = sorted(set(self.prompts) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown prompt role(s) {unknown}; known: {list(ROLES)}")
        for prompt in self.prompts.values():
            P.check_name(prompt)
        # Freeze the overrides too: the dataclass is frozen, its mapping should be.
        object.__setattr__(self, "prompts", MappingProxyType(dict(self.prompts)))

    def __hash__(self) -> int:  # the mapping is unhashable; hash its items
        return hash(
            (
                self.enabled,
                self.scale_max,
                self.language,
                self.timeout_s,
                self.retries,
                tuple(sorted(self.prompts.items())),
                self.announce_at_start,
                self.playback_guard_s,
            )
        )

    def prompt(self, role: str) -> str:
        """The prompt name used for ``role`` (override or ccd's default)."""
        if role not in ROLES:
            raise KeyError(role)
        default = P.rate_prompt_name(self.scale_max) if role == P.RATE_CALL else role
        return self.prompts.get(role, default)

    def uri(self, role: str) -> str:
        """The ARI media URI for ``role``, e.g. ``sound:ccd/ru/thank-you``."""
        return P.sound_uri(self.language, self.prompt(role))

    def prompt_names(self) -> tuple[str, ...]:
        """Every prompt this queue can play: what ``check-config`` must find on disk."""
        if not self.enabled:
            return ()
        roles = ROLES if self.announce_at_start else ROLES[:-1]
        return tuple(self.prompt(role) for role in roles)
