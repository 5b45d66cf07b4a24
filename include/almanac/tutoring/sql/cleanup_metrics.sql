-- Retention: drop metrics computed for reference dates more than retention_days before R (the cutoff is
-- the UTC midnight retention_days before R, computed by the caller), first remembering the furthest
-- cutoff applied, so a later run of an older R does not write them back (retention_horizon.sql).
INSERT INTO tutoring.almanac_retention_horizon (deleted_before) VALUES (%(cutoff)s)
ON CONFLICT (singleton) DO UPDATE
SET deleted_before = greatest(almanac_retention_horizon.deleted_before, EXCLUDED.deleted_before);

DELETE FROM tutoring.tutor_performance_metrics
WHERE calculation_date < %(cutoff)s
