"""The sort keys of the engine's ordered indexes and of its timer heap, as named tuples:
compared as tuples (field order is the sort order), read by name."""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from ccd.queues.core.agents import Agent
    from ccd.queues.core.calls import Call


class CallKey(NamedTuple):
    """A waiting call's place in line: smallest is served first. ``seq`` is unique, so the
    Call itself is never compared."""

    neg_priority: int
    enqueued_at: float
    seq: int
    call: Call


class AgentKey(NamedTuple):
    """An available agent's place in one queue tier (the tie-break): smallest is offered
    first. The agent index keeps keys unique, so the Agent is never compared."""

    primary: float
    secondary: float
    idx: int
    agent: Agent


class TimerEntry(NamedTuple):
    """One scheduled timer. ``token`` must still match the call / agent when it fires
    (lazy invalidation); ``order`` (push order) keeps entries of one instant in order and
    unique, so ``ref`` is never compared."""

    at: float
    order: int
    kind: int
    ref: Call | Agent
    token: float
