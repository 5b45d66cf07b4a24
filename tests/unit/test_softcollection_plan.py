from __future__ import annotations

import datetime as dt
import hashlib
import re

from sqlalchemy.dialects import oracle, postgresql

from almanac.softcollection import statements as st
from almanac.softcollection.transform import (
    GROUPS,
    build_distribution_plan,
    equal_split,
    group_theory_id,
    shuffle_key,
)

D = dt.date(2026, 3, 16)


def iins(n):
    return [f"{870000000000 + i:012d}" for i in range(n)]


def test_equal_split_gives_the_remainder_to_the_last():
    assert equal_split(100, 3) == [33, 33, 34]
    assert equal_split(3, 5) == [0, 0, 0, 0, 3]
    assert equal_split(0, 5) == [0, 0, 0, 0, 0]
    assert equal_split(7, 1) == [7]


def test_100_users_over_3_campaigns():
    plans = build_distribution_plan(iins(100), ["SC3", "SC1", "SC2"], D)
    assert [p.theory_id for p in plans] == ["SC1", "SC2", "SC3"]  # theory_id order
    assert [p.total for p in plans] == [33, 33, 34]
    assert plans[0].counts() == {"A": 6, "B": 6, "C": 6, "D": 6, "E": 9}
    assert plans[2].counts() == {"A": 6, "B": 6, "C": 6, "D": 6, "E": 10}
    everyone = [i for p in plans for g in GROUPS for i in p.groups[g]]
    assert sorted(everyone) == iins(100)  # each exactly once


def test_fewer_users_than_groups_and_zero_users():
    (plan,) = build_distribution_plan(iins(3), ["SC1"], D)
    assert plan.counts() == {"A": 0, "B": 0, "C": 0, "D": 0, "E": 3}
    plans = build_distribution_plan([], ["SC1", "SC2"], D)
    assert [p.total for p in plans] == [0, 0]
    assert build_distribution_plan(iins(5), [], D) == []


def test_duplicates_are_distributed_once():
    (plan,) = build_distribution_plan(iins(10) + iins(10), ["SC1"], D)
    assert plan.total == 10


def test_same_date_same_plan_whatever_the_input_order_and_other_dates_differ():
    first = build_distribution_plan(iins(500), ["SC1", "SC2"], D)
    again = build_distribution_plan(list(reversed(iins(500))), ["SC2", "SC1"], D)
    assert [p.groups for p in first] == [p.groups for p in again]
    other = build_distribution_plan(iins(500), ["SC1", "SC2"], D + dt.timedelta(days=1))
    assert [p.groups for p in first] != [p.groups for p in other]


def test_group_theory_ids():
    assert [group_theory_id("SC00000001", g) for g in GROUPS] == [f"SC00000001.{k}" for k in range(1, 6)]


def compile_for(statement, dialect):
    return str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": False}))


def test_every_statement_compiles_for_oracle_with_unquoted_schema_names_and_bind_parameters():
    ora = oracle.dialect()
    stamp = dt.datetime(2026, 3, 16, 4)
    active = compile_for(st.active_campaigns(D), ora)
    assert "FROM dssb_app.softcollection_theories" in active
    assert ":theory_start_date_1" in active  # bind parameters, not literals
    eligible = compile_for(st.eligible_iins(), ora)
    assert "SELECT DISTINCT spss_user_dracrm.sc_1_120.iin" in eligible
    assert "REGEXP_LIKE(spss_user_dracrm.sc_1_120.iin, :iin_1)" in eligible  # 12 digits, Oracle's way
    invalid = compile_for(st.invalid_eligible_rows(), ora)
    assert "spss_user_dracrm.sc_1_120.iin IS NULL OR NOT REGEXP_LIKE" in invalid
    plan = compile_for(st.insert_plan(D, {"SC1": D, "SC2": D}), ora)
    assert plan.startswith(
        "INSERT INTO dssb_app.almanac_distribution_plan (run_date, iin, campaign_id, theory_id, date_end) SELECT"
    )
    assert re.search(
        r"ORDER BY STANDARD_HASH\(:param_\d+ \|\| dssb_app\.almanac_distribution_candidates\.iin, 'MD5'\)", plan
    )
    assert "NOT (EXISTS (SELECT dssb_app.sc_local_control.iin" in plan
    assert "FLOOR(" in plan  # Oracle's / is exact division: the split needs integer quotients
    assert "CAST(" in plan
    assert "AS VARCHAR2(1 CHAR))" in plan
    delete = compile_for(st.delete_campaign_day(st.theory_users, ["SC1.1", "SC1.2"], D), ora)
    assert delete.startswith("DELETE FROM spss.sc_theory_users WHERE")
    assert "IN (__[POSTCOMPILE_theory_id_1])" in delete
    copy = compile_for(st.copy_plan_into(st.local_target, D, ["SC1.2"], stamp), ora)
    assert copy.startswith(
        "INSERT INTO dssb_app.sc_local_target (iin, theory_id, date_start, date_end, insert_datetime) SELECT"
    )
    assert "FROM dssb_app.almanac_distribution_plan \nWHERE" in copy
    assert ":run_date_1" in copy
    assert ":param_1" in copy  # the INSERT_DATETIME stamp is a bind parameter too
    stored = compile_for(st.stored_plan(D), ora)
    assert "count(*)" in stored
    assert "GROUP BY" in stored
    later = compile_for(st.first_later_day_that_placed_users(D), ora)
    assert "min(dssb_app.almanac_distribution_days.run_date)" in later
    lock = str(st.lock_plan_days())
    assert lock == "LOCK TABLE dssb_app.almanac_distribution_days IN EXCLUSIVE MODE"  # valid on Oracle and Postgres
    statements = active + eligible + invalid + plan + delete + copy + stored + later
    assert '"' not in statements  # unquoted: Oracle folds to upper case
    assert "ON CONFLICT" not in statements  # Postgres only
    assert "%(" not in statements  # Oracle binds are :name
    assert "LIMIT" not in statements.upper()  # Oracle has none (FETCH FIRST)


def test_postgres_gets_the_same_statements_with_its_own_bind_style():
    pg = postgresql.dialect()
    copy = compile_for(st.copy_plan_into(st.local_control, D, ["SC1.1"], dt.datetime(2026, 3, 16, 4)), pg)
    assert copy.startswith("INSERT INTO dssb_app.sc_local_control (iin, theory_id, date_start, date_end")
    assert "%(run_date_1)s" in copy
    plan = compile_for(st.insert_plan(D, {"SC1": D}), pg)
    assert re.search(
        r"ORDER BY decode\(md5\(%\(param_\d+\)s::VARCHAR \|\| dssb_app\.almanac_distribution_candidates\.iin\), 'hex'\)",
        plan,
    )
    assert "FLOOR" not in plan  # integer operands: Postgres' / is already integer division


def test_the_shuffle_orders_by_the_md5_digest_of_date_and_iin():
    a, b = "870000000001", "870000000002"
    assert shuffle_key(D, a) == (hashlib.md5(b"20260316:870000000001").digest(), a)
    order = sorted([a, b], key=lambda iin: shuffle_key(D, iin))
    next_day = sorted([a, b], key=lambda iin: shuffle_key(D + dt.timedelta(days=1), iin))
    assert order == [b, a]
    assert next_day == [a, b]
