"""One class per NACHA record, named after the spec: parse a line, write exactly 94 characters, validate.

Rule (NACHA Operating Rules, Appendix Three "ACH Record Format Specifications"; field positions as in
moov-io/ach): a file is a File Header (1), batches of a Batch Header (5), Entry Details (6) each
followed by its addenda (7), a Batch Control (8), then a File Control (9) and 9-filled records up
to a multiple of ten. Each record is 94 characters. A field keeps its exact text (so a record read
from a bank writes back byte for byte); typed views (`amount_cents`, `transaction_code`) parse it.
`validate()` never mutates and names the failing field and rule.
Worked example: '627231380104744-5678-99      0000500000location #1    Best Co. #1           S 0031300010000001'
is a checking debit (27) to RDFI 23138010 check digit 4, account '744-5678-99', 500000 cents
($5,000.00), trace 031300010000001.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import ClassVar, Self, Union

from paygo.nacha import codes
from paygo.nacha.fields import RECORD_LENGTH, check_digit, is_digits, is_printable, is_valid_routing


@dataclass(frozen=True)
class FieldError:
    """One broken rule: which record and field, the rule's name, the text found, and how bad it is."""

    record: str
    field: str
    rule: str
    value: str = ""
    severity: str = "error"  # "error" refuses the file; "warning" is a tolerated deviation

    def __str__(self) -> str:
        return f"{self.record}.{self.field}: {self.rule} ({self.value!r})"


# Layout entry: (field name, first position 1-based, last position, kind). Kinds: "A" alphanumeric,
# "N" numeric (digits only), or a constant text the field must equal.
Layout = tuple[tuple[str, int, int, str], ...]


class Record:
    """Shared verbs for a fixed-width record; subclasses are frozen dataclasses with a LAYOUT."""

    LAYOUT: ClassVar[Layout]

    @classmethod
    def parse(cls, line: str) -> Self:
        """Slice a 94-character line into fields (shorter lines are padded with spaces)."""
        line = line.ljust(RECORD_LENGTH)
        return cls(**{name: line[start - 1 : end] for name, start, end, _ in cls.LAYOUT})

    def to_line(self) -> str:
        """The record's text: the fields concatenated (94 characters when valid)."""
        return "".join(getattr(self, name) for name, _, _, _ in self.LAYOUT)

    def validate(self) -> list[FieldError]:
        """Field-shape checks shared by every record, then the record's own rules."""
        errors: list[FieldError] = []
        record = type(self).__name__
        for name, start, end, kind in self.LAYOUT:
            value = getattr(self, name)
            if len(value) != end - start + 1:
                errors.append(FieldError(record, name, "length", value))
            elif kind == "N" and not is_digits(value):  # ASCII digits only: '²' is not a digit here
                errors.append(FieldError(record, name, "numeric", value))
            elif not is_printable(value):
                errors.append(FieldError(record, name, "printable", value))
            elif kind not in ("A", "N") and value != kind:
                errors.append(FieldError(record, name, "constant", value))
        return errors + self._rules()

    def _rules(self) -> list[FieldError]:
        return []

    def _error(self, name: str, rule: str, severity: str = "error") -> FieldError:
        return FieldError(type(self).__name__, name, rule, getattr(self, name), severity)


def _required(record: Record, *names: str) -> list[FieldError]:
    return [record._error(n, "required") for n in names if not getattr(record, n).strip()]


@dataclass(frozen=True)
class FileHeader(Record):
    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "1"),
        ("priority_code", 2, 3, "01"),
        ("immediate_destination", 4, 13, "A"),  # " " + 9-digit routing of the receiving point
        ("immediate_origin", 14, 23, "A"),  # routing number or company id of the sender
        ("file_creation_date", 24, 29, "N"),  # YYMMDD
        ("file_creation_time", 30, 33, "A"),  # HHMM, optional
        ("file_id_modifier", 34, 34, "A"),  # A-Z, 0-9: tells apart files of the same day
        ("record_size", 35, 37, "094"),
        ("blocking_factor", 38, 39, "10"),
        ("format_code", 40, 40, "1"),
        ("immediate_destination_name", 41, 63, "A"),
        ("immediate_origin_name", 64, 86, "A"),
        ("reference_code", 87, 94, "A"),
    )
    record_type: str
    priority_code: str
    immediate_destination: str
    immediate_origin: str
    file_creation_date: str
    file_creation_time: str
    file_id_modifier: str
    record_size: str
    blocking_factor: str
    format_code: str
    immediate_destination_name: str
    immediate_origin_name: str
    reference_code: str

    def _rules(self) -> list[FieldError]:
        errors = _required(self, "immediate_origin", "immediate_destination")
        destination = self.immediate_destination.strip()
        if destination and not (len(destination) == 9 and is_digits(destination)):
            errors.append(self._error("immediate_destination", "routing_number"))
        elif destination and not is_valid_routing(destination):  # tolerable: Tolerance.DESTINATION_CHECK_DIGIT
            errors.append(self._error("immediate_destination", "check_digit"))
        origin = self.immediate_origin
        if origin[:1] == " " and is_digits(origin[1:]) and not is_valid_routing(origin[1:]):
            # " " + 9 digits is a routing number (a company id is 10 characters): its check digit must hold
            errors.append(self._error("immediate_origin", "check_digit"))  # tolerable: ORIGIN_CHECK_DIGIT
        mod = self.file_id_modifier
        if not (len(mod) == 1 and (mod.isdigit() or "A" <= mod <= "Z")):
            errors.append(self._error("file_id_modifier", "uppercase_or_digit"))
        return errors


