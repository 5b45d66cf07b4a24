-- discourse, version 3: an UPDATE that moves rows to another version is checked too. Version 2's trigger
-- checked INSERT and COPY only (no almanac statement updates a version table), so a hand-written UPDATE
-- could point rows at a version that does not exist, which the foreign key it replaced refused.
-- PostgreSQL allows transition tables only on triggers without a column list, so this fires for any
-- UPDATE of a version table; almanac runs none. The UPDATE triggers name their new rows `inserted`, the
-- transition table version 2's function reads; only its message changes here.
CREATE OR REPLACE FUNCTION discourse.check_version_exists() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
BEGIN
    PERFORM 1 FROM discourse.versions WHERE version_id IN (SELECT version_id FROM inserted) FOR KEY SHARE;
    SELECT i.version_id INTO missing
    FROM (SELECT DISTINCT version_id FROM inserted) i
    WHERE NOT EXISTS (SELECT 1 FROM discourse.versions v WHERE v.version_id = i.version_id)
    LIMIT 1;
    IF FOUND THEN
        RAISE foreign_key_violation
            USING MESSAGE = format('discourse.%s: version %s does not exist (dropped, or never created)',
                                   TG_TABLE_NAME, missing);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    version_table text;
BEGIN
    FOREACH version_table IN ARRAY ARRAY['v_courses', 'v_users', 'v_user_actions', 'v_engagement', 'v_user_metrics',
                                         'v_platform_scores'] LOOP
        EXECUTE format(
            'CREATE TRIGGER %I AFTER UPDATE ON discourse.%I REFERENCING NEW TABLE AS inserted'
            ' FOR EACH STATEMENT EXECUTE FUNCTION discourse.check_version_exists()',
            version_table || '_version_exists_on_update', version_table);
    END LOOP;
END
$$;
