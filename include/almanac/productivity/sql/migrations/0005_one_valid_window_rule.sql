-- productivity, version 5: one definition of a valid activity window, used by every stage, the data-error
-- count and v_shift_activity (the rule used to be written out in each). A valid window does not end before
-- it starts, lasts at most 24 hours (the index ranges over activity_logs start 24 hours before the instant
-- they look for) and has no negative items. A plain SQL function is inlined by the planner, so every query
-- plans exactly as with the conditions written out: its index ranges stay.
CREATE OR REPLACE FUNCTION productivity.is_valid_activity_window(
    window_start timestamptz, window_end timestamptz, items_count integer
) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
RETURN window_end >= window_start AND window_end <= window_start + interval '24 hours' AND items_count >= 0;

CREATE OR REPLACE VIEW productivity.v_shift_activity AS
SELECT s.shift_id, s.employee_id, s.work_date, a.role_id, a.items_count,
       greatest(a.window_start, s.clock_in) AS window_start,
       least(a.window_end, s.clock_out) AS window_end
FROM productivity.v_shifts s
CROSS JOIN LATERAL (
    SELECT a.role_id, a.items_count, a.window_start, a.window_end
    FROM productivity.activity_logs a
    WHERE a.employee_id = s.employee_id AND a.window_start < s.clock_out AND a.window_end > s.clock_in
      -- the index range's lower end: a valid window lasts at most 24 hours
      AND a.window_start > s.clock_in - interval '24 hours'
      AND productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count)
    OFFSET 0  -- keeps the subquery per shift (one index range each): flattened, it can hash all activity
) a
WHERE s.is_valid;
