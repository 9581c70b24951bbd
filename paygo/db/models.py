"""The tables (design.md "Data"), with the constraints that make the invariants hold in the database.

domain.md "Invariants trusted billing systems keep", and where each is enforced here:
1. ledger transactions balance: `paygo.ledger.posting.Transaction` refuses an unbalanced one and
   `paygo.ledger.repo.unbalanced_transactions` is the check; entries are non-zero (CHECK) and
   never updated or deleted (triggers in the initial migration).
2. nothing finalized is edited: ledger triggers; invoices are voided and reissued (`reissue_of`),
   or adjusted (`adjusts`); every invoice status change is a row in `invoice_status_history`.
3. one live invoice per (policy, employer, payroll run): partial UNIQUE index
   `uq_invoices_live_per_run` (kind = 'invoice' AND status <> 'void'); at most one debit in flight
   per invoice: partial UNIQUE `uq_ach_entries_one_in_flight` (status = 'in_flight').
5. each return/NOC recorded once: partial UNIQUE `uq_ach_returns_dedupe_key` over non-duplicates,
   so a second copy can only be recorded with status 'duplicate'; unmatched ones go to `exceptions`.
6. invoice numbers unique, never reused: UNIQUE(number), allocated from `counters` in the same
   transaction (`paygo.db.counters.next_value`), and a voided invoice keeps its row.
Also: a payroll file once per sha256, a NACHA file once per (creation date, file id modifier).
Money is BigInteger cents; rates are TEXT holding the exact decimal (never Float or Numeric).
Example: a premium line of $2,200.00 at 1.234 is (auditable_cents=220000, net_rate='1.234',
premium_cents=2715).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from paygo import states
from paygo.states import ACH_FILE_STATUSES, INVOICE_STATUSES, PAYOUT_STATUSES, REMIT_BILL_STATUSES
from paygo.states import ENTRY_STATUSES as ACH_ENTRY_STATUSES

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_name)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

PAYMENT_METHODS = ("ach_debit", "remit")
PAY_FREQUENCIES = ("weekly", "biweekly", "semimonthly", "monthly")
ACCOUNT_TYPES = ("checking", "savings")
AUTHORIZATION_STATUSES = ("active", "needs_new_bank_details", "needs_reauthorization")
FEE_TYPES = ("cycle_based", "flat", "percentage")
BILLING_FREQUENCIES = ("per_cycle", "monthly")
PAYROLL_FILE_STATUSES = ("received", "accepted", "rejected")
RUN_TYPES = ("regular", "off_cycle", "correction")
INVOICE_KINDS = ("invoice", "adjustment", "consolidated_remit")
INVOICE_EVENTS = tuple(states.INVOICE_EVENTS)
TRANSACTION_CODES = (22, 27, 32, 37)  # checking credit/debit, savings credit/debit
RETURN_KINDS = ("return", "noc")
PAYER_KINDS = ("payroll_company", "employer")
PAYMENT_METHODS_RECEIVED = ("check", "wire", "ach_credit", "lockbox")
BANK_DETAIL_SOURCES = ("reference", "noc", "set_bank")
RETURN_STATUSES = ("applied", "duplicate", "exception")
LEDGER_ACCOUNT_KINDS = ("asset", "liability", "revenue")
# The scheduled debit of an invoice (migration 0002 adds these CHECKs with the columns).
DEBIT_PRESENTMENT_CHECK = "debit_presentment IS NULL OR debit_presentment BETWEEN 1 AND 3"
DEBIT_SCHEDULE_CHECK = (
    "(debit_date IS NULL AND debit_presentment IS NULL AND debit_bank_details_version IS NULL)"
    " OR (debit_date IS NOT NULL AND debit_presentment IS NOT NULL AND debit_bank_details_version IS NOT NULL)"
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def one_of(column: str, values: tuple) -> str:
    """SQL text `column IN (...)` for a CHECK constraint."""
    listed = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
    return f"{column} IN ({listed})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


Timestamp = DateTime(timezone=True)


class PayrollCompany(Base):
    __tablename__ = "payroll_companies"
    __table_args__ = (CheckConstraint(one_of("payment_method", PAYMENT_METHODS), name="payment_method"),)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # e.g. "acme-payroll", its SFTP user
    name: Mapped[str] = mapped_column(String(200))
    payment_method: Mapped[str] = mapped_column(String(16), default="ach_debit")  # default for clients
    billing_email: Mapped[str | None] = mapped_column(String(320))  # remit bills, reminders (0005)


class Employer(Base):
    __tablename__ = "employers"
    __table_args__ = (
        CheckConstraint("length(fein) = 9", name="fein_9_digits"),  # digits checked at load
        CheckConstraint(one_of("pay_frequency", PAY_FREQUENCIES), name="pay_frequency"),
        CheckConstraint(
            f"payment_method IS NULL OR {one_of('payment_method', PAYMENT_METHODS)}", name="payment_method"
        ),
        CheckConstraint(
            f"bank_account_type IS NULL OR {one_of('bank_account_type', ACCOUNT_TYPES)}", name="account_type"
        ),
        CheckConstraint(one_of("authorization_status", AUTHORIZATION_STATUSES), name="authorization_status"),
        CheckConstraint("bank_routing IS NULL OR length(bank_routing) = 9", name="routing_9_digits"),
        CheckConstraint(
            "(bank_routing IS NULL AND bank_account_ciphertext IS NULL AND bank_account_last4 IS NULL"
            " AND bank_account_type IS NULL) OR (bank_routing IS NOT NULL AND bank_account_ciphertext"
            " IS NOT NULL AND bank_account_last4 IS NOT NULL AND bank_account_type IS NOT NULL)",
            name="bank_all_or_nothing",
        ),
        CheckConstraint("bank_details_version >= 0", name="bank_details_version"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fein: Mapped[str] = mapped_column(String(9), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    payroll_company_id: Mapped[str] = mapped_column(ForeignKey("payroll_companies.id"), index=True)
    pay_frequency: Mapped[str] = mapped_column(String(16))
    payment_method: Mapped[str | None] = mapped_column(String(16))  # overrides the company's
    email: Mapped[str | None] = mapped_column(String(320))
    bank_routing: Mapped[str | None] = mapped_column(String(9))
    bank_account_ciphertext: Mapped[str | None] = mapped_column(Text)  # Fernet token, paygo.db.crypto
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    bank_account_type: Mapped[str | None] = mapped_column(String(8))
    # Increments on every change of routing, account or type (a NOC or a reload); an ACH entry
    # records the version it used, so a debit to stale details can be recognised.
    bank_details_version: Mapped[int] = mapped_column(Integer, default=0)
    authorization_status: Mapped[str] = mapped_column(String(32), default="active")


class Carrier(Base):
    __tablename__ = "carriers"
    __table_args__ = (
        CheckConstraint(
            f"bank_account_type IS NULL OR {one_of('bank_account_type', ACCOUNT_TYPES)}", name="account_type"
        ),
        CheckConstraint("bank_routing IS NULL OR length(bank_routing) = 9", name="routing_9_digits"),
        CheckConstraint(
            "(bank_routing IS NULL AND bank_account_ciphertext IS NULL AND bank_account_last4 IS NULL"
            " AND bank_account_type IS NULL) OR (bank_routing IS NOT NULL AND bank_account_ciphertext"
            " IS NOT NULL AND bank_account_last4 IS NOT NULL AND bank_account_type IS NOT NULL)",
            name="bank_all_or_nothing",
        ),
        CheckConstraint("payout_minimum_cents >= 0", name="payout_minimum_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # Issue 12 (migration 0005): where payouts go, the balance kept back, whom billing mail goes to.
    billing_email: Mapped[str | None] = mapped_column(String(320))
    bank_routing: Mapped[str | None] = mapped_column(String(9))
    bank_account_ciphertext: Mapped[str | None] = mapped_column(Text)  # Fernet token, paygo.db.crypto
    bank_account_last4: Mapped[str | None] = mapped_column(String(4))
    bank_account_type: Mapped[str | None] = mapped_column(String(8))
    payout_minimum_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class Policy(Base):
    __tablename__ = "policies"
    __table_args__ = (
        CheckConstraint("effective_date < expiration_date", name="dates_ordered"),
        CheckConstraint(
            f"payment_method IS NULL OR {one_of('payment_method', PAYMENT_METHODS)}", name="payment_method"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    carrier_id: Mapped[str] = mapped_column(ForeignKey("carriers.id"), index=True)
    effective_date: Mapped[date] = mapped_column(Date)  # earliest rate row; anchors the policy year
    expiration_date: Mapped[date] = mapped_column(Date)  # exclusive; latest rate row
    payment_method: Mapped[str | None] = mapped_column(String(16))  # overrides employer and company
    cumulative_rounding: Mapped[bool] = mapped_column(Boolean, default=False)


class BillingSetting(Base):
    """A carrier's default billing model (policy_id NULL) or a per-policy override."""

    __tablename__ = "billing_settings"
    __table_args__ = (
        CheckConstraint(one_of("fee_type", FEE_TYPES), name="fee_type"),
        CheckConstraint(one_of("billing_frequency", BILLING_FREQUENCIES), name="billing_frequency"),
        CheckConstraint(
            "(fee_type = 'percentage' AND fee_rate IS NOT NULL AND fee_amount_cents IS NULL)"
            " OR (fee_type <> 'percentage' AND fee_amount_cents IS NOT NULL AND fee_rate IS NULL)",
            name="fee_amount_or_rate",
        ),
        CheckConstraint("fee_amount_cents IS NULL OR fee_amount_cents >= 0", name="fee_amount_not_negative"),
        CheckConstraint("setup_fee_cents >= 0", name="setup_fee_not_negative"),
        Index(
            "uq_billing_settings_carrier_default",
            "carrier_id",
            unique=True,
            sqlite_where=text("policy_id IS NULL"),
            postgresql_where=text("policy_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[str] = mapped_column(ForeignKey("carriers.id"))
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"), unique=True)
    fee_type: Mapped[str] = mapped_column(String(16))
    fee_amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    fee_rate: Mapped[str | None] = mapped_column(String(32))  # decimal text, 0.05 = 5%
    billing_frequency: Mapped[str] = mapped_column(String(16), default="per_cycle")
    setup_fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)


class PolicyRate(Base):
    """A net rate per $100 of payroll for (policy, state, class) over [effective, expiration)."""

    __tablename__ = "policy_rates"
    __table_args__ = (
        CheckConstraint("effective_date < expiration_date", name="dates_ordered"),
        UniqueConstraint("policy_id", "state", "class_code", "effective_date", name="uq_policy_rates_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    state: Mapped[str] = mapped_column(String(2))
    class_code: Mapped[str] = mapped_column(String(4))
    effective_date: Mapped[date] = mapped_column(Date)
    expiration_date: Mapped[date] = mapped_column(Date)  # exclusive
    net_rate: Mapped[str] = mapped_column(String(32))  # exact decimal text, e.g. "1.234"


class PayrollFile(Base):
    __tablename__ = "payroll_files"
    __table_args__ = (
        CheckConstraint(one_of("status", PAYROLL_FILE_STATUSES), name="status"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)  # processed once, whatever its name
    payroll_company_id: Mapped[str | None] = mapped_column(ForeignKey("payroll_companies.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str] = mapped_column(String(1000))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    status: Mapped[str] = mapped_column(String(16))
    row_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # How the file was read (issue 13, migration 0006): the mapping profile `id@version` and the
    # roster versions `946123457@v2 ...` used; null for files ingested before mappings existed.
    mapping_profile: Mapped[str | None] = mapped_column(String(100))
    roster_versions: Mapped[str | None] = mapped_column(Text)


class PayrollRun(Base):
    """One version of an employer's pay run; a correction adds version n+1 and supersedes n."""

    __tablename__ = "payroll_runs"
    __table_args__ = (
        UniqueConstraint("employer_id", "payroll_run_id", "version", name="uq_payroll_runs_version"),
        CheckConstraint("version >= 1", name="version_positive"),
        CheckConstraint(one_of("run_type", RUN_TYPES), name="run_type"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    payroll_run_id: Mapped[str] = mapped_column(String(128))  # the payroll company's id
    version: Mapped[int] = mapped_column(Integer, default=1)
    run_type: Mapped[str] = mapped_column(String(16))
    pay_date: Mapped[date] = mapped_column(Date)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    content_sha256: Mapped[str] = mapped_column(String(64))  # of the run's rows: idempotent re-upload
    payroll_file_id: Mapped[int] = mapped_column(ForeignKey("payroll_files.id"), index=True)
    superseded_by_id: Mapped[int | None] = mapped_column(ForeignKey("payroll_runs.id"))


class EmployeeYtdWage(Base):
    """Capped auditable cents one run version counted toward an employee's annual cap."""

    __tablename__ = "employee_ytd_wages"
    __table_args__ = (
        UniqueConstraint(
            "payroll_run_pk", "policy_id", "employee_id", "state", "cap", name="uq_employee_ytd_wages_row"
        ),
        CheckConstraint("capped_cents >= 0", name="capped_not_negative"),
        Index("ix_employee_ytd_wages_lookup", "policy_id", "employee_id", "state", "policy_year_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payroll_run_pk: Mapped[int] = mapped_column(ForeignKey("payroll_runs.id"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"))
    employee_id: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(2))
    cap: Mapped[str] = mapped_column(String(32))  # the rules table's cap id, e.g. NV_ANNUAL
    policy_year_start: Mapped[date] = mapped_column(Date)
    capped_cents: Mapped[int] = mapped_column(BigInteger)


class PremiumLine(Base):
    __tablename__ = "premium_lines"
    __table_args__ = (
        UniqueConstraint("payroll_run_pk", "policy_id", "state", "class_code", name="uq_premium_lines_key"),
        CheckConstraint("auditable_cents >= 0", name="auditable_not_negative"),
        CheckConstraint("premium_cents >= 0", name="premium_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payroll_run_pk: Mapped[int] = mapped_column(ForeignKey("payroll_runs.id"))
    policy_id: Mapped[int] = mapped_column(ForeignKey("policies.id"), index=True)
    state: Mapped[str] = mapped_column(String(2))
    class_code: Mapped[str] = mapped_column(String(4))
    auditable_cents: Mapped[int] = mapped_column(BigInteger)
    net_rate: Mapped[str] = mapped_column(String(32))
    premium_cents: Mapped[int] = mapped_column(BigInteger)


class Counter(Base):
    """Named sequences allocated inside the caller's transaction (invoice numbers)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_value: Mapped[int] = mapped_column(BigInteger, default=0)


class RemitBill(Base):
    """A consolidated bill of one payroll company's remit invoices for one month of pay dates.

    Issued once and never edited (migration 0003): invoices that arrive for a month already
    billed go on a supplementary bill of the same period, `sequence` 2, 3, ..."""

    __tablename__ = "remit_bills"
    __table_args__ = (
        CheckConstraint(one_of("status", REMIT_BILL_STATUSES), name="status"),
        CheckConstraint("sequence >= 1", name="sequence_positive"),
        CheckConstraint("period_start <= period_end", name="period_ordered"),
        UniqueConstraint("payroll_company_id", "period_start", "sequence", name="uq_remit_bills_period_sequence"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # REMIT-000001, never reused
    payroll_company_id: Mapped[str] = mapped_column(ForeignKey("payroll_companies.id"), index=True)
    period_start: Mapped[date] = mapped_column(Date)  # first day of the pay dates' month
    period_end: Mapped[date] = mapped_column(Date)  # its last day
    sequence: Mapped[int] = mapped_column(Integer)  # 1 the month's bill, 2+ supplementary bills
    issued_at: Mapped[datetime] = mapped_column(Timestamp)
    due_date: Mapped[date] = mapped_column(Date)
    total_cents: Mapped[int] = mapped_column(BigInteger)  # the sum of its invoices' totals
    status: Mapped[str] = mapped_column(String(16), default="issued")
    pdf_path: Mapped[str | None] = mapped_column(String(1000))


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(one_of("kind", INVOICE_KINDS), name="kind"),
        CheckConstraint(one_of("status", INVOICE_STATUSES), name="status"),
        CheckConstraint(one_of("payment_method", PAYMENT_METHODS), name="payment_method"),
        CheckConstraint(
            "kind <> 'invoice' OR (policy_id IS NOT NULL AND payroll_run_id IS NOT NULL)", name="invoice_has_run"
        ),
        CheckConstraint("kind <> 'adjustment' OR adjusts_id IS NOT NULL", name="adjustment_has_original"),
        CheckConstraint(
            "total_cents = premium_cents + employer_fee_cents", name="total_is_premium_plus_fee"
        ),
        CheckConstraint(DEBIT_PRESENTMENT_CHECK, name="debit_presentment_1_to_3"),
        CheckConstraint(DEBIT_SCHEDULE_CHECK, name="debit_schedule_all_or_nothing"),
        # Invariant 3: one live invoice per (policy, employer, payroll run).
        Index(
            "uq_invoices_live_per_run",
            "policy_id",
            "employer_id",
            "payroll_run_id",
            unique=True,
            sqlite_where=text("kind = 'invoice' AND status <> 'void'"),
            postgresql_where=text("kind = 'invoice' AND status <> 'void'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # never reused, void keeps it
    kind: Mapped[str] = mapped_column(String(24), default="invoice")
    status: Mapped[str] = mapped_column(String(16), default="issued")
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("policies.id"))
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    payroll_run_id: Mapped[str | None] = mapped_column(String(128))  # the run's id (all versions)
    payroll_run_pk: Mapped[int | None] = mapped_column(ForeignKey("payroll_runs.id"), index=True)  # version billed
    premium_cents: Mapped[int] = mapped_column(BigInteger)
    employer_fee_cents: Mapped[int] = mapped_column(BigInteger, default=0)  # cycle-based fee
    total_cents: Mapped[int] = mapped_column(BigInteger)  # negative on a refunding adjustment
    payment_method: Mapped[str] = mapped_column(String(16))
    due_date: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)  # audit (wall clock)
    issue_date: Mapped[date | None] = mapped_column(Date)  # the business date it was issued (0004)
    pdf_path: Mapped[str | None] = mapped_column(String(1000))
    reissue_of_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), unique=True)
    adjusts_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"))
    # The debit the pre-debit notice announced (paygo.ach.schedule): its date, its presentment (1-3)
    # and the employer's bank_details_version at notice time. All NULL until noticed, and again
    # when a return puts the invoice back to `scheduled` for a re-presentment not yet noticed.
    debit_date: Mapped[date | None] = mapped_column(Date)
    debit_presentment: Mapped[int | None] = mapped_column(Integer)
    debit_bank_details_version: Mapped[int | None] = mapped_column(Integer)
    # The consolidated remit bill listing this remit invoice (NULL until billed; migration 0003).
    remit_bill_id: Mapped[int | None] = mapped_column(ForeignKey("remit_bills.id"), index=True)


class InvoiceLine(Base):
    __tablename__ = "invoice_lines"
    __table_args__ = (UniqueConstraint("invoice_id", "line_no", name="uq_invoice_lines_line_no"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16), default="premium")  # premium | fee | adjustment
    description: Mapped[str] = mapped_column(String(500))
    state: Mapped[str | None] = mapped_column(String(2))
    class_code: Mapped[str | None] = mapped_column(String(4))
    auditable_cents: Mapped[int | None] = mapped_column(BigInteger)
    net_rate: Mapped[str | None] = mapped_column(String(32))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    premium_line_id: Mapped[int | None] = mapped_column(ForeignKey("premium_lines.id"))


class InvoiceStatusChange(Base):
    __tablename__ = "invoice_status_history"
    __table_args__ = (
        CheckConstraint(
            f"from_status IS NULL OR {one_of('from_status', INVOICE_STATUSES)}", name="from_status"
        ),
        CheckConstraint(one_of("to_status", INVOICE_STATUSES), name="to_status"),
        CheckConstraint(one_of("event", INVOICE_EVENTS), name="event"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))  # NULL when issued
    to_status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)  # audit (wall clock)
    changed_by: Mapped[str] = mapped_column(String(128))  # a job, a command, a person
    reason: Mapped[str] = mapped_column(Text)
    event: Mapped[str] = mapped_column(String(32))  # paygo.states.INVOICE_EVENTS (0004)
    business_date: Mapped[date] = mapped_column(Date)  # the business date of the change (0004)


class AchFile(Base):
    """A NACHA file, recorded before upload; confirmed by reading it back."""

    __tablename__ = "ach_files"
    __table_args__ = (
        UniqueConstraint("creation_date", "file_id_modifier", name="uq_ach_files_creation_modifier"),
        CheckConstraint(one_of("status", ACH_FILE_STATUSES), name="status"),
        CheckConstraint("length(file_id_modifier) = 1", name="file_id_modifier_one_char"),
        CheckConstraint("total_debit_cents >= 0 AND total_credit_cents >= 0", name="totals_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    creation_date: Mapped[date] = mapped_column(Date)  # file header pos 24-29
    file_id_modifier: Mapped[str] = mapped_column(String(1))  # file header pos 34: A-Z, 0-9
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(16), default="built")
    batch_count: Mapped[int] = mapped_column(Integer)
    entry_count: Mapped[int] = mapped_column(Integer)
    total_debit_cents: Mapped[int] = mapped_column(BigInteger)
    total_credit_cents: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    uploaded_at: Mapped[datetime | None] = mapped_column(Timestamp)
    confirmed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class AchEntry(Base):
    __tablename__ = "ach_entries"
    __table_args__ = (
        UniqueConstraint("invoice_id", "presentment", name="uq_ach_entries_presentment"),
        UniqueConstraint("ach_file_id", "trace_number", name="uq_ach_entries_trace_in_file"),
        CheckConstraint("presentment BETWEEN 1 AND 3", name="presentment_1_to_3"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(one_of("transaction_code", TRANSACTION_CODES), name="transaction_code"),
        CheckConstraint(one_of("status", ACH_ENTRY_STATUSES), name="status"),
        CheckConstraint("length(trace_number) = 15", name="trace_15_digits"),
        CheckConstraint("length(routing) = 9", name="routing_9_digits"),
        # Invariant 3: at most one debit in flight per invoice.
        Index(
            "uq_ach_entries_one_in_flight",
            "invoice_id",
            unique=True,
            sqlite_where=text("status = 'in_flight'"),
            postgresql_where=text("status = 'in_flight'"),
        ),
        Index("ix_ach_entries_trace_number", "trace_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ach_file_id: Mapped[int] = mapped_column(ForeignKey("ach_files.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"))
    presentment: Mapped[int] = mapped_column(Integer)  # 1 original, 2 and 3 re-presentments (R01/R09)
    trace_number: Mapped[str] = mapped_column(String(15))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    transaction_code: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    routing: Mapped[str] = mapped_column(String(9))
    account_last4: Mapped[str] = mapped_column(String(4))
    bank_details_version: Mapped[int] = mapped_column(Integer)  # the employer's version used
    status: Mapped[str] = mapped_column(String(16), default="in_flight")
    settled_at: Mapped[datetime | None] = mapped_column(Timestamp)  # audit (wall clock)
    returned_at: Mapped[datetime | None] = mapped_column(Timestamp)  # audit (wall clock)
    settled_on: Mapped[date | None] = mapped_column(Date)  # business date (0004)
    returned_on: Mapped[date | None] = mapped_column(Date)  # business date (0004)


class ReturnFile(Base):
    __tablename__ = "return_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(500))
    stored_path: Mapped[str | None] = mapped_column(String(1000))
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class AchReturn(Base):
    """A return (addenda 99) or notification of change (addenda 98) received from the bank."""

    __tablename__ = "ach_returns"
    __table_args__ = (
        CheckConstraint(one_of("kind", RETURN_KINDS), name="kind"),
        CheckConstraint(one_of("status", RETURN_STATUSES), name="status"),
        CheckConstraint("status <> 'applied' OR ach_entry_id IS NOT NULL", name="applied_is_matched"),
        CheckConstraint(
            "corrected_account_ciphertext IS NULL OR kind = 'noc'", name="corrected_account_only_on_noc"
        ),
        # Invariant 5: the first copy is applied (or queued as an exception); later copies of the
        # same return can only be recorded as duplicates.
        Index(
            "uq_ach_returns_dedupe_key",
            "dedupe_key",
            unique=True,
            sqlite_where=text("status <> 'duplicate'"),
            postgresql_where=text("status <> 'duplicate'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    return_file_id: Mapped[int] = mapped_column(ForeignKey("return_files.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    ach_entry_id: Mapped[int | None] = mapped_column(ForeignKey("ach_entries.id"), index=True)
    code: Mapped[str] = mapped_column(String(3))  # R01.., C01..
    original_trace: Mapped[str] = mapped_column(String(15))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    entry_date: Mapped[date | None] = mapped_column(Date)
    # original trace + amount + date + code: traces alone are not unique in bank files
    dedupe_key: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    corrected_data: Mapped[str | None] = mapped_column(String(64))  # NOC data that is not an account
    corrected_account_ciphertext: Mapped[str | None] = mapped_column(Text)  # C01/C03/C06/C07
    corrected_account_last4: Mapped[str | None] = mapped_column(String(4))
    received_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class ExceptionItem(Base):
    """Work for a person: an unmatched return, an unknown outcome, a rejected reload."""

    __tablename__ = "exceptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(64))  # e.g. unmatched_return
    subject: Mapped[str] = mapped_column(String(200))  # e.g. "ach_returns:12"
    detail: Mapped[str] = mapped_column(Text)  # never a full account number
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(Timestamp)
    resolution: Mapped[str | None] = mapped_column(Text)


class LedgerAccount(Base):
    __tablename__ = "ledger_accounts"
    __table_args__ = (CheckConstraint(one_of("kind", LEDGER_ACCOUNT_KINDS), name="kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(128), unique=True)  # docs/ledger.md, e.g. carrier_wallet:acme
    kind: Mapped[str] = mapped_column(String(16))


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    effective_date: Mapped[date] = mapped_column(Date)
    content_sha256: Mapped[str] = mapped_column(String(64))  # what a repeated post is compared on
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("ledger_transactions.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class LedgerEntry(Base):
    """Signed cents: debit positive, credit negative. Never updated or deleted (triggers)."""

    __tablename__ = "ledger_entries"
    __table_args__ = (CheckConstraint("amount_cents <> 0", name="amount_not_zero"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("ledger_accounts.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)


class Notification(Base):
    """Outbox: written in the business transaction, delivered afterwards, at most once per key."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(64))  # pre_debit_notice, rejection_report, ...
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(Timestamp)
    # Delivery outcome for ops (0005, paygo.notifications.delivery): tries so far, the last SMTP or
    # contact error, and when the row was given up (a 5xx refusal, no contact address): never sent.
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)
    failed_at: Mapped[datetime | None] = mapped_column(Timestamp)


class EmployerBankAccount(Base):
    """Every version of an employer's bank details (issue 12): the reference load, each NOC applied,
    each `paygo employers set-bank`. `employers` holds the current one; version n here is what an
    entry with `bank_details_version` n was sent to."""

    __tablename__ = "employer_bank_accounts"
    __table_args__ = (
        UniqueConstraint("employer_id", "version", name="uq_employer_bank_accounts_version"),
        CheckConstraint(one_of("account_type", ACCOUNT_TYPES), name="account_type"),
        CheckConstraint(one_of("source", BANK_DETAIL_SOURCES), name="source"),
        CheckConstraint("length(routing) = 9", name="routing_9_digits"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"))
    version: Mapped[int] = mapped_column(Integer)
    routing: Mapped[str] = mapped_column(String(9))
    account_ciphertext: Mapped[str] = mapped_column(Text)
    account_last4: Mapped[str] = mapped_column(String(4))
    account_type: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    effective_on: Mapped[date] = mapped_column(Date)  # business date
    recorded_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)  # audit


class Payment(Base):
    """Money a payer sent us other than by our debit (issue 12): a check, a wire, an ACH credit,
    a lockbox line. Recorded once per (payer, reference); what it pays is in `payment_applications`,
    the rest is the payer's credit (ledger `payer_credit:<payer>`), applied to its next bill."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("payer_kind", "payer_id", "reference", name="uq_payments_payer_reference"),
        CheckConstraint(one_of("payer_kind", PAYER_KINDS), name="payer_kind"),
        CheckConstraint(one_of("method", PAYMENT_METHODS_RECEIVED), name="method"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # PAY-000001
    payer_kind: Mapped[str] = mapped_column(String(16))
    payer_id: Mapped[str] = mapped_column(String(64))  # payroll company id or employer FEIN
    reference: Mapped[str] = mapped_column(String(200))  # check number, wire reference: once per payer
    method: Mapped[str] = mapped_column(String(16))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    received_on: Mapped[date] = mapped_column(Date)  # business date
    remit_bill_id: Mapped[int | None] = mapped_column(ForeignKey("remit_bills.id"), index=True)
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    source: Mapped[str] = mapped_column(String(200))  # "cli", or "import:<file sha256>:<line>"
    recorded_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)  # audit


class PaymentApplication(Base):
    """Cents of one payment applied to one invoice, on a business date. Never edited."""

    __tablename__ = "payment_applications"
    __table_args__ = (
        UniqueConstraint("payment_id", "invoice_id", name="uq_payment_applications_payment_invoice"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"))
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    applied_on: Mapped[date] = mapped_column(Date)  # business date


class Payout(Base):
    """A carrier payout: one CCD credit (tc 22/32) of a carrier's wallet above its minimum, in a
    NACHA file (`ach_files`), at most one per carrier per payout day (issue 12)."""

    __tablename__ = "payouts"
    __table_args__ = (
        UniqueConstraint("carrier_id", "payout_date", name="uq_payouts_carrier_day"),
        UniqueConstraint("ach_file_id", "trace_number", name="uq_payouts_trace_in_file"),
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint(one_of("status", PAYOUT_STATUSES), name="status"),
        CheckConstraint(one_of("transaction_code", (22, 32)), name="transaction_code"),
        CheckConstraint("length(trace_number) = 15", name="trace_15_digits"),
        CheckConstraint("length(routing) = 9", name="routing_9_digits"),
        CheckConstraint("reserve_cents >= 0", name="reserve_not_negative"),
        # never more than the wallet held above its reserve when the payout was decided
        CheckConstraint("amount_cents + reserve_cents <= wallet_balance_cents", name="within_wallet_above_reserve"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    carrier_id: Mapped[str] = mapped_column(ForeignKey("carriers.id"), index=True)
    payout_date: Mapped[date] = mapped_column(Date)  # business date
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16))
    ach_file_id: Mapped[int] = mapped_column(ForeignKey("ach_files.id"))
    trace_number: Mapped[str] = mapped_column(String(15))
    transaction_code: Mapped[int] = mapped_column(Integer)
    effective_date: Mapped[date] = mapped_column(Date)
    routing: Mapped[str] = mapped_column(String(9))
    account_last4: Mapped[str] = mapped_column(String(4))
    # What the decision saw (paygo.payouts): the wallet's balance owed to the carrier counting every
    # ledger transaction up to id `ledger_cutoff_id`, and the reserve (payout minimum) kept in it.
    # The payout statement lists the wallet movements between the previous payout's cutoff and this one.
    wallet_balance_cents: Mapped[int] = mapped_column(BigInteger)
    reserve_cents: Mapped[int] = mapped_column(BigInteger)
    ledger_cutoff_id: Mapped[int] = mapped_column(Integer)
    return_code: Mapped[str | None] = mapped_column(String(3))  # R03... when the credit came back
    statement_pdf_path: Mapped[str | None] = mapped_column(String(1000))
    statement_csv_path: Mapped[str | None] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)  # audit
    settled_on: Mapped[date | None] = mapped_column(Date)
    returned_on: Mapped[date | None] = mapped_column(Date)


class MappingProfile(Base):
    """A payroll company's (or employer's) mapping profile as loaded from the reference folder's
    `mappings/` (paygo.payroll.profile): one row per (profile id, version), the TOML kept as text;
    the latest loaded version of an id is the one used (issue 13)."""

    __tablename__ = "mapping_profiles"
    __table_args__ = (UniqueConstraint("profile_id", "version", name="uq_mapping_profiles_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    profile_id: Mapped[str] = mapped_column(String(64))
    version: Mapped[str] = mapped_column(String(12))  # sha256 prefix of the merged profile
    payroll_company_id: Mapped[str] = mapped_column(ForeignKey("payroll_companies.id"), index=True)
    employer_fein: Mapped[str | None] = mapped_column(String(9))
    body: Mapped[str] = mapped_column(Text)
    loaded_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RosterVersion(Base):
    """One version of an employer's employee roster (paygo.payroll.roster): each load of a roster
    file whose assignments for the employer differ from the latest version adds version n+1."""

    __tablename__ = "roster_versions"
    __table_args__ = (
        UniqueConstraint("employer_id", "version", name="uq_roster_versions_version"),
        CheckConstraint("version >= 1", name="version_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    employer_id: Mapped[int] = mapped_column(ForeignKey("employers.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))  # of the employer's assignments (roster_sha256)
    source: Mapped[str] = mapped_column(String(500))  # "reference" or the SFTP path it came from
    loaded_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RosterAssignment(Base):
    """An employee's state, class code and officer flag from `effective_date` on (issue 13)."""

    __tablename__ = "roster_assignments"
    __table_args__ = (
        UniqueConstraint("roster_version_id", "employee_id", "effective_date", name="uq_roster_assignments_dated"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    roster_version_id: Mapped[int] = mapped_column(ForeignKey("roster_versions.id"), index=True)
    employee_id: Mapped[str] = mapped_column(String(64))
    effective_date: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(2))
    class_code: Mapped[str] = mapped_column(String(4))
    is_officer: Mapped[bool] = mapped_column(Boolean, default=False)
