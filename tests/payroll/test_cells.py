"""Vectorised money parsing agrees with the scalar reference paygo.billing.money.parse_cents.

Pins spec/payroll-file.md "Money": `[0-9]+(\\.[0-9]{1,2})?` to cents by string arithmetic, huge
values refused; a hypothesis test compares `cells.cents` with `parse_cents` on any text.
"""

import polars as pl
import pytest
from hypothesis import given, settings, strategies as st

from paygo.billing.money import MoneyError, parse_cents
from paygo.payroll import cells


def reference(text: str) -> int | None:
    try:
        return parse_cents(text)
    except MoneyError:
        return None


def vectorised(texts: list[str]) -> list[int | None]:
    return pl.DataFrame({"t": texts}, schema={"t": pl.String}).select(cells.cents(pl.col("t")))["t"].to_list()


CASES = [
    ("1234.5", 123450),  # 1234 x 100 + 50
    ("1234.56", 123456),
    ("0", 0),
    ("007.05", 705),  # leading zeros fine
    ("10000000000000", 10**15),  # exactly MAX_CENTS
    ("10000000000000.01", None),  # one cent above
    ("1.234", None), (".5", None), ("5.", None), ("+5", None), ("-0", None), ("1,000", None), ("", None),
    ("١٢", None),  # Arabic-Indic digits are not ASCII
]


@pytest.mark.parametrize("text, expected", CASES)
def test_cents_cases(text, expected):
    assert vectorised([text]) == [expected] == [reference(text)]


money_like = st.one_of(
    st.text(alphabet="0123456789.", max_size=24),
    st.from_regex(r"\A[0-9]{1,20}(\.[0-9]{1,3})?\Z"),
    st.text(max_size=12),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(money_like, min_size=1, max_size=50))
def test_vectorised_agrees_with_parse_cents(texts):
    assert vectorised(texts) == [reference(t) for t in texts]
