"""Routing policy rules: tier order, tie-break keys, tier widening, VIP priority."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ccd.queues.core.keys import AgentKey
from ccd.queues.core.specs import QueueSpec

if TYPE_CHECKING:
    from ccd.queues.core.agents import Agent, Membership

_SENIORITY_FIRST: tuple[tuple[str, ...], ...] = (("senior",), ("regular",), ("trainee",))
_TRAINEE_FIRST: tuple[tuple[str, ...], ...] = (("trainee",), ("regular",), ("senior",))


def tier_order(spec: QueueSpec) -> tuple[tuple[str, ...], ...]:
    """Tiers of seniorities in preference order; explicit ``tiers`` override the policy."""
    if spec.tiers is not None:
        return tuple(tuple(t) for t in spec.tiers if t)
    return _TRAINEE_FIRST if spec.policy == "trainee_first" else _SENIORITY_FIRST


def effective_priority(spec: QueueSpec, caller: str | None, priority: int) -> int:
    if caller is not None and caller in spec.vip_numbers:
        return max(priority, spec.vip_priority)
    return priority


def tier_open(rank: int, enqueued_at: float, widen_after: float, now: float) -> bool:
    """Is the ``rank``-th non-empty tier open for a call enqueued at ``enqueued_at``?

    Written as ``enqueued_at + rank * widen_after <= now`` so that it agrees exactly with the
    widening deadlines the engine schedules (no float drift between the two).
    """
    return rank == 0 or widen_after <= 0 or enqueued_at + rank * widen_after <= now


def next_widen_step(enqueued_at: float, widen_after: float, now: float, tiers: int) -> int | None:
    """The first widening step n (deadline ``enqueued_at + n * widen_after``) still ahead."""
    if widen_after <= 0 or tiers < 2:
        return None
    n = max(1, int((now - enqueued_at) // widen_after))
    while n > 1 and enqueued_at + (n - 1) * widen_after > now:
        n -= 1
    while enqueued_at + n * widen_after <= now:
        n += 1
    return n if n < tiers else None


def agent_key(agent: Agent, m: Membership) -> AgentKey:
    """Sort key of an available agent inside one queue tier: smallest is served first."""
    tie = m.queue.spec.tie_break
    if tie == "fewest_calls":
        return AgentKey(agent.handled, agent.idle_since, agent.idx, agent)
    if tie == "round_robin":
        # Stamp of the last offer from this queue (0 = never), then member order.
        return AgentKey(m.rr_stamp, m.pos, agent.idx, agent)
    return AgentKey(agent.idle_since, 0.0, agent.idx, agent)
