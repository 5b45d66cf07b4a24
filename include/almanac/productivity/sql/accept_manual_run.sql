-- The cooldown between manual recalculations: the latest other accepted manual run triggered (run_after)
-- less than the cooldown before this one, whatever the runs' logical dates. Serialised by an advisory lock.
SELECT pg_advisory_xact_lock(hashtext('almanac:productivity:manual_runs'));

SELECT run_id, run_after
FROM productivity.almanac_manual_runs
WHERE run_id <> %(run_id)s
  AND run_after <= %(run_after)s
  AND run_after > %(run_after)s::timestamptz - make_interval(secs => %(cooldown_seconds)s)
ORDER BY run_after DESC
LIMIT 1;
