"""The ARI floor's call handling (ccd/sandbox/ari_floor.py), as bench/load.py --app floor
relies on it: callers wait for a free agent in arrival order, either side's hang-up ends the
other, and the agent and bridge serve the next caller."""

from __future__ import annotations

from typing import Any

from ccd.sandbox.ari_floor import AriFloor


class Recording(AriFloor):
    def __init__(self, endpoints: list[str]) -> None:
        super().__init__("http://127.0.0.1:1", "u", "p", "app", endpoints)
        self.bridges = ["b1"]  # start() would create them on Asterisk
        self.sent: list[tuple[str, str, dict[str, str] | None]] = []

    def _fire(self, method: str, path: str, params: dict[str, str] | None = None) -> None:
        self.sent.append((method, path, params))

    def take(self) -> list[tuple[str, str, dict[str, str] | None]]:
        sent, self.sent = self.sent, []
        return sent


def start(chan: str, *args: str) -> dict[str, Any]:
    return {"type": "StasisStart", "args": list(args), "channel": {"id": chan}}


def end(chan: str) -> dict[str, Any]:
    return {"type": "StasisEnd", "channel": {"id": chan}}


def originate(caller: str) -> tuple[str, str, dict[str, str]]:
    return ("POST", "/channels", {"endpoint": "E1", "app": "app", "appArgs": f"agent,{caller}",
                                  "channelId": f"floor-ag-{caller}"})


def test_one_agent_serves_callers_in_turn_and_either_side_ends_the_call() -> None:
    f = Recording(["E1"])
    f._on(start("c1", "queue", "load"))
    assert f.take() == [originate("c1")]
    f._on(start("c2", "queue", "load"))
    f._on(start("c3", "queue", "load"))
    assert f.take() == []  # no agent free: they wait
    f._on(start("floor-ag-c1", "agent", "c1"))  # the agent answers
    assert f.take() == [("POST", "/bridges/b1/addChannel", {"channel": "c1,floor-ag-c1"})]
    f._on(end("c2"))  # gives up waiting
    assert f.take() == []
    f._on(end("floor-ag-c1"))  # the agent hangs up: the caller goes, the next caller is offered
    assert f.take() == [("DELETE", "/channels/c1", None), originate("c3")]
    f._on(end("c1"))  # the caller's own end after that changes nothing
    assert f.take() == []
    f._on(end("c3"))  # hangs up while the agent rings: the leg is ended
    assert f.take() == [("DELETE", "/channels/floor-ag-c3", None)]
    assert f.status() == {"answered": 1, "abandoned": 2, "waiting": 0, "connected": 0}
    assert f.free == ["E1"] and f.bridges == ["b1"]


def test_the_caller_hanging_up_ends_the_agent_leg_and_a_late_answer_is_hung_up() -> None:
    f = Recording(["E1"])
    f._on(start("c1", "queue", "load"))
    f._on(start("floor-ag-c1", "agent", "c1"))
    f.take()
    f._on(end("c1"))
    assert f.take() == [("DELETE", "/channels/floor-ag-c1", None)]
    f._on(end("floor-ag-c1"))
    f._on(start("floor-ag-c9", "agent", "c9"))  # answered after its caller was gone
    assert f.take() == [("DELETE", "/channels/floor-ag-c9", None)]
    assert f.status() == {"answered": 1, "abandoned": 0, "waiting": 0, "connected": 0}
