-- employees.primary_role_id = the role with the most items in the 30 work days up to end_date
-- (ties → lower role id); employees without activity then keep their role.
-- Each shift's windows are summed per role inside a per-shift subquery: one (employee_id, window_start)
-- index range per shift whatever the planner estimates (a plain join once hashed all of activity_logs:
-- 4.4 s over a year of logs), and the outer sort sees a few rows per shift instead of every window.
-- The range is written as row comparisons: on logs stored in time order the planner otherwise took the
-- (window_start) index and filtered out every other employee's windows (1.6 s instead of 0.16 s).
UPDATE productivity.employees e
SET primary_role_id = best.role_id
FROM (
    SELECT DISTINCT ON (s.employee_id) s.employee_id, a.role_id
    FROM productivity.v_shifts s
    CROSS JOIN LATERAL (
        SELECT a.role_id, sum(a.items_count) AS items
        FROM productivity.activity_logs a
        WHERE a.window_end > s.clock_in
          -- the (employee_id, window_start) index range; its lower end: a valid window lasts at most 24 hours
          AND (a.employee_id, a.window_start) > (s.employee_id, s.clock_in - interval '24 hours')
          AND (a.employee_id, a.window_start) < (s.employee_id, s.clock_out)
          AND productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count)
          AND EXISTS (SELECT 1 FROM productivity.role_configs rc WHERE rc.role_id = a.role_id)  -- else a data error
        GROUP BY a.role_id
    ) a
    WHERE s.is_valid AND s.work_date BETWEEN %(end_date)s::date - 29 AND %(end_date)s
    GROUP BY s.employee_id, a.role_id
    ORDER BY s.employee_id, sum(a.items) DESC, a.role_id
) best
WHERE e.id = best.employee_id AND e.is_active AND e.primary_role_id IS DISTINCT FROM best.role_id
