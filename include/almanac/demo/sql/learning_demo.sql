-- Synthetic learning data: %(students)s students, %(courses)s courses of %(lessons)s lessons, each student
-- enrolled in one or two courses and progressing at their own pace over the %(days)s days before
-- %(end_date)s, with quiz attempts, ~5%% inactive students, and a few impossible rows (negative time,
-- a score of 130) that the snapshot must exclude and count. setseed makes it repeatable.
SELECT setseed(%(seed)s);

INSERT INTO learning.courses (course_id, title)
SELECT c, format('Course %%s', c) FROM generate_series(1, %(courses)s) AS c;

INSERT INTO learning.lessons (lesson_id, course_id, sequence_no, title)
SELECT (c - 1) * %(lessons)s + n, c, n, format('Course %%s, lesson %%s', c, n)
FROM generate_series(1, %(courses)s) AS c, generate_series(1, %(lessons)s) AS n;

INSERT INTO learning.students (user_id, full_name, is_active)
SELECT u, format('Student %%s', u), random() > 0.05 FROM generate_series(1, %(students)s) AS u;

DROP TABLE IF EXISTS demo_enrollments;
CREATE TEMP TABLE demo_enrollments ON COMMIT DROP AS
SELECT u AS user_id,
       1 + ((u * 7 + k * 3) %% %(courses)s) AS course_id,
       %(end_date)s::timestamptz - make_interval(hours => 24 * (%(days)s - (random() * 5)::int)) AS enrolled_at,
       random() AS diligence
FROM generate_series(1, %(students)s) AS u, generate_series(0, u %% 2) AS k;

INSERT INTO learning.enrollments (user_id, course_id, enrolled_at, target_end_date)
SELECT user_id, course_id, enrolled_at, ((enrolled_at AT TIME ZONE 'UTC') + make_interval(days => %(days)s + 10))::date
FROM demo_enrollments;

INSERT INTO learning.lesson_progress (user_id, lesson_id, started_at, completed_at, time_spent_seconds)
SELECT e.user_id, l.lesson_id, t.started,
       CASE WHEN t.finished < %(end_date)s::timestamptz THEN t.finished END,
       (600 + random() * 3000)::int
FROM demo_enrollments e
JOIN learning.lessons l USING (course_id)
CROSS JOIN LATERAL (
    SELECT e.enrolled_at + make_interval(secs => l.sequence_no * 86400 * (1.2 + 3.5 * (1 - e.diligence))) AS started,
           e.enrolled_at + make_interval(secs => l.sequence_no * 86400 * (1.2 + 3.5 * (1 - e.diligence)) + 1200 + random() * 4000) AS finished
) AS t
WHERE t.started < %(end_date)s::timestamptz
-- stored in time order, as a platform appends progress and attempts
ORDER BY 3, 1, 2;

INSERT INTO learning.quiz_attempts (user_id, lesson_id, score, attempted_at)
SELECT p.user_id, p.lesson_id,
       greatest(0, least(100, round((35 + 60 * e.diligence + (random() - 0.5) * 40)::numeric, 1))),
       p.completed_at + make_interval(mins => a * 7)
FROM learning.lesson_progress p
JOIN learning.lessons l USING (lesson_id)
JOIN demo_enrollments e ON e.user_id = p.user_id AND e.course_id = l.course_id
CROSS JOIN generate_series(0, (p.lesson_id %% 2)::int) AS a
WHERE p.completed_at IS NOT NULL
ORDER BY 4, 1, 2;

UPDATE learning.lesson_progress SET time_spent_seconds = -300
WHERE (user_id, lesson_id) IN (SELECT user_id, lesson_id FROM learning.lesson_progress ORDER BY md5(user_id::text || lesson_id) LIMIT 2);
UPDATE learning.quiz_attempts SET score = 130
WHERE ctid IN (SELECT ctid FROM learning.quiz_attempts ORDER BY md5(user_id::text || lesson_id || attempted_at) LIMIT 2);
