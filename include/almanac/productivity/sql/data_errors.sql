-- Per-employee data errors in the range, excluded from every stage and reported in the run summary.
SELECT
    (SELECT count(*) FROM productivity.v_shifts
     WHERE NOT is_valid AND work_date BETWEEN %(start_date)s AND %(end_date)s) AS invalid_shifts,
    (SELECT count(*) FROM productivity.activity_logs a
     JOIN productivity.v_shifts s ON s.employee_id = a.employee_id AND a.window_start >= s.clock_in
      AND a.window_start < coalesce(s.clock_out, s.clock_in + interval '24 hours')
     WHERE (a.window_end < a.window_start OR a.items_count < 0)
       AND s.work_date BETWEEN %(start_date)s AND %(end_date)s) AS invalid_activity_windows,
    (SELECT count(DISTINCT employee_id) FROM productivity.v_shifts
     WHERE NOT is_valid AND work_date BETWEEN %(start_date)s AND %(end_date)s) AS employees_with_errors
