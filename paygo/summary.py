"""What happened, in numbers a person reads at a glance: the end of `paygo demo` and ops reports.

Every figure is read back from the database (and the ledger), not from what a run remembers, so
the summary is also a check that the pipeline recorded what it did."""

from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from paygo.billing.money import format_cents
from paygo.db import models as m
from paygo.ledger.repo import balances


def pipeline_summary(session: Session, home: Path) -> dict:
    files = session.execute(
        select(m.PayrollFile.original_name, m.PayrollFile.status, m.PayrollFile.error_count).order_by(m.PayrollFile.id)
    ).all()
    invoices = session.execute(
        select(m.Invoice.number, m.Invoice.kind, m.Invoice.status, m.Employer.name, m.Invoice.total_cents)
        .join(m.Employer, m.Employer.id == m.Invoice.employer_id)
        .order_by(m.Invoice.number)
    ).all()
    ach_files = session.execute(
        select(m.AchFile.path, m.AchFile.status, m.AchFile.entry_count, m.AchFile.total_debit_cents,
               m.AchFile.total_credit_cents).order_by(m.AchFile.id)
    ).all()
    returns = session.execute(
        select(m.AchReturn.kind, m.AchReturn.code, m.AchReturn.status, func.count())
        .group_by(m.AchReturn.kind, m.AchReturn.code, m.AchReturn.status)
        .order_by(m.AchReturn.kind, m.AchReturn.code)
    ).all()
    entries = session.execute(
        select(m.AchEntry.status, func.count(), func.coalesce(func.sum(m.AchEntry.amount_cents), 0))
        .group_by(m.AchEntry.status)
    ).all()
    retries = session.scalar(select(func.count()).where(m.AchEntry.presentment > 1)) or 0
    wallets = {code.split(":", 1)[1]: -cents for code, cents in balances(session, "carrier_wallet:").items()}
    exceptions = session.scalar(select(func.count()).where(m.ExceptionItem.resolved_at.is_(None))) or 0
    remit = session.execute(select(func.count(), func.coalesce(func.sum(m.Payment.amount_cents), 0))).one()
    payouts = session.execute(select(m.Payout.carrier_id, m.Payout.amount_cents, m.Payout.status)
                              .order_by(m.Payout.id)).all()
    return {
        "files": [{"name": n, "status": s, "errors": e} for n, s, e in files],
        "invoices": [{"number": n, "kind": k, "status": s, "employer": e, "total_cents": t} for n, k, s, e, t in invoices],
        "ach_files": [
            {"file": Path(p).name, "status": s, "entries": c, "debit_cents": d, "credit_cents": cr}
            for p, s, c, d, cr in ach_files
        ],
        "returns": [{"kind": k, "code": c, "status": s, "count": n} for k, c, s, n in returns],
        "entries": {s: {"count": n, "cents": int(c)} for s, n, c in entries},
        "re_presentments": retries,
        "remit_payments": {"count": remit[0], "cents": int(remit[1])},
        "payouts": [{"carrier": c, "cents": a, "status": st} for c, a, st in payouts],
        "open_exceptions": exceptions,
        "carrier_wallets_cents": wallets,
        "folders": {
            "invoice PDFs": str(home / "invoices"),
            "NACHA files": str(home / "ach" / "outgoing"),
            "payroll company reports": str(home / "sftp" / "payroll" / "<company>" / "reports"),
            "bank returns": str(home / "sftp" / "bank" / "returns" / "archive"),
            "carrier statements": str(home / "statements"),
            "notifications": str(home / "notifications"),
            "database": str(home / "paygo.db"),
        },
    }


def render_summary(s: dict) -> str:
    out = ["SUMMARY"]
    accepted = [f for f in s["files"] if f["status"] == "accepted"]
    rejected = [f for f in s["files"] if f["status"] == "rejected"]
    out.append(f"payroll files: {len(accepted)} accepted, {len(rejected)} rejected")
    for f in s["files"]:
        extra = f" ({f['errors']} errors, report sent back)" if f["status"] == "rejected" else ""
        out.append(f"  {f['status']:<9} {f['name']}{extra}")
    out.append(f"invoices: {len(s['invoices'])}")
    for inv in s["invoices"]:
        out.append(
            f"  {inv['number']}  {inv['kind']:<10} {inv['status']:<9} {inv['employer']:<28} "
            f"{format_cents(inv['total_cents']):>12}"
        )
    by_status: dict[str, int] = {}
    for inv in s["invoices"]:
        by_status[inv["status"]] = by_status.get(inv["status"], 0) + inv["total_cents"]
    out.append("  totals: " + ", ".join(f"{k} {format_cents(v)}" for k, v in sorted(by_status.items())))
    out.append(f"NACHA files: {len(s['ach_files'])}")
    for f in s["ach_files"]:
        out.append(
            f"  {f['file']}  {f['status']:<9} {f['entries']} entries, debits {format_cents(f['debit_cents'])}, "
            f"credits {format_cents(f['credit_cents'])}"
        )
    out.append(f"returns and notifications of change: {sum(r['count'] for r in s['returns'])}")
    for r in s["returns"]:
        out.append(f"  {r['kind']:<6} {r['code']}  {r['status']:<9} x{r['count']}")
    out.append(f"remit payments recorded: {s['remit_payments']['count']}, {format_cents(s['remit_payments']['cents'])}")
    out.append(f"carrier payouts: {len(s['payouts'])}" + "".join(
        f"\n  {p['carrier']:<26} {format_cents(p['cents']):>8}  {p['status']}" for p in s["payouts"]))
    out.append(f"re-presentments (presentments 2-3: RETRY PYMT after R01/R09, or by ops): {s['re_presentments']}")
    for status, v in sorted(s["entries"].items()):
        out.append(f"ACH entries {status}: {v['count']}, {format_cents(v['cents'])}")
    out.append("carrier wallets:")
    for carrier, cents in sorted(s["carrier_wallets_cents"].items()):
        out.append(f"  {carrier:<20} {format_cents(cents):>12}")
    out.append(f"open exceptions for ops: {s['open_exceptions']}")
    out.append("where the files are:")
    for what, where in s["folders"].items():
        out.append(f"  {what:<24} {where}")
    if "dagster_runs" in s:
        out.append(f"{s['dagster_runs']} Dagster runs in {s['seconds']} s")
    return "\n".join(out)
