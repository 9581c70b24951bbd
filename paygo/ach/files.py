"""What every NACHA file we originate shares: a file id modifier, traces, the 0600 copy, the upload.

Rule (design.md invariants; NACHA Appendix Three): a file is recorded before it is uploaded and
counts as sent only once read back. Debit files (`paygo.ach.originate`) and carrier payout files
(`paygo.payouts`) take their file id modifier from the same per-day sequence (the header's
creation date + modifier is unique per originator: UNIQUE(ach_files.creation_date,
file_id_modifier)) and their traces from the same counter (`ach_trace`), so a trace never repeats
across the two kinds and a return names one entry or one payout. Both run under the ORIGINATE lock
(paygo.db.locks). The upload is the same for both: the recorded bytes, checked against the recorded
sha256, under the same name; the bank's read-back sha256 must equal it; then `uploaded` is
committed; confirming is the caller's (it posts its own ledger transactions in that transaction).
Worked example: a debit file and a payout file built on 2026-11-25 are PAYGO-20261125-A.ach and
PAYGO-PAYOUT-20261125-B.ach; a third file that day gets modifier C.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from paygo.ach.bank import Bank, UploadNotConfirmed
from paygo.db.models import AchFile, Counter, Payout
from paygo.nacha.records import AchFile as NachaFile
from paygo.nacha.records import Batch
from paygo.states import file_transition

TRACE_COUNTER = "ach_trace"
FILE_ID_MODIFIERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


class OriginationError(RuntimeError):
    """A recorded file cannot be finished as recorded (missing or changed bytes, wrong read-back)."""


def hook(fail_at: Callable[[str], None] | None, step: str) -> None:
    if fail_at is not None:
        fail_at(step)


def next_trace_sequence(session: Session) -> int:
    bumped = session.execute(update(Counter).where(Counter.name == TRACE_COUNTER)
                             .values(last_value=Counter.last_value + 1))
    if not bumped.rowcount:
        session.add(Counter(name=TRACE_COUNTER, last_value=1))
        session.flush()
        return 1
    value = int(session.scalar(select(Counter.last_value).where(Counter.name == TRACE_COUNTER)))
    if value > 9_999_999:
        raise OriginationError("trace sequence exhausted (7 digits)")
    return value


def file_id_modifier(session: Session, today: date) -> str:
    """The next free modifier of `today` (debit and payout files share them); the caller holds the lock."""
    used = int(session.scalar(select(func.count()).select_from(AchFile).where(AchFile.creation_date == today)))
    if used >= len(FILE_ID_MODIFIERS):
        raise OriginationError(f"all 36 file id modifiers of {today} are used")
    return FILE_ID_MODIFIERS[used]


def number_traces(session: Session, built: NachaFile, odfi_routing_prefix: str) -> tuple[NachaFile, list[str]]:
    """The file with every entry's trace taken from the counter (never repeating across files)."""
    traces: list[str] = []
    batches = []
    for batch in built.batches:
        entries = []
        for entry in batch.entries:
            trace = odfi_routing_prefix + f"{next_trace_sequence(session):07d}"
            traces.append(trace)
            entries.append(replace(entry, trace_number=trace))
        batches.append(Batch(batch.header, tuple(entries), batch.control))
    return NachaFile(built.header, tuple(batches), built.control), traces


def outgoing(home: Path) -> Path:
    folder = Path(home) / "ach" / "outgoing"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_0600(path: Path, data: bytes) -> None:
    """Write via a temp file renamed into place; an unrecorded file of the same name was never sent."""
    temp = path.with_name(f".{path.name}.tmp")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(temp, 0o600)
    os.replace(temp, path)


def upload_recorded(session: Session, file_id: int, bank: Bank, fail_at: Callable[[str], None] | None) -> Path:
    """Upload a recorded file (same bytes, same name), prove it arrived, commit `uploaded`.

    Hooks `upload_returned` (the bank has it, we have not recorded that) and `uploaded`."""
    row = session.get(AchFile, file_id)
    path = Path(row.path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OriginationError(f"recorded file {path.name} cannot be read: {exc.strerror}") from exc
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise OriginationError(f"{path.name} on disk differs from the recorded sha256: refusing to send it")
    confirmed_sha = bank.upload(path.name, data)
    if confirmed_sha != row.sha256:
        raise UploadNotConfirmed(f"{path.name}: bank read back sha256 {confirmed_sha}, recorded {row.sha256}")
    hook(fail_at, "upload_returned")
    session.execute(update(AchFile).where(AchFile.id == file_id, AchFile.status == "built")
                    .values(status=file_transition("built", "uploaded"), uploaded_at=datetime.now(timezone.utc)))
    session.commit()
    hook(fail_at, "uploaded")
    return path


def mark_confirmed(session: Session, file_id: int) -> bool:
    """Move the file to `confirmed` in the session's transaction; True only for the run that did it
    (that run, and only it, posts the ledger of the file's entries before committing)."""
    return bool(session.execute(update(AchFile).where(AchFile.id == file_id, AchFile.status != "confirmed")
                                .values(status=file_transition("uploaded", "confirmed"),
                                        confirmed_at=datetime.now(timezone.utc))).rowcount)


def payout_file_ids():
    """A subquery of the ids of carrier payout files (every other recorded file is a debit file)."""
    return select(Payout.ach_file_id)


def pending_files(session: Session, *, payouts: bool) -> list[int]:
    """Recorded files of one kind not yet confirmed (built or uploaded), oldest first."""
    kind = AchFile.id.in_(payout_file_ids()) if payouts else AchFile.id.not_in(payout_file_ids())
    return list(session.scalars(select(AchFile.id).where(AchFile.status.in_(("built", "uploaded")), kind)
                                .order_by(AchFile.id)))
