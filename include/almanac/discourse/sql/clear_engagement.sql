-- One trimester's engagement (#102) in a version, replaced by the reset or the refresh.
DELETE FROM discourse.v_engagement WHERE version_id = %s AND trimester_id = %s
