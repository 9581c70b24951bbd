"""PolicyBook: the policies CSV rules of spec/payroll-file.md "Precise readings".

Pins: in force when a row covers the date (expiration exclusive), the rate is the row covering
pay_date, the policy year anchored on the earliest effective_date (29 Feb -> 28 Feb), one FEIN
and carrier per policy, no overlapping rows per (policy, state, class): violations raise.
"""

from datetime import date

import pytest

from paygo.payroll.policies import PolicyBook, PolicyBookError, RateRow, policy_year_start

HEAD = "policy_number,employer_fein,carrier_id,effective_date,expiration_date,state,class_code,net_rate\n"


def rr(eff: str, exp: str, rate: str = "1.5", **kw: str) -> RateRow:
    base = dict(policy_number="P", employer_fein="123456789", carrier_id="C", state="CA", class_code="8810")
    base.update(kw)
    return RateRow(effective_date=date.fromisoformat(eff), expiration_date=date.fromisoformat(exp), net_rate=rate, **base)


BAD_BOOKS = [
    # (rows, a word of the reason)
    ([rr("2024-01-01", "2025-01-01"), rr("2024-06-01", "2025-06-01")], "overlap"),  # June..Dec twice
    ([rr("2024-01-01", "2025-01-01"), rr("2025-01-01", "2026-01-01", class_code="5403", employer_fein="987654321")], "FEIN"),
    ([rr("2024-01-01", "2025-01-01"), rr("2024-01-01", "2025-01-01", class_code="5403", carrier_id="D")], "carrier"),
    ([rr("2024-01-01", "2024-01-01")], "before"),  # empty period
    ([rr("2024-01-01", "2025-01-01", rate="1.2345678")], "decimal"),  # 7 places
]


@pytest.mark.parametrize("rows, word", BAD_BOOKS)
def test_bad_books_raise(rows, word):
    with pytest.raises(PolicyBookError, match=word):
        PolicyBook.from_rate_rows(rows)


def test_back_to_back_rows_do_not_overlap_and_rate_follows_pay_date():
    book = PolicyBook.from_rate_rows([rr("2024-01-01", "2025-01-01", "1.5"), rr("2025-01-01", "2026-01-01", "1.75")])
    # expiration is exclusive: 2024-12-31 uses the first row, 2025-01-01 the second
    assert book.rate("P", "CA", "8810", date(2024, 12, 31)).net_rate == "1.5"
    assert book.rate("P", "CA", "8810", date(2025, 1, 1)).net_rate == "1.75"
    assert book.rate("P", "CA", "5403", date(2025, 1, 1)) is None
    assert book.in_force("P", date(2025, 12, 31)) and not book.in_force("P", date(2026, 1, 1))


YEAR_CASES = [
    # (anchor, on, start) -- by hand
    (date(2024, 2, 29), date(2025, 2, 27), date(2024, 2, 29)),  # before the 2025 anniversary
    (date(2024, 2, 29), date(2025, 2, 28), date(2025, 2, 28)),  # common year: 28 Feb
    (date(2024, 2, 29), date(2028, 2, 29), date(2028, 2, 29)),  # leap year: 29 Feb
    (date(2024, 7, 1), date(2024, 6, 30), date(2023, 7, 1)),
    (date(2024, 7, 1), date(2026, 7, 1), date(2026, 7, 1)),
]


@pytest.mark.parametrize("anchor, on, start", YEAR_CASES)
def test_policy_year_start(anchor, on, start):
    assert policy_year_start(anchor, on) == start


def test_anchor_is_the_earliest_effective_date():
    book = PolicyBook.from_rate_rows([rr("2025-03-01", "2026-03-01"), rr("2024-03-01", "2025-03-01", class_code="5403")])
    assert book.policy("P").anchor_date == date(2024, 3, 1)
    assert book.policy_year_start("P", date(2025, 5, 1)) == date(2025, 3, 1)


CSV_CASES = [
    (b"", "empty"),
    (HEAD.replace("net_rate", "rate").encode(), "header"),
    ((HEAD + "P,123456789,C,2024-01-01,2025-01-01,CA,8810\n").encode(), "fields"),
    ((HEAD + "P,1234,C,2024-01-01,2025-01-01,CA,8810,1.5\n").encode(), "employer_fein"),
    ((HEAD + "P,123456789,C,2024-13-01,2025-01-01,CA,8810,1.5\n").encode(), "effective_date"),
    ((HEAD + "P,123456789,C,2024-01-01,2025-01-01,CA,8810,-1.5\n").encode(), "net_rate"),
    (b"\xff\xfe", "UTF-8"),
]


@pytest.mark.parametrize("data, word", CSV_CASES)
def test_bad_policies_csv(data, word):
    with pytest.raises(PolicyBookError, match=word):
        PolicyBook.from_csv(data)


def test_csv_trims_and_normalises_fein():
    book = PolicyBook.from_csv((HEAD + " P ,12-3456789, C ,2024-01-01,2025-01-01,CA,0042, 1.50 \n").encode())
    row = book.rate("P", "CA", "0042", date(2024, 5, 1))
    assert (row.employer_fein, row.carrier_id, row.net_rate) == ("123456789", "C", "1.50")
