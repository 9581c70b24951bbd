"""Invoices, pure: lines, totals, due dates, corrections and cumulative-to-date rounding.

Rules (domain.md "Rounding" and "Invariants"; spec/payroll-file.md "Runs"; seeds/000, seeds/004):
- An invoice bills one (policy, payroll run): one premium line per (state, class code), plus the
  cycle-based fee line when the policy's billing model has one. total = premium + fee.
- A correction of a run whose invoice is in no NACHA file yet (paygo.states.correction_action)
  voids it and reissues; once in a file (in flight, paid, failed) or on a remit bill, an
  adjustment invoice bills the difference: a charge when premium went up, a credit (negative
  total) when it went down. The latest run is final.
- Payment: `ach_debit` is due on the later of the pay date and the bill date; `remit` (the
  payroll company pays) is billed on one consolidated bill per company and calendar month of the
  pay date, dated the month's last day and due 30 days later (1099Policy: "due within 30 days of
  the bill date").
- Cumulative-to-date rounding (a per-policy option): a (state, class) line bills
  round(exact premium of the policy year so far) - premium already billed, so the cycles add up
  to the annual figure to the cent. Worked example (domain.md): 26 biweekly cycles of $1,234.56
  at 0.37: each cycle is 456.7872 cents; per-cycle rounding bills 26 x 457 = 11,882 cents,
  cumulative bills 11,876 = round(26 x 456.7872 = 11,876.4672).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from paygo.billing.money import round_half_away
from paygo.states import correction_action

REMIT_DAYS = 30


@dataclass(frozen=True)
class LineDraft:
    """One line to bill: premium per (state, class), a fee, or an adjustment difference."""

    kind: str  # premium | fee | adjustment
    description: str
    amount_cents: int
    state: str | None = None
    class_code: str | None = None
    auditable_cents: int | None = None
    net_rate: str | None = None


@dataclass(frozen=True)
class PricedLine:
    """A premium line as priced (per-cycle rounding) for one (state, class) of the run."""

    state: str
    class_code: str
    auditable_cents: int
    net_rate: str
    premium_cents: int


def exact_premium(auditable_cents: int, net_rate: str) -> Decimal:
    """auditable x rate / 100, exact: (123456, "0.37") -> 456.7872."""
    return Decimal(auditable_cents) * Decimal(net_rate) / 100


def cumulative_bill_cents(earlier_exact: Decimal, line_exact: Decimal, already_billed_cents: int) -> int:
    """What a line bills under cumulative rounding: round(earlier + this) - already billed."""
    return round_half_away(earlier_exact + line_exact) - already_billed_cents


def cumulative_series(lines: Sequence[tuple[int, str]]) -> list[int]:
    """Cents billed per cycle for successive (auditable_cents, net_rate) of one (state, class)."""
    exact, billed, out = Decimal(0), 0, []
    for cents, rate in lines:
        line = exact_premium(cents, rate)
        amount = cumulative_bill_cents(exact, line, billed)
        exact += line
        billed += amount
        out.append(amount)
    return out


def premium_drafts(lines: Iterable[PricedLine], amounts: dict[tuple[str, str], int] | None = None) -> list[LineDraft]:
    """Premium lines in (state, class) code-point order; `amounts` overrides the billed cents
    (cumulative rounding), else each line bills its own rounded premium."""
    out = []
    for ln in sorted(lines, key=lambda x: (x.state, x.class_code)):
        amount = ln.premium_cents if amounts is None else amounts[(ln.state, ln.class_code)]
        out.append(LineDraft("premium", f"{ln.state} class {ln.class_code} at {ln.net_rate} per $100", amount,
                             ln.state, ln.class_code, ln.auditable_cents, ln.net_rate))
    return out


def fee_draft(fee_cents: int) -> list[LineDraft]:
    """The cycle-based fee line, or nothing when the fee is 0."""
    return [LineDraft("fee", "Platform fee per payroll cycle", fee_cents)] if fee_cents else []


def adjustment_drafts(previous: Iterable[LineDraft], new: Iterable[LineDraft]) -> list[LineDraft]:
    """Per (state, class) difference new - previous premium, zero differences dropped."""
    prev = {(d.state, d.class_code): d for d in previous if d.kind in ("premium", "adjustment")}
    now = {(d.state, d.class_code): d for d in new if d.kind == "premium"}
    out = []
    for key in sorted(set(prev) | set(now), key=lambda k: (k[0] or "", k[1] or "")):
        before = prev[key].amount_cents if key in prev else 0
        after = now[key].amount_cents if key in now else 0
        if after != before:
            ref = now.get(key) or prev[key]
            out.append(LineDraft("adjustment", f"{key[0]} class {key[1]}: {before} -> {after} cents",
                                 after - before, key[0], key[1], ref.auditable_cents if key in now else 0,
                                 ref.net_rate))
    return out


@dataclass(frozen=True)
class BillingPlan:
    """What billing one (policy, run version) does: `issue` the drafts, `void_and_reissue` the live
    invoice (reissuing the drafts, none when the run no longer bills the policy), `adjust` it by the
    drafts (the difference), or `nothing`."""

    action: str
    drafts: tuple[LineDraft, ...] = ()


def plan_billing(drafts: Sequence[LineDraft], live_status: str | None = None, *, on_remit_bill: bool = False,
                 ever_in_a_file: bool = False, billed: Sequence[LineDraft] = ()) -> BillingPlan:
    """The pure decision of ingest's billing (the write follows it in paygo.ingest).

    `drafts`: what the run version bills now; `live_status`: the run's live invoice (None: first
    version); `billed`: what the live invoice and its adjustments bill so far (premium lines).
    Example: a correction of an in-flight invoice billing 4,050 that now bills 3,803 -> adjust with
    one line of -247."""
    if live_status is None:
        return BillingPlan("issue", tuple(drafts)) if drafts else BillingPlan("nothing")
    if correction_action(live_status, on_remit_bill=on_remit_bill, ever_in_a_file=ever_in_a_file) == "void_and_reissue":
        return BillingPlan("void_and_reissue", tuple(drafts))
    diff = adjustment_drafts(billed, [d for d in drafts if d.kind == "premium"])
    return BillingPlan("adjust", tuple(diff)) if diff else BillingPlan("nothing")


def totals(drafts: Iterable[LineDraft]) -> tuple[int, int, int]:
    """(premium_cents, employer_fee_cents, total_cents) of the lines: total = premium + fee."""
    drafts = list(drafts)
    fee = sum(d.amount_cents for d in drafts if d.kind == "fee")
    premium = sum(d.amount_cents for d in drafts if d.kind != "fee")
    return premium, fee, premium + fee


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of `day`'s calendar month."""
    first = day.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def due_date(payment_method: str, pay_date: date, bill_date: date) -> date:
    """ach_debit: the later of pay date and bill date; remit: 30 days after the consolidated bill's
    date, the later of the pay date's month end and the bill date (a late file is never past due)."""
    if payment_method == "remit":
        return max(remit_bill_date(pay_date), bill_date) + timedelta(days=REMIT_DAYS)
    return max(pay_date, bill_date)


def remit_bill_date(pay_date: date) -> date:
    """The consolidated remit bill of a pay date's month is dated the month's last day."""
    return month_bounds(pay_date)[1]


def payment_method(company: str, employer: str | None, policy: str | None) -> str:
    """Most specific wins (1099Policy withhold_premium: organization < contractor < job)."""
    return policy or employer or company
