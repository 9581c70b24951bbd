"""Validating one payroll file: bytes in, typed rated rows or every error out.

A file is accepted whole or rejected whole (spec/payroll-file.md): one pass reports every
problem as (row, column, value, reason), sorted by row (file-level errors, row null, first),
then the column's position in the file header, then the reason. Example: a file whose row 7
has class_code `88l0` is rejected with one error (7, "class_code", "88l0", ...), and
`rated_rows` is None. An accepted file yields the typed rows of docs/architecture.md plus
net_rate, carrier_id and policy_year_start from the `PolicyBook`.
"""

import hashlib
import operator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import reduce

import polars as pl

from paygo.payroll import cells as parse
from paygo.payroll.columns import (
    ALL_COLUMNS,
    CLASS_CODE_PATTERN,
    DATE_COLUMNS,
    MAX_TEXT_CHARS,
    MONOPOLISTIC_STATES,
    OFFICER_FALSE,
    OFFICER_TRUE,
    RUN_TYPES,
    USPS_STATES,
    ZERO_DEFAULT_MONEY,
)
from paygo.payroll.csvfile import FileProblem, read_payroll_csv
from paygo.payroll.policies import PolicyBook
from paygo.payroll import rules
from schemas.payroll import (
    CELL_RULES,
    DATAFRAME_CHECK_COLUMN,
    LENGTH_CHECKS,
    REASONS,
    required_text_columns,
    validate_payroll_cells,
    validate_payroll_rows,
)

TYPED_COLUMNS: tuple[str, ...] = (
    "row", "employer_fein", "policy_number", "payroll_run_id", "run_type", "pay_date",
    "period_start", "period_end", "employee_id", "is_officer", "state", "class_code",
    *ZERO_DEFAULT_MONEY, "overtime_premium",
)
RATED_COLUMNS: tuple[str, ...] = TYPED_COLUMNS + ("net_rate", "carrier_id", "policy_year_start")


@dataclass(frozen=True)
class PayrollError:
    row: int | None  # 1-based data row; 0 the header; None the whole file
    column: str | None  # as the company named it (a mapped file), else the canonical column
    value: str | None
    error: str
    canonical: str | None = None  # a mapped file: the canonical column beside the company's name

    @property
    def column_text(self) -> str:
        """`COMP CODE (class_code)` for a mapped file's column, the column alone otherwise."""
        if self.canonical and self.column and self.canonical != self.column:
            return f"{self.column} ({self.canonical})"
        return self.column or self.canonical or ""


@dataclass(frozen=True)
class PayrollValidation:
    file_sha256: str
    rows: int  # non-blank data records
    errors: tuple[PayrollError, ...]
    rated_rows: pl.DataFrame | None  # RATED_COLUMNS; None when rejected
    mapping: str | None = None  # the mapping profile used, `id@version` (None: the canonical format read as is)
    roster: str | None = None  # the roster versions used, `946123457@v2 ...` (paygo.payroll.roster.roster_label)

    @property
    def accepted(self) -> bool:
        return not self.errors


def typed_rows(cells: pl.DataFrame, fitting: frozenset[str] | None = None) -> pl.DataFrame:
    """Text cells to typed columns; a malformed cell becomes null (its error is reported apart).

    Dates are parsed once per distinct text and mapped back to the rows: a file holds few
    distinct dates (a run has one pay date and one period), and the pattern test and parse of a
    million cells cost about 3x the distinct count and the mapping. A file of mostly distinct
    dates is parsed cell by cell. Either way each cell gets `typed_exprs`' value. `fitting`:
    `fitting_text_columns(cells)`, when the caller has it.
    """
    distinct = cells.lazy().select(pl.col(c).unique().implode() for c in DATE_COLUMNS).collect()
    dates = {}
    for c in DATE_COLUMNS:
        texts = distinct[c][0]
        if len(texts) * 4 <= cells.height:
            parsed = pl.DataFrame({c: texts}).select(parse.date(pl.col(c))).to_series()
            dates[c] = pl.col(c).replace_strict(texts, parsed, default=None, return_dtype=pl.Date)
    fitting = fitting_text_columns(cells) if fitting is None else fitting
    return cells.lazy().select(typed_exprs(dates, fitting)).collect()


def fitting_text_columns(cells: pl.DataFrame) -> frozenset[str]:
    """The columns of MAX_TEXT_CHARS whose every cell is short enough, proved by bytes: a cell of
    at most N bytes has at most N characters, and the longest cell's bytes are one max over the
    string offsets (counting characters costs a pass over every byte). Usually all of them."""
    return frozenset(c for c, n in MAX_TEXT_CHARS.items() if (cells[c].str.len_bytes().max() or 0) <= n)


