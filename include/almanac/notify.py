"""Slack alerts and run summaries (connection ``slack_alerts``), PII-safe.

Three entry points:

- :class:`TaskFailureNotifier` — the slack provider's ``SlackWebhookNotifier`` with a message built
  from the task context. Every task gets one through ``default_args["on_failure_callback"]``
  (see :mod:`almanac.dag_defaults`); it is the safety net, since DAG-level callbacks are unreliable in
  some 3.x releases.
- :func:`on_dag_failure` — a plain function for the DAG-level ``on_failure_callback`` (a notifier
  object fails there under ``dag.test()``: apache/airflow#64649).
- :func:`send_message` — success summaries, skip notices and warnings posted by the tasks themselves.

Every text passes through :func:`redact` so no IIN (12 digits), e-mail address or connection secret
reaches Slack, even when an exception message quotes a row.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from airflow.providers.slack.hooks.slack_webhook import SlackWebhookHook
from airflow.providers.slack.notifications.slack_webhook import SlackWebhookNotifier

from almanac.connections import SLACK_ALERTS

log = logging.getLogger(__name__)

MAX_ERROR_CHARS = 300

_IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL_CREDENTIALS = re.compile(r"(\w+://)[^/\s:@]+(:[^/\s@]*)?@")


def mask_identifier(value: object) -> str:
    """Show only the last two characters of an identifier, e.g. an IIN → ``**********12``."""
    text = str(value)
    return "*" * max(len(text) - 2, 0) + text[-2:]


def redact(text: str) -> str:
    """Mask IINs and e-mail addresses, and drop credentials from URLs, anywhere in ``text``."""
    text = _IIN.sub(lambda m: mask_identifier(m.group()), text)
    text = _EMAIL.sub("<email>", text)
    return _URL_CREDENTIALS.sub(r"\1***@", text)


def one_line_error(exception: BaseException | str | None) -> str:
    """The first line of an error, redacted and shortened for a chat message."""
    if exception is None:
        return "unknown error (no exception in the callback context)"
    if isinstance(exception, BaseException):
        first = str(exception).strip().splitlines()[0] if str(exception).strip() else ""
        text = f"{type(exception).__name__}: {first}" if first else type(exception).__name__
    else:
        text = str(exception).strip().splitlines()[0] if str(exception).strip() else "unknown error"
    text = redact(text)
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 1] + "…"


def format_task_failure(context: Mapping[str, Any]) -> str:
    """The text of a task-failure alert: dag, task (and map index), run, try, error, log link."""
    ti = context["ti"]
    task = ti.task_id if getattr(ti, "map_index", -1) in (-1, None) else f"{ti.task_id}[{ti.map_index}]"
    lines = [
        f":red_circle: *Task failed* `{ti.dag_id}.{task}`",
        f"run: `{ti.run_id}` · try {ti.try_number}",
        f"error: {one_line_error(context.get('exception'))}",
        f"log: {ti.log_url}",
    ]
    return "\n".join(lines)


def format_dag_failure(context: Mapping[str, Any]) -> str:
    """The text of a DAG-run failure alert."""
    dag_run = context["dag_run"]
    reason = context.get("reason") or "one or more tasks failed"
    return "\n".join(
        [
            f":red_circle: *DAG run failed* `{dag_run.dag_id}`",
            f"run: `{dag_run.run_id}`",
            f"reason: {redact(str(reason))}",
        ]
    )


class TaskFailureNotifier(SlackWebhookNotifier):
    """``SlackWebhookNotifier`` whose text is built (and redacted) from the failing task's context."""

    def __init__(self, *, slack_webhook_conn_id: str = SLACK_ALERTS, **kwargs: Any) -> None:
        super().__init__(slack_webhook_conn_id=slack_webhook_conn_id, text="", **kwargs)

    def notify(self, context: Mapping[str, Any]) -> None:
        self.text = format_task_failure(context)
        super().notify(context)


def send_message(text: str, *, conn_id: str = SLACK_ALERTS) -> None:
    """Post ``text`` (redacted) to Slack. Raises if Slack answers anything but 200."""
    SlackWebhookHook(slack_webhook_conn_id=conn_id).send(text=redact(text))


def send_message_quietly(text: str, *, conn_id: str = SLACK_ALERTS) -> bool:
    """Like :func:`send_message`, but a Slack outage is logged instead of failing the caller."""
    try:
        send_message(text, conn_id=conn_id)
    except Exception:  # an unreachable Slack must not fail a data task that already succeeded
        log.warning("could not post to Slack connection %r", conn_id, exc_info=True)
        return False
    return True


def on_dag_failure(context: Mapping[str, Any]) -> None:
    """DAG-level ``on_failure_callback`` (a plain function: notifier objects fail there under dag.test())."""
    send_message_quietly(format_dag_failure(context))


def format_summary(title: str, fields: Mapping[str, Any], *, emoji: str = ":white_check_mark:") -> str:
    """A run summary: a bold title and one ``key: value`` line per field (counts, never identifiers)."""
    lines = [f"{emoji} *{title}*"]
    lines += [f"• {key}: {value}" for key, value in fields.items()]
    return "\n".join(lines)
