"""Monthly carrier statements, read from the ledger: settled premium, fees by billing model, clawbacks, net.

Rule (Audit1 billing guide, seeds/004; docs/ledger.md; domain.md invariant 7): the carrier's wallet
is credited only by `premium_to_carrier` when a debit settles, charged by `carrier_fee` (flat
monthly fee: key `carrier_fee:flat:...`; setup fee: key `carrier_fee:setup:<policy number>:...`)
and debited by `clawback` when a late return takes settled money back. A transaction belongs to
the month of its effective date. From each `premium_to_carrier`: settled premium P (its
premium_unsettled debit), employer-paid cycle fee F (its fees_unsettled debit, listed, not
deducted) and carrier-paid percentage fee Fc = P - wallet credit. A clawback counts the wallet
debit it makes (P - Fc: the fee is given back with it). So net = settled - carrier fees -
clawbacks equals the month's change of the carrier's wallet from these transactions, to the cent.
Worked example: one invoice of 2,715 premium + 150 cycle fee settled in 2025-03 at 5%: settled
2,715, percentage 136, cycle-based 150 (not deducted), net 2,579 = the wallet's credit.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import Carrier, Employer, Invoice, LedgerAccount, LedgerEntry, LedgerTransaction, Policy
from paygo.documents import (
    BillingModel,
    CarrierStatement,
    Employer as DocEmployer,
    StatementFee,
    StatementRow,
    render_statement_pdf,
    statement_csv,
)
from paygo.billing.fees import setup_fee_policy
from paygo.billing.money import format_cents


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    nxt = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, nxt


def previous_month(today: date) -> date:
    """The first day of the month before `today`'s: 2025-03-15 -> 2025-02-01."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def carrier_ids(session: Session) -> list[str]:
    """Every carrier, in id order."""
    return list(session.scalars(select(Carrier.id).order_by(Carrier.id)))


def parse_month(text: str) -> date:
    """'2025-03' -> date(2025, 3, 1); raises ValueError."""
    year, _, mon = text.partition("-")
    return date(int(year), int(mon), 1)


@dataclass
class _PolicyMonth:
    settled: int = 0
    fees: int = 0
    clawbacks: int = 0


def _transactions(session: Session, carrier_id: str, first: date, nxt: date) -> dict[int, dict]:
    """Transactions of the month touching the carrier's wallet: id -> {key, kind, entries{code: cents}}."""
    wallet = f"carrier_wallet:{carrier_id}"
    touching = (select(LedgerEntry.transaction_id)
                .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
                .where(LedgerAccount.code == wallet))
    rows = session.execute(
        select(LedgerTransaction.id, LedgerTransaction.idempotency_key, LedgerTransaction.kind, LedgerAccount.code,
               LedgerEntry.amount_cents)
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .join(LedgerAccount, LedgerAccount.id == LedgerEntry.account_id)
        .where(LedgerTransaction.id.in_(touching), LedgerTransaction.effective_date >= first,
               LedgerTransaction.effective_date < nxt)
    ).all()
    txns: dict[int, dict] = {}
    for tid, key, kind, code, cents in rows:
        t = txns.setdefault(tid, {"key": key, "kind": kind, "entries": defaultdict(int)})
        t["entries"][code] += cents
    return txns


def post_flat_fees(session: Session, carrier_id: str, month: date) -> list[str]:
    """Charge the carrier's flat monthly fee(s) for `month` to its wallet, once (idempotency keys).

    A carrier whose default model is flat pays its fee once a month while any of its policies is in
    force that month (key `flat:<carrier>:<YYYY-MM>`); a policy whose own override is flat pays its
    fee for each month it is in force (key `flat:<carrier>:<policy>:<YYYY-MM>`). Returns the keys posted.
    """
    from paygo.billing.fees import BillingModel as Model
    from paygo.billing.fees import flat_fee_cents
    from paygo.db.models import BillingSetting
    from paygo.ledger import posting, repo

    first, nxt = month_bounds(month)
    settings = session.scalars(select(BillingSetting).where(BillingSetting.carrier_id == carrier_id)).all()
    policies = {p.id: p for p in session.scalars(select(Policy).where(Policy.carrier_id == carrier_id))}
    in_force = [p for p in policies.values() if p.effective_date < nxt and first < p.expiration_date]
    overridden = {r.policy_id for r in settings if r.policy_id is not None}
    charges: list[tuple[str, int, str]] = []
    for r in settings:
        model = Model(r.fee_type, r.fee_amount_cents, r.fee_rate, r.setup_fee_cents or 0)
        if r.policy_id is None:
            covered = [p for p in in_force if p.id not in overridden]
            cents = flat_fee_cents(model, first, active_from=first, active_until=nxt) if covered else 0
            charges.append((f"flat:{carrier_id}:{first:%Y-%m}", cents, "flat monthly fee"))
        elif (p := policies.get(r.policy_id)) is not None:
            cents = flat_fee_cents(model, first, active_from=p.effective_date, active_until=p.expiration_date)
            charges.append((f"flat:{carrier_id}:{p.number}:{first:%Y-%m}", cents, f"flat monthly fee, {p.number}"))
    posted = []
    for key, cents, reason in charges:
        if cents > 0:
            repo.post(session, posting.carrier_fee(key, carrier_id, cents, reason, first))
            posted.append(key)
    return posted


