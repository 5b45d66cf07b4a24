"""Operators' and frontends' view of almanac: is each domain's data fresh, late or failed?

- :mod:`.report` — the answer of ``GET /almanac/api/system-status`` (statuses and colours explained there);
- :mod:`.freshness` — each domain's probe of its own tables, concurrent, with timeouts;
- :mod:`.schedule` — the stale rule, from the DAG's schedule;
- :mod:`.page` — the same data as the HTML status page.

Served by Airflow's own api-server through ``plugins/almanac_status.py``.
"""
