"""What the discourse DAGs call. The reset builds a new version and publishes it with one UPDATE; the
refresh merges a delta into the live version and recomputes the current trimester in one transaction."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from almanac.calendar import Trimester, business_date, is_trimester_start, reset_trimesters, run_reference_time
from almanac.connections import DISCOURSE_DB
from almanac.db import copy_rows, execute_script, postgres_hook, read_sql, transaction
from almanac.discourse.client import DataExplorerClient, query_id
from almanac.discourse.transform import irrelevant_categories, relevant_courses, score_weights
from almanac.notify import one_line_error, send_message_quietly

log = logging.getLogger(__name__)

PACKAGE = "almanac.discourse"
ACTION_COLUMNS = [
    "version_id",
    "trimester_id",
    "category_id",
    "user_id",
    "action_type",
    "target_post_id",
    "target_topic_id",
    "created_at",
]


def run_date(context: Mapping[str, Any]) -> dt.date:
    """The run's date (UTC); a reset's ``reset_date`` param overrides it."""
    return business_date(context, override_param="reset_date")


def fetch_windows(day: dt.date) -> list[tuple[Trimester, dt.date, dt.date]]:
    """(trimester, start, end) to fetch for a reset on ``day``: the current trimester up to ``day``
    (what exists on that date), the two previous ones whole."""
    return [(t, t.start, min(t.end, day)) for t in reset_trimesters(day)]


def _status() -> dict[str, Any]:
    with postgres_hook(DISCOURSE_DB).get_conn() as conn:
        row = conn.execute(read_sql(PACKAGE, "status.sql")).fetchone()
    return {"live_version_id": row[0], "last_refresh_date": row[1], "reset_failed": row[2]}


def finished_build(version_id: int) -> str | None:
    """Why a reset step must leave its version alone (None while the version is still being built): it was
    published already, or replaced. Clearing a step of a finished reset then changes nothing; clearing
    its ``backup_live_state`` starts a new build instead."""
    with postgres_hook(DISCOURSE_DB).get_conn() as conn:
        row = conn.execute(read_sql(PACKAGE, "version_state.sql"), (version_id,)).fetchone()
    if row is None:
        return f"version {version_id} was replaced by a later reset"
    if row[0] in ("published", "retired"):
        return f"version {version_id} is {row[0]} already; clear backup_live_state to build a new one"
    return None


@contextmanager
def recording_failure(version_id: int, step: str) -> Iterator[None]:
    """Keep the cause of a failed step on the version being built, for the restore step's alert."""
    try:
        yield
    except Exception as exc:
        with transaction(DISCOURSE_DB) as conn:
            conn.execute(read_sql(PACKAGE, "record_failure.sql"), (f"{step}: {one_line_error(exc)}", version_id))
        raise


# --- trimester reset ---------------------------------------------------------------------------------


def reset_as_of(day: dt.date, last_refresh_date: dt.date | None) -> dt.date:
    """The date a reset rebuilds as of: its own, or the live state's last_refresh_date when that is later.

    State never moves back. A reset cleared or rerun after later refreshes (say the failed Sep 1 reset,
    fixed and cleared on Sep 3) rebuilds the trimesters up to where the refreshes had brought them, which
    is what the Sep 1 reset followed by the Sep 2 and Sep 3 refreshes would have left.
    """
    return max(day, last_refresh_date) if last_refresh_date else day


