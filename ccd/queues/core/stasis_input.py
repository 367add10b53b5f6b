"""What the dialplan hands ccd in ``Stasis()`` arguments, read strictly (pure).

The arguments carry text that callers and phones chose (dialled digits, a priority a trunk
may set), so nothing is trusted: a priority is ASCII digits with an optional sign, clamped;
an agent feature code names an agent only from the phone of that agent or from a phone the
config lists as shared; a pause reason obeys the same rule as the API's. A refusal is an
audit event (``agent.feature_refused``) naming the phone, the code, the agent meant and why.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Final

from ccd import events as ev
from ccd.acd.inputs import AgentLoggedIn, AgentLoggedOut, AgentPaused, AgentUnpaused

PRIORITY_LIMIT: Final = 1000  # |priority| a call may bring; more says nothing more
_PRIORITY = re.compile(r"[+-]?[0-9]{1,9}")  # [0-9], not \d: no superscripts or other digits
# The API's pause reason (ccd.api.app.PauseBody uses this pattern too).
PAUSE_REASON_PATTERN: Final = r"^[A-Za-z0-9_ .-]{1,64}$"
_REASON = re.compile(PAUSE_REASON_PATTERN)
DEFAULT_PAUSE_REASON: Final = "break"
FEATURES: Final = frozenset({"login", "logout", "pause", "unpause"})
# What the shipped dialplan refused itself (characters that could add Stasis() arguments):
# it still hands the code to ccd, without the text, so that the refusal is audited.
BAD_CHARACTERS: Final = "bad_characters"

AgentAction = AgentLoggedIn | AgentLoggedOut | AgentPaused | AgentUnpaused


def parse_priority(text: str) -> int | None:
    """The call's priority, clamped to ±PRIORITY_LIMIT; 0 when absent; None when malformed."""
    if text == "":
        return 0
    if _PRIORITY.fullmatch(text) is None:
        return None
    return max(-PRIORITY_LIMIT, min(PRIORITY_LIMIT, int(text)))


def endpoint_of(channel_name: str) -> str:
    """``PJSIP/1001-0000002a`` -> ``PJSIP/1001`` (the device a call came from)."""
    return channel_name.rsplit("-", 1)[0]


@dataclass(frozen=True, slots=True)
class Refused:
    reason: str  # unknown_feature | unknown_phone | unknown_agent | not_shared_phone | bad_reason | bad_characters
    actor: str
    target: str | None = None  # the agent the code meant: the id dialled, else the phone's own


def feature_action(feature: str, explicit: str, reason: str, phone: str,
                   agents_by_endpoint: Mapping[str, str], agent_ids: Collection[str],
                   shared_phones: Collection[str], dialplan_refused: str = "") -> AgentAction | Refused:
    """What an agent feature code dialled from ``phone`` (an endpoint) may do.

    Without an id the phone's own agent is meant. With an id (``*72<id>*<reason>``) the phone
    must be that agent's own or a shared phone: otherwise anyone could pause anyone."""
    actor = f"endpoint:{phone}"
    own = agents_by_endpoint.get(phone)
    target = explicit or own
    if dialplan_refused:
        return Refused(BAD_CHARACTERS, actor, own)
    if feature not in FEATURES:
        return Refused("unknown_feature", actor, target)
    if explicit:
        if explicit not in agent_ids:
            return Refused("unknown_agent", actor, target)
        if explicit != own and phone not in shared_phones:
            return Refused("not_shared_phone", actor, target)
        agent_id = explicit
    elif own is None:
        return Refused("unknown_phone", actor)
    else:
        agent_id = own
    if feature == "pause":
        if reason and _REASON.fullmatch(reason) is None:
            return Refused("bad_reason", actor, target)
        return AgentPaused(agent_id, reason or DEFAULT_PAUSE_REASON, actor=actor)
    if reason:
        return Refused("bad_reason", actor, target)  # only a pause takes a reason
    if feature == "login":
        return AgentLoggedIn(agent_id, actor=actor)
    if feature == "logout":
        return AgentLoggedOut(agent_id, actor=actor)
    return AgentUnpaused(agent_id, actor=actor)


def refusal_event(refused: Refused, feature: str, pause_reason: str, channel_id: str, now: float,
                  agent_ids: Collection[str]) -> ev.AgentFeatureRefused:
    """The audit of a refused code. What the phone dialled is kept short and printable (it is
    the caller's text); ``agent_id`` only names an agent that exists."""
    target = refused.target
    return ev.AgentFeatureRefused(
        ts=ev.utc(now), event_id=ev.derived_id(ev.AGENT_FEATURE_REFUSED, channel_id, now),
        call_id=channel_id, agent_id=target if target in agent_ids else None, actor=refused.actor,
        feature=_shown(feature, 20), reason=refused.reason, target=_shown(target, 64) if target else None,
        pause_reason=_shown(pause_reason, 64) if pause_reason else None)


def _shown(text: str, limit: int) -> str:
    return "".join(c if c.isprintable() else "?" for c in text[:limit])
