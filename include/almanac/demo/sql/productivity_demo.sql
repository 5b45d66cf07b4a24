-- Synthetic warehouse productivity data: 3 roles with different thresholds, %(employees)s employees,
-- %(days)s days of %(shift_hours)s-hour shifts (07:00 Chicago ± 40 min) ending the day before %(end_date)s, and
-- 3-minute activity windows with a lunch break and random short gaps; one open shift as a data error.
SELECT setseed(%(seed)s);

INSERT INTO productivity.role_configs VALUES
    (1, 'picker', 1.0, 10, 30, 60),
    (2, 'packer', 1.2, 15, 45, 40),
    (3, 'loader', 1.5, 20, 60, 25);

INSERT INTO productivity.employees (id, name, is_active, primary_role_id)
SELECT e, format('Employee %%s', e), e %% 23 <> 0, 1 + e %% 3 FROM generate_series(1, %(employees)s) AS e;

INSERT INTO productivity.pay_rates (employee_id, hourly_rate, effective_from)
SELECT e, 15 + (e %% 7), DATE '2025-01-01' FROM generate_series(1, %(employees)s) AS e
UNION ALL
SELECT e, 16 + (e %% 7), %(end_date)s::date - 10 FROM generate_series(1, %(employees)s, 4) AS e;

INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out)
SELECT e, t.clock_in, t.clock_in + make_interval(hours => %(shift_hours)s)
FROM generate_series(1, %(employees)s) AS e
CROSS JOIN generate_series(1, %(days)s) AS d
CROSS JOIN LATERAL (
    SELECT ((%(end_date)s::date - d) + time '07:00') AT TIME ZONE 'America/Chicago'
           + make_interval(mins => (random() * 80 - 40)::int + e * 0) AS clock_in
) AS t
-- everyone has days off
WHERE (e + d) %% 7 <> 0;

DROP TABLE IF EXISTS demo_breaks;
CREATE TEMP TABLE demo_breaks ON COMMIT DROP AS
SELECT id AS shift_id, employee_id, clock_in, 60 + (random() * 60)::int AS break_at, 5 + (random() * 15)::int AS break_len
FROM productivity.clock_times;

INSERT INTO productivity.activity_logs (employee_id, role_id, window_start, window_end, items_count)
SELECT b.employee_id,
       CASE WHEN random() < 0.8 THEN 1 + b.employee_id %% 3 ELSE 1 + (b.employee_id + 1) %% 3 END,
       b.clock_in + make_interval(mins => n * 3),
       b.clock_in + make_interval(mins => n * 3 + 3),
       (random() * 6)::int
FROM demo_breaks b
CROSS JOIN generate_series(0, %(shift_hours)s * 20 - 1) AS n
WHERE NOT (n BETWEEN b.break_at AND b.break_at + b.break_len)
  AND random() > 0.02
-- stored in time order, as a scanner's log is appended while people work
ORDER BY 3, 1;

INSERT INTO productivity.clock_times (employee_id, clock_in, clock_out)
VALUES (2, (%(end_date)s::date - 3 + time '07:00') AT TIME ZONE 'America/Chicago' + interval '9 hours', NULL);
