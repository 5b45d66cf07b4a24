-- Step 5 of a reset, one transaction: readers' views follow system_status.live_version_id, so moving it
-- publishes the new version at once. last_refresh_date becomes the date the version is built as of (what
-- it holds); last_reset_at only moves forward, so a rerun of an older reset leaves the newer time. The
-- previous live version is kept as the backup; the last statement lists the older published, retired or
-- failed versions, which publish then drops (drop_versions.sql).
UPDATE discourse.system_status
SET live_version_id = %(version_id)s, last_refresh_date = %(reset_date)s, user_actions_loaded = true,
    reset_failed = false, reset_failure_reason = NULL,
    last_reset_at = greatest(last_reset_at, %(reset_at)s::timestamptz)
WHERE id = 1;

UPDATE discourse.versions SET status = 'published', failure_reason = NULL WHERE version_id = %(version_id)s;

UPDATE discourse.versions SET status = 'retired' WHERE version_id = %(backup_version_id)s;

SELECT version_id FROM discourse.versions
WHERE version_id <> %(version_id)s AND version_id IS DISTINCT FROM %(backup_version_id)s
  AND status IN ('published', 'retired', 'failed');
