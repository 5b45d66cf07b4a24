-- The live version, how far it is refreshed, and whether the last reset failed.
SELECT live_version_id, last_refresh_date, reset_failed FROM discourse.system_status WHERE id = 1
