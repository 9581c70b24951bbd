"""Which resources a deployment gets, picked by PAYGO_DEPLOYMENT (`local` is the default)."""

import os
from pathlib import Path

from pipelines.resources import CsvReferenceData, LocalPayrollInbox, RawFileStore


def resources_for_deployment(deployment: str | None = None) -> dict:
    deployment = deployment or os.environ.get("PAYGO_DEPLOYMENT", "local")
    home = Path(os.environ.get("PAYGO_HOME", ".paygo"))
    if deployment == "local":
        return {
            "inbox": LocalPayrollInbox(root=str(home / "inbox")),
            "reference": CsvReferenceData(policies_csv=str(home / "reference" / "policies.csv")),
            "raw_store": RawFileStore(home=str(home)),
        }
    raise ValueError(f"unknown PAYGO_DEPLOYMENT {deployment!r}: expected 'local'")
