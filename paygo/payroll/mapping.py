"""Mapping a payroll company's file to canonical payroll cells, before validation, in polars.

Rules (docs/payroll-mappings.md): the header is the first row, from the profile's `skip_rows`
on, that holds a header of every required column the profile maps by name; the rows above it
are the preamble (`"Pay day","06/06/2025"`: a label and its value). Header names match the
profile case- and space-insensitively; columns are matched by name, never by position. A data
row's number is its position after the header (the header is row 0), as in the canonical file.

- Text columns: the profile's value maps apply (`"Yes" -> "true"`), dates are rewritten
  `YYYY-MM-DD` from the profile's date format (in a workbook, a date cell and a date stored as a
  serial number such as 45814 are read too), fixed and derived values are added.
- Money: each cell is read in the profile's notation (`$1,290.08`, `(45.23)` where negatives
  are allowed) to integer cents, exactly: a workbook's number cell is the shortest decimal
  that reads back as the same binary number (`1290.08`), and one that is not a whole number of
  cents (`1290.075`) is refused. Long layouts (one row per pay component) and code/amount
  pairs (`Earnings 3 Code`, `Earnings 3 Amount`) give (row, code, cents) rows; codes map to pay
  columns and the cents are summed per pay (a pivot): a long layout's rows with the same text
  columns are one pay, numbered by its first row. A pay column summing below zero is an error.
- What no column gives, the roster gives: state, class code and officer flag of the employee's
  assignment on the pay date (`paygo.payroll.roster`).

Errors name the row and the column as the company named it (`source_names`: canonical ->
label), with the canonical name beside it. Example: with the ADP WC report profile, a cell
`8l10` in `COMP CODE` on row 4 is (4, "COMP CODE", "8l10", "...") with canonical `class_code`.
Unknown columns carrying money, two headers for one column, a required column nothing gives,
an earning code the profile does not map: each an error naming the header or the code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import polars as pl

from paygo.billing.money import MAX_CENTS
from paygo.payroll.columns import ALL_COLUMNS, DATE_COLUMNS, MONEY_COLUMNS, REQUIRED_COLUMNS
from paygo.payroll.profile import DATE_FORMATS, IGNORE, PERIOD, TEXT_COLUMNS, Profile, normalize_header
from paygo.payroll.sheets import Grid, GridError, read_grid

ERRORS = {"row": pl.Int64, "column": pl.String, "value": pl.String, "error": pl.String, "canonical": pl.String}
HEADER_SEARCH_ROWS = 100
MAX_CELL_CHARS = 1000  # longer cells in a mapped column are refused (the longest canonical text is 128)
SHOWN = 40
ROSTER_COLUMNS = ("state", "class_code", "is_officer")
# A header that names money, or a cell that looks like money: such a column may not be dropped silently.
MONEY_HEADER = re.compile(r"pay|wage|earn|amount|amt|gross|tip|bonus|commission|salary|overtime|\bot\b|"
                          r"reimb|allowance|severance|holiday|vacation|sick|pto|\$", re.I)
MONEY_CELL = r"^\(?-?\$?-?[0-9][0-9,]*\.[0-9]{2}\)?$|^\(?-?\$"
EXCEL_NUMBER = r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$"
EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 in Excel's 1900 date system (after its leap-day bug)


@dataclass(frozen=True)
class MappedPayroll:
    cells: pl.DataFrame | None  # `row` + canonical text columns (None when a file-level error stops mapping)
    header: tuple[str, ...]  # canonical columns in the order their sources stand in the file
    source_names: dict[str, str]  # canonical column -> the company's header (or "(fixed in profile)", ...)
    errors: pl.DataFrame  # ERRORS: row (0 = header, null = file), column as the company named it, canonical
    rows: int = 0  # data rows that are not blank, not dropped
    # (row, canonical) already explained by a mapping error (a roster miss explains state and class
    # code): the canonical rules' "is required and is empty" there is not news
    explained: pl.DataFrame | None = None


@dataclass
class _Errors:
    frames: list[pl.DataFrame] = field(default_factory=list)

    def add(self, row: int | None, column: str | None, value: str | None, error: str,
            canonical: str | None = None) -> None:
        self.frames.append(pl.DataFrame([(row, column, value, error, canonical)], schema=ERRORS, orient="row"))

    def frame(self, frame: pl.DataFrame) -> None:
        if frame.height:
            self.frames.append(frame.select(list(ERRORS)).cast(ERRORS))

    def all(self) -> pl.DataFrame:
        return pl.concat(self.frames) if self.frames else pl.DataFrame(schema=ERRORS)


def _fail(errors: _Errors, names: dict[str, str] | None = None) -> MappedPayroll:
    return MappedPayroll(None, (), names or {}, errors.all())


def _quote(text: str) -> str:
    return f"'{text[:SHOWN]}...' ({len(text):,} characters)" if len(text) > SHOWN else f"'{text}'"


def _find_header(top: list[tuple], profile: Profile) -> int | None:
    """Index in `top` of the header row: the first (from skip_rows) naming every required column
    the profile maps by header (one alias each), and the code and amount columns of a long layout."""
    groups: dict[str, set[str]] = {}
    for header, canonical in profile.columns.items():
        if canonical in REQUIRED_COLUMNS:
            groups.setdefault(canonical, set()).add(normalize_header(header))
    needed = list(groups.values())
    if profile.layout == "long":
        needed += [{normalize_header(profile.code_column)}, {normalize_header(profile.amount_column)}]
    if not needed:
        needed = [{normalize_header(h) for h in profile.columns}] if profile.columns else []
    for i in range(profile.skip_rows, len(top)):
        names = {normalize_header(c) for c in top[i][1:] if c}
        if names and all(alias & names for alias in needed):
            return i
    return None


def _preamble(top: list[tuple], header_at: int, profile: Profile) -> dict[str, tuple[str, str]]:
    """canonical column (or PERIOD) -> (label as written, value) from the rows above the header."""
    wanted = {normalize_header(k).rstrip(":"): v for k, v in profile.preamble.items()}
    found = {}
    for record in top[:header_at]:
        cells = [c for c in record[1:] if c]
        if len(cells) >= 2:
            label = normalize_header(cells[0]).rstrip(":")
            if label in wanted and wanted[label] not in found:
                found[wanted[label]] = (cells[0], cells[1])
    return found


def _pair_pattern(template: str) -> re.Pattern:
    return re.compile("^" + re.escape(normalize_header(template)).replace(r"\{n\}", "([0-9]+)") + "$")


def money_cents(text: pl.Expr, profile: Profile, excel: bool) -> tuple[pl.Expr, pl.Expr]:
    """(signed Int64 cents or null, True where a non-empty cell is not money in this notation)."""
    t = text
    if excel:  # a number cell: its shortest round-trip decimal (12345678901234.560546875 -> 12345678901234.56)
        t = pl.when(t.str.contains(EXCEL_NUMBER)).then(t.cast(pl.Float64, strict=False).cast(pl.String)).otherwise(t)
    negative = pl.lit(False)
    body = t
    if profile.negatives == "parentheses":
        negative = t.str.starts_with("(") & t.str.ends_with(")")
        body = pl.when(negative).then(t.str.slice(1, t.str.len_chars() - 2)).otherwise(t)
    elif profile.negatives == "minus":
        negative = t.str.starts_with("-") | t.str.starts_with("$-")
        body = t.str.replace(r"^(\$?)-", "$1")
    if profile.money_format == "us" or excel:
        body = body.str.strip_prefix("$")
        grouped = body.str.contains(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]{1,2})?$")
        body = pl.when(grouped).then(body.str.replace_all(",", "", literal=True)).otherwise(body)
    if excel:  # 5.0 is how a whole-number cell reads back
        body = body.str.replace(r"^([0-9]+)\.0$", "$1")
    ok = body.str.contains(r"^[0-9]+(\.[0-9]{1,2})?$")
    hundredths = body.str.to_decimal(scale=2).to_physical()
    fits = ok & (hundredths <= MAX_CENTS)
    magnitude = pl.when(fits).then(hundredths.cast(pl.Int64)).otherwise(pl.lit(None, pl.Int64))
    cents = pl.when(negative).then(-magnitude).otherwise(magnitude)
    return cents, text.is_not_null() & ~fits.fill_null(False)


def _money_reason(profile: Profile) -> str:
    shown = {"plain": "1290.08", "us": "1290.08, 1,290.08 or $1,290.08"}[profile.money_format]
    neg = {"none": "", "minus": "; a negative amount -45.23", "parentheses": "; a negative amount (45.23)"}
    return f"is not money written {shown}{neg[profile.negatives]} (at most two decimals: whole cents)"


def _dates(frame: pl.DataFrame, column: str, profile: Profile, excel: bool) -> tuple[pl.Expr, pl.DataFrame]:
    """An expression giving the column as `YYYY-MM-DD` text (null when unreadable), parsed once per
    distinct text, and the distinct texts it could not read."""
    texts = frame.select(pl.col(column).drop_nulls().unique()).to_series()
    fmt = DATE_FORMATS[profile.date_format]
    t = pl.col("t")
    parsed = t.str.to_date(fmt, strict=False)
    if excel:
        serial = t.str.contains(r"^[0-9]{1,7}(\.0+)?$")
        days = t.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
        parsed = (pl.when(parsed.is_not_null()).then(parsed)
                  .when(t.str.contains(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}( 00:00:00)?$"))
                  .then(t.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False))
                  .when(serial & (days >= 1) & (days <= 2958465))
                  .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=days)))
    table = pl.DataFrame({"t": texts}).with_columns(parsed.dt.strftime("%Y-%m-%d").alias("iso"))
    expr = pl.col(column).replace_strict(table["t"], table["iso"], default=None, return_dtype=pl.String)
    return expr, table.filter(pl.col("iso").is_null())


def map_payroll(data: bytes, profile: Profile, *, file_name: str = "", roster: pl.DataFrame | None = None
                ) -> MappedPayroll:
    """The file's canonical cells and every mapping error (see the module docstring); never raises on
    any input bytes. `roster`: `paygo.payroll.roster` assignments, or None when there are none."""
    errors = _Errors()
    try:
        grid = read_grid(data, profile.kind, profile.sheet)
    except GridError as exc:
        errors.add(None, None, None, str(exc))
        return _fail(errors)
    try:
        return _map_grid(grid, profile, file_name, roster, errors)
    except Exception as exc:  # noqa: BLE001  never a traceback for the company: the file is refused whole
        found = _Errors()
        found.add(None, None, None, f"the file could not be mapped with profile {profile.id!r} "
                                    f"({type(exc).__name__}: {str(exc)[:200]}); nothing was billed")
        return _fail(found)


def _map_grid(grid: Grid, profile: Profile, file_name: str, roster: pl.DataFrame | None,
              errors: _Errors) -> MappedPayroll:
    cells = grid.cells
    top = cells.head(profile.skip_rows + HEADER_SEARCH_ROWS).rows()
    at = _find_header(top, profile)
    if at is None:
        need = sorted({h for h, c in profile.columns.items() if c in REQUIRED_COLUMNS})
        errors.add(None, None, None, f"no header row found in the first {profile.skip_rows + HEADER_SEARCH_ROWS} "
                                     f"rows: the profile {profile.id!r} expects a row naming "
                                     f"{', '.join(repr(h) for h in need) or 'its columns'}")
        return _fail(errors)
    header_line = top[at][0]
    header = [c or "" for c in top[at][1:]]
    preamble = _preamble(top, at, profile)
    body = cells.filter(pl.col("line") > header_line).with_columns((pl.col("line") - header_line).alias("row"))
    body = body.drop("line")

    # --- classify the header's columns
    by_name = {normalize_header(k): v for k, v in profile.columns.items()}
    ignored = {normalize_header(h) for h in profile.ignore if "{n}" not in h}
    ignored_patterns = [_pair_pattern(h) for h in profile.ignore if "{n}" in h]
    totals = {normalize_header(h): parts for h, parts in profile.totals.items()}
    code_col = normalize_header(profile.code_column) if profile.code_column else None
    amount_col = normalize_header(profile.amount_column) if profile.amount_column else None
    code_pat = _pair_pattern(profile.code_header) if profile.code_header else None
    amount_pat = _pair_pattern(profile.amount_header) if profile.amount_header else None
    sources: dict[str, list[tuple[str, str]]] = {}  # canonical -> [(grid column, header as written)]
    pairs: dict[int, dict[str, tuple[str, str]]] = {}
    total_cols: list[tuple[str, str, tuple[str, ...]]] = []
    long_cols: dict[str, tuple[str, str]] = {}
    seen: dict[str, str] = {}
    unknown: list[tuple[str, str, int]] = []
    for position, name in enumerate(header):
        col, norm = f"c{position}", normalize_header(name)
        if not norm:
            unknown.append((col, "", position + 1))
            continue
        if any(p.match(norm) for p in ignored_patterns):
            ignored.add(norm)
        if norm in seen and norm not in ignored:
            errors.add(0, name, name, f"header {name!r} appears more than once (also {seen[norm]!r})")
            continue
        seen[norm] = name
        if norm in ignored:
            continue
        if norm in by_name:
            sources.setdefault(by_name[norm], []).append((col, name))
        elif norm in totals:
            total_cols.append((col, name, totals[norm]))
        elif norm == code_col and profile.layout == "long":
            long_cols["code"] = (col, name)
        elif norm == amount_col and profile.layout == "long":
            long_cols["amount"] = (col, name)
        elif profile.layout == "pairs" and code_pat.match(norm):
            pairs.setdefault(int(code_pat.match(norm).group(1)), {})["code"] = (col, name)
        elif profile.layout == "pairs" and amount_pat.match(norm):
            pairs.setdefault(int(amount_pat.match(norm).group(1)), {})["amount"] = (col, name)
        else:
            unknown.append((col, name, position + 1))
    for canonical, found in sources.items():
        if len(found) > 1:
            names = " and ".join(repr(n) for _, n in found)
            errors.add(0, found[1][1], found[1][1], f"headers {names} both map to {canonical}; keep one, or list "
                                                    "the other under ignore", canonical)
    for n, pair in sorted(pairs.items()):
        for part in ("code", "amount"):
            if part not in pair:
                other = pair["amount" if part == "code" else "code"][1]
                errors.add(0, other, other, f"{other!r} has no matching {part} column (pair {n})")

    # --- which non-empty rows are kept: blank records and the profile's dropped rows go
    used = [c for found in sources.values() for c, _ in found] + [c for c, _ in long_cols.values()] + \
        [c for p in pairs.values() for c, _ in p.values()] + [c for c, _, _ in total_cols]
    if not used:
        errors.add(0, None, None, f"no column of the file is mapped by the profile {profile.id!r}")
        return _fail(errors)
    drop = pl.all_horizontal([pl.col(c).is_null() for c in used])
    for rule in profile.drop_rows:
        col = next((f"c{i}" for i, h in enumerate(header) if normalize_header(h) == normalize_header(rule.column)),
                   None)
        if col is None:
            continue
        if rule.equals is not None:
            drop = drop | (pl.col(col) == rule.equals).fill_null(False)
        if rule.starts_with is not None:
            drop = drop | pl.col(col).str.starts_with(rule.starts_with).fill_null(False)
    repeated = pl.all_horizontal([(pl.col(c) == header[int(c[1:])]).fill_null(False) for c in used])
    body = body.filter(~(drop | repeated))

    for col, name, position in unknown:
        holds = body.select(pl.col(col).is_not_null().any()).item() if col in body.columns else False
        if not name and holds:
            errors.add(0, None, None, f"header column {position} has no name but holds values (a merged header "
                                      "cell?): name it, or map the columns above it one by one")
        elif name and (MONEY_HEADER.search(name) or (holds and body.select(
                pl.col(col).str.contains(MONEY_CELL).fill_null(False).any()).item())):
            errors.add(0, name, name, f"column {name!r} carries money but the profile {profile.id!r} neither maps "
                                      "it nor lists it under ignore: money is never dropped silently")

    # --- where each canonical column comes from, as the company would name it
    names: dict[str, str] = {c: found[0][1] for c, found in sources.items()}
    for canonical, (label, _) in preamble.items():
        if canonical == PERIOD:
            names.setdefault("period_start", f"{label} (preamble)")
            names.setdefault("period_end", f"{label} (preamble)")
        else:
            names.setdefault(canonical, f"{label} (preamble)")
    for canonical in profile.fixed:
        names.setdefault(canonical, "(fixed in profile)")
    for canonical, template in profile.derived.items():
        names.setdefault(canonical, f"(derived: {template})")
    coded = sorted({v for v in profile.codes.values() if v != IGNORE})
    if profile.layout == "long" and "amount" in long_cols:
        for canonical in coded:
            names.setdefault(canonical, f"{long_cols['amount'][1]} [{long_cols['code'][1]}]"
                             if "code" in long_cols else long_cols["amount"][1])
    if profile.layout == "pairs" and pairs:
        label = profile.amount_header.replace("{n}", "n")
        for canonical in coded:
            names.setdefault(canonical, label)
    # The roster is used when the file gives no state or no class code (is_officer alone defaults to false).
    missing_roster = [c for c in ROSTER_COLUMNS if c not in names]
    if not {"state", "class_code"} & set(missing_roster):
        missing_roster = []
    if roster is not None:
        for c in missing_roster:
            names[c] = "(roster)"
    for canonical in REQUIRED_COLUMNS:
        if canonical not in names:
            hint = " and no roster supplies it" if canonical in ROSTER_COLUMNS else ""
            errors.add(0, canonical, None, f"the profile {profile.id!r} maps nothing to required column "
                                           f"{canonical!r}{hint}", canonical)
    if profile.layout == "long" and len(long_cols) < 2:
        for part, wanted in (("code", profile.code_column), ("amount", profile.amount_column)):
            if part not in long_cols:
                errors.add(0, wanted, None, f"the file has no {part} column {wanted!r}")
    if errors.frames:
        return _fail(errors, names)

    # --- text columns: value maps, dates, fixed, preamble, derived
    too_long, exprs = [], []
    text_sources = [(k, v[0]) for k, v in sources.items() if k in TEXT_COLUMNS]
    for canonical, (col, name) in text_sources:
        too_long.append(body.filter(pl.col(col).str.len_chars() > MAX_CELL_CHARS).select(
            "row", pl.lit(name).alias("column"), pl.col(col).alias("value"),
            pl.format("'{}...' is longer than {} characters", pl.col(col).str.slice(0, SHOWN),
                      pl.lit(MAX_CELL_CHARS)).alias("error"), pl.lit(canonical).alias("canonical")))
        expr = pl.when(pl.col(col).str.len_chars() <= MAX_CELL_CHARS).then(pl.col(col))
        if canonical in profile.values:
            table = profile.values[canonical]
            expr = expr.replace(list(table), list(table.values()))
        exprs.append(expr.alias(canonical))
    out = body.select("row", *exprs)
    for canonical, (col, name) in text_sources:
        if canonical in DATE_COLUMNS:
            iso, bad = _dates(out, canonical, profile, grid.excel)
            if bad.height:
                wrong = out.join(bad.select(pl.col("t").alias(canonical)), on=canonical, how="semi")
                errors.frame(wrong.select("row", pl.lit(name).alias("column"), pl.col(canonical).alias("value"),
                                          pl.format("'{}' is not a date written {}", pl.col(canonical),
                                                    pl.lit(profile.date_format)).alias("error"),
                                          pl.lit(canonical).alias("canonical")))
            out = out.with_columns(iso.alias(canonical))
    for frame in too_long:
        errors.frame(frame)
    constants: dict[str, str] = dict(profile.fixed)
    for canonical, (label, value) in preamble.items():
        parts = [value] if canonical != PERIOD else [v.strip() for v in re.split(r"\s+(?:-|–|to)\s+", value, 1)]
        targets = [canonical] if canonical != PERIOD else ["period_start", "period_end"]
        if len(parts) != len(targets):
            errors.add(None, f"{label} (preamble)", value, f"'{value}' is not a period written "
                                                            f"{profile.date_format} - {profile.date_format}")
            continue
        for target, text in zip(targets, parts):
            if target in DATE_COLUMNS:
                one = pl.DataFrame({target: [text]})
                iso, bad = _dates(one, target, profile, grid.excel)
                if bad.height:
                    errors.add(None, f"{label} (preamble)", text, f"'{text}' is not a date written "
                                                                   f"{profile.date_format}", target)
                    continue
                text = one.select(iso).item()
            constants.setdefault(target, text)
    out = out.with_columns([pl.lit(v, pl.String).alias(k) for k, v in constants.items() if k not in out.columns])
    stem = re.sub(r"\.[^.]*$", "", file_name.rsplit("/", 1)[-1])
    for canonical, template in profile.derived.items():
        parts = re.split(r"\{([^}]*)\}", template)
        exprs = [pl.lit(p) if i % 2 == 0 else (pl.lit(stem) if p == "file_stem" else pl.col(p))
                 for i, p in enumerate(parts) if p or i % 2]
        if any(i % 2 and p != "file_stem" and p not in out.columns for i, p in enumerate(parts)):
            errors.add(0, f"(derived: {template})", None, f"derived {canonical} uses a column nothing gives",
                       canonical)
            continue
        out = out.with_columns(pl.concat_str(exprs).alias(canonical))

    # --- money: (row, canonical, cents, label) from wide columns, pairs, or the long layout
    pieces, money_errors = [], []
    reason = _money_reason(profile)

    def read_money(col: str, label: str, canonical: pl.Expr, frame: pl.DataFrame) -> pl.DataFrame:
        cents, bad = money_cents(pl.col(col), profile, grid.excel)
        money_errors.append(frame.filter(bad).select(
            "row", pl.lit(label).alias("column"), pl.col(col).alias("value"),
            pl.format("'{}' {}", pl.col(col).str.slice(0, SHOWN), pl.lit(reason)).alias("error"),
            canonical.alias("canonical")))
        return frame.filter(pl.col(col).is_not_null()).select("row", canonical.alias("canonical"),
                                                               cents.alias("cents"), pl.lit(label).alias("label"))

    for canonical, [(col, name)] in ((k, v) for k, v in sources.items() if k in MONEY_COLUMNS):
        pieces.append(read_money(col, name, pl.lit(canonical), body))
    code_amount_columns = []
    if profile.layout == "long":
        code_amount_columns.append((long_cols["code"], long_cols["amount"]))
    for _, pair in sorted(pairs.items()):
        code_amount_columns.append((pair["code"], pair["amount"]))
    codes = pl.DataFrame({"code": [k.strip().upper() for k in profile.codes],
                          "canonical": list(profile.codes.values())})
    for (code_col_, code_name), (amount_col_, amount_name) in code_amount_columns:
        frame = body.select("row", pl.col(code_col_).alias("code"), pl.col(amount_col_).alias("amount"))
        frame = frame.filter(pl.col("code").is_not_null() | pl.col("amount").is_not_null())
        frame = frame.join(codes, left_on=pl.col("code").str.to_uppercase(), right_on="code", how="left",
                           maintain_order="left").drop("code_right", strict=False)
        money_errors.append(frame.filter(pl.col("code").is_not_null() & pl.col("canonical").is_null()).select(
            "row", pl.lit(code_name).alias("column"), pl.col("code").alias("value"),
            pl.format("earning code '{}' has no mapping in the profile's [codes]: map it to a pay column, or to "
                      "\"ignore\" when it is not pay", pl.col("code").str.slice(0, SHOWN)).alias("error"),
            pl.lit(None, pl.String).alias("canonical")))
        money_errors.append(frame.filter(pl.col("code").is_null()).select(
            "row", pl.lit(amount_name).alias("column"), pl.col("amount").alias("value"),
            pl.format("an amount with no earning code in {}", pl.lit(code_name)).alias("error"),
            pl.lit(None, pl.String).alias("canonical")))
        frame = frame.filter(pl.col("canonical").is_not_null() & (pl.col("canonical") != IGNORE))
        pieces.append(read_money("amount", f"{amount_name} [{code_name}]", pl.col("canonical"), frame))
    for frame in money_errors:
        errors.frame(frame)
    money = pl.concat(pieces) if pieces else pl.DataFrame(
        schema={"row": pl.Int64, "canonical": pl.String, "cents": pl.Int64, "label": pl.String})

    for col, name, parts in total_cols:  # a total column equals the sum of the row's mapped pay
        total, bad = money_cents(pl.col(col), profile, grid.excel)
        errors.frame(body.filter(bad).select("row", pl.lit(name).alias("column"), pl.col(col).alias("value"),
                                             pl.format("'{}' {}", pl.col(col).str.slice(0, SHOWN),
                                                       pl.lit(reason)).alias("error"),
                                             pl.lit(None, pl.String).alias("canonical")))
        counted = money.filter(pl.col("canonical").is_in(list(parts))) if parts else money
        sums = counted.group_by("row").agg(pl.col("cents").sum().alias("mapped"))
        check = body.select("row", total.alias("total"), pl.col(col).alias("value")).filter(
            pl.col("total").is_not_null()).join(sums, on="row", how="left").with_columns(pl.col("mapped").fill_null(0))
        errors.frame(check.filter(pl.col("total") != pl.col("mapped")).select(
            "row", pl.lit(name).alias("column"), "value",
            pl.format("{} is {} but the pay columns the profile maps add up to {}: a pay column is missing from "
                      "the profile (or {} counts something else)", pl.lit(name), _dollars(pl.col("total")),
                      _dollars(pl.col("mapped")), pl.lit(name)).alias("error"),
            pl.lit(None, pl.String).alias("canonical")))

    # --- one canonical row per pay: a source row, or (long layout) the rows sharing every text column
    text_cols = [c for c in out.columns if c != "row"]
    if profile.layout == "long":
        keys = out.group_by(text_cols, maintain_order=True).agg(pl.col("row").min().alias("pay"),
                                                                pl.col("row").alias("rows"))
        owner = keys.select("pay", "rows").explode("rows").rename({"rows": "row"})
        out = keys.drop("rows").rename({"pay": "row"}).select("row", *text_cols)
        money = money.join(owner, on="row", how="inner").drop("row").rename({"pay": "row"})
    summed = money.group_by("row", "canonical").agg(pl.col("cents").sum(), pl.col("label").first())
    negative = summed.filter(pl.col("cents") < 0)
    errors.frame(negative.select("row", pl.col("label").alias("column"), _dollars(pl.col("cents")).alias("value"),
                                 pl.format("{} adds up to {}: pay below zero cannot be billed; send a correction run "
                                           "instead", pl.col("canonical"), _dollars(pl.col("cents"))).alias("error"),
                                 "canonical"))
    wide_money = sorted(set(summed["canonical"].unique().to_list()))
    if wide_money:
        pivot = summed.filter(pl.col("cents") >= 0).pivot(on="canonical", index="row", values="cents")
        out = out.join(pivot, on="row", how="left").with_columns(
            [_plain(pl.col(c)).alias(c) for c in wide_money if c in pivot.columns])
    for c in [c for c in names if c in MONEY_COLUMNS and c not in out.columns]:
        out = out.with_columns(pl.lit(None, pl.String).alias(c))
    if profile.layout != "wide" and "regular_pay" in out.columns:  # a pay with no regular component: zero
        out = out.with_columns(pl.col("regular_pay").fill_null("0.00"))

    # --- the roster: state, class code and officer flag where no column gives them
    if roster is not None and missing_roster and {"employee_id", "employer_fein", "pay_date"} <= set(out.columns):
        from paygo.payroll.roster import assign

        out, roster_errors = assign(out, roster, missing_roster, employee_label=names.get("employee_id", ""))
        errors.frame(roster_errors)
        explained = roster_errors.select("row").join(pl.DataFrame({"canonical": missing_roster}), how="cross")
    else:
        explained = pl.DataFrame(schema={"row": pl.Int64, "canonical": pl.String})

    order = [c for c in ALL_COLUMNS if c in out.columns]
    first_col = {c: min((int(col[1:]) for col, _ in sources.get(c, [])), default=10_000) for c in order}
    header_order = tuple(sorted(order, key=lambda c: (first_col[c], ALL_COLUMNS.index(c))))
    out = out.sort("row").select("row", *order)
    found = errors.all()
    if roster is not None and missing_roster:  # a row the mapping refused may have had no roster lookup
        rows = found.select("row").drop_nulls().unique()
        explained = pl.concat([explained, rows.join(pl.DataFrame({"canonical": missing_roster}), how="cross")])
    explained = pl.concat([explained, found.select("row", "canonical").drop_nulls()]).unique()
    return MappedPayroll(out, header_order, names, found, out.height, explained)


def _dollars(cents: pl.Expr) -> pl.Expr:
    sign = pl.when(cents < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    return pl.format("{}{}", sign, _plain(cents.abs()))


def _plain(cents: pl.Expr) -> pl.Expr:
    """Non-negative Int64 cents to canonical dollars text: 123450 -> "1234.50"; null stays null."""
    return pl.format("{}.{}", (cents // 100).cast(pl.String), (cents % 100).cast(pl.String).str.pad_start(2, "0"))
