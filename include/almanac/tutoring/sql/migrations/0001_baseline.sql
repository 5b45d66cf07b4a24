-- tutoring, version 1: the table almanac owns (the layout of every install made before versioning). It
-- keeps the seed's columns, with `window` renamed `metric_window`.
-- One row per (tutor, reference date R, window). calculation_date is always R at 00:00 UTC, so the
-- unique key on it is the unique key on "calculation_date's date" of docs/tutoring.md#contract; metric_id spells
-- the same key as text (the seed's primary key).
CREATE TABLE IF NOT EXISTS tutoring.tutor_performance_metrics (
    metric_id                   text PRIMARY KEY,
    tutor_id                    text NOT NULL REFERENCES tutoring.tutors (tutor_id),
    calculation_date            timestamptz NOT NULL,
    metric_window               text NOT NULL CHECK (metric_window IN ('7day', '30day', '90day')),
    sessions_completed          integer NOT NULL,
    avg_rating                  double precision,
    first_session_success_rate  double precision,
    reschedule_rate             double precision,
    no_show_count               integer NOT NULL,
    engagement_score            double precision,
    learning_objectives_met_pct double precision,
    response_time_avg_minutes   double precision,
    performance_tier            text,
    excluded_sessions           integer NOT NULL DEFAULT 0,  -- out-of-range rows left out of this window
    created_at                  timestamptz NOT NULL,
    updated_at                  timestamptz NOT NULL,
    UNIQUE (tutor_id, calculation_date, metric_window)
);
CREATE INDEX IF NOT EXISTS tutor_performance_metrics_date_idx ON tutoring.tutor_performance_metrics (calculation_date);
