"""Resources: one per outside system, each an abstract base with a real and a local implementation
(style.md: `SftpPayrollInbox` / `LocalPayrollInbox`, `SftpBankConnection` / `DirectoryBankConnection`,
one `PaygoDatabase(url)` for SQLite and PostgreSQL). Methods do I/O and return domain values."""

import hashlib
import posixpath
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
from pydantic import PrivateAttr

from paygo.payroll.policies import PolicyBook
from sftp_ingest.inbox import RemoteFile, is_safe_name

INBOX, ARCHIVE, REJECTED, REPORTS = "inbox", "archive", "rejected", "reports"


@dataclass(frozen=True)
class ReceivedFile:
    """A payroll file fetched from a company inbox; `key` is the partition key `company/name`."""

    key: str
    company_id: str
    name: str
    data: bytes
    sha256: str


def split_key(key: str) -> tuple[str, str]:
    company, _, name = key.partition("/")
    if not company or not is_safe_name(company) or not is_safe_name(name):
        raise ValueError(f"{key!r} is not a payroll file key of the form company/name")
    return company, name


class PayrollInbox(dg.ConfigurableResource):
    """Where payroll companies drop payroll files: `<company>/inbox/<name>`."""

    # A file younger than this may still be uploading (0 where uploaders use temp name + rename).
    settle_seconds: int = 120

    def list_files(self) -> list[RemoteFile]:
        """Files waiting in every company inbox; `path` is the partition key `company/name`."""
        raise NotImplementedError

    def fetch(self, keys: list[str]) -> dict[str, ReceivedFile]:
        raise NotImplementedError

    def finish(self, outcomes: dict[str, tuple[bool, str]]) -> dict[str, str]:
        """Archive accepted files (with an acknowledgement) or reject them (with a report)."""
        raise NotImplementedError


class LocalPayrollInbox(PayrollInbox):
    """A folder standing in for the SFTP server (development and tests)."""

    root: str

    def list_files(self) -> list[RemoteFile]:
        found = []
        for company in sorted(Path(self.root).iterdir()) if Path(self.root).is_dir() else []:
            inbox = company / INBOX
            if not is_safe_name(company.name) or not inbox.is_dir():
                continue
            for f in sorted(inbox.iterdir()):
                if f.is_file() and is_safe_name(f.name):
                    st = f.stat()
                    found.append(RemoteFile(f"{company.name}/{f.name}", f.name, st.st_size, int(st.st_mtime)))
        return found

    def fetch(self, keys: list[str]) -> dict[str, ReceivedFile]:
        out = {}
        for key in keys:
            company, name = split_key(key)
            data = (Path(self.root) / company / INBOX / name).read_bytes()
            out[key] = ReceivedFile(key, company, name, data, hashlib.sha256(data).hexdigest())
        return out

    def finish(self, outcomes: dict[str, tuple[bool, str]]) -> dict[str, str]:
        moved = {}
        for key, (accepted, text) in outcomes.items():
            company, name = split_key(key)
            home = Path(self.root) / company
            source = home / INBOX / name
            if not source.exists():
                continue  # already moved by an earlier attempt
            target_dir = home / (ARCHIVE if accepted else REJECTED)
            target_dir.mkdir(exist_ok=True)
            (home / REPORTS).mkdir(exist_ok=True)
            suffix = ".ack.txt" if accepted else ".rejected.txt"
            (home / REPORTS / (name + suffix)).write_text(text)
            target = _free_name(target_dir, name)
            source.rename(target)
            moved[key] = str(target)
        return moved


def _free_name(folder: Path, name: str) -> Path:
    stem, dot, ext = name.rpartition(".")
    candidate, n = folder / name, 2
    while candidate.exists():
        candidate = folder / (f"{stem}-{n}.{ext}" if dot else f"{name}-{n}")
        n += 1
    return candidate


