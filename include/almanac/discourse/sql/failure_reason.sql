SELECT failure_reason FROM discourse.versions WHERE version_id = %s
