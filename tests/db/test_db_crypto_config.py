"""Account encryption and settings: round trip, tamper and wrong-key refusal, masking, key file mode.

Pins: a token decrypts to the account number only with the right key; equal numbers give
different tokens; the demo key file is created 0600 and reused; settings read env over paygo.toml
with the documented defaults.
"""

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from paygo.config import ConfigError, ensure_account_key_file, load_settings
from paygo.db.crypto import AccountCipher, AccountNumberError, last4, mask


def test_round_trip_and_refusals():
    key, other = Fernet.generate_key(), Fernet.generate_key()
    cipher = AccountCipher([key])
    a, b = cipher.encrypt("000123456789"), cipher.encrypt("000123456789")
    assert a != b and "123456789" not in a
    assert cipher.decrypt(a) == "000123456789"
    with pytest.raises(AccountNumberError):
        AccountCipher([other]).decrypt(a)
    with pytest.raises(AccountNumberError):
        cipher.decrypt(a[:-4] + "AAAA")
    # rotation: new key first, the old one still decrypts
    assert AccountCipher([other, key]).decrypt(a) == "000123456789"
    assert (last4("000123456789"), mask("6789")) == ("6789", "****6789")


@pytest.mark.parametrize("bad", ["123", "1234567890123456789", "12 34"])  # 3 chars, 19 chars, a space
def test_unusable_account_numbers_are_refused_without_echo(bad):
    with pytest.raises(AccountNumberError) as err:
        AccountCipher([Fernet.generate_key()]).encrypt(bad)
    assert bad not in str(err.value)


def test_demo_key_file_is_private_and_reused(tmp_path):
    path = ensure_account_key_file(tmp_path / "home")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = path.read_bytes()
    assert ensure_account_key_file(tmp_path / "home").read_bytes() == first
    settings = load_settings({"PAYGO_ACCOUNT_KEY_FILE": str(path)}, cwd=tmp_path)
    assert settings.account_keys() == [first.strip()]


def test_defaults_file_and_environment(tmp_path):
    s = load_settings({}, cwd=tmp_path)
    assert s.home == tmp_path / ".paygo"
    assert s.database_url == f"sqlite:///{tmp_path / '.paygo' / 'paygo.db'}"
    assert s.bank.pre_debit_notice_banking_days == 2
    with pytest.raises(ConfigError, match="PAYGO_ACCOUNT_KEY"):
        s.account_keys()
    (tmp_path / "paygo.toml").write_text('home = "/srv/paygo"\nbank_company_name = "FROM FILE"\nsftp_port = 2022\n')
    s = load_settings({"PAYGO_BANK_COMPANY_NAME": "FROM ENV"}, cwd=tmp_path)
    assert (s.home, s.bank.company_name, s.sftp.port) == (Path("/srv/paygo"), "FROM ENV", 2022)
    assert "secret-value" not in repr(load_settings({"PAYGO_ACCOUNT_KEY": "secret-value"}, cwd=tmp_path))
    with pytest.raises(ConfigError, match="whole number"):
        load_settings({"PAYGO_SFTP_PORT": "twenty"}, cwd=tmp_path)


@pytest.mark.parametrize("env, toml, expected", [
    ({}, None, None),  # no folder bank configured
    ({"PAYGO_BANK_DIR": "/srv/bank"}, None, Path("/srv/bank")),  # from the environment
    ({}, 'bank_dir = "bank"\n', "CWD/bank"),  # from paygo.toml, relative to the working directory
    ({"PAYGO_BANK_DIR": "/srv/env-bank"}, 'bank_dir = "bank"\n', Path("/srv/env-bank")),  # the environment wins
])
def test_bank_dir_from_environment_or_file(tmp_path, env, toml, expected):
    if toml is not None:
        (tmp_path / "paygo.toml").write_text(toml)
    if expected == "CWD/bank":
        expected = tmp_path.resolve() / "bank"
    assert load_settings(env, cwd=tmp_path).bank_dir == expected
