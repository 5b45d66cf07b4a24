-- Students with impossible data up to the end of D (negative time, quiz score outside 0–100): excluded
-- from the snapshot and counted as errors. One definition, read by snapshot_counts.sql and
-- snapshot_insert.sql in the same transaction (dropped at commit).
CREATE TEMP TABLE snapshot_excluded ON COMMIT DROP AS
SELECT user_id FROM learning.lesson_progress WHERE time_spent_seconds < 0 AND started_at < %(day_end)s
UNION
SELECT user_id FROM learning.quiz_attempts WHERE (score < 0 OR score > 100) AND attempted_at < %(day_end)s
