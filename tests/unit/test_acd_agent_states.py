"""The legal agent-state transitions live in one table; every change is checked against it."""

from __future__ import annotations

from typing import get_args

import pytest

from ccd.events import EventIds
from ccd.queues import AcdEngine, AgentLoggedIn, AgentSpec, QueueSpec
from ccd.queues.core import agent_states
from ccd.queues.core.agent_states import TRANSITIONS, IllegalTransition
from ccd.queues.core.agents import AgentState
from ccd.queues.core.state import set_state


def test_the_table_covers_every_state() -> None:
    states = set(get_args(AgentState))
    assert set(TRANSITIONS) == states
    assert all(targets <= states for targets in TRANSITIONS.values())


def test_an_illegal_change_raises_a_clear_error() -> None:
    with pytest.raises(IllegalTransition, match=r"agent 'a1': illegal state change logged_out -> wrap_up"):
        agent_states.check("a1", "logged_out", "wrap_up")


def test_the_engine_checks_every_change() -> None:
    engine = AcdEngine([AgentSpec("a1", "A1", "PJSIP/a1", "regular")], [QueueSpec("q", ("a1",))], ids=EventIds(0))
    engine.handle(AgentLoggedIn("a1"), 1.0)
    st = engine.state
    a = st.agents["a1"]
    assert a.state == "available"
    with pytest.raises(IllegalTransition):
        set_state(st, a, "wrap_up")  # wrap-up follows a call, never an idle phone
    assert a.state == "available"  # nothing half-done
