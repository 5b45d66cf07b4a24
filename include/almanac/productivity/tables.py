"""The tables, views and cache the productivity DAG owns (created and migrated by its ``provision_tables``
task) and the warehouse app's tables it reads, with the columns it uses. ``employees.primary_role_id`` is
the one source column almanac writes (the employee_primary_roles stage)."""

from __future__ import annotations

from almanac.connections import PRODUCTIVITY_DB
from almanac.provision import DomainTables, SourceTable, sql_migrations

#: The indexes the seed's "index verification" lists for activity_logs. Without (employee_id, window_start)
#: the per-shift and per-employee lookups (primary roles, last activity) read the whole table once per shift:
#: over 120 s instead of 0.16 s with a year of logs; without (window_start) each chunk reads all of it.
INDEXES = {"activity_logs": (("employee_id", "window_start"), ("window_start",))}

#: The columns read as instants (work dates are their Chicago dates): timestamptz, checked.
INSTANTS = {"activity_logs": ("window_start", "window_end"), "clock_times": ("clock_in", "clock_out")}

TABLES = DomainTables(
    domain="productivity",
    conn_id=PRODUCTIVITY_DB,
    schema="productivity",
    migrations=sql_migrations("almanac.productivity"),
    sources=tuple(
        SourceTable(PRODUCTIVITY_DB, f"productivity.{name}", columns, INDEXES.get(name, ()), INSTANTS.get(name, ()))
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
