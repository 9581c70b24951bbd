"""Build a complete NACHA file from entries: traces, counts, totals, entry hash, blocks, 9-fill.

Rule (NACHA Operating Rules, Appendix Three; domain.md "ACH facts"): a trace number is the ODFI's
8-digit routing prefix plus a 7-digit sequence (we number entries 1, 2, 3... across the whole file,
so traces never collide inside one file); a Batch Control carries the batch's entry+addenda
count, entry hash (sum of the 8-digit RDFI identifications, last 10 digits), debit and credit
totals in cents; a File Control sums them and counts blocks of 10 records; the file is 9-filled
to a multiple of 10 records. Service class: 225 when every entry is a debit, 220 all credits, 200 mixed.
Worked example: ODFI 031300012, two debits of 500000 and 125 cents to RDFI 231380104 ->
traces 031300010000001 and 031300010000002, hash 0046276020, total debit 500125, 6 records ->
1 block, 4 lines of 9s.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from paygo.nacha import codes
from paygo.nacha.fields import alpha, is_valid_routing, numeric
from paygo.nacha.records import (
    AchFile,
    Addenda05,
    Batch,
    BatchControl,
    BatchHeader,
    EntryDetail,
    FileControl,
    FileHeader,
)
from paygo.nacha.validate import entry_totals, record_count

MAX_SEQUENCE = 9_999_999


@dataclass(frozen=True)
class EntrySpec:
    """One payment to build: amount in integer cents, routing as 9 digits."""

    transaction_code: int
    routing_number: str
    account_number: str
    amount_cents: int
    individual_id: str = ""
    individual_name: str = ""
    discretionary_data: str = ""
    addenda_information: str | None = None  # an Addenda05 when given


@dataclass(frozen=True)
class BatchSpec:
    company_name: str
    company_identification: str
    entry_description: str
    effective_date: date
    entries: Sequence[EntrySpec]
    sec_code: str = codes.CCD
    descriptive_date: str = ""
    discretionary_data: str = ""


@dataclass(frozen=True)
class FileSpec:
    """Who sends the file to whom: the ODFI's routing and the originating company."""

    immediate_destination: str  # 9-digit routing of the receiving point (usually the ODFI or Fed)
    immediate_destination_name: str
    immediate_origin: str  # 10 characters: " " + routing, or a company id
    immediate_origin_name: str
    odfi_routing: str  # 9 digits; its first 8 prefix every trace number
    created: datetime
    file_id_modifier: str = "A"
    reference_code: str = ""


def service_class(entries: Sequence[EntrySpec]) -> int:
    debits = {codes.is_debit(e.transaction_code) for e in entries}
    return codes.DEBITS_ONLY if debits == {True} else codes.CREDITS_ONLY if debits == {False} else codes.MIXED


def build_entry(spec: EntrySpec, trace: str) -> EntryDetail:
    """An Entry Detail (and its Addenda05) from a spec; raises ValueError for what cannot be written."""
    if not is_valid_routing(spec.routing_number):
        raise ValueError(f"routing number {spec.routing_number!r} fails its check digit")
    addenda = ()
    if spec.addenda_information is not None:
        addenda = (Addenda05("7", "05", alpha(spec.addenda_information, 80), "0001", trace[-7:]),)
    return EntryDetail(
        "6",
        numeric(spec.transaction_code, 2),
        spec.routing_number[:8],
        spec.routing_number[8],
        alpha(spec.account_number, 17),
        numeric(spec.amount_cents, 10),
        alpha(spec.individual_id, 15),
        alpha(spec.individual_name, 22),
        alpha(spec.discretionary_data, 2),
        "1" if addenda else "0",
        trace,
        addenda,
    )


def build_control(header: BatchHeader, entries: tuple[EntryDetail, ...]) -> BatchControl:
    t = entry_totals(entries)
    return BatchControl(
        "8", header.service_class_code, numeric(t.entry_addenda_count, 6), numeric(t.entry_hash, 10),
        numeric(t.total_debit_cents, 12), numeric(t.total_credit_cents, 12), header.company_identification,
        " " * 19, " " * 6, header.odfi_identification, header.batch_number,
    )


def build_file(spec: FileSpec, batches: Sequence[BatchSpec]) -> AchFile:
    """A complete, valid file; validation (validate.validate_file) is separate and never mutates."""
    odfi = spec.odfi_routing[:8]
    header = FileHeader(
        "1", "01", alpha(" " + spec.immediate_destination, 10), alpha(spec.immediate_origin, 10),
        spec.created.strftime("%y%m%d"), spec.created.strftime("%H%M"), spec.file_id_modifier, "094", "10",
        "1", alpha(spec.immediate_destination_name, 23), alpha(spec.immediate_origin_name, 23),
        alpha(spec.reference_code, 8),
    )
    sequence = 0
    built: list[Batch] = []
    for number, b in enumerate(batches, start=1):
        bh = BatchHeader(
            "5", numeric(service_class(b.entries), 3), alpha(b.company_name, 16), alpha(b.discretionary_data, 20),
            alpha(b.company_identification, 10), b.sec_code, alpha(b.entry_description, 10),
            alpha(b.descriptive_date, 6), b.effective_date.strftime("%y%m%d"), "   ", "1", odfi, numeric(number, 7),
        )
        entries = []
        for e in b.entries:
            sequence += 1
            if sequence > MAX_SEQUENCE:
                raise ValueError("more than 9,999,999 entries in one file: trace sequence exhausted")
            entries.append(build_entry(e, odfi + numeric(sequence, 7)))
        entries_t = tuple(entries)
        built.append(Batch(bh, entries_t, build_control(bh, entries_t)))
    draft = AchFile(header, tuple(built), None)
    t = entry_totals(draft.entries)
    blocks = -(-record_count(draft) // 10)
    control = FileControl(
        "9", numeric(len(built), 6), numeric(blocks, 6), numeric(t.entry_addenda_count, 8),
        numeric(t.entry_hash, 10), numeric(t.total_debit_cents, 12), numeric(t.total_credit_cents, 12), " " * 39,
    )
    return AchFile(header, tuple(built), control)
