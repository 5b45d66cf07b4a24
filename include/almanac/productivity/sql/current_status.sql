-- employee_current_status as of the end of end_date (midnight after it, Chicago): clocked_in when a
-- shift spans that moment. Computed for that instant, not for the wall clock, so a recalculation of
-- a range gives what the daily run for its last day gave. updated_at is that instant, and a row is only
-- ever moved forward: a rerun of an older date leaves a newer status in place.
-- last_activity_at = the latest end of a valid activity window by then. It is found from the employee's
-- latest valid window start (one step back along the (employee_id, window_start) index), then among the
-- windows starting at most 24 hours before it (a valid window lasts at most 24 hours, so none that
-- starts earlier can end later), so the cost does not grow with the years of activity_logs behind it.
INSERT INTO productivity.employee_current_status (employee_id, status, last_activity_at, updated_at)
SELECT e.id,
       CASE WHEN EXISTS (
           SELECT 1 FROM productivity.clock_times ct
           WHERE ct.employee_id = e.id AND ct.clock_in < %(as_of)s
             AND (ct.clock_out IS NULL OR ct.clock_out > %(as_of)s)
             AND ct.clock_in > %(as_of)s::timestamptz - interval '24 hours'
       ) THEN 'clocked_in' ELSE 'clocked_out' END,
       (SELECT max(a.window_end) FROM productivity.activity_logs a
        WHERE a.window_end <= %(as_of)s
          -- row comparisons: an (employee_id, window_start) index range that no window_start-only index can take
          AND (a.employee_id, a.window_start) >= (e.id, latest.window_start - interval '24 hours')
          AND (a.employee_id, a.window_start) <= (e.id, latest.window_start)
          AND productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count)),
       %(as_of)s
FROM productivity.employees e
LEFT JOIN LATERAL (
    SELECT a.window_start FROM productivity.activity_logs a
    -- window_start <= as_of follows from the other conditions; it is the index range's upper end
    WHERE a.employee_id = e.id AND a.window_start <= %(as_of)s AND a.window_end <= %(as_of)s
      AND productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count)
    ORDER BY a.window_start DESC
    LIMIT 1
) latest ON true
WHERE e.is_active
ON CONFLICT (employee_id) DO UPDATE SET
    status = EXCLUDED.status, last_activity_at = EXCLUDED.last_activity_at, updated_at = EXCLUDED.updated_at
WHERE employee_current_status.updated_at <= EXCLUDED.updated_at
