"""AMI: the connection (``AmiClient``), typed events and errors."""

from ccd.ami.client import AmiClient
from ccd.ami.errors import (
    AmiActionError,
    AmiAuthError,
    AmiConnectionLost,
    AmiError,
    AmiNotConnected,
    AmiTimeout,
)
from ccd.ami.events import (
    EVENT_TYPES,
    AgentCalled,
    AgentComplete,
    AgentConnect,
    AgentRingNoAnswer,
    AmiEvent,
    ContactStatus,
    DeviceStateChange,
    ExtensionStatus,
    FullyBooted,
    PeerStatus,
    QueueCallerAbandon,
    QueueCallerJoin,
    QueueCallerLeave,
    QueueMemberAdded,
    QueueMemberPause,
    QueueMemberRemoved,
    QueueMemberStatus,
    Reload,
    Shutdown,
)

__all__ = [
    "EVENT_TYPES", "AgentCalled", "AgentComplete", "AgentConnect", "AgentRingNoAnswer",
    "AmiActionError", "AmiAuthError", "AmiClient", "AmiConnectionLost", "AmiError", "AmiEvent",
    "AmiNotConnected", "AmiTimeout", "ContactStatus", "DeviceStateChange", "ExtensionStatus",
    "FullyBooted", "PeerStatus", "QueueCallerAbandon", "QueueCallerJoin", "QueueCallerLeave",
    "QueueMemberAdded", "QueueMemberPause", "QueueMemberRemoved", "QueueMemberStatus", "Reload",
    "Shutdown",
]
