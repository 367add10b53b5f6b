"""Bearer-token authentication with roles (admin, supervisor scoped to teams, viewer).

Tokens come from the config (inline, file or environment) and are compared in constant time.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiohttp import web

from ccd.config import CcdConfig

ROLE_RANK = {"viewer": 0, "supervisor": 1, "admin": 2}


@dataclass(frozen=True)
class Principal:
    name: str
    role: str
    teams: frozenset[str] | None  # None = every team (admin, viewer)
    supervisor_id: str | None = None

    def may(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]

    def covers(self, teams: list[str] | tuple[str, ...] | frozenset[str]) -> bool:
        """A supervisor acts only on agents of their teams; admins act on everyone."""
        return self.teams is None or bool(self.teams.intersection(teams))


class TokenAuth:
    def __init__(self, cfg: CcdConfig) -> None:
        sup_teams = {s.id: frozenset(s.teams) for s in cfg.supervisors}
        self._tokens: list[tuple[bytes, Principal]] = []
        for tok in cfg.http.tokens:
            teams = sup_teams.get(tok.supervisor or "", frozenset()) if tok.role == "supervisor" else None
            principal = Principal(tok.name, tok.role, teams, tok.supervisor)
            self._tokens.append((tok.resolved_token().get_secret_value().encode(), principal))

    def identify(self, request: web.Request) -> Principal | None:
        header = request.headers.get("Authorization", "")
        scheme, _, presented = header.partition(" ")
        if scheme.lower() != "bearer" or not presented:
            return None
        try:
            given = presented.strip().encode("utf-8")
        except UnicodeEncodeError:  # not UTF-8 on the wire (aiohttp keeps such bytes as surrogates)
            return None
        found: Principal | None = None
        # Compare against every token so timing does not reveal which prefix matched.
        for secret, principal in self._tokens:
            if hmac.compare_digest(secret, given):
                found = principal
        return found


def agents_in_scope(who: Principal, agent_teams: Mapping[str, Sequence[str]]) -> list[str] | None:
    """The agents whose records (calls, recordings) ``who`` may reach; None means all of them."""
    if who.teams is None:
        return None
    return sorted(a for a, teams in agent_teams.items() if who.covers(list(teams)))
