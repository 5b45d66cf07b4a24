"""The status API and page through a real ``airflow api-server`` (one per module) on the test warehouse.

What a frontend and an operator see: 401/403 without a valid token, every domain with a token, the
discourse reset flag and reason after a real failed reset (fake Discourse faulted), an unreachable
domain answered as ``unknown`` while the others still answer, and the page in a real headless Chromium
(logged in through the UI's login form, opened from the navigation; refused when logged out).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
import time
import urllib.request

import pytest

from almanac.demo.discourse_fake_server import API_KEY as FAKE_DISCOURSE_KEY
from almanac.demo.discourse_fake_server import FakeDiscourse
from tests.support import browser as chromium_support
from tests.support.api_server import PASSWORD, USERNAME, ApiServer

pytestmark = [pytest.mark.integration, pytest.mark.dates]

RESET = "discourse_trimester_reset"
DOMAINS = {"discourse", "learning", "softcollection", "productivity", "tutoring"}
#: The server reads this connection from Airflow's metadata DB instead of an env var, so a test can
#: point it at an address that never answers and back.
SWITCHABLE_CONN = "tutoring_db"


@contextlib.contextmanager
def fresh_forum(warehouse, **fake):
    """A fake Discourse the DAGs talk to, and the discourse tables as on a fresh install."""
    server = FakeDiscourse(**fake).start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("AIRFLOW_CONN_DISCOURSE_API", json.dumps(server.connection()))
            mp.setenv("ALMANAC_DISCOURSE_RETRY_BASE_SECONDS", "0")
            warehouse.empty_discourse()
            yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def failed_reset(warehouse, airflow_runner, _slack_receiver):
    """A good trimester reset, then one that fails on one course (HTTP 500): users keep the first."""
    forum = {"courses": 3, "users": 30, "start": dt.date(2025, 5, 1), "horizon": dt.date(2026, 1, 5)}
    with fresh_forum(warehouse, **forum, actions_per_course_day=2) as server:
        assert airflow_runner.run(RESET, logical_date=dt.datetime(2026, 1, 1, 3, 30, tzinfo=dt.UTC)).state == "success"
        _post(f"{server.url}/_fake/fail?query_id=103&mode=500&category_id=11")  # as on a running `make run`
        # a manual rerun of the same reset day (another logical date keeps the good run on record)
        result = airflow_runner.run(RESET, logical_date=dt.datetime(2026, 1, 1, 9, 0, tzinfo=dt.UTC))
    assert result.state == "failed"
    (reason,) = warehouse.query("SELECT reset_failure_reason FROM discourse.system_status")[0]
    assert "HTTP 500" in reason
    return {"run_id": result.run_id, "reason": reason}


def _post(url: str) -> dict:
    request = urllib.request.Request(url, method="POST", headers={"Api-Key": FAKE_DISCOURSE_KEY})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)


@pytest.fixture(scope="module")
def api(failed_reset, warehouse, tmp_path_factory):
    from airflow.models import Connection
    from airflow.utils.session import create_session

    with create_session() as session:
        session.query(Connection).filter_by(conn_id=SWITCHABLE_CONN).delete()
        session.add(Connection(conn_id=SWITCHABLE_CONN, **_warehouse_conn(warehouse)))
    server = ApiServer(tmp_path_factory.mktemp("api-server"), drop_env=(f"AIRFLOW_CONN_{SWITCHABLE_CONN.upper()}",))
    server.start()
    print(f"\napi-server healthy after {server.startup_seconds:.1f} s")
    yield server
    server.stop()
    with create_session() as session:
        session.query(Connection).filter_by(conn_id=SWITCHABLE_CONN).delete()


def _warehouse_conn(warehouse) -> dict:
    return {"conn_type": "postgres", "host": warehouse.pg.socket_dir, "login": "postgres", "schema": warehouse.dbname}


@pytest.fixture(scope="module")
def token(api):
    return api.token()


def test_without_a_valid_token_the_api_and_the_page_refuse(api):
    for path in ("/almanac/api/system-status", "/almanac/status"):
        status, body = api.request("GET", path)
        assert status == 401, (path, body)
        status, body = api.request("GET", path, token="not-a-token")
        assert status == 403, (path, body)
    assert api.request("GET", "/almanac/openapi.json")[0] == 404  # no unauthenticated schema either


def test_with_a_token_every_domain_answers_with_runs_freshness_and_the_reset_flag(api, token, failed_reset, warehouse):
    started = time.perf_counter()
    status, body = api.request("GET", "/almanac/api/system-status", token=token)
    print(f"\nsystem-status answered in {time.perf_counter() - started:.3f} s")
    assert status == 200, body
    assert set(body["domains"]) == DOMAINS
    assert body["reset_failed"] is True
    assert body["failure_reason"] == failed_reset["reason"]

    discourse = body["domains"]["discourse"]
    assert discourse["status"] == "failed"
    assert discourse["colour"] == "red"
    assert "trimester reset failed" in discourse["reason"]
    (live, last_refresh) = warehouse.query("SELECT live_version_id, last_refresh_date FROM discourse.system_status")[0]
    assert discourse["freshness"]["live_version_id"] == live
    assert discourse["freshness"]["last_refresh_date"] == last_refresh.isoformat()
    reset = discourse["dags"][RESET]
    assert reset["last_run"]["run_id"] == failed_reset["run_id"]
    assert reset["last_run"]["state"] == "failed"
    assert reset["status"] == "failed"
    assert reset["last_success"]["logical_date"].startswith("2026-01-01T03:30:00")
    assert reset["schedule"] == "30 3 1 1,5,9 *"

    (snapshot,) = warehouse.query("SELECT max(snapshot_date) FROM learning.snapshot_runs")[0]
    learning = body["domains"]["learning"]["freshness"]
    assert learning["latest_snapshot_date"] == (snapshot.isoformat() if snapshot else None)
    (distributed,) = warehouse.query(
        "SELECT max(d) FROM (SELECT max(date_start) d FROM dssb_app.sc_local_control"
        " UNION ALL SELECT max(date_start) FROM dssb_app.sc_local_target) x"
    )[0]
    assert body["domains"]["softcollection"]["freshness"]["latest_distribution_date"] == (
        distributed.isoformat() if distributed else None
    )
    for domain in body["domains"].values():
        assert domain["colour"] in ("green", "amber", "red")
        for dag in domain["dags"].values():
            assert isinstance(dag["stale"], bool)


def test_an_unreachable_database_is_unknown_and_the_others_still_answer_in_time(api, token, warehouse):
    from airflow.models import Connection
    from airflow.utils.session import create_session

    # A local listener that never accepts: the TCP handshake completes and then nothing ever answers,
    # like a database behind a dead proxy (a closed port would refuse at once and prove nothing).
    tarpit = socket.socket()
    tarpit.bind(("127.0.0.1", 0))
    tarpit.listen(16)
    try:
        with create_session() as session:
            conn = session.query(Connection).filter_by(conn_id=SWITCHABLE_CONN).one()
            conn.host, conn.port = "127.0.0.1", tarpit.getsockname()[1]
        started = time.perf_counter()
        status, body = api.request("GET", "/almanac/api/system-status", token=token)
        elapsed = time.perf_counter() - started
    finally:
        with create_session() as session:
            conn = session.query(Connection).filter_by(conn_id=SWITCHABLE_CONN).one()
            conn.host, conn.port = _warehouse_conn(warehouse)["host"], None
        tarpit.close()
    print(f"\nsystem-status with {SWITCHABLE_CONN} unreachable answered in {elapsed:.3f} s")
    assert status == 200, body
    tutoring = body["domains"]["tutoring"]
    assert tutoring["status"] == "unknown"
    assert tutoring["colour"] == "red"
    assert "database unreachable" in tutoring["reason"]
    assert tutoring["freshness"] is None
    assert body["domains"]["learning"]["status"] != "unknown"
    assert body["domains"]["discourse"]["freshness"] is not None
    # Budget 2 s; the bound here only proves "did not wait for the database" on a busy 2-core machine.
    assert elapsed < 10

    status, body = api.request("GET", "/almanac/api/system-status", token=token)
    assert body["domains"]["tutoring"]["status"] != "unknown"  # back when the database is


def test_the_status_page_shows_every_domain_and_the_reset_reason(api, token, failed_reset):
    status, html = api.request("GET", "/almanac/status", token=token)
    assert status == 200
    for domain in DOMAINS:
        assert f'data-domain="{domain}"' in html
    assert "Trimester reset failed: users are served the previous data." in html
    assert _escaped(failed_reset["reason"]) in html
    assert 'href="../dags/discourse_trimester_reset"' in html


def _escaped(text: str) -> str:
    import html

    return html.escape(text)


def test_the_plugin_appears_in_the_ui_navigation(api, token):
    status, body = api.request("GET", "/api/v2/plugins", token=token)
    assert status == 200
    views = [v for p in body["plugins"] for v in p["external_views"]]
    assert {"name": "almanac status", "href": "almanac/status", "url_route": "almanac-status"}.items() <= next(
        v for v in views if v["name"] == "almanac status"
    ).items()


@pytest.fixture
def browser(tmp_path):
    reason = chromium_support.missing()
    if reason:
        pytest.fail(reason)
    driver = chromium_support.chromium(tmp_path / "profile")
    yield driver
    driver.quit()


def test_in_a_real_browser_the_page_opens_from_the_ui_navigation_after_login(api, browser, failed_reset, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(browser, 60)
    started = time.perf_counter()
    browser.get(api.url + "/")  # → the SimpleAuthManager login form
    wait.until(ec.presence_of_element_located((By.NAME, "username"))).send_keys(USERNAME)
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, "a[href$='plugin/almanac-status']"))).click()
    frame = wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, "iframe[title='almanac status']")))
    browser.switch_to.frame(frame)
    rows = wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "tr.domain"))
    colours = {row.get_attribute("data-domain"): row.get_attribute("data-colour") for row in rows}
    assert set(colours) == DOMAINS
    assert set(colours.values()) <= {"green", "amber", "red"}
    assert colours["discourse"] == "red"
    flag = browser.find_element(By.ID, "reset-flag").text
    assert "Trimester reset failed: users are served the previous data." in flag
    assert failed_reset["reason"] in flag
    browser.switch_to.default_content()
    screenshot = tmp_path / "status-page.png"
    browser.save_screenshot(str(screenshot))
    print(f"\nlogin → nav → status page in {time.perf_counter() - started:.1f} s; screenshot {screenshot}")

    # A DAG's link moves the UI itself to the grid (no Airflow UI nested inside the frame).
    browser.switch_to.frame(frame)
    browser.find_element(By.CSS_SELECTOR, "a.grid-link[href='../dags/discourse_trimester_reset']").click()
    browser.switch_to.default_content()
    wait.until(lambda d: d.current_url == f"{api.url}/dags/discourse_trimester_reset")


def test_in_a_real_browser_the_page_is_refused_when_logged_out(api, browser):
    from selenium.webdriver.common.by import By

    browser.get(api.url + "/almanac/status")
    assert "Not authenticated" in browser.find_element(By.TAG_NAME, "body").text
    assert not browser.find_elements(By.CSS_SELECTOR, "tr.domain")


def test_a_fresh_install_without_tables_says_no_data_instead_of_failing(warehouse, monkeypatch):
    """Only the source systems' tables, none of almanac's (no DAG has run yet): every domain answers
    "no data", naming the tables its DAGs will create, instead of failing."""
    from almanac.demo import warehouse as layout
    from almanac.demo.embedded import connection_env
    from almanac.status.freshness import PROBES, read_freshness
    from almanac.status.report import domain_status

    empty = f"{warehouse.dbname}_empty"
    warehouse.pg.create_database(empty, drop_existing=True)
    try:
        with warehouse.pg.connect(empty) as conn:
            layout.create_source_tables(conn)
        for key, value in connection_env(warehouse.pg, empty).items():
            monkeypatch.setenv(key, value)
        missing = {}
        for probe in PROBES:
            found = read_freshness(probe)
            assert found.reachable, (probe.domain, found.error)
            assert all(v in (None, False) for v in found.values.values()), found.values
            entry = domain_status(probe.domain, {}, found)
            assert entry["status"] == "no_data"
            missing[probe.domain] = found.missing_tables
        assert "discourse.system_status" in missing["discourse"]
        assert missing["learning"] == ["learning.snapshot_runs", "learning.adaptive_recommendations"]
        assert missing["softcollection"] == []  # the bank's own tables, empty on a fresh install
    finally:
        warehouse.pg.drop_database(empty)


def test_a_failed_first_reset_on_a_fresh_install_still_raises_the_flag(api, token, warehouse, airflow_runner):
    """No previous version to restore (the very first reset fails): readers have nothing, and the
    frontend must still learn that the reset failed and why."""
    with fresh_forum(warehouse, courses=2, users=10, start=dt.date(2025, 9, 1), horizon=dt.date(2026, 1, 3)) as server:
        _post(f"{server.url}/_fake/fail?query_id=108&mode=500")
        result = airflow_runner.run(RESET, logical_date=dt.datetime(2026, 1, 1, 10, 0, tzinfo=dt.UTC))
    assert result.state == "failed"
    assert result.task_states["restore_previous_state"] == "success", result.task_states
    status, body = api.request("GET", "/almanac/api/system-status", token=token)
    assert status == 200
    assert body["reset_failed"] is True
    assert "query #108" in body["failure_reason"]
    assert body["domains"]["discourse"]["freshness"]["live_version_id"] is None
    status, html = api.request("GET", "/almanac/status", token=token)
    assert "Trimester reset failed: no data has been published yet." in html
