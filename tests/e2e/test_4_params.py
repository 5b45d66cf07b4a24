"""Phase 4: invalid conf is refused at trigger time with a 4xx whose body names the field.

The params and their JSON schemas are read from the REST API (``GET /dags/{id}/details``), so a param
added to a DAG is covered without editing this file: for every constraint in its schema (type, format,
minimum, maximum, enum items, minItems, uniqueItems, item minLength) one value that breaks it.
"""

from __future__ import annotations

import time

import pytest

pytestmark = pytest.mark.e2e


def invalid_values(schema: dict) -> list[tuple[str, object]]:
    """(what is wrong, value) for each constraint of a param's JSON schema."""
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else list(types)
    cases: list[tuple[str, object]] = []
    if "boolean" in types:
        cases.append(("not a boolean", "sometimes"))
    if "integer" in types:
        cases.append(("not an integer", "many"))
        if "minimum" in schema:
            cases.append(("below the minimum", schema["minimum"] - 1))
        if "maximum" in schema:
            cases.append(("above the maximum", schema["maximum"] + 1))
    if "string" in types:
        if schema.get("format") == "date":
            cases.append(("not a date", "2026-02-30"))
        if "array" not in types and "integer" not in types and "boolean" not in types:
            cases.append(("not a string", {"a": 1}))
    if "array" in types:
        items = schema.get("items", {})
        valid_item = items["enum"][-1] if "enum" in items else "t1"
        cases.append(("not an array", 42))
        if "enum" in items:
            cases.append(("an item outside the enum", ["no_such_item"]))
        if items.get("minLength"):
            cases.append(("an empty item", [""]))
        if schema.get("minItems"):
            cases.append(("too few items", []))
        if schema.get("uniqueItems"):
            cases.append(("a repeated item", [valid_item, valid_item]))
    return cases


def test_invalid_conf_is_refused_naming_the_field(suite):
    started = time.monotonic()
    problems, tried = [], 0
    for dag_id in sorted(suite.domain_of):
        params = suite.op.dags.get_dag_details(dag_id).params or {}
        for name, spec in sorted(params.items()):
            schema = spec.get("schema", {}) if isinstance(spec, dict) else {}
            for what, value in invalid_values(schema):
                tried += 1
                status, body = suite.op.trigger_raw(dag_id, {"logical_date": None, "conf": {name: value}})
                if 400 <= status < 500 and name in body:
                    suite.figures.bad_params_rejected += 1
                else:
                    problems.append(f"{dag_id}.{name} ({what}: {value!r}) → HTTP {status}: {body[:200]}")
    suite.figures.bad_params_tried = tried
    suite.figures.phase_seconds["4 bad params"] = time.monotonic() - started
    assert tried >= 10, f"only {tried} invalid values derived from the DAGs' params"
    assert not problems, "\n".join(problems)
    # nothing was created by the refused triggers
    for dag_id in sorted(suite.domain_of):
        assert all(r.state in ("success", "failed") for r in suite.op.list_runs(dag_id)), dag_id
