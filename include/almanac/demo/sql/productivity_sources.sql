-- The warehouse app's source tables, as the embedded runtime and the tests create them. In production they
-- belong to the warehouse app: almanac reads them and sets employees.primary_role_id. Work date = the
-- America/Chicago date of clock_in.
CREATE TABLE IF NOT EXISTS productivity.role_configs (
    role_id                 integer PRIMARY KEY,
    role_name               text NOT NULL,
    multiplier              numeric NOT NULL,
    idle_threshold_minutes  integer NOT NULL,
    alert_threshold_minutes integer NOT NULL,
    expected_items_per_hour numeric NOT NULL
);
CREATE TABLE IF NOT EXISTS productivity.employees (
    id              integer PRIMARY KEY,
    name            text NOT NULL,
    is_active       boolean NOT NULL DEFAULT true,
    primary_role_id integer REFERENCES productivity.role_configs (role_id)
);
CREATE TABLE IF NOT EXISTS productivity.pay_rates (
    employee_id    integer NOT NULL REFERENCES productivity.employees (id),
    hourly_rate    numeric NOT NULL,
    effective_from date NOT NULL,
    PRIMARY KEY (employee_id, effective_from)
);
CREATE TABLE IF NOT EXISTS productivity.activity_logs (
    id           bigserial PRIMARY KEY,
    employee_id  integer NOT NULL,
    role_id      integer NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    items_count  integer NOT NULL
);
CREATE INDEX IF NOT EXISTS activity_logs_employee_start_idx ON productivity.activity_logs (employee_id, window_start);
CREATE INDEX IF NOT EXISTS activity_logs_start_idx ON productivity.activity_logs (window_start);
CREATE TABLE IF NOT EXISTS productivity.clock_times (
    id          bigserial PRIMARY KEY,
    employee_id integer NOT NULL,
    clock_in    timestamptz NOT NULL,
    clock_out   timestamptz
);
CREATE INDEX IF NOT EXISTS clock_times_work_date_idx
    ON productivity.clock_times (((clock_in AT TIME ZONE 'America/Chicago')::date));
