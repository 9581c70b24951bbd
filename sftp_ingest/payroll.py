"""A payroll company's SFTP home: list the inbox, fetch, archive or reject, write reports back.

Layout of each company's home (docs/sftp.md), seen from inside its session (chrooted, so home is
usually ``/``)::

    inbox/     the company uploads here (ideally as NAME.part, renamed to NAME when complete)
    archive/   accepted files, moved here after the database commit; never overwritten
    rejected/  files that failed validation
    reports/   NAME.ack.txt / NAME.rejected.txt written back to the company

A file is ready when its name is safe and its size and mtime did not change over the settle time
(`list_settled`) or, for a sensor, when its mtime is at least ``settle_seconds`` old
(`inbox.InboxCursor.new_files`). Re-uploading a name that is already archived keeps both:
``archive/p1.csv`` and ``archive/p1-2.csv``.
"""

from __future__ import annotations

import posixpath
import time
from collections.abc import Callable
from dataclasses import dataclass

import paramiko

from sftp_ingest.inbox import RemoteFile, unchanged_between
from sftp_ingest.transfer import (
    FetchedFile,
    UnsafeRemotePath,
    check_remote_path,
    fetch,
    list_folder,
    rename_to_free_name,
    write_new_file,
)

INBOX, ARCHIVE, REJECTED, REPORTS = "inbox", "archive", "rejected", "reports"
ACK_SUFFIX, REJECTION_SUFFIX = ".ack.txt", ".rejected.txt"

__all__ = [
    "FetchedFile", "RejectedFile", "acknowledge", "archive", "fetch", "list_inbox",
    "list_settled", "reject", "write_report",
]


@dataclass(frozen=True)
class RejectedFile:
    path: str  # where the payroll file now is, under rejected/
    report_path: str  # the rejection report under reports/


def list_inbox(sftp: paramiko.SFTPClient, home: str = "/") -> list[RemoteFile]:
    """Regular files with safe names in `home/inbox`, sorted by path (temp uploads skipped)."""
    return list_folder(sftp, posixpath.join(home, INBOX)).files


def list_settled(
    sftp: paramiko.SFTPClient,
    home: str = "/",
    *,
    settle_seconds: float = 5.0,
    sleep: Callable[[float], None] = time.sleep,
) -> list[RemoteFile]:
    """Inbox files whose size and mtime are unchanged across two listings `settle_seconds` apart."""
    first = list_inbox(sftp, home)
    if not first:
        return []
    sleep(settle_seconds)
    return unchanged_between(first, list_inbox(sftp, home))


def _own_inbox_file(remote: RemoteFile, home: str) -> None:
    check_remote_path(remote.path)
    if remote.path != posixpath.join(home, INBOX, remote.name):
        raise UnsafeRemotePath(f"{remote.path!r} is not a file of {posixpath.join(home, INBOX)}")


def archive(sftp: paramiko.SFTPClient, remote: RemoteFile, home: str = "/") -> str:
    """Move an inbox file into archive/ without overwriting; returns its archived path."""
    _own_inbox_file(remote, home)
    return rename_to_free_name(sftp, remote.path, posixpath.join(home, ARCHIVE), remote.name)


def write_report(sftp: paramiko.SFTPClient, name: str, text: str, home: str = "/") -> str:
    """Write `text` as reports/`name` (or a free variant) via temp name + rename; returns the path."""
    return write_new_file(sftp, posixpath.join(home, REPORTS), name, text.encode("utf-8"))


def acknowledge(sftp: paramiko.SFTPClient, remote: RemoteFile, text: str, home: str = "/") -> str:
    """Write the acceptance report for `remote` as reports/NAME.ack.txt; returns its path."""
    _own_inbox_file(remote, home)
    return write_report(sftp, remote.name + ACK_SUFFIX, text, home)


def reject(sftp: paramiko.SFTPClient, remote: RemoteFile, report_text: str, home: str = "/") -> RejectedFile:
    """Move `remote` into rejected/ and write reports/NAME.rejected.txt with the errors."""
    _own_inbox_file(remote, home)
    moved = rename_to_free_name(sftp, remote.path, posixpath.join(home, REJECTED), remote.name)
    report = write_report(sftp, remote.name + REJECTION_SUFFIX, report_text, home)
    return RejectedFile(path=moved, report_path=report)
