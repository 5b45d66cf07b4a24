-- productivity, version 5: one definition of a valid activity window, used by every stage and the
-- data-error count (the rule used to be written out in each). A valid window does not end before it
-- starts, lasts at most 24 hours (the index ranges over activity_logs start 24 hours before the instant
-- they look for) and has no negative items. A plain SQL function is inlined by the planner, so every
-- query plans exactly as with the conditions written out: its index ranges stay. Its arguments are
-- polymorphic, so it takes the source's own column types (integer or bigint items, timestamps with or
-- without time zone) as the written-out conditions did; the body is $$-quoted, not a RETURN clause,
-- which PostgreSQL 13 does not have.
CREATE OR REPLACE FUNCTION productivity.is_valid_activity_window(
    window_start anyelement, window_end anyelement, items_count anycompatible
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
SELECT window_end >= window_start AND window_end <= window_start + interval '24 hours' AND items_count >= 0
$$;

-- Its one reader, the primary roles stage, now sums each shift's windows in its own per-shift subquery.
DROP VIEW IF EXISTS productivity.v_shift_activity;
