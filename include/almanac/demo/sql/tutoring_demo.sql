-- Synthetic tutoring data: %(tutors)s tutors with a spread of quality q in [0, 1), each with
-- %(sessions_per_tutor)s sessions spread over the %(days)s days before %(end_date)s, plus a few rows
-- with out-of-range values. setseed makes it the same every time.
SELECT setseed(%(seed)s);

INSERT INTO tutoring.tutors (tutor_id, name, is_active)
SELECT format('T%%05s', g), format('Tutor %%s', g), g %% 25 <> 0
FROM generate_series(1, %(tutors)s) AS g;

DROP TABLE IF EXISTS demo_quality;
CREATE TEMP TABLE demo_quality ON COMMIT DROP AS
SELECT format('T%%05s', g) AS tutor_id, random() AS q FROM generate_series(1, %(tutors)s) AS g;

INSERT INTO tutoring.sessions (session_id, tutor_id, student_id, scheduled_start, status, is_first_session,
                               student_rating, rescheduled_by, objectives_met, engagement_score,
                               response_time_minutes)
SELECT format('%%s-S%%04s', t.tutor_id, n),
       t.tutor_id,
       format('ST%%06s', (random() * 50000)::int),
       %(end_date)s::timestamptz - make_interval(secs => random() * %(days)s * 86400),
       status,
       random() < 0.15,
       CASE WHEN status = 'completed' AND random() < 0.85
            THEN greatest(1, least(5, round(1 + 4 * t.q + (random() - 0.5) * 1.5)))::int END,
       CASE WHEN status = 'rescheduled' THEN CASE WHEN random() < 1 - t.q THEN 'tutor' ELSE 'student' END END,
       CASE WHEN status = 'completed' THEN random() < 0.3 + 0.65 * t.q END,
       CASE WHEN status = 'completed' THEN round((30 + 65 * t.q + (random() - 0.5) * 20)::numeric, 1) END,
       round((5 + 60 * (1 - t.q) * random())::numeric, 1)
FROM demo_quality t
CROSS JOIN generate_series(1, %(sessions_per_tutor)s) AS n
CROSS JOIN LATERAL (
    SELECT CASE
             WHEN r < 0.70 + 0.25 * t.q THEN 'completed'
             WHEN r < 0.80 + 0.15 * t.q THEN 'rescheduled'
             WHEN r < 0.90 + 0.08 * t.q THEN 'cancelled'
             ELSE 'no_show'
           END AS status
    FROM (SELECT random() + n * 0 AS r) AS x
) AS s
-- stored in time order, as a platform appends sessions
ORDER BY 4, 1;

-- A handful of bad rows, as the platform sometimes produces: rating 7, negative minutes, unknown status.
UPDATE tutoring.sessions SET student_rating = 7
WHERE session_id IN (SELECT session_id FROM tutoring.sessions WHERE status = 'completed' ORDER BY session_id LIMIT 5);
UPDATE tutoring.sessions SET response_time_minutes = -12
WHERE session_id IN (SELECT session_id FROM tutoring.sessions ORDER BY session_id DESC LIMIT 5);
UPDATE tutoring.sessions SET status = 'teleported'
WHERE session_id IN (SELECT session_id FROM tutoring.sessions ORDER BY md5(session_id) LIMIT 3);
