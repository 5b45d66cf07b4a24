"""Phase 7 (last): no identifier of the demo data left the databases.

Every IIN of the softcollection demo data is looked for in every file under the runtime's Airflow logs
folder (task logs of every try, and the components' logs), in every XCom value of every run (through
the REST API) and in every body the Slack receiver got. Masked IINs (``**********12``) do not match.
"""

from __future__ import annotations

import re
import time

import pytest

from almanac.demo import softcollection_data

pytestmark = pytest.mark.e2e

TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


def demo_iins() -> set[str]:
    # the same generator and defaults as softcollection_data.generate: eligible + others
    return set(softcollection_data.synthetic_iins(3000 + 1000, 7))


def count_iins(texts, iins: set[str]) -> int:
    return sum(1 for text in texts for match in TWELVE_DIGITS.findall(text) if match in iins)


def test_no_demo_iin_in_task_logs_xcom_or_slack(suite):
    started = time.monotonic()
    iins = demo_iins()
    with suite.connect() as conn:
        stored = {r[0] for r in conn.execute("SELECT iin FROM spss_user_dracrm.sc_1_120")}
    assert stored <= iins, "the scan must know every IIN of the demo data"
    xcoms = [
        v
        for dag_id in sorted(suite.domain_of)
        for r in suite.op.list_runs(dag_id)
        for v in suite.op.xcom_values(dag_id, r.run_id)
    ]
    found = {
        "logs": count_iins([suite.task_log_text()], iins),
        "xcom": count_iins(xcoms, iins),
        "slack": count_iins(suite.slack_bodies(), iins),
    }
    suite.figures.identifiers_found.update(found)
    suite.figures.phase_seconds["7 identifier scan"] = time.monotonic() - started
    assert xcoms, "no XCom read: the scan would be vacuous"
    assert found == {"logs": 0, "xcom": 0, "slack": 0}, found
