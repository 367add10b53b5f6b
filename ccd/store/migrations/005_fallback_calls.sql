-- Calls handled by Asterisk's native Queue() fallback while ccd was away. ccd imports them
-- from Asterisk's queue_log as ordinary call events (payload via = 'queue_log') plus a
-- call.fallback event; call_records marks them so reports can tell them apart.
ALTER TABLE call_records ADD COLUMN fallback boolean NOT NULL DEFAULT false;

-- The projection of 003 stays as it is; the flag is set after it, for the same calls.
ALTER FUNCTION ccd_project_calls(text[]) RENAME TO ccd_project_calls_base;

CREATE FUNCTION ccd_project_calls(p_ids text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM ccd_project_calls_base(p_ids);
    UPDATE call_records r SET fallback = true
    WHERE r.call_id = ANY (p_ids) AND NOT r.fallback
      AND EXISTS (SELECT 1 FROM events e
                  WHERE e.call_id = r.call_id AND e.type = 'call.fallback');
END
$fn$;
