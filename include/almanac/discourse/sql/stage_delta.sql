-- A refresh's fetched actions of one course, staged before the merge (dropped at commit).
CREATE TEMP TABLE delta_actions (LIKE discourse.v_user_actions) ON COMMIT DROP