def build_carrier_statement(session: Session, carrier_id: str, month: date, *,
                            issue_date: date | None = None) -> CarrierStatement:
    """The carrier's statement for `month` (any day of it), from the ledger."""
    first, nxt = month_bounds(month)
    carrier = session.get(Carrier, carrier_id)
    if carrier is None:
        raise KeyError(f"unknown carrier {carrier_id!r}")
    wallet = f"carrier_wallet:{carrier_id}"
    premium_acct = f"premium_unsettled:{carrier_id}"
    per_invoice: dict[str, _PolicyMonth] = defaultdict(_PolicyMonth)
    setup_by_policy: dict[str, int] = defaultdict(int)
    fees = {model: 0 for model in BillingModel}
    counts = {model: 0 for model in BillingModel}
    for t in _transactions(session, carrier_id, first, nxt).values():
        e, parts = t["entries"], t["key"].split(":")
        if t["kind"] == "premium_to_carrier":
            p = e.get(premium_acct, 0)
            fc = p + e.get(wallet, 0)
            per_invoice[parts[1]].settled += p
            per_invoice[parts[1]].fees += fc
            fees[BillingModel.PERCENTAGE] += fc
            counts[BillingModel.PERCENTAGE] += fc > 0
            fees[BillingModel.CYCLE_BASED] += e.get("fees_unsettled", 0)
            counts[BillingModel.CYCLE_BASED] += e.get("fees_unsettled", 0) > 0
        elif t["kind"] == "clawback":
            per_invoice[parts[2 if parts[0] == "reverse" else 1]].clawbacks += e.get(wallet, 0)
        elif t["kind"] == "refund_payable":  # a credit refunded: settled premium and its fee given back
            p = e.get(premium_acct, 0)
            back = e.get("platform_fees", 0)
            per_invoice[parts[1]].settled += p
            per_invoice[parts[1]].fees -= back
            fees[BillingModel.PERCENTAGE] -= back
        elif t["kind"] == "carrier_fee":
            setup_policy = setup_fee_policy(t["key"])
            model = BillingModel.SETUP if setup_policy is not None else BillingModel.FLAT
            fees[model] += e.get(wallet, 0)
            counts[model] += 1
            if setup_policy is not None:
                setup_by_policy[setup_policy] += e.get(wallet, 0)
    rows: dict[str, list] = {}
    if per_invoice or setup_by_policy:
        info = session.execute(
            select(Invoice.number, Policy.number, Employer.name, Employer.fein)
            .join(Policy, Policy.id == Invoice.policy_id).join(Employer, Employer.id == Invoice.employer_id)
            .where(Invoice.number.in_(list(per_invoice)))
        ).all()
        by_invoice = {inv: (pol, name, fein) for inv, pol, name, fein in info}
        for inv, pm in per_invoice.items():
            pol, name, fein = by_invoice[inv]
            row = rows.setdefault(pol, [DocEmployer(name, fein), 0, 0, 0])
            row[1] += pm.settled
            row[2] += pm.fees
            row[3] += pm.clawbacks
        for pol, cents in setup_by_policy.items():
            if pol in rows:
                rows[pol][2] += cents
    statement_fees = tuple(
        StatementFee(model, _fee_text(model, counts[model], fees[model]), fees[model])
        for model in BillingModel if fees[model]
    )
    settled = sum(r[1] for r in rows.values())
    clawbacks = sum(r[3] for r in rows.values())
    carrier_fees = sum(f.amount_cents for f in statement_fees if f.model.paid_by_carrier)
    return CarrierStatement(
        carrier_name=carrier.name, month=first, issue_date=issue_date or date.today(),
        settled_premium_cents=settled, fees=statement_fees, clawbacks_cents=clawbacks,
        net_cents=settled - carrier_fees - clawbacks,
        rows=tuple(StatementRow(pol, r[0], r[1], r[2], r[3]) for pol, r in sorted(rows.items())),
    )


def _fee_text(model: BillingModel, count: int, cents: int) -> str:
    if model is BillingModel.PERCENTAGE:
        return f"Percentage of collected premium, {count} settled debits"
    if model is BillingModel.CYCLE_BASED:
        return f"Cycle-based fees on {count} invoices, paid by employers (${format_cents(cents)})"
    if model is BillingModel.SETUP:
        return f"{count} setup fees"
    return "Flat monthly fee" if count == 1 else f"{count} flat fee charges"


def write_carrier_statement(session: Session, carrier_id: str, month: date, home: Path, *,
                            issue_date: date | None = None) -> tuple[Path, Path, CarrierStatement]:
    """Write `<home>/statements/<carrier>-<YYYY-MM>.pdf` and `.csv`; returns both paths and the statement."""
    post_flat_fees(session, carrier_id, month)
    session.commit()
    statement = build_carrier_statement(session, carrier_id, month, issue_date=issue_date)
    folder = home / "statements"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{carrier_id}-{statement.month:%Y-%m}"
    pdf, csv_path = folder / f"{stem}.pdf", folder / f"{stem}.csv"
    pdf.write_bytes(render_statement_pdf(statement))
    csv_path.write_text(statement_csv(statement))
    return pdf, csv_path, statement
