"""Environment for running Airflow against this project (``make run``, ``make demo``, tests).

Everything is set through ``AIRFLOW__*`` / ``AIRFLOW_CONN_*`` env vars, never an edited airflow.cfg,
so the same settings can be read in one place and reproduced in docker-compose.yaml.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

from almanac.demo.embedded import DEFAULT_HOME, PROJECT_ROOT


def airflow_env(airflow_home: Path, metadata_conn: str) -> dict[str, str]:
    """The settings every local Airflow process of this project shares."""
    return {
        "AIRFLOW_HOME": str(airflow_home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_conn,
        "AIRFLOW__DATABASE__LOAD_DEFAULT_CONNECTIONS": "False",
        "AIRFLOW__API__BASE_URL": "http://localhost:8080",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT / "include"), os.environ.get("PYTHONPATH")])),
    }


def migrated_sqlite_template(cache_dir: Path) -> Path:
    """A SQLite metadata DB already through ``airflow db migrate``, built once per Airflow version.

    Tests copy it into their own AIRFLOW_HOME (~0.1 s) instead of migrating (~3 s) every session.
    A file lock makes concurrent first builds safe.
    """
    cache_dir.mkdir(parents=True, exist_ok=True)
    template = cache_dir / f"airflow-metadata-{version('apache-airflow')}.sqlite"
    with open(cache_dir / ".migrate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            home = cache_dir / "migrate-home"
            shutil.rmtree(home, ignore_errors=True)
            home.mkdir()
            building = home / "airflow.db"
            env = {**os.environ, **airflow_env(home, f"sqlite:///{building}")}
            subprocess.run(
                [str(Path(sys.executable).parent / "airflow"), "db", "migrate"],
                env=env,
                check=True,
                capture_output=True,
            )
            building.replace(template)
            shutil.rmtree(home, ignore_errors=True)
    return template


def sqlite_airflow_env(airflow_home: Path) -> dict[str, str]:
    """An AIRFLOW_HOME with its own SQLite metadata DB, copied from the migrated template (tests, demo,
    bench): the env vars to set before Airflow is imported."""
    metadata = airflow_home / "airflow.db"
    shutil.copyfile(migrated_sqlite_template(DEFAULT_HOME / "cache"), metadata)
    return airflow_env(airflow_home, f"sqlite:///{metadata}")
