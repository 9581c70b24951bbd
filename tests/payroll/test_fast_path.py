"""The fast validation path agrees with slow references on a random mid-size payroll file.

Pins the optimisations of `paygo check` (docs/benchmarks.md) against plain references:
- `validate_payroll_cells` (pandera on only the rows `cell_rules_hold` flags) reports exactly
  the failure cases of pandera run on every row, and so does `validate_payroll_rows` given the
  cells' verdict (pandera PayrollRows on only the rows whose cells or whole-row rules fail);
- `cells.cents` (polars decimal parse) equals the scalar `paygo.billing.money.parse_cents`;
- `rules.duplicate_keys` names the same later rows as a Python dict over the five key cells,
  both on the exact path (some key cell empty) and the hash path (every key cell present);
- `rules.rate_rows` agrees row by row with the scalar `PolicyBook` lookups.
The file mixes good cells with every kind of bad cell, so each check both passes and fails.
"""

import random

import polars as pl
import pytest

from paygo.billing.money import MoneyError, parse_cents
from paygo.payroll import cells as parse
from paygo.payroll import rules
from paygo.payroll.columns import ALL_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS
from paygo.payroll.csvfile import read_payroll_csv
from paygo.payroll.policies import PolicyBook
from paygo.payroll.validate import cells_hold, typed_rows
from schemas.payroll import PayrollCells, PayrollRows, _run, cell_rules_hold, validate_payroll_cells, validate_payroll_rows

ROWS = 3000
POLICIES = (
    "policy_number,employer_fein,carrier_id,effective_date,expiration_date,state,class_code,net_rate\n"
    "WC-1,123456789,C1,2024-01-01,2025-01-01,CA,8810,1.234\n"
    "WC-1,123456789,C1,2024-01-01,2024-07-01,NV,8810,0.37\n"
    "WC-2,987654321,C2,2023-06-01,2024-06-01,TX,5403,3.25\n"
)
CHOICES = {
    "employer_fein": ["123456789", "12-3456789", "987654321", "98-7654321", "12345678", "12--3456789", ""],
    "policy_number": ["WC-1", "WC-2", "WC-9", "W" * 65, ""],
    "payroll_run_id": ["R1", "R2", "R10", "é" * 128, "R" * 129, ""],
    "run_type": ["regular", "off_cycle", "correction", "Regular", ""],
    "pay_date": ["2024-03-15", "2024-06-14", "2023-12-31", "2024-02-30", "2024-3-15", ""],
    "period_start": ["2024-03-01", "2024-02-01", "2024-13-01", ""],
    "period_end": ["2024-03-14", "2024-06-14", "20240314", ""],
    "employee_id": ["E1", "E2", "E3", "123-45-6789", "123456789", "x" * 65, ""],
    "is_officer": ["true", "FALSE", "Y", "n", "1", "0", "yes", ""],
    "state": ["CA", "NV", "TX", "ND", "Ca", "XX", ""],
    "class_code": ["8810", "5403", "953", "88l0", "12345", ""],
}
MONEY = ["0", "1", "1234.5", "1234.56", "007.05", ".5", "5.", "+5", "-0", "1.234", "1 2", "",
         "9" * 13 + ".99", "1" + "0" * 13, "1" + "0" * 13 + ".01", "9" * 16, "0" * 40 + "1.5", "9" * 40]


def random_file(seed: int) -> bytes:
    rnd = random.Random(seed)
    lines = [",".join(ALL_COLUMNS)]
    for _ in range(ROWS):
        cells = [rnd.choice(CHOICES[c][:2]) if rnd.random() < 0.8 else rnd.choice(CHOICES[c])
                 for c in ALL_COLUMNS if c in CHOICES]
        money = [rnd.choice(MONEY[:4]) if rnd.random() < 0.9 else rnd.choice(MONEY) for _ in MONEY_COLUMNS]
        row = dict(zip([c for c in ALL_COLUMNS if c in CHOICES], cells)) | dict(zip(MONEY_COLUMNS, money))
        lines.append(",".join(row[c] for c in ALL_COLUMNS))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture(scope="module")
def cells() -> pl.DataFrame:
    raw = read_payroll_csv(random_file(7))
    assert not isinstance(raw, list)
    return raw.cells.select("row", *ALL_COLUMNS)


def test_prefiltered_pandera_equals_pandera_on_every_row(cells):
    fast = validate_payroll_cells(cells).failure_cases
    slow = _run(PayrollCells, cells).failure_cases
    key = ["index", "column", "check", "failure_case"]
    assert slow.height > 100  # the random file does break rules
    assert fast.select(key).sort(key, nulls_last=True).equals(slow.select(key).sort(key, nulls_last=True))


def test_prefiltered_row_contract_equals_pandera_on_every_row(cells):
    typed = typed_rows(cells)
    holds = cells.select(cell_rules_hold(cells.columns)).to_series()
    fast = validate_payroll_rows(typed, cells_hold=holds).failure_cases
    slow = _run(PayrollRows, typed).failure_cases
    key = ["index", "column", "check", "failure_case"]
    checks = set(slow["check"].to_list())
    # both whole-row rules fail somewhere, and rows with holding cells do reach pandera through them
    assert {"period_in_order_and_at_most_31_days", "overtime_premium_within_overtime_pay"} <= checks
    assert fast.select(key).sort(key, nulls_last=True).equals(slow.select(key).sort(key, nulls_last=True))


def test_cents_equals_scalar_parse_cents(cells):
    values = pl.concat([cells[c] for c in MONEY_COLUMNS]).drop_nulls().unique().to_list() + MONEY
    got = pl.DataFrame({"t": values}).select(parse.cents(pl.col("t")))["t"].to_list()

    def scalar(text: str) -> int | None:
        try:
            return parse_cents(text)
        except MoneyError:
            return None

    assert got == [scalar(t) for t in values]


