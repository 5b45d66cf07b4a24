"""docker-compose.yaml cannot run here (no Docker engine): check its shape instead."""

from __future__ import annotations

import re

import pytest
import yaml

from almanac import connections
from almanac.demo.embedded import PROJECT_ROOT

AIRFLOW_SERVICES = {
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-triggerer",
    "airflow-worker",
    "airflow-init",
}


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((PROJECT_ROOT / "docker-compose.yaml").read_text())


def test_celery_stack_services_and_healthchecks(compose):
    services = compose["services"]
    assert AIRFLOW_SERVICES | {"postgres", "redis", "warehouse"} <= set(services)
    for name in AIRFLOW_SERVICES - {"airflow-init"} | {"postgres", "redis", "warehouse"}:
        assert "healthcheck" in services[name], name
    assert services["airflow-worker"]["command"] == "celery worker"
    assert services["airflow-scheduler"]["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor"


def test_airflow_image_is_pinned_to_3_3_2(compose):
    dockerfile = (PROJECT_ROOT / "Dockerfile").read_text()
    assert re.search(r"^FROM apache/airflow:3\.3\.2\b", dockerfile, re.M)
    assert "requirements.txt" in dockerfile
    for name in AIRFLOW_SERVICES:
        assert compose["services"][name]["image"] == "almanac-airflow:3.3.2"
    requirements = (PROJECT_ROOT / "requirements.txt").read_text()
    assert re.search(r"^apache-airflow==3\.3\.2$", requirements, re.M)


def test_include_is_mounted_and_on_pythonpath(compose):
    for name in AIRFLOW_SERVICES:
        service = compose["services"][name]
        assert "./include:/opt/airflow/include" in service["volumes"]
        assert "./dags:/opt/airflow/dags" in service["volumes"]
        assert service["environment"]["PYTHONPATH"] == "/opt/airflow/include"


def test_optional_profiles(compose):
    services = compose["services"]
    assert services["oracle"]["profiles"] == ["oracle"]
    assert services["fake-discourse"]["profiles"] == ["demo"]
    assert "profiles" not in services["warehouse"]


def test_env_example_documents_every_connection():
    text = (PROJECT_ROOT / ".env.example").read_text()
    for conn_id in (*connections.WAREHOUSE_CONN_IDS, connections.DISCOURSE_API, connections.SLACK_ALERTS):
        assert f"AIRFLOW_CONN_{conn_id.upper()}=" in text, conn_id


def test_published_ports_bind_to_loopback_only(compose):
    """The stack's passwords are public local defaults, so nothing is published beyond this machine."""
    published = [(name, p) for name, s in compose["services"].items() for p in s.get("ports", [])]
    assert published
    for name, port in published:
        assert str(port).startswith("127.0.0.1:"), (name, port)
