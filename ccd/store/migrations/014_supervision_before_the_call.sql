-- A supervision session's mode change made before the call (the supervisor's phone ringing or
-- waiting for the agent's next call) is audited without a call, and so is the end of such a
-- session. The projection groups call-less rows by (agent, supervisor) under the refusals
-- (supervision.denied) of an agent outside a call: those rows would lend a refusal modes and an
-- end that are not its own. They stay in the event log (the audit) and out of the projection;
-- the session's supervision_sessions row, once it reaches a call, starts in the mode asked for.
CREATE OR REPLACE FUNCTION ccd_supervision_events(p_calls text[], p_agents text[])
RETURNS SETOF events LANGUAGE sql STABLE AS $$
    SELECT e.* FROM (SELECT DISTINCT unnest(p_calls) AS call_id) k
    CROSS JOIN LATERAL (SELECT * FROM events e
                        WHERE e.call_id = k.call_id AND e.type LIKE 'supervision.%') e
    UNION ALL
    SELECT e.* FROM (SELECT DISTINCT unnest(p_agents) AS agent_id) k
    CROSS JOIN LATERAL (SELECT * FROM events e
                        WHERE e.agent_id = k.agent_id AND e.type LIKE 'supervision.%'
                          AND e.call_id IS NULL
                          AND e.type NOT IN ('supervision.mode_changed', 'supervision.ended')) e
$$;
