-- A caller who leaves the line with a booked callback (ccd.callbacks) is not an abandon:
-- their call.abandoned carries the callback's id, and the call record's outcome is
-- 'callback' (docs/kpis.md#callbacks). Same function as 003 otherwise; call records already
-- stored keep their outcome (no callback existed before this migration). It replaces the
-- base projection that 005 renamed (ccd_project_calls_base): 005's ccd_project_calls, which
-- runs it and then marks the Queue() fallback's calls, stays as it is.

CREATE OR REPLACE FUNCTION ccd_project_calls_base(p_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO call_records AS r (
        call_id, queue, caller, agent_id, enqueued_at, offered_count, answered_at, ended_at,
        wait_s, talk_s, wrapup_s, wrapup_ended_at, outcome, sticky_hit, rating, rating_outcome,
        ended_by, overflow_target)
    SELECT o.call_id, o.queue, o.caller, o.agent_id, o.enqueued_at, o.offered_count,
           o.answered_at,
           coalesce(o.ended_ts, CASE o.outcome WHEN 'abandoned' THEN o.abandoned_ts
                                               WHEN 'callback' THEN o.abandoned_ts
                                               WHEN 'overflow' THEN o.overflow_ts
                                               WHEN 'timeout' THEN o.overflow_ts END),
           CASE o.outcome
               WHEN 'answered' THEN coalesce(o.answered_wait,
                   extract(epoch FROM o.answered_at - o.enqueued_at)::double precision)
               WHEN 'abandoned' THEN coalesce(o.abandoned_wait,
                   extract(epoch FROM o.abandoned_ts - o.enqueued_at)::double precision)
               WHEN 'callback' THEN coalesce(o.abandoned_wait,
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
                    WHEN g.abandoned_ts IS NOT NULL THEN
                        CASE WHEN g.abandoned_callback IS NULL THEN 'abandoned' ELSE 'callback' END
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
                (array_agg(ccd_str(e.payload, 'callback'))
                    FILTER (WHERE e.type = 'call.abandoned'))[1] AS abandoned_callback,
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
