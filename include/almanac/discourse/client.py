"""Discourse Data Explorer client on the http provider's HttpHook (connection ``discourse_api``).

``POST {base}/admin/plugins/explorer/queries/{id}/run`` with headers ``Api-Key`` (the connection's
password) and ``Api-Username`` (its login), form fields ``params`` (a JSON string) and ``limit``.
Answers ``{"success": true, "columns": [...], "rows": [[...]]}``; rows become dicts, and a missing
expected column fails with the query and the column named. 429 and 5xx answers are retried with
exponential backoff (``ALMANAC_DISCOURSE_RETRY_BASE_SECONDS``, default 2 s; 5 attempts).
"""

from __future__ import annotations

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


class DataExplorerError(RuntimeError):
    """A query failed or answered something unusable; the message names the query."""


def query_id(name: str) -> int:
    return int(os.environ.get(f"ALMANAC_DISCOURSE_QUERY_{name.upper()}", DEFAULT_QUERY_IDS[name]))


class DataExplorerClient:
    def __init__(self, conn_id: str = DISCOURSE_API) -> None:
        from airflow.providers.http.hooks.http import HttpHook

        self.hook = HttpHook(method="POST", http_conn_id=conn_id)
        connection = self.hook.get_connection(conn_id)
        self.headers = {"Api-Key": connection.password or "", "Api-Username": connection.login or ""}
        self.retry_base = float(os.environ.get("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "2"))

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run query ``name`` (categories, users, user_actions, engagement) and return its rows as dicts."""
        qid = query_id(name)
        label = f"query #{qid} ({name})"
        data = {"params": json.dumps(dict(params or {})), "limit": "ALL"}
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
