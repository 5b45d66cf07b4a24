"""The table the tutoring DAG owns (created and migrated by its ``provision_tables`` task) and the tutoring
platform's tables it reads, with the columns it uses."""

from __future__ import annotations

from almanac.connections import TUTORING_DB
from almanac.provision import DomainTables, SourceTable, sql_migrations

TABLES = DomainTables(
    domain="tutoring",
    conn_id=TUTORING_DB,
    schema="tutoring",
    migrations=sql_migrations("almanac.tutoring"),
    sources=(
        SourceTable(TUTORING_DB, "tutoring.tutors", ("tutor_id", "is_active")),
        SourceTable(
            TUTORING_DB,
            "tutoring.sessions",
            (
                "session_id",
                "tutor_id",
                "scheduled_start",
                "status",
                "is_first_session",
                "student_rating",
                "rescheduled_by",
                "objectives_met",
                "engagement_score",
                "response_time_minutes",
            ),
            instants=("scheduled_start",),  # compared with the windows' UTC bounds: timestamptz, checked
        ),
    ),
)
