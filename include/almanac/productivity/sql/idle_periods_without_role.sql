-- Active employees' idle periods in [start_date, end_date] stored before idle_periods had role_id (NULL):
-- the alerts stage cannot tell their threshold, and must not replace the range's alerts until they are
-- recalculated. An employee who left keeps both their idle periods and their alerts as they are (a
-- recalculation rewrites active employees only), so their periods do not block the stage.
SELECT count(*) FROM productivity.idle_periods p
JOIN productivity.employees e ON e.id = p.employee_id AND e.is_active
WHERE p.work_date BETWEEN %(start_date)s AND %(end_date)s AND p.role_id IS NULL