def backup_live_state(context: Mapping[str, Any]) -> dict[str, Any]:
    """Step 0: the backup handle (live version, last refresh date) and a new version to build into."""
    status = _status()
    requested = run_date(context)
    day = reset_as_of(requested, status["last_refresh_date"])
    if day != requested:
        log.warning(
            "the live data is already refreshed up to %s, after %s: rebuilding as of %s so it does not move back",
            day,
            requested,
            day,
        )
    run_id = context["dag_run"].run_id
    with transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
        cur.execute(read_sql(PACKAGE, "unfinished_versions.sql"), {"run_id": run_id})
        drop_versions(cur, [v for (v,) in cur.fetchall()])
        (version_id,) = cur.execute(
            read_sql(PACKAGE, "begin_version.sql"), {"run_id": run_id, "reset_date": day}
        ).fetchone()
    handle = {
        "backup_version_id": status["live_version_id"],
        "backup_last_refresh_date": status["last_refresh_date"].isoformat() if status["last_refresh_date"] else None,
        "version_id": version_id,
        "reset_date": day.isoformat(),
        "trimesters": [t.id for t, _, _ in fetch_windows(day)],
    }
    log.info(
        "Step 0/5: Backing up live state… live version %s (last refresh %s); building version %s for %s",
        handle["backup_version_id"],
        handle["backup_last_refresh_date"],
        version_id,
        ", ".join(handle["trimesters"]),
    )
    return handle


