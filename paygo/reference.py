"""Reading, validating and loading the reference folder (docs/reference-data.md).

Rule: the folder is loaded whole or not at all. Every bad row is reported with its file, row
(1-based after the header, as in spec/payroll-file.md) and reason: a routing number whose check
digit fails (weights 3,7,1 repeating: 021000021 -> 0*3+2*7+1*1+0*3+0*7+0*1+0*3+2*7+1*1 = 30, a
multiple of 10, valid), a FEIN that is not 9 digits, overlapping rate periods for one (policy,
state, class), a reference to an unknown company, employer, carrier or policy. Loading is an
upsert on natural keys (company id, FEIN, carrier id, policy number), so loading the same folder
twice changes nothing; a changed routing, account or account type bumps the employer's bank
details version. Nothing here prints an account number: only its last four digits.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.bank_details import change_bank_details
from paygo.billing.money import MoneyError, parse_cents
from paygo.db import models as m
from paygo.db.crypto import AccountCipher, AccountNumberError, last4, validate_account_number

FILES = {
    "payroll_companies.csv": ("company_id", "name", "payment_method"),
    "carriers.csv": ("carrier_id", "name"),
    "employers.csv": ("employer_fein", "name", "payroll_company_id", "pay_frequency", "payment_method", "email",
                      "bank_routing", "bank_account", "bank_account_type"),
    "billing_settings.csv": ("carrier_id", "policy_number", "fee_type", "fee_amount", "fee_rate",
                             "billing_frequency", "setup_fee"),
    # exactly the spec's policies CSV (spec/payroll-file.md "Reference data")
    "policies.csv": ("policy_number", "employer_fein", "carrier_id", "effective_date", "expiration_date", "state",
                     "class_code", "net_rate"),
    "policy_settings.csv": ("policy_number", "payment_method", "cumulative_rounding"),
}
OPTIONAL_FILES = {"billing_settings.csv", "policy_settings.csv"}
# Columns a file may leave out (issue 12): billing contacts, the carrier's payout account and minimum.
OPTIONAL_COLUMNS = {
    "payroll_companies.csv": ("billing_email",),
    "carriers.csv": ("billing_email", "bank_routing", "bank_account", "bank_account_type", "payout_minimum"),
}
EMAIL = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[A-Za-z]{2,}")
RATE = re.compile(r"[0-9]+(\.[0-9]{1,6})?")
STATE = re.compile(r"[A-Z]{2}")
CLASS_CODE = re.compile(r"[0-9]{3,4}")


@dataclass(frozen=True)
class Problem:
    file: str
    row: int | None  # 1-based data row; None for a file-level problem
    reason: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}: {self.reason}" if self.row is not None else f"{self.file}: {self.reason}"


class ReferenceDataError(ValueError):
    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def routing_check_digit_ok(routing: str) -> bool:
    """ABA check: digits weighted 3,7,1 repeating sum to a multiple of 10."""
    if not re.fullmatch(r"[0-9]{9}", routing):
        return False
    return sum(int(d) * w for d, w in zip(routing, (3, 7, 1) * 3)) % 10 == 0


def normalize_fein(text: str) -> str | None:
    """`123456789` or `12-3456789` -> "123456789"; anything else -> None."""
    m_ = re.fullmatch(r"([0-9]{2})-?([0-9]{7})", text)
    return m_.group(1) + m_.group(2) if m_ else None


@dataclass
class Reference:
    """The folder's rows, validated (values typed). Account numbers are held only until loading."""

    companies: dict[str, dict] = field(default_factory=dict)
    carriers: dict[str, dict] = field(default_factory=dict)
    employers: dict[str, dict] = field(default_factory=dict)
    billing: dict[tuple[str, str | None], dict] = field(default_factory=dict)
    policies: dict[str, dict] = field(default_factory=dict)  # number -> {fein, carrier, rates: [...]}
    policy_settings: dict[str, dict] = field(default_factory=dict)


def _rows(folder: Path, name: str, problems: list[Problem]) -> list[tuple[int, dict[str, str]]]:
    path = folder / name
    if not path.exists():
        if name not in OPTIONAL_FILES:
            problems.append(Problem(name, None, "file is missing"))
        return []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(Problem(name, None, "not UTF-8 text"))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    expected, optional = FILES[name], OPTIONAL_COLUMNS.get(name, ())
    if not set(expected) <= set(header) <= set(expected) | set(optional) or len(set(header)) != len(header):
        allowed = f" (optional: {', '.join(optional)})" if optional else ""
        problems.append(Problem(name, 0, f"columns must be {', '.join(expected)}{allowed}; got {', '.join(header)}"))
        return []
    missing = dict.fromkeys(optional, "")
    out = []
    for i, record in enumerate(reader, start=1):
        cells = [c.strip() for c in record]
        if not any(cells):
            continue
        if len(cells) != len(header):
            problems.append(Problem(name, i, f"{len(cells)} cells, expected {len(header)}"))
            continue
        out.append((i, missing | dict(zip(header, cells))))
    return out


