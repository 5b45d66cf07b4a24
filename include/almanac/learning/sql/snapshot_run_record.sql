-- The day's counts, which the weekly recommendations' sensor waits for (one row per snapshot date).
INSERT INTO learning.snapshot_runs (snapshot_date, active_students, snapshots, skipped, errors, completed_at)
VALUES (%(day)s, %(active_students)s, %(snapshots)s, %(skipped)s, %(errors)s, %(created_at)s)
ON CONFLICT (snapshot_date) DO UPDATE SET
    active_students = EXCLUDED.active_students, snapshots = EXCLUDED.snapshots, skipped = EXCLUDED.skipped,
    errors = EXCLUDED.errors, completed_at = EXCLUDED.completed_at
