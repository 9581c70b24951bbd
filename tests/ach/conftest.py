"""Fixtures for the ACH tests: an account cipher, bank settings, a folder bank."""

import pytest
from cryptography.fernet import Fernet

from paygo.ach.bank import DirectoryBank
from paygo.config import BankSettings
from paygo.db.crypto import AccountCipher


@pytest.fixture(scope="session")
def cipher() -> AccountCipher:
    return AccountCipher([Fernet.generate_key()])


@pytest.fixture
def bank_settings() -> BankSettings:
    return BankSettings(per_entry_limit_cents=1_000_000)  # $10,000.00 so the limit is easy to cross


@pytest.fixture
def folder_bank(tmp_path) -> DirectoryBank:
    return DirectoryBank(tmp_path / "bank")
