"""The status page: the system status as one HTML table, one row per domain, green / amber / red.

Rendered on the server (no data fetched by the browser), so it works inside the Airflow UI's plugin
frame and in a plain tab alike. Links to each DAG's grid are relative to the page, so they also work
when Airflow is served under a sub-path.
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from importlib import resources
from typing import Any

import jinja2

from almanac.status.report import readable


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.filters["when"] = readable_time
    return env.from_string(resources.files("almanac.status").joinpath("status.html.j2").read_text())


def readable_time(value: object) -> object:
    """An ISO timestamp as ``2026-03-10 03:15 UTC``; anything else (dates, ids) unchanged."""
    if isinstance(value, str) and "T" in value:
        try:
            return readable(dt.datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def render_status_page(status: dict[str, Any]) -> str:
    return _template().render(status=status)
