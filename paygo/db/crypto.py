"""Bank account numbers are stored encrypted; only the last four digits are kept in clear.

NACHA's data-security rule (Nacha Operating Rules, Article One, Subsection 1.6): account numbers
must be unreadable when stored electronically, and logs, PDFs and screens show the last four
digits only. We use Fernet (AES-128-CBC with an HMAC-SHA256, from `cryptography`): a token is
authenticated, so a tampered or wrongly keyed ciphertext raises instead of decrypting to junk.
Fernet tokens are randomized, so equal accounts do not give equal ciphertexts; to see whether an
account changed, decrypt and compare. Example:

    cipher = AccountCipher([key]); token = cipher.encrypt("000123456789")
    cipher.decrypt(token) == "000123456789"; last4("000123456789") == "6789"; mask("6789") == "****6789"

Several keys may be given (newest first): the newest encrypts, any decrypts (key rotation).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# NACHA entry detail pos 13-29: the DFI account number is at most 17 characters.
ACCOUNT_NUMBER = re.compile(r"[0-9A-Za-z-]{4,17}")


class AccountNumberError(ValueError):
    """An account number that NACHA cannot carry, or a token that does not decrypt."""


def validate_account_number(account_number: str) -> str:
    """The account number as stored (trimmed); raises AccountNumberError without echoing it."""
    text = account_number.strip()
    if not ACCOUNT_NUMBER.fullmatch(text):
        raise AccountNumberError("account number must be 4 to 17 letters, digits or dashes")
    return text


def last4(account_number: str) -> str:
    return account_number.strip()[-4:]


def mask(last_four: str) -> str:
    """What screens, logs and PDFs show: ****6789."""
    return f"****{last_four}"


class AccountCipher:
    def __init__(self, keys: Sequence[bytes]):
        if not keys:
            raise ValueError("at least one key is needed")
        self._fernet = MultiFernet([Fernet(k) for k in keys])

    def encrypt(self, account_number: str) -> str:
        """A Fernet token (ASCII text) for the validated account number."""
        return self._fernet.encrypt(validate_account_number(account_number).encode()).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode()
        except InvalidToken as exc:
            raise AccountNumberError("stored account number does not decrypt with the configured key") from exc

    @classmethod
    def from_key_file(cls, path) -> "AccountCipher":
        """The keys in a key file (comma separated, newest first, for rotation)."""
        from pathlib import Path

        return cls([k.strip().encode() for k in Path(path).read_text().split(",") if k.strip()])

    def __repr__(self) -> str:  # never show key material
        return "AccountCipher(<keys hidden>)"
