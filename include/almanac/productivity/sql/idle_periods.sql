-- idle_periods for the chunk's work dates (after prepare_chunk.sql): every qualifying gap.
INSERT INTO productivity.idle_periods (employee_id, work_date, start_time, end_time, duration_minutes)
SELECT g.employee_id, g.work_date, g.start_time, g.end_time, g.duration_minutes
FROM chunk_idle_gaps g
JOIN productivity.employees e ON e.id = g.employee_id AND e.is_active
ON CONFLICT (employee_id, start_time) DO UPDATE SET
    end_time = EXCLUDED.end_time, duration_minutes = EXCLUDED.duration_minutes, work_date = EXCLUDED.work_date
