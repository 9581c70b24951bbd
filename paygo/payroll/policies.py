"""Policies and their net rates, as the policies CSV or the database gives them.

Rules (spec/payroll-file.md, "Reference data" and "Precise readings"): one row per rated
(policy, state, class_code) period, expiration exclusive. A policy is in force on a date when
one of its rows covers the date; its rate for (state, class) is the row covering pay_date; its
policy year is anchored on its earliest effective_date, and a 29 February anchor has its
anniversary on 28 February in common years. All rows of a policy share one FEIN and carrier;
two rows of one (policy, state, class) must not overlap. Worked example: WC-1 rated CA 8810
at 1.234 from 2024-02-29 to 2025-03-01; a pay date of 2025-03-05 is not in force, and a pay
date of 2025-02-28 falls in the policy year starting 2025-02-28.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import polars as pl

from paygo.payroll.columns import CLASS_CODE_PATTERN, USPS_STATES

POLICY_COLUMNS: tuple[str, ...] = (
    "policy_number",
    "employer_fein",
    "carrier_id",
    "effective_date",
    "expiration_date",
    "state",
    "class_code",
    "net_rate",
)
_RATE = re.compile(r"[0-9]+(?:\.[0-9]{1,6})?")
_FEIN = re.compile(r"[0-9]{2}-?[0-9]{7}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_CLASS = re.compile(CLASS_CODE_PATTERN.strip("^$"))


class PolicyBookError(ValueError):
    """A policies file breaking the spec's rules (a usage error: exit 2)."""


@dataclass(frozen=True)
class RateRow:
    """One row of the policies CSV: a net rate for (policy, state, class) over [effective, expiration)."""

    policy_number: str
    employer_fein: str
    carrier_id: str
    effective_date: date
    expiration_date: date  # exclusive
    state: str
    class_code: str
    net_rate: str  # the rate's decimal text, trimmed


@dataclass(frozen=True)
class Policy:
    """What a payroll row needs of a policy: whose it is, who carries it, its year's anchor."""

    policy_number: str
    employer_fein: str
    carrier_id: str
    anchor_date: date  # earliest effective_date: the policy years start on its anniversaries


def anniversary(anchor: date, year: int) -> date:
    """The anchor's anniversary in `year`; 29 February falls on 28 February in common years."""
    try:
        return anchor.replace(year=year)
    except ValueError:
        return anchor.replace(year=year, day=28)


def policy_year_start(anchor: date, on: date) -> date:
    """Start of the policy year containing `on` (on >= anchor)."""
    start = anniversary(anchor, on.year)
    return start if start <= on else anniversary(anchor, on.year - 1)


def _parse_date(text: str, where: str) -> date:
    if not _DATE.fullmatch(text):
        raise PolicyBookError(f"{where}: {text!r} is not a date YYYY-MM-DD")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise PolicyBookError(f"{where}: {text!r} is not a real day") from None


def _rate_row(cells: dict[str, str], where: str) -> RateRow:
    for name in POLICY_COLUMNS:
        if not cells[name]:
            raise PolicyBookError(f"{where}: {name} is empty")
    if not _FEIN.fullmatch(cells["employer_fein"]):
        raise PolicyBookError(f"{where}: employer_fein {cells['employer_fein']!r} is not 9 digits")
    if cells["state"] not in USPS_STATES:
        raise PolicyBookError(f"{where}: state {cells['state']!r} is not a USPS state code")
    if not _CLASS.fullmatch(cells["class_code"]):
        raise PolicyBookError(f"{where}: class_code {cells['class_code']!r} is not 3 or 4 digits")
    if not _RATE.fullmatch(cells["net_rate"]):
        raise PolicyBookError(
            f"{where}: net_rate {cells['net_rate']!r} is not a decimal with at most 6 places"
        )
    return RateRow(
        policy_number=cells["policy_number"],
        employer_fein=cells["employer_fein"].replace("-", ""),
        carrier_id=cells["carrier_id"],
        effective_date=_parse_date(cells["effective_date"], f"{where}: effective_date"),
        expiration_date=_parse_date(cells["expiration_date"], f"{where}: expiration_date"),
        state=cells["state"],
        class_code=cells["class_code"],
        net_rate=cells["net_rate"],
    )


