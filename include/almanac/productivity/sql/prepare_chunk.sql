-- Materialise one chunk of work dates [start_date, end_date] for the range stages, inside the stage's
-- transaction (temp tables dropped at commit). Reading the chunk's activity once, by a bounded
-- window_start range, instead of joining views per statement is what keeps a stage's cost proportional
-- to its chunk. scan_from / scan_to bound the activity scan: shifts last at most 24 h.
CREATE TEMP TABLE chunk_shifts ON COMMIT DROP AS
SELECT shift_id, employee_id, clock_in, clock_out, work_date
FROM productivity.v_shifts
WHERE is_valid AND work_date BETWEEN %(start_date)s AND %(end_date)s;

-- Statistics on the few shifts steer the activity join to the index; the activity table itself is only
-- aggregated afterwards, where ANALYZE cost more than it saved (measured: 3.7 s vs 4.8 s for 30 days).
ANALYZE chunk_shifts;

-- Activity windows inside those shifts, clipped to the shift (backwards windows, windows over 24 hours
-- and negative items are data errors, left out).
CREATE TEMP TABLE chunk_activity ON COMMIT DROP AS
SELECT s.shift_id, s.employee_id, s.work_date, a.role_id, a.items_count,
       greatest(a.window_start, s.clock_in) AS window_start,
       least(a.window_end, s.clock_out) AS window_end
FROM chunk_shifts s
JOIN productivity.activity_logs a
  ON a.employee_id = s.employee_id AND a.window_start < s.clock_out AND a.window_end > s.clock_in
 -- a lower bound per shift for the (employee_id, window_start) index, as in primary_roles.sql: a valid
 -- window lasts at most 24 hours. Without it a nested loop read each employee's chunk from scan_from
 -- for every shift (quadratic in shifts per chunk: 25× the time for 10× the employees).
 AND a.window_start > s.clock_in - interval '24 hours'
WHERE a.window_start >= %(scan_from)s AND a.window_start < %(scan_to)s
  AND productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count);

-- Items and active time per employee, work date and role: the day role and daily_scores both read these
-- few hundred rows instead of aggregating the chunk's activity twice. A window of a role missing from
-- role_configs (a data error: no multiplier, thresholds or rate) counts toward no score and no day role;
-- it stays in chunk_activity, since the employee was working then: no idle gap.
CREATE TEMP TABLE chunk_role_totals ON COMMIT DROP AS
SELECT employee_id, work_date, role_id, sum(items_count) AS items, sum(window_end - window_start) AS active
FROM chunk_activity
WHERE role_id IN (SELECT role_id FROM productivity.role_configs)
GROUP BY employee_id, work_date, role_id;

-- The role whose thresholds and expected rate apply to an employee's work date: the role worked most
-- that day (by items; ties → lower role id). On a day without activity (a shift with no activity at all
-- is one long idle period) it is the primary role as the daily run of that day saw it: the primary roles
-- stage's rule (primary_roles.sql) over the 30 work days before the day, not today's primary_role_id,
-- which later runs rewrite (a rerun must give what the daily run gave). Only an employee without activity
-- in those 30 days falls back to the stored primary_role_id.
CREATE TEMP TABLE chunk_day_role ON COMMIT DROP AS
WITH days AS (
    SELECT DISTINCT employee_id, work_date FROM chunk_shifts
),
worked AS (
    SELECT DISTINCT ON (employee_id, work_date) employee_id, work_date, role_id
    FROM chunk_role_totals
    ORDER BY employee_id, work_date, items DESC, role_id
),
idle_days AS (
    SELECT d.employee_id, d.work_date
    FROM days d
    WHERE NOT EXISTS (SELECT 1 FROM worked w WHERE w.employee_id = d.employee_id AND w.work_date = d.work_date)
),
-- the idle employees' valid shifts in the 30 work days before any of the chunk's dates, each shift's
-- items per role summed once (one work-date range over clock_times per chunk, not one per idle day)
earlier_shift_items AS (
    SELECT s.employee_id, s.work_date, a.role_id, a.items
    FROM productivity.v_shifts s
    CROSS JOIN LATERAL (
        SELECT a.role_id, sum(a.items_count) AS items
        FROM productivity.activity_logs a
        WHERE a.window_end > s.clock_in
          AND (a.employee_id, a.window_start) > (s.employee_id, s.clock_in - interval '24 hours')
          AND (a.employee_id, a.window_start) < (s.employee_id, s.clock_out)
          AND productivity.is_valid_activity_window(a.window_start, a.window_end, a.items_count)
          AND EXISTS (SELECT 1 FROM productivity.role_configs rc WHERE rc.role_id = a.role_id)
        GROUP BY a.role_id
    ) a
    WHERE s.is_valid AND s.work_date BETWEEN %(start_date)s::date - 30 AND %(end_date)s::date - 1
      AND s.employee_id IN (SELECT employee_id FROM idle_days)
),
before_idle_days AS (
    SELECT DISTINCT ON (i.employee_id, i.work_date) i.employee_id, i.work_date, r.role_id
    FROM idle_days i
    JOIN earlier_shift_items r
      ON r.employee_id = i.employee_id AND r.work_date BETWEEN i.work_date - 30 AND i.work_date - 1
    GROUP BY i.employee_id, i.work_date, r.role_id
    ORDER BY i.employee_id, i.work_date, sum(r.items) DESC, r.role_id
)
SELECT d.employee_id, d.work_date, coalesce(w.role_id, b.role_id, e.primary_role_id) AS role_id
FROM days d
JOIN productivity.employees e ON e.id = d.employee_id
LEFT JOIN worked w USING (employee_id, work_date)
LEFT JOIN before_idle_days b USING (employee_id, work_date);

-- Gaps inside the shifts: shift start, activity windows, shift end, ordered; a gap runs from the latest
-- end so far to the next start. Only gaps of at least the day role's idle threshold count.
CREATE TEMP TABLE chunk_idle_gaps ON COMMIT DROP AS
WITH points AS (
    SELECT shift_id, employee_id, work_date, window_start AS t_start, window_end AS t_end FROM chunk_activity
    UNION ALL
    SELECT shift_id, employee_id, work_date, clock_in, clock_in FROM chunk_shifts
    UNION ALL
    SELECT shift_id, employee_id, work_date, clock_out, clock_out FROM chunk_shifts
),
ordered AS (
    SELECT p.*, max(t_end) OVER (PARTITION BY shift_id ORDER BY t_start, t_end
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS previous_end
    FROM points p
)
SELECT o.employee_id, o.work_date, o.previous_end AS start_time, o.t_start AS end_time,
       round((extract(epoch FROM o.t_start - o.previous_end) / 60.0)::numeric, 2) AS duration_minutes,
       dr.role_id
FROM ordered o
JOIN chunk_day_role dr USING (employee_id, work_date)
JOIN productivity.role_configs rc ON rc.role_id = dr.role_id
WHERE o.t_start > o.previous_end
  AND o.t_start - o.previous_end >= make_interval(mins => rc.idle_threshold_minutes);
