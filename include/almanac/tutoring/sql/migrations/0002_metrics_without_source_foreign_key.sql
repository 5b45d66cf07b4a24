-- tutoring, version 2: almanac's metrics no longer reference the platform's tutors table. The foreign key
-- needed REFERENCES rights on a table almanac does not own and would block the platform from deleting a
-- tutor; plan_batches only ever selects existing tutors, so nothing relied on it.
ALTER TABLE tutoring.tutor_performance_metrics DROP CONSTRAINT IF EXISTS tutor_performance_metrics_tutor_id_fkey;
