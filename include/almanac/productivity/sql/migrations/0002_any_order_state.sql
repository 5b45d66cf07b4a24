-- productivity, version 2: what "any order" needs.
-- The manual runs the cooldown accepted, by the instant each was triggered (run_after): a manual run is
-- refused when another accepted one was triggered less than the cooldown before it, whatever the two
-- runs' logical dates (runs triggered without one have none).
CREATE TABLE IF NOT EXISTS productivity.almanac_manual_runs (
    run_id      text PRIMARY KEY,
    run_after   timestamptz NOT NULL,
    accepted_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS almanac_manual_runs_run_after_idx ON productivity.almanac_manual_runs (run_after);

-- How far each "current state" stage has been computed (employee_primary_roles: the end_date of its 30-day
-- window). A rerun of an older date leaves newer state in place instead of moving it back.
CREATE TABLE IF NOT EXISTS productivity.almanac_stage_watermarks (
    stage       text PRIMARY KEY,
    computed_to date NOT NULL
);

-- The index lower bound of v_shift_activity in hours: "1 day" on a timestamptz follows the session's
-- TimeZone and is 23 hours across a DST change, which could drop a window starting 23.5 hours earlier.
CREATE OR REPLACE VIEW productivity.v_shift_activity AS
SELECT s.shift_id, s.employee_id, s.work_date, a.role_id, a.items_count,
       greatest(a.window_start, s.clock_in) AS window_start,
       least(a.window_end, s.clock_out) AS window_end
FROM productivity.v_shifts s
JOIN productivity.activity_logs a
  ON a.employee_id = s.employee_id AND a.window_start < s.clock_out AND a.window_end > s.clock_in
 -- a lower bound for the index range scan: no activity window is longer than 24 hours
 AND a.window_start > s.clock_in - interval '24 hours'
WHERE s.is_valid AND a.window_end >= a.window_start AND a.items_count >= 0;
