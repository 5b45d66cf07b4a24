from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.dialects import oracle, postgresql

from almanac.softcollection import statements as st
from almanac.softcollection.transform import GROUPS, build_distribution_plan, equal_split, group_theory_id

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


def test_every_statement_compiles_for_oracle_with_unquoted_schema_names():
    ora = oracle.dialect()
    active = compile_for(st.active_campaigns(D), ora)
    assert "FROM dssb_app.softcollection_theories" in active
    assert ":theory_start_date_1" in active  # bind parameters, not literals
    eligible = compile_for(st.eligible_iins(), ora)
    assert "SELECT DISTINCT spss_user_dracrm.sc_1_120.iin" in eligible
    assigned = compile_for(st.already_assigned_iins(D), ora)
    assert "dssb_app.sc_local_control" in assigned
    assert "UNION" in assigned
    delete = compile_for(st.delete_campaign_day(st.theory_users, ["SC1.1", "SC1.2"], D), ora)
    assert delete.startswith("DELETE FROM spss.sc_theory_users WHERE")
    assert "IN (__[POSTCOMPILE_theory_id_1])" in delete
    insert = compile_for(st.insert_assignments(st.local_target), ora)
    assert insert.startswith("INSERT INTO dssb_app.sc_local_target (iin, theory_id, date_start, date_end")
    assert ":iin" in insert
    assert '"' not in active + eligible + assigned + delete + insert  # unquoted: Oracle folds to upper case


@pytest.mark.parametrize("dialect", [oracle.dialect(), postgresql.dialect()])
def test_statements_compile_on_both_dialects(dialect):
    for statement in (
        st.active_campaigns(D),
        st.eligible_iins(),
        st.already_assigned_iins(D),
        st.delete_campaign_day(st.local_control, ["SC1.1"], D),
        st.insert_assignments(st.local_control),
    ):
        assert compile_for(statement, dialect)
