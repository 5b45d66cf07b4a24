-- The learning platform's source tables, as the embedded runtime and the tests create them. In production
-- they belong to the learning platform: almanac only reads them (and checks they exist with these columns).
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
