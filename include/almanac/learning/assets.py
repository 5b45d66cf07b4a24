"""The Asset the snapshot DAG updates (lineage in the UI; the weekly DAG checks the day's run itself)."""

from __future__ import annotations

from airflow.sdk import Asset

PERFORMANCE_SNAPSHOTS = Asset(name="learning_performance_snapshots", group="learning")