class SftpPayrollInbox(PayrollInbox):
    """Company homes on an SFTP server, seen by paygo's service account as `/<company>/...`.

    Host keys are verified against `known_hosts_path` (never auto-added); key authentication."""

    host: str
    port: int = 22
    username: str
    private_key_path: str
    known_hosts_path: str
    root: str = "/"

    @contextmanager
    def _sftp(self) -> Iterator:
        from sftp_ingest.client import connect

        with connect(self.host, self.port, self.username, self.private_key_path, self.known_hosts_path) as sftp:
            yield sftp

    def _companies(self, sftp) -> list[str]:
        import stat

        return sorted(
            a.filename for a in sftp.listdir_attr(self.root)
            if stat.S_ISDIR(a.st_mode or 0) and is_safe_name(a.filename)
        )

    def list_files(self) -> list[RemoteFile]:
        from sftp_ingest.payroll import list_inbox

        with self._sftp() as sftp:
            found = []
            for company in self._companies(sftp):
                home = posixpath.join(self.root, company)
                for f in list_inbox(sftp, home):
                    found.append(RemoteFile(f"{company}/{f.name}", f.name, f.size, f.mtime))
            return found

    def fetch(self, keys: list[str]) -> dict[str, ReceivedFile]:
        from sftp_ingest.payroll import list_inbox
        from sftp_ingest.transfer import fetch

        out = {}
        listings: dict[str, dict] = {}  # one inbox listing per company, not one per file
        with self._sftp() as sftp:
            for key in keys:
                company, name = split_key(key)
                home = posixpath.join(self.root, company)
                if company not in listings:
                    listings[company] = {f.name: f for f in list_inbox(sftp, home)}
                remote = listings[company].get(name)
                if remote is None:
                    raise FileNotFoundError(f"{key} is no longer in the inbox")
                got = fetch(sftp, remote.path, remote.size)
                out[key] = ReceivedFile(key, company, name, got.data, got.sha256)
        return out

    def finish(self, outcomes: dict[str, tuple[bool, str]]) -> dict[str, str]:
        from sftp_ingest import payroll

        moved = {}
        listings: dict[str, dict] = {}  # one inbox listing per company; each file is moved once
        with self._sftp() as sftp:
            for key, (accepted, text) in outcomes.items():
                company, name = split_key(key)
                home = posixpath.join(self.root, company)
                if company not in listings:
                    listings[company] = {f.name: f for f in payroll.list_inbox(sftp, home)}
                waiting = listings[company]
                if name not in waiting:
                    continue  # already moved by an earlier attempt
                remote = waiting[name]
                if accepted:
                    payroll.acknowledge(sftp, remote, text, home)
                    moved[key] = payroll.archive(sftp, remote, home)
                else:
                    moved[key] = payroll.reject(sftp, remote, text, home).path
        return moved


class PaygoDatabase(dg.ConfigurableResource):
    """paygo's own database (SQLite or PostgreSQL, by URL) and the key for bank account numbers."""

    url: str
    account_key_file: str | None = None

    _engine = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        from paygo.db.session import make_engine

        self._engine = make_engine(self.url)

    @contextmanager
    def session(self) -> Iterator:
        from paygo.db.session import make_engine, session_scope

        if self._engine is None:
            self._engine = make_engine(self.url)
        with session_scope(self._engine) as session:
            yield session

    def cipher(self):
        from paygo.db.crypto import AccountCipher

        if not self.account_key_file:
            raise ValueError("no account key file configured")
        return AccountCipher.from_key_file(self.account_key_file)

    def policy_book(self) -> PolicyBook:
        from paygo.reference import policy_book

        with self.session() as session:
            return policy_book(session)


class PaygoHome(dg.ConfigurableResource):
    """PAYGO_HOME: where raw files, PDFs, NACHA files, reports and statements are kept."""

    path: str

    def folder(self, *parts: str) -> Path:
        folder = Path(self.path).joinpath(*parts)
        folder.mkdir(parents=True, exist_ok=True)
        return folder


class BankConnection(dg.ConfigurableResource):
    """The bank (ODFI): receives our NACHA debit files, sends back returns and NOCs."""

    def bank(self):
        """A `paygo.ach.bank.Bank`."""
        raise NotImplementedError

    def list_returns(self) -> list[str]:
        return self.bank().list_returns()


class DirectoryBankConnection(BankConnection):
    """A folder standing in for the bank (`inbound/`, `returns/`): the sandbox bank works on it."""

    root: str

    def bank(self):
        from paygo.ach.bank import DirectoryBank

        return DirectoryBank(Path(self.root))


class SftpBankConnection(BankConnection):
    """The bank's SFTP server; its host key is pinned in `known_hosts_path`."""

    host: str
    port: int = 22
    username: str
    private_key_path: str
    known_hosts_path: str
    outgoing: str = "/inbound"  # where the bank picks up our debit files
    returns: str = "/returns"

    def bank(self):
        from paygo.ach.bank import SftpBank

        return SftpBank(
            self.host, self.port, self.username, self.private_key_path, self.known_hosts_path,
            outgoing=self.outgoing, returns=self.returns, archive=f"{self.returns}/archive",
        )


class PaygoClock(dg.ConfigurableResource):
    """What day it is for billing: today, or a fixed date (the demo and tests move it forward)."""

    fixed_date: str | None = None

    def today(self):
        from datetime import date

        return date.fromisoformat(self.fixed_date) if self.fixed_date else date.today()

    def now(self):
        """The current time, or 09:00 UTC of the fixed date (what invoices record as issued)."""
        from datetime import UTC, datetime, time

        return datetime.combine(self.today(), time(9, 0), UTC) if self.fixed_date else datetime.now(UTC)


class Notifier(dg.ConfigurableResource):
    """Where outbox notifications go: an SMTP server when `smtp_host` is set, else files under
    PAYGO_HOME/notifications (development, the demo)."""

    smtp_host: str | None = None
    smtp_port: int = 25
    sender: str = "billing@paygo.example"
    username: str | None = None
    password: str | None = None
    starttls: bool = False

    def smtp(self):
        from paygo.notifications.delivery import SmtpSettings

        if not self.smtp_host:
            return None
        return SmtpSettings(self.smtp_host, self.smtp_port, self.sender, self.username, self.password, self.starttls)
