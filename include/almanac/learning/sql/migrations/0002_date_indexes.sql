-- learning, version 2: indexes for the statements that select by date. The tables' keys and indexes
-- start with user_id (or are the id), so without these a day's snapshot delete and a week's recommendation delete and deactivation
-- read every past day and week.
CREATE INDEX IF NOT EXISTS performance_snapshots_snapshot_date_idx ON learning.performance_snapshots (snapshot_date);
CREATE INDEX IF NOT EXISTS adaptive_recommendations_week_idx ON learning.adaptive_recommendations (week_start);
-- a student's active recommendations: the few rows the weekly run deactivates, among all past weeks
CREATE INDEX IF NOT EXISTS adaptive_recommendations_active_user_idx
    ON learning.adaptive_recommendations (user_id) WHERE is_active;
