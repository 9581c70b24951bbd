"""Pins the Dagster graph with mapped files: a Paychex long file, an ADP WC workbook and a roster
file uploaded to the companies' inboxes go through one ingest run; the mapped files are billed
through their employers' profiles (metadata `read_with` names profile and roster), and the roster
file is loaded (a new roster version), acknowledged and archived, never priced."""

import shutil

import dagster as dg
import pytest
from sqlalchemy import select

from mapping_helpers import LAYOUTS, SAMPLES
from paygo.config import ensure_account_key_file
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.db.migrate import upgrade
from paygo.db.session import make_engine, session_scope
from paygo.reference import load_reference
from pipelines.definitions import build_definitions
from pipelines.io import PartitionedPickleIOManager
from pipelines.resources import (
    DirectoryBankConnection,
    LocalPayrollInbox,
    Notifier,
    PaygoClock,
    PaygoDatabase,
    PaygoHome,
)

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
UPLOADS = [("acme-payroll", "paychex_pay_data.csv"), ("acme-payroll", "roster.csv"),
           ("summit-payroll", "adp_wc_report.xlsx")]
KEYS = [f"{c}/{n}" for c, n in UPLOADS]


@pytest.fixture
def world(tmp_path):
    home, url = tmp_path / "home", f"sqlite:///{tmp_path / 'paygo.db'}"
    upgrade(url)
    key = ensure_account_key_file(home)
    reference = tmp_path / "reference"
    shutil.copytree(SAMPLES / "reference", reference)
    shutil.copytree(LAYOUTS / "mappings", reference / "mappings")
    shutil.copy(LAYOUTS / "roster.csv", reference / "roster.csv")
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_reference(session, reference, AccountCipher([key.read_text().strip().encode()]))
        session.commit()
    inbox = tmp_path / "inbox"
    for company, name in UPLOADS:
        (inbox / company / "inbox").mkdir(parents=True, exist_ok=True)
        shutil.copy(LAYOUTS / name, inbox / company / "inbox" / name)
    # acme's roster upload: SSB-102 moves to class 8810 (a new version for Silver State only)
    roster = (LAYOUTS / "roster.csv").read_text().splitlines()
    own = [roster[0]] + [ln.replace("SSB-102,2025-01-01,NV,5645", "SSB-102,2025-01-01,NV,8810")
                         for ln in roster[1:] if ln.startswith(("880123458", "94-6123457"))]
    (inbox / "acme-payroll" / "inbox" / "roster.csv").write_text("\n".join(own) + "\n")
    resources = {
        "inbox": LocalPayrollInbox(root=str(inbox), settle_seconds=0),
        "bank": DirectoryBankConnection(root=str(tmp_path / "bank")),
        "database": PaygoDatabase(url=url, account_key_file=str(key)),
        "home": PaygoHome(path=str(home)),
        "clock": PaygoClock(fixed_date="2025-06-10"),
        "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
        "notifier": Notifier(),
    }
    yield {"defs": build_definitions(resources), "engine": engine, "inbox": inbox}
    engine.dispose()


def test_mapped_files_and_a_roster_through_one_run(world):
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("payroll_files", KEYS)
        job = world["defs"].resolve_job_def("ingest_payroll_files_job")
        tags = {"dagster/asset_partition_range_start": KEYS[0], "dagster/asset_partition_range_end": KEYS[-1]}
        result = job.execute_in_process(instance=instance, tags=tags, run_config=QUIET, raise_on_error=False)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    read_with = check.metadata["read_with"].value
    assert "| acme-payroll/paychex_pay_data.csv | silver-state-paychex@" in read_with
    assert "| summit-payroll/adp_wc_report.xlsx | keystone-adp-wc@" in read_with
    assert "roster.csv" not in read_with  # a roster is not payroll: not validated as such
    outcomes = {k: s for k, (s, _) in result.output_for_node("invoices").items()}
    assert outcomes == dict.fromkeys(KEYS, "accepted")
    with session_scope(world["engine"]) as session:
        files = {f.original_name: f for f in session.scalars(select(m.PayrollFile))}
        assert files["roster.csv"].roster_versions == "880123458@v2"
        assert files["adp_wc_report.xlsx"].mapping_profile.startswith("keystone-adp-wc@")
        assert files["adp_wc_report.xlsx"].roster_versions is None
    acme = world["inbox"] / "acme-payroll"
    assert "roster loaded: 880123458@v2" in (acme / "reports" / "roster.csv.ack.txt").read_text()
    assert (acme / "archive" / "roster.csv").exists()
