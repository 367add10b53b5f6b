"""An agent mentor stays busy for routing while mentoring, whatever their device reports."""

from __future__ import annotations

from ccd.queues.core.agent_busy import AgentBusy


def test_device_state_does_not_free_a_mentoring_agent() -> None:
    b = AgentBusy()
    assert b.busy("m") is False
    assert b.mentoring("m", True) is True
    assert b.device("m", False) is True  # the mentor's phone rings: RINGING is "not in use"
    assert b.device("m", True) is True
    assert b.mentoring("m", False) is True  # still on a personal call
    assert b.device("m", False) is False


def test_mentoring_end_frees_only_that_agent() -> None:
    b = AgentBusy()
    b.mentoring("m", True)
    b.device("x", True)
    assert b.mentoring("m", False) is False
    assert b.busy("x") is True
