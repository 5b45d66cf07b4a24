"""A version's data lives in the ``discourse.v_*`` tables without a per-row foreign key (schema version 2):
statement-level triggers on INSERT and UPDATE (version 3) check and lock the version, and dropping a version
deletes its data itself."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from almanac.discourse import tasks

pytestmark = pytest.mark.integration

VERSION_TABLES = {
    "v_courses": "(version_id, category_id, name, is_uncategorized) VALUES (%s, 1, 'c', false)",
    "v_users": "(version_id, user_id, username) VALUES (%s, 1, 'u')",
    "v_user_actions": "VALUES (%s, 't1-2026', 1, 1, 1, 1, 1, '2026-01-02T00:00:00Z')",
    "v_engagement": "VALUES (%s, 't1-2026', 1, 1, 1, 1)",
    "v_user_metrics": "VALUES (%s, 't1-2026', 1, 1, 0, 0, 0, 0, 0, 1, 1, 100)",
    "v_platform_scores": "VALUES (%s, 't1-2026', 1, 1, 100)",
}


def new_version(conn) -> int:
    (version_id,) = conn.execute(
        "INSERT INTO discourse.versions (run_id, reset_date, status) VALUES ('versions-test', '2026-01-01',"
        " 'building') RETURNING version_id"
    ).fetchone()
    return version_id


def rows_of(warehouse, version_id: int) -> dict[str, int]:
    return {
        table: warehouse.query(f"SELECT count(*) FROM discourse.{table} WHERE version_id = %s", (version_id,))[0][0]
        for table in VERSION_TABLES
    }


def test_dropping_a_version_deletes_its_rows_in_every_version_table_and_nothing_else(warehouse):
    with warehouse.connect() as conn:
        dropped, kept = new_version(conn), new_version(conn)
        for version_id in (dropped, kept):
            for table, values in VERSION_TABLES.items():
                conn.execute(f"INSERT INTO discourse.{table} {values}", (version_id,))
        conn.commit()
        with conn.cursor() as cur:
            assert tasks.drop_versions(cur, [dropped]) == 1
    assert rows_of(warehouse, dropped) == dict.fromkeys(VERSION_TABLES, 0)
    assert rows_of(warehouse, kept) == dict.fromkeys(VERSION_TABLES, 1)
    assert warehouse.query("SELECT count(*) FROM discourse.versions WHERE version_id = %s", (dropped,)) == [(0,)]
    with warehouse.connect() as conn, conn.cursor() as cur:
        tasks.drop_versions(cur, [kept])


@pytest.mark.parametrize("table", VERSION_TABLES)
def test_rows_of_a_version_that_does_not_exist_are_refused_naming_table_and_version(warehouse, table):
    with warehouse.connect() as conn:
        (missing,) = conn.execute("SELECT coalesce(max(version_id), 0) + 1000 FROM discourse.versions").fetchone()
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"discourse.{table}: version {missing} does not"):
            conn.execute(f"INSERT INTO discourse.{table} {VERSION_TABLES[table]}", (missing,))


@pytest.mark.parametrize("table", VERSION_TABLES)
def test_an_update_moving_rows_to_a_version_that_does_not_exist_is_refused(warehouse, table):
    with warehouse.connect() as conn:
        version_id = new_version(conn)
        conn.execute(f"INSERT INTO discourse.{table} {VERSION_TABLES[table]}", (version_id,))
        missing = version_id + 1000
        with pytest.raises(psycopg.errors.ForeignKeyViolation, match=f"discourse.{table}: version {missing} does not"):
            conn.execute(f"UPDATE discourse.{table} SET version_id = %s WHERE version_id = %s", (missing, version_id))


def test_a_drop_waits_for_a_writer_of_that_version_and_deletes_what_it_committed(warehouse):
    """A task still writing into a version when publish drops it (a rerun of an old reset's step): the
    drop must not leave that task's rows behind, as the foreign key's cascade would not have."""
    with warehouse.connect() as conn:
        version_id = new_version(conn)
        conn.commit()
    writer = warehouse.connect()
    writer.execute(f"INSERT INTO discourse.v_users {VERSION_TABLES['v_users']}", (version_id,))  # not committed
    dropper_pid, errors = [], []

    def drop():
        try:
            with warehouse.connect() as conn, conn.cursor() as cur:
                dropper_pid.append(conn.info.backend_pid)
                tasks.drop_versions(cur, [version_id])
        except Exception as error:  # re-raised in the test below
            errors.append(error)

    dropper = threading.Thread(target=drop)
    dropper.start()
    deadline = time.monotonic() + 10
    waiting = False
    while not waiting and time.monotonic() < deadline:  # until the drop waits on the writer's lock
        time.sleep(0.02)
        waiting = bool(dropper_pid) and warehouse.query(
            "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", (dropper_pid[0],)
        ) == [(True,)]
    assert waiting, "the drop never waited for the writer"
    writer.commit()
    writer.close()
    dropper.join(timeout=10)
    assert not dropper.is_alive()
    assert not errors, errors
    assert rows_of(warehouse, version_id) == dict.fromkeys(VERSION_TABLES, 0)


def test_every_table_keyed_by_version_is_checked_and_emptied_by_a_drop(warehouse):
    """A version table added later must carry the triggers on INSERT and UPDATE (migration 0003's list) and
    be deleted by drop_versions.sql; this compares both with the tables that have a version_id column."""
    import re

    from almanac.db import read_sql

    keyed = {
        table
        for (table,) in warehouse.query(
            "SELECT c.table_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'discourse' AND c.column_name = 'version_id' AND t.table_type = 'BASE TABLE'"
        )
    } - {"versions"}
    checked = {
        (table, event)
        for table, event in warehouse.query(
            "SELECT event_object_table, event_manipulation FROM information_schema.triggers"
            " WHERE trigger_schema = 'discourse' AND action_statement LIKE '%%check_version_exists%%'"
        )
    }
    dropped = set(re.findall(r"DELETE FROM discourse\.(v_\w+)", read_sql("almanac.discourse", "drop_versions.sql")))
    assert keyed == dropped == set(VERSION_TABLES)
    assert checked == {(table, event) for table in keyed for event in ("INSERT", "UPDATE")}
