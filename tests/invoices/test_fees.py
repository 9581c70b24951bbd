"""Billing models (paygo.billing.fees): override beats default, who pays what, rounding of the percentage."""

from datetime import date

import pytest

from paygo.billing import fees
from paygo.billing.fees import BillingModel

CYCLE = BillingModel("cycle_based", fee_amount_cents=350)
FLAT = BillingModel("flat", fee_amount_cents=50_000)
PCT = BillingModel("percentage", fee_rate="0.05", setup_fee_cents=25_000)


@pytest.mark.parametrize("premium, rate, cents", [
    (2715, "0.05", 136),      # 135.75 -> 136 (worked example of docs/ledger.md)
    (10, "0.05", 1),          # 0.5 -> 1: half away from zero, not to even
    (30, "0.05", 2),          # 1.5 -> 2
    (9, "0.05", 0),           # 0.45 -> 0
    (-10, "0.05", -1),        # a refund: -0.5 -> -1, away from zero
    (123_456, "0.0425", 5247),  # 5246.88 -> 5247
    (0, "0.05", 0),
])
def test_percentage_fee_rounds_half_away_from_zero(premium, rate, cents):
    assert fees.percentage_fee_cents(premium, rate) == cents


def test_percentage_fee_refuses_a_float_or_bad_rate():
    with pytest.raises(fees.BillingModelError):
        fees.percentage_fee_cents(2715, "5%")
    with pytest.raises(fees.BillingModelError):
        fees.percentage_fee_cents(2715.0, "0.05")  # type: ignore[arg-type]


@pytest.mark.parametrize("default, override, expected", [
    (PCT, None, PCT),      # no override: the carrier's default
    (PCT, CYCLE, CYCLE),   # the policy's override wins
    (None, FLAT, FLAT),
    (None, None, None),    # no configuration: no fees
])
def test_most_specific_model_wins(default, override, expected):
    assert fees.effective_model(default, override) == expected


@pytest.mark.parametrize("model, cycle, settle_fee", [
    (CYCLE, 350, 0),   # employer pays 3.50 per cycle; nothing taken at settlement
    (FLAT, 0, 0),      # carrier pays monthly, nothing per invoice
    (PCT, 0, 136),     # 5% of 2,715 = 135.75 -> 136 at settlement
    (None, 0, 0),
])
def test_who_pays_what_per_invoice(model, cycle, settle_fee):
    assert fees.cycle_fee_cents(model) == cycle
    assert fees.carrier_settlement_fee_cents(model, 2715) == settle_fee


@pytest.mark.parametrize("month, cents", [
    (date(2025, 1, 15), 50_000),  # contract from 2025-01-10: January overlaps, charged in full
    (date(2024, 12, 1), 0),       # before the contract
    (date(2025, 6, 30), 50_000),  # June overlaps [.., 2025-07-01)
    (date(2025, 7, 1), 0),        # July is after the exclusive end
])
def test_flat_fee_for_a_month(month, cents):
    assert fees.flat_fee_cents(FLAT, month, active_from=date(2025, 1, 10), active_until=date(2025, 7, 1)) == cents
    assert fees.flat_fee_cents(PCT, month, active_from=date(2025, 1, 10), active_until=date(2025, 7, 1)) == 0


def test_invalid_models_are_refused():
    with pytest.raises(fees.BillingModelError):
        BillingModel("percentage", fee_rate=None)
    with pytest.raises(fees.BillingModelError):
        BillingModel("flat", fee_amount_cents=-1)
    with pytest.raises(fees.BillingModelError):
        BillingModel("weekly", fee_amount_cents=1)
