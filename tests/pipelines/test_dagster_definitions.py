"""Pins that the Dagster definitions load (so the UI and the daemon can start) with every job,
sensor, schedule and check, and how a sensor tick turns settled files into batched runs."""

import dagster as dg

from pipelines.definitions import defs
from pipelines.sensors import batch_run_requests, dump_cursors, inbox_cursors, ready_files
from sftp_ingest.inbox import RemoteFile


def test_definitions_load_with_every_job_sensor_schedule_and_check():
    dg.Definitions.validate_loadable(defs)
    jobs = {j.name for j in defs.resolve_all_job_defs()}
    assert {
        "ingest_payroll_files_job", "originate_ach_debits_job", "reconcile_ach_returns_job",
        "settle_ach_debits_job", "carrier_statements_job",
    } <= jobs
    assert {s.name for s in defs.sensors} == {"new_payroll_files_sensor", "ach_return_files_sensor",
                                              "ach_payout_files_sensor"}
    assert {"pay_carriers_job", "record_payout_files_job"} <= jobs and "pay_carriers_schedule" in {
        s.name for s in defs.schedules}
    assert {"originate_ach_debits_schedule", "settle_ach_debits_schedule", "carrier_statements_schedule",
            "send_payment_reminders_schedule"} <= {s.name for s in defs.schedules}
    checks = {key.name for key in defs.resolve_asset_graph().asset_check_keys}
    assert {
        "matches_payroll_schema", "invoice_totals_equal_their_lines", "one_live_invoice_per_payroll_run",
        "ledger_transactions_balance", "ach_file_balances_invoices", "return_rates_within_nacha_thresholds",
        "no_payroll_file_is_late", "every_issued_invoice_has_its_pdf",
        "no_wallet_paid_beyond_what_it_received", "payout_file_balances_payouts",
    } <= checks


def remote(i: int) -> RemoteFile:
    return RemoteFile(f"acme/p{i:03d}.csv", f"p{i:03d}.csv", 100 + i, 1_700_000_000 + i)


def test_new_files_run_in_contiguous_batches_and_reuploads_alone():
    ready = [remote(i) for i in range(120)]
    known = {"acme/p005.csv"}  # a re-upload of a file already partitioned
    new_keys, requests = batch_run_requests(ready, known, batch_size=50)
    assert len(new_keys) == 119 and "acme/p005.csv" not in new_keys
    batches = [r for r in requests if r.partition_key is None]
    singles = [r for r in requests if r.partition_key is not None]
    # 119 new files -> 50 + 50 + 19, each run covering a contiguous range of the new keys
    assert [(r.tags["dagster/asset_partition_range_start"], r.tags["dagster/asset_partition_range_end"]) for r in batches] == [
        (new_keys[0], new_keys[49]), (new_keys[50], new_keys[99]), (new_keys[100], new_keys[118])
    ]
    assert [r.partition_key for r in singles] == ["acme/p005.csv"]
    assert singles[0].run_key == ready[5].run_key  # path:mtime:size: a repeat tick asks for nothing new
    # the same tick evaluated twice asks for the same run keys (Dagster launches each once)
    assert [r.run_key for r in batch_run_requests(ready, known, batch_size=50)[1]] == [r.run_key for r in requests]


def test_each_company_inbox_has_its_own_cursor():
    # acme's file (mtime 2000) is handed out first; then summit uploads a file whose preserved mtime
    # (1000) is older than acme's: with one shared high-water mark it would never be seen.
    a = RemoteFile("acme/a.csv", "a.csv", 10, 2000)
    b = RemoteFile("summit/b.csv", "b.csv", 10, 1000)
    ready, cursors = ready_files({}, [a], settle_seconds=0, now=5000)
    assert ready == [a]
    text = dump_cursors(cursors)
    ready, cursors = ready_files(inbox_cursors(text), [a, b], settle_seconds=0, now=5000)
    assert ready == [b]  # acme's file is not handed out twice; summit's old-mtime file is
    assert inbox_cursors(dump_cursors(cursors))["summit"].mtime == 1000
    # a file still settling (mtime within settle_seconds of now) waits for a later tick
    c = RemoteFile("acme/c.csv", "c.csv", 10, 4990)
    assert ready_files(cursors, [a, b, c], settle_seconds=120, now=5000)[0] == []
    assert inbox_cursors('{"mtime": 5, "paths": []}') == {}  # an older cursor shape starts over
