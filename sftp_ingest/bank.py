"""The bank's SFTP server: upload a NACHA file and prove it arrived; list and fetch return files.

Rule (design.md invariants): "an upload is confirmed by reading it back". `upload_confirmed`
writes a hidden temp name of its own (``.NAME.<32 hex>.part``), renames it to ``NAME`` (so the bank
never picks up half a file), reads ``NAME`` back and compares size and sha256 with what was sent;
anything else raises `UploadNotConfirmed`. Retrying an upload whose earlier attempt did land (same
bytes already at ``NAME``) confirms without writing again; different bytes at ``NAME`` are never
overwritten. Once ``NAME`` is confirmed, every temp file an attempt at ``NAME`` left is removed (an
attempt killed between write and rename leaves a whole copy of the file, which a bank reading
every file would debit twice); a temp file that cannot be removed leaves the upload unconfirmed,
so the next attempt confirms again and retries the removal.

Worked example: upload_confirmed(sftp, "/outgoing", "PAYGO0705A.ach", data) leaves exactly
``/outgoing/PAYGO0705A.ach`` and returns UploadReceipt(path="/outgoing/PAYGO0705A.ach",
size=len(data), sha256=sha256(data).hexdigest()).
"""

from __future__ import annotations

import hashlib
import posixpath
from dataclasses import dataclass

import paramiko

from sftp_ingest.inbox import RemoteFile, is_safe_name
from sftp_ingest.transfer import (
    FetchedFile,
    FetchFailed,
    exists,
    fetch,
    list_folder,
    remove_temp_files,
    temp_name,
)

__all__ = ["FetchedFile", "UploadNotConfirmed", "UploadReceipt", "fetch", "list_returns", "upload_confirmed"]


class UploadNotConfirmed(IOError):
    """The bytes at the remote name could not be shown to equal the bytes sent."""


@dataclass(frozen=True)
class UploadReceipt:
    path: str
    size: int
    sha256: str  # lowercase hex, as read back from the server


def _read_back(sftp: paramiko.SFTPClient, path: str, data: bytes, sent_sha256: str) -> UploadReceipt:
    try:
        size = sftp.stat(path).st_size
        back = fetch(sftp, path, size)
    except (FetchFailed, OSError) as e:
        raise UploadNotConfirmed(f"could not read back {path}: {e}") from e
    if back.size != len(data) or back.sha256 != sent_sha256:
        raise UploadNotConfirmed(
            f"{path} on the server has {back.size} bytes sha256 {back.sha256}, "
            f"sent {len(data)} bytes sha256 {sent_sha256}"
        )
    return UploadReceipt(path=path, size=back.size, sha256=back.sha256)


def upload_confirmed(sftp: paramiko.SFTPClient, folder: str, name: str, data: bytes) -> UploadReceipt:
    """Upload `data` as `folder/name` via a temp name + rename, confirm it by reading it back, then
    remove the temp files of earlier attempts at `name`."""
    if not is_safe_name(name):
        raise ValueError(f"unsafe bank file name: {name!r}")
    path = posixpath.join(folder, name)
    sent_sha256 = hashlib.sha256(data).hexdigest()
    if not exists(sftp, path):  # else an earlier attempt landed, or a name collision: never overwrite
        _write_and_rename(sftp, posixpath.join(folder, temp_name(name)), path, data)
    receipt = _read_back(sftp, path, data, sent_sha256)
    try:
        remove_temp_files(sftp, folder, name)
    except (OSError, EOFError, paramiko.SSHException) as e:
        raise UploadNotConfirmed(f"{path} landed but a temporary copy of it could not be removed: "
                                 f"{type(e).__name__}: {e}") from e
    return receipt


def _write_and_rename(sftp: paramiko.SFTPClient, temp: str, path: str, data: bytes) -> None:
    try:
        with sftp.open(temp, "wb") as remote:
            remote.set_pipelined(True)
            remote.write(data)
        try:
            sftp.rename(temp, path)  # SFTP v3: never replaces an existing file
        except OSError:
            _remove_quietly(sftp, temp)
            if not exists(sftp, path):
                raise
            # NAME landed first (a concurrent attempt, which may also have removed our temp file):
            # the read-back decides.
    except (OSError, EOFError, paramiko.SSHException) as e:
        raise UploadNotConfirmed(f"upload of {path} failed: {type(e).__name__}: {e}") from e


def _remove_quietly(sftp: paramiko.SFTPClient, path: str) -> None:
    try:
        sftp.remove(path)
    except (OSError, EOFError, paramiko.SSHException):
        pass  # what is left is removed by the attempt that confirms NAME


def list_returns(sftp: paramiko.SFTPClient, folder: str) -> list[RemoteFile]:
    """Return / notification-of-change files the bank left in `folder` (safe names only)."""
    return list_folder(sftp, folder).files
