"""Pins `paygo ach originate --date`: it prints the file, the entries with ****last4 only, and held
invoices; a second run sends nothing new; the folder bank may come from paygo.toml `bank_dir`."""

import os
import shutil
import subprocess
import sys

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from ach_factories import ACCOUNTS, add_employer, add_invoice
from paygo.db.crypto import AccountCipher
from paygo.db.session import make_engine


def one_invoice_database(tmp_path, template: str) -> dict[str, str]:
    """A copy of the migrated template with one employer and invoice INV-1 of $27.15; the
    environment (PAYGO_BANK_DIR left out) under which `paygo` commands use it."""
    db = tmp_path / "paygo.db"
    shutil.copyfile(template, db)
    key = Fernet.generate_key()
    engine = make_engine(f"sqlite:///{db}")
    with Session(engine) as s:
        add_invoice(s, add_employer(s, AccountCipher([key]), "111111111"), "INV-1", 2715)
        s.commit()
    engine.dispose()
    env = {k: v for k, v in os.environ.items() if k != "PAYGO_BANK_DIR"}
    return env | {"PAYGO_HOME": str(tmp_path / "home"), "PAYGO_DATABASE_URL": f"sqlite:///{db}",
                  "PAYGO_ACCOUNT_KEY": key.decode()}


def originate(env: dict[str, str], day: str, cwd) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "paygo.cli", "ach", "originate", "--date", day],
                          env=env, capture_output=True, text=True, cwd=cwd)


def test_cli_prints_entries_masked(tmp_path, sqlite_template):
    env = one_invoice_database(tmp_path, sqlite_template) | {"PAYGO_BANK_DIR": str(tmp_path / "bank")}
    first = originate(env, "2026-11-25", tmp_path)
    assert first.returncode == 0, first.stderr
    # notice on the 25th: debit date 2 banking days later = Mon 30th (Thanksgiving, weekend), not due yet
    assert "notice: INV-1 presentment 1 $27.15 on 2026-11-30 to ****6789" in first.stdout
    assert "no new file: nothing due" in first.stdout
    second = originate(env, "2026-11-27", tmp_path)
    assert "PAYGO-20261127-A.ach: 1 entries, debits $27.15" in second.stdout, second.stdout + second.stderr
    assert "Bay Bakery  INV-1  $27.15  ****6789  effective 2026-11-30" in second.stdout
    assert ACCOUNTS["checking"] not in first.stdout + second.stdout
    third = originate(env, "2026-11-27", tmp_path)
    assert "no new file: nothing due" in third.stdout


def test_bank_dir_from_paygo_toml_receives_the_file(tmp_path, sqlite_template):
    env = one_invoice_database(tmp_path, sqlite_template)
    (tmp_path / "paygo.toml").write_text('bank_dir = "toml-bank"\n')
    for day in ("2026-11-25", "2026-11-27"):  # notice, then the debit due on Mon 30th goes out on Fri 27th
        done = originate(env, day, tmp_path)
        assert done.returncode == 0, done.stderr
    assert "uploaded and confirmed" in done.stdout
    assert [p.name for p in (tmp_path / "toml-bank" / "inbound").iterdir()] == ["PAYGO-20261127-A.ach"]
