-- daily_scores for every employee and work date of the chunk (after prepare_chunk.sql), one statement.
-- points = Σ items × role multiplier; efficiency = 100 · items / (clocked hours × expected items/hour of
-- the day's role); idle minutes = Σ qualifying gaps (the same gaps as idle_periods).
INSERT INTO productivity.daily_scores
    (employee_id, score_date, items_processed, points, clocked_minutes, active_minutes, idle_minutes, efficiency_pct)
WITH shifts AS (
    SELECT employee_id, work_date, sum(extract(epoch FROM clock_out - clock_in) / 60.0) AS clocked_minutes
    FROM chunk_shifts
    GROUP BY employee_id, work_date
),
activity AS (
    SELECT t.employee_id, t.work_date,
           sum(t.items) AS items,
           sum(t.items * rc.multiplier) AS points,
           extract(epoch FROM sum(t.active)) / 60.0 AS active_minutes
    FROM chunk_role_totals t
    JOIN productivity.role_configs rc USING (role_id)
    GROUP BY t.employee_id, t.work_date
),
idle AS (
    SELECT employee_id, work_date, sum(duration_minutes) AS idle_minutes
    FROM chunk_idle_gaps
    GROUP BY employee_id, work_date
)
SELECT s.employee_id, s.work_date,
       coalesce(a.items, 0),
       coalesce(a.points, 0),
       round(s.clocked_minutes::numeric, 2),
       round(coalesce(a.active_minutes, 0)::numeric, 2),
       coalesce(i.idle_minutes, 0),
       round((100.0 * coalesce(a.items, 0)
              / nullif(s.clocked_minutes / 60.0 * rc.expected_items_per_hour, 0))::numeric, 2)
FROM shifts s
JOIN productivity.employees e ON e.id = s.employee_id AND e.is_active
LEFT JOIN activity a USING (employee_id, work_date)
LEFT JOIN idle i USING (employee_id, work_date)
LEFT JOIN chunk_day_role dr USING (employee_id, work_date)
LEFT JOIN productivity.role_configs rc ON rc.role_id = dr.role_id
ON CONFLICT (employee_id, score_date) DO UPDATE SET
    items_processed = EXCLUDED.items_processed, points = EXCLUDED.points,
    clocked_minutes = EXCLUDED.clocked_minutes, active_minutes = EXCLUDED.active_minutes,
    idle_minutes = EXCLUDED.idle_minutes, efficiency_pct = EXCLUDED.efficiency_pct
