-- discourse, version 2: the version tables check their version once per statement instead of once per row.
-- A foreign key to versions ran a check for every row: 1.2 s of the 4.5 s metric insert (384K rows) and
-- ~2.5 s for a reset's 1M actions. A statement-level trigger does the same work once (+0.13 s for 384K
-- rows): it locks the versions of the rows just inserted FOR KEY SHARE, as the foreign key did, so a
-- concurrent drop waits for the writer to commit, and it refuses rows of a version that does not exist.
-- Without ON DELETE CASCADE, dropping a version deletes its data explicitly (sql/drop_versions.sql).
-- No almanac statement updates version_id; the trigger covers inserts and COPY.
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
            USING MESSAGE = format('discourse.%s: version %s does not exist (it was dropped)', TG_TABLE_NAME, missing);
    END IF;
    RETURN NULL;
END
$$;

DO $$
DECLARE
    version_table text;
    fkey record;
BEGIN
    FOREACH version_table IN ARRAY ARRAY['v_courses', 'v_users', 'v_user_actions', 'v_engagement', 'v_user_metrics',
                                         'v_platform_scores'] LOOP
        FOR fkey IN
            SELECT conname FROM pg_constraint
            WHERE contype = 'f' AND conrelid = format('discourse.%I', version_table)::regclass
              AND confrelid = 'discourse.versions'::regclass
        LOOP
            EXECUTE format('ALTER TABLE discourse.%I DROP CONSTRAINT %I', version_table, fkey.conname);
        END LOOP;
        EXECUTE format(
            'CREATE TRIGGER %I AFTER INSERT ON discourse.%I REFERENCING NEW TABLE AS inserted'
            ' FOR EACH STATEMENT EXECUTE FUNCTION discourse.check_version_exists()',
            version_table || '_version_exists', version_table);
    END LOOP;
END
$$;
