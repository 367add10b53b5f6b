"""Static configuration the routing engine is built from (the config loader produces these)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Seniority = Literal["senior", "regular", "trainee"]
PolicyName = Literal["seniority_first", "trainee_first"]
TieBreak = Literal["longest_idle", "fewest_calls", "round_robin"]

SENIORITIES: tuple[Seniority, ...] = ("senior", "regular", "trainee")


@dataclass(frozen=True, slots=True)
class AgentSpec:
    id: str
    name: str
    endpoint: str  # dialable endpoint for the agent leg, e.g. "PJSIP/1001"
    seniority: Seniority
    teams: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueSpec:
    name: str
    members: tuple[str, ...]  # agent ids
    policy: PolicyName = "seniority_first"
    # Explicit tier order of seniorities; overrides the policy order. A seniority that is in
    # no tier is never offered this queue's calls by the policy (a sticky match still is).
    tiers: tuple[tuple[str, ...], ...] | None = None
    widen_after: float = 0.0  # seconds per tier step; 0 = all tiers at once
    tie_break: TieBreak = "longest_idle"
    sticky: bool = True
    sticky_wait: float = 20.0
    sticky_skip_below: int | None = None
    ring_timeout: float = 15.0
    max_missed: int = 3  # consecutive misses before auto-pause; <= 0 disables auto-pause
    wrapup: float = 10.0
    rona_rest: float = 0.0  # seconds an agent who let a call ring out gets no offer; 0 = none
    max_wait: float | None = None
    overflow_target: str | None = None
    vip_numbers: frozenset[str] = frozenset()
    vip_priority: int = 10
