-- idle_periods for work dates in [start_date, end_date]: every qualifying gap (see v_idle_gaps).
INSERT INTO productivity.idle_periods (employee_id, work_date, start_time, end_time, duration_minutes)
SELECT g.employee_id, g.work_date, g.start_time, g.end_time, g.duration_minutes
FROM productivity.v_idle_gaps g
JOIN productivity.employees e ON e.id = g.employee_id AND e.is_active
WHERE g.work_date BETWEEN %(start_date)s AND %(end_date)s
ON CONFLICT (employee_id, start_time) DO UPDATE SET
    end_time = EXCLUDED.end_time, duration_minutes = EXCLUDED.duration_minutes, work_date = EXCLUDED.work_date
