"""The columns of the canonical payroll file v1 (spec/payroll-file.md, "Columns").

Header names are exact lower_snake_case after trimming: `State` is an unknown column, and a
misspelt `regular_wages` is an error rather than wages silently dropped. Ten columns are
required; the rest may be absent, and an absent money column reads as zero cents, e.g. a file
with only `regular_pay` = `1234.5` has `bonus_pay` = 0 and `regular_pay` = 123450 cents.

Limits (docs/payroll-limits.md): the free-text columns are at most as long as the database
columns that store them (`MAX_TEXT_CHARS`, in characters: a 129-character payroll_run_id is an
error on its row and column); every other column is bounded by its format. The header line is
at most `MAX_HEADER_BYTES` bytes and every record, the header included, at most `MAX_FIELDS`
fields: a header breaking either is refused from its first bytes, before the file is parsed.
"""

REQUIRED_COLUMNS: tuple[str, ...] = (
    "employer_fein",
    "policy_number",
    "payroll_run_id",
    "pay_date",
    "period_start",
    "period_end",
    "employee_id",
    "state",
    "class_code",
    "regular_pay",
)

# Money columns that default to zero when the cell is empty or the column absent.
ZERO_DEFAULT_MONEY: tuple[str, ...] = (
    "regular_pay",
    "overtime_pay",
    "double_time_pay",
    "bonus_pay",
    "commission_pay",
    "pto_pay",
    "tips",
    "severance_pay",
    "expense_reimbursement",
    "uniform_allowance",
    "other_included_pay",
)

# Blank means "not known" (the one-third / one-half rule applies), so it stays null.
NULLABLE_MONEY: tuple[str, ...] = ("overtime_premium",)

MONEY_COLUMNS: tuple[str, ...] = ZERO_DEFAULT_MONEY + NULLABLE_MONEY

OPTIONAL_COLUMNS: tuple[str, ...] = ("run_type", "is_officer") + tuple(
    c for c in MONEY_COLUMNS if c not in REQUIRED_COLUMNS
)

ALL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS

DATE_COLUMNS: tuple[str, ...] = ("pay_date", "period_start", "period_end")

RUN_TYPES: tuple[str, ...] = ("regular", "off_cycle", "correction")

# Fields every row of one (employer, payroll_run_id) must share.
RUN_FIELDS: tuple[str, ...] = ("run_type", "pay_date", "period_start", "period_end")

# Accepted spellings of is_officer, compared lower-cased.
OFFICER_TRUE: tuple[str, ...] = ("true", "y", "1")
OFFICER_FALSE: tuple[str, ...] = ("false", "n", "0")

# No private carrier may write these (monopolistic state funds).
MONOPOLISTIC_STATES: frozenset[str] = frozenset({"ND", "OH", "WA", "WY"})

# USPS codes of the 50 states and DC.
USPS_STATES: frozenset[str] = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY".split()
)
assert len(USPS_STATES) == 51

# Regular expressions of the cell formats (Rust regex syntax in polars; anchored).
FEIN_PATTERN = r"^[0-9]{2}-?[0-9]{7}$"
DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
MONEY_PATTERN = r"^[0-9]+(\.[0-9]{1,2})?$"
CLASS_CODE_PATTERN = r"^[0-9]{3,4}$"
SSN_PATTERN = r"^([0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{9})$"

# Longest text, in characters, of the columns whose format does not bound them: the length of the
# database column each is stored in (paygo.db.models: policies.number String(64),
# payroll_runs.payroll_run_id and invoices.payroll_run_id String(128),
# employee_ytd_wages.employee_id String(64)).
MAX_TEXT_CHARS: dict[str, int] = {"policy_number": 64, "payroll_run_id": 128, "employee_id": 64}

# The header line, in bytes after the byte-order mark and before its line end: the 23 names and
# their commas take 293 bytes, the rest leaves room for spaces and quotes around the names.
MAX_HEADER_BYTES = 4096
# Fields in any record, the header included: the format has 23 columns.
MAX_FIELDS = 64
