"""The tables, views and cache the productivity DAG owns (created and migrated by its ``provision_tables``
task) and the warehouse app's tables it reads, with the columns it uses. ``employees.primary_role_id`` is
the one source column almanac writes (the employee_primary_roles stage)."""

from __future__ import annotations

from almanac.connections import PRODUCTIVITY_DB
from almanac.provision import DomainTables, SourceTable, sql_migrations

TABLES = DomainTables(
    domain="productivity",
    conn_id=PRODUCTIVITY_DB,
    schema="productivity",
    migrations=sql_migrations("almanac.productivity"),
    sources=tuple(
        SourceTable(PRODUCTIVITY_DB, f"productivity.{name}", columns)
        for name, columns in {
            "employees": ("id", "is_active", "primary_role_id"),
            "role_configs": (
                "role_id",
                "multiplier",
                "idle_threshold_minutes",
                "alert_threshold_minutes",
                "expected_items_per_hour",
            ),
            "pay_rates": ("employee_id", "hourly_rate", "effective_from"),
            "activity_logs": ("employee_id", "role_id", "window_start", "window_end", "items_count"),
            "clock_times": ("id", "employee_id", "clock_in", "clock_out"),
        }.items()
    ),
)
