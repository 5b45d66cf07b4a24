-- The courses a version was built for, as reload_courses returned them.
SELECT category_id, name FROM discourse.v_courses WHERE version_id = %s ORDER BY category_id