def _bank(r: dict[str, str], reasons: list[str]) -> tuple[str, str, str] | None:
    """(routing, account, type) from a row's bank columns, or None when all three are empty."""
    if not (r["bank_routing"] or r["bank_account"] or r["bank_account_type"]):
        return None
    if not routing_check_digit_ok(r["bank_routing"]):
        reasons.append(f"bank_routing {r['bank_routing']!r} fails the routing check digit (weights 3,7,1)")
    try:
        account = validate_account_number(r["bank_account"])
    except AccountNumberError as exc:
        reasons.append(f"bank_account: {exc}")
        account = None
    if r["bank_account_type"] not in m.ACCOUNT_TYPES:
        reasons.append("bank_account_type must be checking or savings")
    return (r["bank_routing"], account, r["bank_account_type"])


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) else None
    except ValueError:
        return None


def read_reference(folder: Path, known: KnownKeys | None = None) -> Reference:
    """Read and validate every file; raise ReferenceDataError listing every problem."""
    known = known or KnownKeys()
    problems: list[Problem] = []
    ref = Reference()

    def bad(file: str, row: int, reason: str) -> None:
        problems.append(Problem(file, row, reason))

    f = "payroll_companies.csv"
    for i, r in _rows(folder, f, problems):
        if not r["company_id"]:
            bad(f, i, "company_id is empty")
        elif r["company_id"] in ref.companies:
            bad(f, i, f"company {r['company_id']} is listed twice")
        elif r["payment_method"] not in m.PAYMENT_METHODS:
            bad(f, i, f"payment_method must be ach_debit or remit, got {r['payment_method']!r}")
        elif r["billing_email"] and not EMAIL.fullmatch(r["billing_email"]):
            bad(f, i, f"billing_email {r['billing_email']!r} is not an email address")
        else:
            ref.companies[r["company_id"]] = {"name": r["name"], "payment_method": r["payment_method"],
                                              "billing_email": r["billing_email"] or None}

    f = "carriers.csv"
    for i, r in _rows(folder, f, problems):
        reasons = []
        if not r["carrier_id"] or r["carrier_id"] in ref.carriers:
            reasons.append(f"carrier_id {r['carrier_id']!r} is empty or listed twice")
        if r["billing_email"] and not EMAIL.fullmatch(r["billing_email"]):
            reasons.append(f"billing_email {r['billing_email']!r} is not an email address")
        bank = _bank(r, reasons)
        try:
            minimum = parse_cents(r["payout_minimum"]) if r["payout_minimum"] else 0
            if minimum < 0:
                reasons.append("payout_minimum must not be negative")
        except MoneyError as exc:
            reasons.append(f"payout_minimum: {exc}")
        if reasons:
            for reason in reasons:
                bad(f, i, reason)
            continue
        ref.carriers[r["carrier_id"]] = {"name": r["name"], "billing_email": r["billing_email"] or None,
                                         "payout_minimum_cents": minimum, "bank": bank}

    f = "employers.csv"
    for i, r in _rows(folder, f, problems):
        fein = normalize_fein(r["employer_fein"])
        reasons = []
        if fein is None:
            reasons.append(f"employer_fein {r['employer_fein']!r} is not 9 digits")
        elif fein in ref.employers:
            reasons.append(f"employer {fein} is listed twice")
        if r["payroll_company_id"] not in ref.companies and r["payroll_company_id"] not in known.companies:
            reasons.append(f"unknown payroll company {r['payroll_company_id']!r}")
        if r["pay_frequency"] not in m.PAY_FREQUENCIES:
            reasons.append(f"pay_frequency must be one of {', '.join(m.PAY_FREQUENCIES)}")
        if r["payment_method"] and r["payment_method"] not in m.PAYMENT_METHODS:
            reasons.append("payment_method must be ach_debit, remit or empty")
        bank = _bank(r, reasons)
        if reasons:
            for reason in reasons:
                bad(f, i, reason)
            continue
        ref.employers[fein] = {
            "name": r["name"], "payroll_company_id": r["payroll_company_id"], "pay_frequency": r["pay_frequency"],
            "payment_method": r["payment_method"] or None, "email": r["email"] or None, "bank": bank,
        }

    f = "policies.csv"
    for i, r in _rows(folder, f, problems):
        fein = normalize_fein(r["employer_fein"])
        eff, exp = _date(r["effective_date"]), _date(r["expiration_date"])
        reasons = []
        if not r["policy_number"]:
            reasons.append("policy_number is empty")
        if fein is None:
            reasons.append(f"employer_fein {r['employer_fein']!r} is not 9 digits")
        elif fein not in ref.employers and fein not in known.employers:
            reasons.append(f"unknown employer {fein}")
        if r["carrier_id"] not in ref.carriers and r["carrier_id"] not in known.carriers:
            reasons.append(f"unknown carrier {r['carrier_id']!r}")
        if eff is None or exp is None:
            reasons.append("effective_date and expiration_date must be dates YYYY-MM-DD")
        elif eff >= exp:
            reasons.append("effective_date must be before expiration_date (exclusive)")
        if not STATE.fullmatch(r["state"]):
            reasons.append(f"state {r['state']!r} is not a USPS code")
        if not CLASS_CODE.fullmatch(r["class_code"]):
            reasons.append(f"class_code {r['class_code']!r} is not 3 or 4 digits")
        if not RATE.fullmatch(r["net_rate"]):
            reasons.append(f"net_rate {r['net_rate']!r} is not a decimal with at most 6 places")
        policy = ref.policies.get(r["policy_number"])
        if policy is not None and not reasons and (policy["fein"], policy["carrier_id"]) != (fein, r["carrier_id"]):
            reasons.append(f"policy {r['policy_number']} has another employer or carrier on an earlier row")
        if reasons:
            for reason in reasons:
                bad(f, i, reason)
            continue
        if policy is None:
            policy = ref.policies[r["policy_number"]] = {"fein": fein, "carrier_id": r["carrier_id"], "rates": []}
        for other_row, other in policy["rates"]:
            if (other["state"], other["class_code"]) == (r["state"], r["class_code"]) and \
                    eff < other["expiration_date"] and other["effective_date"] < exp:
                bad(f, i, f"rate period overlaps row {other_row} for {r['policy_number']} "
                          f"{r['state']} {r['class_code']}")
                break
        else:
            policy["rates"].append((i, {"state": r["state"], "class_code": r["class_code"], "effective_date": eff,
                                        "expiration_date": exp, "net_rate": r["net_rate"]}))

    f = "policy_settings.csv"
    for i, r in _rows(folder, f, problems):
        if r["policy_number"] not in ref.policies and r["policy_number"] not in known.policies:
            bad(f, i, f"unknown policy {r['policy_number']!r}")
        elif r["payment_method"] and r["payment_method"] not in m.PAYMENT_METHODS:
            bad(f, i, "payment_method must be ach_debit, remit or empty")
        elif r["cumulative_rounding"].lower() not in ("", "true", "false"):
            bad(f, i, "cumulative_rounding must be true, false or empty")
        else:
            ref.policy_settings[r["policy_number"]] = {
                "payment_method": r["payment_method"] or None,
                "cumulative_rounding": r["cumulative_rounding"].lower() == "true"}

    f = "billing_settings.csv"
    for i, r in _rows(folder, f, problems):
        reasons = []
        if r["carrier_id"] not in ref.carriers and r["carrier_id"] not in known.carriers:
            reasons.append(f"unknown carrier {r['carrier_id']!r}")
        number = r["policy_number"] or None
        if number is not None and number not in ref.policies and number not in known.policies:
            reasons.append(f"unknown policy {number!r}")
        if (r["carrier_id"], number) in ref.billing:
            reasons.append("this carrier/policy setting is listed twice")
        if r["fee_type"] not in m.FEE_TYPES:
            reasons.append(f"fee_type must be one of {', '.join(m.FEE_TYPES)}")
        if r["billing_frequency"] not in m.BILLING_FREQUENCIES:
            reasons.append(f"billing_frequency must be one of {', '.join(m.BILLING_FREQUENCIES)}")
        amount = rate = None
        setup = 0
        try:
            setup = parse_cents(r["setup_fee"] or "0")
            if r["fee_type"] == "percentage":
                rate = Decimal(r["fee_rate"]) if RATE.fullmatch(r["fee_rate"]) else None
                if rate is None or not rate < 1 or r["fee_amount"]:
                    reasons.append("a percentage fee needs fee_rate, a decimal below 1 (0.05 = 5%), and no fee_amount")
            else:
                amount = parse_cents(r["fee_amount"])
                if r["fee_rate"]:
                    reasons.append(f"a {r['fee_type']} fee takes fee_amount, not fee_rate")
        except (MoneyError, InvalidOperation) as exc:
            reasons.append(f"fee amounts must be dollars like 25.00: {exc}")
        if reasons:
            for reason in reasons:
                bad(f, i, reason)
            continue
        ref.billing[(r["carrier_id"], number)] = {
            "fee_type": r["fee_type"], "fee_amount_cents": amount, "fee_rate": r["fee_rate"] if rate is not None else None,
            "billing_frequency": r["billing_frequency"], "setup_fee_cents": setup}

    if problems:
        raise ReferenceDataError(problems)
    return ref


