"""The embedded Airflow runtime as an object: start it, use it, stop it (``make run`` and ``make e2e``).

:class:`EmbeddedRuntime` starts, in order: the embedded PostgreSQL (warehouse database + Airflow
metadata database ``airflow``), the demo data, the fake external services (Slack receiver, fake
Discourse), ``airflow db migrate`` and the pools, then Airflow's api-server, scheduler, dag-processor
and triggerer as separate processes (each stops cleanly on SIGTERM, unlike ``airflow standalone``'s
children). With ``executor="celery"`` it also starts a Redis broker on 127.0.0.1 and Celery workers.
:meth:`EmbeddedRuntime.stop` stops everything it started, in reverse order.

Everything Airflow needs is passed to the components as environment variables (never an edited
airflow.cfg); ``env_overrides`` win over the defaults, so a caller can change any setting.
The services run in the calling process, so a test can make the fake Discourse fail or stop the
Slack receiver while Airflow runs.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from almanac.demo import warehouse
from almanac.demo.airflow_env import airflow_env
from almanac.demo.embedded import DEFAULT_HOME, EmbeddedPostgres, connection_env, slack_conn_env
from almanac.demo.slack_receiver import SlackReceiver
from almanac.pools import POOLS

log = logging.getLogger(__name__)

COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")
EXECUTORS = {"local": "LocalExecutor", "celery": "CeleryExecutor"}


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now (for the API, log servers and Redis of a second runtime)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def airflow_bin(name: str = "airflow") -> str:
    return str(Path(sys.executable).parent / name)


def prepare_warehouse(pg: EmbeddedPostgres, dbname: str) -> dict:
    """Fresh ``dbname`` holding only the source systems' tables, filled with each domain's demo data.

    almanac's own tables are not created here: each DAG's first task provisions them, as in production."""
    pg.create_database(dbname, drop_existing=True)
    with pg.connect(dbname) as conn:
        warehouse.create_source_tables(conn)
        return warehouse.load_demo_data(conn)


def start_services(stack: contextlib.ExitStack, slack_log: Path | None) -> tuple[SlackReceiver, dict, dict[str, str]]:
    """The Slack receiver plus each domain's fake services (e.g. the fake Discourse server).

    Returns the receiver, ``{domain: service}`` and the env vars that point Airflow at them."""
    receiver = SlackReceiver(log_file=slack_log).start()
    stack.callback(receiver.stop)
    env = slack_conn_env(receiver.url)
    services = {}
    for domain, module in warehouse.demo_modules():
        if hasattr(module, "start_services"):
            services[domain], service_env = module.start_services(stack)
            env.update(service_env)
    return receiver, services, env


def wait_for_health(url: str, timeout: float, procs: list[subprocess.Popen]) -> bool:
    """True once ``{url}/api/v2/monitor/health`` says every component is healthy; False if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in procs):
            return False
        try:
            with urllib.request.urlopen(f"{url}/api/v2/monitor/health", timeout=5) as resp:
                body = json.load(resp)
            if all(part.get("status") == "healthy" for part in body.values() if isinstance(part, dict)):
                return True
        except OSError:
            pass
        time.sleep(2)
    return False


@dataclass
class Component:
    name: str
    process: subprocess.Popen
    log_file: Path


