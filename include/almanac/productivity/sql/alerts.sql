-- idle_detected alerts for work dates in [start_date, end_date]: one per stored idle period of at least
-- the alert threshold of the role it was detected under. Reads only the stored idle_periods (the seed's
-- dependency order: idle_periods → alerts), so it needs no pass over the activity.
INSERT INTO productivity.alerts (employee_id, alert_type, created_at, work_date, details)
SELECT p.employee_id, 'idle_detected', p.end_time, p.work_date,
       jsonb_build_object('start_time', p.start_time, 'end_time', p.end_time,
                          'duration_minutes', p.duration_minutes, 'threshold_minutes', rc.alert_threshold_minutes)
FROM productivity.idle_periods p
JOIN productivity.role_configs rc ON rc.role_id = p.role_id
WHERE p.work_date BETWEEN %(start_date)s AND %(end_date)s
  AND p.duration_minutes >= rc.alert_threshold_minutes
ON CONFLICT (employee_id, alert_type, created_at) DO UPDATE SET details = EXCLUDED.details
