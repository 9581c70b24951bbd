"""Pins that a deviation the bank's tolerance profile allows is never silent in Dagster: the
`ach_return_entries` materialization of a return file carries it under `warnings` (and the profile
under `nacha_tolerances`); strictly the same file is refused whole."""

import shutil
from pathlib import Path

import dagster as dg

from assets.returns import ach_return_entries
from paygo.config import ensure_account_key_file
from paygo.db.migrate import upgrade
from pipelines.resources import DirectoryBankConnection, PaygoClock, PaygoDatabase

FIXTURES = Path("/work/shared/fixtures/nacha")
NAME = "return-PPD-custom-reason-code.ach"  # an R97: a custom return code


def materialize(tmp_path, name):
    url = f"sqlite:///{tmp_path / 'paygo.db'}"
    if not (tmp_path / "paygo.db").exists():
        upgrade(url)
    key = ensure_account_key_file(tmp_path / "home")
    bank = tmp_path / "bank"
    (bank / "returns").mkdir(parents=True, exist_ok=True)
    shutil.copy(FIXTURES / NAME, bank / "returns" / name)
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("ach_return_files", [name])
        result = dg.materialize([ach_return_entries], partition_key=name, instance=instance, resources={
            "database": PaygoDatabase(url=url, account_key_file=str(key)),
            "bank": DirectoryBankConnection(root=str(bank)), "clock": PaygoClock(fixed_date="2021-07-23")})
        [event] = result.get_asset_materialization_events()
        return {k: v.value for k, v in event.materialization.metadata.items()}


def test_tolerated_deviations_are_warnings_in_the_asset_metadata(tmp_path, monkeypatch):
    monkeypatch.delenv("PAYGO_BANK_NACHA_TOLERANCES", raising=False)
    strict = materialize(tmp_path, "strict.ach")
    assert strict["refused"] is True and strict["warnings"] == [] and strict["nacha_tolerances"] == "strict"
    monkeypatch.setenv("PAYGO_BANK_NACHA_TOLERANCES", "custom_return_codes")
    tolerated = materialize(tmp_path, "tolerated.ach")
    assert tolerated["refused"] is False and tolerated["items"] == 1
    assert tolerated["nacha_tolerances"] == "custom_return_codes"
    assert "line 4: warning, tolerated: Addenda99.return_code code (found 'R97')" in tolerated["warnings"]
