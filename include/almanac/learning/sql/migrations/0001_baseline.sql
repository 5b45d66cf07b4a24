-- learning, version 1: the tables almanac owns (the layout of every install made before versioning).
CREATE TABLE IF NOT EXISTS learning.performance_snapshots (
    user_id                 bigint NOT NULL,
    snapshot_date           date NOT NULL,
    pace_score              numeric(6, 2) NOT NULL,
    quiz_average            numeric(6, 2),
    lessons_completed_count integer NOT NULL,
    time_spent_minutes      numeric(10, 2) NOT NULL,
    created_at              timestamptz NOT NULL,
    UNIQUE (user_id, snapshot_date)
);

-- One row per snapshot day, written in the same transaction as the snapshots: the weekly DAG waits on it.
CREATE TABLE IF NOT EXISTS learning.snapshot_runs (
    snapshot_date   date PRIMARY KEY,
    active_students integer NOT NULL,
    snapshots       integer NOT NULL,
    skipped         integer NOT NULL,
    errors          integer NOT NULL,
    completed_at    timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS learning.adaptive_recommendations (
    id                  uuid PRIMARY KEY,  -- derived from (user, week, type): a rerun writes the same ids
    user_id             bigint NOT NULL,
    recommendation_type text NOT NULL CHECK (recommendation_type IN ('catch_up', 'review', 're_engage', 'advance')),
    title               text NOT NULL,
    reason              text NOT NULL,
    priority            text NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    week_start          date NOT NULL,
    created_at          timestamptz NOT NULL,
    is_active           boolean NOT NULL
);
CREATE INDEX IF NOT EXISTS adaptive_recommendations_user_idx ON learning.adaptive_recommendations (user_id, week_start);
