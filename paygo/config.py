"""Settings, read from the environment and an optional `paygo.toml` (spec/cli.md "Configuration").

Configuration never comes from code: every field below has an environment variable, and a
`paygo.toml` in the working directory may give the same keys in lower case without the
`PAYGO_` prefix (`database_url = "..."`). The environment wins over the file. Example:

    PAYGO_HOME=/srv/paygo  ->  Settings.home == Path("/srv/paygo"),
                              database_url == "sqlite:////srv/paygo/paygo.db"
    bank_dir = "bank" in paygo.toml  ->  Settings.bank_dir == <working dir>/bank (PAYGO_BANK_DIR)

Secrets (the key that encrypts bank account numbers) come from `PAYGO_ACCOUNT_KEY` or from a
file named by `PAYGO_ACCOUNT_KEY_FILE`, never from the repository. `ensure_account_key_file`
creates such a file with mode 0600 for the demo.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.fernet import Fernet

ACCOUNT_KEY_FILE_NAME = "account.key"


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class BankSettings:
    """The ODFI (our bank) and the NACHA file header/batch header identities."""

    immediate_destination: str = "011000015"  # file header pos 4-13: the ODFI's routing number
    immediate_destination_name: str = "PAYGO SANDBOX BANK"
    immediate_origin: str = "1234567890"  # file header pos 14-23: our id at the bank
    immediate_origin_name: str = "PAYGO BILLING"
    odfi_routing_prefix: str = "01100001"  # batch header pos 80-87: first 8 digits of ODFI routing
    company_id: str = "1234567890"  # batch header pos 41-50
    company_name: str = "PAYGO PREMIUM"  # batch header pos 5-20
    per_entry_limit_cents: int = 100_000_000  # $1,000,000.00: larger entries are refused
    pre_debit_notice_banking_days: int = 2  # the invoice is sent this many banking days before
    # The bank's NACHA tolerance profile (paygo.nacha.read.Tolerance, docs/nacha-tolerances.md): what its
    # return/NOC files may break without being refused, each reported as a warning. Empty: strict.
    nacha_tolerances: frozenset = frozenset()


@dataclass(frozen=True)
class SftpSettings:
    """The payroll-company inbox server and the bank's SFTP server."""

    host: str = "127.0.0.1"
    port: int = 2222
    known_hosts: str | None = None  # path; host keys are pinned, never auto-added
    bank_host: str | None = None
    bank_port: int = 22
    bank_username: str | None = None
    bank_private_key_file: str | None = None


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    account_key: str | None = field(default=None, repr=False)  # never printed
    account_key_file: Path | None = None
    bank: BankSettings = BankSettings()
    sftp: SftpSettings = SftpSettings()
    bank_dir: Path | None = None  # a folder bank (paygo.ach.bank.DirectoryBank) instead of the bank's SFTP

    def account_keys(self) -> list[bytes]:
        """Fernet keys, newest first (comma separated, for rotation). Raises ConfigError."""
        if self.account_key:
            text = self.account_key
        elif self.account_key_file is not None:
            try:
                text = self.account_key_file.read_text().strip()
            except OSError as exc:
                raise ConfigError(f"PAYGO_ACCOUNT_KEY_FILE {self.account_key_file}: {exc.strerror}") from exc
        else:
            raise ConfigError(
                "no account-encryption key: set PAYGO_ACCOUNT_KEY or PAYGO_ACCOUNT_KEY_FILE"
            )
        keys = [k.strip().encode() for k in text.split(",") if k.strip()]
        for key in keys:
            try:
                Fernet(key)
            except ValueError as exc:
                raise ConfigError("the account-encryption key is not a Fernet key") from exc
        if not keys:
            raise ConfigError("the account-encryption key is empty")
        return keys


