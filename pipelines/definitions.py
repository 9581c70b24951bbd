"""The one Dagster `Definitions` object (workspace.yaml points here)."""

import dagster as dg

from assets import ach, dunning, ingest, invoices, payouts, premiums, returns, settlement
from pipelines import checks, jobs, schedules
from pipelines.resources_by_deployment import resources_for_deployment
from pipelines.sensors import ach_payout_files_sensor, ach_return_files_sensor, new_payroll_files_sensor

ASSET_MODULES = [ingest, premiums, invoices, ach, returns, settlement, dunning, payouts]
JOBS = [
    jobs.ingest_payroll_files_job,
    jobs.originate_ach_debits_job,
    jobs.reconcile_ach_returns_job,
    jobs.settle_ach_debits_job,
    jobs.carrier_statements_job,
    jobs.send_payment_reminders_job,
    jobs.pay_carriers_job,
    jobs.record_payout_files_job,
]


def build_definitions(resources: dict) -> dg.Definitions:
    """The whole graph with the given resources (the demo and tests pass their own)."""
    return dg.Definitions(
        assets=dg.load_assets_from_modules(ASSET_MODULES),
        asset_checks=dg.load_asset_checks_from_modules([*ASSET_MODULES, checks]),
        jobs=JOBS,
        schedules=[
            schedules.originate_ach_debits_schedule,
            schedules.settle_ach_debits_schedule,
            schedules.carrier_statements_schedule,
            schedules.send_payment_reminders_schedule,
            schedules.pay_carriers_schedule,
        ],
        sensors=[new_payroll_files_sensor, ach_return_files_sensor, ach_payout_files_sensor],
        resources=resources,
    )


defs = build_definitions(resources_for_deployment())
