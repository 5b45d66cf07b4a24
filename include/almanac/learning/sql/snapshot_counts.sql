-- Counts for day D that the snapshot's own row count does not give: active students, and the errors,
-- active students with lesson progress up to the end of D who are in snapshot_excluded (impossible
-- data, see snapshot_excluded.sql). The eligible (active with progress) are the snapshots written plus
-- the errors, so no count here reads all of lesson_progress; the skipped are the active minus those.
WITH active AS (  -- DISTINCT: the platform's table may list a student twice; each counts once
    SELECT DISTINCT user_id FROM learning.students WHERE is_active
)
SELECT (SELECT count(*) FROM active) AS active_students,
       (SELECT count(*) FROM snapshot_excluded x
        WHERE x.user_id IN (SELECT user_id FROM active)
          AND EXISTS (SELECT 1 FROM learning.lesson_progress p
                      WHERE p.user_id = x.user_id AND p.started_at < %(day_end)s)) AS errors
