"""The ACD: pure routing engine (functional core) plus its typed inputs and commands."""

from ccd.queues.commands import CancelOffer, Command, Connect, Offer, Overflow, Record
from ccd.queues.engine import AcdEngine
from ccd.queues.inputs import (
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
from ccd.queues.snapshot import AgentView, CallView, EngineSnapshot, QueueView
from ccd.queues.specs import AgentSpec, QueueSpec

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
