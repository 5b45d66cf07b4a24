-- Retention: drop metrics computed for reference dates more than retention_days before R (the cutoff is
-- the UTC midnight retention_days before R, computed by the caller).
DELETE FROM tutoring.tutor_performance_metrics
WHERE calculation_date < %(cutoff)s
