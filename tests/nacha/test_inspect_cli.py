"""Pins `paygo ach inspect`: JSON shape from spec/cli.md, masked account numbers (entries and NOC
corrected data), exit 0 valid / 1 errors / 2 usage, .gz input, and the stub sub-commands."""

import gzip
import json


from nacha_factories import FIXTURES
from paygo.cli import main


def inspect(capsys, *args):
    code = main(["ach", "inspect", *args])
    return code, capsys.readouterr().out


def test_return_file_json(capsys):
    code, out = inspect(capsys, str(FIXTURES / "return-WEB.ach"), "--json")
    report = json.loads(out)
    assert code == 0 and report["valid"] and report["errors"] == []
    # 2 batches, debit 12354 (tc 26) and credit 4565 (tc 21), as the file control says
    assert (report["batch_count"], report["entry_count"], report["total_debit_cents"], report["total_credit_cents"]) == (2, 2, 12354, 4565)
    entry = report["batches"][0]["entries"][0]
    assert entry["return_code"] == "R01" and entry["original_trace"] == "091400600000001"
    assert entry["original_routing"] == "09100001" and entry["amount_cents"] == 12354
    assert entry["account_number"] == "****6789"  # last four only
    assert "123456789" not in json.dumps(report["batches"][0]["entries"])  # (the company id is also 123456789)


def test_noc_corrected_account_is_masked(capsys):
    code, out = inspect(capsys, str(FIXTURES / "cor-example.ach"), "--json")
    entry = json.loads(out)["batches"][0]["entries"][0]
    assert code == 0 and entry["change_code"] == "C01" and entry["corrected_data"] == "****1614"
    assert "1918171614" not in out and "744-5678-99" not in out


def test_invalid_file_exits_1_with_named_error(capsys):
    code, out = inspect(capsys, str(FIXTURES / "pos-invalidReturnFile.ach"), "--json")
    report = json.loads(out)
    assert code == 1 and not report["valid"]
    assert {"line": 4, "record": "Addenda99", "field": "return_code", "rule": "code", "value": "R96",
            "message": "line 4: Addenda99.return_code code (found 'R96')"} in report["errors"]


def test_gzip_input_and_text_summary(capsys, tmp_path):
    gz = tmp_path / "ccd.ach.gz"
    gz.write_bytes(gzip.compress((FIXTURES / "ccd-debit.ach").read_bytes()))
    code, out = inspect(capsys, str(gz))
    assert code == 0 and "valid; 1 batches, 2 entries, debits 500125 cents" in out and "****8-99" in out


def test_missing_file_is_usage_error(capsys, tmp_path):
    assert main(["ach", "inspect", str(tmp_path / "nope.ach")]) == 2
