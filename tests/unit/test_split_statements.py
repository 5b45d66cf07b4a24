"""Our .sql files are split into statements at lines ending with ``;``, never inside a ``$$`` body."""

from __future__ import annotations

from almanac.db import read_sql, split_statements


def test_statements_split_at_line_ends_and_comments_between_them_dropped():
    script = "-- first\nSELECT 1;\n\n-- second\nSELECT 2\nFROM t;\nSELECT 3"
    assert split_statements(script) == ["SELECT 1", "SELECT 2\nFROM t", "SELECT 3"]


def test_a_dollar_quoted_body_stays_one_statement():
    script = (
        "CREATE FUNCTION f() RETURNS trigger\nLANGUAGE plpgsql AS $$\nBEGIN\n    PERFORM 1;\n    RETURN NULL;\nEND\n$$;\n"
        "DO $$ BEGIN PERFORM 1; END $$;\nSELECT 1;"
    )
    statements = split_statements(script)
    assert len(statements) == 3
    assert statements[0].endswith("RETURN NULL;\nEND\n$$")
    assert statements[1] == "DO $$ BEGIN PERFORM 1; END $$"


def test_the_discourse_version_check_migration_is_two_statements():
    script = read_sql("almanac.discourse", "migrations/0002_version_check_per_statement.sql")
    statements = split_statements(script)
    assert [s.split(None, 4)[:4] for s in statements] == [
        ["CREATE", "OR", "REPLACE", "FUNCTION"],
        ["DO", "$$", "DECLARE", "version_table"],
    ]
