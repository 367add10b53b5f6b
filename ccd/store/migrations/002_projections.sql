-- Tables derived from the event log by the projection functions (003). Column names of
-- call_records and agent_state_intervals are a contract (the staffing forecast reads them).

-- Typed payload accessors that yield NULL instead of failing the batch on a wrong type.
CREATE OR REPLACE FUNCTION ccd_num(p jsonb, k text) RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(p -> k) = 'number' THEN (p ->> k)::double precision END
$$;

CREATE OR REPLACE FUNCTION ccd_int(p jsonb, k text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(p -> k) = 'number' AND (p ->> k) ~ '^-?[0-9]{1,9}$'
                THEN (p ->> k)::int END
$$;

CREATE OR REPLACE FUNCTION ccd_str(p jsonb, k text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(p -> k) = 'string' THEN p ->> k END
$$;

CREATE OR REPLACE FUNCTION ccd_bool(p jsonb, k text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN jsonb_typeof(p -> k) = 'boolean' THEN (p ->> k)::boolean END
$$;

CREATE TABLE call_records (
    call_id         text COLLATE "C" PRIMARY KEY,
    queue           text COLLATE "C",
    caller          text COLLATE "C",
    agent_id        text COLLATE "C", -- the agent who answered
    enqueued_at     timestamptz NOT NULL,
    offered_count   int         NOT NULL DEFAULT 0,
    answered_at     timestamptz,
    ended_at        timestamptz,
    wait_s          double precision,
    talk_s          double precision,
    wrapup_s        double precision,
    wrapup_ended_at timestamptz,      -- end of the answering agent's wrap-up
    outcome         text,             -- answered|abandoned|overflow|timeout|NULL while in progress
    sticky_hit      boolean     NOT NULL DEFAULT false,
    rating          int,
    rating_outcome  text,             -- rated|no_response|abandoned|not_offered
    ended_by        text,
    overflow_target text
);

-- hot path: last agent of a caller per queue (sticky routing)
CREATE INDEX call_records_sticky_idx ON call_records (caller, queue, answered_at DESC)
    WHERE agent_id IS NOT NULL AND answered_at IS NOT NULL;
-- reports: calls of a period, repeat calls of a caller in a queue
CREATE INDEX call_records_enqueued_idx ON call_records (enqueued_at);
CREATE INDEX call_records_repeat_idx ON call_records (caller, queue, enqueued_at)
    WHERE caller IS NOT NULL;

-- logged_in / paused come from agent events; on_call / wrap_up are read from call_records
-- (the view below), so they are never stored twice.
CREATE TABLE agent_presence_intervals (
    agent_id   text COLLATE "C" NOT NULL,
    state      text        NOT NULL,  -- logged_in|paused
    reason     text,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz            -- NULL while open
);

CREATE INDEX agent_presence_intervals_agent_idx
    ON agent_presence_intervals (agent_id, state, started_at);
CREATE INDEX agent_presence_intervals_started_idx ON agent_presence_intervals (started_at);

CREATE VIEW agent_state_intervals AS
    SELECT agent_id, state, reason, started_at, ended_at, NULL::text AS call_id
    FROM agent_presence_intervals
    UNION ALL
    SELECT agent_id, 'on_call', NULL, answered_at, ended_at, call_id
    FROM call_records
    WHERE agent_id IS NOT NULL AND answered_at IS NOT NULL
    UNION ALL
    SELECT agent_id, 'wrap_up', NULL, wrapup_ended_at - make_interval(secs => wrapup_s),
           wrapup_ended_at, call_id
    FROM call_records
    WHERE agent_id IS NOT NULL AND wrapup_ended_at IS NOT NULL AND wrapup_s IS NOT NULL;

CREATE TABLE supervision_sessions (
    session_id  text COLLATE "C" PRIMARY KEY, -- event_id of its started / denied event
    call_id     text COLLATE "C",
    agent_id    text COLLATE "C",
    queue       text COLLATE "C",
    supervisor  text COLLATE "C",
    status      text        NOT NULL, -- active|ended|denied
    mode        text,                 -- initial mode
    modes       text[],               -- every mode in order, mode switches included
    via         text,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    duration_s  double precision,
    reason      text
);

CREATE INDEX supervision_sessions_started_idx ON supervision_sessions (started_at);
CREATE INDEX supervision_sessions_call_idx ON supervision_sessions (call_id);
CREATE INDEX supervision_sessions_agent_idx ON supervision_sessions (agent_id);

-- One row per rating.result event; agent and queue fall back to the rated call's.
CREATE VIEW ratings AS
    SELECT e.event_id, e.call_id, coalesce(e.queue, c.queue) AS queue,
           coalesce(e.agent_id, c.agent_id) AS agent_id,
           coalesce(ccd_str(e.payload, 'caller'), c.caller) AS caller,
           ccd_str(e.payload, 'outcome') AS outcome, ccd_int(e.payload, 'score') AS score,
           ccd_int(e.payload, 'attempts') AS attempts, e.ts
    FROM events e LEFT JOIN call_records c ON c.call_id = e.call_id
    WHERE e.type = 'rating.result';
