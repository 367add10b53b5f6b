"""The ACD. ``core/`` is the pure routing engine (typed inputs in, commands and domain events
out); the modules beside it are its shell: the service that feeds it, the executor that runs
its commands on Asterisk (given the other features' ``CallHooks`` at construction, answering
``CallQuery``), stickiness, agent state persistence, the announcer and its wiring (``wire``),
and the live-state and agent-action routes (``routes``)."""

from ccd.acd.commands import CancelOffer, Command, Connect, Offer, Overflow, Record
from ccd.acd.inputs import (
    AgentDeviceChanged,
    AgentLoggedIn,
    AgentLoggedOut,
    AgentPaused,
    AgentUnpaused,
    CallAbandoned,
    CallArrived,
    CallEnded,
    CallRestoredConnected,
    Input,
    OfferAnswered,
    OfferFailed,
)
from ccd.queues.core.engine import AcdEngine
from ccd.queues.core.specs import AgentSpec, QueueSpec
from ccd.snapshot import AgentView, CallView, EngineSnapshot, QueueView

__all__ = [
    "AcdEngine",
    "AgentDeviceChanged",
    "AgentLoggedIn",
    "AgentLoggedOut",
    "AgentPaused",
    "AgentSpec",
    "AgentUnpaused",
    "AgentView",
    "CallAbandoned",
    "CallArrived",
    "CallEnded",
    "CallRestoredConnected",
    "CallView",
    "CancelOffer",
    "Command",
    "Connect",
    "EngineSnapshot",
    "Input",
    "Offer",
    "OfferAnswered",
    "OfferFailed",
    "Overflow",
    "QueueSpec",
    "QueueView",
    "Record",
]
