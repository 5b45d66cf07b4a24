-- idle_periods for the chunk's work dates (after prepare_chunk.sql): every qualifying gap, with the day
-- role whose idle threshold it met (the alerts stage applies that role's alert threshold).
INSERT INTO productivity.idle_periods (employee_id, work_date, start_time, end_time, duration_minutes, role_id)
SELECT g.employee_id, g.work_date, g.start_time, g.end_time, g.duration_minutes, g.role_id
FROM chunk_idle_gaps g
JOIN productivity.employees e ON e.id = g.employee_id AND e.is_active
ON CONFLICT (employee_id, start_time) DO UPDATE SET
    end_time = EXCLUDED.end_time, duration_minutes = EXCLUDED.duration_minutes, work_date = EXCLUDED.work_date,
    role_id = EXCLUDED.role_id