def typed_exprs(dates: dict[str, pl.Expr] | None = None, fitting: frozenset[str] = frozenset()) -> list[pl.Expr]:
    """The expressions of `typed_rows`: each accepts exactly the text its column's cell rules accept.

    `dates` may give a date column's expression instead of `cells.date` of the column (the same
    values, computed another way). A text column longer than MAX_TEXT_CHARS types to null (so an
    over-long policy number is not also reported as an unknown policy), except the `fitting`
    columns, known to hold no such cell (`fitting_text_columns`), which are taken as they are."""
    dates = dates or {}
    col = pl.col

    def text(c: str) -> pl.Expr | str:
        return c if c in fitting else pl.when(col(c).str.len_chars() <= MAX_TEXT_CHARS[c]).then(col(c)).alias(c)

    officer = col("is_officer").str.to_lowercase()
    valid_states = sorted(USPS_STATES - MONOPOLISTIC_STATES)
    return [
        "row",
        parse.fein(col("employer_fein")).alias("employer_fein"),
        text("policy_number"),
        text("payroll_run_id"),
        pl.when(col("run_type").is_null()).then(pl.lit("regular"))
        .when(col("run_type").is_in(RUN_TYPES)).then(col("run_type")).alias("run_type"),
        *[dates.get(c, parse.date(col(c))).alias(c) for c in DATE_COLUMNS],
        text("employee_id"),
        pl.when(officer.is_null()).then(False)
        .when(officer.is_in(OFFICER_TRUE)).then(True)
        .when(officer.is_in(OFFICER_FALSE)).then(False).alias("is_officer"),
        pl.when(col("state").is_in(valid_states)).then(col("state")).alias("state"),
        pl.when(col("class_code").str.contains(CLASS_CODE_PATTERN)).then(col("class_code")).alias("class_code"),
        *[pl.when(col(c).is_null()).then(pl.lit(0, pl.Int64)).otherwise(parse.cents(col(c))).alias(c)
          for c in ZERO_DEFAULT_MONEY],
        parse.cents(col("overtime_premium")).alias("overtime_premium"),
    ]


# Cell rules that typing does not decide: policy_number, payroll_run_id and employee_id stay text.
UNTYPED_CELL_RULES: tuple[str, ...] = (*LENGTH_CHECKS, "employee_id_not_ssn_shaped")


def cells_hold(cells: pl.DataFrame, typed: pl.DataFrame, fitting: frozenset[str] | None = None) -> pl.Series:
    """`schemas.payroll.cell_rules_hold` of `cells`, read off their typing instead of evaluated again.

    `typed_exprs` turns exactly the text a column's cell rules accept into a value and any other
    text into null (a money cell typed null is not dollars, or is too large; a state typed null
    is not a USPS code, or is monopolistic), so a typed cell holds every rule of its column when
    it is empty or typed to a value. Required columns must not be empty, and the rules of the
    text columns (their lengths, employee_id's shape) run on the text, a length rule only where
    some cell may be too long. Example: class_code `88l0` types to null, so its row does not hold.
    tests/payroll/test_fast_path.py compares this with `cell_rules_hold` on every kind of bad cell.
    """
    typed_by_rule = [c for c in ALL_COLUMNS if any(
        c in columns for check, (columns, _) in CELL_RULES.items() if check not in UNTYPED_CELL_RULES)]
    # A length rule holds on every row of a column that fits (`fitting_text_columns`).
    fitting = fitting_text_columns(cells) if fitting is None else fitting
    text_rules = [(c, CELL_RULES[check][1]) for check in UNTYPED_CELL_RULES for c in CELL_RULES[check][0]
                  if not (check in LENGTH_CHECKS and c in fitting)]
    text = cells.select(pl.all_horizontal(
        pl.col("row") >= 1,
        *[pl.col(c).is_not_null() for c in required_text_columns()],
        *[pl.col(c).is_null() | rule(pl.col(c)) for c, rule in text_rules],
    ).fill_null(False)).to_series()
    # The text-or-typed verdicts are bitmaps combined as series: one frame of the cells and the
    # typed columns would be copied whole, as their columns are chunked differently.
    verdicts = [cells[c].is_null() | typed[c].is_not_null() for c in typed_by_rule]
    return reduce(operator.and_, verdicts, text).alias("_cells_hold")


SHOWN_CHARS = 40  # an over-long cell's characters quoted in its error line


