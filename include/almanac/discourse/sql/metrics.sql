-- Metrics of one version for the given trimesters, replacing them (docs/discourse.md#formulas):
-- per (trimester, course, user) the raw counts by action type, days_active (distinct UTC days with any
-- action), the weighted unnormalized score and 100·ln(1+s)/ln(1+max s in that course and trimester);
-- per (trimester, user) the platform score = Σ course scores + 0.1·posts_read + 0.5·days_visited (#102),
-- log-normalized over the trimester. ln runs in double precision: numeric ln took ~3 s of the ~8 s over
-- 380K rows, and the scores are stored rounded to 6 decimals anyway.
DELETE FROM discourse.v_user_metrics WHERE version_id = %(version_id)s AND trimester_id = ANY(%(trimester_ids)s);

INSERT INTO discourse.v_user_metrics
WITH raw AS (
    SELECT trimester_id, category_id, user_id,
           count(*) FILTER (WHERE action_type = 1) AS likes_given,
           count(*) FILTER (WHERE action_type = 2) AS likes_received,
           count(*) FILTER (WHERE action_type = 4) AS topics_created,
           count(*) FILTER (WHERE action_type = 5) AS replies,
           count(*) FILTER (WHERE action_type = 15) AS solutions,
           count(DISTINCT (created_at AT TIME ZONE 'UTC')::date) AS days_active
    FROM discourse.v_user_actions
    WHERE version_id = %(version_id)s AND trimester_id = ANY(%(trimester_ids)s)
    GROUP BY trimester_id, category_id, user_id
),
scored AS (
    SELECT r.*,
           %(w_like_given)s::numeric * likes_given + %(w_like_received)s::numeric * likes_received + %(w_topic)s::numeric * topics_created
           + %(w_reply)s::numeric * replies + %(w_solution)s::numeric * solutions + %(w_day_active)s::numeric * days_active AS unnormalized
    FROM raw r
)
SELECT %(version_id)s, trimester_id, category_id, user_id, likes_given, likes_received, topics_created, replies,
       solutions, days_active, unnormalized,
       CASE WHEN max(unnormalized) OVER w > 0
            THEN round((100 * ln(1 + unnormalized::float8) / ln(1 + (max(unnormalized) OVER w)::float8))::numeric, 6)
            ELSE 0 END
FROM scored
WINDOW w AS (PARTITION BY trimester_id, category_id);

DELETE FROM discourse.v_platform_scores WHERE version_id = %(version_id)s AND trimester_id = ANY(%(trimester_ids)s);

INSERT INTO discourse.v_platform_scores
WITH course_scores AS (
    SELECT trimester_id, user_id, sum(unnormalized_score) AS s
    FROM discourse.v_user_metrics
    WHERE version_id = %(version_id)s AND trimester_id = ANY(%(trimester_ids)s)
    GROUP BY trimester_id, user_id
),
engagement AS (
    SELECT trimester_id, user_id, %(w_posts_read)s::numeric * posts_read + %(w_days_visited)s::numeric * days_visited AS s
    FROM discourse.v_engagement
    WHERE version_id = %(version_id)s AND trimester_id = ANY(%(trimester_ids)s)
),
total AS (
    SELECT trimester_id, user_id, sum(s) AS score
    FROM (SELECT * FROM course_scores UNION ALL SELECT * FROM engagement) parts
    GROUP BY trimester_id, user_id
)
SELECT %(version_id)s, trimester_id, user_id, score,
       CASE WHEN max(score) OVER w > 0
            THEN round((100 * ln(1 + score::float8) / ln(1 + (max(score) OVER w)::float8))::numeric, 6) ELSE 0 END
FROM total
WINDOW w AS (PARTITION BY trimester_id);