@dataclass(frozen=True)
class BatchHeader(Record):
    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "5"),
        ("service_class_code", 2, 4, "N"),  # 200 mixed, 220 credits, 225 debits
        ("company_name", 5, 20, "A"),
        ("company_discretionary_data", 21, 40, "A"),
        ("company_identification", 41, 50, "A"),  # usually "1" + EIN
        ("standard_entry_class_code", 51, 53, "A"),  # CCD for premium debits
        ("company_entry_description", 54, 63, "A"),  # shown on the statement; RETRY PYMT for retries
        ("company_descriptive_date", 64, 69, "A"),
        ("effective_entry_date", 70, 75, "A"),  # YYMMDD, a banking day; spaces in an ENR batch
        ("settlement_date", 76, 78, "A"),  # Julian day, filled in by the ACH operator
        ("originator_status_code", 79, 79, "A"),
        ("odfi_identification", 80, 87, "N"),  # first 8 digits of the originating bank's routing
        ("batch_number", 88, 94, "N"),
    )
    record_type: str
    service_class_code: str
    company_name: str
    company_discretionary_data: str
    company_identification: str
    standard_entry_class_code: str
    company_entry_description: str
    company_descriptive_date: str
    effective_entry_date: str
    settlement_date: str
    originator_status_code: str
    odfi_identification: str
    batch_number: str

    def _rules(self) -> list[FieldError]:
        if self.standard_entry_class_code in codes.UNSUPPORTED_SEC_CODES:
            return []  # another layout (IAT, ADV): the reader reports "unsupported SEC code", not its fields
        errors = _required(self, "company_name", "company_identification", "company_entry_description")
        if self.company_name.strip() and set(self.company_name.strip()) == {"0"}:
            errors.append(self._error("company_name", "all_zeros"))  # NACHA reject reason 2l
        description = self.company_entry_description.strip()
        if description and set(description) == {"0"}:
            errors.append(self._error("company_entry_description", "all_zeros"))  # NACHA reject reason 2m
        if is_digits(self.service_class_code) and int(self.service_class_code) not in codes.SERVICE_CLASS_CODES:
            errors.append(self._error("service_class_code", "code"))
        if self.standard_entry_class_code not in codes.SEC_CODES:
            errors.append(self._error("standard_entry_class_code", "code"))
        if self.originator_status_code not in ("1", "2"):  # 0 is an ACH operator's, in ADV only (moov)
            errors.append(self._error("originator_status_code", "code"))
        date = self.effective_entry_date
        if not is_digits(date) and not (date == "      " and self.standard_entry_class_code == codes.ENR):
            errors.append(self._error("effective_entry_date", "numeric"))  # ENR's may be space-filled
        return errors


@dataclass(frozen=True)
class Addenda05(Record):
    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "7"),
        ("addenda_type_code", 2, 3, "05"),
        ("payment_related_information", 4, 83, "A"),
        ("addenda_sequence_number", 84, 87, "N"),
        ("entry_detail_sequence_number", 88, 94, "N"),  # last 7 digits of the entry's trace
    )
    record_type: str
    addenda_type_code: str
    payment_related_information: str
    addenda_sequence_number: str
    entry_detail_sequence_number: str


