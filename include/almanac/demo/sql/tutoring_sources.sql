-- The tutoring platform's source tables, as the embedded runtime and the tests create them. In production
-- they belong to the tutoring platform: almanac only reads them.
CREATE TABLE IF NOT EXISTS tutoring.tutors (
    tutor_id  text PRIMARY KEY,
    name      text NOT NULL,
    is_active boolean NOT NULL DEFAULT true
);

CREATE TABLE IF NOT EXISTS tutoring.sessions (
    session_id            text PRIMARY KEY,
    tutor_id              text NOT NULL REFERENCES tutoring.tutors (tutor_id),
    student_id            text NOT NULL,
    scheduled_start       timestamptz NOT NULL,
    status                text NOT NULL,     -- completed / no_show / cancelled / rescheduled
    is_first_session      boolean NOT NULL DEFAULT false,
    student_rating        integer,           -- 1–5 or NULL
    rescheduled_by        text,              -- tutor / student / NULL
    objectives_met        boolean,
    engagement_score      double precision,  -- 0–100
    response_time_minutes double precision
);
CREATE INDEX IF NOT EXISTS sessions_tutor_start_idx ON tutoring.sessions (tutor_id, scheduled_start);
