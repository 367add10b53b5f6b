"""Build the engine's specs and the announcement settings from the validated config."""

from __future__ import annotations

from ccd.config import CcdConfig, normalise_number
from ccd.queues.core.announce import AnnounceSettings
from ccd.queues.core.specs import AgentSpec, QueueSpec


def agent_specs(cfg: CcdConfig) -> list[AgentSpec]:
    return [AgentSpec(a.id, a.name or a.id, a.endpoint, a.seniority, tuple(a.teams)) for a in cfg.agents]


def queue_specs(cfg: CcdConfig) -> list[QueueSpec]:
    out = []
    for q in cfg.queues:
        vips = frozenset(n for raw in q.vip_numbers if (n := normalise_number(raw, cfg)) is not None)
        out.append(QueueSpec(
            name=q.name,
            members=tuple(a.id for a in cfg.queue_members(q)),
            policy=q.policy,
            tiers=tuple(tuple(t) for t in q.tiers) if q.tiers else None,
            widen_after=q.widen_after,
            tie_break=q.tie_break,
            sticky=q.sticky,
            sticky_wait=q.sticky_wait,
            sticky_skip_below=q.sticky_skip_below,
            ring_timeout=q.ring_timeout,
            max_missed=q.max_missed,
            wrapup=q.wrapup,
            rona_rest=q.rona_rest,
            max_wait=q.max_wait,
            overflow_target=q.overflow_target,
            vip_numbers=vips,
            vip_priority=q.vip_priority,
        ))
    return out


def announce_settings(cfg: CcdConfig) -> dict[str, AnnounceSettings]:
    """Queue announcement settings of the queues that announce (absent: no announcements)."""
    return {q.name: AnnounceSettings(q.announce_frequency, q.announce_position, q.announce_holdtime)
            for q in cfg.queues if q.announce_frequency > 0}