@dataclass(frozen=True)
class Addenda98(Record):
    """Notification of change: the corrected data for the original entry."""

    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "7"),
        ("addenda_type_code", 2, 3, "98"),
        ("change_code", 4, 6, "A"),  # C01..C13
        ("original_trace", 7, 21, "N"),
        ("reserved", 22, 27, "A"),
        ("original_rdfi", 28, 35, "N"),
        ("corrected_data", 36, 64, "A"),
        ("reserved2", 65, 79, "A"),
        ("trace_number", 80, 94, "N"),
    )
    record_type: str
    addenda_type_code: str
    change_code: str
    original_trace: str
    reserved: str
    original_rdfi: str
    corrected_data: str
    reserved2: str
    trace_number: str

    def _rules(self) -> list[FieldError]:
        errors = _required(self, "corrected_data")
        if self.change_code not in codes.CHANGE_CODES:
            errors.append(self._error("change_code", "code"))
        return errors


def _return_code_rules(record: Record, allowed: frozenset[str] | None) -> list[FieldError]:
    code = record.return_code  # type: ignore[attr-defined]
    if allowed is not None and code in allowed:
        return []
    if allowed is None and codes.is_return_code(code):
        return []
    return [record._error("return_code", "code")]  # R86-R99 tolerable: Tolerance.CUSTOM_RETURN_CODES


@dataclass(frozen=True)
class Addenda99(Record):
    """Return: the return reason code and the original entry's trace and RDFI."""

    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "7"),
        ("addenda_type_code", 2, 3, "99"),
        ("return_code", 4, 6, "A"),  # R01..R85
        ("original_trace", 7, 21, "N"),
        ("date_of_death", 22, 27, "A"),  # YYMMDD for R14/R15, else blank
        ("original_rdfi", 28, 35, "N"),
        ("addenda_information", 36, 79, "A"),
        ("trace_number", 80, 94, "N"),
    )
    record_type: str
    addenda_type_code: str
    return_code: str
    original_trace: str
    date_of_death: str
    original_rdfi: str
    addenda_information: str
    trace_number: str

    def _rules(self) -> list[FieldError]:
        return _return_code_rules(self, None)


@dataclass(frozen=True)
class Addenda99Dishonored(Record):
    """Dishonored return (R61, R62, R67-R70): the ODFI refuses a return it received."""

    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "7"),
        ("addenda_type_code", 2, 3, "99"),
        ("return_code", 4, 6, "A"),  # the dishonored return reason code
        ("original_trace", 7, 21, "N"),
        ("reserved", 22, 27, "A"),
        ("original_rdfi", 28, 35, "N"),
        ("reserved2", 36, 38, "A"),
        ("return_trace_number", 39, 53, "N"),
        ("return_settlement_date", 54, 56, "A"),
        ("return_reason_code", 57, 58, "A"),  # the original return's code without its R
        ("addenda_information", 59, 79, "A"),
        ("trace_number", 80, 94, "N"),
    )
    record_type: str
    addenda_type_code: str
    return_code: str
    original_trace: str
    reserved: str
    original_rdfi: str
    reserved2: str
    return_trace_number: str
    return_settlement_date: str
    return_reason_code: str
    addenda_information: str
    trace_number: str
    date_of_death: ClassVar[str] = ""

    def _rules(self) -> list[FieldError]:
        return _return_code_rules(self, codes.DISHONORED_RETURN_CODES)


@dataclass(frozen=True)
class Addenda99Contested(Record):
    """Contested dishonored return (R71-R77): the RDFI answers a dishonored return."""

    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "7"),
        ("addenda_type_code", 2, 3, "99"),
        ("return_code", 4, 6, "A"),  # the contested return code
        ("original_trace", 7, 21, "N"),
        ("date_original_entry_returned", 22, 27, "A"),
        ("original_rdfi", 28, 35, "N"),
        ("original_settlement_date", 36, 38, "A"),
        ("return_trace_number", 39, 53, "N"),
        ("return_settlement_date", 54, 56, "A"),
        ("return_reason_code", 57, 58, "A"),
        ("dishonored_return_trace_number", 59, 73, "N"),
        ("dishonored_return_settlement_date", 74, 76, "A"),
        ("dishonored_return_reason_code", 77, 78, "A"),
        ("reserved", 79, 79, "A"),
        ("trace_number", 80, 94, "N"),
    )
    record_type: str
    addenda_type_code: str
    return_code: str
    original_trace: str
    date_original_entry_returned: str
    original_rdfi: str
    original_settlement_date: str
    return_trace_number: str
    return_settlement_date: str
    return_reason_code: str
    dishonored_return_trace_number: str
    dishonored_return_settlement_date: str
    dishonored_return_reason_code: str
    reserved: str
    trace_number: str
    date_of_death: ClassVar[str] = ""

    def _rules(self) -> list[FieldError]:
        return _return_code_rules(self, codes.CONTESTED_RETURN_CODES)


