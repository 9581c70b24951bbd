"""Dynamic partitions: one per received payroll file (`company/name`) and one per bank return file."""

import dagster as dg

payroll_files = dg.DynamicPartitionsDefinition(name="payroll_files")
ach_return_files = dg.DynamicPartitionsDefinition(name="ach_return_files")

# Files of one sensor tick run together, in batches of at most this many (one process per batch,
# not per file); each asset handles every partition of its run.
MAX_FILES_PER_RUN = 50


def range_tags(keys: list[str]) -> dict[str, str]:
    """Run tags selecting a contiguous range of dynamic partitions (in the order they were added)."""
    return {"dagster/asset_partition_range_start": keys[0], "dagster/asset_partition_range_end": keys[-1]}

# One partition per carrier payout NACHA file (keyed by its file name), added by
# `ach_payout_files_sensor` from the database, so the UI shows each payout file and its status.
ach_payout_files = dg.DynamicPartitionsDefinition(name="ach_payout_files")
