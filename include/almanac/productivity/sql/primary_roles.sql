-- employees.primary_role_id = the role with the most items in the 30 work days up to end_date
-- (ties → lower role id); employees without activity then keep their role.
UPDATE productivity.employees e
SET primary_role_id = best.role_id
FROM (
    SELECT DISTINCT ON (employee_id) employee_id, role_id
    FROM productivity.v_shift_activity
    WHERE work_date BETWEEN %(end_date)s::date - 29 AND %(end_date)s
    GROUP BY employee_id, role_id
    ORDER BY employee_id, sum(items_count) DESC, role_id
) best
WHERE e.id = best.employee_id AND e.is_active AND e.primary_role_id IS DISTINCT FROM best.role_id
