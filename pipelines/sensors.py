"""Sensors: each inbox is watched with a cursor; new files become dynamic partitions, run in batches."""

import hashlib
import json
import time

import dagster as dg

from pipelines.jobs import ingest_payroll_files_job, reconcile_ach_returns_job
from pipelines.partitions import MAX_FILES_PER_RUN, ach_return_files, payroll_files, range_tags
from pipelines.resources import BankConnection, PaygoDatabase, PayrollInbox
from sftp_ingest.inbox import InboxCursor, RemoteFile


def inbox_cursors(text: str | None) -> dict[str, InboxCursor]:
    """One cursor per payroll company inbox (keyed by company), stored together as one JSON value,
    so companies' clocks and upload habits never hide each other's files."""
    raw = json.loads(text) if text else {}
    if not all(isinstance(v, dict) for v in raw.values()):
        return {}  # a cursor of an older shape: start over (the database refuses repeats anyway)
    return {company: InboxCursor.loads(json.dumps(value)) for company, value in raw.items()}


def dump_cursors(cursors: dict[str, InboxCursor]) -> str:
    return json.dumps({c: json.loads(cursor.dumps()) for c, cursor in sorted(cursors.items())}, separators=(",", ":"))


def ready_files(cursors: dict[str, InboxCursor], files: list[RemoteFile], settle_seconds: int, now: float):
    """Settled files new to their company's cursor (oldest first), and the advanced cursors."""
    by_company: dict[str, list[RemoteFile]] = {}
    for f in files:
        by_company.setdefault(f.path.split("/", 1)[0], []).append(f)
    ready, advanced = [], dict(cursors)
    for company, listed in sorted(by_company.items()):
        cursor = cursors.get(company, InboxCursor())
        new = cursor.new_files(listed, settle_seconds=settle_seconds, now=now)
        ready += new
        advanced[company] = cursor.advanced(new)
    return sorted(ready, key=lambda f: (f.mtime, f.path)), advanced


def batch_run_requests(ready: list[RemoteFile], known: set[str], batch_size: int = MAX_FILES_PER_RUN):
    """Run requests for settled files: new keys in contiguous batches (one run each), a re-upload of
    an already known key alone (its partition is not at the end of the partition list)."""
    new = [f for f in ready if f.path not in known]
    again = [f for f in ready if f.path in known]
    requests = []
    for start in range(0, len(new), batch_size):
        chunk = new[start : start + batch_size]
        keys = [f.path for f in chunk]
        run_key = "batch:" + hashlib.sha256("\n".join(f.run_key for f in chunk).encode()).hexdigest()[:32]
        requests.append(dg.RunRequest(run_key=run_key, tags=range_tags(keys)))
    for f in again:
        requests.append(dg.RunRequest(run_key=f.run_key, partition_key=f.path))
    return [f.path for f in new], requests


@dg.sensor(job=ingest_payroll_files_job, minimum_interval_seconds=60)
def new_payroll_files_sensor(context: dg.SensorEvaluationContext, inbox: PayrollInbox) -> dg.SensorResult:
    """Adds a partition per settled new payroll file and runs them in batches."""
    cursors = inbox_cursors(context.cursor)
    ready, advanced = ready_files(cursors, inbox.list_files(), inbox.settle_seconds, time.time())
    if not ready:
        return dg.SensorResult(skip_reason="no settled new payroll files")
    known = set(context.instance.get_dynamic_partitions(payroll_files.name))
    new_keys, requests = batch_run_requests(ready, known)
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[payroll_files.build_add_request(new_keys)] if new_keys else [],
        cursor=dump_cursors(advanced),
    )


@dg.sensor(job=reconcile_ach_returns_job, minimum_interval_seconds=300)
def ach_return_files_sensor(context: dg.SensorEvaluationContext, bank: BankConnection) -> dg.SensorResult:
    """Adds a partition and a run for each return / notification-of-change file the bank sent."""
    waiting = bank.list_returns()
    known = set(context.instance.get_dynamic_partitions(ach_return_files.name))
    new = [name for name in waiting if name not in known]
    if not new:
        return dg.SensorResult(skip_reason="no new return files")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=f"return:{name}", partition_key=name) for name in new],
        dynamic_partitions_requests=[ach_return_files.build_add_request(new)],
    )


def payout_file_run_requests(files: list[tuple[str, str]], known: set[str]):
    """(new partition keys, run requests) for payout files (name, status): a run per file and status,
    so the UI shows a file once recorded and again once confirmed; a repeat tick asks for nothing new."""
    new = [name for name, _ in files if name not in known]
    return new, [dg.RunRequest(run_key=f"payout_file:{name}:{status}", partition_key=name) for name, status in files]


@dg.sensor(job_name="record_payout_files_job", minimum_interval_seconds=300)
def ach_payout_files_sensor(context: dg.SensorEvaluationContext, database: PaygoDatabase) -> dg.SensorResult:
    """Adds a partition per carrier payout NACHA file and a run each time its status changes."""
    from pipelines.partitions import ach_payout_files
    from paygo.payouts.run import recorded_payout_files

    with database.session() as session:
        files = recorded_payout_files(session)
    if not files:
        return dg.SensorResult(skip_reason="no payout files")
    new, requests = payout_file_run_requests(files, set(context.instance.get_dynamic_partitions(ach_payout_files.name)))
    return dg.SensorResult(run_requests=requests,
                           dynamic_partitions_requests=[ach_payout_files.build_add_request(new)] if new else [])
