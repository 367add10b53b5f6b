"""A fake daemon backend for API tests: a config with teams, tokens and a fixed snapshot."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp.test_utils import TestClient
from prometheus_client import CollectorRegistry

from ccd.acd.inputs import Input
from ccd.config import CcdConfig
from ccd.metrics import Metrics
from ccd.snapshot import AgentView, CallView, EngineSnapshot, QueueView

TOKENS = {"admin": "adm-secret-1", "sup": "sup-secret-1", "viewer": "view-secret-1"}
AUTH = {name: {"Authorization": f"Bearer {tok}"} for name, tok in TOKENS.items()}


def config(**http: Any) -> CcdConfig:
    return CcdConfig.model_validate({
        "http": {"tokens": [{"name": "admin", "role": "admin", "token": TOKENS["admin"]},
                            {"name": "sup", "role": "supervisor", "token": TOKENS["sup"], "supervisor": "S1"},
                            {"name": "viewer", "role": "viewer", "token": TOKENS["viewer"]}], **http},
        "teams": [{"name": "t1"}, {"name": "t2"}],
        "agents": [{"id": "A", "endpoint": "PJSIP/a", "teams": ["t1"]},
                   {"id": "B", "endpoint": "PJSIP/b", "teams": ["t2"]}],
        "supervisors": [{"id": "S1", "endpoint": "PJSIP/s1", "teams": ["t1"]}],
        "queues": [{"name": "support", "teams": ["t1", "t2"]}],
    })


def agent_view(agent_id: str, state: str) -> AgentView:
    return AgentView(agent_id, agent_id, state, None, 1.0, None, 0, 2, 1, False, None)  # type: ignore[arg-type]


class FakeBackend:
    def __init__(self, cfg: CcdConfig | None = None) -> None:
        self.cfg = cfg or config()
        self.registry = CollectorRegistry()
        self.ready = True
        self.submitted: list[Input] = []
        self.metrics = Metrics.from_config(self.cfg, self.snapshot, dict, self.registry)

    def readiness(self) -> dict[str, bool]:
        return {"ami": self.ready, "ari": True, "database": True, "resynced": True}

    def snapshot(self) -> EngineSnapshot:
        call = CallView("c1", "+4930111", 0, 4.5, "waiting", None, None, 0)
        return EngineSnapshot(now=100.0, queues={"support": QueueView("support", (call,), 1, 2)},
                              agents={"A": agent_view("A", "available"), "B": agent_view("B", "on_call")})

    def submit(self, inp: Input) -> None:
        self.submitted.append(inp)


# The make_client fixture (tests/unit/conftest.py): an API app with the report routes.
MakeClient = Callable[..., Awaitable[TestClient[Any, Any]]]
