"""Reading PostgreSQL plans in tests: ``EXPLAIN (FORMAT JSON)`` of a statement, and its nodes."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


def explain(conn: Any, statement: str, params: Mapping[str, Any] | None = None, *, analyze: bool = False) -> dict:
    """The top plan node of ``statement`` (``analyze`` runs it: roll back what it writes)."""
    options = "ANALYZE, FORMAT JSON" if analyze else "FORMAT JSON"
    (result,) = conn.execute(f"EXPLAIN ({options}) {statement}", params).fetchone()
    result = result if isinstance(result, list) else json.loads(result)
    return result[0]["Plan"]


def plan_nodes(node: dict) -> Iterator[dict]:
    """``node`` and every node below it, depth first."""
    yield node
    for child in node.get("Plans", []):
        yield from plan_nodes(child)
