-- Idle periods in [start_date, end_date] stored before idle_periods had role_id (NULL): the alerts stage
-- cannot tell their threshold, and must not replace the range's alerts until they are recalculated.
SELECT count(*) FROM productivity.idle_periods
WHERE work_date BETWEEN %(start_date)s AND %(end_date)s AND role_id IS NULL
