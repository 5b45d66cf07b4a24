-- productivity, version 1: the tables, views and cache almanac owns (the layout of every install made
-- before versioning).
-- Derived tables. work_date keys each row to the day it belongs to, so a stage can replace a range.
CREATE TABLE IF NOT EXISTS productivity.daily_scores (
    employee_id     integer NOT NULL,
    score_date      date NOT NULL,
    items_processed integer NOT NULL,
    points          numeric NOT NULL,
    clocked_minutes numeric NOT NULL,
    active_minutes  numeric NOT NULL,
    idle_minutes    numeric NOT NULL,
    efficiency_pct  numeric,
    PRIMARY KEY (employee_id, score_date)
);
CREATE TABLE IF NOT EXISTS productivity.idle_periods (
    employee_id      integer NOT NULL,
    work_date        date NOT NULL,
    start_time       timestamptz NOT NULL,
    end_time         timestamptz NOT NULL,
    duration_minutes numeric NOT NULL,
    PRIMARY KEY (employee_id, start_time)
);
-- The role whose thresholds applied that day: the alerts stage reads it instead of recomputing the
-- day's roles from the activity. Added to existing installs; a NULL (older row) is rewritten by the next
-- recalculation of its date.
ALTER TABLE productivity.idle_periods ADD COLUMN IF NOT EXISTS role_id integer;
CREATE TABLE IF NOT EXISTS productivity.alerts (
    employee_id integer NOT NULL,
    alert_type  text NOT NULL,
    created_at  timestamptz NOT NULL,  -- when the idle period ended: the moment it became alertable
    work_date   date NOT NULL,
    details     jsonb NOT NULL,
    PRIMARY KEY (employee_id, alert_type, created_at)
);
CREATE TABLE IF NOT EXISTS productivity.employee_hourly_costs (
    employee_id   integer NOT NULL,
    score_date    date NOT NULL,
    hourly_rate   numeric,
    labor_cost    numeric,
    cost_per_item numeric,
    PRIMARY KEY (employee_id, score_date)
);
CREATE TABLE IF NOT EXISTS productivity.employee_current_status (
    employee_id      integer PRIMARY KEY,
    status           text NOT NULL,
    last_activity_at timestamptz,
    updated_at       timestamptz NOT NULL
);

-- Building blocks (the range stages use prepare_chunk.sql, which materialises the same logic for one
-- chunk; primary_roles.sql and data_errors.sql read these views).
-- A shift with no clock_out, or one that ends before it starts or lasts over 24 h, is a data error:
-- it is left out of every stage and counted in the run summary.
CREATE OR REPLACE VIEW productivity.v_shifts AS
SELECT ct.id AS shift_id,
       ct.employee_id,
       ct.clock_in,
       ct.clock_out,
       (ct.clock_in AT TIME ZONE 'America/Chicago')::date AS work_date,
       ct.clock_out IS NOT NULL AND ct.clock_out > ct.clock_in
           AND ct.clock_out - ct.clock_in <= interval '24 hours' AS is_valid
FROM productivity.clock_times ct;

-- Activity windows inside valid shifts, clipped to the shift (windows with end < start or negative
-- items are data errors, left out).
CREATE OR REPLACE VIEW productivity.v_shift_activity AS
SELECT s.shift_id, s.employee_id, s.work_date, a.role_id, a.items_count,
       greatest(a.window_start, s.clock_in) AS window_start,
       least(a.window_end, s.clock_out) AS window_end
FROM productivity.v_shifts s
JOIN productivity.activity_logs a
  ON a.employee_id = s.employee_id AND a.window_start < s.clock_out AND a.window_end > s.clock_in
 -- a lower bound for the index range scan: no activity window is longer than a day
 AND a.window_start > s.clock_in - interval '1 day'
WHERE s.is_valid AND a.window_end >= a.window_start AND a.items_count >= 0;

-- The cache the dashboards read (the seed's Redis keys). They show the live state, so they use the
-- database clock: refreshing them is the one stage whose output depends on when it runs.
CREATE MATERIALIZED VIEW IF NOT EXISTS productivity.currently_working AS
SELECT ct.employee_id, ct.clock_in FROM productivity.clock_times ct
WHERE ct.clock_out IS NULL AND ct.clock_in > now() - interval '24 hours';
CREATE MATERIALIZED VIEW IF NOT EXISTS productivity.today_clock_times AS
SELECT ct.* FROM productivity.clock_times ct
WHERE (ct.clock_in AT TIME ZONE 'America/Chicago')::date = (now() AT TIME ZONE 'America/Chicago')::date;
CREATE MATERIALIZED VIEW IF NOT EXISTS productivity.working_today AS
SELECT DISTINCT ct.employee_id FROM productivity.clock_times ct
WHERE (ct.clock_in AT TIME ZONE 'America/Chicago')::date = (now() AT TIME ZONE 'America/Chicago')::date;
