"""Discourse Data Explorer client on the http provider's HttpHook (connection ``discourse_api``).

``DataExplorerClient().run(name, params)`` runs one of almanac's queries (categories #107, users #108,
user_actions #103, engagement #102; ids configurable with ``ALMANAC_DISCOURSE_QUERY_<NAME>``) and
returns every row as a dict. It works against both generations of the plugin (the standalone
discourse/discourse-data-explorer and the one bundled in Discourse core) and never returns a cut
result. What it does, and which upstream behaviour each rule answers (docs/discourse.md has the
operator's version):

- ``POST {base}/admin/plugins/explorer/queries/{id}/run`` (core still routes this legacy path to the
  same action: ``plugins/discourse-data-explorer/config/routes.rb``) with headers ``Api-Key`` /
  ``Api-Username`` and form fields ``params``, ``limit``, ``download=1``.
- **String params.** ``Parameter#cast_to_ruby`` calls ``downcase`` on every value, so an integer
  answers HTTP 500: ints and dates are sent as their text.
- **An integer limit** (``ALMANAC_DISCOURSE_PAGE_LIMIT``, default and maximum 10,000): core answers 400
  to ``limit=ALL`` and to anything above ``QUERY_RESULT_MAX_LIMIT``.
- **download=1**: without it the plugin serialises the user, post and topic behind every ``*_id``
  column of every row (``relations``).
- **A full page is never trusted.** ``result_count == limit`` means the answer may be cut. #103 and
  #102 then split their date window in halves and fetch each, recursively, and merge the halves (see
  :func:`merge_user_actions`, :func:`merge_engagement`); a one-day window that is still full fails
  naming the query, category and day. #108 pages with its ``after_user_id`` param (keyset paging on
  ``ORDER BY u.id``, checked on every page); #107 fails when full.
- **429** (Discourse's admin API limiter: ``max_admin_api_reqs_per_minute``, 60 per minute shared by
  every admin key): sleep what the answer says (``Retry-After`` header, ``extras.wait_seconds``) plus
  up to ``ALMANAC_DISCOURSE_JITTER_SECONDS`` of random jitter, while the task keeps its pool slot, at
  most ``ALMANAC_DISCOURSE_MAX_WAIT_SECONDS`` in total per client (one task); then fail saying how
  long it waited. Refused requests do not count against the limiter, so waiting as told is the
  fastest way through.
- 5xx and connection errors are retried with exponential backoff (``ALMANAC_DISCOURSE_RETRY_BASE_SECONDS``,
  default 2 s; 5 attempts). 400, 403, 404 and 422 (a param the query does not accept, an SQL error, the
  forum's 10 s statement timeout) fail at once. Every error message names the query and the window.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import itertools
import json
import logging
import os
import random
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from almanac.connections import DISCOURSE_API
from almanac.discourse.transform import DEFAULT_QUERY_IDS, QUERY_COLUMNS

log = logging.getLogger(__name__)

ATTEMPTS = 5
#: ``DiscourseDataExplorer::QUERY_RESULT_MAX_LIMIT``: the most rows core answers per call.
MAX_PAGE_LIMIT = 10_000
#: Queries whose ``start_date``/``end_date`` window the client splits when a page comes back full.
WINDOWED = frozenset({"user_actions", "engagement"})
#: The first ``after_user_id`` of #108's keyset paging: below every user id (system users are negative).
FIRST_USER_CURSOR = -(2**31)


class DataExplorerError(RuntimeError):
    """A query failed or answered something unusable; the message names the query and the window."""


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


def merge_user_actions(pages: Iterable[list[dict]]) -> list[dict]:
    """#103 rows of several windows as one list, each action once. An action's natural key is
    (user_id, action_type, target_post_id, created_at); the windows are disjoint, so a repeat can only
    come from a forum that answers overlapping windows, and it is dropped, not counted twice."""
    seen: set[tuple] = set()
    merged = []
    for rows in pages:
        for row in rows:
            key = (row["user_id"], row["action_type"], row["target_post_id"], row["created_at"])
            if key not in seen:
                seen.add(key)
                merged.append(row)
    return merged


def merge_engagement(pages: Iterable[list[dict]]) -> list[dict]:
    """#102 rows of disjoint date windows as the rows of their union, by summing per user. Each row is
    one user over its window and all three numbers are sums over days (``user_visits`` rows: one per
    user and day visited), so ``days_visited``, ``posts_read`` and ``time_read_minutes`` of disjoint
    windows add up exactly (minutes are summed as decimals, so no float error creeps in)."""
    totals: dict[Any, dict] = {}
    for rows in pages:
        for row in rows:
            total = totals.setdefault(
                row["user_id"],
                {"user_id": row["user_id"], "days_visited": 0, "posts_read": 0, "time_read_minutes": Decimal(0)},
            )
            total["days_visited"] += int(row["days_visited"])
            total["posts_read"] += int(row["posts_read"])
            total["time_read_minutes"] += Decimal(str(row["time_read_minutes"]))
    return [totals[user] for user in sorted(totals)]


MERGERS = {"user_actions": merge_user_actions, "engagement": merge_engagement}


@dataclass
class Page:
    rows: list[dict[str, Any]]
    full: bool  # as many rows as the limit: the answer may be cut


class DataExplorerClient:
    """One client per task: its 429 waiting budget (``max_wait_seconds``) is the task's."""

    def __init__(self, conn_id: str = DISCOURSE_API, *, sleep: Callable[[float], None] = time.sleep) -> None:
        from airflow.providers.http.hooks.http import HttpHook

        self.hook = HttpHook(method="POST", http_conn_id=conn_id)
        connection = self.hook.get_connection(conn_id)
        self.headers = {"Api-Key": connection.password or "", "Api-Username": connection.login or ""}
        self.limit = page_limit()
        self.retry_base = float(os.environ.get("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "2"))
        self.max_wait_seconds = float(os.environ.get("ALMANAC_DISCOURSE_MAX_WAIT_SECONDS", "600"))
        self.jitter_seconds = float(os.environ.get("ALMANAC_DISCOURSE_JITTER_SECONDS", "2"))
        self.timeout_seconds = float(os.environ.get("ALMANAC_DISCOURSE_TIMEOUT_SECONDS", "120"))
        self._sleep = sleep
        self.calls = 0  # HTTP requests sent, refused ones included
        self.refusals = 0  # 429 answers
        self.waited_seconds = 0.0  # slept on 429s

    def run(self, name: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Every row of query ``name`` (categories, users, user_actions, engagement) as dicts."""
        wire = wire_params(params)
        if name in WINDOWED:
            try:
                start, end = dt.date.fromisoformat(wire["start_date"]), dt.date.fromisoformat(wire["end_date"])
            except (KeyError, ValueError) as exc:
                raise DataExplorerError(
                    f"{self._label(name, wire)}: needs ISO start_date and end_date ({exc})"
                ) from None
            pages = self._window_pages(name, wire, start, end)
            return pages[0] if len(pages) == 1 else MERGERS[name](pages)
        if name == "users":
            return self._all_users(wire)
        page = self._page(name, wire)
        if page.full:
            raise DataExplorerError(
                f"{self._label(name, wire)}: {len(page.rows)} rows fill a whole page (limit {self.limit}), so the "
                "answer may be cut and this query has no window to split; almanac refuses a partial result"
            )
        return page.rows

    # --- completeness ---
    def _window_pages(self, name: str, wire: dict[str, str], start: dt.date, end: dt.date) -> list[list[dict]]:
        """The rows of [start, end) as one page per window that came back complete, splitting a window
        whose page is full into two halves, recursively."""
        params = {**wire, "start_date": start.isoformat(), "end_date": end.isoformat()}
        page = self._page(name, params)
        if not page.full:
            return [page.rows]
        days = (end - start).days
        if days <= 1:
            raise DataExplorerError(
                f"{self._label(name, params)}: {len(page.rows)} rows on {start} alone fill a whole page (limit "
                f"{self.limit}); a one-day window cannot be split further, so the result would be cut"
            )
        middle = start + dt.timedelta(days=days // 2)
        log.info(
            "%s: a full page (%d rows): fetching [%s, %s) and [%s, %s) instead",
            self._label(name, params),
            len(page.rows),
            start,
            middle,
            middle,
            end,
        )
        return self._window_pages(name, wire, start, middle) + self._window_pages(name, wire, middle, end)

    def _all_users(self, wire: dict[str, str]) -> list[dict]:
        """#108 page by page: ``after_user_id`` = the last user id of the previous page. Only sound if the
        query honours the param and orders by user id, so each page that paging relies on is checked."""
        rows: list[dict] = []
        cursor = FIRST_USER_CURSOR
        while True:
            params = {**wire, "after_user_id": str(cursor)}
            page = self._page("users", params)
            ids = [int(r["user_id"]) for r in page.rows]
            if (page.full or cursor != FIRST_USER_CURSOR) and any(
                b <= a for a, b in itertools.pairwise([cursor, *ids])
            ):
                raise DataExplorerError(
                    f"{self._label('users', params)}: rows are not in ascending user_id order above after_user_id="
                    f"{cursor}, so almanac cannot page through the users safely: the query must declare "
                    "`-- int :after_user_id` and filter and ORDER BY on it (docs/discourse-queries.md)"
                )
            rows += page.rows
            if not page.full:
                return rows
            cursor = ids[-1]

    # --- one call ---
    def _label(self, name: str, wire: Mapping[str, str]) -> str:
        where = []
        if "category_id" in wire:
            where.append(f"category {wire['category_id']}")
        if "start_date" in wire or "end_date" in wire:
            where.append(f"window [{wire.get('start_date')}, {wire.get('end_date')})")
        if wire.get("after_user_id", str(FIRST_USER_CURSOR)) != str(FIRST_USER_CURSOR):
            where.append(f"users after id {wire['after_user_id']}")
        return f"query #{query_id(name)} ({name})" + (f" {', '.join(where)}" if where else "")

    def _page(self, name: str, wire: dict[str, str]) -> Page:
        """One page of ``name``: retries 5xx, waits out 429s, raises on any other failure."""
        import requests

        qid, label = query_id(name), self._label(name, wire)
        data = {"params": json.dumps(wire), "limit": str(self.limit), "download": "1"}
        failures = 0
        while True:
            self.calls += 1
            try:
                response = self.hook.run(
                    f"/admin/plugins/explorer/queries/{qid}/run",
                    data=data,
                    headers=self.headers,
                    extra_options={"check_response": False, "timeout": self.timeout_seconds},
                )
            except requests.RequestException as exc:
                response, problem = None, f"{type(exc).__name__}: {exc}"
            else:
                problem = f"HTTP {response.status_code}"
            if response is not None and response.status_code == 429:
                self._wait_out(label, response)
                continue
            if response is None or response.status_code >= 500:
                failures += 1
                if failures == ATTEMPTS:
                    detail = f": {_error_detail(response)}" if response is not None else ""
                    raise DataExplorerError(f"{label}: {problem} after {ATTEMPTS} attempts{detail}")
                delay = self.retry_base * 2 ** (failures - 1)
                log.warning("%s: %s, retrying in %.1f s (attempt %d/%d)", label, problem, delay, failures, ATTEMPTS)
                self._sleep(delay)
                continue
            if response.status_code != 200:
                raise DataExplorerError(self._refusal(name, label, response))
            rows = self._records(label, name, response)
            return Page(rows, full=len(rows) >= self.limit)

    def _wait_out(self, label: str, response: Any) -> None:
        """Sleep what a 429 asks (plus jitter), within the client's total budget."""
        self.refusals += 1
        wait = _server_wait(response)
        if wait is None:  # a 429 without a hint (a proxy?): back off
            wait = max(1.0, self.retry_base) * 2 ** min(self.refusals - 1, 6)
        budget = self.max_wait_seconds - self.waited_seconds
        if wait > budget:
            raise DataExplorerError(
                f"{label}: still rate-limited (HTTP 429) after waiting {self.waited_seconds:.1f} s in this task; "
                f"the forum asks for {wait:g} s more, past the {self.max_wait_seconds:g} s cap "
                "(ALMANAC_DISCOURSE_MAX_WAIT_SECONDS). Discourse allows max_admin_api_reqs_per_minute (60 by "
                "default) admin API requests per minute, shared by every admin key: is another job using them?"
            )
        delay = min(wait + random.uniform(0, self.jitter_seconds), budget)
        log.warning(
            "%s: HTTP 429 (rate limit), the forum asks to wait %.0f s: sleeping %.1f s (%.0f s of %.0f s used)",
            label,
            wait,
            delay,
            self.waited_seconds,
            self.max_wait_seconds,
        )
        self._sleep(delay)
        self.waited_seconds += delay

    def _refusal(self, name: str, label: str, response: Any) -> str:
        status, detail = response.status_code, _error_detail(response)
        hint = {
            400: f"almanac sent limit={self.limit}; current Discourse takes an integer limit up to {MAX_PAGE_LIMIT} "
            "(ALMANAC_DISCOURSE_PAGE_LIMIT)",
            403: "check the discourse_api connection: login = Api-Username, password = an admin Api-Key",
            404: f"the forum has no Data Explorer query #{query_id(name)}: create it from docs/discourse-queries.md "
            f"or set ALMANAC_DISCOURSE_QUERY_{name.upper()}",
        }.get(status)
        if status == 422 and "ValidationError" in detail:
            hint = "the query's -- [params] block must match docs/discourse-queries.md"
        elif status == 422 and "statement timeout" in detail:
            hint = "the forum stops every Data Explorer query after 10 s"
        return f"{label}: HTTP {status}: {detail}" + (f" ({hint})" if hint else "")

    @staticmethod
    def _records(label: str, name: str, response: Any) -> list[dict[str, Any]]:
        try:
            body = response.json()
        except ValueError:
            raise DataExplorerError(f"{label}: the answer is not JSON") from None
        if not isinstance(body, dict) or not body.get("success") or "columns" not in body or "rows" not in body:
            raise DataExplorerError(f"{label}: malformed answer (expected success, columns and rows)")
        columns, rows = list(body["columns"]), body["rows"]
        for column in QUERY_COLUMNS[name]:
            if column not in columns:
                raise DataExplorerError(f"{label}: missing column {column!r} (got {columns})")
        count = body.get("result_count", len(rows))
        if count != len(rows):
            raise DataExplorerError(f"{label}: malformed answer: result_count {count} but {len(rows)} rows")
        return [dict(zip(columns, row, strict=True)) for row in rows]


def _server_wait(response: Any) -> float | None:
    """Seconds a 429 asks to wait: the larger of ``Retry-After`` (seconds or an HTTP date) and the
    body's ``extras.wait_seconds``; None when it says neither."""
    waits = []
    header = response.headers.get("Retry-After")
    if header:
        try:
            waits.append(float(header))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(header)
                waits.append((when - dt.datetime.now(dt.UTC)).total_seconds())
            except (TypeError, ValueError):
                pass
    try:
        extras = response.json().get("extras") or {}
        waits.append(float(extras["wait_seconds"]))
    except (ValueError, AttributeError, KeyError, TypeError):
        pass
    return max(0.0, *waits) if waits else None


def _error_detail(response: Any) -> str:
    """The reason a Discourse error answer gives: ``errors`` (plugin and Discourse errors), ``error``
    (Rails' own 404/500 pages), else the start of the text."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300].strip() or "(empty answer)"
    if isinstance(body, dict) and body.get("errors"):
        return "; ".join(str(e).strip() for e in body["errors"])[:500]
    if isinstance(body, dict) and body.get("error"):
        return str(body["error"])
    return response.text[:300].strip()
