"""Returns and notifications of change by code and by employer, and the ones waiting for a person.

Rule (issue 12, "Reports for finance"; NACHA codes in paygo.nacha.codes): every return (addenda 99)
and NOC (addenda 98) the bank sent is one row of `ach_returns` with a status: `applied` (acted
on), `duplicate` (a second copy of one already recorded: never counted, only its number shown) or
`exception` (in the ops queue: listed one by one, apart from the counts, because a person still has
to decide what it means). Counts and amounts by code and by employer are of applied rows only; an
amount is the returned entry's amount in cents (a NOC moves no money: 0).
Worked example: R01 of 2,865 and R01 of 1,000 applied, R03 of 500 applied, a second copy of the
first R01 (duplicate) and an R01 of an unknown trace (exception) -> by code R01: 2 returns,
3,865 cents; R03: 1, 500; exceptions: 1 (unmatched); duplicates ignored: 1.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from paygo.nacha import codes


def code_description(code: str) -> str:
    """'R01' -> 'Insufficient Funds'; 'C01' -> 'Incorrect DFI Account Number'; unknown -> ''."""
    if code in codes.RETURN_CODES:
        return codes.RETURN_CODES[code][0]
    if code in codes.CHANGE_CODES:
        return codes.CHANGE_CODES[code]
    if codes.is_private_return_code(code):
        return "Bank-specific return code"
    return ""


@dataclass(frozen=True)
class ReturnItem:
    """One row of ach_returns with the employer of the entry it matched (empty when unmatched)."""

    id: int
    kind: str  # "return" | "noc"
    code: str
    status: str  # "applied" | "duplicate" | "exception"
    amount_cents: int
    original_trace: str
    invoice_number: str = ""
    employer_fein: str = ""
    employer_name: str = ""
    exception_kind: str = ""  # the ops queue's kind, e.g. "return_unmatched"
    exception_resolved: bool = False


@dataclass
class CodeRow:
    kind: str
    code: str
    description: str
    count: int = 0
    amount_cents: int = 0


@dataclass
class EmployerRow:
    employer_fein: str
    employer_name: str
    kind: str
    code: str
    description: str
    count: int = 0
    amount_cents: int = 0


@dataclass(frozen=True)
class ReturnsReport:
    as_of: date  # the business date the report is run on (ach_returns keeps no business date of its own)
    by_code: tuple[CodeRow, ...]  # returns first, then NOCs, each by code
    by_employer: tuple[EmployerRow, ...]  # by employer name, FEIN, then kind and code
    exceptions: tuple[ReturnItem, ...]  # in the order recorded (id)
    duplicates: int
    returns: CodeRow = field(default_factory=lambda: CodeRow("return", "", "All returns"))  # applied returns
    nocs: CodeRow = field(default_factory=lambda: CodeRow("noc", "", "All notifications of change"))


KIND_ORDER = {"return": 0, "noc": 1}


def returns_report(items: Iterable[ReturnItem], as_of: date) -> ReturnsReport:
    by_code: dict[tuple[str, str], CodeRow] = {}
    by_employer: dict[tuple[str, str, str], EmployerRow] = {}
    names: dict[str, str] = {}
    exceptions: list[ReturnItem] = []
    duplicates = 0
    totals = {"return": CodeRow("return", "", "All returns"), "noc": CodeRow("noc", "", "All notifications of change")}
    for it in items:
        if it.status == "duplicate":
            duplicates += 1
            continue
        if it.status == "exception":
            exceptions.append(it)
            continue
        if it.status != "applied":
            raise ValueError(f"ach_returns {it.id}: unknown status {it.status!r}")
        desc = code_description(it.code)
        row = by_code.setdefault((it.kind, it.code), CodeRow(it.kind, it.code, desc))
        row.count += 1
        row.amount_cents += it.amount_cents
        totals[it.kind].count += 1
        totals[it.kind].amount_cents += it.amount_cents
        names[it.employer_fein] = it.employer_name
        erow = by_employer.setdefault((it.employer_fein, it.kind, it.code),
                                      EmployerRow(it.employer_fein, it.employer_name, it.kind, it.code, desc))
        erow.count += 1
        erow.amount_cents += it.amount_cents
    return ReturnsReport(
        as_of=as_of,
        by_code=tuple(sorted(by_code.values(), key=lambda r: (KIND_ORDER.get(r.kind, 9), r.code))),
        by_employer=tuple(sorted(by_employer.values(), key=lambda r: (
            names[r.employer_fein], r.employer_fein, KIND_ORDER.get(r.kind, 9), r.code))),
        exceptions=tuple(sorted(exceptions, key=lambda it: it.id)),
        duplicates=duplicates,
        returns=totals["return"],
        nocs=totals["noc"],
    )
