"""Whether an agent's phone is taken by something other than a queue call, from two sources
that must not overwrite each other: Asterisk's device state (a personal call) and ccd's own
training sessions (an agent mentor's phone rings or listens). Either one makes the agent busy.
"""

from __future__ import annotations


class AgentBusy:
    def __init__(self) -> None:
        self._device: dict[str, bool] = {}
        self._mentoring: set[str] = set()

    def busy(self, agent_id: str) -> bool:
        return self._device.get(agent_id, False) or agent_id in self._mentoring

    def device(self, agent_id: str, in_use: bool) -> bool:
        """Asterisk reported the agent's device state; returns the combined busy flag."""
        self._device[agent_id] = in_use
        return self.busy(agent_id)

    def mentoring(self, agent_id: str, on: bool) -> bool:
        """A training session started (rings) or ended for an agent mentor."""
        if on:
            self._mentoring.add(agent_id)
        else:
            self._mentoring.discard(agent_id)
        return self.busy(agent_id)
