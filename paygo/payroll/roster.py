"""Employee rosters: per employer, dated assignments employee id -> state, class code, officer flag.

Rule (issue 13, after InsurePay's employee-level reporting and the class code on an employee's
position in HR systems): when a payroll file has no state, class code or officer column, the
employee's assignment in force on the pay date supplies them. An assignment is in force from its
`effective_date` until the employee's next assignment. Example: E7 assigned CA 8810 from
2025-01-01 and CA 8742 from 2025-06-01 is 8810 on a 2025-05-30 pay date and 8742 on 2025-06-06.
An employee with no assignment on the pay date is a row error naming the employee.

A roster file (`roster.csv` in the reference folder, or a `roster*.csv` on the payroll company's
SFTP home) is CSV with the columns of `ROSTER_COLUMNS`; it replaces the whole roster of every
employer it names, as a new version of that employer's roster (docs/payroll-mappings.md).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass
from datetime import date

import polars as pl

from paygo.payroll import cells as parse
from paygo.payroll.columns import CLASS_CODE_PATTERN, MONOPOLISTIC_STATES, OFFICER_FALSE, OFFICER_TRUE, USPS_STATES

ROSTER_COLUMNS = ("employer_fein", "employee_id", "effective_date", "state", "class_code", "is_officer")
SCHEMA = {"employer_fein": pl.String, "employee_id": pl.String, "effective_date": pl.Date, "state": pl.String,
          "class_code": pl.String, "is_officer": pl.String}


@dataclass(frozen=True)
class RosterProblem:
    file: str
    row: int | None
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason}" if self.row is not None else f"{self.file}: {self.reason}"


class RosterError(ValueError):
    def __init__(self, problems: list[RosterProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def empty_roster() -> pl.DataFrame:
    return pl.DataFrame(schema=SCHEMA)


def read_roster_csv(data: bytes, name: str = "roster.csv") -> pl.DataFrame:
    """The roster's assignments (SCHEMA; FEIN 9 digits, is_officer "true"/"false"); RosterError
    listing every bad row (1-based after the header) otherwise."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError([RosterProblem(name, None, "not UTF-8 text")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if sorted(header) != sorted(ROSTER_COLUMNS):
        raise RosterError([RosterProblem(name, 0, f"columns must be {', '.join(ROSTER_COLUMNS)}; got "
                                                  f"{', '.join(header)}")])
    problems, rows, seen = [], [], {}
    for i, record in enumerate(reader, start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if len(cells) != len(header):
            problems.append(RosterProblem(name, i, f"{len(cells)} cells, expected {len(header)}"))
            continue
        r = dict(zip(header, cells))
        reasons = []
        fein = re.fullmatch(r"([0-9]{2})-?([0-9]{7})", r["employer_fein"])
        if not fein:
            reasons.append(f"employer_fein {r['employer_fein']!r} is not 9 digits")
        if not 1 <= len(r["employee_id"]) <= 64:
            reasons.append("employee_id must be 1 to 64 characters")
        try:
            effective = date.fromisoformat(r["effective_date"]) if re.fullmatch(
                r"[0-9]{4}-[0-9]{2}-[0-9]{2}", r["effective_date"]) else None
        except ValueError:
            effective = None
        if effective is None:
            reasons.append(f"effective_date {r['effective_date']!r} is not a date YYYY-MM-DD")
        if r["state"] not in USPS_STATES or r["state"] in MONOPOLISTIC_STATES:
            reasons.append(f"state {r['state']!r} is not the USPS code of a state a private carrier insures")
        if not re.fullmatch(CLASS_CODE_PATTERN, r["class_code"]):
            reasons.append(f"class_code {r['class_code']!r} is not 3 or 4 digits")
        officer = r["is_officer"].lower()
        if officer and officer not in OFFICER_TRUE + OFFICER_FALSE:
            reasons.append("is_officer must be true/false, Y/N, 1/0 or empty")
        if not reasons:
            key = (fein.group(1) + fein.group(2), r["employee_id"], effective)
            if key in seen:
                reasons.append(f"employee {r['employee_id']} has two assignments from {effective} (rows {seen[key]} "
                               f"and {i})")
            seen[key] = i
        if reasons:
            problems.extend(RosterProblem(name, i, reason) for reason in reasons)
            continue
        rows.append((key[0], r["employee_id"], effective, r["state"], r["class_code"],
                     "true" if officer in OFFICER_TRUE else "false"))
    if problems:
        raise RosterError(problems)
    return pl.DataFrame(rows, schema=SCHEMA, orient="row").sort("employer_fein", "employee_id", "effective_date")


def roster_sha256(assignments: pl.DataFrame) -> str:
    """Content hash of one employer's assignments (order and spelling of the file do not count)."""
    body = assignments.select(sorted(SCHEMA)).sort(sorted(SCHEMA)).write_csv()
    return hashlib.sha256(body.encode()).hexdigest()


def assign(out: pl.DataFrame, roster: pl.DataFrame, columns: list[str], *, employee_label: str
           ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`out` (canonical text cells with employer_fein, employee_id, pay_date) with `columns` (of
    state, class_code, is_officer) from each employee's assignment on the pay date, and an error
    frame (row, column, value, error, canonical) naming each employee with none. Rows whose FEIN
    or pay date cannot be read get nothing and no roster error (their own cells are reported)."""
    keyed = out.with_columns(parse.fein(pl.col("employer_fein")).alias("_fein"),
                             pl.col("pay_date").str.to_date("%Y-%m-%d", strict=False).alias("_on"))
    known = keyed.filter(pl.col("_fein").is_not_null() & pl.col("_on").is_not_null() &
                         pl.col("employee_id").is_not_null()).sort("_on")
    table = roster.select(pl.col("employer_fein").alias("_fein"), "employee_id", pl.col("effective_date").alias("_on"),
                          *[pl.col(c).alias(f"_r_{c}") for c in columns]).sort("_on")
    found = known.join_asof(table, on="_on", by=["_fein", "employee_id"], strategy="backward",
                            check_sortedness=False).select("row", *[f"_r_{c}" for c in columns])
    merged = keyed.join(found, on="row", how="left").sort("row")
    missing = merged.filter(pl.col("_fein").is_not_null() & pl.col("_on").is_not_null() &
                            pl.col("employee_id").is_not_null() & pl.col(f"_r_{columns[0]}").is_null())
    errors = missing.select(
        "row", pl.lit(employee_label or "employee_id").alias("column"), pl.col("employee_id").alias("value"),
        pl.format("employee {} of employer {} has no roster assignment on {}: the file gives no {} and the roster "
                  "must", pl.col("employee_id"), pl.col("_fein"), pl.col("_on").dt.strftime("%Y-%m-%d"),
                  pl.lit(", ".join(columns))).alias("error"),
        pl.lit("employee_id").alias("canonical"))
    result = merged.with_columns([pl.col(f"_r_{c}").alias(c) for c in columns]).drop(
        "_fein", "_on", *[f"_r_{c}" for c in columns])
    return result, errors


def roster_label(versions: dict[str, int]) -> str | None:
    """What is stored with a payroll file: `946123457@v2 880123458@v1`, or None (no roster used)."""
    return " ".join(f"{fein}@v{v}" for fein, v in sorted(versions.items())) or None
