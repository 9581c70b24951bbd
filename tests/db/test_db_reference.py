"""`paygo load-reference`: the sample folder loads, twice is a no-op, bad rows are refused whole.

Pins: every bad row is named by file, row and reason and nothing is loaded; a changed bank
account bumps the bank details version and shows only its last four digits; account numbers are
encrypted at rest (the SQLite file's bytes do not contain them); the policy book read from the
database equals the one read from the sample policies CSV (so `paygo check --policies` agrees).
"""

import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

import paygo
from paygo.cli import main
from paygo.db import models as m
from paygo.reference import ReferenceDataError, load_reference, policy_book, routing_check_digit_ok

SAMPLE = Path(paygo.__file__).parent / "sample_data" / "reference"
ACCOUNTS = ["000123456789", "4421987650", "77001234", "5550001234"]  # the sample's clear account numbers


def counts(session):
    return {t.__tablename__: session.scalar(select(func.count()).select_from(t))
            for t in (m.PayrollCompany, m.Carrier, m.Employer, m.Policy, m.PolicyRate, m.BillingSetting)}


def test_sample_loads_once_and_again_changes_nothing(db_session, cipher):
    report = load_reference(db_session, SAMPLE, cipher)
    db_session.commit()
    # 2 companies, 2 carriers, 5 employers, 5 policies, 14 rate rows, 2 defaults + 1 override
    assert counts(db_session) == {"payroll_companies": 2, "carriers": 2, "employers": 5, "policies": 5,
                                  "policy_rates": 14, "billing_settings": 3}
    assert report.created["bank accounts"] == 4  # the remit employer has none
    again = load_reference(db_session, SAMPLE, cipher)
    db_session.commit()
    assert not again.changed and again.created == again.updated == {}
    bakery = db_session.scalar(select(m.Employer).where(m.Employer.fein == "946123457"))
    assert (bakery.bank_account_last4, bakery.bank_details_version) == ("6789", 1)
    assert cipher.decrypt(bakery.bank_account_ciphertext) == "000123456789"
    override = db_session.scalar(select(m.BillingSetting).where(m.BillingSetting.policy_id.is_not(None)))
    assert (override.fee_type, override.fee_rate) == ("percentage", "0.04")
    ca = db_session.scalar(select(m.Policy).where(m.Policy.number == "WC-CA-1001"))
    assert ca.cumulative_rounding is True


def test_changed_bank_account_bumps_version(db_session, cipher, tmp_path):
    load_reference(db_session, SAMPLE, cipher)
    db_session.commit()
    folder = shutil.copytree(SAMPLE, tmp_path / "ref")
    emp = folder / "employers.csv"
    emp.write_text(emp.read_text().replace("000123456789", "000999998888"))
    report = load_reference(db_session, folder, cipher)
    db_session.commit()
    assert report.updated == {"bank accounts": 1}
    assert report.bank_changes == ["946123457: ****8888 (bank details version 2)"]
    assert "000999998888" not in " ".join(report.bank_changes)


BAD = [
    # (file, find, replace, expected problem text)
    ("employers.csv", "021000021", "021000022", "employers.csv:1: bank_routing '021000022' fails the routing check"),
    ("employers.csv", "880123458", "88012345", "employers.csv:2: employer_fein '88012345' is not 9 digits"),
    ("employers.csv", "summit-payroll,semimonthly", "nobody,semimonthly", "employers.csv:3: unknown payroll company"),
    ("policies.csv", "2025-07-01,2026-01-01,PA,951", "2025-06-01,2026-01-01,PA,951",
     "policies.csv:7: rate period overlaps row 6"),
    ("policies.csv", "WC-IN-4001,351234560,harbor-casualty,2025-01-01,2026-01-01,IN,8810",
     "WC-IN-4001,351234560,lost-carrier,2025-01-01,2026-01-01,IN,8810", "policies.csv:9: unknown carrier"),
    ("billing_settings.csv", "WC-NV-2001", "WC-XX-9999", "billing_settings.csv:3: unknown policy 'WC-XX-9999'"),
]


