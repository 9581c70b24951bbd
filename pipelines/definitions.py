"""The one Dagster `Definitions` object (workspace.yaml points here)."""

import dagster as dg

from assets import ingest, premiums
from pipelines.jobs import ingest_payroll_file_job
from pipelines.resources_by_deployment import resources_for_deployment
from pipelines.sensors import new_payroll_files_sensor

defs = dg.Definitions(
    assets=dg.load_assets_from_modules([ingest, premiums]),
    asset_checks=dg.load_asset_checks_from_modules([ingest, premiums]),
    jobs=[ingest_payroll_file_job],
    sensors=[new_payroll_files_sensor],
    resources=resources_for_deployment(),
)
