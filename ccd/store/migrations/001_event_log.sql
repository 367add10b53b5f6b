-- The append-only log of every domain event, and the dead letters the writer refused.

-- Identifiers are COLLATE "C": byte-order comparisons make every index on them faster and
-- independent of the server's locale (ids are never sorted for humans).
CREATE TABLE events (
    event_id  text COLLATE "C" NOT NULL,
    ts        timestamptz NOT NULL,
    type      text COLLATE "C" NOT NULL,
    call_id   text COLLATE "C",
    agent_id  text COLLATE "C",
    queue     text COLLATE "C",
    payload   jsonb       NOT NULL DEFAULT '{}'::jsonb,
    stored_at timestamptz NOT NULL DEFAULT now(),
    -- the idempotency key: a retried batch inserts nothing twice
    CONSTRAINT events_pkey PRIMARY KEY (event_id)
);

-- Few, mostly partial indexes: every index costs on the write path (goal 50k events/s).
CREATE INDEX events_call_idx ON events (call_id) WHERE call_id IS NOT NULL;
-- anchors for the agent state projection (last login/logout/pause before a point in time)
CREATE INDEX events_agent_state_idx ON events (agent_id, ts)
    WHERE type IN ('agent.login', 'agent.logout', 'agent.paused', 'agent.unpaused');
-- supervision of an agent outside a call
CREATE INDEX events_supervision_agent_idx ON events (agent_id)
    WHERE type LIKE 'supervision.%' AND call_id IS NULL;
-- time-range scans (reports read offers, misses and ratings straight from the log): events
-- arrive nearly in ts order, so a BRIN index is tiny, almost free to maintain, and selective
CREATE INDEX events_ts_brin ON events USING brin (ts);

CREATE TABLE dead_letters (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    dedupe_key  text COLLATE "C" NOT NULL,  -- event_id, or a hash of the raw text when there is none
    event_id    text,
    type        text,
    reason      text        NOT NULL,
    raw         text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT dead_letters_dedupe_key UNIQUE (dedupe_key)
);
