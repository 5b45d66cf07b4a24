-- Who gets a snapshot for day D: active students with any lesson progress up to the end of D (the
-- "eligible"), minus those in snapshot_excluded (impossible data, see snapshot_excluded.sql), who are
-- counted as errors. Active students without progress are "skipped".
WITH active AS (  -- DISTINCT: the platform's table may list a student twice; each counts once
    SELECT DISTINCT user_id FROM learning.students WHERE is_active
),
with_progress AS (
    SELECT DISTINCT p.user_id FROM learning.lesson_progress p JOIN active USING (user_id)
    WHERE p.started_at < %(day_end)s
)
SELECT (SELECT count(*) FROM active) AS active_students,
       (SELECT count(*) FROM with_progress) AS eligible,
       (SELECT count(*) FROM with_progress w WHERE w.user_id IN (SELECT user_id FROM snapshot_excluded)) AS errors
