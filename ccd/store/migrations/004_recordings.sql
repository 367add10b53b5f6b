-- Call recordings: one row per recorded call, kept up to date from the recording.* events
-- by a row trigger (only those event types fire it, so the write path of other events pays
-- nothing but the WHEN test). Each event type sets its own columns, so the row is the same
-- whatever order the events arrive in (spool drains reorder). Fetches of a recording are
-- audited as recording.accessed events: see the recording_accesses view.

CREATE TABLE recordings (
    call_id        text COLLATE "C" PRIMARY KEY,
    queue          text COLLATE "C",
    agent_id       text COLLATE "C",
    caller         text COLLATE "C",
    format         text,
    started_at     timestamptz,
    finished_at    timestamptz,
    duration_s     double precision,
    file           text,              -- relative to the recordings directory
    size           bigint,
    sha256         text,
    failure        text,              -- why it failed to start or to be stored
    deleted_at     timestamptz,
    deleted_reason text,
    status         text GENERATED ALWAYS AS (
        CASE WHEN deleted_at IS NOT NULL THEN 'deleted'
             WHEN file IS NOT NULL THEN 'stored'
             WHEN failure IS NOT NULL THEN 'failed'
             ELSE 'recording' END) STORED
);

CREATE INDEX recordings_started_idx ON recordings (started_at);
CREATE INDEX recordings_agent_idx ON recordings (agent_id, started_at);
CREATE INDEX recordings_caller_idx ON recordings (caller, started_at) WHERE caller IS NOT NULL;

CREATE OR REPLACE FUNCTION ccd_project_recording() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO recordings (call_id) VALUES (NEW.call_id) ON CONFLICT (call_id) DO NOTHING;
    UPDATE recordings r SET
        queue = coalesce(r.queue, NEW.queue),
        agent_id = coalesce(r.agent_id, NEW.agent_id),
        caller = coalesce(r.caller, ccd_str(NEW.payload, 'caller')),
        format = coalesce(r.format, ccd_str(NEW.payload, 'format')),
        -- the started event's time wins; a finished event carries the start as epoch seconds
        started_at = CASE WHEN NEW.type = 'recording.started' THEN NEW.ts
                          ELSE coalesce(r.started_at, to_timestamp(ccd_num(NEW.payload, 'started_epoch')))
                     END,
        finished_at = CASE WHEN NEW.type = 'recording.finished' THEN NEW.ts ELSE r.finished_at END,
        duration_s = CASE WHEN NEW.type = 'recording.finished'
                          THEN ccd_num(NEW.payload, 'duration_s') ELSE r.duration_s END,
        file = CASE WHEN NEW.type = 'recording.finished' THEN ccd_str(NEW.payload, 'file') ELSE r.file END,
        size = CASE WHEN NEW.type = 'recording.finished'
                    THEN ccd_num(NEW.payload, 'size')::bigint ELSE r.size END,
        sha256 = CASE WHEN NEW.type = 'recording.finished' THEN ccd_str(NEW.payload, 'sha256') ELSE r.sha256 END,
        failure = CASE WHEN NEW.type = 'recording.failed' THEN ccd_str(NEW.payload, 'reason') ELSE r.failure END,
        deleted_at = CASE WHEN NEW.type = 'recording.deleted' THEN NEW.ts ELSE r.deleted_at END,
        deleted_reason = CASE WHEN NEW.type = 'recording.deleted'
                              THEN ccd_str(NEW.payload, 'reason') ELSE r.deleted_reason END
    WHERE r.call_id = NEW.call_id;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER events_project_recording AFTER INSERT ON events
    FOR EACH ROW
    WHEN (NEW.type IN ('recording.started', 'recording.finished', 'recording.failed',
                       'recording.deleted') AND NEW.call_id IS NOT NULL)
    EXECUTE FUNCTION ccd_project_recording();

-- The audit trail of fetches (who, when, which call, granted or denied).
CREATE VIEW recording_accesses AS
    SELECT e.event_id, e.ts, e.call_id, e.queue, e.agent_id,
           ccd_str(e.payload, 'user') AS "user", ccd_str(e.payload, 'role') AS role,
           ccd_str(e.payload, 'outcome') AS outcome, ccd_str(e.payload, 'via') AS via,
           ccd_str(e.payload, 'range') AS range
    FROM events e
    WHERE e.type = 'recording.accessed';
