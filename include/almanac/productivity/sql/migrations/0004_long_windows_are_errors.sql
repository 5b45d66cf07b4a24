-- productivity, version 4: an activity window longer than 24 hours is a data error, like a backwards
-- window or negative items. Every index range scan over activity_logs starts 24 hours before the
-- instant it looks for; a longer window was kept or dropped depending on where it started.
-- The activity is joined per shift (LATERAL): one (employee_id, window_start) index range for each
-- shift, whatever the planner estimates. With a plain join, the added condition lowered its estimate
-- enough to hash the whole of activity_logs (4.4 s instead of 0.15 s over a year of logs).
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
      AND a.window_end >= a.window_start AND a.window_end <= a.window_start + interval '24 hours'
      AND a.items_count >= 0
    OFFSET 0  -- keeps the subquery per shift: without it the planner flattens it back into a plain join
) a
WHERE s.is_valid;
