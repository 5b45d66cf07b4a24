"""almanac.db against the real embedded PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from almanac.connections import TUTORING_DB
from almanac.db import copy_rows, transaction

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch(warehouse):
    warehouse.execute("DROP TABLE IF EXISTS public.scratch")
    warehouse.execute("CREATE TABLE public.scratch (day date, k int, v text, PRIMARY KEY (day, k))")
    yield warehouse
    warehouse.execute("DROP TABLE IF EXISTS public.scratch")


D1, D2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)


def replace_day(conn, day, rows):
    """The domains' replace pattern: delete the partition, write its new rows, in one transaction."""
    with conn.cursor() as cur:
        deleted = cur.execute("DELETE FROM public.scratch WHERE day = %s", (day,)).rowcount
        inserted = copy_rows(cur, "public.scratch", ["day", "k", "v"], rows)
    return deleted, inserted


def test_delete_and_copy_in_one_transaction_replace_a_partition_idempotently(scratch):
    with transaction(TUTORING_DB) as conn, conn.cursor() as cur:
        copy_rows(cur, "public.scratch", ["day", "k", "v"], [(D1, 1, "old"), (D1, 2, "old"), (D2, 1, "keep")])
    for _ in range(2):
        with transaction(TUTORING_DB) as conn:
            deleted, inserted = replace_day(conn, D1, [(D1, 1, "new"), (D1, 3, "new")])
        assert inserted == 2
    assert deleted == 2  # the second replacement removed the first one's two rows
    assert scratch.query("SELECT day, k, v FROM public.scratch ORDER BY day, k") == [
        (D1, 1, "new"),
        (D1, 3, "new"),
        (D2, 1, "keep"),
    ]


def test_a_failure_inside_the_transaction_leaves_the_old_partition(scratch):
    with transaction(TUTORING_DB) as conn, conn.cursor() as cur:
        copy_rows(cur, "public.scratch", ["day", "k", "v"], [(D1, 1, "old")])
    with pytest.raises(Exception, match="duplicate key"), transaction(TUTORING_DB) as conn:
        replace_day(conn, D1, [(D1, 1, "a"), (D1, 1, "b")])
    assert scratch.query("SELECT v FROM public.scratch") == [("old",)]


def test_task_connections_run_in_the_database_time_zone_the_suite_asked_for(warehouse):
    """``make test-tz`` must really run almanac's SQL in a DST zone: every hook session starts in it."""
    from almanac.db import postgres_hook
    from tests.conftest import DB_TIMEZONE

    with postgres_hook(TUTORING_DB).get_conn() as conn:
        (zone,) = conn.execute("SHOW timezone").fetchone()
    with warehouse.connect() as conn:
        (server_default,) = conn.execute("SELECT boot_val FROM pg_settings WHERE name = 'TimeZone'").fetchone()
    assert zone == (DB_TIMEZONE or zone)
    print(f"\n[time zone] task sessions run in {zone} (server default {server_default})")
