-- A version's users, replaced as a whole by reload_users.
DELETE FROM discourse.v_users WHERE version_id = %s
