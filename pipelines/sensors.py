"""Sensors: each inbox is watched with a cursor; one dynamic partition and run per new file."""

import dagster as dg

from pipelines.jobs import ingest_payroll_file_job
from pipelines.partitions import payroll_files
from pipelines.resources import PayrollInbox


@dg.sensor(job=ingest_payroll_file_job, minimum_interval_seconds=60)
def new_payroll_files_sensor(context: dg.SensorEvaluationContext, inbox: PayrollInbox) -> dg.SensorResult:
    """Adds a partition and requests a run for each payroll file not seen before."""
    known = set(context.instance.get_dynamic_partitions(payroll_files.name))
    new = [p for p in inbox.list_paths() if p not in known]
    if not new:
        return dg.SensorResult(skip_reason="no new payroll files")
    return dg.SensorResult(
        run_requests=[dg.RunRequest(partition_key=p, run_key=p) for p in new],
        dynamic_partitions_requests=[payroll_files.build_add_request(new)],
    )
