"""Row rules that need the policies or other rows: each returns an error frame.

Rules (spec/payroll-file.md, "Row rules" and "Which column an error names"): the policy exists
(`policy_number`), belongs to the row's FEIN (`employer_fein`) and is in force on pay_date
(`pay_date`); it has a net rate for (state, class_code) on pay_date (`class_code`, not reported
when the state, the policy or the date already failed); the key (employer_fein, payroll_run_id,
employee_id, state, class_code) appears once (the later rows, `employee_id`); all rows of one
(employer, run) share run_type, pay_date and period (each row differing from the run's first
row, the differing field); an SFTP upload bills only the uploading company's clients. Example:
rows 1 and 4 both `123456789,R1,E7,CA,8810` -> one error, row 4, column employee_id.
An error frame has columns row (Int64), column, value, error (String).
"""

import polars as pl

from paygo.payroll.columns import RUN_FIELDS
from paygo.payroll.policies import PolicyBook

ERROR_SCHEMA = {"row": pl.Int64, "column": pl.String, "value": pl.String, "error": pl.String}


def no_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_SCHEMA)


def _errors(frame: pl.DataFrame, column: str, error: pl.Expr, value: str | None = None) -> pl.DataFrame:
    return frame.select(
        pl.col("row"),
        pl.lit(column, pl.String).alias("column"),
        pl.col(value or column).cast(pl.String).alias("value"),
        error.alias("error"),
    )


def _anniversary(anchor: pl.Expr, year: pl.Expr) -> pl.Expr:
    """anchor's anniversary in `year`; 29 February falls on 28 February in common years."""
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month, day = anchor.dt.month(), anchor.dt.day()
    day = pl.when((month == 2) & (day == 29) & ~leap).then(28).otherwise(day)
    return pl.date(year, month, day)


def policy_year_start(anchor: pl.Expr, on: pl.Expr) -> pl.Expr:
    """Start of the policy year containing `on`, vectorised `policies.policy_year_start`."""
    this_year = _anniversary(anchor, on.dt.year())
    return pl.when(this_year <= on).then(this_year).otherwise(_anniversary(anchor, on.dt.year() - 1))


