-- This run's unfinished versions (building, or failed and restored): a rerun backup step drops them.
SELECT version_id FROM discourse.versions WHERE run_id = %(run_id)s AND status IN ('building', 'failed')
