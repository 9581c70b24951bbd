"""Jobs: what one run materializes. Every job runs its steps in one process (in_process_executor):
the work is I/O and database bound, and a process per step would cost more than the steps."""

import dagster as dg

from assets.ach import ach_debit_files, ach_debit_schedule
from assets.dunning import payment_reminders
from assets.ingest import payroll_file_lines, raw_payroll_files
from assets.invoices import invoice_book, invoices
from assets.premiums import premium_lines
from assets.returns import ach_exception_queue, ach_return_entries
from assets.settlement import (
    ach_return_rates,
    ach_settlements,
    carrier_statements,
    carrier_wallets,
    expected_payroll_files,
    notifications_sent,
)

ingest_payroll_files_job = dg.define_asset_job(
    "ingest_payroll_files_job",
    selection=[raw_payroll_files, payroll_file_lines, premium_lines, invoices],
    executor_def=dg.in_process_executor,
    description="Receive, validate, price and invoice a batch of payroll files (one partition each).",
)

originate_ach_debits_job = dg.define_asset_job(
    "originate_ach_debits_job",
    selection=[invoice_book, ach_debit_schedule, ach_debit_files],
    executor_def=dg.in_process_executor,
    description="Check the invoice book and ledger, schedule debits with notice, send today's NACHA file.",
)

reconcile_ach_returns_job = dg.define_asset_job(
    "reconcile_ach_returns_job",
    selection=[ach_return_entries],
    executor_def=dg.in_process_executor,
    description="Apply one return / notification-of-change file from the bank.",
)

settle_ach_debits_job = dg.define_asset_job(
    "settle_ach_debits_job",
    selection=[
        ach_settlements, carrier_wallets, ach_return_rates, notifications_sent, ach_exception_queue,
        expected_payroll_files,
    ],
    executor_def=dg.in_process_executor,
    description="Settle what passed the return window, credit carriers, watch return rates and late payroll.",
)

carrier_statements_job = dg.define_asset_job(
    "carrier_statements_job",
    selection=[carrier_statements],
    executor_def=dg.in_process_executor,
    description="Write last month's statement for every carrier.",
)

send_payment_reminders_job = dg.define_asset_job(
    "send_payment_reminders_job",
    selection=[payment_reminders],
    executor_def=dg.in_process_executor,
    description="Queue the payment reminders due today (the overdue pass); notifications_sent delivers them.",
)


pay_carriers_job = dg.define_asset_job(
    "pay_carriers_job",
    selection=["carrier_payouts"],
    executor_def=dg.in_process_executor,
    description="Pay each carrier's wallet above its reserve by ACH credit (one payout file), then its statements.",
)

record_payout_files_job = dg.define_asset_job(
    "record_payout_files_job",
    selection=["ach_payout_files"],
    executor_def=dg.in_process_executor,
    description="Show one carrier payout NACHA file (a partition): parsed back against its payouts.",
)
