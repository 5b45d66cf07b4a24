-- The state of a version being built ('building', 'failed') or done with ('published', 'retired'); no row
-- when a later reset has dropped it.
SELECT status FROM discourse.versions WHERE version_id = %s
