"""Pins the payout flow in Dagster on a real SQLite database and a folder bank: `pay_carriers_job`
pays the sample carriers' wallets above their reserves and `no_wallet_paid_beyond_what_it_received`
passes; the sensor makes each payout file a partition (a run per file and status, none repeated);
the partition's check parses the file back against its payouts; metadata shows last four digits only."""

import sys
from pathlib import Path

import dagster as dg
from sqlalchemy import select

import paygo.sample_data
from paygo.ach.settle import settle
from paygo.config import ensure_account_key_file
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.db.migrate import upgrade
from paygo.db.session import make_engine, session_scope
from paygo.reference import load_reference
from pipelines.definitions import build_definitions
from pipelines.io import PartitionedPickleIOManager
from pipelines.resources import DirectoryBankConnection, LocalPayrollInbox, Notifier, PaygoClock, PaygoDatabase, PaygoHome
from pipelines.sensors import ach_payout_files_sensor, payout_file_run_requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "returns"))
from returns_factory import make_world  # noqa: E402

SAMPLE = Path(paygo.sample_data.__file__).parent
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def test_payout_file_run_requests_once_per_file_and_status():
    new, requests = payout_file_run_requests([("PAYGO-PAYOUT-20261125-A.ach", "built")], {"x"})
    assert new == ["PAYGO-PAYOUT-20261125-A.ach"]
    assert [r.run_key for r in requests] == ["payout_file:PAYGO-PAYOUT-20261125-A.ach:built"]
    new, requests = payout_file_run_requests([("PAYGO-PAYOUT-20261125-A.ach", "confirmed")],
                                             {"PAYGO-PAYOUT-20261125-A.ach"})
    assert new == [] and [r.run_key for r in requests] == ["payout_file:PAYGO-PAYOUT-20261125-A.ach:confirmed"]


def test_pay_carriers_job_then_the_payout_file_partition(tmp_path):
    from datetime import date

    home, url = tmp_path / "home", f"sqlite:///{tmp_path / 'paygo.db'}"
    upgrade(url)
    key = ensure_account_key_file(home)
    engine = make_engine(url)
    with session_scope(engine) as s:
        load_reference(s, SAMPLE / "reference", AccountCipher([key.read_text().strip().encode()]))
        s.commit()
        w = make_world(s, carrier_id="granite-mutual", fein="987650001")
        inv = w.invoice(100_000, issued_on=date(2026, 11, 16))
        w.send(inv, effective=date(2026, 11, 16))
        settle(s, today=date(2026, 11, 18))
        s.commit()
        owed = -sum(e.amount_cents for e in s.scalars(
            select(m.LedgerEntry).join(m.LedgerAccount).where(m.LedgerAccount.code == "carrier_wallet:granite-mutual")))
    database = PaygoDatabase(url=url, account_key_file=str(key))
    defs = build_definitions({"bank": DirectoryBankConnection(root=str(tmp_path / "bank")), "database": database,
                              "home": PaygoHome(path=str(home)), "clock": PaygoClock(fixed_date="2026-11-25"),
                              "inbox": LocalPayrollInbox(root=str(tmp_path / "inbox"), settle_seconds=0),
                              "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
                              "notifier": Notifier()})
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("pay_carriers_job").execute_in_process(instance=instance, run_config=QUIET)
        [check] = result.get_asset_check_evaluations()
        assert check.check_name == "no_wallet_paid_beyond_what_it_received" and check.passed
        [mat] = result.asset_materializations_for_node("carrier_payouts")
        assert mat.metadata["file"].value == "PAYGO-PAYOUT-20261125-A.ach"
        assert mat.metadata["total_credit_cents"].value == owed - 10_000  # granite-mutual keeps its $100.00
        context = dg.build_sensor_context(instance=instance, resources={"database": database})
        tick = ach_payout_files_sensor(context)
        [request] = tick.run_requests
        assert request.partition_key == "PAYGO-PAYOUT-20261125-A.ach"
        instance.add_dynamic_partitions("ach_payout_files", list(tick.dynamic_partitions_requests[0].partition_keys))
        run = defs.resolve_job_def("record_payout_files_job").execute_in_process(
            instance=instance, partition_key=request.partition_key, run_config=QUIET)
        [file_check] = run.get_asset_check_evaluations()
        assert file_check.check_name == "payout_file_balances_payouts" and file_check.passed
        [file_mat] = run.asset_materializations_for_node("ach_payout_files")
        assert file_mat.metadata["status"].value == "confirmed"
        table = file_mat.metadata["entries"].value
        assert "****2233" in table and "7700112233" not in table
    engine.dispose()