def _cell_errors(cells: pl.DataFrame, failures: pl.DataFrame) -> pl.DataFrame:
    """pandera failure cases (by frame position) to error rows (by file row).

    The error line quotes the cell; an over-long one (a length check) by its first SHOWN_CHARS
    characters and its length: `payroll_run_id 'RRRR...' (10000 characters) must be at most 128
    characters`. The `value` is the whole cell."""
    if failures.height == 0:
        return rules.no_errors()
    positions = cells.select(pl.col("row"), pl.int_range(pl.len(), dtype=pl.Int32).alias("index"))
    reasons = pl.DataFrame({"check": list(REASONS), "reason": list(REASONS.values())})
    frame = (
        failures.filter(pl.col("schema_context") == "Column")
        .join(positions, on="index", how="left")
        .join(reasons, on="check", how="left")
    )
    value = pl.col("failure_case")
    reason = pl.col("reason").fill_null(pl.col("check"))
    # An over-long cell is quoted by its start and its length: the error line stays readable.
    too_long = pl.col("check").is_in(list(LENGTH_CHECKS)) & (value.str.len_chars() > SHOWN_CHARS)
    quoted = (pl.when(too_long)
              .then(pl.format("'{}...' ({} characters)", value.str.slice(0, SHOWN_CHARS), value.str.len_chars()))
              .otherwise(pl.format("'{}'", value)))
    error = (
        pl.when(value.is_null())
        .then(pl.format("{} {}", pl.col("column"), reason))
        .otherwise(pl.format("{} {} {}", pl.col("column"), quoted, reason))
    )
    return frame.select("row", "column", value.alias("value"), error.alias("error"))


def _row_check_errors(cells: pl.DataFrame, failures: pl.DataFrame, only_row_rules: bool) -> pl.DataFrame:
    """PayrollRows failures: the dataframe-level rules, each naming one column."""
    if failures.height == 0:
        return rules.no_errors()
    positions = cells.with_row_index("index").with_columns(pl.col("index").cast(pl.Int32))
    checks = failures.filter(pl.col("check").is_in(list(DATAFRAME_CHECK_COLUMN)))
    out = []
    for check, column in DATAFRAME_CHECK_COLUMN.items():
        hit = checks.filter(pl.col("check") == check).select("index").join(positions, on="index")
        out.append(hit.select("row", pl.lit(column).alias("column"), pl.col(column).alias("value"),
                              pl.lit(REASONS[check]).alias("error")))
    if not only_row_rules:  # the typed contract failed where the cells passed: surface it, never hide it
        other = failures.filter(~pl.col("check").is_in(list(DATAFRAME_CHECK_COLUMN)))
        out.append(other.join(positions.select("index", "row"), on="index", how="left").select(
            "row", "column", pl.col("failure_case").alias("value"),
            pl.format("typed rows fail {}", pl.col("check")).alias("error")))
    return pl.concat(out)


def _sorted_errors(frames: list[pl.DataFrame], header: tuple[str, ...]) -> tuple[PayrollError, ...]:
    errors = pl.concat([f.cast(rules.ERROR_SCHEMA) for f in frames])
    if errors.height == 0:
        return ()
    order = pl.DataFrame({"column": list(header), "_pos": list(range(len(header)))},
                         schema={"column": pl.String, "_pos": pl.Int64})
    errors = errors.join(order, on="column", how="left", nulls_equal=False).sort(
        ["row", "_pos", "column", "error"], nulls_last=False
    )
    return tuple(PayrollError(*r) for r in errors.select("row", "column", "value", "error").iter_rows())


def _problems(problems: list[FileProblem]) -> tuple[PayrollError, ...]:
    return tuple(PayrollError(p.row, p.column, p.column if p.row == 0 else None, p.error) for p in problems)


def validate_payroll_file(
    data: bytes, book: PolicyBook, *, client_feins: frozenset[str] | None = None
) -> PayrollValidation:
    """Every error of the file, or its typed rated rows; never raises on any input bytes."""
    # hashlib releases the GIL on large buffers: hash in a thread while polars parses the bytes.
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        raw = read_payroll_csv(data)
        sha = digest.result()
    if isinstance(raw, list):
        return PayrollValidation(sha, 0, _problems(raw), None)
    return _validate_cells(sha, raw.cells, raw.header, raw.ragged, book, client_feins)


