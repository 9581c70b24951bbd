"""Carrier payout assets: wallets above their reserve paid by ACH credit, each payout file a partition."""

from pathlib import Path

import dagster as dg
from sqlalchemy import select

from assets.settlement import carrier_wallets
from paygo.billing.money import format_cents
from paygo.config import load_settings
from paygo.db.models import AchFile, Payout
from paygo.nacha.read import read_ach
from paygo.payouts.run import pay_carriers
from pipelines.partitions import ach_payout_files
from pipelines.resources import BankConnection, PaygoClock, PaygoDatabase, PaygoHome


@dg.asset(group_name="payouts", deps=[carrier_wallets], pool="money_out")
def carrier_payouts(
    context: dg.AssetExecutionContext, database: PaygoDatabase, home: PaygoHome, bank: BankConnection,
    clock: PaygoClock,
) -> dg.MaterializeResult:
    """Today's carrier payouts: each wallet above its reserve, one CCD credit each, recorded then confirmed."""
    with database.session() as session:
        result = pay_carriers(session, today=clock.today(), bank=bank.bank(), home=home.folder(),
                              settings=load_settings().bank, cipher=database.cipher(), now=clock.now())
    for d in result.decisions:
        context.log.info(f"{d.carrier_id}: {d.verdict} {format_cents(d.amount_cents)}; {d.reason}")
    return dg.MaterializeResult(metadata={
        "date": result.payout_date.isoformat(),
        "file": result.file_name or "none",
        "status": result.status or "nothing paid",
        "payouts": len(result.payouts),
        "total_credit_cents": result.total_credit_cents,
        "total_credit": format_cents(result.total_credit_cents),
        "finished_earlier_files": dg.MetadataValue.json(list(result.finished)),
        "waiting_for_bank": dg.MetadataValue.json(list(result.pending)),
        "decisions": dg.MetadataValue.md(
            "| carrier | verdict | amount | why |\n|---|---|---:|---|\n"
            + "\n".join(f"| {d.carrier_id} | {d.verdict} | {format_cents(d.amount_cents)} | {d.reason} |"
                        for d in result.decisions)),
    })


def payout_file_report(session, name: str) -> tuple[dict, list[str]]:
    """The recorded payout file `name`, parsed back from disk, against its payouts rows: (facts, problems)."""
    row = session.scalar(select(AchFile).where(AchFile.path.like(f"%{name}")))
    payouts = session.scalars(select(Payout).where(Payout.ach_file_id == row.id).order_by(Payout.trace_number)).all()
    parsed = read_ach(Path(row.path).read_bytes())
    problems = [] if parsed.valid else ["the file does not parse back as valid NACHA"]
    entries = list(parsed.file.entries) if parsed.file else []
    file_credit = int(parsed.file.control.total_credit) if parsed.file and parsed.file.control else -1
    file_debit = int(parsed.file.control.total_debit) if parsed.file and parsed.file.control else -1
    expected = sum(p.amount_cents for p in payouts)
    if (file_credit, file_debit, len(entries)) != (expected, 0, len(payouts)):
        problems.append(f"file credits {file_credit}, debits {file_debit}, {len(entries)} entries; payouts "
                        f"{expected} in {len(payouts)}")
    by_trace = {e.trace_number: e for e in entries}
    for p in payouts:
        e = by_trace.get(p.trace_number)
        if e is None or (int(e.amount), int(e.transaction_code)) != (p.amount_cents, p.transaction_code):
            problems.append(f"payout {p.carrier_id} {p.payout_date} trace {p.trace_number} not in the file as recorded")
    facts = {
        "status": row.status, "payouts": len(payouts), "total_credit_cents": expected,
        "total_credit": format_cents(expected),
        "entries": dg.MetadataValue.md(
            "| carrier | amount | account | tc | trace | effective | status |\n|---|---:|---|---|---|---|---|\n"
            + "\n".join(f"| {p.carrier_id} | {format_cents(p.amount_cents)} | ****{p.account_last4} | "
                        f"{p.transaction_code} | {p.trace_number} | {p.effective_date} | {p.status} |"
                        for p in payouts)),
    }
    return facts, problems


@dg.asset(
    partitions_def=ach_payout_files, group_name="payouts", deps=[carrier_payouts],
    check_specs=[dg.AssetCheckSpec(
        "payout_file_balances_payouts", asset="ach_payout_files",
        description="The payout file, parsed back, holds exactly the recorded payouts: amounts, codes, traces, totals.")],
)
def ach_payout_files(context: dg.AssetExecutionContext, database: PaygoDatabase) -> dg.MaterializeResult:
    """One carrier payout NACHA file: its status (built, uploaded, confirmed) and the payouts it carries."""
    with database.session() as session:
        facts, problems = payout_file_report(session, context.partition_key)
    return dg.MaterializeResult(
        metadata=facts,
        check_results=[dg.AssetCheckResult(check_name="payout_file_balances_payouts", passed=not problems,
                                           metadata={"problems": dg.MetadataValue.json(problems)})])
