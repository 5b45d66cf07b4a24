-- After any failed reset step: readers stay on the live version (only publish moves the pointer, in one
-- transaction, so it never moved for this build), the status records the cause, and the half-built
-- version is marked failed but kept, so clearing the failed task can finish it. A NULL version_id (the
-- backup step itself failed) marks nothing.
UPDATE discourse.system_status
SET reset_failed = true, reset_failure_reason = %(reason)s
WHERE id = 1;

UPDATE discourse.versions SET status = 'failed' WHERE version_id = %(version_id)s AND status = 'building';
