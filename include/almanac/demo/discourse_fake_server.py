"""A fake Discourse Data Explorer server, as strict as the real plugin.

It answers ``POST /admin/plugins/explorer/queries/{id}/run`` (and, in the core generation, the newer
``/admin/plugins/discourse-data-explorer/queries/{id}/run``) with headers ``Api-Key`` and
``Api-Username`` and the form fields ``params`` (a JSON object), ``limit`` and ``download``, the way
the plugin's source does it. Every rule below is what the upstream code does; the paths name the file
that does it (``discourse/discourse-data-explorer`` = the standalone plugin, archived in 2025;
``discourse/discourse`` ``plugins/discourse-data-explorer/`` = the generation bundled in core):

- **Two generations** (``generation=``): ``"core"`` (default: current Discourse) and ``"standalone"``.
  ``limit`` absent → ``SiteSetting.data_explorer_query_result_limit`` = 1000 rows (config/settings.yml).
  Core parses it with ``fetch_limit_from_params(max: QUERY_RESULT_MAX_LIMIT)`` → ``Integer(limit)``
  between 0 and 10,000, anything else (``ALL``, ``10001``, ``abc``) → **400** ``invalid_parameters``
  (core ``app/controllers/application_controller.rb``). The standalone plugin takes ``"ALL"`` (no
  LIMIT) or ``limit.to_i`` with no maximum (``app/controllers/discourse_data_explorer/query_controller.rb``
  ``run``); a negative number is a PostgreSQL error (422).
- **Params are strings.** ``Parameter#cast_to_ruby`` (``lib/discourse_data_explorer/parameter.rb``, both
  generations) calls ``string.downcase`` on every value: an integer, boolean, list or object answers
  **500**. A declared param missing (or null, or blank) without a default → **422**
  ``{"success": false, "errors": ["DiscourseDataExplorer::ValidationError: Missing parameter ..."]}``;
  a value that does not cast (``int`` not matching ``^-?\\d+$``, a date ``Date.parse`` refuses) → 422
  ``"'x' is an invalid int - Not an integer"``. Undeclared keys are ignored. ``params`` that is not
  JSON → 422 ``Invalid JSON in params`` (core) or 500 (standalone).
- **Answer** (``lib/discourse_data_explorer/result_format_converter.rb``): ``success``, ``errors``,
  ``duration``, ``result_count`` (= rows returned), ``params``, ``columns``, ``default_limit``,
  ``rows``; without ``download`` also ``relations`` (the users, posts and topics behind every
  ``*_id`` column, ``DataExplorer.add_extra_data``) and ``colrender``.
- **Unknown query id** → ``Query.find`` raises ``ActiveRecord::RecordNotFound``, which no controller
  rescues: Rails' public exceptions app answers **404** ``{"status": 404, "error": "Not Found"}``.
- **Admin API rate limit** (``lib/auth/default_current_user_provider.rb`` ``admin_api_key_limiter``):
  one ``RateLimiter`` keyed ``admin_api_min`` shared by every admin key, ``max_admin_api_reqs_per_minute``
  (60) per 60 s. ``lib/rate_limiter.rb`` keeps the timestamps of the last ``max`` accepted requests (a
  sliding log; refused requests are not recorded); over the limit → **429** with header
  ``Retry-After`` = ``seconds_to_wait`` (window − age of the oldest) and body
  ``{"errors": [...], "error_type": "rate_limit", "extras": {"wait_seconds": n, "time_left": "n seconds"}}``.
  ``rate_limit=(requests, window_seconds)`` configures it (``None``: unlimited, for tests and benches).
- Wrong credentials → 403 ``invalid_access``.

Queries (ids 107, 108, 103, 102) answer what the SQL in docs/discourse-queries.md would, over synthetic,
deterministic data: courses (plus the Staff, Site Feedback, Lounge and Uncategorized categories), users,
user actions of the five scored types spread over ``start``..``horizon``, and engagement (from
``user_visits``: one visit per user and active day) derived from the actions.

For tests: :meth:`add_activity` adds actions on a later day and :meth:`add_actions` a burst in one
category; :meth:`fail` makes a query answer 500, a 422 statement timeout or a malformed body (optionally
only for one category); :attr:`declared_params` can be edited to play an admin's query that lacks a
param; :attr:`requests` records every answered query (params, limit, download, rows) and :attr:`calls`
every request with its status, its monotonic time and any ``Retry-After`` (:attr:`refused` counts the 429s).
A running server (``make run``) is faulted and healed over HTTP, with the API key:
``POST /_fake/fail?query_id=103&mode=500[&category_id=11]`` and ``POST /_fake/heal``.

``python -m almanac.demo.discourse_fake_server --host 0.0.0.0 --port 8081`` serves the demo data alone
(the compose ``demo`` profile); ``--generation`` and ``--rate-limit`` choose the plugin's behaviour.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import datetime as dt
import json
import math
import random
import re
import threading
import time
import urllib.parse
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

API_KEY = "demo-api-key"
API_USERNAME = "system"
ACTION_TYPES = (1, 1, 1, 2, 2, 2, 4, 5, 5, 5, 15)  # weighted towards likes and replies
EXTRA_CATEGORIES = [
    (1, "Uncategorized", "uncategorized"),
    (2, "Staff", "staff"),
    (3, "Site Feedback", "site-feedback"),
    (4, "Lounge", "lounge"),
]
FIRST_COURSE_ID = 10

GENERATIONS = ("core", "standalone")
DEFAULT_LIMIT = 1000  # SiteSetting.data_explorer_query_result_limit
MAX_LIMIT = 10_000  # DiscourseDataExplorer::QUERY_RESULT_MAX_LIMIT
#: Discourse's defaults: max_admin_api_reqs_per_minute = 60 (config/discourse_defaults.conf).
REAL_RATE_LIMIT = (60, 60.0)
ROUTES = {
    "core": (("admin", "plugins", "explorer"), ("admin", "plugins", "discourse-data-explorer")),
    "standalone": (("admin", "plugins", "explorer"),),
}
VALIDATION = "DiscourseDataExplorer::ValidationError"
RELATION_COLUMN = re.compile(r"(user|badge|post|topic|tag_group|group|category)_id$")


def rails_json_time(moment: dt.datetime) -> str:
    """A Discourse ``timestamp`` column as the plugin's JSON carries it: Rails' Postgres adapter decodes
    ``timestamp`` as UTC (``PG::TextDecoder::TimestampUtc``) and ActiveSupport writes a Time as
    ``xmlschema(3)``: milliseconds and ``Z``, e.g. ``2026-03-01T09:00:00.000Z``."""
    utc = moment.astimezone(dt.UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class Param:
    """One line of a query's ``-- [params]`` block: ``-- <type> :<identifier> [= <default>]``."""

    identifier: str
    type: str  # "int" or "date": the two types almanac's queries declare
    default: str | None = None