@dataclass
class KnownKeys:
    """Keys already in the database, which the folder may refer to without listing them."""

    companies: set[str] = field(default_factory=set)
    carriers: set[str] = field(default_factory=set)
    employers: set[str] = field(default_factory=set)
    policies: set[str] = field(default_factory=set)

    @classmethod
    def from_db(cls, session: Session) -> KnownKeys:
        return cls(set(session.scalars(select(m.PayrollCompany.id))), set(session.scalars(select(m.Carrier.id))),
                   set(session.scalars(select(m.Employer.fein))), set(session.scalars(select(m.Policy.number))))


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    bank_changes: list[str] = field(default_factory=list)  # "123456789 -> ****6789 (version 2)"

    def count(self, kind: str, what: str) -> None:
        target = self.created if what == "created" else self.updated
        target[kind] = target.get(kind, 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def _upsert(session: Session, report: LoadReport, kind: str, row, values: dict, factory):
    if row is None:
        row = factory(**values)
        session.add(row)
        report.count(kind, "created")
        return row
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    for k, v in changed.items():
        setattr(row, k, v)
    if changed:
        report.count(kind, "updated")
    return row


def load_reference(session: Session, folder: Path, cipher: AccountCipher, on: date | None = None) -> LoadReport:
    """Validate `folder` and upsert it in the session's transaction (the caller commits). `on` is the
    business date new bank details take effect (default today)."""
    on = on or date.today()
    known = KnownKeys.from_db(session)
    ref = read_reference(folder, known)
    from paygo.mappings import load_mapping_reference, read_mapping_reference  # issue 13: mappings/, roster.csv

    mapping_ref, mapping_problems = read_mapping_reference(folder, set(ref.companies) | known.companies,
                                                           set(ref.employers) | known.employers)
    if mapping_problems:
        raise ReferenceDataError([Problem(f, row, reason) for f, row, reason in mapping_problems])
    report = LoadReport()
    for cid, v in ref.companies.items():
        _upsert(session, report, "payroll companies", session.get(m.PayrollCompany, cid), {"id": cid, **v},
                m.PayrollCompany)
    for cid, v in ref.carriers.items():
        fields = {k: v[k] for k in ("name", "billing_email", "payout_minimum_cents")}
        row = _upsert(session, report, "carriers", session.get(m.Carrier, cid), {"id": cid, **fields}, m.Carrier)
        _apply_carrier_bank(row, v["bank"], cipher, report)
    session.flush()
    employers: dict[str, m.Employer] = {}
    for fein, v in ref.employers.items():
        row = session.scalar(select(m.Employer).where(m.Employer.fein == fein))
        fields = {k: v[k] for k in ("name", "payroll_company_id", "pay_frequency", "payment_method", "email")}
        row = _upsert(session, report, "employers", row, {"fein": fein, **fields}, m.Employer)
        _apply_bank(session, row, v["bank"], cipher, report, on)
        employers[fein] = row
    session.flush()
    for number, v in ref.policies.items():
        emp = employers.get(v["fein"]) or session.scalar(select(m.Employer).where(m.Employer.fein == v["fein"]))
        rates = [r for _, r in v["rates"]]
        values = {"number": number, "employer_id": emp.id, "carrier_id": v["carrier_id"],
                  "effective_date": min(r["effective_date"] for r in rates),
                  "expiration_date": max(r["expiration_date"] for r in rates)}
        values |= ref.policy_settings.get(number, {})
        row = session.scalar(select(m.Policy).where(m.Policy.number == number))
        policy = _upsert(session, report, "policies", row, values, m.Policy)
        session.flush()
        _replace_rates(session, policy, rates, report)
    for number, v in ref.policy_settings.items():
        if number not in ref.policies:
            row = session.scalar(select(m.Policy).where(m.Policy.number == number))
            _upsert(session, report, "policies", row, {"number": number, **v}, m.Policy)
    session.flush()
    for (carrier_id, number), v in ref.billing.items():
        policy_id = None
        if number is not None:
            policy_id = session.scalar(select(m.Policy.id).where(m.Policy.number == number))
        row = session.scalar(select(m.BillingSetting).where(
            m.BillingSetting.carrier_id == carrier_id,
            m.BillingSetting.policy_id.is_(None) if policy_id is None else m.BillingSetting.policy_id == policy_id))
        _upsert(session, report, "billing settings", row, {"carrier_id": carrier_id, "policy_id": policy_id, **v},
                m.BillingSetting)
    session.flush()
    load_mapping_reference(session, mapping_ref, report.count)
    return report


def _same_bank(row, bank: tuple[str, str, str], cipher: AccountCipher) -> bool:
    routing, account, account_type = bank
    return (row.bank_account_ciphertext is not None and row.bank_routing == routing
            and row.bank_account_type == account_type and cipher.decrypt(row.bank_account_ciphertext) == account)


def _apply_bank(session: Session, row: m.Employer, bank: tuple[str, str, str] | None, cipher: AccountCipher,
                report: LoadReport, on: date) -> None:
    if bank is None or _same_bank(row, bank, cipher):
        return  # no bank details in the file: keep what we have (remit employers have none)
    first = row.bank_account_ciphertext is None
    routing, account, account_type = bank
    change_bank_details(session, row, source="reference", on=on, routing=routing,
                        account_ciphertext=cipher.encrypt(account), account_last4=last4(account),
                        account_type=account_type)
    if row.authorization_status == "needs_new_bank_details":
        row.authorization_status = "active"
    report.count("bank accounts", "created" if first else "updated")
    report.bank_changes.append(f"{row.fein}: ****{row.bank_account_last4} (bank details version {row.bank_details_version})")


def _apply_carrier_bank(row: m.Carrier, bank: tuple[str, str, str] | None, cipher: AccountCipher,
                        report: LoadReport) -> None:
    """A carrier's payout account (no versions: a payout records the routing and last four it used)."""
    if bank is None or _same_bank(row, bank, cipher):
        return
    first = row.bank_account_ciphertext is None
    routing, account, account_type = bank
    row.bank_routing, row.bank_account_type = routing, account_type
    row.bank_account_ciphertext, row.bank_account_last4 = cipher.encrypt(account), last4(account)
    report.count("carrier bank accounts", "created" if first else "updated")
    report.bank_changes.append(f"carrier {row.id}: ****{row.bank_account_last4}")


def _replace_rates(session: Session, policy: m.Policy, rates: list[dict], report: LoadReport) -> None:
    key = lambda r: (r["state"], r["class_code"], r["effective_date"], r["expiration_date"], r["net_rate"])  # noqa: E731
    existing = session.scalars(select(m.PolicyRate).where(m.PolicyRate.policy_id == policy.id)).all()
    if sorted(key(r.__dict__) for r in existing) == sorted(key(r) for r in rates):
        return
    report.count("policy rate sets", "updated" if existing else "created")
    for r in existing:
        session.delete(r)
    session.flush()
    session.add_all(m.PolicyRate(policy_id=policy.id, **r) for r in rates)


def policy_book(session: Session):
    """The database's policies as a `paygo.payroll.policies.PolicyBook` (what `paygo check` reads)."""
    from paygo.payroll.policies import PolicyBook, RateRow  # lazily: written by the payroll package

    q = (
        select(m.Policy.number, m.Employer.fein, m.Policy.carrier_id, m.PolicyRate.effective_date,
               m.PolicyRate.expiration_date, m.PolicyRate.state, m.PolicyRate.class_code, m.PolicyRate.net_rate)
        .join(m.Employer, m.Employer.id == m.Policy.employer_id)
        .join(m.PolicyRate, m.PolicyRate.policy_id == m.Policy.id)
        .order_by(m.Policy.number, m.PolicyRate.state, m.PolicyRate.class_code, m.PolicyRate.effective_date)
    )
    rows = [
        RateRow(policy_number=n, employer_fein=f, carrier_id=c, effective_date=e, expiration_date=x, state=s,
                class_code=k, net_rate=r)
        for n, f, c, e, x, s, k, r in session.execute(q)
    ]
    return PolicyBook.from_rate_rows(rows)
