"""almanac's status API and status page, served by Airflow's own api-server under ``/almanac``.

- ``GET /almanac/api/system-status`` — JSON: top-level ``reset_failed`` / ``failure_reason`` (the
  discourse trimester reset, for the forum frontend) and, per domain, its DAGs' last runs, its data
  freshness and a stale flag. Logic in ``include/almanac/status/``.
- ``GET /almanac/status`` — the same as an HTML page, linked from the UI's navigation ("almanac status").

Plugin apps are not behind Airflow's auth unless they ask for it: both routes depend on the api-server's
own ``requires_access_dag("GET", DagAccessEntity.RUN)``, which accepts the same Bearer token as
``/api/v2`` or the UI's login cookie. No credentials → 401; an invalid token → 403; a user who may not
read DAG runs → 403.

Every Airflow process loads plugins (each task does, for macros), but only the api-server serves this
app, so the app and its imports (FastAPI, the api-server's security module) are built on first use:
loading the plugin costs a task next to nothing.
"""

# No ``from __future__ import annotations`` here: FastAPI reads the routes' annotations (SessionDep),
# which are imported inside status_app(), so they must be evaluated where the routes are defined.
from functools import cache
from typing import Any, ClassVar

from airflow.plugins_manager import AirflowPlugin


@cache
def status_app() -> Any:
    """The FastAPI app mounted at ``/almanac`` (built once, in the api-server)."""
    from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity
    from airflow.api_fastapi.common.db.common import SessionDep
    from airflow.api_fastapi.core_api.security import requires_access_dag
    from airflow.utils import timezone
    from fastapi import Depends, FastAPI
    from fastapi.responses import HTMLResponse

    from almanac.status.page import render_status_page
    from almanac.status.report import system_status

    can_read_runs = Depends(requires_access_dag("GET", DagAccessEntity.RUN))
    # No /docs or /openapi.json: they would answer without the auth dependency.
    app = FastAPI(title="almanac status", dependencies=[can_read_runs], docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/api/system-status")
    def get_system_status(session: SessionDep) -> dict[str, Any]:
        """Per domain: last successful runs, data freshness, stale flag; the discourse reset flag on top."""
        return system_status(session, now=timezone.utcnow())

    @app.get("/status", response_class=HTMLResponse)
    def get_status_page(session: SessionDep) -> HTMLResponse:
        """The same data as an HTML table, one row per domain (linked from the UI's navigation)."""
        return HTMLResponse(render_status_page(system_status(session, now=timezone.utcnow())))

    return app


class AlmanacStatusPlugin(AirflowPlugin):
    name = "almanac_status"
    external_views: ClassVar[list[dict]] = [
        {
            "name": "almanac status",
            "href": "almanac/status",
            "url_route": "almanac-status",
            "destination": "nav",
            "nav_top_level": True,
        }
    ]

    @property
    def fastapi_apps(self) -> list[dict]:  # read by the api-server only
        return [{"app": status_app(), "url_prefix": "/almanac", "name": "almanac status"}]
