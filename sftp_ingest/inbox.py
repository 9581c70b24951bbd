"""Inbox values: which remote files are ready to ingest, and what a sensor has already seen.

Pure: no network, no dagster. The rules (design.md "Sensors", docs/sftp.md):

- A remote file is identified for a run by ``run_key = "path:mtime:size"``, so a repeat sensor
  tick asks for nothing new, while a re-upload under the same name (new mtime or size) does.
- A file is *settled* when it is at least ``settle_seconds`` old (its mtime is that far in the
  past), or when two listings taken ``settle_seconds`` apart agree on its size and mtime.
  Younger files may still be uploading.
- A name is *safe* when it is one path component that cannot escape the folder and is not a
  temporary upload: no ``/`` or ``\\``, no ``..``, no control characters, no leading dot, no
  leading/trailing blank, and no ``.part`` / ``.tmp`` suffix (clients upload under a temp name
  and rename when complete).
- The cursor keeps the high-water mtime and the paths already seen at exactly that mtime, because
  SFTP v3 mtimes are whole seconds and two files can share one.

Worked example: cursor ``{"mtime": 100, "paths": ["/inbox/a.csv"]}``, now = 1000,
settle_seconds = 300, listing a.csv@100, b.csv@100, c.csv@650, d.csv@900. New: b.csv (same second,
not seen) and c.csv (650 <= 1000 - 300); d.csv is too young; a.csv was seen. The advanced cursor
is ``{"mtime": 650, "paths": ["/inbox/c.csv"]}``.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

TEMP_SUFFIXES = (".part", ".tmp")
MAX_NAME_LENGTH = 255


def is_safe_name(name: str) -> bool:
    """True when `name` is a single, visible, non-temporary file name that cannot leave its folder."""
    if not name or len(name) > MAX_NAME_LENGTH:
        return False
    if "/" in name or "\\" in name or ".." in name:
        return False
    if name.startswith(".") or name != name.strip():
        return False
    if name.lower().endswith(TEMP_SUFFIXES):
        return False
    # Cc control, Cf format (bidi overrides hide an extension), Cs/Co/Cn: nothing printable.
    return not any(unicodedata.category(ch).startswith("C") for ch in name)


@dataclass(frozen=True, order=True)
class RemoteFile:
    """One regular file in a remote folder, as listed. `mtime` is whole seconds since the epoch."""

    path: str  # absolute within the SFTP session, e.g. "/inbox/payroll-2024-07-05.csv"
    name: str  # the last component of `path`
    size: int  # bytes
    mtime: int

    @property
    def run_key(self) -> str:
        return f"{self.path}:{self.mtime}:{self.size}"


def is_settled(file: RemoteFile, settle_seconds: int, now: float) -> bool:
    """True when the file is at least `settle_seconds` old by its mtime."""
    return file.mtime <= now - settle_seconds


def unchanged_between(first: Iterable[RemoteFile], second: Iterable[RemoteFile]) -> list[RemoteFile]:
    """Files present in both listings with the same size and mtime (still-growing files drop out)."""
    before = {(f.path, f.size, f.mtime) for f in first}
    return sorted(f for f in second if (f.path, f.size, f.mtime) in before)


@dataclass(frozen=True)
class InboxCursor:
    """A sensor's memory: the newest mtime handed out and every path handed out at that mtime."""

    mtime: int = -1
    paths: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def loads(cls, text: str | None) -> InboxCursor:
        """Parse a cursor; None or "" (a sensor's first tick) is the empty cursor."""
        if not text:
            return cls()
        raw = json.loads(text)
        return cls(mtime=int(raw["mtime"]), paths=frozenset(str(p) for p in raw["paths"]))

    def dumps(self) -> str:
        return json.dumps({"mtime": self.mtime, "paths": sorted(self.paths)}, separators=(",", ":"))

    def new_files(self, files: Iterable[RemoteFile], settle_seconds: int, now: float) -> list[RemoteFile]:
        """Settled files newer than the cursor, oldest first."""
        fresh = [
            f
            for f in files
            if is_settled(f, settle_seconds, now)
            and (f.mtime > self.mtime or (f.mtime == self.mtime and f.path not in self.paths))
        ]
        return sorted(fresh, key=lambda f: (f.mtime, f.path))

    def advanced(self, files: Iterable[RemoteFile]) -> InboxCursor:
        """The cursor after `files` have been handed out."""
        files = list(files)
        if not files:
            return self
        top = max(self.mtime, max(f.mtime for f in files))
        at_top = {f.path for f in files if f.mtime == top}
        if top == self.mtime:
            at_top |= self.paths
        return InboxCursor(mtime=top, paths=frozenset(at_top))
