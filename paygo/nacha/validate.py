"""File and batch checks for NACHA files: pure functions that return errors and never mutate.

Rule (NACHA Operating Rules, Appendix Three; moov-io/ach batch.go and file.go): a Batch Control
repeats its batch's service class, counts entries plus addenda, carries the entry hash (the sum of
the 8-digit RDFI identifications, last 10 digits kept) and the debit and credit totals in cents.
A File Control sums its batches and counts blocks of ten records. A debits-only batch (225) holds
no credits, a credits-only batch (220) no debits.
Worked example (ccd-debit.ach): two entries to RDFI 23138010 -> hash 23138010 + 23138010 =
46276020 -> '0046276020'; debits 500000 + 125 = 500125 cents; entry/addenda count 2; the file has
6 records -> 1 block.
"""

from __future__ import annotations

from dataclasses import dataclass

from paygo.nacha import codes
from paygo.nacha.fields import BLOCKING_FACTOR, is_digits
from paygo.nacha.records import AchFile, Batch, BatchControl, BatchHeader, EntryDetail, FieldError, FileControl

HASH_MODULUS = 10**10


@dataclass(frozen=True)
class Totals:
    """What a control record must say about the entries under it."""

    entry_addenda_count: int
    entry_hash: int
    total_debit_cents: int
    total_credit_cents: int


def entry_totals(entries: tuple[EntryDetail, ...] | list[EntryDetail]) -> Totals:
    """Counts, hash and totals of some entries; unreadable numbers count as 0 (reported elsewhere)."""
    count = hash_ = debit = credit = 0
    for e in entries:
        count += 1 + len(e.addenda)
        hash_ += int(e.rdfi_identification) if is_digits(e.rdfi_identification) else 0
        if is_digits(e.amount) and is_digits(e.transaction_code_text):
            if codes.is_debit(e.transaction_code):
                debit += e.amount_cents
            else:
                credit += e.amount_cents
    return Totals(count, hash_ % HASH_MODULUS, debit, credit)


def _compare(record: str, pairs: list[tuple[str, str, int]]) -> list[FieldError]:
    """Control fields against computed values: (field, text found, value expected)."""
    errors = []
    for name, text, expected in pairs:
        if is_digits(text) and int(text) != expected:
            errors.append(FieldError(record, name, f"mismatch: expected {expected}", text))
    return errors


def validate_batch(batch: Batch) -> list[FieldError]:
    """Batch-level rules (not the records' own fields): addenda indicators, service class, the trace
    prefixed by the ODFI, no zero amount on a live entry (prenotes, zero-dollar codes, returns and NOCs
    aside), a TEL batch all debits (all credits when its description is REVERSAL), control totals."""
    errors: list[FieldError] = []
    header, control = batch.header, batch.control
    reversal = header.company_entry_description.strip().upper() == "REVERSAL"
    for e in batch.entries:
        has_addenda = "1" if e.addenda else "0"
        if e.addenda_record_indicator in ("0", "1") and e.addenda_record_indicator != has_addenda:
            errors.append(FieldError("EntryDetail", "addenda_record_indicator", "addenda_mismatch", e.trace_number))
        if is_digits(e.transaction_code_text) and is_digits(header.service_class_code):
            service = int(header.service_class_code)
            debit = codes.is_debit(e.transaction_code)
            if (service == codes.DEBITS_ONLY and not debit) or (service == codes.CREDITS_ONLY and debit):
                errors.append(FieldError("EntryDetail", "transaction_code_text", "service_class", e.transaction_code_text))
        if e.trace_number[:8] != header.odfi_identification:  # moov isTraceNumberODFI
            errors.append(FieldError("EntryDetail", "trace_number", "odfi_prefix", e.trace_number))
        if is_digits(e.transaction_code_text) and is_digits(e.amount) and e.amount_cents == 0 \
                and e.transaction_code not in codes.PRENOTE_CODES | codes.ZERO_DOLLAR_CODES \
                and not any(a.addenda_type_code in ("98", "99") for a in e.addenda):
            errors.append(FieldError("EntryDetail", "amount", "zero", e.trace_number))
        if header.standard_entry_class_code == codes.TEL and is_digits(e.transaction_code_text) \
                and codes.is_debit(e.transaction_code) == reversal:
            errors.append(FieldError("EntryDetail", "transaction_code_text", "tel_direction", e.transaction_code_text))
    if control is None:
        return errors
    return errors + compare_batch_control(header, control, entry_totals(batch.entries))


def compare_batch_control(header: BatchHeader, control: BatchControl, totals: Totals) -> list[FieldError]:
    """A Batch Control against its header and the totals of its entries (shared by both readers)."""
    errors = _compare("BatchControl", [
        ("entry_addenda_count", control.entry_addenda_count, totals.entry_addenda_count),
        ("entry_hash", control.entry_hash, totals.entry_hash),
        ("total_debit", control.total_debit, totals.total_debit_cents),
        ("total_credit", control.total_credit, totals.total_credit_cents),
    ])
    for name in ("service_class_code", "batch_number", "odfi_identification"):
        if getattr(control, name) != getattr(header, name):
            errors.append(FieldError("BatchControl", name, "differs_from_header", getattr(control, name)))
    return errors


def record_count(file: AchFile) -> int:
    """Records a canonical writing of the file holds, before the 9-fill."""
    return 2 + sum(2 + len(b.entries) + sum(len(e.addenda) for e in b.entries) for b in file.batches)


def validate_file_control(file: AchFile) -> list[FieldError]:
    """File Control against the batches (counts, hash, totals, blocks)."""
    if file.control is None:
        return []
    return compare_file_control(file.control, len(file.batches), record_count(file), entry_totals(file.entries))


def compare_file_control(control: FileControl, batch_count: int, records: int, totals: Totals) -> list[FieldError]:
    """A File Control against the batch count, the record count (before 9-fill) and the entry totals."""
    blocks = -(-records // BLOCKING_FACTOR)
    return _compare("FileControl", [
        ("batch_count", control.batch_count, batch_count),
        ("block_count", control.block_count, blocks),
        ("entry_addenda_count", control.entry_addenda_count, totals.entry_addenda_count),
        ("entry_hash", control.entry_hash, totals.entry_hash),
        ("total_debit", control.total_debit, totals.total_debit_cents),
        ("total_credit", control.total_credit, totals.total_credit_cents),
    ])


def validate_file(file: AchFile) -> list[FieldError]:
    """Every rule, strictly (what we originate): records, batches, file control; nothing is changed."""
    errors: list[FieldError] = []
    if file.header is None:
        errors.append(FieldError("FileHeader", "record_type", "missing"))
    else:
        errors += file.header.validate()
    for batch in file.batches:
        errors += batch.header.validate()
        for entry in batch.entries:
            errors += entry.validate()
        if batch.control is None:
            errors.append(FieldError("BatchControl", "record_type", "missing"))
        else:
            errors += batch.control.validate()
        errors += validate_batch(batch)
    if file.control is None:
        errors.append(FieldError("FileControl", "record_type", "missing"))
    else:
        errors += file.control.validate()
        errors += validate_file_control(file)
    return errors
