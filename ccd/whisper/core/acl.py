"""Who may supervise whom, who coaches which trainee, and who is calling (pure).

Built once from the config. A supervisor may supervise an agent when they share a team; a
mentor is granted their trainee by the config itself (no team check).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ccd.config import CcdConfig


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str  # "ok" or why not: unknown_supervisor, unknown_agent, not_in_teams


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    endpoint: str
    teams: frozenset[str]
    seniority: str = ""  # agents only
    mentor: str | None = None  # agents only


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    mentor: str | None
    training_mode: bool
    beep: bool


class Directory:
    def __init__(self, supervisors: Iterable[Person], agents: Iterable[Person], teams: Iterable[Team]) -> None:
        self.supervisors = {s.id: s for s in supervisors}
        self.agents = {a.id: a for a in agents}
        self.teams = {t.name: t for t in teams}
        self._by_endpoint = {s.endpoint: s.id for s in self.supervisors.values()}

    @classmethod
    def from_config(cls, cfg: CcdConfig) -> Directory:
        return cls(
            (Person(s.id, s.endpoint, frozenset(s.teams)) for s in cfg.supervisors),
            (Person(a.id, a.endpoint, frozenset(a.teams), a.seniority, a.mentor) for a in cfg.agents),
            (Team(t.name, t.mentor, t.training_mode, t.beep_on_supervision) for t in cfg.teams),
        )

    def supervisor_for_channel(self, channel_name: str, explicit: str = "") -> str | None:
        """The supervisor calling from ``channel_name`` (``PJSIP/2001-0000002a`` -> the one whose
        endpoint is ``PJSIP/2001``), or the one named by the dialplan's CCD_SUPERVISOR."""
        if explicit:
            return explicit if explicit in self.supervisors else None
        return self._by_endpoint.get(channel_name.rsplit("-", 1)[0])

    def decide(self, supervisor: str | None, agent: str) -> Decision:
        sup = self.supervisors.get(supervisor or "")
        if sup is None:
            return Decision(False, "unknown_supervisor")
        target = self.agents.get(agent)
        if target is None:
            return Decision(False, "unknown_agent")
        if not sup.teams & target.teams:
            return Decision(False, "not_in_teams")
        return Decision(True, "ok")

    def beep_for(self, agent: str) -> bool:
        target = self.agents.get(agent)
        return target is not None and any(
            self.teams[t].beep for t in target.teams if t in self.teams)

    def mentor_of(self, agent: str) -> str | None:
        """The trainee's own mentor, else the mentor of a training-mode team the trainee is in."""
        target = self.agents.get(agent)
        if target is None:
            return None
        if target.mentor:
            return target.mentor if target.mentor != agent else None
        if target.seniority != "trainee":
            return None
        for name in sorted(target.teams):
            team = self.teams.get(name)
            if team is not None and team.training_mode and team.mentor and team.mentor != agent:
                return team.mentor
        return None

    def endpoint_of(self, person: str) -> str | None:
        """A supervisor's or agent's phone (mentors can be either)."""
        found = self.supervisors.get(person) or self.agents.get(person)
        return found.endpoint if found else None

    def teams_of_agent(self, agent: str) -> frozenset[str]:
        target = self.agents.get(agent)
        return target.teams if target else frozenset()
