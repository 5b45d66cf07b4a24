-- One course's actions in a version, replaced by its load_course_actions instance.
DELETE FROM discourse.v_user_actions WHERE version_id = %s AND category_id = %s
