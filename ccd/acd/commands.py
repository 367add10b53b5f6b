"""Commands the ACD engine returns; only the executor performs them."""

from __future__ import annotations

from dataclasses import dataclass, field

from ccd.record import Record as Record  # shared by every core (ccd.record)


@dataclass(frozen=True, slots=True)
class Offer:
    """Ring ``endpoint`` for ``call_id``; report OfferAnswered / OfferFailed back."""

    call_id: str
    agent_id: str
    endpoint: str
    timeout: float
    caller: str | None
    queue: str
    attempt: int  # 1 for the first offer of this call, +1 for each later one


@dataclass(frozen=True, slots=True)
class CancelOffer:
    """Stop ringing the agent leg (or hang it up if it has been answered meanwhile)."""

    call_id: str
    agent_id: str


@dataclass(frozen=True, slots=True)
class Connect:
    """Bridge the caller with the agent leg that answered."""

    call_id: str
    agent_id: str
    # The engine's answer time, kept on the caller channel so a restart keeps the talk time.
    answered_at: float = field(default=0.0, compare=False)


@dataclass(frozen=True, slots=True)
class Overflow:
    """Take the call out of the queue: continue in the dialplan at ``target``, or hang up."""

    call_id: str
    queue: str
    target: str | None
    reason: str


Command = Offer | CancelOffer | Connect | Overflow | Record
