"""A real ``airflow api-server`` subprocess for tests, on a free local port.

It shares the test session's AIRFLOW_HOME (the SQLite metadata DB copied from the migrated template,
see tests/conftest.py), so DAG runs made in the test process with ``dag.test()`` are what it serves.
Login: SimpleAuthManager with a passwords file ``{"admin": "admin"}``, as ``make run`` does.
Start-up costs ~15–25 s here, so test modules start one each (module-scoped fixture).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

USERNAME = PASSWORD = "admin"


def sync_dags_to_metadata() -> None:
    """Parse dags/ into the session's metadata DB, as the dag-processor would (the server only reads it)."""
    from airflow.dag_processing.bundles.manager import DagBundlesManager
    from airflow.dag_processing.dagbag import BundleDagBag, sync_bag_to_db

    manager = DagBundlesManager()
    manager.sync_bundles_to_db()
    for bundle in manager.get_all_dag_bundles():
        bundle.initialize()
        dagbag = BundleDagBag(dag_folder=bundle.path, bundle_path=bundle.path, bundle_name=bundle.name)
        if dagbag.import_errors:
            raise RuntimeError(f"DAG import errors: {dagbag.import_errors}")
        sync_bag_to_db(dagbag, bundle.name, bundle.version)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ApiServer:
    def __init__(self, workdir: Path, env_overrides: dict[str, str] | None = None, drop_env: tuple[str, ...] = ()):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.workdir = workdir
        self.log_path = workdir / "api-server.log"
        passwords = workdir / "passwords.json"
        passwords.write_text(json.dumps({USERNAME: PASSWORD}))
        env = {k: v for k, v in os.environ.items() if k not in drop_env}
        env.update(
            {
                "AIRFLOW__API__HOST": "127.0.0.1",
                "AIRFLOW__API__PORT": str(self.port),
                # the UI's <base href>: the browser must use the same origin, or the login cookie is lost
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__API__WORKERS": "1",
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{USERNAME}:admin",
            }
        )
        env.update(env_overrides or {})
        self.env = env
        self._proc: subprocess.Popen | None = None
        self.startup_seconds = 0.0

    def start(self, timeout: float = 120) -> ApiServer:
        started = time.monotonic()
        log = open(self.log_path, "ab")  # noqa: SIM115 (closed in stop)
        self._log = log
        self._proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "airflow"), "api-server"],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.monotonic() - started < timeout:
            if self._proc.poll() is not None:
                raise RuntimeError(f"api-server exited with {self._proc.returncode}; see {self.log_path}")
            try:
                if self.request("GET", "/api/v2/monitor/health")[0] == 200:
                    self.startup_seconds = time.monotonic() - started
                    return self
            except OSError:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"api-server not healthy after {timeout} s; see {self.log_path}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        if self._proc is not None:
            self._log.close()
        self._proc = None

    def request(
        self, method: str, path: str, *, token: str | None = None, body: Any = None, timeout: float = 30
    ) -> tuple[int, Any]:
        """``(status, parsed JSON or text)``; HTTP errors are answers too, not exceptions."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                status, raw, kind = resp.status, resp.read(), resp.headers.get("Content-Type", "")
        except urllib.error.HTTPError as err:
            status, raw, kind = err.code, err.read(), err.headers.get("Content-Type", "")
        text = raw.decode()
        return status, json.loads(text) if "json" in kind and text else text

    def token(self, username: str = USERNAME, password: str = PASSWORD) -> str:
        status, body = self.request("POST", "/auth/token", body={"username": username, "password": password})
        assert status == 201, (status, body)
        return body["access_token"]