@pytest.mark.parametrize("file, find, replace, expected", BAD)
def test_bad_rows_are_refused_and_nothing_is_loaded(db_session, cipher, tmp_path, file, find, replace, expected):
    folder = shutil.copytree(SAMPLE, tmp_path / "ref")
    path = folder / file
    assert find in path.read_text()
    path.write_text(path.read_text().replace(find, replace, 1))
    with pytest.raises(ReferenceDataError) as err:
        load_reference(db_session, folder, cipher)
    db_session.rollback()
    assert any(str(p).startswith(expected) for p in err.value.problems), err.value.problems
    assert set(counts(db_session).values()) == {0}


@pytest.mark.parametrize("routing, ok", [
    ("021000021", True),  # 0*3+2*7+1*1+0+0+0+0*3+2*7+1*1 = 30
    ("011000015", True),  # 0+7+1+0+0+0+0+7+5 = 20
    ("231380104", True),  # 6+21+1+9+56+0+3+0+4 = 100
    ("021000022", False),  # 31
    ("02100002", False),  # 8 digits
])
def test_routing_check_digit(routing, ok):
    assert routing_check_digit_ok(routing) is ok


def test_policy_book_from_database_matches_the_csv(db_session, cipher):
    from paygo.payroll.policies import PolicyBook

    load_reference(db_session, SAMPLE, cipher)
    db_session.commit()
    from_db = policy_book(db_session)
    from_csv = PolicyBook.from_csv((SAMPLE / "policies.csv").read_bytes())
    assert len(from_db.rate_rows) == 14
    assert sorted(from_db.rate_rows, key=repr) == sorted(from_csv.rate_rows, key=repr)
    # PA 951 changes rate on 2025-07-01 (expiration exclusive)
    assert from_db.rate("WC-PA-3001", "PA", "951", date(2025, 6, 30)).net_rate == "0.19"
    assert from_db.rate("WC-PA-3001", "PA", "951", date(2025, 7, 1)).net_rate == "0.21"


def test_cli_upgrade_load_and_no_clear_account_numbers(tmp_path, monkeypatch, capsys, cipher):
    from cryptography.fernet import Fernet

    monkeypatch.chdir(tmp_path)
    for var in ("PAYGO_DATABASE_URL", "PAYGO_HOME", "PAYGO_ACCOUNT_KEY_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PAYGO_ACCOUNT_KEY", Fernet.generate_key().decode())
    assert main(["db", "upgrade"]) == 0
    assert main(["db", "upgrade"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["load-reference", str(SAMPLE)]) == 0
    out = capsys.readouterr().out
    assert "****6789" in out and not any(a in out for a in ACCOUNTS)
    assert main(["load-reference", str(SAMPLE)]) == 0
    assert "nothing changed" in capsys.readouterr().out
    db = tmp_path / ".paygo" / "paygo.db"
    raw = b"".join(p.read_bytes() for p in db.parent.iterdir())  # the db file and any WAL
    assert b"Bay Area Bakery" in raw  # the grep works: clear text is found...
    assert not any(a.encode() in raw for a in ACCOUNTS)  # ...and no account number is there


def test_cli_refuses_bad_folder_with_reasons(tmp_path, monkeypatch, capsys):
    from cryptography.fernet import Fernet

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PAYGO_DATABASE_URL", raising=False)
    monkeypatch.delenv("PAYGO_HOME", raising=False)
    monkeypatch.setenv("PAYGO_ACCOUNT_KEY", Fernet.generate_key().decode())
    folder = shutil.copytree(SAMPLE, tmp_path / "ref")
    (folder / "employers.csv").write_text((folder / "employers.csv").read_text().replace("111000025", "111000026"))
    assert main(["db", "upgrade"]) == 0
    capsys.readouterr()
    assert main(["load-reference", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "nothing was loaded" in out and "employers.csv:2: bank_routing '111000026'" in out
    assert "4421987650" not in out
