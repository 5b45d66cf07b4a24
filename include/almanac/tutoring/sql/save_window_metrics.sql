-- One batch of tutors in one statement: the nine raw metrics of the three windows in one pass over the
-- sessions, the composite score and tier (docs/tutoring.md#performance-tier), and the upsert on the natural
-- key. Returns one row per metric row written, for the summary.
-- Window N covers scheduled_start in [R − N days, R) with R at 00:00 UTC. The bounds are instants computed
-- by the caller, so the result does not depend on the session's TimeZone (a day subtracted from a
-- timestamptz in a DST zone can be 23 or 25 hours).
-- A session with an out-of-range value (rating outside 1–5, negative minutes, engagement outside
-- 0–100, unknown status or rescheduled_by) is left out of every metric and counted in excluded_sessions.
-- The score is computed in float8 in the same order of operations as transform.composite_score (the
-- formula's reference, which the benchmark's baseline uses and compares every row with): a missing
-- component adds 0 and no weight.
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
    -- a membership test, not a join with batch: with a join the planner turned to a nested loop over
    -- tutors × windows once sessions years long were laid out in time order (3× the time)
    WHERE s.tutor_id = ANY(%(tutor_ids)s::text[])
      AND s.scheduled_start >= %(start_90day)s::timestamptz
      AND s.scheduled_start < %(reference_start)s::timestamptz
),
tagged AS (
    SELECT r.*, r.is_valid AND r.status = 'completed' AS is_completed
    FROM recent r
),
metrics AS (
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
),
components AS (
    SELECT m.*,
           (m.avg_rating::float8 - 1.0::float8) / 4.0::float8 * 100.0::float8 AS rating_component,
           greatest(0.0::float8,
                    100.0::float8 - 2.0::float8 * coalesce(m.reschedule_rate::float8, 0.0::float8)
                    - 2.0::float8 * CASE WHEN m.valid_sessions > 0
                                         THEN 100.0::float8 * m.no_show_count / m.valid_sessions
                                         ELSE 0.0::float8 END) AS reliability_component
    FROM metrics m
),
scored AS (
    SELECT c.*,
           CASE WHEN c.sessions_completed > 0 THEN
               (coalesce(%(w_rating)s * c.rating_component, 0.0::float8)
                + coalesce(%(w_objectives)s * c.learning_objectives_met_pct::float8, 0.0::float8)
                + coalesce(%(w_first_sessions)s * c.first_session_success_rate::float8, 0.0::float8)
                + coalesce(%(w_engagement)s * c.engagement_score, 0.0::float8)
                + %(w_reliability)s * c.reliability_component)
               / (CASE WHEN c.rating_component IS NULL THEN 0.0::float8 ELSE %(w_rating)s END
                  + CASE WHEN c.learning_objectives_met_pct IS NULL THEN 0.0::float8 ELSE %(w_objectives)s END
                  + CASE WHEN c.first_session_success_rate IS NULL THEN 0.0::float8 ELSE %(w_first_sessions)s END
                  + CASE WHEN c.engagement_score IS NULL THEN 0.0::float8 ELSE %(w_engagement)s END
                  + %(w_reliability)s)
           END AS score
    FROM components c
)
INSERT INTO tutoring.tutor_performance_metrics AS t (
    metric_id, tutor_id, calculation_date, metric_window, sessions_completed, avg_rating,
    first_session_success_rate, reschedule_rate, no_show_count, engagement_score,
    learning_objectives_met_pct, response_time_avg_minutes, performance_tier, excluded_sessions,
    created_at, updated_at
)
SELECT s.tutor_id || ':' || %(reference_date)s || ':' || s.metric_window,
       s.tutor_id, %(reference_start)s::timestamptz, s.metric_window, s.sessions_completed, s.avg_rating,
       s.first_session_success_rate, s.reschedule_rate, s.no_show_count, s.engagement_score,
       s.learning_objectives_met_pct, s.response_time_avg_minutes,
       CASE WHEN s.score IS NULL THEN NULL
            WHEN s.score >= %(tier_exemplary)s THEN 'Exemplary'
            WHEN s.score >= %(tier_strong)s THEN 'Strong'
            WHEN s.score >= %(tier_developing)s THEN 'Developing'
            WHEN s.score >= %(tier_needs_attention)s THEN 'Needs Attention'
            ELSE 'At Risk' END,
       s.excluded_sessions, %(stamp)s, %(stamp)s
FROM scored s
ORDER BY 1  -- the key's order: appending to the primary key index beats inserting at random
ON CONFLICT (metric_id) DO UPDATE SET
    sessions_completed          = EXCLUDED.sessions_completed,
    avg_rating                  = EXCLUDED.avg_rating,
    first_session_success_rate  = EXCLUDED.first_session_success_rate,
    reschedule_rate             = EXCLUDED.reschedule_rate,
    no_show_count               = EXCLUDED.no_show_count,
    engagement_score            = EXCLUDED.engagement_score,
    learning_objectives_met_pct = EXCLUDED.learning_objectives_met_pct,
    response_time_avg_minutes   = EXCLUDED.response_time_avg_minutes,
    performance_tier            = EXCLUDED.performance_tier,
    excluded_sessions           = EXCLUDED.excluded_sessions,
    updated_at                  = EXCLUDED.updated_at
RETURNING t.metric_window, t.excluded_sessions
