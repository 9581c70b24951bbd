"""The bank connection: upload a NACHA file and prove it arrived; list, fetch and archive returns.

Rule (design.md invariants): "a NACHA file is recorded before it is uploaded and an upload is
confirmed by reading it back". `upload` writes a temporary name, moves it to NAME without ever
overwriting (a different file already at NAME raises), reads NAME back and returns the sha256 of
what it read; a caller compares it with the sha256 it recorded. Re-uploading the same bytes under
the same name (a re-run after a crash) confirms without writing again.
Worked example: DirectoryBank(root).upload("PAYGO-20261125-A.ach", data) leaves
root/inbound/PAYGO-20261125-A.ach and returns sha256(data).hexdigest().
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path
from typing import Protocol

from sftp_ingest import bank as sftp_bank
from sftp_ingest import client
from sftp_ingest.inbox import is_safe_name
from sftp_ingest.transfer import fetch, list_folder, rename_to_free_name

UploadNotConfirmed = sftp_bank.UploadNotConfirmed  # one exception type for both banks


class Bank(Protocol):
    def upload(self, name: str, data: bytes) -> str: ...  # sha256 read back; raises UploadNotConfirmed
    def list_returns(self) -> list[str]: ...  # names of return/NOC files waiting for us
    def fetch_return(self, name: str) -> bytes: ...
    def archive_return(self, name: str) -> None: ...  # moves it out of the waiting folder


def _safe(name: str) -> str:
    if not is_safe_name(name):
        raise ValueError(f"unsafe bank file name: {name!r}")
    return name


class DirectoryBank:
    """A folder standing in for the bank: root/inbound (our files), root/returns, root/returns/archive."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.inbound = self.root / "inbound"
        self.returns = self.root / "returns"
        self.archive = self.returns / "archive"
        for folder in (self.inbound, self.returns, self.archive):
            folder.mkdir(parents=True, exist_ok=True)

    def upload(self, name: str, data: bytes) -> str:
        """Write a temp file of its own, link it to NAME (never overwriting), read NAME back, then
        remove every temp file an attempt at NAME left: one killed between write and link leaves a
        whole copy of the debit file in inbound/. A temp file that cannot be removed leaves the
        upload unconfirmed (the re-run confirms again and retries)."""
        from paygo.pause import pause_point
        from sftp_ingest.transfer import is_temp_of

        final = self.inbound / _safe(name)
        sent = hashlib.sha256(data).hexdigest()
        if not final.exists():
            temp = self.inbound / f".{name}.{uuid.uuid4().hex}.part"  # unique: concurrent uploads never share it
            try:
                fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    fh.flush()
                    os.fsync(fh.fileno())
                pause_point("before_bank_rename")
                try:
                    os.link(temp, final)  # atomic and never overwrites, unlike rename
                except FileExistsError:
                    pass  # someone landed NAME first: the read-back decides
                except FileNotFoundError:
                    if not final.exists():
                        raise
                    # a concurrent attempt landed NAME and removed our temp file: the read-back decides
            except OSError as exc:
                raise UploadNotConfirmed(f"upload of {name} failed: {exc.strerror}") from exc
            finally:
                temp.unlink(missing_ok=True)
        try:
            back = hashlib.sha256(final.read_bytes()).hexdigest()
        except OSError as exc:
            raise UploadNotConfirmed(f"could not read back {name}: {exc.strerror}") from exc
        if back != sent:
            raise UploadNotConfirmed(f"{name} at the bank has sha256 {back}, sent {sent}")
        try:
            with os.scandir(self.inbound) as entries:
                leftovers = [e.path for e in entries if is_temp_of(name, e.name) and e.is_file(follow_symlinks=False)]
            for leftover in leftovers:
                Path(leftover).unlink(missing_ok=True)
        except OSError as exc:
            raise UploadNotConfirmed(f"{name} landed but a temporary copy of it could not be removed: "
                                     f"{exc.strerror}") from exc
        return back

    def list_returns(self) -> list[str]:
        return sorted(p.name for p in self.returns.iterdir() if p.is_file() and is_safe_name(p.name))

    def fetch_return(self, name: str) -> bytes:
        return (self.returns / _safe(name)).read_bytes()

    def archive_return(self, name: str) -> None:
        source = self.returns / _safe(name)
        target = self.archive / name
        n = 1
        while target.exists():  # never overwrite an archived file
            n += 1
            target = self.archive / f"{Path(name).stem}-{n}{Path(name).suffix}"
        source.rename(target)


class SftpBank:
    """The bank's SFTP server (sftp_ingest.client: pinned host key, key auth), one session per call."""

    def __init__(self, host: str, port: int, username: str, private_key_path: str, known_hosts_path: str, *,
                 outgoing: str = "/outgoing", returns: str = "/returns", archive: str = "/returns/archive",
                 timeout: float = client.DEFAULT_TIMEOUT_SECONDS, attempts: int = 4):
        self._connect_args = (host, port, username, private_key_path, known_hosts_path)
        self._options = {"timeout": timeout, "attempts": attempts}
        self.outgoing, self.returns, self.archive = outgoing, returns, archive

    def _session(self):
        return client.connect(*self._connect_args, **self._options)

    def upload(self, name: str, data: bytes) -> str:
        with self._session() as sftp:
            return sftp_bank.upload_confirmed(sftp, self.outgoing, name, data).sha256

    def list_returns(self) -> list[str]:
        with self._session() as sftp:
            return [f.name for f in list_folder(sftp, self.returns).files]

    def fetch_return(self, name: str) -> bytes:
        path = f"{self.returns}/{_safe(name)}"
        with self._session() as sftp:
            return fetch(sftp, path, sftp.stat(path).st_size).data

    def archive_return(self, name: str) -> None:
        with self._session() as sftp:
            try:
                sftp.stat(self.archive)
            except FileNotFoundError:
                sftp.mkdir(self.archive)
            rename_to_free_name(sftp, f"{self.returns}/{_safe(name)}", self.archive, name)