#: The ``-- [params]`` blocks of almanac's queries as published in docs/discourse-queries.md.
QUERY_PARAMS: dict[int, tuple[Param, ...]] = {
    107: (),
    108: (Param("after_user_id", "int", "-2147483648"),),
    103: (Param("category_id", "int"), Param("start_date", "date"), Param("end_date", "date")),
    102: (Param("start_date", "date"), Param("end_date", "date")),
}


class QueryError(Exception):
    """What ``DataExplorer.run_query`` returns as ``result[:error]``: the controller answers 422."""


class ServerError(Exception):
    """An exception nothing rescues (NoMethodError, MultiJson::ParseError in the standalone plugin): 500."""


class InvalidParametersError(Exception):
    """``Discourse::InvalidParameters`` → 400."""


class SlidingLogLimiter:
    """Discourse's ``RateLimiter`` (non-aggressive): remember the last ``max_requests`` accepted
    requests; accept when fewer are remembered or the oldest is ``window`` seconds old."""

    def __init__(self, max_requests: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        if max_requests < 1 or window_seconds <= 0:
            raise ValueError("rate_limit needs at least 1 request per a positive window")
        self.max_requests, self.window = max_requests, window_seconds
        self._clock = clock
        self._log: collections.deque[float] = collections.deque(maxlen=max_requests)
        self._lock = threading.Lock()

    def acquire(self) -> float | None:
        """None when accepted, else the seconds until the oldest remembered request leaves the window."""
        with self._lock:
            now = self._clock()
            if len(self._log) < self.max_requests or now - self._log[0] >= self.window:
                self._log.append(now)
                return None
            return self.window - (now - self._log[0])


def _ruby_to_i(text: str) -> int:
    """Ruby's ``String#to_i``: the leading integer, 0 when there is none."""
    match = re.match(r"\s*([+-]?\d+)", text)
    return int(match.group(1)) if match else 0


def _cast(param: Param, raw: object) -> int | dt.date:
    """``Parameter#cast_to_ruby`` for the types almanac declares."""
    value = param.default if raw is None or raw is False else raw  # `string = @default unless string`
    blank = (
        value is None
        or (isinstance(value, str) and not value.strip())
        or (isinstance(value, list | dict) and not value)
    )
    if blank:
        raise QueryError(f"{VALIDATION}: Missing parameter {param.identifier} of type {param.type}")
    if not isinstance(value, str):  # `value.downcase` on an Integer, true, Array or Hash
        kind = {bool: "TrueClass", int: "Integer", float: "Float", list: "Array", dict: "Hash"}.get(
            type(value), "Object"
        )
        raise ServerError(f"NoMethodError: undefined method `downcase' for an instance of {kind}")
    if param.type == "int":
        if not re.fullmatch(r"-?\d+", value):
            raise QueryError(f"{VALIDATION}: '{value}' is an invalid int - Not an integer")
        return int(value)
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError:
        raise QueryError(f"{VALIDATION}: '{value}' is an invalid date - invalid date") from None


class FakeDiscourse:
    def __init__(
        self,
        *,
        courses: int = 6,
        users: int = 120,
        start: dt.date = dt.date(2025, 5, 1),
        horizon: dt.date = dt.date(2026, 3, 16),
        actions_per_course_day: float = 4.0,
        seed: int = 11,
        generation: str = "core",
        rate_limit: tuple[int, float] | None = REAL_RATE_LIMIT,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.seed = seed
        self.generation = generation  # mutable: a test may switch the forum's generation between runs
        self.set_rate_limit(rate_limit)
        self.users = {u: f"user{u:05d}" for u in range(1, users + 1)}
        self.categories = sorted(
            [
                {
                    "category_id": FIRST_COURSE_ID + i,
                    "name": f"Course {i + 1}",
                    "slug": f"course-{i + 1}",
                    "parent_category_id": None,
                }
                for i in range(courses)
            ]
            + [
                {"category_id": cid, "name": name, "slug": slug, "parent_category_id": None}
                for cid, name, slug in EXTRA_CATEGORIES
            ],
            key=lambda c: c["category_id"],
        )
        self.actions: dict[int, list[tuple]] = defaultdict(
            list
        )  # category → sorted (created_at, user, type, post, topic)
        self._next_post = 1
        self.declared_params = dict(QUERY_PARAMS)
        self.requests: list[dict] = []
        self.calls: list[dict] = []
        self.failures: dict[int, tuple[str, int | None]] = {}
        self._lock = threading.Lock()
        rng = random.Random(seed)
        day = start
        while day < horizon:
            self._generate_day(rng, day, actions_per_course_day, [c["category_id"] for c in self.categories])
            day += dt.timedelta(days=1)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-discourse", daemon=True)

    # --- configuration ---
    def set_rate_limit(self, rate_limit: tuple[int, float] | None) -> None:
        """``(requests, window_seconds)`` shared by every admin key, or None for no limit."""
        self.limiter = SlidingLogLimiter(*rate_limit) if rate_limit else None

    @property
    def refused(self) -> int:
        """How many requests the rate limiter answered with 429."""
        return sum(1 for c in self.calls if c["status"] == 429)

    def clear_records(self) -> None:
        with self._lock:
            self.requests.clear()
            self.calls.clear()

    # --- data ---
    def _new_action(self, rng: random.Random, created: dt.datetime, user_ids: list[int]) -> tuple:
        row = (created, rng.choice(user_ids), rng.choice(ACTION_TYPES), self._next_post, self._next_post // 7 + 1)
        self._next_post += 1
        return row

    def _generate_day(self, rng: random.Random, day: dt.date, rate: float, category_ids: list[int]) -> int:
        added = 0
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        user_ids = list(self.users)
        for category_id in category_ids:
            rows = self.actions[category_id]
            for _ in range(int(rate) + (1 if rng.random() < rate % 1 else 0)):
                bisect.insort(
                    rows, self._new_action(rng, midnight + dt.timedelta(seconds=rng.randrange(86400)), user_ids)
                )
                added += 1
        return added

    def add_activity(self, day: dt.date, actions_per_course: float, seed: int | None = None) -> int:
        """Add new actions on ``day`` in every category (deterministic for the seed); returns how many."""
        rng = random.Random(seed if seed is not None else self.seed + day.toordinal())
        with self._lock:
            return self._generate_day(rng, day, actions_per_course, [c["category_id"] for c in self.categories])

    def add_actions(self, category_id: int, start: dt.date, end: dt.date, count: int, seed: int = 0) -> None:
        """Add exactly ``count`` actions in one category, spread at random over [start, end)."""
        rng = random.Random(seed)
        seconds = int((end - start).total_seconds())
        origin = dt.datetime.combine(start, dt.time(), tzinfo=dt.UTC)
        user_ids = list(self.users)
        with self._lock:
            rows = self.actions[category_id]
            rows.extend(
                self._new_action(rng, origin + dt.timedelta(seconds=rng.randrange(seconds)), user_ids)
                for _ in range(count)
            )
            rows.sort()

    def count_actions(self, category_id: int, start: dt.date, end: dt.date) -> int:
        """How many actions #103 has for the category and window (benchmarks: the minimum number of calls)."""
        return len(self._actions_between(category_id, _midnight(start), _midnight(end)))

    def engagement_users(self, start: dt.date, end: dt.date) -> int:
        """How many rows #102 has for the window."""
        return len(self._engagement(_midnight(start), _midnight(end)))

    def fail(self, query_id: int, mode: str = "500", category_id: int | None = None) -> None:
        """Make ``query_id`` answer ``mode``: "500", "422" (the plugin's 10 s statement timeout),
        "malformed" (an answer missing its first column) or, for #103, "null_post" (each page's first
        action with a NULL ``target_post_id``, which Discourse's column allows)."""
        self.failures[query_id] = (mode, category_id)

    def heal(self) -> None:
        self.failures.clear()

    def _actions_between(self, category_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple]:
        rows = self.actions.get(category_id, [])
        lo = bisect.bisect_left(rows, (start,))
        hi = bisect.bisect_left(rows, (end,))
        return rows[lo:hi]

    def _engagement(self, start: dt.datetime, end: dt.datetime) -> list[list]:
        """Per user: visit days, posts read, minutes read. Each is a sum over days, so the numbers of two
        disjoint windows add up to those of their union (as ``user_visits`` sums do)."""
        days: dict[int, set] = defaultdict(set)
        count: dict[int, int] = defaultdict(int)
        for category_id in self.actions:
            for created, u, *_ in self._actions_between(category_id, start, end):
                days[u].add(created.date())
                count[u] += 1
        return [[u, len(days[u]), 3 * count[u], 1.5 * count[u]] for u in sorted(days)]

    def answer(self, query_id: int, args: dict) -> tuple[list[str], list[list]]:
        """Columns and every row the query's SQL would return (before the plugin's LIMIT), ordered as
        its ORDER BY says."""
        if query_id == 107:
            return ["category_id", "name", "slug", "parent_category_id"], [list(c.values()) for c in self.categories]
        if query_id == 108:
            after = args.get("after_user_id", -(2**31))
            return ["user_id", "username"], [[u, name] for u, name in sorted(self.users.items()) if u > after]
        start, end = _midnight(args["start_date"]), _midnight(args["end_date"])
        if query_id == 103:
            rows = self._actions_between(args["category_id"], start, end)
            return (
                ["user_id", "action_type", "target_post_id", "target_topic_id", "created_at"],
                [[u, t, post, topic, rails_json_time(created)] for created, u, t, post, topic in rows],
            )
        if query_id == 102:
            return ["user_id", "days_visited", "posts_read", "time_read_minutes"], self._engagement(start, end)
        raise KeyError(query_id)

    def relations(self, columns: list[str], rows: list[list]) -> tuple[dict, dict]:
        """``DataExplorer.add_extra_data``: the objects behind every ``*_id`` column (what ``download``
        leaves out)."""
        relations: dict[str, list] = {}
        colrender: dict[str, str] = {}
        for index, column in enumerate(columns):
            match = RELATION_COLUMN.search(column)
            if not match:
                continue
            kind = match.group(1)
            colrender[str(index)] = kind
            ids = sorted({r[index] for r in rows if r[index] is not None})
            if kind == "user":
                objects = [{"id": i, "username": self.users.get(i), "avatar_template": "/a/{size}.png"} for i in ids]
            elif kind == "post":
                objects = [{"id": i, "topic_id": i // 7 + 1, "post_number": i % 7 + 1, "excerpt": "…"} for i in ids]
            elif kind == "topic":
                objects = [{"id": i, "title": f"Topic {i}", "slug": f"topic-{i}", "posts_count": 7} for i in ids]
            else:  # category and group relations are ignored by the plugin
                objects = []
            relations.setdefault(kind, []).extend(objects)
        return relations, colrender

    # --- the run action ---
    def run_query(self, query_id: int, form: dict[str, list[str]]) -> tuple[int, dict]:
        """The controller's ``run`` for an authenticated admin: (status, JSON body)."""
        if query_id not in self.declared_params:
            return 404, {"status": 404, "error": "Not Found"}
        limit = self._limit(form)
        raw_params = form.get("params", [""])[0]
        try:
            given = json.loads(raw_params) if raw_params else {}
        except ValueError:
            if self.generation == "core":
                return 422, {"success": False, "errors": ["Invalid JSON in params"]}
            raise ServerError("MultiJson::ParseError") from None
        if not isinstance(given, dict):
            given = {}
        args = {p.identifier: _cast(p, given.get(p.identifier)) for p in self.declared_params[query_id]}
        if isinstance(limit, int) and limit < 0:
            raise QueryError("ERROR:  LIMIT must not be negative\n")
        mode, only_category = self.failures.get(query_id, (None, None))
        if mode and (only_category is None or only_category == args.get("category_id")):
            if mode == "500":
                raise ServerError("simulated failure")
            if mode == "422":
                raise QueryError("ERROR:  canceling statement due to statement timeout\n")
        started = time.perf_counter()
        with self._lock:
            columns, rows = self.answer(query_id, args)
        if limit is not None:
            rows = rows[:limit]
        if mode == "malformed" and (only_category is None or only_category == args.get("category_id")):
            columns, rows = columns[1:], [r[1:] for r in rows]
        if mode == "null_post" and rows and (only_category is None or only_category == args.get("category_id")):
            post = columns.index("target_post_id")  # nullable in Discourse's user_actions
            rows = [[*rows[0][:post], None, *rows[0][post + 1 :]], *rows[1:]]
        download = bool(form.get("download", [""])[0])
        body: dict = {
            "success": True,
            "errors": [],
            "duration": round((time.perf_counter() - started) * 1000, 1),
            "result_count": len(rows),
            "params": given,
            "columns": columns,
            "default_limit": DEFAULT_LIMIT,
        }
        if not download:
            body["relations"], body["colrender"] = self.relations(columns, rows)
        body["rows"] = rows
        with self._lock:
            self.requests.append(
                {"query_id": query_id, "params": given, "rows": len(rows), "limit": limit, "download": download}
            )
        return 200, body

    def _limit(self, form: dict[str, list[str]]) -> int | None:
        """The LIMIT the plugin applies (None: no LIMIT), or InvalidParametersError for core's 400."""
        if self.generation == "core":
            if "limit" not in form:
                return DEFAULT_LIMIT
            text = form["limit"][0]
            if not re.fullmatch(r"\s*[+-]?\d+\s*", text) or not 0 <= int(text) <= MAX_LIMIT:
                raise InvalidParametersError("limit")
            return int(text)
        text = form.get("limit", [""])[0]
        if not text.strip():
            return DEFAULT_LIMIT
        return None if text == "ALL" else _ruby_to_i(text)

    # --- HTTP ---
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
                if self.path.startswith("/_fake/"):
                    return self._control()
                if self.headers.get("Api-Key") != API_KEY or self.headers.get("Api-Username") != API_USERNAME:
                    return self._send(
                        403,
                        {
                            "errors": ["You are not permitted to view the requested resource."],
                            "error_type": "invalid_access",
                        },
                    )
                wait = fake.limiter.acquire() if fake.limiter else None
                if wait is not None:
                    return self._refuse(math.ceil(wait))
                parts = tuple(urllib.parse.urlsplit(self.path).path.strip("/").split("/"))
                query_id = None
                if (
                    len(parts) == 6
                    and parts[:3] in ROUTES[fake.generation]
                    and parts[3] == "queries"
                    and parts[5] in ("run", "run.json")
                    and re.fullmatch(r"-?\d+", parts[4])
                ):
                    query_id = int(parts[4])
                if query_id is None:
                    return self._send(404, {"status": 404, "error": "Not Found"})
                form = urllib.parse.parse_qs(body, keep_blank_values=True)
                try:
                    status, answer = fake.run_query(query_id, form)
                except InvalidParametersError as exc:
                    status, answer = (
                        400,
                        {
                            "errors": [f"You supplied invalid parameters to the request: {exc}"],
                            "error_type": "invalid_parameters",
                        },
                    )
                except QueryError as exc:
                    status, answer = 422, {"success": False, "errors": [str(exc)]}
                except ServerError:
                    status, answer = 500, {"status": 500, "error": "Internal Server Error"}
                self._record(query_id, form, status)
                return self._send(status, answer)

            def _record(self, query_id: int | None, form: dict, status: int, retry_after: int | None = None) -> None:
                with fake._lock:
                    fake.calls.append(
                        {
                            "query_id": query_id,
                            "status": status,
                            "params": form.get("params", [None])[0],
                            "limit": form.get("limit", [None])[0],
                            "download": form.get("download", [None])[0],
                            "retry_after": retry_after,
                            "at": time.monotonic(),
                        }
                    )

            def _refuse(self, seconds: int) -> None:
                self._record(None, {}, 429, retry_after=seconds)
                return self._send(
                    429,
                    {
                        "errors": [
                            f"You’ve performed this action too many times. Please wait {seconds} seconds before "
                            "trying again."
                        ],
                        "error_type": "rate_limit",
                        "extras": {"wait_seconds": seconds, "time_left": f"{seconds} seconds"},
                    },
                    {"Retry-After": str(seconds), "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit"},
                )

            def _control(self) -> None:
                """Fault or heal the running server (demo and e2e runs; not part of Discourse's API)."""
                if self.headers.get("Api-Key") != API_KEY:
                    return self._send(403, {"errors": ["Api-Key required"]})
                url = urllib.parse.urlsplit(self.path)
                query = dict(urllib.parse.parse_qsl(url.query))
                if url.path == "/_fake/heal":
                    fake.heal()
                    return self._send(200, {"failures": {}})
                if url.path == "/_fake/fail" and query.get("query_id", "").isdigit():
                    category = query.get("category_id")
                    fake.fail(int(query["query_id"]), query.get("mode", "500"), int(category) if category else None)
                    return self._send(200, {"failures": {str(k): v for k, v in fake.failures.items()}})
                return self._send(
                    404, {"errors": ["POST /_fake/fail?query_id=N[&mode=500|422|malformed|null_post] or /_fake/heal"]}
                )

            def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        return Handler

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def connection(self) -> dict:
        """The ``discourse_api`` connection (JSON form) pointing at this server."""
        return {"conn_type": "http", "host": self.url, "login": API_USERNAME, "password": API_KEY}

    def start(self) -> FakeDiscourse:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Discourse Data Explorer server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--generation", choices=GENERATIONS, default="core")
    parser.add_argument(
        "--rate-limit",
        default=f"{REAL_RATE_LIMIT[0]}/{REAL_RATE_LIMIT[1]:g}",
        help="admin API requests per window, as REQUESTS/SECONDS (Discourse's default 60/60), or 'none'",
    )
    args = parser.parse_args()
    rate_limit = None if args.rate_limit == "none" else tuple(float(x) for x in args.rate_limit.split("/"))
    server = FakeDiscourse(
        host=args.host,
        port=args.port,
        generation=args.generation,
        rate_limit=(int(rate_limit[0]), rate_limit[1]) if rate_limit else None,
    )
    print(
        f"fake Discourse ({args.generation} Data Explorer, rate limit {args.rate_limit}) on {server.url}"
        f" (Api-Username {API_USERNAME}, Api-Key {API_KEY})",
        flush=True,
    )
    server._server.serve_forever()


if __name__ == "__main__":
    main()
