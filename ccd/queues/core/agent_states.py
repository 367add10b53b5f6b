"""The legal agent-state transitions, in one table, checked at every change.

Every change of an agent's state goes through :func:`check`; a transition that is not in
the table is a bug in the engine and raises :class:`IllegalTransition` at once, naming the
agent and the two states, instead of leaving an inconsistent floor behind.
"""

from __future__ import annotations

from typing import Final

from ccd.queues.core.agents import AVAILABLE, LOGGED_OUT, ON_CALL, PAUSED, RINGING, WRAP_UP, AgentState

# state -> the states it may change to. Restoring a connected call after a restart puts an
# agent on_call from wherever the engine had them; a paused agent may pause again with
# another reason.
TRANSITIONS: Final[dict[AgentState, frozenset[AgentState]]] = {
    LOGGED_OUT: frozenset({AVAILABLE, ON_CALL}),
    AVAILABLE: frozenset({RINGING, ON_CALL, PAUSED, LOGGED_OUT}),
    RINGING: frozenset({ON_CALL, AVAILABLE, WRAP_UP, PAUSED, LOGGED_OUT}),
    ON_CALL: frozenset({WRAP_UP, AVAILABLE, PAUSED, LOGGED_OUT}),
    WRAP_UP: frozenset({AVAILABLE, ON_CALL, PAUSED, LOGGED_OUT}),
    PAUSED: frozenset({AVAILABLE, ON_CALL, PAUSED, LOGGED_OUT}),
}


class IllegalTransition(RuntimeError):
    """The engine tried an agent-state change the table does not allow."""

    def __init__(self, agent_id: str, previous: AgentState, state: AgentState) -> None:
        super().__init__(f"agent {agent_id!r}: illegal state change {previous} -> {state}")
        self.agent_id, self.previous, self.state = agent_id, previous, state


def check(agent_id: str, previous: AgentState, state: AgentState) -> None:
    if state not in TRANSITIONS[previous]:
        raise IllegalTransition(agent_id, previous, state)