def reload_courses(handle: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Step 1: #107 → the version's courses (irrelevant categories dropped, Uncategorized flagged)."""
    version_id = handle["version_id"]
    if finished := finished_build(version_id):
        log.info("reload_courses: nothing to do, %s", finished)
        with postgres_hook(DISCOURSE_DB).get_conn() as conn:
            rows = conn.execute(read_sql(PACKAGE, "version_courses.sql"), (version_id,)).fetchall()
        return [{"category_id": r[0], "name": r[1]} for r in rows]
    with recording_failure(version_id, "reload_courses"):
        courses = relevant_courses(DataExplorerClient().run("categories"), irrelevant_categories())
        with transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
            cur.execute(read_sql(PACKAGE, "clear_courses.sql"), (version_id,))
            copy_rows(
                cur,
                "discourse.v_courses",
                ["version_id", "category_id", "name", "slug", "parent_category_id", "is_uncategorized"],
                [
                    (version_id, c.category_id, c.name, c.slug, c.parent_category_id, c.is_uncategorized)
                    for c in courses
                ],
            )
            backup_courses = cur.execute(read_sql(PACKAGE, "version_courses.sql"), (handle["backup_version_id"],))
            previous = {r[0] for r in backup_courses}
    new = [c for c in courses if c.category_id not in previous] if previous else []
    log.info(
        "Step 1/5: Reloading course mappings (#%d)… courses: %d (new since the last reset: %d%s)",
        query_id("categories"),
        len(courses),
        len(new),
        f": {', '.join(c.name for c in new)}" if new else "",
    )
    return [{"category_id": c.category_id, "name": c.name} for c in courses]


def reload_users(handle: Mapping[str, Any]) -> int:
    """Step 2: #108 → the version's users."""
    version_id = handle["version_id"]
    if finished := finished_build(version_id):
        log.info("reload_users: nothing to do, %s", finished)
        return 0
    with recording_failure(version_id, "reload_users"):
        users = DataExplorerClient().run("users")
        with transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
            cur.execute(read_sql(PACKAGE, "clear_users.sql"), (version_id,))
            copy_rows(
                cur,
                "discourse.v_users",
                ["version_id", "user_id", "username"],
                [(version_id, u["user_id"], u["username"]) for u in users],
            )
    log.info("Step 2/5: Reloading user mappings (#%d)… users: %d", query_id("users"), len(users))
    return len(users)


def storable_actions(actions: list[dict], course: str) -> tuple[list[dict], int]:
    """The #103 rows almanac can store, and how many it left out: an action needs an integer user,
    action type and post (its key) and a time; Discourse's ``target_post_id`` is nullable. A bad row is
    counted and logged (no identifiers) instead of failing the course's load on every retry."""
    storable = [
        a
        for a in actions
        if all(type(a[key]) is int for key in ("user_id", "action_type", "target_post_id"))
        and (a["target_topic_id"] is None or type(a["target_topic_id"]) is int)
        and isinstance(a["created_at"], str)
    ]
    if excluded := len(actions) - len(storable):
        log.warning("%s: %d action(s) without an integer user, type or post, or a time: left out", course, excluded)
    return storable, excluded


def _action_rows(version_id: int, trimester_id: str, category_id: int, actions: list[dict]) -> Iterator[tuple]:
    for a in actions:
        yield (
            version_id,
            trimester_id,
            category_id,
            a["user_id"],
            a["action_type"],
            a["target_post_id"],
            a["target_topic_id"],
            a["created_at"],
        )


def load_course_actions(handle: Mapping[str, Any], course: Mapping[str, Any]) -> dict[str, Any]:
    """Step 3 (mapped over courses): #103 for the course and the three trimesters, replacing its rows."""
    version_id, category_id = handle["version_id"], course["category_id"]
    if finished := finished_build(version_id):
        log.info("%s: nothing to do, %s", course["name"], finished)
        return {"category_id": category_id, "actions": 0, "excluded_actions": 0}
    client = DataExplorerClient()
    counts = {}
    excluded = 0
    with recording_failure(version_id, f"load_course_actions[{course['name']}]"):
        fetched = []
        for trimester, start, end in fetch_windows(dt.date.fromisoformat(handle["reset_date"])):
            actions, left_out = storable_actions(
                client.run(
                    "user_actions",
                    {"category_id": category_id, "start_date": start.isoformat(), "end_date": end.isoformat()},
                ),
                course["name"],
            )
            counts[trimester.id] = len(actions)
            excluded += left_out
            fetched.append((trimester.id, actions))
        with transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
            cur.execute(read_sql(PACKAGE, "clear_course_actions.sql"), (version_id, category_id))
            for trimester_id, actions in fetched:
                copy_rows(
                    cur,
                    "discourse.v_user_actions",
                    ACTION_COLUMNS,
                    _action_rows(version_id, trimester_id, category_id, actions),
                )
    log.info("Step 3/5: %s: user actions (#%d) %s", course["name"], query_id("user_actions"), counts)
    return {"category_id": category_id, "actions": sum(counts.values()), "excluded_actions": excluded}


def _replace_engagement(conn: Any, client: DataExplorerClient, version_id: int, windows) -> int:
    total = 0
    with conn.cursor() as cur:
        for trimester, start, end in windows:
            rows = client.run("engagement", {"start_date": start.isoformat(), "end_date": end.isoformat()})
            cur.execute(read_sql(PACKAGE, "clear_engagement.sql"), (version_id, trimester.id))
            total += copy_rows(
                cur,
                "discourse.v_engagement",
                ["version_id", "trimester_id", "user_id", "days_visited", "posts_read", "time_read_minutes"],
                [
                    (version_id, trimester.id, r["user_id"], r["days_visited"], r["posts_read"], r["time_read_minutes"])
                    for r in rows
                ],
            )
    return total


def load_engagement(handle: Mapping[str, Any]) -> int:
    """Step 3b: #102 per trimester."""
    version_id = handle["version_id"]
    if finished := finished_build(version_id):
        log.info("load_engagement: nothing to do, %s", finished)
        return 0
    with recording_failure(version_id, "load_engagement"), transaction(DISCOURSE_DB) as conn:
        total = _replace_engagement(
            conn, DataExplorerClient(), version_id, fetch_windows(dt.date.fromisoformat(handle["reset_date"]))
        )
    log.info("Step 3/5: engagement (#%d)… rows: %d", query_id("engagement"), total)
    return total


def _compute_metrics(conn: Any, version_id: int, trimester_ids: list[str]) -> None:
    with conn.cursor() as cur:
        execute_script(
            cur,
            read_sql(PACKAGE, "metrics.sql"),
            {"version_id": version_id, "trimester_ids": trimester_ids, **score_weights()},
        )


def compute_metrics(handle: Mapping[str, Any]) -> dict[str, int]:
    """Step 4: per-course metrics and platform-wide scores for the version's three trimesters."""
    version_id = handle["version_id"]
    if finished := finished_build(version_id):
        log.info("compute_metrics: nothing to do, %s", finished)
        return {}
    with recording_failure(version_id, "compute_metrics"), transaction(DISCOURSE_DB) as conn:
        _compute_metrics(conn, version_id, handle["trimesters"])
        counts = dict(conn.execute(read_sql(PACKAGE, "metric_counts.sql"), {"version_id": version_id}).fetchall())
    log.info("Step 4/5: Calculating metrics and platform-wide scores… %s", counts)
    return counts


def drop_versions(cur: Any, version_ids: list[int]) -> int:
    """Delete ``version_ids`` and their rows in every version table; returns how many were dropped."""
    if version_ids:
        execute_script(cur, read_sql(PACKAGE, "drop_versions.sql"), {"version_ids": version_ids})
    return len(version_ids)


def publish(context: Mapping[str, Any], handle: Mapping[str, Any]) -> dict[str, Any]:
    """Step 5: point readers at the new version, in one transaction; keep the previous one as the backup.

    Not when the live data moved past the date this version is built as of (a failed reset whose failed
    task is cleared after later refreshes or resets): publishing would move the data back. The run then
    fails, saying to clear ``backup_live_state``, which rebuilds as of the newer date.
    """
    from airflow.sdk.exceptions import AirflowFailException

    version_id, backup = handle["version_id"], handle["backup_version_id"]
    if finished := finished_build(version_id):
        log.info("publish: nothing to do, %s", finished)
        return {"live_version_id": None, "backup_version_id": backup, "nothing_to_do": finished}
    params = {
        "version_id": version_id,
        "backup_version_id": backup,
        "reset_date": handle["reset_date"],
        "reset_at": run_reference_time(context),
    }
    reset_date = dt.date.fromisoformat(handle["reset_date"])
    with recording_failure(version_id, "publish"), transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
        live_version_id, last_refresh_date = cur.execute(read_sql(PACKAGE, "lock_status.sql")).fetchone()
        if last_refresh_date and last_refresh_date > reset_date:
            raise AirflowFailException(
                f"not published: the live data (version {live_version_id}) is refreshed up to {last_refresh_date},"
                f" after this build as of {reset_date}; clear backup_live_state to rebuild as of the newer date"
            )
        execute_script(cur, read_sql(PACKAGE, "publish_version.sql"), params)
        dropped = drop_versions(cur, [v for (v,) in cur.fetchall()])
    log.info(
        "Step 5/5: Published version %s (backup kept: %s; %d older version(s) dropped); last_refresh_date = %s",
        version_id,
        backup,
        dropped,
        handle["reset_date"],
    )
    return {"live_version_id": version_id, "backup_version_id": backup, "nothing_to_do": None}


def refused_request(context: Mapping[str, Any]) -> str | None:
    """Why the run's own request is refused (a ``reset_date`` after its date), or None."""
    from airflow.sdk.exceptions import AirflowFailException

    try:
        run_date(context)
    except AirflowFailException as refusal:
        return str(refusal)
    return None


def restore_previous_state(context: Mapping[str, Any], handle: Mapping[str, Any] | None) -> dict[str, Any]:
    """On any failure: readers keep the backup version (the live pointer never moved), the status is
    flagged with the cause, and Slack is told. The half-built version stays for a cleared-task resume."""
    if handle is None:  # the backup step itself failed: nothing was touched
        if refused := refused_request(context):  # nothing was started: no failed reset to flag or announce
            log.warning("No reset was started (%s): the live data and the status are unchanged", refused)
            return {"served_version_id": _status()["live_version_id"], "reason": refused}
        reason = "backup_live_state failed before anything changed"
        backup, version_id = _status()["live_version_id"], None
    else:
        backup, version_id = handle["backup_version_id"], handle["version_id"]
        with postgres_hook(DISCOURSE_DB).get_conn() as conn:
            row = conn.execute(read_sql(PACKAGE, "failure_reason.sql"), (version_id,)).fetchone()
        reason = (row and row[0]) or "a reset step failed (see the red task's log)"
    with transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
        execute_script(
            cur,
            read_sql(PACKAGE, "restore_backup.sql"),
            {"backup_version_id": backup, "version_id": version_id, "reason": reason},
        )
    log.error("Reset failed; users are served the previous data (version %s). Cause: %s", backup, reason)
    send_message_quietly(
        f":rotating_light: *discourse_trimester_reset* failed (run `{context['dag_run'].run_id}`): reset failed, "
        f"users are served the previous data, cause: {reason}. Fix the cause, then clear the failed task to finish "
        "the reset."
    )
    return {"served_version_id": backup, "reason": reason}


def reset_complete(handle: Mapping[str, Any]) -> str:
    log.info("Reset of %s complete: version %s is live", ", ".join(handle["trimesters"]), handle["version_id"])
    return "complete"


# --- daily refresh -----------------------------------------------------------------------------------


def reset_owns_the_day(context: Mapping[str, Any]) -> bool:
    """True on Jan 1, May 1 and Sep 1: the trimester reset rebuilds everything, the refresh stands aside."""
    day = business_date(context)
    if is_trimester_start(day):
        log.info("%s is a trimester start: the full reset owns this day, no refresh", day)
        return True
    return False


def plan_refresh(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The delta to fetch: actions of the current trimester created since last_refresh_date, per course.

    A refresh of a day before last_refresh_date (an old run cleared or rerun after newer ones) has nothing
    to fetch: the live data already covers it, and recomputing from it would move the state back.
    """
    from airflow.sdk.exceptions import AirflowFailException

    day = business_date(context)
    status = _status()
    if status["live_version_id"] is None:
        raise AirflowFailException(
            "nothing to refresh: no trimester reset has succeeded yet; trigger discourse_trimester_reset first"
        )
    if status["last_refresh_date"] and day < status["last_refresh_date"]:
        log.warning("%s", stale_refresh(day, status["last_refresh_date"]))
        return []
    if is_trimester_start(day):  # only when an operator clears this skipped task: the reset owns the day
        log.warning("%s is a trimester start: the full reset owns this day, nothing to refresh", day)
        return []
    trimester = Trimester.containing(day)
    since = status["last_refresh_date"] or trimester.start
    start = max(since, trimester.start)
    with postgres_hook(DISCOURSE_DB).get_conn() as conn:
        courses = conn.execute(read_sql(PACKAGE, "live_courses.sql")).fetchall()
    log.info(
        "Refresh of %s for %s: actions created in [%s, %s) for %d courses (version %s)",
        trimester.id,
        day,
        start,
        day,
        len(courses),
        status["live_version_id"],
    )
    return [
        {
            "category_id": c[0],
            "name": c[1],
            "version_id": status["live_version_id"],
            "trimester_id": trimester.id,
            "start_date": start.isoformat(),
            "end_date": day.isoformat(),
        }
        for c in courses
    ]


def outdated_delta(
    item: Mapping[str, Any], live_version_id: int | None, last_refresh_date: dt.date | None
) -> str | None:
    """Why a planned delta must not be merged any more (None when it still must): a reset published another
    version since it was planned, or a newer refresh already covers its day (an old mapped instance cleared)."""
    if live_version_id != item["version_id"]:
        return f"version {item['version_id']} is no longer live (version {live_version_id} is)"
    if last_refresh_date and dt.date.fromisoformat(item["end_date"]) < last_refresh_date:
        return f"the live data is already refreshed up to {last_refresh_date}"
    return None


def fetch_course_delta(item: Mapping[str, Any]) -> dict[str, Any]:
    """#103 for one course and the delta window, merged on the natural key (no double counting)."""
    status = _status()
    outdated = outdated_delta(item, status["live_version_id"], status["last_refresh_date"])
    if outdated or item["start_date"] >= item["end_date"]:
        log.info("%s: nothing to fetch (%s)", item["name"], outdated or f"already refreshed up to {item['end_date']}")
        return {"category_id": item["category_id"], "fetched": 0, "new": 0, "excluded_actions": 0}
    actions, excluded = storable_actions(
        DataExplorerClient().run(
            "user_actions",
            {"category_id": item["category_id"], "start_date": item["start_date"], "end_date": item["end_date"]},
        ),
        item["name"],
    )
    with transaction(DISCOURSE_DB) as conn, conn.cursor() as cur:
        outdated = outdated_delta(item, *cur.execute(read_sql(PACKAGE, "lock_status.sql")).fetchone())
        if outdated:  # a reset or a newer refresh finished while this one fetched
            log.info("%s: fetched delta dropped (%s)", item["name"], outdated)
            return {"category_id": item["category_id"], "fetched": len(actions), "new": 0, "excluded_actions": excluded}
        cur.execute(read_sql(PACKAGE, "stage_delta.sql"))
        copy_rows(
            cur,
            "delta_actions",
            ACTION_COLUMNS,
            _action_rows(item["version_id"], item["trimester_id"], item["category_id"], actions),
        )
        new = cur.execute(read_sql(PACKAGE, "merge_delta.sql")).rowcount
    log.info("%s: %d actions fetched, %d new", item["name"], len(actions), new)
    return {"category_id": item["category_id"], "fetched": len(actions), "new": new, "excluded_actions": excluded}


TRIMESTER_START = "nothing to do: a trimester start day belongs to the full reset"


def stale_refresh(day: dt.date, last_refresh_date: dt.date) -> str:
    return (
        f"nothing to do: the live data is already refreshed up to {last_refresh_date}, after {day}; "
        "a refresh of an older day would move it back"
    )


def recompute_trimester(context: Mapping[str, Any], planned: list[Mapping[str, Any]]) -> dict[str, Any]:
    """Engagement and metrics of the current trimester, and the new last_refresh_date, in one transaction.

    The status row is locked and checked again inside the transaction: a newer refresh or reset that
    finished meanwhile wins (nothing is written), and a reset that published another version while this
    run fetched its delta into the old one fails the run (clear it to refresh that version).
    """
    from airflow.sdk.exceptions import AirflowFailException

    day = business_date(context)
    trimester = Trimester.containing(day)
    with transaction(DISCOURSE_DB) as conn:
        version_id, last_refresh_date = conn.execute(read_sql(PACKAGE, "lock_status.sql")).fetchone()
        reason = None
        if is_trimester_start(day):  # only when an operator clears this skipped task
            reason = TRIMESTER_START
        elif last_refresh_date and day < last_refresh_date:
            reason = stale_refresh(day, last_refresh_date)
        if reason:
            log.warning("%s", reason)
            kept = last_refresh_date.isoformat() if last_refresh_date else None
            return {"trimester_id": trimester.id, "last_refresh_date": kept, "nothing_to_do": reason}
        if planned and planned[0]["version_id"] != version_id:
            raise AirflowFailException(
                f"version {version_id} was published while this refresh fetched into version "
                f"{planned[0]['version_id']}; clear this run to refresh the new version"
            )
        rows = _replace_engagement(conn, DataExplorerClient(), version_id, [(trimester, trimester.start, day)])
        _compute_metrics(conn, version_id, [trimester.id])
        conn.execute(read_sql(PACKAGE, "advance_refresh_date.sql"), {"day": day})
    log.info(
        "Recomputed %s for version %s (engagement rows %d); last_refresh_date = %s", trimester.id, version_id, rows, day
    )
    return {"trimester_id": trimester.id, "last_refresh_date": day.isoformat(), "nothing_to_do": None}
