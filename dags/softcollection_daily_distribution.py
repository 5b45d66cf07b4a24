"""
### softcollection_daily_distribution

Daily distribution of eligible users to the active SoftCollection campaigns and groups A–E (seed 002).

**When**: 09:00 Asia/Almaty daily. Run date D = the run's `data_interval_end` date in Asia/Almaty.

**Tasks**
- `provision_tables` — checks the bank's tables (campaigns, SC_1_120, the three assignment tables) exist
  with the columns used, never creating them, and creates almanac's own plan tables in DSSB_APP.
- `find_active_campaigns` — campaigns with `theory_start_date <= D <= theory_end_date` (DSSB_APP).
- `build_plan` — D's plan, decided once: the first run of D takes the distinct IINs with COUNT_DAY = 5
  (SPSS_USER_DRACRM), minus those assigned before D to a campaign still running; seeded shuffle from D;
  equal split over campaigns (remainder to the last), then over groups A–E (remainder to E); and stores
  it in DSSB_APP (almanac_distribution_days / _plan). Every later run of D reads that stored plan, since
  SC_1_120 holds other users by then. Returns counts and the campaigns to write, never an IIN.
- `choose_path` — no campaigns → `notify_no_campaigns`; no users → `notify_no_users`; `dry_run` →
  `report_dry_run` (the counts, nothing written; the masked sample per group is in `build_plan`'s log);
  else `planned_campaigns` (the campaigns of D's plan) and `write_campaign` over them.
- `write_campaign` — mapped, one instance per campaign of the plan: replaces D's rows of that campaign
  with the stored plan in DSSB_APP.SC_local_control (A), DSSB_APP.SC_local_target (B–E), then
  SPSS.SC_theory_users (B–E).
- `report_success` — Slack summary: users per campaign and group, tables written.

**Clearing**: any task can be cleared, in any order, days later. A rerun of D (or one cleared
`write_campaign` instance) replaces D's rows for its campaign in all three tables with D's stored plan;
if a try died between the DSSB and SPSS writes, the rerun makes both consistent. A dry run stores
nothing (or reports the stored plan if D was planned before).

**Privacy**: no IIN in XCom, logs or Slack (counts, campaign ids, masked samples only).
**Manual runs**: see docs/softcollection.md for restricting them to admins.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import Param, get_current_context, task

from almanac.dag_defaults import START_YEAR, almanac_dag
from almanac.provision import provision_tables
from almanac.softcollection import tasks
from almanac.softcollection.tables import TABLES

#: Where ``choose_path`` sends the run after planning (checked by tests/dags).
BRANCH_TARGETS = {
    tasks.Path.NO_CAMPAIGNS: "notify_no_campaigns",
    tasks.Path.NO_USERS: "notify_no_users",
    tasks.Path.DRY_RUN: "report_dry_run",
    tasks.Path.WRITE: "planned_campaigns",
}


@almanac_dag(
    schedule="0 9 * * *",
    start_date=pendulum.datetime(START_YEAR, 1, 1, tz="Asia/Almaty"),
    tags=["softcollection"],
    doc_md=__doc__,
    default_args_overrides={"execution_timeout": dt.timedelta(minutes=20)},
    params={"dry_run": Param(False, type="boolean", description="Compute and report the plan; write nothing")},
)
def softcollection_daily_distribution():
    @task
    def find_active_campaigns() -> list[dict]:
        return tasks.find_active_campaigns(get_current_context())

    @task
    def build_plan(campaigns: list[dict]) -> dict:
        return tasks.build_plan(get_current_context(), campaigns)

    @task
    def planned_campaigns(summary: dict) -> list[dict]:
        return summary["campaigns_to_write"]

    @task.branch
    def choose_path(summary: dict) -> str:
        return BRANCH_TARGETS[tasks.choose_path(summary)]

    @task
    def notify_no_campaigns() -> str:
        return tasks.notify_skip(get_current_context(), "no active campaigns")

    @task
    def notify_no_users() -> str:
        return tasks.notify_skip(get_current_context(), "no eligible users (COUNT_DAY = 5) left to distribute")

    @task
    def report_dry_run(summary: dict) -> dict:
        return tasks.report_dry_run(summary)

    @task(map_index_template="{{ theory_id }}")
    def write_campaign(campaign: dict) -> dict:
        context = get_current_context()
        context["theory_id"] = campaign["theory_id"]
        return tasks.write_campaign(context, campaign)

    @task
    def report_success(results: list[dict]) -> dict:
        return tasks.report_success(get_current_context(), results)

    campaigns = find_active_campaigns()
    provision_tables(TABLES) >> campaigns
    summary = build_plan(campaigns)
    to_write = planned_campaigns(summary)
    written = write_campaign.expand(campaign=to_write)
    choose_path(summary) >> [notify_no_campaigns(), notify_no_users(), report_dry_run(summary), to_write]
    report_success(written)


softcollection_daily_distribution()
