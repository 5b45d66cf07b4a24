-- The live version and how far it is refreshed, with the status row locked until the transaction ends.
SELECT live_version_id, last_refresh_date FROM discourse.system_status WHERE id = 1 FOR UPDATE
