"""Agents' phones as the ACD sees them: Asterisk's device state (AMI DeviceStateChange) and
ccd's own training sessions, combined (``core/agent_busy.py``) into ``AgentDeviceChanged``."""

from __future__ import annotations

from collections.abc import Callable

from ccd.acd.inputs import AgentDeviceChanged, Input
from ccd.ami.events import DeviceStateChange
from ccd.config import CcdConfig
from ccd.dispatch import Dispatcher
from ccd.queues.core.agent_busy import AgentBusy

IN_USE_STATES = frozenset({"INUSE", "BUSY", "RINGINUSE", "ONHOLD"})


class AgentDevices:
    def __init__(self, cfg: CcdConfig, submit: Callable[[Input], None]) -> None:
        self.submit = submit
        self.agent_of = {a.endpoint: a.id for a in cfg.agents}
        self.busy = AgentBusy()

    def subscribe(self, dispatcher: Dispatcher) -> None:
        dispatcher.subscribe(DeviceStateChange, self.device_state)

    def device_state(self, e: DeviceStateChange) -> None:
        agent_id = self.agent_of.get(e.device)
        if agent_id is not None:
            self.submit(AgentDeviceChanged(agent_id, self.busy.device(agent_id, e.state in IN_USE_STATES)))

    def mentoring(self, agent_id: str, on: bool) -> None:
        # Not a device state: the mentor's own phone ringing (RINGING, "not in use") must
        # not free them for queue calls while they mentor.
        self.submit(AgentDeviceChanged(agent_id, self.busy.mentoring(agent_id, on)))
