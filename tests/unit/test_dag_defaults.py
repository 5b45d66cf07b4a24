from __future__ import annotations

import datetime as dt

import pytest

from almanac.dag_defaults import almanac_dag, default_args
from almanac.notify import TaskFailureNotifier


def test_default_args_have_retries_backoff_timeout_and_notifier(monkeypatch):
    monkeypatch.delenv("ALMANAC_RETRY_DELAY_SECONDS", raising=False)
    args = default_args()
    assert args["retries"] >= 2
    assert args["retry_exponential_backoff"] > 1
    assert args["retry_delay"] == dt.timedelta(minutes=1)
    assert args["execution_timeout"] is not None
    assert isinstance(args["on_failure_callback"][0], TaskFailureNotifier)
    assert default_args(execution_timeout=dt.timedelta(minutes=5))["execution_timeout"] == dt.timedelta(minutes=5)


def test_almanac_dag_requires_a_domain_tag_and_doc():
    with pytest.raises(ValueError, match="domain tags"):
        almanac_dag(tags=["misc"], doc_md="text")
    with pytest.raises(ValueError, match="doc_md"):
        almanac_dag(tags=["tutoring"], doc_md="  ")
