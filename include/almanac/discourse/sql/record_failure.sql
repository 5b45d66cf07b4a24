-- The cause of a failed reset step, kept on the version being built for the restore step's alert.
UPDATE discourse.versions SET failure_reason = %s WHERE version_id = %s
