"""The KPI query (see docs/kpis.md for the definitions it implements).

Parameters: $1 start, $2 end (timestamptz, end exclusive), $3 bucket bounds (timestamptz[],
from start to end), $4 mode (queue|agent|team|interval), $5/$6 team map (agent ids, team
names, parallel arrays), $7/$8/$9 per-queue thresholds (queue, SL seconds T, short-abandon
seconds N), $10/$11 default T and N, $12 repeat window in seconds.
Each fact lands in bucket width_bucket(ts, $3) and under the key of the report dimension.
"""

KPI_SQL = """
WITH
tm AS (SELECT * FROM unnest($5::text[], $6::text[]) AS t(agent_id, team)),
thr AS (SELECT * FROM unnest($7::text[], $8::float8[], $9::float8[]) AS t(queue, sl, sa)),
bnd AS (
    SELECT i AS b, ($3::timestamptz[])[i] AS lo, ($3::timestamptz[])[i + 1] AS hi
    FROM generate_subscripts($3::timestamptz[], 1) AS i
    WHERE i < array_length($3::timestamptz[], 1)
),
c AS (
    SELECT r.*, width_bucket(r.enqueued_at, $3::timestamptz[]) AS b,
           coalesce(thr.sl, $10::float8) AS sl_t, coalesce(thr.sa, $11::float8) AS sa_t,
           (r.outcome = 'answered' AND r.caller IS NOT NULL AND EXISTS (
                SELECT 1 FROM call_records r2
                WHERE r2.caller = r.caller AND r2.queue IS NOT DISTINCT FROM r.queue
                  AND r2.enqueued_at > r.enqueued_at
                  AND r2.enqueued_at <= r.enqueued_at + make_interval(secs => $12::float8)
           )) AS repeated
    FROM call_records r LEFT JOIN thr ON thr.queue = r.queue
    WHERE r.enqueued_at >= $1 AND r.enqueued_at < $2
),
ck AS (
    SELECT c.*, k.key FROM c CROSS JOIN LATERAL (
        SELECT c.queue WHERE $4 = 'queue' AND c.queue IS NOT NULL
        UNION ALL SELECT '' WHERE $4 = 'interval'
        UNION ALL SELECT c.agent_id WHERE $4 = 'agent' AND c.agent_id IS NOT NULL
        UNION ALL SELECT tm.team FROM tm WHERE $4 = 'team' AND tm.agent_id = c.agent_id
    ) AS k(key)
),
call_agg AS (
    SELECT b, key,
        count(*) AS calls,
        count(*) FILTER (WHERE outcome = 'answered') AS answered,
        count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s >= sa_t) AS abandoned,
        count(*) FILTER (WHERE outcome = 'abandoned' AND wait_s < sa_t) AS short_abandons,
        count(*) FILTER (WHERE outcome IN ('overflow', 'timeout')) AS overflowed,
        count(*) FILTER (WHERE outcome = 'callback') AS callbacks,
        count(*) FILTER (WHERE outcome = 'answered' AND wait_s <= sl_t) AS answered_in_sl,
        avg(wait_s) FILTER (WHERE outcome = 'answered') AS asa_s,
        avg(wait_s) FILTER (WHERE outcome IS NOT NULL) AS awt_s,
        avg(talk_s + coalesce(wrapup_s, 0))
            FILTER (WHERE outcome = 'answered' AND talk_s IS NOT NULL) AS aht_s,
        max(wait_s) AS longest_wait_s,
        count(*) FILTER (WHERE outcome = 'answered' AND caller IS NOT NULL) AS repeat_base,
        count(*) FILTER (WHERE repeated) AS repeats,
        avg(rating)::float8 AS avg_rating,
        count(*) FILTER (WHERE rating IS NOT NULL) AS rated,
        count(*) FILTER (WHERE rating_outcome IN ('rated', 'no_response', 'abandoned'))
            AS surveys
    FROM ck GROUP BY b, key
),
ev AS (
    SELECT e.type, e.agent_id, e.queue, width_bucket(e.ts, $3::timestamptz[]) AS b
    FROM events e
    WHERE e.type IN ('call.offered', 'agent.missed') AND e.ts >= $1 AND e.ts < $2
),
ev_agg AS (
    SELECT ev.b, k.key,
           count(*) FILTER (WHERE ev.type = 'call.offered') AS offers,
           count(*) FILTER (WHERE ev.type = 'agent.missed') AS missed
    FROM ev CROSS JOIN LATERAL (
        SELECT ev.queue WHERE $4 = 'queue' AND ev.queue IS NOT NULL
        UNION ALL SELECT '' WHERE $4 = 'interval'
        UNION ALL SELECT ev.agent_id WHERE $4 = 'agent' AND ev.agent_id IS NOT NULL
        UNION ALL SELECT tm.team FROM tm WHERE $4 = 'team' AND tm.agent_id = ev.agent_id
    ) AS k(key)
    GROUP BY ev.b, k.key
),
-- agent state intervals cut to the window and to the buckets they cross
pieces AS (
    SELECT i.agent_id, bnd.b,
           CASE WHEN i.state IN ('on_call', 'wrap_up') THEN 'busy' ELSE i.state END AS st,
           greatest(i.started_at, bnd.lo) AS s,
           least(coalesce(i.ended_at, least(now(), $2)), bnd.hi) AS e
    FROM agent_state_intervals i
    CROSS JOIN LATERAL generate_series(
        greatest(width_bucket(i.started_at, $3::timestamptz[]), 1),
        least(width_bucket(coalesce(i.ended_at, least(now(), $2)), $3::timestamptz[]),
              array_length($3::timestamptz[], 1) - 1)) AS g(b)
    JOIN bnd ON bnd.b = g.b
    WHERE $4 <> 'queue' AND i.started_at < $2 AND coalesce(i.ended_at, 'infinity') > $1
),
p AS (SELECT * FROM pieces WHERE e > s),
-- ... and to UTC days, so that the overlaps below join on (agent, bucket, day): a handful of
-- rows per key instead of every interval of a month-long bucket (overlaps add up over days)
pd AS (
    SELECT p.agent_id, p.b, p.st, d.day, greatest(p.s, d.day) AS s, least(p.e, d.day + interval '1 day') AS e
    FROM p CROSS JOIN LATERAL generate_series(
        date_trunc('day', p.s, 'UTC'), p.e - interval '1 microsecond', interval '1 day') AS d(day)
),
li AS (SELECT * FROM pd WHERE st = 'logged_in' AND e > s),
pa AS (SELECT * FROM pd WHERE st = 'paused' AND e > s),
bu AS (SELECT * FROM pd WHERE st = 'busy' AND e > s),
li_s AS (SELECT agent_id, b, sum(extract(epoch FROM e - s)) AS s FROM li GROUP BY agent_id, b),
li_pa AS (
    SELECT l.agent_id, l.b, sum(extract(epoch FROM least(l.e, x.e) - greatest(l.s, x.s))) AS s
    FROM li l JOIN pa x ON x.agent_id = l.agent_id AND x.b = l.b AND x.day = l.day
    WHERE x.s < l.e AND x.e > l.s GROUP BY l.agent_id, l.b
),
li_bu AS (
    SELECT l.agent_id, l.b, sum(extract(epoch FROM least(l.e, y.e) - greatest(l.s, y.s))) AS s
    FROM li l JOIN bu y ON y.agent_id = l.agent_id AND y.b = l.b AND y.day = l.day
    WHERE y.s < l.e AND y.e > l.s GROUP BY l.agent_id, l.b
),
li_bu_pa AS (
    SELECT l.agent_id, l.b, sum(extract(epoch FROM least(l.e, y.e, x.e) - greatest(l.s, y.s, x.s))) AS s
    FROM li l JOIN bu y ON y.agent_id = l.agent_id AND y.b = l.b AND y.day = l.day
              JOIN pa x ON x.agent_id = l.agent_id AND x.b = l.b AND x.day = l.day
    WHERE greatest(l.s, y.s, x.s) < least(l.e, y.e, x.e) GROUP BY l.agent_id, l.b
),
-- available = logged_in minus paused; busy counts only inside available time
occ AS (
    SELECT t.agent_id, t.b, t.s - coalesce(lp.s, 0) AS avail_s,
           coalesce(lb.s, 0) - coalesce(lbp.s, 0) AS busy_s
    FROM li_s t
    LEFT JOIN li_pa lp ON lp.agent_id = t.agent_id AND lp.b = t.b
    LEFT JOIN li_bu lb ON lb.agent_id = t.agent_id AND lb.b = t.b
    LEFT JOIN li_bu_pa lbp ON lbp.agent_id = t.agent_id AND lbp.b = t.b
),
occ_agg AS (
    SELECT o.b, k.key, sum(o.avail_s)::float8 AS avail_s, sum(o.busy_s)::float8 AS busy_s
    FROM occ o CROSS JOIN LATERAL (
        SELECT '' WHERE $4 = 'interval'
        UNION ALL SELECT o.agent_id WHERE $4 = 'agent'
        UNION ALL SELECT tm.team FROM tm WHERE $4 = 'team' AND tm.agent_id = o.agent_id
    ) AS k(key)
    GROUP BY o.b, k.key
),
keys AS (
    SELECT b, key FROM call_agg
    UNION SELECT b, key FROM ev_agg
    UNION SELECT b, key FROM occ_agg
    UNION SELECT b, '' FROM bnd WHERE $4 = 'interval'
)
SELECT k.b, k.key,
       coalesce(ca.calls, 0) AS calls, coalesce(ca.answered, 0) AS answered,
       coalesce(ca.abandoned, 0) AS abandoned,
       coalesce(ca.short_abandons, 0) AS short_abandons,
       coalesce(ca.overflowed, 0) AS overflowed,
       coalesce(ca.callbacks, 0) AS callbacks,
       coalesce(ca.answered_in_sl, 0) AS answered_in_sl,
       ca.asa_s, ca.awt_s, ca.aht_s, ca.longest_wait_s,
       coalesce(ca.repeat_base, 0) AS repeat_base, coalesce(ca.repeats, 0) AS repeats,
       ca.avg_rating, coalesce(ca.rated, 0) AS rated, coalesce(ca.surveys, 0) AS surveys,
       coalesce(ea.offers, 0) AS offers, coalesce(ea.missed, 0) AS missed,
       oa.avail_s, oa.busy_s
FROM keys k
LEFT JOIN call_agg ca ON ca.b = k.b AND ca.key = k.key
LEFT JOIN ev_agg ea ON ea.b = k.b AND ea.key = k.key
LEFT JOIN occ_agg oa ON oa.b = k.b AND oa.key = k.key
WHERE k.b BETWEEN 1 AND array_length($3::timestamptz[], 1) - 1
ORDER BY k.b, k.key
"""
