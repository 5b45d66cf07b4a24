from __future__ import annotations

from types import SimpleNamespace

from almanac.notify import (
    format_dag_failure,
    format_summary,
    format_task_failure,
    mask_identifier,
    one_line_error,
    redact,
)


def test_redact_masks_iins_emails_and_url_credentials():
    text = "duplicate key (iin)=(870412300123) for a.b@example.kz via postgresql://user:secret@db/x"
    out = redact(text)
    assert "870412300123" not in out
    assert "**********23" in out
    assert "a.b@example.kz" not in out
    assert "secret" not in out


def test_redact_leaves_other_numbers_alone():
    assert redact("42 rows, run 2026-01-01, id 12345678901 and 1234567890123") == (
        "42 rows, run 2026-01-01, id 12345678901 and 1234567890123"
    )


def test_mask_identifier():
    assert mask_identifier("870412300123") == "**********23"
    assert mask_identifier(7) == "7"


def test_one_line_error_keeps_the_first_line_and_type():
    err = ValueError("query 103: missing column created_at\nsecond line with 870412300123")
    assert one_line_error(err) == "ValueError: query 103: missing column created_at"
    assert len(one_line_error(RuntimeError("x" * 1000))) <= 300
    assert "unknown error" in one_line_error(None)


def test_task_failure_message_carries_what_an_operator_needs():
    ti = SimpleNamespace(
        dag_id="tutoring_daily_metrics",
        task_id="compute_batch",
        map_index=2,
        run_id="scheduled__2026-03-15T02:00:00+00:00",
        try_number=3,
        log_url="http://localhost:8080/dags/tutoring_daily_metrics/runs/x/tasks/compute_batch/mapped/2?try_number=3",
    )
    text = format_task_failure({"ti": ti, "exception": RuntimeError("boom for 870412300123")})
    assert "`tutoring_daily_metrics.compute_batch[2]`" in text
    assert "scheduled__2026-03-15T02:00:00+00:00" in text
    assert "try 3" in text
    assert "RuntimeError: boom for **********23" in text
    assert ti.log_url in text
    assert "870412300123" not in text


def test_dag_failure_and_summary_formats():
    dag_run = SimpleNamespace(dag_id="learning_daily_snapshots", run_id="manual__1")
    assert "learning_daily_snapshots" in format_dag_failure({"dag_run": dag_run, "reason": "task_failure"})
    summary = format_summary("Snapshots done", {"success": 10, "skipped": 1})
    assert summary.splitlines() == [":white_check_mark: *Snapshots done*", "• success: 10", "• skipped: 1"]
