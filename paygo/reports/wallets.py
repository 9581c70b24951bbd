"""Carrier wallet movements: what each carrier's wallet held at the start and end of each month, and why it moved.

Rule (docs/ledger.md): `carrier_wallet:<carrier>` is a liability, so its ledger balance is negative
when it holds money; the wallet HOLDS minus its balance, and a transaction moves what it holds by
minus its wallet entries. Movements are grouped by the transaction's kind (read generically: a kind
added later shows up without a change here, labelled from its name) and by month of the
transaction's effective (business) date. For each carrier and month with any movement:

    closing = opening + sum of the month's movements;   the next month's opening = this closing

Worked example (carrier granite, 5% fee): March: premium_to_carrier +2,579 (2,715 settled less 136),
carrier_fee -1,000 -> opening 0, closing 1,579. April: clawback -2,579 -> opening 1,579, closing -1,000
(a wallet can hold less than nothing: the carrier owes it back from its next receipts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

# The known kinds, in report order, with the label a finance reviewer reads.
KIND_LABELS: dict[str, str] = {
    "premium_to_carrier": "Settled premium less carrier fee",
    "payment_applied": "Remit receipts less carrier fee",
    "carrier_fee": "Platform fees (flat, setup)",
    "clawback": "Clawbacks (late returns)",
    "refund_payable": "Refunds to employers",
    "carrier_payout": "Payouts to the carrier",
    "payout_returned": "Payouts returned",
    "reversal": "Reversals",
}


def kind_label(kind: str) -> str:
    """The friendly label of a known kind; an unknown one is its name in words ("bad_debt" -> "Bad debt")."""
    return KIND_LABELS.get(kind) or kind.replace("_", " ").capitalize()


def kind_order(kind: str) -> tuple[int, str]:
    known = list(KIND_LABELS)
    return (known.index(kind), "") if kind in known else (len(known), kind)


@dataclass(frozen=True)
class WalletMovement:
    """What one kind of transaction did to a carrier's wallet on one business date."""

    carrier_id: str
    effective_date: date
    kind: str
    held_cents: int  # change of what the wallet holds: minus the sum of its wallet entries


@dataclass
class WalletMonth:
    period: date  # first day of the month
    opening_cents: int
    movements: dict[str, int] = field(default_factory=dict)  # kind -> cents, in kind_order

    @property
    def closing_cents(self) -> int:
        return self.opening_cents + sum(self.movements.values())


@dataclass(frozen=True)
class CarrierWallet:
    carrier_id: str
    carrier_name: str
    months: tuple[WalletMonth, ...]
    opening_cents: int  # held before the first month shown
    closing_cents: int  # held at the end of the last month shown (as of the report date)

    @property
    def credits_cents(self) -> int:
        """Movements that added to the wallet, over the months shown."""
        return sum(c for m in self.months for c in m.movements.values() if c > 0)

    @property
    def debits_cents(self) -> int:
        """Movements that took from the wallet (a negative number), over the months shown."""
        return sum(c for m in self.months for c in m.movements.values() if c < 0)


@dataclass(frozen=True)
class WalletReport:
    as_of: date
    since: date | None  # first month shown; None: from the first movement
    carriers: tuple[CarrierWallet, ...]  # by carrier id

    @property
    def opening_cents(self) -> int:
        return sum(c.opening_cents for c in self.carriers)

    @property
    def closing_cents(self) -> int:
        return sum(c.closing_cents for c in self.carriers)


def month_of(day: date) -> date:
    return day.replace(day=1)


def wallet_report(movements: Iterable[WalletMovement], carriers: dict[str, str], as_of: date,
                  since: date | None = None) -> WalletReport:
    """Months of movements per carrier up to `as_of` (later ones are left out); before `since` they
    make up the opening balance. `carriers` maps id -> name; every carrier gets a section."""
    first = None if since is None else month_of(since)
    per: dict[str, dict[date, dict[str, int]]] = {cid: {} for cid in carriers}
    before: dict[str, int] = {cid: 0 for cid in carriers}
    for mv in movements:
        if mv.effective_date > as_of:
            continue
        per.setdefault(mv.carrier_id, {})
        before.setdefault(mv.carrier_id, 0)
        month = month_of(mv.effective_date)
        if first is not None and month < first:
            before[mv.carrier_id] += mv.held_cents
            continue
        kinds = per[mv.carrier_id].setdefault(month, {})
        kinds[mv.kind] = kinds.get(mv.kind, 0) + mv.held_cents
    out = []
    for cid in sorted(per):
        held = before[cid]
        months = []
        for month in sorted(per[cid]):
            kinds = per[cid][month]
            wm = WalletMonth(month, held, {k: kinds[k] for k in sorted(kinds, key=kind_order)})
            held = wm.closing_cents
            months.append(wm)
        out.append(CarrierWallet(cid, carriers.get(cid, cid), tuple(months), before[cid], held))
    return WalletReport(as_of, first, tuple(out))
