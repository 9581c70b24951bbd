"""Moving bytes over an open SFTP session: list, fetch with a checksum, write and rename safely.

Rules (docs/sftp.md):
- A listing returns regular files with safe names only (`inbox.is_safe_name`); temporary uploads
  (``.part``/``.tmp``, dot files) are not ready yet, other unsafe names are reported as refused.
  Names that are not UTF-8 are refused too, instead of breaking the whole listing.
- `fetch` reads the whole file, hashing while it reads, and fails unless it read exactly the
  size the listing reported: a short read, a longer file or a dropped connection raises
  `FetchFailed` and nothing is changed on the server (fetch never writes or renames).
- Writes go to a temporary name first and are renamed into place; SFTP v3 rename never replaces
  an existing file, so an archived file, a report or a bank file is never overwritten. When a
  name is taken the next free ``stem-2.ext``, ``stem-3.ext``, ... is used.
- An upload that must survive a crash (the bank's NACHA files) writes a unique hidden temp name,
  ``.NAME.<32 hex>.part`` (`temp_name`), so concurrent attempts never write into one file; the
  attempt that confirms NAME removes every temp file an attempt at NAME left (`remove_temp_files`):
  after a SIGKILL between write and rename the temp file is a complete copy of the file.

Worked example: archiving ``/inbox/p1.csv`` when ``/archive/p1.csv`` exists moves it to
``/archive/p1-2.csv``; both bytes stay on the server.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import socket
import stat
import uuid
from dataclasses import dataclass

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR
from paramiko.sftp_attr import SFTPAttributes

from sftp_ingest.inbox import TEMP_SUFFIXES, RemoteFile, is_safe_name

READ_CHUNK_BYTES = 1 << 18
MAX_NAME_ATTEMPTS = 1000
_NETWORK_FAULTS = (OSError, EOFError, socket.timeout, paramiko.SSHException)


class UnsafeRemotePath(ValueError):
    """A remote path that could leave its folder or names a temporary/hidden file."""


class FetchFailed(IOError):
    """A download did not complete; the remote file is untouched."""


@dataclass(frozen=True)
class FetchedFile:
    path: str
    data: bytes
    sha256: str  # lowercase hex of `data`

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class FolderListing:
    files: list[RemoteFile]  # regular files with safe names, sorted by path
    refused: list[str]  # unsafe names (escaped with repr, safe to log), sorted


def check_remote_path(path: str) -> None:
    """Raise `UnsafeRemotePath` unless `path` is normalised and its last part is a safe name."""
    parts = path.split("/")
    if posixpath.normpath(path) != path or any(p in (".", "..") for p in parts):
        raise UnsafeRemotePath(f"remote path is not normalised: {path!r}")
    if not is_safe_name(parts[-1]):
        raise UnsafeRemotePath(f"unsafe remote file name: {path!r}")


def _readdir(sftp: paramiko.SFTPClient, folder: str) -> list[tuple[bytes, SFTPAttributes]]:
    # paramiko's listdir_attr decodes names strictly as UTF-8, so one badly named upload would
    # raise for the whole folder; read the raw names with the same requests it uses.
    t, msg = sftp._request(CMD_OPENDIR, folder)
    if t != CMD_HANDLE:
        raise paramiko.SFTPError("expected a handle")
    handle = msg.get_binary()
    entries = []
    try:
        while True:
            try:
                t, msg = sftp._request(CMD_READDIR, handle)
            except EOFError:  # paramiko's signal for SSH_FX_EOF: the folder is exhausted
                break
            if t != CMD_NAME:
                raise paramiko.SFTPError("expected names")
            for _ in range(msg.get_int()):
                raw_name = msg.get_binary()
                msg.get_binary()  # longname, unused
                entries.append((raw_name, SFTPAttributes._from_msg(msg)))
    finally:
        sftp._request(CMD_CLOSE, handle)
    return entries


def list_folder(sftp: paramiko.SFTPClient, folder: str) -> FolderListing:
    """The regular files of `folder` whose names are safe, plus the names refused."""
    files, refused = [], []
    for raw_name, attrs in _readdir(sftp, folder):
        try:
            name = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            refused.append(repr(raw_name))
            continue
        if name in (".", "..") or attrs.st_mode is None or not stat.S_ISREG(attrs.st_mode):
            continue
        if not is_safe_name(name):
            if not (name.startswith(".") or name.lower().endswith(TEMP_SUFFIXES)):
                refused.append(repr(name))
            continue
        files.append(RemoteFile(path=posixpath.join(folder, name), name=name,
                                size=int(attrs.st_size or 0), mtime=int(attrs.st_mtime or 0)))
    return FolderListing(files=sorted(files), refused=sorted(refused))


def fetch(sftp: paramiko.SFTPClient, path: str, expected_size: int) -> FetchedFile:
    """The whole file with its sha256; `FetchFailed` unless exactly `expected_size` bytes arrive."""
    check_remote_path(path)
    digest = hashlib.sha256()
    chunks = []
    try:
        with sftp.open(path, "rb") as remote:
            remote.prefetch(expected_size)
            while chunk := remote.read(READ_CHUNK_BYTES):
                digest.update(chunk)
                chunks.append(chunk)
    except _NETWORK_FAULTS as e:
        raise FetchFailed(f"download of {path} failed: {type(e).__name__}: {e}") from e
    data = b"".join(chunks)
    if len(data) != expected_size:
        raise FetchFailed(f"download of {path} read {len(data)} bytes, listing said {expected_size}")
    return FetchedFile(path=path, data=data, sha256=digest.hexdigest())


def exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.lstat(path)
    except FileNotFoundError:
        return False
    return True


def _candidate_names(name: str):
    stem, ext = posixpath.splitext(name)
    yield name
    for n in range(2, MAX_NAME_ATTEMPTS + 1):
        yield f"{stem}-{n}{ext}"


def rename_to_free_name(sftp: paramiko.SFTPClient, source: str, folder: str, name: str) -> str:
    """Rename `source` to `folder/name`, or `folder/stem-N.ext` if taken; never replaces a file."""
    for candidate in _candidate_names(name):
        target = posixpath.join(folder, candidate)
        if exists(sftp, target):
            continue
        try:
            sftp.rename(source, target)  # SFTP v3 rename refuses an existing target
            return target
        except OSError:
            if exists(sftp, target):  # lost a race for this name: try the next one
                continue
            raise
    raise FileExistsError(f"no free name for {name} in {folder} after {MAX_NAME_ATTEMPTS} tries")


def temp_name(name: str) -> str:
    """A hidden temporary name of its own for one upload of `name`: ``.NAME.<32 hex>.part``."""
    return f".{name}.{uuid.uuid4().hex}.part"


def is_temp_of(name: str, candidate: str) -> bool:
    """True when `candidate` is a temporary name an upload of `name` uses: ``.NAME.<32 hex>.part``
    (`temp_name`), or the fixed ``NAME.part`` / ``.NAME.part`` of earlier versions."""
    if candidate in (f"{name}.part", f".{name}.part"):
        return True
    prefix = f".{name}."
    return candidate.startswith(prefix) and _TEMP_TAIL.fullmatch(candidate, len(prefix)) is not None


_TEMP_TAIL = re.compile(r"[0-9a-f]{32}\.part")


def remove_temp_files(sftp: paramiko.SFTPClient, folder: str, name: str) -> list[str]:
    """Remove the temporary files that uploads of `name` left in `folder`; returns their paths.

    Call it once `folder/name` is confirmed: a temp file left by an attempt killed between write
    and rename is a whole copy of the file, which a bank reading every file would take twice. A
    temp file another attempt removes first is not an error."""
    removed = []
    for raw_name, attrs in _readdir(sftp, folder):
        try:
            candidate = raw_name.decode("utf-8")
        except UnicodeDecodeError:
            continue
        if attrs.st_mode is None or not stat.S_ISREG(attrs.st_mode) or not is_temp_of(name, candidate):
            continue
        path = posixpath.join(folder, candidate)
        try:
            sftp.remove(path)
        except FileNotFoundError:
            continue
        removed.append(path)
    return sorted(removed)


def _upload_temp(sftp: paramiko.SFTPClient, temp: str, data: bytes) -> None:
    with sftp.open(temp, "wb") as remote:
        remote.set_pipelined(True)
        remote.write(data)


def write_new_file(sftp: paramiko.SFTPClient, folder: str, name: str, data: bytes) -> str:
    """Write `data` under a temp name then rename it to a free name in `folder`; returns the path."""
    if not is_safe_name(name):
        raise UnsafeRemotePath(f"unsafe remote file name: {name!r}")
    temp = posixpath.join(folder, f".{name}.part")  # hidden and temporary: listings skip it
    _upload_temp(sftp, temp, data)
    try:
        return rename_to_free_name(sftp, temp, folder, name)
    except BaseException:
        sftp.remove(temp)
        raise


def write_text(sftp: paramiko.SFTPClient, path: str, text: str) -> None:
    """Write UTF-8 `text` at exactly `path` via a temp name + rename; `FileExistsError` if taken."""
    check_remote_path(path)
    folder, name = posixpath.split(path)
    temp = posixpath.join(folder, f".{name}.part")
    _upload_temp(sftp, temp, text.encode("utf-8"))
    if exists(sftp, path):
        sftp.remove(temp)
        raise FileExistsError(f"{path} already exists")
    try:
        sftp.rename(temp, path)
    except OSError:
        sftp.remove(temp)
        raise