ReturnAddenda = Union[Addenda99, Addenda99Dishonored, Addenda99Contested]
Addenda = Union[Addenda05, Addenda98, Addenda99, Addenda99Dishonored, Addenda99Contested]
ADDENDA_TYPES = ("05", "98", "99")


def parse_addenda(line: str) -> Addenda:
    """Pick the addenda class from the type code (positions 2-3) and, for 99, the return code.

    Raises ValueError for an addenda type we do not read (02, IAT 10-18)."""
    kind = line[1:3]
    if kind == "05":
        return Addenda05.parse(line)
    if kind == "98":
        return Addenda98.parse(line)
    if kind == "99":
        code = line[3:6]
        if code in codes.DISHONORED_RETURN_CODES:
            return Addenda99Dishonored.parse(line)
        if code in codes.CONTESTED_RETURN_CODES:
            return Addenda99Contested.parse(line)
        return Addenda99.parse(line)
    raise ValueError(f"addenda type {kind!r} is not supported")


@dataclass(frozen=True)
class CorrectedC01(Record):
    """Corrected data (Addenda 98 positions 36-64) of a C01: the correct DFI account number."""

    LAYOUT: ClassVar[Layout] = (("account", 1, 17, "A"), ("reserved", 18, 29, "A"))
    account: str
    reserved: str


@dataclass(frozen=True)
class CorrectedC02(Record):
    """C02: the correct routing number (9 digits with its check digit)."""

    LAYOUT: ClassVar[Layout] = (("routing", 1, 9, "A"), ("reserved", 10, 29, "A"))
    routing: str
    reserved: str


@dataclass(frozen=True)
class CorrectedC03(Record):
    """C03: routing number, 3 spaces, account number."""

    LAYOUT: ClassVar[Layout] = (("routing", 1, 9, "A"), ("reserved", 10, 12, "A"), ("account", 13, 29, "A"))
    routing: str
    reserved: str
    account: str


@dataclass(frozen=True)
class CorrectedC05(Record):
    """C05: the correct transaction code."""

    LAYOUT: ClassVar[Layout] = (("transaction_code", 1, 2, "A"), ("reserved", 3, 29, "A"))
    transaction_code: str
    reserved: str


@dataclass(frozen=True)
class CorrectedC06(Record):
    """C06: account number, 3 spaces, transaction code."""

    LAYOUT: ClassVar[Layout] = (("account", 1, 17, "A"), ("reserved", 18, 20, "A"),
                                ("transaction_code", 21, 22, "A"), ("reserved2", 23, 29, "A"))
    account: str
    reserved: str
    transaction_code: str
    reserved2: str


@dataclass(frozen=True)
class CorrectedC07(Record):
    """C07: routing number, account number, transaction code."""

    LAYOUT: ClassVar[Layout] = (("routing", 1, 9, "A"), ("account", 10, 26, "A"), ("transaction_code", 27, 28, "A"),
                                ("reserved", 29, 29, "A"))
    routing: str
    account: str
    transaction_code: str
    reserved: str


# NACHA Appendix Four: the layout of an Addenda 98's corrected data, by change code (the codes we apply).
CORRECTED_DATA_LAYOUTS: dict[str, type[Record]] = {
    "C01": CorrectedC01, "C02": CorrectedC02, "C03": CorrectedC03, "C05": CorrectedC05, "C06": CorrectedC06,
    "C07": CorrectedC07,
}
CORRECTED_DATA_LENGTH = 29  # Addenda 98 positions 36-64


def parse_corrected_data(change_code: str, data: str) -> Record | None:
    """The corrected data of a NOC sliced by its change code's layout (None: no layout, e.g. C09)."""
    layout = CORRECTED_DATA_LAYOUTS.get(change_code)
    return None if layout is None else layout.parse(data.ljust(CORRECTED_DATA_LENGTH))


