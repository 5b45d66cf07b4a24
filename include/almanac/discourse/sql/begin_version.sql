-- Step 0 of a reset: a new version to build into. A cleared or rerun backup step starts a fresh build;
-- this run's unfinished versions (building, or failed and restored) are dropped first (drop_versions.sql).
INSERT INTO discourse.versions (run_id, reset_date, status)
VALUES (%(run_id)s, %(reset_date)s, 'building')
RETURNING version_id;