def rate_rows(typed: pl.DataFrame, book: PolicyBook) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(errors, rating): rating has row, net_rate, carrier_id, policy_year_start for rated rows.

    `typed` holds row, employer_fein (null when malformed), policy_number, pay_date, state and
    class_code (null when malformed or monopolistic). Every lookup depends only on those five
    values, so the rules run once per distinct combination (a few thousand in a million-row
    file) and the results join back to the rows by that key.
    """
    rates = book.rates_frame()
    key = ["employer_fein", "policy_number", "pay_date", "state", "class_code"]
    rows = typed.select("row", *key)
    keyed = rows.select(key).unique().join(book.policies_frame(), on="policy_number", how="left")

    dated = keyed.select("policy_number", "pay_date").drop_nulls().unique()
    in_force = (
        dated.join(rates.select("policy_number", "effective_date", "expiration_date"), on="policy_number")
        .filter((pl.col("effective_date") <= pl.col("pay_date")) & (pl.col("pay_date") < pl.col("expiration_date")))
        .select("policy_number", "pay_date")
        .unique()
        .with_columns(pl.lit(True).alias("in_force"))
    )
    keys = ["policy_number", "state", "class_code", "pay_date"]
    wanted = keyed.select(keys).drop_nulls().unique()
    rated = (
        wanted.join(rates, on=["policy_number", "state", "class_code"])
        .filter((pl.col("effective_date") <= pl.col("pay_date")) & (pl.col("pay_date") < pl.col("expiration_date")))
        .select(*keys, "net_rate")
    )
    keyed = (
        keyed.join(in_force, on=["policy_number", "pay_date"], how="left")
        .join(rated, on=keys, how="left")
        .with_columns(pl.col("in_force").fill_null(False))
    )
    known = pl.col("policy_fein").is_not_null()
    fein_differs = known & pl.col("employer_fein").is_not_null() & (pl.col("employer_fein") != pl.col("policy_fein"))
    not_in_force = known & pl.col("pay_date").is_not_null() & ~pl.col("in_force")
    rateable = known & ~fein_differs & pl.col("in_force") & pl.col("state").is_not_null() & pl.col("class_code").is_not_null()

    def rows_where(flag: pl.Expr) -> pl.DataFrame:
        bad = keyed.filter(flag)
        if bad.height == 0:
            return rows.head(0).join(bad, on=key, how="inner", nulls_equal=True)
        return rows.join(bad, on=key, how="inner", nulls_equal=True)

    errors = [
        _errors(rows_where(~known & pl.col("policy_number").is_not_null()), "policy_number",
                pl.format("policy {} is not in the policies", pl.col("policy_number"))),
        _errors(rows_where(fein_differs), "employer_fein",
                pl.format("policy {} belongs to employer FEIN {}, not {}",
                          pl.col("policy_number"), pl.col("policy_fein"), pl.col("employer_fein"))),
        _errors(rows_where(not_in_force), "pay_date",
                pl.format("policy {} is not in force on {}", pl.col("policy_number"), pl.col("pay_date"))),
        _errors(rows_where(rateable & pl.col("net_rate").is_null()), "class_code",
                pl.format("policy {} has no net rate for class {} in {} on {}",
                          pl.col("policy_number"), pl.col("class_code"), pl.col("state"), pl.col("pay_date"))),
    ]
    rated_keys = keyed.filter(pl.col("net_rate").is_not_null()).select(
        *key, "net_rate", "carrier_id",
        policy_year_start(pl.col("anchor_date"), pl.col("pay_date")).alias("policy_year_start"),
    )
    rating = rows.join(rated_keys, on=key, how="inner", nulls_equal=True).select(
        "row", "net_rate", "carrier_id", "policy_year_start")
    return pl.concat(errors), rating


def duplicate_keys(cells: pl.DataFrame, feins: pl.Series | None = None) -> pl.DataFrame:
    """The second and later rows of one (employer_fein, payroll_run_id, employee_id, state, class_code).

    The FEIN counts without its dash. `feins`, when given, is the FEIN column typed from these
    cells (`paygo.payroll.cells.fein`: the 9 digits, null when malformed), which saves removing
    the dashes again. The usual file has no repeated key, which one distinct count of a 64-bit
    hash of the five cells proves (about 3x cheaper than building a million joined strings).
    Otherwise the five cells are joined into one text key with NUL between them: a payroll file
    holding a NUL byte is rejected before its cells exist, so the joined key is one-to-one with
    the five cells.
    """
    fein = pl.col("employer_fein").str.replace("-", "", literal=True)
    keys = [fein, pl.col("payroll_run_id"), pl.col("employee_id"), pl.col("state"), pl.col("class_code")]
    parts = ("employer_fein", "payroll_run_id", "employee_id", "state", "class_code")
    if cells.height and not any(cells[c].null_count() for c in parts):
        # The usual file: every row has a key. Equal keys have equal hashes, so as many distinct
        # 64-bit hashes as rows proves every key distinct (a collision only sends us on below).
        # A well-formed FEIN types to its text without the dash: use the typed column if whole.
        hashed = keys if feins is None or feins.null_count() else [pl.lit(feins), *keys[1:]]
        if cells.lazy().select(pl.struct(hashed).hash(0).n_unique()).collect().item() == cells.height:
            return no_errors()
    key = pl.concat_str(keys, separator="\x00")  # null when any part is null: such rows have no key
    distinct, nulls, total = cells.lazy().select(key.n_unique().alias("d"), key.null_count().alias("n"), pl.len()).collect().row(0)
    if distinct - (nulls > 0) == total - nulls:  # no repeated key: one exact distinct count suffices
        return no_errors()
    keyed = cells.lazy().select("row", key.alias("_key")).filter(pl.col("_key").is_not_null())
    dup = keyed.filter(~pl.col("_key").is_first_distinct()).collect()
    firsts = keyed.join(dup.lazy().select("_key").unique(), on="_key", how="semi").group_by("_key").agg(
        pl.col("row").min().alias("first_row")).collect()
    dup = dup.join(firsts, on="_key", how="left").join(cells.select("row", "employee_id"), on="row", how="left")
    return _errors(dup, "employee_id", pl.format(
        "repeats row {}: (employer_fein, payroll_run_id, employee_id, state, class_code) must appear once per file",
        pl.col("first_row")))


def run_field_conflicts(typed: pl.DataFrame, cells: pl.DataFrame) -> pl.DataFrame:
    """Rows whose run_type, pay_date or period differs from the first row of their (employer, run)."""
    run = ["employer_fein", "payroll_run_id"]
    # The usual file: within each run every field has one value (nulls aside), which the run's
    # smallest and largest value being equal proves in one group_by, cheaper than the windows
    # below. (Rows without a key group together here: a spread among them only costs the exact
    # path, which leaves them out.)
    extremes = [pl.col(f).min().alias(f"_min_{f}") for f in RUN_FIELDS]
    extremes += [pl.col(f).max().alias(f"_max_{f}") for f in RUN_FIELDS]
    spread = pl.any_horizontal([pl.col(f"_min_{f}") != pl.col(f"_max_{f}") for f in RUN_FIELDS]).any()
    if not typed.lazy().group_by(run).agg(extremes).select(spread).collect().item():
        return no_errors()
    frame = typed.select("row", *run, *RUN_FIELDS).filter(
        pl.col("employer_fein").is_not_null() & pl.col("payroll_run_id").is_not_null()
    )
    firsts = frame.with_columns(
        [pl.col(f).first().over(run).alias(f"_first_{f}") for f in RUN_FIELDS]
        + [pl.col("row").first().over(run).alias("_first_row")]
    )
    texts = cells.select("row", *[pl.col(f).alias(f"_text_{f}") for f in RUN_FIELDS])
    out = []
    for f in RUN_FIELDS:
        differs = firsts.filter(
            pl.col(f).is_not_null() & pl.col(f"_first_{f}").is_not_null() & (pl.col(f) != pl.col(f"_first_{f}"))
        )
        if differs.height == 0:
            continue
        differs = differs.join(texts, on="row", how="left")  # value: the cell as written (empty run_type: null)
        out.append(_errors(differs, f, pl.format(
            "{} {} differs from {} on row {}, the first row of run {} of employer {}",
            pl.lit(f), pl.col(f).cast(pl.String), pl.col(f"_first_{f}").cast(pl.String),
            pl.col("_first_row"), pl.col("payroll_run_id"), pl.col("employer_fein")), value=f"_text_{f}"))
    return pl.concat(out) if out else no_errors()


def foreign_employers(typed: pl.DataFrame, cells: pl.DataFrame, client_feins: frozenset[str]) -> pl.DataFrame:
    """Rows of employers that are not clients of the payroll company that uploaded the file."""
    bad = typed.filter(
        pl.col("employer_fein").is_not_null() & ~pl.col("employer_fein").is_in(sorted(client_feins))
    ).select("row", pl.col("employer_fein").alias("fein9")).join(cells.select("row", "employer_fein"), on="row")
    return _errors(bad, "employer_fein", pl.format(
        "employer {} is not one of the uploading payroll company's clients", pl.col("fein9")))
