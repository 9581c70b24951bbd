"""Pins return-rate monitoring (NACHA 2.17.2): unauthorized vs 0.5%, administrative vs 3%, overall vs
15%, `warn` from 80% of a threshold; counted over applied returns of debits in the 60-day window."""

from datetime import date
from decimal import Decimal

import pytest

from paygo.ach.monitoring import Rate, return_rates
from returns_factory import CIPHER, make_world, return_file, returned
from paygo.ach.reconcile import reconcile_return_file


@pytest.mark.parametrize("returned_, debits, threshold, status", [
    (4, 1000, "0.005", "warn"),  # 0.4% >= 0.8 x 0.5% = 0.4%
    (3, 1000, "0.005", "ok"),  # 0.3%
    (5, 1000, "0.005", "breach"),  # 0.5%
    (24, 1000, "0.03", "warn"),  # 2.4% = 0.8 x 3%
    (20, 1000, "0.03", "ok"),
    (150, 1000, "0.15", "breach"),  # 15%
    (0, 0, "0.15", "ok"),  # no debits: rate 0
])
def test_rate_status(returned_, debits, threshold, status):
    assert Rate("x", returned_, debits, Decimal(threshold)).status == status


def test_rates_from_the_database(db_session, tmp_path):
    s = db_session
    w = make_world(s)
    entries = [w.send(w.invoice(1000 + i), effective=date(2025, 3, 18)) for i in range(10)]
    items = [returned("R10", entries[0]), returned("R03", entries[1]), returned("R01", entries[2])]
    reconcile_return_file(s, return_file(tmp_path, items, date(2025, 3, 20)), name="r", received_on=date(2025, 3, 20),
                          cipher=CIPHER)
    [o] = return_rates(s, today=date(2025, 3, 31), company_id="1234567890").originators
    # 10 debits: unauthorized 1 (R10) = 10%, administrative 1 (R03) = 10%, overall 3 = 30%
    assert (o.debits, o.unauthorized.returned, o.administrative.returned, o.overall.returned) == (10, 1, 1, 3)
    assert o.status == "breach"
    [later] = return_rates(s, today=date(2025, 6, 1), company_id="1234567890").originators  # window passed
    assert later.debits == 0 and later.status == "ok"
