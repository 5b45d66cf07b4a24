-- Rows of a version's metrics, for the reset's log.
SELECT 'user_metrics', count(*) FROM discourse.v_user_metrics WHERE version_id = %(version_id)s
UNION ALL
SELECT 'platform_scores', count(*) FROM discourse.v_platform_scores WHERE version_id = %(version_id)s
