-- A manual run the cooldown accepted (a rerun of the same run finds its own row and changes nothing).
INSERT INTO productivity.almanac_manual_runs (run_id, run_after)
VALUES (%(run_id)s, %(run_after)s)
ON CONFLICT (run_id) DO NOTHING
