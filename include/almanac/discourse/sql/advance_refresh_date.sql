-- A refresh moves last_refresh_date forward, never back.
UPDATE discourse.system_status
SET last_refresh_date = greatest(last_refresh_date, %(day)s::date)
WHERE id = 1
