"""Pins `paygo payouts --date D [--json]` on the sample carriers: it prints who is paid (amount,
****last4, trace, statement) and why the others are not; a second run the same day pays nobody;
the full account number is in no output."""

import json
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

import paygo.sample_data
from paygo.ach.settle import settle
from paygo.db.crypto import AccountCipher
from paygo.db.session import make_engine
from paygo.reference import load_reference
from returns_factory import make_world

SAMPLE = Path(paygo.sample_data.__file__).parent


def payouts(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paygo.cli", "payouts", *args], env=env, capture_output=True,
                          text=True)


def test_cli_pays_once_and_masks(tmp_path, sqlite_template):
    db = tmp_path / "paygo.db"
    shutil.copyfile(sqlite_template, db)
    key = Fernet.generate_key()
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        load_reference(s, SAMPLE / "reference", AccountCipher([key]))
        w = make_world(s, carrier_id="granite-mutual", fein="987650001")
        w.send(w.invoice(100_000, issued_on=date(2026, 11, 16)), effective=date(2026, 11, 16))
        settle(s, today=date(2026, 11, 18))
        s.commit()
    engine.dispose()
    env = os.environ | {"PAYGO_HOME": str(tmp_path / "home"), "PAYGO_DATABASE_URL": f"sqlite:///{db}",
                        "PAYGO_ACCOUNT_KEY": key.decode(), "PAYGO_BANK_DIR": str(tmp_path / "bank")}
    first = payouts(env, "--date", "2026-11-25")
    assert first.returncode == 0, first.stderr
    # the sample's granite-mutual billing model takes its fee; whatever the wallet, $100.00 stays
    assert "PAYGO-PAYOUT-20261125-A.ach: 1 payouts" in first.stdout and "uploaded and confirmed" in first.stdout
    assert "  paid granite-mutual: $" in first.stdout and "to ****2233 (tc 22)" in first.stdout
    assert "less reserve $100.00" in first.stdout
    assert "not paid harbor-casualty: wallet $0.00 is at or below its reserve of $50.00" in first.stdout
    second = payouts(env, "--date", "2026-11-25", "--json")
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["file"] is None and report["payouts"] == []
    assert {d["carrier_id"]: d["verdict"] for d in report["decisions"]} == {
        "granite-mutual": "already_paid", "harbor-casualty": "at_or_below_reserve"}
    for out in (first.stdout + first.stderr, second.stdout):
        assert "7700112233" not in out and "7700445566" not in out
    assert [p.name for p in (tmp_path / "bank" / "inbound").iterdir()] == ["PAYGO-PAYOUT-20261125-A.ach"]
