-- Retention: drop metrics computed for reference dates more than retention_days before R.
DELETE FROM tutoring.tutor_performance_metrics
WHERE calculation_date < %(reference_start)s::timestamptz - make_interval(days => %(retention_days)s)
