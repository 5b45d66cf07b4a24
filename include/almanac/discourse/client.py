"""Discourse Data Explorer client on the http provider's HttpHook (connection ``discourse_api``).

``POST {base}/admin/plugins/explorer/queries/{id}/run`` with headers ``Api-Key`` (the connection's
password) and ``Api-Username`` (its login), form fields ``params`` (a JSON object of **strings**: the
plugin's ``Parameter#cast_to_ruby`` calls ``downcase`` on every value, so an integer answers HTTP 500),
``limit`` (an integer, ``ALMANAC_DISCOURSE_PAGE_LIMIT``, at most 10,000: the plugin bundled in core
answers 400 to ``ALL`` or more) and ``download=1`` (else the plugin serialises the user, post and topic
behind every ``*_id`` column). Answers ``{"success": true, "columns": [...], "rows": [[...]]}``; rows
become dicts, and a missing expected column fails with the query and the column named. 429 and 5xx
answers are retried with exponential backoff (``ALMANAC_DISCOURSE_RETRY_BASE_SECONDS``, default 2 s;
5 attempts).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

from almanac.connections import DISCOURSE_API
from almanac.discourse.transform import DEFAULT_QUERY_IDS, QUERY_COLUMNS

log = logging.getLogger(__name__)

ATTEMPTS = 5
#: ``DiscourseDataExplorer::QUERY_RESULT_MAX_LIMIT``: the most rows core answers per call.
MAX_PAGE_LIMIT = 10_000


class DataExplorerError(RuntimeError):
    """A query failed or answered something unusable; the message names the query."""


def query_id(name: str) -> int:
    return int(os.environ.get(f"ALMANAC_DISCOURSE_QUERY_{name.upper()}", DEFAULT_QUERY_IDS[name]))


def page_limit() -> int:
    """Rows asked per call (``ALMANAC_DISCOURSE_PAGE_LIMIT``): an integer 1..10,000, as core requires."""
    raw = os.environ.get("ALMANAC_DISCOURSE_PAGE_LIMIT", str(MAX_PAGE_LIMIT))
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_PAGE_LIMIT:
        raise ValueError(f"ALMANAC_DISCOURSE_PAGE_LIMIT={raw!r}: must be an integer from 1 to {MAX_PAGE_LIMIT}")
    return limit


def wire_params(params: Mapping[str, Any] | None) -> dict[str, str]:
    """The params as Data Explorer takes them: every value a string (an int answers HTTP 500)."""
    wire = {}
    for key, value in (params or {}).items():
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            wire[key] = value.isoformat()
        elif isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool)):
            wire[key] = str(value)
        else:
            raise TypeError(f"Data Explorer param {key}={value!r}: pass a str, an int or a date")
    return wire


class DataExplorerClient:
    def __init__(self, conn_id: str = DISCOURSE_API) -> None:
        from airflow.providers.http.hooks.http import HttpHook

        self.hook = HttpHook(method="POST", http_conn_id=conn_id)
        connection = self.hook.get_connection(conn_id)
        self.headers = {"Api-Key": connection.password or "", "Api-Username": connection.login or ""}
        self.limit = page_limit()
        self.retry_base = float(os.environ.get("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "2"))

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run query ``name`` (categories, users, user_actions, engagement) and return its rows as dicts."""
        qid = query_id(name)
        label = f"query #{qid} ({name})"
        data = {"params": json.dumps(wire_params(params)), "limit": str(self.limit), "download": "1"}
        for attempt in range(1, ATTEMPTS + 1):
            response = self.hook.run(
                f"/admin/plugins/explorer/queries/{qid}/run",
                data=data,
                headers=self.headers,
                extra_options={"check_response": False},
            )
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == ATTEMPTS:
                    raise DataExplorerError(f"{label}: HTTP {response.status_code} after {ATTEMPTS} attempts")
                delay = self.retry_base * 2 ** (attempt - 1)
                log.warning(
                    "%s: HTTP %s, retrying in %.1f s (attempt %d/%d)",
                    label,
                    response.status_code,
                    delay,
                    attempt,
                    ATTEMPTS,
                )
                time.sleep(delay)
                continue
            if response.status_code != 200:
                raise DataExplorerError(f"{label}: HTTP {response.status_code}: {response.text[:200]}")
            return self._records(label, name, response)
        raise AssertionError("unreachable")

    @staticmethod
    def _records(label: str, name: str, response: Any) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            raise DataExplorerError(f"{label}: the answer is not JSON") from None
        if not isinstance(body, dict) or not body.get("success") or "columns" not in body or "rows" not in body:
            raise DataExplorerError(f"{label}: malformed answer (expected success, columns and rows)")
        columns = list(body["columns"])
        for column in QUERY_COLUMNS[name]:
            if column not in columns:
                raise DataExplorerError(f"{label}: missing column {column!r} (got {columns})")
        return [dict(zip(columns, row, strict=True)) for row in body["rows"]]
