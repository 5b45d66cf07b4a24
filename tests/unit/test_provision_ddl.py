"""The DDL almanac runs on Oracle (softcollection's plan tables and the version table) compiles for it."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.dialects import oracle

from almanac.provision import sql_migrations, version_table
from almanac.softcollection import statements as st


def oracle_ddl(table: sa.Table) -> str:
    return str(sa.schema.CreateTable(table).compile(dialect=oracle.dialect()))


def test_plan_tables_compile_to_oracle_ddl_in_dssb_app():
    days, plan = oracle_ddl(st.plan_days), oracle_ddl(st.plan_rows)
    assert "CREATE TABLE dssb_app.almanac_distribution_days" in days
    assert re.search(r"run_date DATE NOT NULL", days)
    assert "PRIMARY KEY (run_date)" in days
    assert "CREATE TABLE dssb_app.almanac_distribution_plan" in plan
    assert "iin VARCHAR2(12 CHAR) NOT NULL" in plan
    assert "PRIMARY KEY (run_date, iin)" in plan
    for ddl in (days, plan):
        assert "IF NOT EXISTS" not in ddl  # Oracle has none; provisioning uses checkfirst instead
        assert max(len(name) for name in re.findall(r"dssb_app\.(\w+)", ddl)) <= 30  # pre-12.2 identifier limit


def test_version_table_compiles_for_oracle():
    ddl = oracle_ddl(version_table("dssb_app"))
    assert "CREATE TABLE dssb_app.almanac_schema_version" in ddl
    assert "applied_at DATE DEFAULT CURRENT_TIMESTAMP NOT NULL" in ddl


def test_sql_migrations_are_numbered_from_one_without_gaps():
    for package in ("almanac.discourse", "almanac.learning", "almanac.productivity", "almanac.tutoring"):
        versions = [m.version for m in sql_migrations(package)]
        assert versions == list(range(1, len(versions) + 1)), package
