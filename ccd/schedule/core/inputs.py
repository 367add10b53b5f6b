"""From the config to solver inputs: opening hours per interval, roster agents (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from ccd.config import CcdConfig
from ccd.schedule.core.model import DAY_MIN, PlanRequest
from ccd.schedule.core.settings import WEEKDAY_KEYS, minutes_of_day, opening_span
from ccd.schedule.core.staff import Preference, RosterAgent, RosterRules


def horizon_start(first_day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(first_day, time(0), tzinfo=tz)


def to_instant(first_day: date, minute: int, tz: ZoneInfo) -> datetime:
    """Wall-clock minute of the horizon to an aware instant (local day + time of day)."""
    day, tod = divmod(minute, DAY_MIN)
    local = datetime.combine(first_day + timedelta(days=day), time(0), tzinfo=tz)
    return (local + timedelta(minutes=tod)).astimezone(tz)


def open_intervals(cfg: CcdConfig, first_day: date, days: int) -> list[bool]:
    L = cfg.schedule.interval
    out = []
    for d in range(days):
        lo, hi = cfg.schedule.opening((first_day + timedelta(days=d)).weekday())
        out += [lo <= s * L and (s + 1) * L <= hi for s in range(DAY_MIN // L)]
    return out


def plan_request(cfg: CcdConfig, need: Sequence[int], first_day: date, days: int) -> PlanRequest:
    sc = cfg.schedule
    if not sc.templates:
        raise ValueError("schedule: no shift templates configured ([[schedule.templates]])")
    L = sc.interval
    heads = [sc.heads_at((first_day + timedelta(days=d)).weekday(), s * L)
             for d in range(days) for s in range(DAY_MIN // L)][:len(need)]
    return PlanRequest(
        L, list(need), [t.template() for t in sc.templates],
        open_=open_intervals(cfg, first_day, days),
        min_heads=[lo for lo, _ in heads],
        max_heads=None if all(hi is None for _, hi in heads) else [hi for _, hi in heads],
        time_limit_s=sc.time_limit,
    )


def to_minute(t: datetime, first_day: date, tz: ZoneInfo) -> int:
    """An instant to the horizon's wall-clock minutes (the inverse of ``to_instant``)."""
    local = _aware(t, tz).astimezone(tz)
    return (local.date() - first_day).days * DAY_MIN + local.hour * 60 + local.minute


def unavailable_hours(available: dict[str, str], first_day: date, days: int,
                      ) -> list[tuple[int, int]]:
    """The weekly availability (weekday -> span; missing day = all day) as the spans of the
    horizon outside it."""
    out = []
    for d in range(days):
        span = available.get(WEEKDAY_KEYS[(first_day + timedelta(days=d)).weekday()])
        if span is None:
            continue
        lo, hi = opening_span(span)
        base = d * DAY_MIN
        out += [(base + a, base + b) for a, b in ((0, lo), (hi, DAY_MIN)) if a < b]
    return out


def roster_agents(cfg: CcdConfig, queue: str, first_day: date, days: int = 62,
                  ) -> list[RosterAgent]:
    """The queue's members plus the agents of ``[[schedule.agents]]`` (which also carry the
    contract, availability, time off and preferences; an agent without an entry gets 0-40 h
    a week and is always available)."""
    tz = cfg.tz
    by_id = {a.id: a for a in cfg.agents}
    members = {q.name: {a.id for a in cfg.queue_members(q)} for q in cfg.queues}
    listed = cfg.schedule.agents or []
    queue_cfg = next((q for q in cfg.queues if q.name == queue), None)
    ids = [a.id for a in cfg.queue_members(queue_cfg)] if queue_cfg else []
    ids += [a.id for a in listed if a.id not in ids]
    team_mentors = {t.mentor for t in cfg.teams if t.mentor}
    out = []
    for agent_id in ids:
        base = by_id.get(agent_id)
        if base is None:
            raise ValueError(f"schedule.agents: {agent_id!r} is not an agent of [[agents]]")
        extra = next((a for a in listed if a.id == agent_id), None)
        skills = {q for q, ids_ in members.items() if agent_id in ids_}
        if extra is not None and extra.queues is not None:
            skills = set(extra.queues)
        off = tuple(
            [(to_minute(t.start, first_day, tz), to_minute(t.end, first_day, tz))
             for t in (extra.time_off if extra else [])]
            + (unavailable_hours(extra.available, first_day, days) if extra else []))
        prefs = tuple(
            Preference(p.weight, p.template,
                       None if p.weekday is None else WEEKDAY_KEYS.index(p.weekday),
                       None if p.start_from is None else minutes_of_day(p.start_from),
                       None if p.start_to is None else minutes_of_day(p.start_to))
            for p in (extra.preferences if extra else [])
        )
        out.append(RosterAgent(
            agent_id, base.seniority, mentor=bool(extra and extra.mentor) or agent_id in team_mentors,
            skills=frozenset(skills),
            min_week_min=round((extra.min_hours if extra else 0.0) * 60),
            max_week_min=round((extra.max_hours if extra else 40.0) * 60),
            unavailable=off, preferences=prefs,
        ))
    return out


def _aware(t: datetime, tz: ZoneInfo) -> datetime:
    return t if t.tzinfo is not None else t.replace(tzinfo=tz)


def roster_rules(cfg: CcdConfig, queue: str, first_day: date, days: int) -> RosterRules:
    sc = cfg.schedule
    return RosterRules(round(sc.min_rest_hours * 60), sc.rest_days, queue, first_day.weekday(),
                       days, sc.time_limit)
