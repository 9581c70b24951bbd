"""Settlement assets: debits with no return after the window settle; carriers get settled money only."""

import dagster as dg

from paygo.ach.monitoring import return_rates
from paygo.ach.settle import settle
from paygo.billing.money import format_cents
from paygo.late_payroll import late_employers, load_cadences
from paygo.ledger.repo import balances
from paygo.notifications.delivery import deliver_notifications
from paygo.statements import carrier_ids, previous_month, write_carrier_statement
from pipelines.resources import Notifier, PaygoClock, PaygoDatabase, PaygoHome


@dg.asset(group_name="settlement", pool="money_out")
def ach_settlements(context: dg.AssetExecutionContext, database: PaygoDatabase, clock: PaygoClock):
    """Entries with no return two banking days after their effective date, settled to carrier wallets."""
    with database.session() as session:
        result = settle(session, today=clock.today(), changed_by="dagster ach_settlements")
    return dg.MaterializeResult(
        metadata={
            "settled": result.settled,
            "total_cents": result.total_cents,
            "total": format_cents(result.total_cents),
            "by_carrier": dg.MetadataValue.json({c.carrier_id: vars(c) for c in result.by_carrier}),
        }
    )


@dg.asset(group_name="settlement", deps=[ach_settlements])
def carrier_wallets(context: dg.AssetExecutionContext, database: PaygoDatabase) -> dg.MaterializeResult:
    """Each carrier's wallet balance in the ledger (settled premium less fees and clawbacks)."""
    with database.session() as session:
        wallets = balances(session, "carrier_wallet:")
    # A wallet is a liability: credits are negative in the ledger, so the carrier is owed -balance.
    return dg.MaterializeResult(metadata={code.split(":", 1)[1]: -cents for code, cents in sorted(wallets.items())})


@dg.asset(
    group_name="settlement",
    deps=[ach_settlements],
    check_specs=[
        dg.AssetCheckSpec(
            "return_rates_within_nacha_thresholds",
            asset="ach_return_rates",
            description="Unauthorized < 0.5%, administrative < 3%, overall < 15% over 60 days; warns at 80% of each.",
        )
    ],
)
def ach_return_rates(context: dg.AssetExecutionContext, database: PaygoDatabase, clock: PaygoClock):
    """Return rates over the last 60 days per originator, against the thresholds banks watch."""
    with database.session() as session:
        rates = return_rates(session, today=clock.today())
    table = {
        o.company_id: {
            "debits": o.debits,
            **{r.name: f"{r.returned}/{r.debits} = {r.rate:.4%} ({r.status})" for r in (o.unauthorized, o.administrative, o.overall)},
        }
        for o in rates.originators
    }
    worst = max((o.status for o in rates.originators), key=("ok", "warn", "breach").index, default="ok")
    yield dg.MaterializeResult(
        metadata={"rates": dg.MetadataValue.json(table), "status": worst},
        check_results=[
            dg.AssetCheckResult(
                check_name="return_rates_within_nacha_thresholds",
                passed=worst == "ok",
                severity=dg.AssetCheckSeverity.WARN if worst != "breach" else dg.AssetCheckSeverity.ERROR,
                metadata={"status": worst, "rates": dg.MetadataValue.json(table)},
            )
        ],
    )


@dg.asset(group_name="settlement", deps=[ach_settlements])
def notifications_sent(context: dg.AssetExecutionContext, database: PaygoDatabase, home: PaygoHome,
                       notifier: Notifier):
    """Notifications from the outbox delivered (SMTP when configured, else files), each once."""
    smtp = notifier.smtp()
    with database.session() as session:
        count = deliver_notifications(session, smtp=smtp, out_dir=home.folder("notifications"))
    return dg.MaterializeResult(metadata={"delivered": count, "channel": "smtp" if smtp else "files"})


@dg.asset(group_name="settlement", deps=[ach_settlements])
def carrier_statements(context: dg.AssetExecutionContext, database: PaygoDatabase, home: PaygoHome, clock: PaygoClock):
    """Last month's statement per carrier: settled premium, fees by billing model, clawbacks, net (PDF, CSV)."""
    month = previous_month(clock.today())
    written = []
    with database.session() as session:
        for carrier_id in carrier_ids(session):
            pdf, _, _ = write_carrier_statement(session, carrier_id, month, home.folder(), issue_date=clock.today())
            written.append(str(pdf))
    return dg.MaterializeResult(metadata={"month": f"{month:%Y-%m}", "statements": dg.MetadataValue.json(written)})


@dg.asset(
    group_name="ingest",
    check_specs=[
        dg.AssetCheckSpec(
            "no_payroll_file_is_late",
            asset="expected_payroll_files",
            description="Every employer's next payroll file arrived within 3 days of its expected pay date.",
        )
    ],
)
def expected_payroll_files(context: dg.AssetExecutionContext, database: PaygoDatabase, clock: PaygoClock):
    """Each employer's expected next pay date by its pay frequency; late ones are flagged."""
    with database.session() as session:
        cadences = load_cadences(session)
    late = late_employers(cadences, clock.today())
    rows = [{"employer": x.name, "fein": x.employer_fein, "expected": x.expected_pay_date.isoformat(),
             "days_late": x.days_late} for x in late]
    yield dg.MaterializeResult(metadata={"employers": len(cadences), "late": len(late)})
    yield dg.AssetCheckResult(
        check_name="no_payroll_file_is_late",
        passed=not late,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={"late": dg.MetadataValue.json(rows)},
    )
