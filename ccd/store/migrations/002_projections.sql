-- Tables derived from the event log by the projection functions (003). Column names of
-- call_records and agent_state_intervals are a contract (the staffing forecast reads them).

CREATE TABLE call_records (
    call_id         text PRIMARY KEY,
    queue           text,
    caller          text,
    agent_id        text,             -- the agent who answered
    enqueued_at     timestamptz NOT NULL,
    offered_count   int         NOT NULL DEFAULT 0,
    answered_at     timestamptz,
    ended_at        timestamptz,
    wait_s          double precision,
    talk_s          double precision,
    wrapup_s        double precision,
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

CREATE TABLE agent_state_intervals (
    agent_id   text        NOT NULL,
    state      text        NOT NULL,  -- logged_in|paused|on_call|wrap_up
    reason     text,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,           -- NULL while open
    call_id    text                   -- set for on_call and wrap_up
);

CREATE INDEX agent_state_intervals_agent_idx
    ON agent_state_intervals (agent_id, state, started_at);
CREATE INDEX agent_state_intervals_call_idx ON agent_state_intervals (call_id)
    WHERE call_id IS NOT NULL;
CREATE INDEX agent_state_intervals_started_idx ON agent_state_intervals (started_at);

CREATE TABLE supervision_sessions (
    session_id  text PRIMARY KEY,     -- event_id of the supervision.started / denied event
    call_id     text,
    agent_id    text,
    queue       text,
    supervisor  text,
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

CREATE TABLE ratings (
    event_id text PRIMARY KEY,
    call_id  text        NOT NULL,
    queue    text,
    agent_id text,
    caller   text,
    outcome  text,                    -- rated|no_response|abandoned|not_offered
    score    int,
    attempts int,
    ts       timestamptz NOT NULL
);

CREATE INDEX ratings_ts_idx ON ratings (ts);
CREATE INDEX ratings_call_idx ON ratings (call_id);
