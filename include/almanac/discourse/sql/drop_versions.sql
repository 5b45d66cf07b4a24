-- Drop versions and their data (the version tables have no cascading foreign key: migration 0002). The
-- version rows go first: deleting one waits for any transaction still writing into it (the tables'
-- trigger locks its version FOR KEY SHARE), and each delete below then runs with a fresh snapshot, so it
-- also removes what such a writer committed; a writer that comes later finds the version gone and fails.
DELETE FROM discourse.versions WHERE version_id = ANY(%(version_ids)s);
DELETE FROM discourse.v_courses WHERE version_id = ANY(%(version_ids)s);
DELETE FROM discourse.v_users WHERE version_id = ANY(%(version_ids)s);
DELETE FROM discourse.v_user_actions WHERE version_id = ANY(%(version_ids)s);
DELETE FROM discourse.v_engagement WHERE version_id = ANY(%(version_ids)s);
DELETE FROM discourse.v_user_metrics WHERE version_id = ANY(%(version_ids)s);
DELETE FROM discourse.v_platform_scores WHERE version_id = ANY(%(version_ids)s)
