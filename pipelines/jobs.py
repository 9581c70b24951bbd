"""Jobs: what one run materializes."""

import dagster as dg

ingest_payroll_file_job = dg.define_asset_job(
    "ingest_payroll_file_job",
    selection=dg.AssetSelection.groups("ingest", "premiums"),
    description="Receive, validate and price one payroll file (one partition).",
)
