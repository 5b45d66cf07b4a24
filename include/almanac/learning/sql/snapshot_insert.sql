-- Snapshots of day D = [day_start, day_end) for every eligible student not in snapshot_excluded, in one
-- statement.
--   lessons_completed_count = lessons completed on D
--   time_spent_minutes      = time of the progress rows whose last activity (completed_at, else
--                             started_at) falls on D
--   quiz_average            = mean over lessons of the best score up to the end of D
--   pace_score              = min(100, 100 · completed-to-date / expected-to-date), where expected =
--                             Σ over enrollments of lessons in the course × elapsed fraction of
--                             enrolled_at → target_end_date (00:00 UTC of that date, whatever the
--                             session's TimeZone) at the end of D; 100 when nothing is expected.
WITH active AS (  -- DISTINCT: the platform's table may list a student twice; each counts once
    SELECT DISTINCT user_id FROM learning.students WHERE is_active
),
progress AS (
    SELECT p.* FROM learning.lesson_progress p JOIN active USING (user_id)
    WHERE p.started_at < %(day_end)s AND p.user_id NOT IN (SELECT user_id FROM snapshot_excluded)
),
per_user AS (
    SELECT user_id,
           count(*) FILTER (WHERE completed_at >= %(day_start)s AND completed_at < %(day_end)s) AS completed_on_day,
           coalesce(sum(time_spent_seconds) FILTER (
               WHERE coalesce(completed_at, started_at) >= %(day_start)s
                 AND coalesce(completed_at, started_at) < %(day_end)s), 0) / 60.0 AS minutes_on_day
    FROM progress
    GROUP BY user_id
),
completed_to_date AS (
    SELECT p.user_id, count(*) AS n
    FROM progress p
    JOIN learning.lessons l USING (lesson_id)
    JOIN learning.enrollments e ON e.user_id = p.user_id AND e.course_id = l.course_id
    WHERE p.completed_at < %(day_end)s
    GROUP BY p.user_id
),
expected_to_date AS (
    SELECT e.user_id,
           sum(c.lessons * CASE
                 WHEN (e.target_end_date::timestamp AT TIME ZONE 'UTC') <= e.enrolled_at THEN 1.0
                 ELSE greatest(0.0, least(1.0,
                        extract(epoch FROM (%(day_end)s::timestamptz - e.enrolled_at))
                        / extract(epoch FROM ((e.target_end_date::timestamp AT TIME ZONE 'UTC') - e.enrolled_at))))
               END) AS n
    FROM learning.enrollments e
    JOIN (SELECT course_id, count(*) AS lessons FROM learning.lessons GROUP BY course_id) c USING (course_id)
    WHERE e.enrolled_at < %(day_end)s
    GROUP BY e.user_id
),
quiz AS (
    SELECT user_id, avg(best) AS average
    FROM (
        SELECT q.user_id, q.lesson_id, max(q.score) AS best
        FROM learning.quiz_attempts q
        WHERE q.attempted_at < %(day_end)s
        GROUP BY q.user_id, q.lesson_id
    ) best_per_lesson
    GROUP BY user_id
)
INSERT INTO learning.performance_snapshots
    (user_id, snapshot_date, pace_score, quiz_average, lessons_completed_count, time_spent_minutes, created_at)
SELECT u.user_id,
       %(day)s,
       CASE WHEN coalesce(x.n, 0) = 0 THEN 100
            ELSE least(100, 100.0 * coalesce(c.n, 0) / x.n) END,
       q.average,
       u.completed_on_day,
       u.minutes_on_day,
       %(created_at)s
FROM per_user u
LEFT JOIN completed_to_date c USING (user_id)
LEFT JOIN expected_to_date x USING (user_id)
LEFT JOIN quiz q USING (user_id)
