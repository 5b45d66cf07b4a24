-- productivity, version 3: every range stage deletes and reads its table by date (score_date or
-- work_date), which the primary keys (employee first) cannot serve; without these indexes each daily
-- run scanned the whole history of the derived tables.
CREATE INDEX IF NOT EXISTS daily_scores_score_date_idx ON productivity.daily_scores (score_date);
CREATE INDEX IF NOT EXISTS idle_periods_work_date_idx ON productivity.idle_periods (work_date);
CREATE INDEX IF NOT EXISTS alerts_work_date_idx ON productivity.alerts (work_date);
CREATE INDEX IF NOT EXISTS employee_hourly_costs_score_date_idx ON productivity.employee_hourly_costs (score_date);
