"""`paygo check`: JSON shape, the readable output and exit codes (spec/cli.md).

Runs `paygo.cli.main([...])` in process with real files, capturing stdout/stderr; one subprocess
run checks that the command never imports dagster or sqlalchemy.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from paygo.cli import main

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "payroll"
POLICIES = str(FIX / "policies.csv")


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["check", *argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_accepted_json(capsys):
    code, out, _ = run(capsys, str(FIX / "good.csv"), "--policies", POLICIES, "--json")
    doc = json.loads(out)
    assert code == 0
    assert list(doc) == ["status", "file_sha256", "rows", "lines", "total_premium_cents"]
    assert doc["status"] == "accepted" and doc["rows"] == 2 and len(doc["file_sha256"]) == 64
    first = doc["lines"][0]
    assert list(first) == ["policy_number", "employer_fein", "payroll_run_id", "state", "class_code",
                           "auditable_cents", "net_rate", "premium_cents"]
    # $2,200.00 at 1.234 -> 220000 x 1.234 / 100 = 2714.8 -> 2715; FEIN without dash; rate as text
    assert first == {"policy_number": "WC-1", "employer_fein": "123456789", "payroll_run_id": "R1", "state": "CA",
                     "class_code": "8810", "auditable_cents": 220000, "net_rate": "1.234", "premium_cents": 2715}
    # PA counts all overtime: 100 + 30 = 130.00 -> 13000 x 2.000001 / 100 = 260.00013 -> 260
    assert doc["lines"][1]["premium_cents"] == 260 and doc["total_premium_cents"] == 2715 + 260


def test_accepted_text(capsys):
    code, out, _ = run(capsys, str(FIX / "good.csv"), "--policies", POLICIES)
    assert code == 0 and "2,200.00" in out and "27.15" in out and "total premium 29.75" in out


def test_rejected_json_and_text(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_bytes((FIX / "good.csv").read_bytes().replace(b",8810,", b",88l0,"))
    code, out, _ = run(capsys, str(bad), "--policies", POLICIES, "--json")
    doc = json.loads(out)
    assert code == 1 and list(doc) == ["status", "file_sha256", "errors"] and doc["status"] == "rejected"
    assert [(e["row"], e["column"], e["value"]) for e in doc["errors"]] == [(1, "class_code", "88l0")]
    code, out, _ = run(capsys, str(bad), "--policies", POLICIES)
    assert code == 1 and "row 1, class_code" in out


def test_empty_file_is_a_file_level_error(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    code, out, _ = run(capsys, str(empty), "--policies", POLICIES, "--json")
    assert code == 1 and json.loads(out)["errors"][0]["row"] is None


@pytest.mark.parametrize("payroll, policies, word", [
    ("missing.csv", POLICIES, "cannot read"),
    (str(FIX / "good.csv"), "missing.csv", "cannot read"),
    (str(FIX / "good.csv"), str(FIX / "good.csv"), "header"),  # a payroll file is no policies file
])
def test_usage_errors_exit_2(capsys, payroll, policies, word):
    code, _, err = run(capsys, payroll, "--policies", policies)
    assert code == 2 and word in err


def test_overlapping_policies_exit_2(tmp_path, capsys):
    pol = tmp_path / "p.csv"
    pol.write_text((FIX / "policies.csv").read_text() + "WC-1,12-3456789,CARRIER-A,2024-06-01,2025-06-01,CA,8810,1.5\n")
    code, _, err = run(capsys, str(FIX / "good.csv"), "--policies", str(pol))
    assert code == 2 and "overlap" in err


def test_subprocess_does_not_import_dagster_or_sqlalchemy():
    code = ("import sys; from paygo.cli import main; rc = main(['check', %r, '--policies', %r, '--json']);"
            "bad = [m for m in sys.modules if m.split('.')[0] in ('dagster', 'sqlalchemy')];"
            "sys.exit(rc if not bad else 99)") % (str(FIX / "good.csv"), POLICIES)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True)
    assert done.returncode == 0, done.stderr[-500:]
