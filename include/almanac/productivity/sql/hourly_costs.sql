-- employee_hourly_costs for [start_date, end_date] from daily_scores and the pay rate in effect that day.
INSERT INTO productivity.employee_hourly_costs (employee_id, score_date, hourly_rate, labor_cost, cost_per_item)
SELECT d.employee_id, d.score_date, r.hourly_rate,
       round(d.clocked_minutes / 60.0 * r.hourly_rate, 2),
       round(d.clocked_minutes / 60.0 * r.hourly_rate / nullif(d.items_processed, 0), 4)
FROM productivity.daily_scores d
LEFT JOIN LATERAL (
    SELECT hourly_rate FROM productivity.pay_rates pr
    WHERE pr.employee_id = d.employee_id AND pr.effective_from <= d.score_date
    ORDER BY pr.effective_from DESC LIMIT 1
) r ON true
WHERE d.score_date BETWEEN %(start_date)s AND %(end_date)s
ON CONFLICT (employee_id, score_date) DO UPDATE SET
    hourly_rate = EXCLUDED.hourly_rate, labor_cost = EXCLUDED.labor_cost, cost_per_item = EXCLUDED.cost_per_item
