"""The one verdict on a NACHA file, shared by `paygo ach inspect` and `paygo ach reconcile`.

Rule: a file is valid when the one reader (`paygo.nacha.read.read_ach`, under the bank's tolerance
profile) reports no error; warnings are tolerated deviations, reported and never silent. `check_ach`
returns that verdict, every deviation, and the returns and NOCs the file carries (only when valid:
nothing is taken from a broken file): for each entry its LAST addenda 99 (the latest word), else its
first addenda 98.
Worked example: the sandbox bank's file of 3 returns and 1 NOC (2 batches, 20 lines) -> valid,
4 items; its Batch Control total_debit changed from 3006 to 3007 -> "line 9: error
BatchControl.total_debit mismatch: expected 3006", no items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from paygo.nacha.read import STRICT, Deviation, ReadResult, Verdict, read_ach
from paygo.nacha.records import AchFile

# An item: (kind "return" | "noc", code, original trace, amount cents, transaction code, corrected data)
Item = Any


def _tuple(*fields: Any) -> tuple:
    return fields


@dataclass(frozen=True)
class Checked(Verdict):
    """A file's verdict: its deviations, the entries it holds and, when valid, its returns and NOCs."""

    deviations: tuple[Deviation, ...]
    items: list[Item]  # empty unless valid
    entry_count: int
    read: ReadResult | None = None  # what was read: records, columns

    @property
    def file(self) -> AchFile | None:
        """The records, built on demand (small files; the columns are in `read`)."""
        return None if self.read is None else self.read.file

    @property
    def not_nacha(self) -> bool:
        """Refused as a whole for what it is: not NACHA, or a gzip archive that does not open."""
        return any(d.record == "File" and d.rule in ("not_nacha", "truncated_or_corrupt") for d in self.deviations)


# Fields whose text may hold an account number: a deviation's value is never shown for them.
ACCOUNT_FIELDS = frozenset({"dfi_account_number", "corrected_data"})


def describe(d: Deviation) -> str:
    """One violation by line, record and field, with the text found (never an account number):
    "line 9: BatchControl.total_debit mismatch: expected 3006 (found '000000003007')"."""
    where = f"line {d.line}" if d.line is not None else "file"
    found = f" (found {d.value!r})" if d.value and d.field not in ACCOUNT_FIELDS else ""
    if d.rule == "not_nacha":
        return f"{where}: not a NACHA file ({d.value})"
    if d.rule == "truncated_or_corrupt":
        return f"{where}: gzip archive truncated or corrupt ({d.value})"
    if d.rule == "unsupported" and d.field == "standard_entry_class_code":
        return f"{where}: unsupported SEC code {d.value}"  # "line 2: unsupported SEC code IAT in batch 1"
    if d.rule == "not_allowed" and d.field == "character":
        return f"{where}: character not allowed in NACHA at {d.value}"
    severity = "warning, tolerated: " if d.severity != "error" else ""
    return f"{where}: {severity}{d.record}.{d.field} {d.rule}{found}"


def check_ach(data: bytes, *, records: bool = False, item: Callable[..., Item] = _tuple,
              tolerances: Iterable[str] = STRICT) -> Checked:
    """The verdict on NACHA bytes (gzip accepted) under a bank's tolerance profile; never raises for bad
    content. `item` builds each return/NOC from (kind, code, original trace, amount cents, transaction
    code[, corrected data]). (`records` is accepted for callers that want `Checked.file`; it is built
    on demand either way.)"""
    read = read_ach(data, tolerances)
    items = read.items(item) if read.valid else []
    return Checked(read.deviations, items, read.entry_count, read)


def items_of(file: AchFile, item: Callable[..., Item] = _tuple) -> list[Item]:
    """The items of records (the reference tests compare `ReadResult.items` with)."""
    out = []
    for e in file.entries:
        nines = [a for a in e.addenda if a.addenda_type_code == "99"]
        if nines:
            out.append(item("return", nines[-1].return_code, nines[-1].original_trace, e.amount_cents,
                            e.transaction_code))
        elif (noc := e.noc_addenda) is not None:
            out.append(item("noc", noc.change_code, noc.original_trace, e.amount_cents, e.transaction_code,
                            noc.corrected_data.rstrip()))
    return out