@dataclass(frozen=True)
class EntryDetail(Record):
    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "6"),
        ("transaction_code_text", 2, 3, "N"),  # 27 checking debit, 37 savings debit, 22/32 credits
        ("rdfi_identification", 4, 11, "N"),  # first 8 digits of the receiver's routing number
        ("check_digit", 12, 12, "N"),  # ninth digit of the routing number
        ("dfi_account_number", 13, 29, "A"),  # never log it: last four only
        ("amount", 30, 39, "N"),  # cents
        ("individual_identification_number", 40, 54, "A"),
        ("individual_name", 55, 76, "A"),
        ("discretionary_data", 77, 78, "A"),
        ("addenda_record_indicator", 79, 79, "N"),  # 1 when addenda follow
        ("trace_number", 80, 94, "N"),  # ODFI 8 digits + 7-digit sequence
    )
    record_type: str
    transaction_code_text: str
    rdfi_identification: str
    check_digit: str
    dfi_account_number: str
    amount: str
    individual_identification_number: str
    individual_name: str
    discretionary_data: str
    addenda_record_indicator: str
    trace_number: str
    addenda: tuple[Addenda, ...] = field(default=(), compare=True)

    @property
    def transaction_code(self) -> int:
        return int(self.transaction_code_text)

    @property
    def amount_cents(self) -> int:
        return int(self.amount)

    @property
    def routing_number(self) -> str:
        return self.rdfi_identification + self.check_digit

    @property
    def is_debit(self) -> bool:
        return codes.is_debit(self.transaction_code)

    @property
    def return_addenda(self) -> ReturnAddenda | None:
        """The first addenda 99 (the return itself; dishonored/contested ones may follow)."""
        return next((a for a in self.addenda if a.addenda_type_code == "99"), None)  # type: ignore[return-value]

    @property
    def noc_addenda(self) -> Addenda98 | None:
        return next((a for a in self.addenda if isinstance(a, Addenda98)), None)

    @property
    def is_return(self) -> bool:
        return self.return_addenda is not None

    @property
    def is_noc(self) -> bool:
        return self.noc_addenda is not None

    def _rules(self) -> list[FieldError]:
        errors = _required(self, "dfi_account_number")
        if is_digits(self.transaction_code_text) and self.transaction_code not in codes.TRANSACTION_CODES:
            errors.append(self._error("transaction_code_text", "code"))
        if is_digits(self.rdfi_identification) and len(self.rdfi_identification) == 8 and is_digits(self.check_digit):
            if check_digit(self.rdfi_identification) != int(self.check_digit):
                errors.append(self._error("check_digit", "check_digit"))
        if self.addenda_record_indicator not in ("0", "1"):
            errors.append(self._error("addenda_record_indicator", "code"))
        errors.extend(e for a in self.addenda for e in a.validate())
        return errors


@dataclass(frozen=True)
class BatchControl(Record):
    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "8"),
        ("service_class_code", 2, 4, "N"),
        ("entry_addenda_count", 5, 10, "N"),
        ("entry_hash", 11, 20, "N"),  # sum of 8-digit RDFI ids, last 10 digits
        ("total_debit", 21, 32, "N"),  # cents
        ("total_credit", 33, 44, "N"),  # cents
        ("company_identification", 45, 54, "A"),
        ("message_authentication_code", 55, 73, "A"),
        ("reserved", 74, 79, "A"),
        ("odfi_identification", 80, 87, "N"),
        ("batch_number", 88, 94, "N"),
    )
    record_type: str
    service_class_code: str
    entry_addenda_count: str
    entry_hash: str
    total_debit: str
    total_credit: str
    company_identification: str
    message_authentication_code: str
    reserved: str
    odfi_identification: str
    batch_number: str


@dataclass(frozen=True)
class FileControl(Record):
    LAYOUT: ClassVar[Layout] = (
        ("record_type", 1, 1, "9"),
        ("batch_count", 2, 7, "N"),
        ("block_count", 8, 13, "N"),  # records / 10, rounded up
        ("entry_addenda_count", 14, 21, "N"),
        ("entry_hash", 22, 31, "N"),
        ("total_debit", 32, 43, "N"),
        ("total_credit", 44, 55, "N"),
        ("reserved", 56, 94, "A"),
    )
    record_type: str
    batch_count: str
    block_count: str
    entry_addenda_count: str
    entry_hash: str
    total_debit: str
    total_credit: str
    reserved: str


@dataclass(frozen=True)
class Batch:
    """A Batch Header, its entries (each carrying its addenda) and its Batch Control (None when missing)."""

    header: BatchHeader
    entries: tuple[EntryDetail, ...]
    control: BatchControl | None


@dataclass(frozen=True)
class AchFile:
    """A whole file; header and control are None in return fragments that lack them."""

    header: FileHeader | None
    batches: tuple[Batch, ...]
    control: FileControl | None

    @property
    def entries(self) -> list[EntryDetail]:
        return [e for b in self.batches for e in b.entries]


def layout_names(cls: type[Record]) -> list[str]:
    """The field names of a record class in position order."""
    return [f.name for f in fields(cls) if f.name != "addenda"]
