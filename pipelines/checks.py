"""Cross-asset invariants, each a database query in `paygo.invariants` or `paygo.ledger.repo`.

The billing checks are blocking with severity ERROR on `invoice_book`, which `ach_debit_files`
depends on: no NACHA file is built from a book whose invoices or ledger do not add up.
`every_issued_invoice_has_its_pdf` (also on `invoice_book`, which re-creates missing PDFs before it
runs) is red, not blocking: a missing document is for ops to look at, the money is right."""

import dagster as dg

from assets.invoices import invoice_book
from paygo.invariants import invoices_not_matching_lines, runs_with_several_live_invoices
from paygo.invoicing.pdfs import missing_pdfs
from paygo.ledger.repo import unbalanced_transactions
from pipelines.resources import PaygoDatabase, PaygoHome


def _result(violations: list, what: str) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=not violations,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={"violations": len(violations), "first": dg.MetadataValue.json([list(map(str, v)) for v in violations[:20]]),
                  "rule": what},
    )


@dg.asset_check(asset=invoice_book, blocking=True)
def invoice_totals_equal_their_lines(database: PaygoDatabase) -> dg.AssetCheckResult:
    """Every invoice's total equals the sum of its rounded lines."""
    with database.session() as session:
        return _result(invoices_not_matching_lines(session), "invoice total = sum of its lines")


@dg.asset_check(asset=invoice_book, blocking=True)
def one_live_invoice_per_payroll_run(database: PaygoDatabase) -> dg.AssetCheckResult:
    """Exactly one live invoice per (policy, employer, payroll run)."""
    with database.session() as session:
        return _result(runs_with_several_live_invoices(session), "one live invoice per payroll run")


@dg.asset_check(asset=invoice_book, blocking=True)
def ledger_transactions_balance(database: PaygoDatabase) -> dg.AssetCheckResult:
    """Every ledger transaction's entries sum to zero."""
    with database.session() as session:
        return _result([(k,) for k in unbalanced_transactions(session)], "every ledger transaction balances")


@dg.asset_check(asset=invoice_book, blocking=False)
def every_issued_invoice_has_its_pdf(database: PaygoDatabase, home: PaygoHome) -> dg.AssetCheckResult:
    """Every invoice (any status) and stored remit bill has its PDF file under PAYGO_HOME."""
    with database.session() as session:
        missing = missing_pdfs(session, home.folder())
    return _result([(number,) for number in missing], "every issued invoice and remit bill has its PDF")


@dg.asset_check(asset="carrier_payouts", blocking=False)
def no_wallet_paid_beyond_what_it_received(database: PaygoDatabase) -> dg.AssetCheckResult:
    """No carrier is paid out more than its wallet received (paygo.payouts.check), each payout within its wallet."""
    from paygo.payouts.check import wallets_paid_beyond_received

    with database.session() as session:
        problems, carriers = wallets_paid_beyond_received(session)
    result = _result([(p,) for p in problems], "payouts not returned <= wallet movements up to the latest payout; "
                                               "each payout + reserve <= the wallet it saw")
    return dg.AssetCheckResult(passed=result.passed, severity=result.severity, metadata={
        **result.metadata,
        "carriers": dg.MetadataValue.json({c.carrier_id: {"paid_out_cents": c.paid_out_cents,
                                                          "received_cents": c.received_cents} for c in carriers})})
