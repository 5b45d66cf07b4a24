"""A fake Discourse Data Explorer server speaking the real plugin's protocol.

``POST /admin/plugins/explorer/queries/{id}/run`` with headers ``Api-Key`` and ``Api-Username`` and the
form fields ``params`` (JSON) and ``limit``; answers ``{"success": true, "columns": [...], "rows": [...]}``.
Wrong credentials get 403 as on a real forum. Data are synthetic and deterministic for a seed:
courses (plus the Staff, Site Feedback, Lounge and Uncategorized categories), users, user actions of the
five scored types spread over ``start``..``horizon``, and engagement derived from the actions.

For tests: :meth:`add_activity` adds actions on a later day; :meth:`fail` makes a query answer HTTP 500
or a malformed body (optionally only for one category); :attr:`requests` records what was asked and how
many rows each answer carried.

``python -m almanac.demo.discourse_fake_server --host 0.0.0.0 --port 8081`` serves the demo data alone
(the compose ``demo`` profile).
"""

from __future__ import annotations

import argparse
import bisect
import datetime as dt
import json
import random
import threading
import urllib.parse
from collections import defaultdict
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
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.seed = seed
        self.users = {u: f"user{u:05d}" for u in range(1, users + 1)}
        self.categories = [
            {
                "category_id": FIRST_COURSE_ID + i,
                "name": f"Course {i + 1}",
                "slug": f"course-{i + 1}",
                "parent_category_id": None,
            }
            for i in range(courses)
        ] + [
            {"category_id": cid, "name": name, "slug": slug, "parent_category_id": None}
            for cid, name, slug in EXTRA_CATEGORIES
        ]
        self.actions: dict[int, list[tuple]] = defaultdict(
            list
        )  # category → sorted (created_at, user, type, post, topic)
        self._next_post = 1
        self.requests: list[dict] = []
        self.failures: dict[int, tuple[str, int | None]] = {}
        self._lock = threading.Lock()
        rng = random.Random(seed)
        day = start
        while day < horizon:
            self._generate_day(rng, day, actions_per_course_day, [c["category_id"] for c in self.categories])
            day += dt.timedelta(days=1)
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-discourse", daemon=True)

    # --- data ---
    def _generate_day(self, rng: random.Random, day: dt.date, rate: float, category_ids: list[int]) -> int:
        added = 0
        midnight = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
        user_ids = list(self.users)
        for category_id in category_ids:
            rows = self.actions[category_id]
            for _ in range(int(rate) + (1 if rng.random() < rate % 1 else 0)):
                created = midnight + dt.timedelta(seconds=rng.randrange(86400))
                row = (
                    created,
                    rng.choice(user_ids),
                    rng.choice(ACTION_TYPES),
                    self._next_post,
                    self._next_post // 7 + 1,
                )
                self._next_post += 1
                bisect.insort(rows, row)
                added += 1
        return added

    def add_activity(self, day: dt.date, actions_per_course: float, seed: int | None = None) -> int:
        """Add new actions on ``day`` in every category (deterministic for the seed); returns how many."""
        rng = random.Random(seed if seed is not None else self.seed + day.toordinal())
        with self._lock:
            return self._generate_day(rng, day, actions_per_course, [c["category_id"] for c in self.categories])

    def fail(self, query_id: int, mode: str = "500", category_id: int | None = None) -> None:
        """Make ``query_id`` answer ``mode``: "500", "429" or "malformed" (an answer missing a column)."""
        self.failures[query_id] = (mode, category_id)

    def heal(self) -> None:
        self.failures.clear()

    def _actions_between(self, category_id: int, start: dt.datetime, end: dt.datetime) -> list[tuple]:
        rows = self.actions.get(category_id, [])
        lo = bisect.bisect_left(rows, (start,))
        hi = bisect.bisect_left(rows, (end,))
        return rows[lo:hi]

    def answer(self, query_id: int, params: dict) -> tuple[list[str], list[list]]:
        if query_id == 107:
            return ["category_id", "name", "slug", "parent_category_id"], [list(c.values()) for c in self.categories]
        if query_id == 108:
            return ["user_id", "username"], [[u, name] for u, name in self.users.items()]
        start = dt.datetime.fromisoformat(params["start_date"]).replace(tzinfo=dt.UTC)
        end = dt.datetime.fromisoformat(params["end_date"]).replace(tzinfo=dt.UTC)
        if query_id == 103:
            rows = self._actions_between(int(params["category_id"]), start, end)
            return (
                ["user_id", "action_type", "target_post_id", "target_topic_id", "created_at"],
                [[u, t, post, topic, created.isoformat()] for created, u, t, post, topic in rows],
            )
        if query_id == 102:
            days: dict[int, set] = defaultdict(set)
            count: dict[int, int] = defaultdict(int)
            for category_id in self.actions:
                for created, u, *_ in self._actions_between(category_id, start, end):
                    days[u].add(created.date())
                    count[u] += 1
            return (
                ["user_id", "days_visited", "posts_read", "time_read_minutes"],
                [[u, len(days[u]) + 1, 3 * count[u], round(1.5 * count[u], 1)] for u in sorted(days)],
            )
        raise KeyError(query_id)

    # --- HTTP ---
    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                parts = self.path.strip("/").split("/")
                if len(parts) != 6 or parts[:4] != ["admin", "plugins", "explorer", "queries"] or parts[5] != "run":
                    return self._send(404, {"errors": ["not found"]})
                if self.headers.get("Api-Key") != API_KEY or self.headers.get("Api-Username") != API_USERNAME:
                    return self._send(403, {"errors": ["You are not permitted to view the requested resource."]})
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers.get("Content-Length", 0))).decode())
                try:
                    query_id = int(parts[4])
                    params = json.loads(form.get("params", ["{}"])[0])
                    if form.get("limit", [""])[0] == "":
                        raise ValueError("limit missing")
                except ValueError as exc:
                    return self._send(422, {"errors": [str(exc)]})
                mode, only_category = fake.failures.get(query_id, (None, None))
                if mode and (only_category is None or str(only_category) == str(params.get("category_id"))):
                    if mode in ("500", "429"):
                        return self._send(int(mode), {"errors": ["simulated failure"]})
                    with fake._lock:
                        columns, rows = fake.answer(query_id, params)
                    return self._send(200, {"success": True, "columns": columns[1:], "rows": [r[1:] for r in rows]})
                try:
                    with fake._lock:
                        columns, rows = fake.answer(query_id, params)
                except KeyError:
                    return self._send(404, {"errors": [f"query {query_id} not found"]})
                with fake._lock:
                    fake.requests.append({"query_id": query_id, "params": params, "rows": len(rows)})
                return self._send(200, {"success": True, "columns": columns, "rows": rows})

            def _send(self, status: int, body: dict) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
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


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Discourse Data Explorer server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    args = parser.parse_args()
    server = FakeDiscourse(host=args.host, port=args.port)
    print(f"fake Discourse on {server.url} (Api-Username {API_USERNAME}, Api-Key {API_KEY})", flush=True)
    server._server.serve_forever()


if __name__ == "__main__":
    main()
