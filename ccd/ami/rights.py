"""What ccd asks of Asterisk's AMI, and so the classes its AMI user needs: no more.

Asterisk runs an action when the user's write classes share one class with the action's
authority (main/manager.c checks ``writeperm & authority``; authority 0 = any logged-in user),
and sends an event only when the user's read classes include the event's class. The tables
are the single place that says which actions ccd sends and which events it consumes; a unit
test checks them against every call site, and ``ccd asterisk-config`` renders the AMI user
from them. Classes as Asterisk 16-22 register them (main/manager.c, main/db.c,
main/devicestate.c, main/asterisk.c).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

# Action -> the classes Asterisk accepts for it (any one suffices; empty: none needed).
ACTIONS: Final[Mapping[str, frozenset[str]]] = {
    "Login": frozenset(),
    "Ping": frozenset(),  # the keepalive (ccd.ami.client)
    # Agent login/pause state in AstDB, read back at start (ccd.queues.agent_persist); ARI
    # writes it. ``reporting`` is the read-only choice: ``system`` also reloads and unloads.
    "DBGet": frozenset({"system", "reporting"}),
}

# Event -> its class.
EVENTS: Final[Mapping[str, str]] = {
    "FullyBooted": "system",  # AMI is up only once Asterisk has booted (ccd.ami.client)
    "DeviceStateChange": "call",  # agent phone busy / free (ccd.daemon)
}


def write_classes(actions: Mapping[str, frozenset[str]] = ACTIONS) -> list[str]:
    """The smallest set of classes that lets every action through.

    Actions with a single choice decide first; an action that is then already allowed adds
    nothing; otherwise its alphabetically first class is taken (deterministic output)."""
    chosen: set[str] = set()
    for classes in sorted(actions.values(), key=len):
        if classes and not classes & chosen:
            chosen.add(min(classes))
    return sorted(chosen)


def read_classes(events: Mapping[str, str] = EVENTS) -> list[str]:
    return sorted(set(events.values()))