class PolicyBook:
    """Every policy and rate row, checked against the rules above; lookups and polars frames."""

    def __init__(self, rates: tuple[RateRow, ...], policies: dict[str, Policy]) -> None:
        self._rates = rates
        self._policies = policies
        self._by_key: dict[tuple[str, str, str], list[RateRow]] = {}
        for r in rates:
            self._by_key.setdefault((r.policy_number, r.state, r.class_code), []).append(r)

    @classmethod
    def from_csv(cls, data: bytes) -> "PolicyBook":
        """Parse a policies CSV (UTF-8, optional BOM, header of exactly the 8 columns)."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise PolicyBookError(f"policies file is not UTF-8 text (byte {exc.start})") from None
        if "\x00" in text:
            raise PolicyBookError("policies file is not text (it contains NUL bytes)")
        try:
            records = list(csv.reader(io.StringIO(text, newline=""), strict=True))
        except csv.Error as exc:
            raise PolicyBookError(f"policies file is not valid CSV: {exc}") from None
        if not records:
            raise PolicyBookError("policies file is empty")
        header = [h.strip(" \t") for h in records[0]]
        if sorted(header) != sorted(POLICY_COLUMNS):
            raise PolicyBookError(
                f"policies file header must be exactly {', '.join(POLICY_COLUMNS)}; got {', '.join(header)}"
            )
        rows = []
        for number, record in enumerate(records[1:], start=1):
            cells = [c.strip(" \t") for c in record]
            if not any(cells):
                continue
            if len(cells) != len(header):
                raise PolicyBookError(
                    f"policies file row {number}: {len(cells)} fields, the header has {len(header)}"
                )
            rows.append(_rate_row(dict(zip(header, cells)), f"policies file row {number}"))
        return cls.from_rate_rows(rows)

    @classmethod
    def from_rate_rows(cls, rows: Iterable[RateRow]) -> "PolicyBook":
        """Build from rate rows (the database does this); the same rules as from_csv."""
        rates = tuple(rows)
        policies: dict[str, Policy] = {}
        for r in rates:
            if r.effective_date >= r.expiration_date:
                raise PolicyBookError(
                    f"policy {r.policy_number} {r.state} {r.class_code}: effective_date "
                    f"{r.effective_date} is not before expiration_date {r.expiration_date}"
                )
            if not _RATE.fullmatch(r.net_rate):
                raise PolicyBookError(f"policy {r.policy_number}: net_rate {r.net_rate!r} is not a decimal")
            seen = policies.get(r.policy_number)
            if seen is None:
                policies[r.policy_number] = Policy(
                    r.policy_number, r.employer_fein, r.carrier_id, r.effective_date
                )
                continue
            if seen.employer_fein != r.employer_fein:
                raise PolicyBookError(
                    f"policy {r.policy_number} has two employer FEINs: {seen.employer_fein} and {r.employer_fein}"
                )
            if seen.carrier_id != r.carrier_id:
                raise PolicyBookError(
                    f"policy {r.policy_number} has two carriers: {seen.carrier_id} and {r.carrier_id}"
                )
            if r.effective_date < seen.anchor_date:
                policies[r.policy_number] = Policy(
                    r.policy_number, r.employer_fein, r.carrier_id, r.effective_date
                )
        book = cls(rates, policies)
        for (policy, state, class_code), periods in book._by_key.items():
            ordered = sorted(periods, key=lambda p: p.effective_date)
            for earlier, later in zip(ordered, ordered[1:]):
                if later.effective_date < earlier.expiration_date:
                    raise PolicyBookError(
                        f"policy {policy} {state} {class_code}: rate rows overlap "
                        f"({earlier.effective_date}..{earlier.expiration_date} and "
                        f"{later.effective_date}..{later.expiration_date})"
                    )
        return book

    # --- lookups (scalar; for one row at a time)
    @property
    def rate_rows(self) -> tuple[RateRow, ...]:
        return self._rates

    def policy(self, policy_number: str) -> Policy | None:
        return self._policies.get(policy_number)

    def in_force(self, policy_number: str, on: date) -> bool:
        return any(
            r.effective_date <= on < r.expiration_date
            for r in self._rates
            if r.policy_number == policy_number
        )

    def rate(self, policy_number: str, state: str, class_code: str, on: date) -> RateRow | None:
        for r in self._by_key.get((policy_number, state, class_code), ()):
            if r.effective_date <= on < r.expiration_date:
                return r
        return None

    def policy_year_start(self, policy_number: str, on: date) -> date:
        return policy_year_start(self._policies[policy_number].anchor_date, on)

    # --- frames (for joins over a whole file)
    def policies_frame(self) -> pl.DataFrame:
        """policy_number, policy_fein, carrier_id, anchor_date: one row per policy."""
        ps = list(self._policies.values())
        return pl.DataFrame(
            {
                "policy_number": [p.policy_number for p in ps],
                "policy_fein": [p.employer_fein for p in ps],
                "carrier_id": [p.carrier_id for p in ps],
                "anchor_date": [p.anchor_date for p in ps],
            },
            schema={
                "policy_number": pl.String,
                "policy_fein": pl.String,
                "carrier_id": pl.String,
                "anchor_date": pl.Date,
            },
        )

    def rates_frame(self) -> pl.DataFrame:
        """policy_number, state, class_code, effective_date, expiration_date, net_rate."""
        rs = self._rates
        return pl.DataFrame(
            {
                "policy_number": [r.policy_number for r in rs],
                "state": [r.state for r in rs],
                "class_code": [r.class_code for r in rs],
                "effective_date": [r.effective_date for r in rs],
                "expiration_date": [r.expiration_date for r in rs],
                "net_rate": [r.net_rate for r in rs],
            },
            schema={
                "policy_number": pl.String,
                "state": pl.String,
                "class_code": pl.String,
                "effective_date": pl.Date,
                "expiration_date": pl.Date,
                "net_rate": pl.String,
            },
        )
