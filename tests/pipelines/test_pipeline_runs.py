"""Pins the Dagster graph on a real SQLite database and local folders: a batch of payroll files is
validated (the bad one red in `matches_payroll_schema`, with its errors as metadata), priced,
invoiced and moved to archive/ or rejected/ with a report; the blocking billing checks keep
`ach_debit_files` from running when an invoice does not equal its lines."""

import shutil
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import select, text

import paygo.sample_data
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

SAMPLE = Path(paygo.sample_data.__file__).parent
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@pytest.fixture
def world(tmp_path):
    home = tmp_path / "home"
    url = f"sqlite:///{tmp_path / 'paygo.db'}"
    upgrade(url)
    key = ensure_account_key_file(home)
    engine = make_engine(url)
    with session_scope(engine) as session:
        load_reference(session, SAMPLE / "reference", AccountCipher([key.read_text().strip().encode()]))
        session.commit()
    inbox = tmp_path / "inbox"
    for company, name in [("acme-payroll", "acme_2025-06-06.csv"), ("summit-payroll", "summit_2025-06-06.csv"),
                          ("summit-payroll", "summit_2025-06-06_bad.csv")]:
        (inbox / company / "inbox").mkdir(parents=True, exist_ok=True)
        shutil.copy(SAMPLE / "payroll" / name, inbox / company / "inbox" / name)
    resources = {
        "inbox": LocalPayrollInbox(root=str(inbox), settle_seconds=0),
        "bank": DirectoryBankConnection(root=str(tmp_path / "bank")),
        "database": PaygoDatabase(url=url, account_key_file=str(key)),
        "home": PaygoHome(path=str(home)),
        "clock": PaygoClock(fixed_date="2025-06-10"),
        "io_manager": PartitionedPickleIOManager(base_dir=str(tmp_path / "storage")),
        "notifier": Notifier(),
    }
    yield {"defs": build_definitions(resources), "engine": engine, "inbox": inbox, "resources": resources}
    engine.dispose()


KEYS = ["acme-payroll/acme_2025-06-06.csv", "summit-payroll/summit_2025-06-06.csv", "summit-payroll/summit_2025-06-06_bad.csv"]


def ingest(world, instance):
    instance.add_dynamic_partitions("payroll_files", KEYS)
    job = world["defs"].resolve_job_def("ingest_payroll_files_job")
    tags = {"dagster/asset_partition_range_start": KEYS[0], "dagster/asset_partition_range_end": KEYS[-1]}
    return job.execute_in_process(instance=instance, tags=tags, run_config=QUIET, raise_on_error=False)


def test_a_batch_is_validated_priced_invoiced_and_filed(world):
    with dg.instance_for_test() as instance:
        result = ingest(world, instance)
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["rejected_files"].value == "summit-payroll/summit_2025-06-06_bad.csv"
    assert check.metadata["error_count"].value == 6
    assert "WC-IN-9999" in check.metadata["errors"].value  # the unknown policy, by row and column
    outcomes = result.output_for_node("invoices")
    assert {k: s for k, (s, _) in outcomes.items()} == {
        KEYS[0]: "accepted", KEYS[1]: "accepted", KEYS[2]: "rejected"
    }
    premium = result.output_for_node("premium_lines")
    assert premium[KEYS[2]] is None
    # summit file: 2,291.67 in PA 951 at 0.19 -> 435.42 cents; IN officers raised/capped (see sample)
    assert premium[KEYS[1]].total_premium_cents == 32842
    with session_scope(world["engine"]) as session:
        totals = dict(session.execute(select(m.Invoice.payroll_run_id, m.Invoice.premium_cents)).all())
        statuses = dict(session.execute(select(m.PayrollFile.original_name, m.PayrollFile.status)).all())
    assert totals["KL-2025-06A"] + totals["HS-2025-05"] == 32842  # invoices bill exactly what was priced
    assert statuses == {"acme_2025-06-06.csv": "accepted", "summit_2025-06-06.csv": "accepted",
                        "summit_2025-06-06_bad.csv": "rejected"}
    summit = world["inbox"] / "summit-payroll"
    assert (summit / "archive" / "summit_2025-06-06.csv").exists()
    assert (summit / "rejected" / "summit_2025-06-06_bad.csv").exists()
    report = (summit / "reports" / "summit_2025-06-06_bad.csv.rejected.txt").read_text()
    assert "6 problem(s)" in report and "123-45-6789" in report
    assert list((summit / "inbox").iterdir()) == []


def test_billing_checks_block_origination_when_an_invoice_does_not_equal_its_lines(world):
    with dg.instance_for_test() as instance:
        assert ingest(world, instance).success
        with session_scope(world["engine"]) as session:
            session.execute(text("UPDATE invoice_lines SET amount_cents = amount_cents + 1 WHERE id = 1"))
            session.commit()
        result = world["defs"].resolve_job_def("originate_ach_debits_job").execute_in_process(
            instance=instance, run_config=QUIET, raise_on_error=False
        )
    failed = {c.check_name for c in result.get_asset_check_evaluations() if not c.passed}
    assert failed == {"invoice_totals_equal_their_lines"}
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert "ach_debit_files" not in materialized and "ach_debit_schedule" not in materialized
    assert not (world["resources"]["home"].folder("ach") / "outgoing").exists() or not any(
        (world["resources"]["home"].folder("ach") / "outgoing").iterdir()
    )


def test_missing_pdfs_are_recreated_by_both_invoice_assets_and_checked(world):
    """A run killed after its commit and before its PDFs is retried as a duplicate: the invoices
    asset re-creates the missing files, so does invoice_book, and `every_issued_invoice_has_its_pdf`
    is red while one is missing."""
    from pipelines.checks import every_issued_invoice_has_its_pdf

    resources = world["resources"]
    pdfs = resources["home"].folder("invoices")

    def check():
        return every_issued_invoice_has_its_pdf(database=resources["database"], home=resources["home"])

    with dg.instance_for_test() as instance:
        assert ingest(world, instance).success
        names = sorted(p.name for p in pdfs.iterdir())
        assert names and check().passed
        for p in pdfs.iterdir():
            p.unlink()  # as if the run had been killed after its commit
        failed = check()
        assert not failed.passed and failed.metadata["violations"].value == len(names)
        for company, name in [("acme-payroll", "acme_2025-06-06.csv"), ("summit-payroll", "summit_2025-06-06.csv")]:
            shutil.copy(SAMPLE / "payroll" / name, world["inbox"] / company / "inbox" / name)  # the retry
        instance.add_dynamic_partitions("payroll_files", KEYS[:2])
        job = world["defs"].resolve_job_def("ingest_payroll_files_job")
        again = job.execute_in_process(instance=instance, run_config=QUIET, raise_on_error=False, tags={
            "dagster/asset_partition_range_start": KEYS[0], "dagster/asset_partition_range_end": KEYS[1]})
        assert {s for s, _ in again.output_for_node("invoices").values()} == {"duplicate"}
        assert sorted(p.name for p in pdfs.iterdir()) == names
        (pdfs / names[0]).unlink()
        book = world["defs"].resolve_job_def("originate_ach_debits_job").execute_in_process(
            instance=instance, run_config=QUIET, raise_on_error=False)
    evaluations = {c.check_name: c.passed for c in book.get_asset_check_evaluations()}
    assert evaluations["every_issued_invoice_has_its_pdf"]  # invoice_book re-created it first
    assert sorted(p.name for p in pdfs.iterdir()) == names
