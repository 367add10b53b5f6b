"""Plans in PostgreSQL (asyncpg shell): save a draft version, approve it, read it back."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from ccd.errors import Conflict, NotFound
from ccd.schedule.core.export import ShiftRow
from ccd.schedule.core.inputs import horizon_start, to_instant
from ccd.schedule.core.model import Plan
from ccd.schedule.core.staff import Roster


class Db(Protocol):
    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def fetchrow(self, query: str, *args: Any) -> Any: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...

    async def execute(self, query: str, *args: Any) -> str: ...

    async def executemany(self, query: str, args: Any) -> None: ...

    def transaction(self) -> Any: ...


@dataclass(frozen=True, slots=True)
class StoredPlan:
    id: int
    queue: str
    first_day: date
    days: int
    version: int
    status: str
    interval_min: int
    timezone: str
    model: str
    need: list[int]
    coverage: list[float]
    shortfall: list[float]
    summary: dict[str, Any]
    created_at: datetime
    approved_at: datetime | None
    approved_by: str | None

    def header(self) -> dict[str, Any]:
        return {
            "id": self.id, "queue": self.queue, "first_day": self.first_day.isoformat(),
            "days": self.days, "version": self.version, "status": self.status,
            "interval_min": self.interval_min, "timezone": self.timezone, "model": self.model,
            "created_at": self.created_at.isoformat(),
            "approved_at": self.approved_at.isoformat() if self.approved_at else None,
            "approved_by": self.approved_by, **self.summary,
        }


def shift_rows(plan: Plan, roster: Roster | None, first_day: date, tz: ZoneInfo) -> list[ShiftRow]:
    def row(agent: str | None, sh: Any) -> ShiftRow:
        return ShiftRow(
            agent, sh.template, to_instant(first_day, sh.start_min, tz),
            to_instant(first_day, sh.end_min, tz),
            tuple((to_instant(first_day, b, tz), to_instant(first_day, b + n, tz))
                  for b, n in sh.breaks), sh.paid_min)

    if roster is None:
        return [row(None, s) for s in plan.shifts]
    return [row(a, s) for a, s in roster.assignments] + [row(None, s) for s in roster.unfilled]


async def save_draft(
    db: Db, *, queue: str, first_day: date, days: int, tz: ZoneInfo, model: str, plan: Plan,
    rows: list[ShiftRow], summary: dict[str, Any], created_by: str | None = None,
) -> tuple[int, int]:
    """Store a new draft version; returns (plan id, version)."""
    async with db.transaction():
        # one writer per (queue, first day) at a time, so versions never collide
        await db.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"{queue}/{first_day}")
        version = await db.fetchval(
            "SELECT coalesce(max(version), 0) + 1 FROM schedule_plans"
            " WHERE queue = $1 AND first_day = $2", queue, first_day)
        plan_id = await db.fetchval(
            """INSERT INTO schedule_plans (queue, first_day, days, version, interval_min,
                   timezone, starts_at, ends_at, model, need, coverage, shortfall, summary,
                   created_by)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11::jsonb,
                       $12::jsonb, $13::jsonb, $14) RETURNING id""",
            queue, first_day, days, version, plan.interval_min, tz.key,
            horizon_start(first_day, tz), horizon_start(first_day + timedelta(days=days), tz),
            model, json.dumps(list(plan.need)), json.dumps(list(plan.coverage)),
            json.dumps(list(plan.shortfall)), json.dumps(summary), created_by)
        await db.executemany(
            "INSERT INTO schedule_shifts (plan_id, agent_id, template, starts_at, ends_at,"
            " breaks, paid_min) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)",
            [(plan_id, r.agent_id, r.template, r.start, r.end,
              json.dumps([[a.isoformat(), b.isoformat()] for a, b in r.breaks]), r.paid_min)
             for r in rows])
    return int(plan_id), int(version)


async def approve(db: Db, plan_id: int, by: str) -> StoredPlan:
    """draft -> approved; overlapping approved plans of the queue become superseded."""
    async with db.transaction():
        row = await db.fetchrow("SELECT * FROM schedule_plans WHERE id = $1 FOR UPDATE", plan_id)
        if row is None:
            raise NotFound(f"no plan {plan_id}")
        if row["status"] != "draft":
            raise Conflict(f"plan {plan_id} is {row['status']}; only a draft can be approved")
        await db.execute(
            """UPDATE schedule_plans SET status = 'superseded'
               WHERE queue = $1 AND status = 'approved' AND starts_at < $3 AND ends_at > $2""",
            row["queue"], row["starts_at"], row["ends_at"])
        await db.execute(
            "UPDATE schedule_plans SET status = 'approved', approved_at = now(),"
            " approved_by = $2 WHERE id = $1", plan_id, by)
    got = await load_plan(db, plan_id)
    assert got is not None
    return got


def _plan(r: Any) -> StoredPlan:
    def js(v: Any) -> Any:
        return json.loads(v) if isinstance(v, str) else v

    return StoredPlan(
        int(r["id"]), r["queue"], r["first_day"], int(r["days"]), int(r["version"]), r["status"],
        int(r["interval_min"]), r["timezone"], r["model"], js(r["need"]), js(r["coverage"]),
        js(r["shortfall"]), js(r["summary"]), r["created_at"], r["approved_at"], r["approved_by"])


async def load_plan(db: Db, plan_id: int) -> StoredPlan | None:
    row = await db.fetchrow("SELECT * FROM schedule_plans WHERE id = $1", plan_id)
    return None if row is None else _plan(row)


async def list_plans(db: Db, queue: str | None = None) -> list[StoredPlan]:
    rows = await db.fetch(
        "SELECT * FROM schedule_plans WHERE $1::text IS NULL OR queue = $1"
        " ORDER BY queue, first_day DESC, version DESC", queue)
    return [_plan(r) for r in rows]


async def load_shifts(db: Db, plan_id: int, agent_id: str | None = None) -> list[ShiftRow]:
    rows = await db.fetch(
        "SELECT * FROM schedule_shifts WHERE plan_id = $1 AND ($2::text IS NULL OR agent_id = $2)"
        " ORDER BY starts_at, agent_id", plan_id, agent_id)
    out = []
    for r in rows:
        breaks = json.loads(r["breaks"]) if isinstance(r["breaks"], str) else r["breaks"]
        out.append(ShiftRow(r["agent_id"], r["template"], r["starts_at"], r["ends_at"],
                            tuple((datetime.fromisoformat(a), datetime.fromisoformat(b))
                                  for a, b in breaks), int(r["paid_min"])))
    return out


async def current_interval(db: Db, queue: str, now: datetime) -> tuple[int, int] | None:
    """(required, scheduled) agents for ``now`` from the queue's approved plan, if any."""
    row = await db.fetchrow(
        "SELECT id, starts_at, interval_min, need, timezone FROM schedule_plans WHERE queue = $1"
        " AND status = 'approved' AND starts_at <= $2 AND ends_at > $2"
        " ORDER BY approved_at DESC LIMIT 1", queue, now)
    if row is None:
        return None
    need = json.loads(row["need"]) if isinstance(row["need"], str) else row["need"]
    # wall-clock intervals: index by local time since the plan's local midnight
    tz = ZoneInfo(str(row["timezone"]))
    start_local = row["starts_at"].astimezone(tz).replace(tzinfo=None)
    now_local = now.astimezone(tz).replace(tzinfo=None)
    idx = int((now_local - start_local).total_seconds() // (60 * int(row["interval_min"])))
    required = int(need[idx]) if 0 <= idx < len(need) else 0
    on_shift = await db.fetchval(
        "SELECT count(*) FROM schedule_shifts WHERE plan_id = $1 AND agent_id IS NOT NULL"
        " AND starts_at <= $2 AND ends_at > $2 AND NOT EXISTS (SELECT 1 FROM"
        " jsonb_array_elements(breaks) b WHERE (b->>0)::timestamptz <= $2"
        " AND (b->>1)::timestamptz > $2)", row["id"], now)
    return required, int(on_shift)