def _validate_cells(sha: str, cells: pl.DataFrame, header: tuple[str, ...], ragged: pl.DataFrame, book: PolicyBook,
                    client_feins: frozenset[str] | None) -> PayrollValidation:
    """The rules of the canonical format on trimmed text cells (`row` + canonical columns)."""
    if cells.height == 0:
        return PayrollValidation(sha, 0, (PayrollError(None, None, None, "the file has a header but no data rows"),), None)
    cells = cells.with_columns(
        [pl.lit(None, pl.String).alias(c) for c in ALL_COLUMNS if c not in cells.columns]
    ).select("row", *ALL_COLUMNS)

    ragged = ragged.select(
        "row", pl.lit(None, pl.String).alias("column"), pl.lit(None, pl.String).alias("value"),
        pl.format("the record has {} fields; the header has {}", pl.col("fields"), pl.lit(len(header))).alias("error"),
    )
    fitting = fitting_text_columns(cells)
    typed = typed_rows(cells, fitting)
    holds = cells_hold(cells, typed, fitting)
    cell_report = validate_payroll_cells(cells, holds=holds)
    row_report = validate_payroll_rows(typed, cells_hold=holds)
    rate_errors, rating = rules.rate_rows(typed, book)
    frames = [
        ragged,
        _cell_errors(cells, cell_report.failure_cases),
        _row_check_errors(cells, row_report.failure_cases, only_row_rules=not cell_report.passed or ragged.height > 0),
        rate_errors,
        rules.duplicate_keys(cells, typed["employer_fein"]),
        rules.run_field_conflicts(typed, cells),
    ]
    if client_feins is not None:
        frames.append(rules.foreign_employers(typed, cells, client_feins))
    errors = _sorted_errors(frames, header)
    if errors:
        return PayrollValidation(sha, cells.height, errors, None)
    rated = typed.join(rating, on="row", how="left").select(RATED_COLUMNS)
    return PayrollValidation(sha, cells.height, (), rated)


def validate_mapped_file(
    data: bytes, profile, book: PolicyBook, *, client_feins: frozenset[str] | None = None,
    roster: pl.DataFrame | None = None, roster_versions: str | None = None, file_name: str = "",
) -> PayrollValidation:
    """A payroll company's file read through its mapping profile (`paygo.payroll.mapping`), then
    every rule of the canonical format; never raises on any input bytes. The canonical profile is
    `validate_payroll_file` itself (the same path, the same errors). Errors name the column as the
    company named it, with the canonical column in `canonical`; a cell the mapping already
    refused is not reported again by the canonical rules. `roster_versions` is recorded as given."""
    from paygo.payroll.mapping import map_payroll

    if profile.is_canonical:
        result = validate_payroll_file(data, book, client_feins=client_feins)
        return PayrollValidation(result.file_sha256, result.rows, result.errors, result.rated_rows,
                                 mapping=profile.label)
    with ThreadPoolExecutor(max_workers=1) as pool:
        digest = pool.submit(lambda: hashlib.sha256(data).hexdigest())
        mapped = map_payroll(data, profile, file_name=file_name, roster=roster)
        sha = digest.result()
    used_roster = roster_versions if roster is not None and "(roster)" in mapped.source_names.values() else None
    label = profile.label
    found = mapped.errors
    if mapped.cells is None or found.filter(pl.col("row").is_null() | (pl.col("row") == 0)).height:
        return PayrollValidation(sha, 0, _mapped_errors(found, (), mapped.source_names), None, label, used_roster)
    cells = mapped.cells.with_columns(
        [pl.lit(None, pl.String).alias(c) for c in ALL_COLUMNS if c not in mapped.cells.columns])
    canonical = _validate_cells(sha, cells.select("row", *ALL_COLUMNS), mapped.header,
                                pl.DataFrame(schema={"row": pl.Int64, "fields": pl.Int64}), book, client_feins)
    names = mapped.source_names
    more = pl.DataFrame(
        [(e.row, names.get(e.column, e.column) if e.column else None, e.value, e.error, e.column)
         for e in canonical.errors], schema=found.schema, orient="row")
    if mapped.explained is not None and mapped.explained.height:  # a refused cell reads empty: not news
        more = more.join(mapped.explained, on=["row", "canonical"], how="anti")
    errors = _mapped_errors(pl.concat([found, more]), mapped.header, names)
    if errors:
        return PayrollValidation(sha, canonical.rows, errors, None, label, used_roster)
    return PayrollValidation(sha, canonical.rows, (), canonical.rated_rows, label, used_roster)


def _mapped_errors(frame: pl.DataFrame, header: tuple[str, ...], names: dict[str, str]) -> tuple[PayrollError, ...]:
    if frame.height == 0:
        return ()
    order = pl.DataFrame({"canonical": list(header), "_pos": list(range(len(header)))},
                         schema={"canonical": pl.String, "_pos": pl.Int64})
    frame = frame.join(order, on="canonical", how="left").sort(["row", "_pos", "column", "error"], nulls_last=False)
    return tuple(PayrollError(r, c, v, e, k) for r, c, v, e, k in
                 frame.select("row", "column", "value", "error", "canonical").iter_rows())
