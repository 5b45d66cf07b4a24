-- A version's courses, replaced as a whole by reload_courses.
DELETE FROM discourse.v_courses WHERE version_id = %s
