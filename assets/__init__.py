"""Dagster assets: thin functions that fetch through a resource, call paygo, and return metadata."""

import warnings

import dagster as dg

# Batches of payroll files run as one run (BackfillPolicy.single_run), a parameter Dagster still
# marks beta; the behaviour we rely on is pinned by tests/pipelines.
warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy.*")
