-- Upsert the staged rows on the natural key: a rerun or a cleared batch writes the same values.
INSERT INTO tutoring.tutor_performance_metrics AS m (
    metric_id, tutor_id, calculation_date, metric_window, sessions_completed, avg_rating,
    first_session_success_rate, reschedule_rate, no_show_count, engagement_score,
    learning_objectives_met_pct, response_time_avg_minutes, performance_tier, excluded_sessions,
    created_at, updated_at
)
SELECT metric_id, tutor_id, calculation_date, metric_window, sessions_completed, avg_rating,
       first_session_success_rate, reschedule_rate, no_show_count, engagement_score,
       learning_objectives_met_pct, response_time_avg_minutes, performance_tier, excluded_sessions,
       created_at, updated_at
FROM tutor_metrics_stage
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
