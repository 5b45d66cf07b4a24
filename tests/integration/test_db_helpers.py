"""almanac.db against the real embedded PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest

from almanac.connections import TUTORING_DB
from almanac.db import copy_rows, read_sql, replace_partition, transaction

pytestmark = pytest.mark.integration


@pytest.fixture
def scratch(warehouse):
    warehouse.execute("DROP TABLE IF EXISTS public.scratch")
    warehouse.execute("CREATE TABLE public.scratch (day date, k int, v text, PRIMARY KEY (day, k))")
    yield warehouse
    warehouse.execute("DROP TABLE IF EXISTS public.scratch")


D1, D2 = dt.date(2026, 3, 1), dt.date(2026, 3, 2)


def test_replace_partition_swaps_one_partition_and_is_idempotent(scratch):
    with transaction(TUTORING_DB) as conn, conn.cursor() as cur:
        copy_rows(cur, "public.scratch", ["day", "k", "v"], [(D1, 1, "old"), (D1, 2, "old"), (D2, 1, "keep")])
    for _ in range(2):
        with transaction(TUTORING_DB) as conn:
            deleted, inserted = replace_partition(
                conn, "public.scratch", ["day", "k", "v"], [(D1, 1, "new"), (D1, 3, "new")], {"day": D1}
            )
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
        replace_partition(conn, "public.scratch", ["day", "k", "v"], [(D1, 1, "a"), (D1, 1, "b")], {"day": D1})
    assert scratch.query("SELECT v FROM public.scratch") == [("old",)]


def test_partition_values_may_be_lists(scratch):
    with transaction(TUTORING_DB) as conn, conn.cursor() as cur:
        copy_rows(cur, "public.scratch", ["day", "k", "v"], [(D1, 1, "x"), (D2, 1, "y")])
    with transaction(TUTORING_DB) as conn:
        deleted, _ = replace_partition(conn, "public.scratch", ["day", "k", "v"], [], {"day": [D1, D2]})
    assert deleted == 2


def test_read_sql_reads_a_packaged_file():
    # every domain keeps its DDL in sql/schema.sql; the healthcheck-free way to test the reader is one of them
    from almanac.warehouse import DOMAINS, domain_schema_sql

    present = [d for d in DOMAINS if domain_schema_sql(d)]
    if not present:
        pytest.skip("no domain schema yet")
    assert "CREATE" in read_sql(f"almanac.{present[0]}", "schema.sql").upper()
