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
-- Each progress row is grouped once, per student and course, before any join: at 100,000 students each
-- per-row hash probe misses the CPU cache, so it is the number of them that sets the time
-- (docs/learning.md, "At 10× the students").
WITH active AS (  -- DISTINCT: the platform's table may list a student twice; each counts once
    SELECT DISTINCT user_id FROM learning.students WHERE is_active
),
per_course AS (  -- the one pass over the progress rows, per student and course (lesson → course)
    SELECT p.user_id, l.course_id,
           count(*) FILTER (WHERE p.completed_at >= %(day_start)s AND p.completed_at < %(day_end)s) AS completed_on_day,
           sum(p.time_spent_seconds) FILTER (
               WHERE coalesce(p.completed_at, p.started_at) >= %(day_start)s
                 AND coalesce(p.completed_at, p.started_at) < %(day_end)s) AS seconds_on_day,
           count(*) FILTER (WHERE p.completed_at < %(day_end)s) AS completed_to_date
    FROM learning.lesson_progress p
    LEFT JOIN learning.lessons l USING (lesson_id)
    WHERE p.started_at < %(day_end)s
    GROUP BY p.user_id, l.course_id
),
enrolled AS (  -- enrollment rows per student and course (an enrollment listed twice counts twice, as in expected_to_date)
    SELECT user_id, course_id, count(*) AS enrollments FROM learning.enrollments GROUP BY user_id, course_id
),
per_user AS (  -- completed-to-date counts only lessons of courses the student is enrolled in
    SELECT c.user_id,
           sum(c.completed_on_day) AS completed_on_day,
           coalesce(sum(c.seconds_on_day), 0) / 60.0 AS minutes_on_day,
           coalesce(sum(c.completed_to_date * e.enrollments), 0) AS completed_to_date
    FROM per_course c
    LEFT JOIN enrolled e ON e.user_id = c.user_id AND e.course_id = c.course_id
    WHERE c.user_id IN (SELECT user_id FROM active) AND c.user_id NOT IN (SELECT user_id FROM snapshot_excluded)
    GROUP BY c.user_id
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
            ELSE least(100, 100.0 * u.completed_to_date / x.n) END,
       q.average,
       u.completed_on_day,
       u.minutes_on_day,
       %(created_at)s
FROM per_user u
LEFT JOIN expected_to_date x USING (user_id)
LEFT JOIN quiz q USING (user_id)
