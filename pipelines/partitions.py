"""Dynamic partitions: one per received payroll file, keyed by its inbox path (`company/name.csv`)."""

import dagster as dg

payroll_files = dg.DynamicPartitionsDefinition(name="payroll_files")
