"""Parse dags/ in a fresh interpreter, the way the dag-processor does, and report what it cost.

Run as ``python -m tests.support.parse_dags``; prints one JSON object: parse seconds, metadata-DB
queries issued while parsing, connection / Variable look-ups attempted, and import errors. The
look-ups are made to raise, so a DAG file that touches a connection at import shows up as an
import error too.
"""

from __future__ import annotations

import json
import time


def main() -> None:
    import airflow.sdk
    from airflow import settings
    from airflow.dag_processing.dagbag import DagBag
    from airflow.sdk import BaseHook, Variable
    from sqlalchemy import event

    from almanac.demo.embedded import PROJECT_ROOT

    calls = {"get_connection": 0, "variable_get": 0}

    def refuse_connection(*args, **kwargs):
        calls["get_connection"] += 1
        raise RuntimeError("DAG files must not look up connections at import time")

    def refuse_variable(*args, **kwargs):
        calls["variable_get"] += 1
        raise RuntimeError("DAG files must not read Variables at import time")

    BaseHook.get_connection = classmethod(refuse_connection)
    Variable.get = staticmethod(refuse_variable)
    assert airflow.sdk.BaseHook is BaseHook

    queries: list[str] = []
    event.listen(settings.engine, "before_cursor_execute", lambda *a: queries.append(a[2]))

    start = time.perf_counter()
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    seconds = time.perf_counter() - start
    print(
        json.dumps(
            {
                "parse_seconds": round(seconds, 3),
                "dag_ids": sorted(bag.dag_ids),
                "metadata_queries": queries,
                **calls,
                "import_errors": {k: v[-500:] for k, v in bag.import_errors.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
