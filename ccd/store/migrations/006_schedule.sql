-- Shift plans and their rosters. A plan is a numbered version per (queue, first day); it is
-- written as a draft and approved once (draft -> approved); approving a version supersedes
-- the queue's earlier approved versions that overlap it. Shifts keep their agent (NULL:
-- not filled) and their breaks as [[start, end], ...] instants.

CREATE TABLE schedule_plans (
    id           bigserial PRIMARY KEY,
    queue        text COLLATE "C" NOT NULL,
    first_day    date        NOT NULL,
    days         int         NOT NULL CHECK (days > 0),
    version      int         NOT NULL,
    status       text        NOT NULL DEFAULT 'draft'
                 CHECK (status IN ('draft', 'approved', 'superseded')),
    interval_min int         NOT NULL,
    timezone     text        NOT NULL,
    starts_at    timestamptz NOT NULL,  -- local midnight of first_day
    ends_at      timestamptz NOT NULL,  -- local midnight after the last day
    model        text        NOT NULL,  -- erlang_c | erlang_a
    need         jsonb       NOT NULL,  -- agents needed per interval
    coverage     jsonb       NOT NULL,  -- agents scheduled per interval
    shortfall    jsonb       NOT NULL,
    summary      jsonb       NOT NULL,  -- solver status, gaps, paid hours, unfilled shifts
    created_at   timestamptz NOT NULL DEFAULT now(),
    created_by   text,
    approved_at  timestamptz,
    approved_by  text,
    UNIQUE (queue, first_day, version)
);

CREATE INDEX schedule_plans_current_idx ON schedule_plans (queue, starts_at, ends_at)
    WHERE status = 'approved';

CREATE TABLE schedule_shifts (
    plan_id   bigint NOT NULL REFERENCES schedule_plans (id) ON DELETE CASCADE,
    agent_id  text COLLATE "C",
    template  text   NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at   timestamptz NOT NULL,
    breaks    jsonb  NOT NULL DEFAULT '[]',
    paid_min  int    NOT NULL
);

CREATE INDEX schedule_shifts_plan_idx ON schedule_shifts (plan_id, agent_id, starts_at);
CREATE INDEX schedule_shifts_time_idx ON schedule_shifts (starts_at, ends_at);
