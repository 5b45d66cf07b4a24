"""Provisioning (almanac.provision): migrations apply once, in order, on installs old and new; source
tables are checked and never created; a missing one fails the run at once, naming it."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import pytest

from almanac.db import read_sql
from almanac.demo import warehouse as layout
from almanac.provision import MissingSourceError, SchemaTooNewError, provision

pytestmark = pytest.mark.integration


def tutoring_tables():
    from almanac.tutoring.tables import TABLES

    return TABLES


def versions(db, schema):
    return [r[0] for r in db.query(f"SELECT version FROM {schema}.almanac_schema_version ORDER BY version")]


def has_tutor_foreign_key(db) -> bool:
    return bool(
        db.query(
            "SELECT 1 FROM pg_constraint WHERE conrelid = 'tutoring.tutor_performance_metrics'::regclass"
            " AND contype = 'f'"
        )
    )


METRIC_ROW = (
    "INSERT INTO tutoring.tutor_performance_metrics (metric_id, tutor_id, calculation_date, metric_window,"
    " sessions_completed, no_show_count, created_at, updated_at)"
    " VALUES ('T1:2026-03-15:7day', 'T1', '2026-03-15', '7day', 3, 0, '2026-03-15', '2026-03-15')"
)


def test_an_install_made_before_versioning_is_adopted_and_upgraded_with_its_data(scratch):
    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("tutoring",))
        conn.execute("INSERT INTO tutoring.tutors VALUES ('T1', 'Ann', true)")
        # what an older almanac created: the baseline tables, no version table
        conn.execute(read_sql("almanac.tutoring", "migrations/0001_baseline.sql"))
        conn.execute(METRIC_ROW)
    assert has_tutor_foreign_key(scratch)

    summary = provision(tutoring_tables())

    assert summary["applied"] == ["0001 baseline", "0002 metrics without source foreign key", "0003 retention horizon"]
    assert versions(scratch, "tutoring") == [1, 2, 3]
    assert not has_tutor_foreign_key(scratch)
    assert scratch.query("SELECT metric_id, sessions_completed FROM tutoring.tutor_performance_metrics") == [
        ("T1:2026-03-15:7day", 3)
    ]
    assert provision(tutoring_tables())["applied"] == []


def test_an_install_at_the_previous_version_upgrades_in_place(scratch):
    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("tutoring",))
        conn.execute("INSERT INTO tutoring.tutors VALUES ('T1', 'Ann', true)")
    assert provision(tutoring_tables(), up_to=1)["schema_version"] == 1
    with scratch.connect() as conn:
        conn.execute(METRIC_ROW)

    summary = provision(tutoring_tables())

    assert summary == {
        "domain": "tutoring",
        "schema_version": 3,
        "applied": ["0002 metrics without source foreign key", "0003 retention horizon"],
        "sources_checked": 2,
    }
    assert scratch.query("SELECT count(*) FROM tutoring.tutor_performance_metrics") == [(1,)]


def test_a_discourse_install_with_data_moves_from_foreign_keys_to_version_checks_on_insert_then_update(scratch):
    import psycopg

    from almanac.discourse import tasks
    from almanac.discourse.tables import TABLES
    from tests.integration.test_discourse_versions import VERSION_TABLES

    def version_foreign_keys():
        return scratch.query(
            "SELECT conrelid::regclass::text FROM pg_constraint WHERE contype = 'f'"
            " AND confrelid = 'discourse.versions'::regclass ORDER BY 1"
        )

    with scratch.connect() as conn:
        conn.execute("CREATE SCHEMA IF NOT EXISTS discourse")
    assert provision(TABLES, up_to=1)["schema_version"] == 1
    with scratch.connect() as conn:
        (version_id,) = conn.execute(
            "INSERT INTO discourse.versions (run_id, reset_date, status) VALUES ('r', '2026-01-01', 'published')"
            " RETURNING version_id"
        ).fetchone()
        for table, values in VERSION_TABLES.items():
            conn.execute(f"INSERT INTO discourse.{table} {values}", (version_id,))
    assert len(version_foreign_keys()) == 7  # the six version tables and system_status

    assert provision(TABLES, up_to=2)["applied"] == ["0002 version check per statement"]

    assert version_foreign_keys() == [("discourse.system_status",)]
    for table in VERSION_TABLES:
        assert scratch.query(f"SELECT count(*) FROM discourse.{table}") == [(1,)], table
    with scratch.connect() as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=r"discourse\.v_users: version"):
            conn.execute(f"INSERT INTO discourse.v_users {VERSION_TABLES['v_users']}", (version_id + 1,))
        conn.rollback()
        conn.execute("UPDATE discourse.v_users SET version_id = %s", (version_id + 1,))  # version 2 let it through
        conn.rollback()

    assert provision(TABLES)["applied"] == ["0003 version check on update"]
    with scratch.connect() as conn:
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=r"discourse\.v_users: version"):
            conn.execute("UPDATE discourse.v_users SET version_id = %s", (version_id + 1,))
        conn.rollback()
        with conn.cursor() as cur:
            tasks.drop_versions(cur, [version_id])
    for table in VERSION_TABLES:
        assert scratch.query(f"SELECT count(*) FROM discourse.{table}") == [(0,)], table


def test_a_database_migrated_by_a_newer_almanac_is_refused(scratch):
    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("tutoring",))
    provision(tutoring_tables())
    with scratch.connect() as conn:
        conn.execute("INSERT INTO tutoring.almanac_schema_version (version, description) VALUES (99, 'future')")
    known = tutoring_tables().latest_version
    with pytest.raises(SchemaTooNewError, match=rf"schema version 99, newer than this almanac knows \({known}\)"):
        provision(tutoring_tables())


def test_concurrent_provisioning_applies_each_migration_once(scratch):
    from almanac.learning.tables import TABLES

    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("learning",))
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: provision(TABLES), range(4)))
    assert sorted(len(r["applied"]) for r in results) == [0, 0, 0, len(TABLES.migrations)]
    assert versions(scratch, "learning") == [m.version for m in TABLES.migrations]


def test_missing_source_tables_and_columns_are_named_with_their_connection(scratch):
    from almanac.learning.tables import TABLES

    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("learning",))
        conn.execute("DROP TABLE learning.quiz_attempts")
        conn.execute("ALTER TABLE learning.lesson_progress DROP COLUMN time_spent_seconds")
    with pytest.raises(MissingSourceError) as failure:
        provision(TABLES)
    message = str(failure.value)
    assert "source table learning.quiz_attempts is missing on connection learning_db" in message
    assert (
        "source table learning.lesson_progress on connection learning_db has no column(s) time_spent_seconds" in message
    )
    # nothing of almanac's was created, and no source table either
    assert scratch.query(
        "SELECT to_regclass('learning.performance_snapshots'), to_regclass('learning.quiz_attempts')"
    ) == [(None, None)]


def test_a_source_time_without_its_zone_is_refused_naming_the_column(scratch):
    """A timestamp without time zone would be read in each session's TimeZone: the same run would
    compute other days on a server whose default zone differs."""
    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("tutoring",))
        conn.execute("ALTER TABLE tutoring.sessions ALTER COLUMN scheduled_start TYPE timestamp")
    with pytest.raises(MissingSourceError) as failure:
        provision(tutoring_tables())
    assert (
        "source column tutoring.sessions.scheduled_start on connection tutoring_db is a timestamp without time zone;"
        " almanac reads it as an instant and needs timestamptz: ALTER TABLE tutoring.sessions ALTER COLUMN"
        " scheduled_start TYPE timestamptz USING scheduled_start AT TIME ZONE '<the zone its values were written in>'"
    ) in str(failure.value)
    assert scratch.query("SELECT to_regclass('tutoring.tutor_performance_metrics')") == [(None,)]


def test_a_missing_source_index_is_named_with_the_statement_that_creates_it(scratch):
    """The seed's index verification for activity_logs: without (employee_id, window_start) the per-shift
    lookups read the whole table once per shift. Any index starting with the columns serves."""
    from almanac.productivity.tables import TABLES

    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("productivity",))
        conn.execute("DROP INDEX productivity.activity_logs_employee_start_idx")
    with pytest.raises(MissingSourceError) as failure:
        provision(TABLES)
    assert (
        "source table productivity.activity_logs on connection productivity_db has no index starting with"
        " (employee_id, window_start): CREATE INDEX ON productivity.activity_logs (employee_id, window_start)"
    ) in str(failure.value)
    assert "(window_start)" not in str(failure.value)  # that one is there
    assert scratch.query("SELECT to_regclass('productivity.daily_scores')") == [(None,)]

    with scratch.connect() as conn:
        conn.execute("CREATE INDEX wider ON productivity.activity_logs (employee_id, window_start, role_id)")
    assert provision(TABLES)["schema_version"] == TABLES.latest_version


def test_a_missing_source_table_fails_the_run_at_once_without_retries(scratch, airflow_runner, slack):
    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("tutoring",))
        conn.execute("DROP TABLE tutoring.sessions")
    result = airflow_runner.run("tutoring_daily_metrics", logical_date=dt.datetime(2026, 3, 15, 2, tzinfo=dt.UTC))
    assert result.state == "failed"
    assert result.task_states["provision_tables"] == "failed"
    assert result.tries["provision_tables"] == 1  # AirflowFailException: no retry burnt
    assert result.task_states["plan_batches"] == "upstream_failed"
    alert = next(t for t in slack.texts if "provision_tables" in t)
    assert "source table tutoring.sessions is missing on connection tutoring_db" in alert


def test_a_softcollection_install_at_version_2_gets_the_invalid_iin_count(scratch):
    from almanac.softcollection.tables import TABLES

    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("softcollection",))
    provision(TABLES, up_to=2)
    with scratch.connect() as conn:  # version 1 creates the day table from today's columns: take it back
        conn.execute("ALTER TABLE dssb_app.almanac_distribution_days DROP COLUMN invalid_iins")
        conn.execute(
            "INSERT INTO dssb_app.almanac_distribution_days VALUES ('2026-03-16', 3, 1000, 0, 1000, '2026-03-16', 'r')"
        )

    assert provision(TABLES)["applied"] == ["0003 invalid IINs counted per day"]
    assert scratch.query("SELECT run_date, invalid_iins FROM dssb_app.almanac_distribution_days") == [
        (dt.date(2026, 3, 16), 0)
    ]
    assert provision(TABLES)["applied"] == []


def test_softcollection_never_creates_the_banks_tables(scratch):
    from almanac.softcollection.tables import TABLES

    with scratch.connect() as conn:
        layout.create_source_tables(conn, ("softcollection",))
        conn.execute("DROP TABLE spss.sc_theory_users")
    with pytest.raises(
        MissingSourceError, match=r"source table spss\.sc_theory_users is missing on connection softcollection_spss"
    ):
        provision(TABLES)
    assert scratch.query(
        "SELECT to_regclass('spss.sc_theory_users'), to_regclass('dssb_app.almanac_distribution_plan')"
    ) == [(None, None)]
