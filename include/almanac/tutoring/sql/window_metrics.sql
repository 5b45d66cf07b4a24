-- All nine raw metrics for a batch of tutors and the three windows, in one pass over the sessions.
-- Window N covers scheduled_start in [R − N days, R) with R at 00:00 UTC. The bounds are instants computed
-- by the caller, so the result does not depend on the session's TimeZone (a day subtracted from a
-- timestamptz in a DST zone can be 23 or 25 hours).
-- A session with an out-of-range value (rating outside 1–5, negative minutes, engagement outside
-- 0–100, unknown status or rescheduled_by) is left out of every metric and counted in excluded_sessions.
WITH batch AS (
    SELECT unnest(%(tutor_ids)s::text[]) AS tutor_id
),
windows (metric_window, window_start) AS (
    VALUES ('7day', %(start_7day)s::timestamptz), ('30day', %(start_30day)s::timestamptz),
           ('90day', %(start_90day)s::timestamptz)
),
recent AS (
    SELECT s.*,
           s.status IN ('completed', 'no_show', 'cancelled', 'rescheduled')
           AND (s.rescheduled_by IS NULL OR s.rescheduled_by IN ('tutor', 'student'))
           AND (s.student_rating IS NULL OR s.student_rating BETWEEN 1 AND 5)
           AND (s.response_time_minutes IS NULL OR s.response_time_minutes >= 0)
           AND (s.engagement_score IS NULL OR s.engagement_score BETWEEN 0 AND 100) AS is_valid
    FROM tutoring.sessions s
    JOIN batch USING (tutor_id)
    WHERE s.scheduled_start >= %(start_90day)s::timestamptz
      AND s.scheduled_start < %(reference_start)s::timestamptz
),
tagged AS (
    SELECT r.*, r.is_valid AND r.status = 'completed' AS is_completed
    FROM recent r
)
SELECT b.tutor_id,
       w.metric_window,
       count(*) FILTER (WHERE t.is_completed) AS sessions_completed,
       avg(t.student_rating) FILTER (WHERE t.is_completed) AS avg_rating,
       100.0 * count(*) FILTER (WHERE t.is_completed AND t.is_first_session AND t.student_rating >= 4)
           / nullif(count(*) FILTER (WHERE t.is_completed AND t.is_first_session), 0) AS first_session_success_rate,
       100.0 * count(*) FILTER (WHERE t.is_valid AND t.status = 'rescheduled' AND t.rescheduled_by = 'tutor')
           / nullif(count(*) FILTER (WHERE t.is_valid), 0) AS reschedule_rate,
       count(*) FILTER (WHERE t.is_valid AND t.status = 'no_show') AS no_show_count,
       avg(t.engagement_score::numeric) FILTER (WHERE t.is_completed)::double precision AS engagement_score,
       100.0 * count(*) FILTER (WHERE t.is_completed AND t.objectives_met)
           / nullif(count(*) FILTER (WHERE t.is_completed), 0) AS learning_objectives_met_pct,
       avg(t.response_time_minutes::numeric) FILTER (WHERE t.is_valid)::double precision AS response_time_avg_minutes,
       count(*) FILTER (WHERE t.is_valid) AS valid_sessions,
       count(t.session_id) FILTER (WHERE NOT t.is_valid) AS excluded_sessions
FROM batch b
CROSS JOIN windows w
LEFT JOIN tagged t
       ON t.tutor_id = b.tutor_id
      AND t.scheduled_start >= w.window_start
GROUP BY b.tutor_id, w.metric_window
ORDER BY b.tutor_id, w.metric_window
