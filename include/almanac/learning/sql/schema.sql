-- learning (DESIGN.md §4.2). Sources belong to the learning platform; the embedded runtime and the
-- tests create them.
CREATE TABLE IF NOT EXISTS learning.students (
    user_id   bigint PRIMARY KEY,
    full_name text NOT NULL,
    is_active boolean NOT NULL DEFAULT true
);
CREATE TABLE IF NOT EXISTS learning.courses (
    course_id bigint PRIMARY KEY,
    title     text NOT NULL
);
CREATE TABLE IF NOT EXISTS learning.enrollments (
    user_id         bigint NOT NULL REFERENCES learning.students (user_id),
    course_id       bigint NOT NULL REFERENCES learning.courses (course_id),
    enrolled_at     timestamptz NOT NULL,
    target_end_date date NOT NULL,
    PRIMARY KEY (user_id, course_id)
);
CREATE TABLE IF NOT EXISTS learning.lessons (
    lesson_id   bigint PRIMARY KEY,
    course_id   bigint NOT NULL REFERENCES learning.courses (course_id),
    sequence_no integer NOT NULL,
    title       text NOT NULL
);
CREATE TABLE IF NOT EXISTS learning.lesson_progress (
    user_id            bigint NOT NULL,
    lesson_id          bigint NOT NULL REFERENCES learning.lessons (lesson_id),
    started_at         timestamptz NOT NULL,
    completed_at       timestamptz,
    time_spent_seconds integer NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, lesson_id)
);
CREATE TABLE IF NOT EXISTS learning.quiz_attempts (
    user_id      bigint NOT NULL,
    lesson_id    bigint NOT NULL REFERENCES learning.lessons (lesson_id),
    score        numeric NOT NULL,
    attempted_at timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS quiz_attempts_user_idx ON learning.quiz_attempts (user_id, attempted_at);

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
