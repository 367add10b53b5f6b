-- Projections from the event log. Every function recomputes its rows from *all* stored
-- events of the affected keys, so it is idempotent and independent of arrival order
-- (events of one call may arrive in different batches, or out of order after a spool drain).

-- Last element of an array (the aggregates below read pre-sorted rows).
CREATE OR REPLACE FUNCTION ccd_last(a anyarray) RETURNS anyelement
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT a[array_upper(a, 1)] $$;

-- call_records (and with them the on_call / wrap_up intervals and the ratings views).
CREATE OR REPLACE FUNCTION ccd_project_calls(p_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO call_records AS r (
        call_id, queue, caller, agent_id, enqueued_at, offered_count, answered_at, ended_at,
        wait_s, talk_s, wrapup_s, wrapup_ended_at, outcome, sticky_hit, rating, rating_outcome,
        ended_by, overflow_target)
    SELECT o.call_id, o.queue, o.caller, o.agent_id, o.enqueued_at, o.offered_count,
           o.answered_at,
           coalesce(o.ended_ts, CASE o.outcome WHEN 'abandoned' THEN o.abandoned_ts
                                               WHEN 'overflow' THEN o.overflow_ts
                                               WHEN 'timeout' THEN o.overflow_ts END),
           CASE o.outcome
               WHEN 'answered' THEN coalesce(o.answered_wait,
                   extract(epoch FROM o.answered_at - o.enqueued_at)::double precision)
               WHEN 'abandoned' THEN coalesce(o.abandoned_wait,
                   extract(epoch FROM o.abandoned_ts - o.enqueued_at)::double precision)
               WHEN 'overflow' THEN coalesce(o.overflow_wait,
                   extract(epoch FROM o.overflow_ts - o.enqueued_at)::double precision)
               WHEN 'timeout' THEN coalesce(o.overflow_wait,
                   extract(epoch FROM o.overflow_ts - o.enqueued_at)::double precision)
           END,
           o.talk_s, o.wrapup_s, o.wrapup_ended_at, o.outcome, o.sticky_hit, o.rating,
           CASE WHEN o.rating IS NOT NULL THEN 'rated' ELSE o.last_rating_outcome END,
           o.ended_by, o.overflow_target
    FROM (
        SELECT k.call_id, g.*, coalesce(g.queued_ts, g.first_ts) AS enqueued_at,
               CASE WHEN g.answered_at IS NOT NULL THEN 'answered'
                    WHEN g.abandoned_ts IS NOT NULL THEN 'abandoned'
                    WHEN g.overflow_ts IS NOT NULL THEN
                        CASE WHEN coalesce(g.overflow_target, '') = '' THEN 'timeout'
                             ELSE 'overflow' END
                    WHEN g.fallback_outcome IN ('answered', 'abandoned', 'overflow', 'timeout')
                        THEN g.fallback_outcome
               END AS outcome
        FROM (SELECT DISTINCT unnest(p_ids) AS call_id) k
        -- LATERAL: one index probe per call, whatever the planner thinks of the log's size
        CROSS JOIN LATERAL (
            SELECT
                coalesce((array_agg(e.queue) FILTER (WHERE e.type = 'call.queued'))[1],
                         (array_agg(e.queue) FILTER (WHERE e.queue IS NOT NULL))[1]) AS queue,
                (array_agg(ccd_str(e.payload, 'caller'))
                    FILTER (WHERE e.type = 'call.queued'))[1] AS caller,
                min(e.ts) FILTER (WHERE e.type = 'call.queued') AS queued_ts,
                min(e.ts) AS first_ts,
                count(*) FILTER (WHERE e.type = 'call.offered')::int AS offered_count,
                min(e.ts) FILTER (WHERE e.type = 'call.answered') AS answered_at,
                (array_agg(e.agent_id)
                    FILTER (WHERE e.type = 'call.answered'))[1] AS agent_id,
                (array_agg(ccd_num(e.payload, 'wait_s'))
                    FILTER (WHERE e.type = 'call.answered'))[1] AS answered_wait,
                coalesce((array_agg(ccd_bool(e.payload, 'sticky'))
                    FILTER (WHERE e.type = 'call.answered'))[1], false) AS sticky_hit,
                min(e.ts) FILTER (WHERE e.type = 'call.abandoned') AS abandoned_ts,
                (array_agg(ccd_num(e.payload, 'wait_s'))
                    FILTER (WHERE e.type = 'call.abandoned'))[1] AS abandoned_wait,
                min(e.ts) FILTER (WHERE e.type = 'call.overflow') AS overflow_ts,
                (array_agg(ccd_num(e.payload, 'wait_s'))
                    FILTER (WHERE e.type = 'call.overflow'))[1] AS overflow_wait,
                (array_agg(ccd_str(e.payload, 'target'))
                    FILTER (WHERE e.type = 'call.overflow'))[1] AS overflow_target,
                max(e.ts) FILTER (WHERE e.type = 'call.ended') AS ended_ts,
                ccd_last(array_agg(ccd_num(e.payload, 'talk_s'))
                    FILTER (WHERE e.type = 'call.ended')) AS talk_s,
                ccd_last(array_agg(ccd_str(e.payload, 'ended_by'))
                    FILTER (WHERE e.type = 'call.ended')) AS ended_by,
                (array_agg(ccd_num(e.payload, 'wrapup_s'))
                    FILTER (WHERE e.type = 'agent.wrapup_ended'))[1] AS wrapup_s,
                min(e.ts) FILTER (WHERE e.type = 'agent.wrapup_ended') AS wrapup_ended_at,
                ccd_last(array_agg(ccd_int(e.payload, 'score'))
                    FILTER (WHERE e.type = 'rating.result'
                            AND ccd_str(e.payload, 'outcome') = 'rated')) AS rating,
                ccd_last(array_agg(ccd_str(e.payload, 'outcome'))
                    FILTER (WHERE e.type = 'rating.result')) AS last_rating_outcome,
                ccd_last(array_agg(ccd_str(e.payload, 'outcome'))
                    FILTER (WHERE e.type = 'call.fallback')) AS fallback_outcome,
                bool_or(e.type LIKE 'call.%') AS has_call_event
            -- the aggregates above rely on this order ("first"/"last" event of a type): one
            -- sort per call instead of one per aggregate, and no join at this level that
            -- could reorder the rows
            FROM (SELECT e.ts, e.event_id, e.type, e.queue, e.agent_id, e.payload
                  FROM events e
                  WHERE e.call_id = k.call_id
                    AND (e.type LIKE 'call.%'
                         OR e.type IN ('agent.wrapup_ended', 'rating.result'))
                  ORDER BY e.ts, e.event_id) e
        ) g
        WHERE g.has_call_event  -- a lone rating or wrap-up waits for its call's events
    ) o
    ON CONFLICT (call_id) DO UPDATE SET
        queue = EXCLUDED.queue, caller = EXCLUDED.caller, agent_id = EXCLUDED.agent_id,
        enqueued_at = EXCLUDED.enqueued_at, offered_count = EXCLUDED.offered_count,
        answered_at = EXCLUDED.answered_at, ended_at = EXCLUDED.ended_at,
        wait_s = EXCLUDED.wait_s, talk_s = EXCLUDED.talk_s, wrapup_s = EXCLUDED.wrapup_s,
        wrapup_ended_at = EXCLUDED.wrapup_ended_at,
        outcome = EXCLUDED.outcome, sticky_hit = EXCLUDED.sticky_hit, rating = EXCLUDED.rating,
        rating_outcome = EXCLUDED.rating_outcome, ended_by = EXCLUDED.ended_by,
        overflow_target = EXCLUDED.overflow_target
    WHERE (r.*) IS DISTINCT FROM (EXCLUDED.*);

END
$fn$;

-- logged_in and paused intervals. An interval runs from its start event to the next
-- boundary event of its layer, so an event at t only changes intervals that start at or
-- after the last boundary before t: recompute from there (the anchor), not the whole history.
CREATE OR REPLACE FUNCTION ccd_project_agents(p_agents text[], p_ts timestamptz[])
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    a text;
    t0 timestamptz;
    anchor_l timestamptz;
    anchor_p timestamptz;
BEGIN
    FOR a, t0 IN
        SELECT x.agent_id, min(x.ts) FROM unnest(p_agents, p_ts) AS x(agent_id, ts)
        GROUP BY x.agent_id
    LOOP
        SELECT coalesce(max(e.ts), '-infinity') INTO anchor_l FROM events e
        WHERE e.agent_id = a AND e.ts < t0 AND e.type IN ('agent.login', 'agent.logout');
        SELECT coalesce(max(e.ts), '-infinity') INTO anchor_p FROM events e
        WHERE e.agent_id = a AND e.ts < t0
          AND e.type IN ('agent.login', 'agent.logout', 'agent.paused', 'agent.unpaused');

        DELETE FROM agent_presence_intervals
        WHERE agent_id = a AND ((state = 'logged_in' AND started_at >= anchor_l)
                             OR (state = 'paused' AND started_at >= anchor_p));

        INSERT INTO agent_presence_intervals (agent_id, state, reason, started_at, ended_at)
        SELECT a, 'logged_in', NULL, s.ts, s.next_ts
        FROM (SELECT e.type, e.ts, lead(e.ts) OVER (ORDER BY e.ts, e.event_id) AS next_ts
              FROM events e
              WHERE e.agent_id = a AND e.ts >= anchor_l
                AND e.type IN ('agent.login', 'agent.logout')) s
        WHERE s.type = 'agent.login'
        UNION ALL
        SELECT a, 'paused', s.reason, s.ts, s.next_ts
        FROM (SELECT e.type, e.ts, ccd_str(e.payload, 'reason') AS reason,
                     lead(e.ts) OVER (ORDER BY e.ts, e.event_id) AS next_ts
              FROM events e
              WHERE e.agent_id = a AND e.ts >= anchor_p
                AND e.type IN ('agent.login', 'agent.logout', 'agent.paused',
                               'agent.unpaused')) s
        WHERE s.type = 'agent.paused';
    END LOOP;
END
$fn$;

-- Supervision sessions: per (call, agent, supervisor), each started/denied event opens a
-- session that collects the mode changes and the end that follow it.
-- The supervision events of some calls, and of some agents outside calls (index lookups).
CREATE OR REPLACE FUNCTION ccd_supervision_events(p_calls text[], p_agents text[])
RETURNS SETOF events LANGUAGE sql STABLE AS $$
    SELECT e.* FROM (SELECT DISTINCT unnest(p_calls) AS call_id) k
    CROSS JOIN LATERAL (SELECT * FROM events e
                        WHERE e.call_id = k.call_id AND e.type LIKE 'supervision.%') e
    UNION ALL
    SELECT e.* FROM (SELECT DISTINCT unnest(p_agents) AS agent_id) k
    CROSS JOIN LATERAL (SELECT * FROM events e
                        WHERE e.agent_id = k.agent_id AND e.type LIKE 'supervision.%'
                          AND e.call_id IS NULL) e
$$;

CREATE OR REPLACE FUNCTION ccd_project_supervision(p_calls text[], p_agents text[])
RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM supervision_sessions s
    USING (SELECT DISTINCT e.call_id, e.agent_id, ccd_str(e.payload, 'supervisor') AS supervisor
           FROM ccd_supervision_events(p_calls, p_agents) e) k
    WHERE s.call_id IS NOT DISTINCT FROM k.call_id
      AND s.agent_id IS NOT DISTINCT FROM k.agent_id
      AND s.supervisor IS NOT DISTINCT FROM k.supervisor;

    INSERT INTO supervision_sessions (session_id, call_id, agent_id, queue, supervisor, status,
                                      mode, modes, via, started_at, ended_at, duration_s,
                                      reason)
    SELECT (array_agg(s.event_id ORDER BY s.ts, s.event_id)
                FILTER (WHERE s.type IN ('supervision.started', 'supervision.denied')))[1],
           s.call_id, s.agent_id,
           (array_agg(s.queue ORDER BY s.ts, s.event_id) FILTER (WHERE s.queue IS NOT NULL))[1],
           s.supervisor,
           CASE WHEN bool_or(s.type = 'supervision.denied') THEN 'denied'
                WHEN bool_or(s.type = 'supervision.ended') THEN 'ended' ELSE 'active' END,
           (array_agg(ccd_str(s.payload, 'mode') ORDER BY s.ts, s.event_id)
                FILTER (WHERE s.type = 'supervision.started'))[1],
           array_agg(ccd_str(s.payload, 'mode') ORDER BY s.ts, s.event_id)
                FILTER (WHERE s.type IN ('supervision.started', 'supervision.mode_changed')),
           (array_agg(ccd_str(s.payload, 'via') ORDER BY s.ts, s.event_id)
                FILTER (WHERE s.type IN ('supervision.started', 'supervision.denied')))[1],
           min(s.ts),
           max(s.ts) FILTER (WHERE s.type IN ('supervision.ended', 'supervision.denied')),
           (array_agg(ccd_num(s.payload, 'duration_s') ORDER BY s.ts, s.event_id)
                FILTER (WHERE s.type = 'supervision.ended'))[1],
           (array_agg(ccd_str(s.payload, 'reason') ORDER BY s.ts, s.event_id)
                FILTER (WHERE s.type IN ('supervision.ended', 'supervision.denied')))[1]
    FROM (
        SELECT v.*,
               count(*) FILTER (WHERE v.type IN ('supervision.started', 'supervision.denied'))
                   OVER (PARTITION BY v.call_id, v.agent_id, v.supervisor
                         ORDER BY v.ts,
                                  CASE v.type WHEN 'supervision.ended' THEN 0
                                              WHEN 'supervision.mode_changed' THEN 2
                                              ELSE 1 END,
                                  v.event_id) AS n
        FROM (SELECT e.*, ccd_str(e.payload, 'supervisor') AS supervisor
              FROM ccd_supervision_events(p_calls, p_agents) e) v
    ) s
    WHERE s.n > 0  -- a mode change or end stored before its start waits for it
    GROUP BY s.call_id, s.agent_id, s.supervisor, s.n;
END
$fn$;

-- One batch: move the writer's staged rows (temp table ccd_stage, filled by COPY) into the
-- log, skipping event_ids already stored, then re-project what the new rows touch.
-- Returns the number of events newly stored.
CREATE OR REPLACE FUNCTION ccd_ingest() RETURNS bigint
LANGUAGE plpgsql AS $fn$
DECLARE
    n bigint;
    calls text[];
    agents text[];
    agent_ts timestamptz[];
    sup_calls text[];
    sup_agents text[];
BEGIN
    WITH ins AS (
        INSERT INTO events (event_id, ts, type, call_id, agent_id, queue, payload)
        SELECT event_id, ts, type, call_id, agent_id, queue, payload FROM ccd_stage
        ON CONFLICT (event_id) DO NOTHING
        RETURNING type, call_id, agent_id, ts)
    SELECT count(*),
           array_agg(DISTINCT call_id) FILTER (WHERE call_id IS NOT NULL AND (type LIKE 'call.%'
               OR type IN ('agent.wrapup_ended', 'rating.result'))),
           array_agg(agent_id) FILTER (WHERE agent_id IS NOT NULL AND type IN (
               'agent.login', 'agent.logout', 'agent.paused', 'agent.unpaused')),
           array_agg(ts) FILTER (WHERE agent_id IS NOT NULL AND type IN (
               'agent.login', 'agent.logout', 'agent.paused', 'agent.unpaused')),
           array_agg(DISTINCT call_id) FILTER (WHERE type LIKE 'supervision.%'
               AND call_id IS NOT NULL),
           array_agg(DISTINCT agent_id) FILTER (WHERE type LIKE 'supervision.%'
               AND call_id IS NULL AND agent_id IS NOT NULL)
    INTO n, calls, agents, agent_ts, sup_calls, sup_agents
    FROM ins;

    IF n = 0 THEN
        RETURN 0;
    END IF;
    -- Serialise projections of concurrent writers; statements after the lock see their
    -- committed events (READ COMMITTED takes a new snapshot per statement).
    PERFORM pg_advisory_xact_lock(7162537841205981);
    IF calls IS NOT NULL THEN
        PERFORM ccd_project_calls(calls);
    END IF;
    IF agents IS NOT NULL THEN
        PERFORM ccd_project_agents(agents, agent_ts);
    END IF;
    IF sup_calls IS NOT NULL OR sup_agents IS NOT NULL THEN
        PERFORM ccd_project_supervision(coalesce(sup_calls, '{}'), coalesce(sup_agents, '{}'));
    END IF;
    RETURN n;
END
$fn$;
