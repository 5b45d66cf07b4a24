-- Weekly recommendations for week W (a Monday), replacing that week's rows in one transaction.
-- From each active student's latest snapshot before W (W − 1 day is the one the run waits for; W's own,
-- written from Tuesday on, would make a later rerun of W differ from the Monday run), and only rows
-- dated before W:
--   pace_score < 70                          → catch_up  (high)
--   quiz_average < 60                        → review    (high), naming the lowest-scoring lesson
--   no lesson progress in [W − 7 days, W)     → re_engage (medium)
--   none of these                            → advance   (low), to the next lesson not yet completed
-- Rows of later weeks win: a rerun of an old week writes its rows inactive.
DELETE FROM learning.adaptive_recommendations WHERE week_start = %(week_start)s;

WITH active AS (  -- DISTINCT: the platform's table may list a student twice; each counts once
    SELECT DISTINCT user_id FROM learning.students WHERE is_active
),
latest AS (  -- one step back along the (user_id, snapshot_date) key per student, not every past day
    SELECT s.*
    FROM active a
    CROSS JOIN LATERAL (
        SELECT * FROM learning.performance_snapshots s
        WHERE s.user_id = a.user_id AND s.snapshot_date < %(week_start)s
        ORDER BY s.snapshot_date DESC
        LIMIT 1
    ) s
),
recently_active AS (
    SELECT DISTINCT user_id
    FROM learning.lesson_progress
    WHERE (started_at >= %(window_start)s AND started_at < %(window_end)s)
       OR (completed_at >= %(window_start)s AND completed_at < %(window_end)s)
),
flags AS (
    SELECT s.user_id, s.pace_score, s.quiz_average,
           s.pace_score < 70 AS behind,
           coalesce(s.quiz_average < 60, false) AS struggling,
           r.user_id IS NULL AS idle
    FROM latest s
    LEFT JOIN recently_active r USING (user_id)
),
lowest_lesson AS (  -- only for the students `review` fires for
    SELECT DISTINCT ON (b.user_id) b.user_id, b.best, l.title
    FROM (
        SELECT user_id, lesson_id, max(score) AS best
        FROM learning.quiz_attempts
        WHERE attempted_at < %(window_end)s AND user_id IN (SELECT user_id FROM flags WHERE struggling)
        GROUP BY user_id, lesson_id
    ) b
    JOIN learning.lessons l USING (lesson_id)
    ORDER BY b.user_id, b.best, l.lesson_id
),
next_lesson AS (  -- only for the students who get `advance`
    SELECT DISTINCT ON (e.user_id) e.user_id, l.title
    FROM learning.enrollments e
    JOIN learning.lessons l USING (course_id)
    LEFT JOIN learning.lesson_progress p
           ON p.user_id = e.user_id AND p.lesson_id = l.lesson_id AND p.completed_at < %(window_end)s
    WHERE e.enrolled_at < %(window_end)s AND p.user_id IS NULL
      AND e.user_id IN (SELECT user_id FROM flags WHERE NOT (behind OR struggling OR idle))
    ORDER BY e.user_id, e.enrolled_at, e.course_id, l.sequence_no
),
with_later_weeks AS (  -- read once, before the first row is written (see below)
    SELECT DISTINCT user_id FROM learning.adaptive_recommendations WHERE week_start > %(week_start)s
),
rules AS (
    SELECT user_id, 'catch_up' AS recommendation_type, 'Catch up with your course plan' AS title,
           format('Pace score %%s is below 70', round(pace_score)) AS reason, 'high' AS priority
    FROM flags WHERE behind
    UNION ALL
    SELECT f.user_id, 'review', 'Review: ' || ll.title,
           format('Quiz average %%s is below 60; lowest best score %%s', round(f.quiz_average), round(ll.best)), 'high'
    FROM flags f JOIN lowest_lesson ll USING (user_id) WHERE f.struggling
    UNION ALL
    SELECT user_id, 're_engage', 'Pick up where you left off', 'No lesson activity in the last 7 days', 'medium'
    FROM flags WHERE idle
    UNION ALL
    SELECT f.user_id, 'advance', coalesce('Next: ' || n.title, 'All lessons done: choose your next course'),
           'On pace and doing well', 'low'
    FROM flags f LEFT JOIN next_lesson n USING (user_id)
    WHERE NOT (f.behind OR f.struggling OR f.idle)
)
INSERT INTO learning.adaptive_recommendations
    (id, user_id, recommendation_type, title, reason, priority, week_start, created_at, is_active)
SELECT md5(r.user_id || ':' || %(week_start)s::text || ':' || r.recommendation_type)::uuid,
       r.user_id, r.recommendation_type, r.title, r.reason, r.priority, %(week_start)s, %(created_at)s,
       later.user_id IS NULL
FROM rules r
-- A join to the students with later weeks, not a NOT EXISTS per row: with statistics that call the table
-- empty (an ANALYZE before the first week), that subquery became a sequential scan per written row over
-- the pages this statement was filling, quadratic in the rows (91 s for 100,000 students).
LEFT JOIN with_later_weeks later USING (user_id);

UPDATE learning.adaptive_recommendations old
SET is_active = false
WHERE old.is_active
  AND old.week_start < %(week_start)s
  AND old.user_id IN (SELECT user_id FROM learning.adaptive_recommendations WHERE week_start = %(week_start)s);