def expected_repeats(cells: pl.DataFrame) -> list[tuple[int, str]]:
    first: dict[tuple, int] = {}
    expected = []
    for r in cells.iter_rows(named=True):
        parts = (r["employer_fein"], r["payroll_run_id"], r["employee_id"], r["state"], r["class_code"])
        if any(p is None for p in parts):
            continue
        key = (parts[0].replace("-", "", 1), *parts[1:])  # as polars str.replace: the first dash only
        if key in first:
            expected.append((r["row"], f"repeats row {first[key]}"))
        else:
            first[key] = r["row"]
    return expected


def repeats(cells: pl.DataFrame) -> list[tuple[int, str]]:
    got = rules.duplicate_keys(cells).sort("row")
    return [(row, error.split(":")[0]) for row, error in got.select("row", "error").iter_rows()]


KEY_CELLS = ["employer_fein", "payroll_run_id", "employee_id", "state", "class_code"]


def test_duplicate_keys_equals_python_dict(cells):
    expected = expected_repeats(cells)
    assert expected  # the random file does repeat keys
    assert cells.select(KEY_CELLS).null_count().sum_horizontal().item() > 0  # the exact path
    assert repeats(cells) == expected


def test_duplicate_keys_hash_path_equals_python_dict(cells):
    complete = cells.drop_nulls(KEY_CELLS)  # every key cell present: the hash count decides first
    expected = expected_repeats(complete)
    assert expected and repeats(complete) == expected
    firsts = complete.filter(~pl.col("row").is_in([row for row, _ in expected]))  # the repeats dropped
    assert firsts.height < complete.height and repeats(firsts) == [] == expected_repeats(firsts)


def test_duplicate_keys_given_the_typed_feins_equals_python_dict(cells):
    typed = typed_rows(cells)
    well_formed = pl.col("_fein").is_not_null()  # a whole typed column: the typed FEINs are hashed
    complete = cells.with_columns(_fein=typed["employer_fein"]).drop_nulls(KEY_CELLS).filter(well_formed)
    assert complete["employer_fein"].str.contains("-").any()  # dashed and plain FEINs meet
    got = rules.duplicate_keys(complete.drop("_fein"), complete["_fein"]).sort("row")
    expected = expected_repeats(complete)
    assert expected and [(row, error.split(":")[0]) for row, error in got.select("row", "error").iter_rows()] == \
        expected
    # only the dash tells these two apart: the hash of the typed FEINs must see one key twice
    pair = pl.concat([complete.head(1)] * 2).with_columns(
        pl.Series("row", [1, 2]), pl.Series("employer_fein", ["123456789", "12-3456789"]), _fein=pl.lit("123456789"))
    assert repeats(pair.drop("_fein")) == [(2, "repeats row 1")]
    assert rules.duplicate_keys(pair.drop("_fein"), pair["_fein"])["row"].to_list() == [2]


def test_rate_rows_equals_scalar_lookups(cells):
    book = PolicyBook.from_csv(POLICIES.encode())
    typed = typed_rows(cells)
    errors, rating = rules.rate_rows(typed, book)
    rated = {r["row"]: r for r in rating.iter_rows(named=True)}
    wrong = {(row, column) for row, column in errors.select("row", "column").iter_rows()}
    expected_wrong = set()
    for t in typed.iter_rows(named=True):
        policy = book.policy(t["policy_number"]) if t["policy_number"] is not None else None
        rate = None
        if t["policy_number"] is not None and policy is None:
            expected_wrong.add((t["row"], "policy_number"))
        fein_ok = policy is None or t["employer_fein"] is None or t["employer_fein"] == policy.employer_fein
        if not fein_ok:
            expected_wrong.add((t["row"], "employer_fein"))
        if policy is not None and t["pay_date"] is not None:
            rate = (book.rate(t["policy_number"], t["state"], t["class_code"], t["pay_date"])
                    if t["state"] is not None and t["class_code"] is not None else None)
            if not book.in_force(t["policy_number"], t["pay_date"]):
                expected_wrong.add((t["row"], "pay_date"))
            elif fein_ok and rate is None and t["state"] is not None and t["class_code"] is not None:
                expected_wrong.add((t["row"], "class_code"))
        if rate is None:
            assert t["row"] not in rated
        else:
            got = rated[t["row"]]
            assert (got["net_rate"], got["carrier_id"], got["policy_year_start"]) == (
                rate.net_rate, policy.carrier_id, book.policy_year_start(t["policy_number"], t["pay_date"]))
    assert rated and wrong == expected_wrong


def test_cells_hold_read_off_the_typing_equals_the_cell_rules(cells):
    expected = cells.select(cell_rules_hold(cells.columns)).to_series()
    got = cells_hold(cells, typed_rows(cells))
    assert 0 < expected.sum() < cells.height  # some rows hold and some do not
    assert got.to_list() == expected.to_list()


def test_dates_type_alike_per_distinct_text_and_per_cell(cells):
    per_cell = cells.select([parse.date(pl.col(c)).alias(c) for c in DATE_COLUMNS])
    few = cells.select(pl.col(c).n_unique() for c in DATE_COLUMNS).row(0)
    assert max(few) * 4 <= cells.height  # parsed per distinct text
    assert typed_rows(cells).select(DATE_COLUMNS).equals(per_cell)
    assert per_cell.null_count().sum_horizontal().item() > 0  # bad dates type to null
    many = cells.head(8)  # mostly distinct texts: parsed cell by cell
    assert any(n * 4 > many.height for n in many.select(pl.col(c).n_unique() for c in DATE_COLUMNS).row(0))
    assert typed_rows(many).select(DATE_COLUMNS).equals(per_cell.head(8))
