-- Step 0 of a reset: a new version to build into. A cleared or rerun backup step starts a fresh build,
-- so this run's unfinished version (building, or failed and restored) is dropped first.
DELETE FROM discourse.versions WHERE run_id = %(run_id)s AND status IN ('building', 'failed');

INSERT INTO discourse.versions (run_id, reset_date, status)
VALUES (%(run_id)s, %(reset_date)s, 'building')
RETURNING version_id;
