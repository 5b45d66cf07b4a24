-- Per-employee data errors in the range, excluded from every stage and reported in the run summary:
-- invalid shifts, and activity windows in the range's shifts that break the validity rule or name a role
-- missing from role_configs; employees_with_errors counts the employees with either. days_without_role:
-- active employees' work dates whose day role (prepare_chunk.sql) has no role_configs row: no activity
-- that day or in the 30 before, and no stored primary role, so no idle threshold or expected rate
-- (no idle periods, NULL efficiency).
-- The activity scan is bounded by the range's own shifts (their earliest clock_in and latest end), so a
-- day's check reads that day's activity, not the whole history of activity_logs.
WITH range_shifts AS (
    SELECT employee_id, clock_in, coalesce(clock_out, clock_in + interval '24 hours') AS scan_until, is_valid
    FROM productivity.v_shifts
    WHERE work_date BETWEEN %(start_date)s AND %(end_date)s
),
bad_windows AS (
    SELECT a.employee_id
    FROM productivity.activity_logs a
    JOIN range_shifts s ON s.employee_id = a.employee_id AND a.window_start >= s.clock_in
     AND a.window_start < s.scan_until
    WHERE (NOT productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count)
           OR NOT EXISTS (SELECT 1 FROM productivity.role_configs rc WHERE rc.role_id = a.role_id))
      -- implied by the join; written out so the scan is a window_start index range
      AND a.window_start >= (SELECT min(clock_in) FROM range_shifts)
      AND a.window_start < (SELECT max(scan_until) FROM range_shifts)
)
SELECT
    (SELECT count(*) FROM range_shifts WHERE NOT is_valid) AS invalid_shifts,
    (SELECT count(*) FROM bad_windows) AS invalid_activity_windows,
    (SELECT count(*) FROM (SELECT employee_id FROM range_shifts WHERE NOT is_valid
                           UNION SELECT employee_id FROM bad_windows) e) AS employees_with_errors,
    (SELECT count(*) FROM chunk_day_role d
     JOIN productivity.employees e ON e.id = d.employee_id AND e.is_active
     WHERE NOT EXISTS (SELECT 1 FROM productivity.role_configs rc WHERE rc.role_id = d.role_id)) AS days_without_role
