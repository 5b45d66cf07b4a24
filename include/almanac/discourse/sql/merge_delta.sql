-- Merge the staged actions on their natural key (primary key of v_user_actions): an action fetched twice
-- counts once.
INSERT INTO discourse.v_user_actions SELECT * FROM delta_actions ON CONFLICT DO NOTHING
