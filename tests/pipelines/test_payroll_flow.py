"""Pins the Dagster spine for one payroll file: the definitions load; a good file is kept by sha256,
validated and priced (premium lines with totals as metadata); a bad file fails the blocking
`matches_payroll_schema` check with its errors as metadata and nothing downstream runs."""

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import polars as pl

from assets.ingest import payroll_file_lines, raw_payroll_files
from assets.premiums import premium_lines
from pipelines.definitions import defs
from pipelines.resources import CsvReferenceData, LocalPayrollInbox, RawFileStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "payroll"


def test_definitions_load():
    dg.Definitions.validate_loadable(defs)
    assert defs.resolve_job_def("ingest_payroll_file_job") is not None


def run_file(tmp_path: Path, content: bytes, key: str = "acme/p1.csv"):
    inbox = tmp_path / "inbox"
    (inbox / key).parent.mkdir(parents=True)
    (inbox / key).write_bytes(content)
    resources = {
        "inbox": LocalPayrollInbox(root=str(inbox)),
        "reference": CsvReferenceData(policies_csv=str(FIXTURES / "policies.csv")),
        "raw_store": RawFileStore(home=str(tmp_path / "home")),
    }
    with dg.instance_for_test() as instance:
        instance.add_dynamic_partitions("payroll_files", [key])
        result = dg.materialize(
            [raw_payroll_files, payroll_file_lines, premium_lines],
            partition_key=key,
            resources=resources,
            instance=instance,
            raise_on_error=False,
        )
        materialized = {
            e.asset_key.to_user_string(): e.materialization.metadata for e in result.get_asset_materialization_events()
        }
        lines = result.output_for_node("premium_lines") if "premium_lines" in materialized else None
        return result, materialized, lines


def test_good_file_is_kept_validated_and_priced(tmp_path):
    content = (FIXTURES / "good.csv").read_bytes()
    result, materialized, lines = run_file(tmp_path, content)
    [check] = result.get_asset_check_evaluations()
    assert check.passed
    assert set(materialized) == {"raw_payroll_files", "payroll_file_lines", "premium_lines"}
    digest = hashlib.sha256(content).hexdigest()
    # the raw file is kept byte for byte under its sha256
    assert (tmp_path / "home" / "raw" / f"{digest}.csv").read_bytes() == content
    assert materialized["raw_payroll_files"]["sha256"].value == digest
    assert isinstance(lines, pl.DataFrame) and lines.height > 0
    total = materialized["premium_lines"]["total_premium_cents"].value
    assert total == int(lines["premium_cents"].sum())
    # first line of good.csv: $2,200.00 in CA 8810 at 1.234 -> 2714.8 -> 2715 cents
    ca = lines.filter((pl.col("policy_number") == "WC-1") & (pl.col("class_code") == "8810") & (pl.col("state") == "CA"))
    assert ca["premium_cents"].to_list() == [2715]


def test_bad_file_blocks_premiums_and_shows_errors(tmp_path):
    bad = (FIXTURES / "good.csv").read_text().replace(",8810,2200.00", ",88l0,2200.00", 1).encode()
    assert bad != (FIXTURES / "good.csv").read_bytes()
    result, materialized, lines = run_file(tmp_path, bad)
    [check] = result.get_asset_check_evaluations()
    assert not check.passed
    assert check.metadata["status"].value == "rejected"
    assert check.metadata["error_count"].value >= 1
    assert "class_code" in check.metadata["errors"].value
    assert "premium_lines" not in materialized
    assert lines is None