@dataclass
class EmbeddedRuntime:
    """The whole embedded runtime; use as a context manager or call :meth:`start` / :meth:`stop`.

    ``api_host`` None leaves Airflow's own default bind address; ``url_host`` is the host name the
    runtime's URLs (``AIRFLOW__API__BASE_URL``, :attr:`url`) use. ``separate_warehouse`` puts the
    warehouse database on a second embedded server (``<home>/warehouse``), so it can be restarted
    without touching Airflow's metadata database.
    """

    home: Path = DEFAULT_HOME
    api_port: int = 8080
    api_host: str | None = None
    url_host: str = "localhost"
    executor: str = "local"
    celery_workers: int = 2
    warehouse_db: str = "almanac"
    separate_warehouse: bool = False
    slack_log: Path | None = None
    env_overrides: dict[str, str] = field(default_factory=dict)
    health_timeout: float = 180

    pg: EmbeddedPostgres | None = field(default=None, init=False)
    warehouse_pg: EmbeddedPostgres | None = field(default=None, init=False)
    receiver: SlackReceiver | None = field(default=None, init=False)
    services: dict[str, Any] = field(default_factory=dict, init=False)
    components: list[Component] = field(default_factory=list, init=False)
    env: dict[str, str] = field(default_factory=dict, init=False)
    demo_summaries: dict = field(default_factory=dict, init=False)
    redis: subprocess.Popen | None = field(default=None, init=False)
    _stack: contextlib.ExitStack | None = field(default=None, init=False)

    @property
    def airflow_home(self) -> Path:
        return self.home / "airflow"

    @property
    def logs_dir(self) -> Path:
        return self.airflow_home / "logs"

    @property
    def url(self) -> str:
        return f"http://{self.url_host}:{self.api_port}"

    # --- start -------------------------------------------------------------------------------------

    def start(self) -> EmbeddedRuntime:
        if self.executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {sorted(EXECUTORS)}, got {self.executor!r}")
        self._stack = contextlib.ExitStack()
        try:
            self._start(self._stack)
        except BaseException:
            self.stop()
            raise
        return self

    def _start(self, stack: contextlib.ExitStack) -> None:
        self.airflow_home.mkdir(parents=True, exist_ok=True)
        self.logs_dir.mkdir(exist_ok=True)
        self.pg = EmbeddedPostgres(self.home).start()
        stack.callback(self.pg.stop)
        self.warehouse_pg = self.pg
        if self.separate_warehouse:
            self.warehouse_pg = EmbeddedPostgres(self.home / "warehouse").start()
            stack.callback(self.warehouse_pg.stop)
        self.demo_summaries = prepare_warehouse(self.warehouse_pg, self.warehouse_db)
        print(f"demo data loaded: {json.dumps(self.demo_summaries, default=str)}", flush=True)
        self.pg.create_database("airflow")
        self.receiver, self.services, service_env = start_services(stack, self.slack_log)
        self.env = self._environment(service_env)
        if self.executor == "celery":
            self._start_redis(stack)
        print("migrating the Airflow metadata database…", flush=True)
        self.airflow("db", "migrate", stdout=subprocess.DEVNULL)
        pools_file = self.airflow_home / "pools.json"
        pools_file.write_text(
            json.dumps(
                {name: {"slots": s, "description": d, "include_deferred": False} for name, (s, d) in POOLS.items()}
            )
        )
        self.airflow("pools", "import", str(pools_file), stdout=subprocess.DEVNULL)
        stack.callback(self.stop_components)
        for component in COMPONENTS:
            self._start_component(component, [component])
        if self.executor == "celery":
            for n in range(1, self.celery_workers + 1):
                # Each worker its own name; logs are read from the shared folder, so no log server is needed.
                self._start_component(
                    f"celery-worker-{n}",
                    ["celery", "worker", "--celery-hostname", f"worker{n}@%h", "--skip-serve-logs"],
                )

    def _environment(self, service_env: dict[str, str]) -> dict[str, str]:
        passwords = self.airflow_home / "passwords.json"
        passwords.write_text(json.dumps({"admin": "admin"}))
        env = dict(os.environ)
        env.update(airflow_env(self.airflow_home, self.pg.metadata_sql_alchemy_conn("airflow")))
        env.update(connection_env(self.warehouse_pg, self.warehouse_db))
        env.update(service_env)
        env.setdefault("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0.5")
        env.update(
            {
                "AIRFLOW__CORE__EXECUTOR": EXECUTORS[self.executor],
                "AIRFLOW__CORE__PARALLELISM": "4",
                "AIRFLOW__API__PORT": str(self.api_port),
                "AIRFLOW__API__BASE_URL": self.url,
                "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(passwords),
                "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "20",
                "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            }
        )
        if self.api_host is not None:
            env["AIRFLOW__API__HOST"] = self.api_host
        if self.executor == "celery":
            env["AIRFLOW__CELERY__WORKER_CONCURRENCY"] = "2"
        env.update(self.env_overrides)
        return env

    def _start_redis(self, stack: contextlib.ExitStack) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("CeleryExecutor needs redis-server on PATH (Debian: apt-get install redis-server)")
        port = free_port()
        data = self.home / "redis"
        data.mkdir(parents=True, exist_ok=True)
        out = open(self.logs_dir / "redis.log", "ab")  # noqa: SIM115 (closed by the stack)
        stack.callback(out.close)
        self.redis = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(data),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        stack.callback(self._stop_redis)
        deadline = time.monotonic() + 20
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            if self.redis.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start; see {self.logs_dir / 'redis.log'}")
            time.sleep(0.2)
        self.env["AIRFLOW__CELERY__BROKER_URL"] = f"redis://127.0.0.1:{port}/0"
        self.env.setdefault("AIRFLOW__CELERY__RESULT_BACKEND", "db+" + self.env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"])

    def _stop_redis(self) -> None:
        if self.redis is not None and self.redis.poll() is None:
            self.redis.terminate()
            try:
                self.redis.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.redis.kill()

    def _start_component(self, name: str, args: list[str]) -> None:
        log_file = self.logs_dir / f"{name}.log"
        with open(log_file, "ab") as out:
            process = subprocess.Popen(
                [airflow_bin(), *args],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the caller alone; it stops them in order
            )
        self.components.append(Component(name, process, log_file))

    def airflow(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess:
        """Run an ``airflow`` CLI command with the runtime's environment."""
        return subprocess.run([airflow_bin(), *args], env=self.env, check=True, **kwargs)

    def wait_until_healthy(self, timeout: float | None = None) -> bool:
        return wait_for_health(self.url, timeout or self.health_timeout, [c.process for c in self.components])

    def alive(self) -> bool:
        return all(c.process.poll() is None for c in self.components)

    # --- operations a test needs -------------------------------------------------------------------

    def restart_warehouse(self) -> None:
        """Restart the warehouse PostgreSQL (``pg_ctl restart -m fast``): every open session is cut."""
        self.warehouse_pg.restart()

    # --- stop --------------------------------------------------------------------------------------

    def stop_components(self) -> None:
        """SIGTERM every Airflow process (each stops cleanly within seconds), then SIGKILL stragglers."""
        for c in self.components:
            if c.process.poll() is None:
                c.process.terminate()
        for c in self.components:
            try:
                c.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(c.process.pid, signal.SIGKILL)
                c.process.wait()
        self.components.clear()

    def stop(self) -> None:
        if self._stack is not None:
            stack, self._stack = self._stack, None
            stack.close()

    def __enter__(self) -> EmbeddedRuntime:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