_BANK_FIELDS = {
    "PAYGO_BANK_IMMEDIATE_DESTINATION": ("immediate_destination", str),
    "PAYGO_BANK_IMMEDIATE_DESTINATION_NAME": ("immediate_destination_name", str),
    "PAYGO_BANK_IMMEDIATE_ORIGIN": ("immediate_origin", str),
    "PAYGO_BANK_IMMEDIATE_ORIGIN_NAME": ("immediate_origin_name", str),
    "PAYGO_BANK_ODFI_ROUTING_PREFIX": ("odfi_routing_prefix", str),
    "PAYGO_BANK_COMPANY_ID": ("company_id", str),
    "PAYGO_BANK_COMPANY_NAME": ("company_name", str),
    "PAYGO_BANK_PER_ENTRY_LIMIT_CENTS": ("per_entry_limit_cents", int),
    "PAYGO_BANK_PRE_DEBIT_NOTICE_BANKING_DAYS": ("pre_debit_notice_banking_days", int),
    "PAYGO_BANK_NACHA_TOLERANCES": ("nacha_tolerances", frozenset),
}
_SFTP_FIELDS = {
    "PAYGO_SFTP_HOST": ("host", str),
    "PAYGO_SFTP_PORT": ("port", int),
    "PAYGO_SFTP_KNOWN_HOSTS": ("known_hosts", str),
    "PAYGO_BANK_SFTP_HOST": ("bank_host", str),
    "PAYGO_BANK_SFTP_PORT": ("bank_port", int),
    "PAYGO_BANK_SFTP_USERNAME": ("bank_username", str),
    "PAYGO_BANK_SFTP_PRIVATE_KEY_FILE": ("bank_private_key_file", str),
}


def _file_key(env_name: str) -> str:
    return env_name.removeprefix("PAYGO_").lower()


def _read_toml(cwd: Path) -> dict[str, object]:
    path = cwd / "paygo.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return {k.lower(): v for k, v in data.items() if not isinstance(v, dict)}


def _typed(name: str, value: object, kind: type) -> object:
    if kind is frozenset:  # a comma-separated list of NACHA tolerance names, or a toml list
        from paygo.nacha.read import parse_tolerances

        try:
            return parse_tolerances(value if isinstance(value, (list, tuple)) else str(value))
        except ValueError as exc:
            raise ConfigError(f"{name}: {exc}") from exc
    if kind is int:
        try:
            return int(str(value))
        except ValueError as exc:
            raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc
    return str(value)


def load_settings(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Settings:
    """Settings from `env` (default os.environ) over `cwd/paygo.toml` (default the working dir)."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    from_file = _read_toml(cwd)

    def get(name: str) -> object | None:
        if env.get(name):
            return env[name]
        return from_file.get(_file_key(name))

    home = Path(str(get("PAYGO_HOME") or "./.paygo"))
    if not home.is_absolute():
        home = (cwd / home).resolve()
    url = get("PAYGO_DATABASE_URL")
    database_url = str(url) if url else f"sqlite:///{home / 'paygo.db'}"
    key_file = get("PAYGO_ACCOUNT_KEY_FILE")
    bank = BankSettings(
        **{f: _typed(n, v, k) for n, (f, k) in _BANK_FIELDS.items() if (v := get(n)) is not None}
    )
    sftp = SftpSettings(
        **{f: _typed(n, v, k) for n, (f, k) in _SFTP_FIELDS.items() if (v := get(n)) is not None}
    )
    if len(bank.odfi_routing_prefix) != 8 or not bank.odfi_routing_prefix.isdigit():
        raise ConfigError("PAYGO_BANK_ODFI_ROUTING_PREFIX must be 8 digits")
    if bank.pre_debit_notice_banking_days < 0:
        raise ConfigError("PAYGO_BANK_PRE_DEBIT_NOTICE_BANKING_DAYS must not be negative")
    key = get("PAYGO_ACCOUNT_KEY")
    bank_dir = get("PAYGO_BANK_DIR")
    bank_path = Path(str(bank_dir)) if bank_dir else None
    if bank_path is not None and not bank_path.is_absolute():
        bank_path = (cwd / bank_path).resolve()
    return Settings(
        home=home,
        database_url=database_url,
        account_key=str(key) if key else None,
        account_key_file=Path(str(key_file)) if key_file else None,
        bank=bank,
        sftp=sftp,
        bank_dir=bank_path,
    )


def ensure_account_key_file(home: Path) -> Path:
    """For the demo: `home/account.key` holding a new Fernet key, mode 0600; kept if it exists."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / ACCOUNT_KEY_FILE_NAME
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path
    with os.fdopen(fd, "wb") as fh:
        fh.write(Fernet.generate_key() + b"\n")
    os.chmod(path, 0o600)  # the umask cannot widen it, but make the mode explicit
    return path
