"""The state rules table: which state departs from NCCI Rule 2, from when, and by how much.

Source: NCCI Basic Manual Rule 2 and the state exceptions gathered in shared/domain.md, as fixed by
spec/payroll-file.md ("Auditable wages, per row, in cents" and "Precise readings"). The facts are
data with effective dates, never code branches: next year's figure is one more line below.

- Overtime: Pennsylvania, Delaware and Nevada count all overtime pay (no premium part excluded).
- Tips: Nevada and Montana count tips.
- Annual caps per employee per policy year (year to date carried across a change of figure):
  Nevada $36,000.00 on every pay date; California $154,700.00 for pay dates from 2023-09-01 and
  $159,900.00 from 2024-09-01, for officer rows and rows in classes 8601 8741 8803 8820 8822.
  California rows before 2023-09-01 have no limit but count toward the year to date.
- Indiana executive officers: per row, between min and max x weeks covered, by pay date.
  Worked example: an Indiana officer paid $20,000.00 for 2025-03-01..2025-03-10 (10 days, so
  ceil(10 / 7) = 2 weeks) counts at most 2 x $4,600.00 = $9,200.00; a zero-pay row counts
  2 x $1,000.00 = $2,000.00.
- Monopolistic states (ND OH WA WY): no private carrier writes them.

Why Python literals of frozen dataclasses and not a CSV: the figures are typed where they are
written (cents as int, dates as date, no parser to get wrong), an edit is a one-line diff that a
reviewer reads in place, and `StateRules.__post_init__` refuses an inconsistent table (overlapping
periods, min above max) at import time, before anything is priced.

Money here is integer cents; periods are [effective_from, effective_until), until None = open.
"""

from dataclasses import dataclass, field
from datetime import date

OPEN_START = date(1900, 1, 1)  # "since always": before any payroll paygo will ever see


@dataclass(frozen=True)
class StateRule:
    """A state applies a rule for pay dates in [effective_from, effective_until)."""

    state: str
    effective_from: date = OPEN_START
    effective_until: date | None = None


@dataclass(frozen=True)
class AnnualCapScope:
    """Which rows count toward an annual cap: every row of the state, or officer rows and rows in
    the listed classes (either is enough). The scope has no dates: rows outside every figure's
    period still count toward the year to date."""

    cap_id: str
    state: str
    all_rows: bool = False
    officers: bool = False
    class_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CapFigure:
    """From effective_from on (until the cap's next figure), the year to date of a cap may not pass
    limit_cents; None means no limit from that date. Before a cap's first figure: no limit."""

    cap_id: str
    effective_from: date
    limit_cents: int | None


@dataclass(frozen=True)
class OfficerWeeklyLimit:
    """Executive officers of a state: per row, min/max per week covered, for pay dates in
    [effective_from, effective_until)."""

    state: str
    effective_from: date
    effective_until: date
    min_weekly_cents: int
    max_weekly_cents: int


def _overlap(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    return (a_until is None or b_from < a_until) and (b_until is None or a_from < b_until)


@dataclass(frozen=True)
class StateRules:
    """The whole table. Refuses at construction anything that would make a row's rule ambiguous."""

    all_overtime_included: tuple[StateRule, ...]
    tips_included: tuple[StateRule, ...]
    annual_cap_scopes: tuple[AnnualCapScope, ...]
    cap_figures: tuple[CapFigure, ...]
    officer_weekly_limits: tuple[OfficerWeeklyLimit, ...]
    monopolistic_states: frozenset[str] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for name, table in (("all_overtime_included", self.all_overtime_included),
                            ("tips_included", self.tips_included)):
            for i, a in enumerate(table):
                if a.effective_until is not None and a.effective_until <= a.effective_from:
                    raise ValueError(f"{name}: {a} ends before it starts")
                for b in table[i + 1:]:
                    if a.state == b.state and _overlap(a.effective_from, a.effective_until,
                                                       b.effective_from, b.effective_until):
                        raise ValueError(f"{name}: {a} overlaps {b}")
        states = [s.state for s in self.annual_cap_scopes]
        if len(set(states)) != len(states):
            raise ValueError("annual_cap_scopes: one cap per state (a row must belong to one cap)")
        cap_ids = {s.cap_id for s in self.annual_cap_scopes}
        if len(cap_ids) != len(self.annual_cap_scopes):
            raise ValueError("annual_cap_scopes: cap ids must be unique")
        seen: set[tuple[str, date]] = set()
        for f in self.cap_figures:
            if f.cap_id not in cap_ids:
                raise ValueError(f"cap_figures: {f} names no cap scope")
            if (f.cap_id, f.effective_from) in seen:
                raise ValueError(f"cap_figures: two figures for {f.cap_id} from {f.effective_from}")
            if f.limit_cents is not None and f.limit_cents < 0:
                raise ValueError(f"cap_figures: {f} is negative")
            seen.add((f.cap_id, f.effective_from))
        for i, a in enumerate(self.officer_weekly_limits):
            if not 0 <= a.min_weekly_cents <= a.max_weekly_cents:
                raise ValueError(f"officer_weekly_limits: {a} needs 0 <= min <= max")
            if a.effective_until <= a.effective_from:
                raise ValueError(f"officer_weekly_limits: {a} ends before it starts")
            for b in self.officer_weekly_limits[i + 1:]:
                if a.state == b.state and _overlap(a.effective_from, a.effective_until,
                                                   b.effective_from, b.effective_until):
                    raise ValueError(f"officer_weekly_limits: {a} overlaps {b}")

    def figures_of(self, cap_id: str) -> tuple[CapFigure, ...]:
        """The cap's figures in date order; a row's era is how many of them started by its pay date."""
        return tuple(sorted((f for f in self.cap_figures if f.cap_id == cap_id),
                            key=lambda f: f.effective_from))


CA_CAPPED_CLASSES = frozenset({"8601", "8741", "8803", "8820", "8822"})

RULES = StateRules(
    all_overtime_included=(
        StateRule("PA"),
        StateRule("DE"),
        StateRule("NV"),
    ),
    tips_included=(
        StateRule("NV"),
        StateRule("MT"),
    ),
    annual_cap_scopes=(
        AnnualCapScope("NV_ANNUAL", "NV", all_rows=True),
        AnnualCapScope("CA_ANNUAL", "CA", officers=True, class_codes=CA_CAPPED_CLASSES),
    ),
    cap_figures=(
        CapFigure("NV_ANNUAL", OPEN_START, 3_600_000),
        CapFigure("CA_ANNUAL", date(2023, 9, 1), 15_470_000),
        CapFigure("CA_ANNUAL", date(2024, 9, 1), 15_990_000),
    ),
    officer_weekly_limits=(
        OfficerWeeklyLimit("IN", date(2024, 1, 1), date(2025, 1, 1), 95_000, 450_000),
        OfficerWeeklyLimit("IN", date(2025, 1, 1), date(2026, 1, 1), 100_000, 460_000),
        OfficerWeeklyLimit("IN", date(2026, 1, 1), date(2027, 1, 1), 105_000, 490_000),
    ),
    monopolistic_states=frozenset({"ND", "OH", "WA", "WY"}),
)
