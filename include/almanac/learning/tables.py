"""The tables the learning DAGs own (created and migrated by their ``provision_tables`` task) and the
learning platform's tables they read, with the columns they use."""

from __future__ import annotations

from almanac.connections import LEARNING_DB
from almanac.provision import DomainTables, SourceTable, sql_migrations

#: The columns read as instants (compared with the run's UTC day bounds): timestamptz, checked.
INSTANTS = {
    "enrollments": ("enrolled_at",),
    "lesson_progress": ("started_at", "completed_at"),
    "quiz_attempts": ("attempted_at",),
}

TABLES = DomainTables(
    domain="learning",
    conn_id=LEARNING_DB,
    schema="learning",
    migrations=sql_migrations("almanac.learning"),
    sources=tuple(
        SourceTable(LEARNING_DB, f"learning.{name}", columns, instants=INSTANTS.get(name, ()))
        for name, columns in {
            "students": ("user_id", "is_active"),
            "enrollments": ("user_id", "course_id", "enrolled_at", "target_end_date"),
            "lessons": ("lesson_id", "course_id", "sequence_no", "title"),
            "lesson_progress": ("user_id", "lesson_id", "started_at", "completed_at", "time_spent_seconds"),
            "quiz_attempts": ("user_id", "lesson_id", "score", "attempted_at"),
        }.items()
    ),
)
