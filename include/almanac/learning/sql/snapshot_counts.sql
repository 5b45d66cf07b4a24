-- Who gets a snapshot for day D: active students with any lesson progress up to the end of D (the
-- "eligible"), minus those with impossible data up to the end of D (negative time, quiz score outside
-- 0–100), who are excluded and counted as errors. Active students without progress are "skipped".
WITH active AS (
    SELECT user_id FROM learning.students WHERE is_active
),
with_progress AS (
    SELECT DISTINCT p.user_id FROM learning.lesson_progress p JOIN active USING (user_id)
    WHERE p.started_at < %(day_end)s
),
impossible AS (
    SELECT user_id FROM learning.lesson_progress WHERE time_spent_seconds < 0 AND started_at < %(day_end)s
    UNION
    SELECT user_id FROM learning.quiz_attempts WHERE (score < 0 OR score > 100) AND attempted_at < %(day_end)s
)
SELECT (SELECT count(*) FROM active) AS active_students,
       (SELECT count(*) FROM with_progress) AS eligible,
       (SELECT count(*) FROM with_progress w WHERE w.user_id IN (SELECT user_id FROM impossible)) AS errors
