"""Follow the README's production install guide word for word (``make install-check``, run by CI).

"Your Airflow" is simulated the way most users have it: a fresh virtualenv with ``apache-airflow==3.3.2``
and nothing of almanac, an AIRFLOW_HOME with empty dags/ and plugins/ folders, a migrated metadata DB
(SQLite), and a warehouse database that holds only the source systems' tables (the demo data). Then:

1. the README's install block (between ``<!-- install-guide -->`` and the end of its ``bash`` fence) runs
   verbatim in ``bash -e`` from the repository root, with that virtualenv first on PATH;
2. the connections are set as ``AIRFLOW_CONN_*`` (the guide's table), pointing at the embedded
   PostgreSQL, a fake Discourse forum and a Slack receiver started here;
3. the guide's check command, ``airflow dags test learning_daily_snapshots``, then the same for the
   discourse reset (the pool, the forum) and the softcollection distribution (SQLAlchemy, the plan
   tables) must exit 0 and write rows; every other DAG runs from the source tree in
   tests/integration/test_fresh_install.py, and the installed package must hold every SQL file of the
   source tree, so those DAGs find theirs too. (All seven here would add a minute to CI for no new path.)

Nothing else is installed or created: ``PYTHONPATH`` is cleared, so the DAGs import the ``almanac``
package the guide installed (without ``almanac.demo``), and each DAG creates its own tables. ``pip`` is
served by uv's pip interface (``uv pip``) for speed; the commands are the README's as written.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from almanac.demo import warehouse
from almanac.demo.embedded import PROJECT_ROOT, EmbeddedPostgres, connection_env, slack_conn_env
from almanac.demo.slack_receiver import SlackReceiver

GUIDE_MARKER = "<!-- install-guide -->"
CHECKED_DOMAINS = ("learning", "discourse", "softcollection")
CHECKED_DAGS = ("learning_daily_snapshots", "discourse_trimester_reset", "softcollection_daily_distribution")
DATABASE = "almanac_guide"
UV = Path(sys.executable).parent / "uv"


def guide_commands(readme: Path) -> str:
    """The bash block that follows the guide marker in the README."""
    text = readme.read_text()
    if GUIDE_MARKER not in text:
        raise SystemExit(f"{readme}: no {GUIDE_MARKER} marker")
    match = re.search(r"```bash\n(.*?)```", text[text.index(GUIDE_MARKER) :], re.S)
    if match is None:
        raise SystemExit(f"{readme}: no bash block after {GUIDE_MARKER}")
    return match.group(1)


def run(command: list[str] | str, env: dict[str, str], **kwargs) -> subprocess.CompletedProcess:
    started = time.perf_counter()
    result = subprocess.run(command, env=env, text=True, capture_output=True, **kwargs)
    label = command if isinstance(command, str) else " ".join(command)
    print(f"  [{time.perf_counter() - started:5.1f} s] {label.strip().splitlines()[0][:100]}", flush=True)
    if result.returncode != 0:
        print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        raise SystemExit(f"failed ({result.returncode}): {label}")
    return result


def main() -> int:
    root = Path(tempfile.mkdtemp(prefix="almanac-guide-"))
    venv, home = root / "venv", root / "airflow"
    shims = root / "shims"
    for folder in (home / "dags", home / "plugins", shims):
        folder.mkdir(parents=True)
    (shims / "pip").write_text(f'#!/bin/sh\nexec "{UV}" pip "$@" --quiet --python "{venv}/bin/python"\n')
    (shims / "pip").chmod(0o755)

    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PYTHON", "VIRTUAL_ENV"))}
    env = {
        **base,
        "PATH": os.pathsep.join([str(shims), str(venv / "bin"), base.get("PATH", "")]),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(home / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
        "ALMANAC_RETRY_DELAY_SECONDS": "0",
    }
    print("== your Airflow: a virtualenv with apache-airflow 3.3.2 and a migrated metadata DB", flush=True)
    run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], env)
    python = ["--python", str(venv / "bin/python")]
    lock = ["-c", str(PROJECT_ROOT / "requirements.txt")]
    run([str(UV), "pip", "install", "--quiet", "--compile-bytecode", *python, "apache-airflow==3.3.2", *lock], env)
    run(["airflow", "db", "migrate"], env)

    print("== the README's install guide, verbatim", flush=True)
    run(["bash", "-e", "-c", guide_commands(PROJECT_ROOT / "README.md")], env, cwd=PROJECT_ROOT)
    probe = "import almanac, importlib.util as u; print(almanac.__file__, u.find_spec('almanac.demo') is None)"
    installed = run([str(venv / "bin/python"), "-c", probe], env, cwd=root).stdout.split()
    if not installed[0].startswith(str(venv)) or installed[1] != "True":
        raise SystemExit(f"the guide did not install the production package without its demo: {installed}")
    package = Path(installed[0]).parent
    source = PROJECT_ROOT / "include" / "almanac"
    wanted = {p.relative_to(source) for p in source.rglob("*.sql") if "demo" not in p.parts}
    missing = sorted(str(p) for p in wanted if not (package / p).is_file())
    if missing:
        raise SystemExit(f"the installed package lacks SQL files: {missing}")

    with contextlib.ExitStack() as stack:
        pg = EmbeddedPostgres().start()
        stack.callback(pg.stop)
        pg.create_database(DATABASE, drop_existing=True)
        stack.callback(pg.drop_database, DATABASE)
        with pg.connect(DATABASE) as conn:
            warehouse.create_source_tables(conn)
            warehouse.load_demo_data(conn)
        receiver = SlackReceiver().start()
        stack.callback(receiver.stop)
        for _, module in warehouse.demo_modules():  # fake services (the forum) and their AIRFLOW_CONN_*
            if hasattr(module, "start_services"):
                env.update(module.start_services(stack)[1])
        env.update(connection_env(pg, DATABASE))
        env.update(slack_conn_env(receiver.url))

        print("== `airflow dags test` of the guide's check and of two other domains", flush=True)
        checked = [(d, m) for d, m in warehouse.demo_modules() if d in CHECKED_DOMAINS]
        for _, module in checked:
            for dag_id, logical_date, conf in module.DEMO_RUNS:
                if dag_id in CHECKED_DAGS:
                    command = ["airflow", "dags", "test", dag_id, logical_date.isoformat()]
                    run(command + (["--conf", json.dumps(conf)] if conf else []), env)
        with pg.connect(DATABASE) as conn:
            counts = {
                table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for _, module in checked
                for table in module.OUTPUT_TABLES
                if not table.startswith("learning.adaptive")
            }
    print(json.dumps(counts, indent=1))
    empty = [table for table, n in counts.items() if n == 0]
    if empty:
        raise SystemExit(f"no rows written to {empty}")
    shutil.rmtree(root, ignore_errors=True)
    print("install guide: OK", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
