"""An IO manager for partitioned assets that run many partitions in one run.

Payroll files are one dynamic partition each, but a busy sensor tick runs all its new files in a
single run (BackfillPolicy.single_run), so an asset's value is a dict {partition key: value}.
Each partition is pickled to its own file, so any later run can load any subset.
"""

import pickle
from pathlib import Path
from urllib.parse import quote

import dagster as dg


class PartitionedPickleIOManager(dg.ConfigurableIOManager):
    base_dir: str

    def _path(self, asset_key: dg.AssetKey, partition: str | None) -> Path:
        folder = Path(self.base_dir).joinpath(*asset_key.path)
        name = "__all__" if partition is None else quote(partition, safe="")
        return folder / f"{name}.pickle"

    def handle_output(self, context: dg.OutputContext, obj) -> None:
        if obj is None:
            return
        if context.has_asset_partitions:
            keys = context.asset_partition_keys
            if not isinstance(obj, dict) or set(obj) != set(keys):
                raise TypeError(f"{context.asset_key.to_user_string()} must return a dict keyed by its partitions {keys}")
            items = obj.items()
        else:
            items = [(None, obj)]
        for key, value in items:
            path = self._path(context.asset_key, key)
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(path)

    def load_input(self, context: dg.InputContext):
        asset_key = context.asset_key
        if context.has_asset_partitions:
            return {k: pickle.loads(self._path(asset_key, k).read_bytes()) for k in context.asset_partition_keys}
        return pickle.loads(self._path(asset_key, None).read_bytes())
