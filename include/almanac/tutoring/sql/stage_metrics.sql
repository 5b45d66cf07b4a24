-- One batch's computed rows, staged for the upsert (dropped at commit).
CREATE TEMP TABLE tutor_metrics_stage (LIKE tutoring.tutor_performance_metrics INCLUDING DEFAULTS) ON COMMIT DROP
