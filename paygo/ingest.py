"""Ingest one payroll file into the database: validate, price with year to date, invoice; once.

Rules (spec/payroll-file.md "Runs", design.md "Data"): a file is processed once whatever its
name (UNIQUE sha256): the same bytes again change nothing and report 'duplicate'. Everything
of one file (the file record, run versions, premium lines, capped year-to-date wages,
invoices with their history, ledger postings and notifications) is written in ONE transaction,
so a crash at any step leaves nothing and a re-run completes. The raw bytes are kept under
PAYGO_HOME/raw/<sha256> before the commit (content-addressed: a leftover is harmless).
A rejected file is recorded (status 'rejected') with its errors returned; nothing is billed.
Runs: a regular/off_cycle run id already accepted for the employer is ignored when its content
is identical, and rejects the file otherwise (send a `correction`); a correction adds version
n+1, supersedes n, and voids-and-reissues or adjusts n's invoice (paygo.billing.invoice).
Worked example: a file with one CA 8810 row of $2,200.00 at 1.234 for policy WC-1 is accepted
with one premium line of 2,715 cents and one invoice INV-000001 of 2,715 cents (no fee).
Concurrency: ingests lock the file's employer rows (SELECT ... FOR UPDATE on PostgreSQL, the
write lock on SQLite) and re-check the sha256 under the lock, so two processes ingesting the
same bytes leave one set of invoices and the second reports 'duplicate'.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from paygo.billing import fees
from paygo.billing.invoice import (
    PricedLine,
    plan_billing,
    cumulative_bill_cents,
    due_date,
    exact_premium,
    fee_draft,
    premium_drafts,
)
from paygo.billing.premium import PricingError, price_payroll
from paygo.db import models as m
from paygo.invoicing import repo as invoices
from paygo.payroll.policies import PolicyBook, anniversary
from paygo.payroll.validate import PayrollError, validate_payroll_file  # noqa: F401  (re-exported before issue 13)
from paygo.reference import policy_book
from paygo.mappings import apply_roster_file, is_roster_file, validate_for_company
from paygo.payroll.roster import roster_label

STEPS = ("raw_file", "file_record", "runs", "premium_lines", "ytd_wages", "invoices", "notifications", "commit")
RUN_KEY = ("employer_fein", "payroll_run_id")


class InjectedFailure(RuntimeError):
    """Raised by the `fail_at` test hook to simulate a crash between two steps."""


class IngestError(ValueError):
    """A usage error: an unknown payroll company."""


@dataclass(frozen=True)
class IngestResult:
    status: str  # accepted | rejected | duplicate
    file_sha256: str
    errors: tuple[PayrollError, ...] = ()
    invoices: tuple[str, ...] = ()  # numbers created (invoices, reissues, adjustments)
    voided: tuple[str, ...] = ()
    total_premium_cents: int = 0  # premium priced for the runs this file added
    billed_cents: int = 0  # sum of the totals of the invoices created
    runs_added: int = 0
    runs_ignored: int = 0  # identical re-uploads acknowledged
    message: str = ""


@dataclass
class _Plan:
    new_runs: list[tuple[str, str, int, m.PayrollRun | None, str]] = field(default_factory=list)
    ignored: int = 0
    errors: list[PayrollError] = field(default_factory=list)


def _check(fail_at: str | None, step: str) -> None:
    if fail_at == step:
        raise InjectedFailure(f"injected failure after step {step}")


def store_raw(home: Path, sha: str, data: bytes) -> str:
    """Keep the bytes as received at home/raw/<sha256>; returns the path relative to home."""
    rel = f"raw/{sha}"
    path = home / rel
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{sha}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    return rel


def run_content_sha256(rows: pl.DataFrame) -> str:
    """Hash of a run's rows without row numbers or run type: identical re-uploads hash alike."""
    body = rows.drop("row", "run_type", "net_rate", "carrier_id", "policy_year_start", strict=False)
    body = body.sort(body.columns)
    return hashlib.sha256(body.write_csv().encode()).hexdigest()


def _plan_runs(session: Session, rated: pl.DataFrame, employers: dict[str, m.Employer]) -> _Plan:
    plan = _Plan()
    for (fein, run_id), rows in sorted(rated.partition_by(list(RUN_KEY), as_dict=True).items()):
        content = run_content_sha256(rows)
        emp = employers[fein]
        latest = session.scalar(select(m.PayrollRun).where(
            m.PayrollRun.employer_id == emp.id, m.PayrollRun.payroll_run_id == run_id,
            m.PayrollRun.superseded_by_id.is_(None)).order_by(m.PayrollRun.version.desc()).limit(1))
        run_type = rows["run_type"][0]
        if latest is None:
            plan.new_runs.append((fein, run_id, 1, None, content))
        elif latest.content_sha256 == content:
            plan.ignored += 1
        elif run_type != "correction":
            plan.errors.append(PayrollError(
                int(rows["row"].min()), "payroll_run_id", run_id,
                f"run {run_id} of employer {fein} was already accepted with different content; "
                f"to replace it send the run with run_type correction"))
        else:
            plan.new_runs.append((fein, run_id, latest.version + 1, latest, content))
    return plan


def _ytd_from_db(session: Session, policy_numbers: list[str], excluded_runs: list[int]) -> pl.DataFrame:
    q = (select(m.Policy.number, m.EmployeeYtdWage.employee_id, m.EmployeeYtdWage.state,
                m.EmployeeYtdWage.policy_year_start, m.EmployeeYtdWage.cap, m.EmployeeYtdWage.capped_cents)
         .join(m.Policy, m.Policy.id == m.EmployeeYtdWage.policy_id)
         .join(m.PayrollRun, m.PayrollRun.id == m.EmployeeYtdWage.payroll_run_pk)
         .where(m.Policy.number.in_(policy_numbers), m.PayrollRun.superseded_by_id.is_(None)))
    if excluded_runs:
        q = q.where(m.PayrollRun.id.not_in(excluded_runs))
    rows = session.execute(q).all()
    schema = {"policy_number": pl.String, "employee_id": pl.String, "state": pl.String,
              "policy_year_start": pl.Date, "cap": pl.String, "ytd_cents": pl.Int64}
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    return frame.group_by("policy_number", "employee_id", "state", "policy_year_start", "cap").agg(
        pl.col("ytd_cents").sum())


def client_feins(session: Session, company_id: str) -> frozenset[str]:
    """FEINs of the employers that are clients of the payroll company (the only ones it may bill)."""
    return frozenset(session.scalars(select(m.Employer.fein).where(m.Employer.payroll_company_id == company_id)))


def ytd_for(session: Session, rated: pl.DataFrame) -> pl.DataFrame:
    """The year to date `price_payroll` needs for these rated rows, as ingest computes it: the capped
    wages of every live run of their policies, except the runs a correction in them replaces."""
    feins = sorted(set(rated["employer_fein"].to_list()))
    employers = {e.fein: e for e in session.scalars(select(m.Employer).where(m.Employer.fein.in_(feins)))}
    if set(employers) != set(feins):
        return _ytd_from_db(session, sorted(set(rated["policy_number"].to_list())), [])
    plan = _plan_runs(session, rated, employers)
    replaced = [old.id for *_, old, _c in plan.new_runs if old is not None]
    return _ytd_from_db(session, sorted(set(rated["policy_number"].to_list())), replaced)


def _already_processed(session: Session, sha: str) -> bool:
    """True when these bytes were accepted before. A rejected file may come again (reference data
    or the uploading company may have been wrong) and is validated afresh each time."""
    status = session.scalar(select(m.PayrollFile.status).where(m.PayrollFile.sha256 == sha))
    return status is not None and status != "rejected"


def _record_file(session: Session, *, sha: str, status: str, **fields) -> m.PayrollFile:
    """The file's one row (sha256 unique): inserted, or a rejected row updated by a later attempt."""
    row = session.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == sha))
    if row is None:
        row = m.PayrollFile(sha256=sha, status=status, **fields)
        session.add(row)
    else:
        row.status = status
        for name, value in fields.items():
            setattr(row, name, value)
    session.flush()
    return row


def _rejected(session: Session, *, sha: str, company_id: str, original_name: str, stored: str, size: int,
              received_at: datetime, rows: int, errors: list[PayrollError] | tuple[PayrollError, ...],
              fail_at: str | None, read_as: dict | None = None) -> IngestResult:
    _record_file(session, sha=sha, status="rejected", payroll_company_id=company_id, original_name=original_name,
                 stored_path=stored, size_bytes=size, received_at=received_at, row_count=rows,
                 error_count=len(errors), **(read_as or {}))
    _check(fail_at, "file_record")
    _check(fail_at, "commit")
    session.commit()
    return IngestResult("rejected", sha, tuple(errors), message=f"rejected: {len(errors)} error(s), nothing billed")


def ingest_payroll_file(session: Session, data: bytes, *, company_id: str, original_name: str, home: Path,
                        received_at: datetime, business_date: date | None = None, by: str = "paygo ingest",
                        fail_at: str | None = None) -> IngestResult:
    """Validate, price and invoice one payroll file in one transaction, which this function commits
    (or rolls back on any error). Invoices are issued on `business_date` (default: the day of
    `received_at`, the audit timestamp) and due from it. `fail_at` (tests only) raises
    InjectedFailure after that step."""
    sha = hashlib.sha256(data).hexdigest()
    on = business_date or received_at.date()
    try:
        result = _ingest(session, data, sha, company_id=company_id, original_name=original_name, home=Path(home),
                         received_at=received_at, on=on, by=by, fail_at=fail_at)
    except IntegrityError:
        session.rollback()  # a concurrent ingest of the same bytes committed first
        if session.scalar(select(m.PayrollFile.status).where(m.PayrollFile.sha256 == sha)) is not None:
            return _duplicate(session, sha)
        raise
    except BaseException:
        session.rollback()
        raise
    return result


def _duplicate(session: Session, sha: str) -> IngestResult:
    status = session.scalar(select(m.PayrollFile.status).where(m.PayrollFile.sha256 == sha))
    session.rollback()
    return IngestResult("duplicate", sha, message=f"already ingested (status {status}): nothing changed")


def _ingest(session: Session, data: bytes, sha: str, *, company_id: str, original_name: str, home: Path,
            received_at: datetime, on: date, by: str, fail_at: str | None) -> IngestResult:
    if _already_processed(session, sha):
        return _duplicate(session, sha)
    if session.get(m.PayrollCompany, company_id) is None:
        raise IngestError(f"unknown payroll company {company_id!r}")
    if is_roster_file(original_name):  # issue 13: a roster on the company's SFTP home updates its rosters
        return _roster(session, data, sha, company_id=company_id, original_name=original_name, home=home,
                       received_at=received_at, fail_at=fail_at)
    book = policy_book(session)
    # the company's mapping profile for this file name, with its rosters (issue 13; canonical when none)
    validation = validate_for_company(session, data, book, company_id=company_id, original_name=original_name,
                                      client_feins=client_feins(session, company_id))
    read_as = dict(mapping_profile=validation.mapping, roster_versions=validation.roster)
    stored = store_raw(home, sha, data)
    _check(fail_at, "raw_file")
    common = dict(sha=sha, company_id=company_id, original_name=original_name, stored=stored, size=len(data),
                  received_at=received_at, rows=validation.rows, fail_at=fail_at, read_as=read_as)
    if not validation.accepted:
        return _rejected(session, errors=validation.errors, **common)

    rated = validation.rated_rows
    feins = sorted(set(rated["employer_fein"].to_list()))
    # Serialise ingests touching the same employers (year to date, run versions), then re-check.
    employers = {e.fein: e for e in session.scalars(
        select(m.Employer).where(m.Employer.fein.in_(feins)).order_by(m.Employer.id).with_for_update())}
    if _already_processed(session, sha):
        return _duplicate(session, sha)
    plan = _plan_runs(session, rated, employers)
    if plan.errors:
        return _rejected(session, errors=sorted(plan.errors, key=lambda e: e.row or 0), **common)

    wanted = pl.DataFrame([(f, r) for f, r, *_ in plan.new_runs], schema={k: pl.String for k in RUN_KEY}, orient="row")
    to_price = rated.join(wanted, on=list(RUN_KEY), how="semi")
    replaced = [old.id for *_, old, _c in plan.new_runs if old is not None]
    ytd = _ytd_from_db(session, sorted(set(to_price["policy_number"].to_list())), replaced)
    try:
        priced = price_payroll(to_price, ytd)
    except PricingError as exc:
        return _rejected(session, errors=[PayrollError(None, None, None, str(exc))], **common)

    pfile = _record_file(session, sha=sha, status="accepted", payroll_company_id=company_id,
                         original_name=original_name, stored_path=stored, size_bytes=len(data),
                         received_at=received_at, row_count=validation.rows, error_count=0, **read_as)
    _check(fail_at, "file_record")

    runs: dict[tuple[str, str], m.PayrollRun] = {}
    for fein, run_id, version, old, content in plan.new_runs:
        first = to_price.filter((pl.col("employer_fein") == fein) & (pl.col("payroll_run_id") == run_id)).row(0, named=True)
        run = m.PayrollRun(employer_id=employers[fein].id, payroll_run_id=run_id, version=version,
                           run_type=first["run_type"], pay_date=first["pay_date"], period_start=first["period_start"],
                           period_end=first["period_end"], content_sha256=content, payroll_file_id=pfile.id)
        session.add(run)
        session.flush()
        if old is not None:
            old.superseded_by_id = run.id
        runs[(fein, run_id)] = run
    session.flush()
    _check(fail_at, "runs")

    policies = {p.number: p for p in session.scalars(
        select(m.Policy).where(m.Policy.number.in_(sorted(set(to_price["policy_number"].to_list())))))}
    line_ids: dict[tuple[int, str], dict[tuple[str, str], int]] = {}
    by_invoice: dict[tuple[str, str, str], list[PricedLine]] = {}
    for ln in priced.lines.iter_rows(named=True):
        run = runs[(ln["employer_fein"], ln["payroll_run_id"])]
        row = m.PremiumLine(payroll_run_pk=run.id, policy_id=policies[ln["policy_number"]].id, state=ln["state"],
                            class_code=ln["class_code"], auditable_cents=ln["auditable_cents"],
                            net_rate=ln["net_rate"], premium_cents=ln["premium_cents"])
        session.add(row)
        session.flush()
        line_ids.setdefault((run.id, ln["policy_number"]), {})[(ln["state"], ln["class_code"])] = row.id
        by_invoice.setdefault((ln["employer_fein"], ln["payroll_run_id"], ln["policy_number"]), []).append(
            PricedLine(ln["state"], ln["class_code"], ln["auditable_cents"], ln["net_rate"], ln["premium_cents"]))
    _check(fail_at, "premium_lines")

    capped = (priced.rows.filter(pl.col("cap").is_not_null())
              .group_by("employer_fein", "payroll_run_id", "policy_number", "employee_id", "state", "cap",
                        "policy_year_start")
              .agg(pl.col("capped_cents").sum()).sort("employer_fein", "payroll_run_id", "employee_id"))
    session.add_all(
        m.EmployeeYtdWage(payroll_run_pk=runs[(r["employer_fein"], r["payroll_run_id"])].id,
                          policy_id=policies[r["policy_number"]].id, employee_id=r["employee_id"], state=r["state"],
                          cap=r["cap"], policy_year_start=r["policy_year_start"], capped_cents=r["capped_cents"])
        for r in capped.iter_rows(named=True))
    session.flush()
    _check(fail_at, "ytd_wages")

    billing = _Billing(session, book, received_at, on, by)
    for fein, run_id, version, old, _content in sorted(plan.new_runs, key=lambda p: (runs[(p[0], p[1])].pay_date, p[1])):
        run = runs[(fein, run_id)]
        numbers = {k[2] for k in by_invoice if k[:2] == (fein, run_id)}
        if old is not None:  # policies billed by the earlier version but absent from the correction
            numbers |= set(session.scalars(select(m.Policy.number).join(m.Invoice, m.Invoice.policy_id == m.Policy.id)
                                           .where(m.Invoice.kind == "invoice", m.Invoice.status != "void",
                                                  m.Invoice.employer_id == run.employer_id,
                                                  m.Invoice.payroll_run_id == run_id)))
        for number in sorted(numbers):
            policy = policies.get(number) or session.scalar(select(m.Policy).where(m.Policy.number == number))
            billing.bill(policy, run, employers[fein], by_invoice.get((fein, run_id, number), []),
                         line_ids.get((run.id, number), {}), correction=old is not None)
    _check(fail_at, "invoices")
    billing.notify()
    _check(fail_at, "notifications")
    _check(fail_at, "commit")
    session.commit()
    return IngestResult(
        "accepted", sha, invoices=tuple(billing.created), voided=tuple(billing.voided),
        total_premium_cents=priced.total_premium_cents, billed_cents=billing.billed_cents,
        runs_added=len(plan.new_runs), runs_ignored=plan.ignored,
        message=(f"accepted: {len(plan.new_runs)} run(s) added, {plan.ignored} identical run(s) acknowledged, "
                 f"{len(billing.created)} invoice(s)"))


def _roster(session: Session, data: bytes, sha: str, *, company_id: str, original_name: str, home: Path,
            received_at: datetime, fail_at: str | None) -> IngestResult:
    """A roster file: new roster versions for the employers it names, recorded like a payroll file
    (so the same bytes again are a duplicate), or rejected with its row errors; nothing is billed."""
    versions, errors = apply_roster_file(session, data, company_id=company_id, original_name=original_name)
    stored = store_raw(home, sha, data)
    if errors:
        return _rejected(session, sha=sha, company_id=company_id, original_name=original_name, stored=stored,
                         size=len(data), received_at=received_at, rows=0, errors=errors, fail_at=fail_at)
    label = roster_label(versions)
    _record_file(session, sha=sha, status="accepted", payroll_company_id=company_id, original_name=original_name,
                 stored_path=stored, size_bytes=len(data), received_at=received_at, row_count=0, error_count=0,
                 mapping_profile="roster", roster_versions=label)
    _check(fail_at, "commit")
    session.commit()
    return IngestResult("accepted", sha, message=f"roster loaded: {label or 'no change'}; nothing billed")


class _Billing:
    """Invoices for the new run versions of one file (inside the ingest transaction)."""

    def __init__(self, session: Session, book: PolicyBook, at: datetime, on: date, by: str) -> None:
        self.session, self.book, self.at, self.on, self.by = session, book, at, on, by
        self.created: list[str] = []
        self.voided: list[str] = []
        self.billed_cents = 0
        self.changes: list[tuple[m.Invoice, m.Employer, m.Policy, int]] = []  # (new invoice, ..., difference)

    def bill(self, policy: m.Policy, run: m.PayrollRun, employer: m.Employer, lines: list[PricedLine],
             ids: dict[tuple[str, str], int], *, correction: bool) -> None:
        s = self.session
        model = invoices.billing_model(s, policy)
        method = invoices.payment_method_of(s, policy)
        parties = invoices.InvoiceParties(employer.fein, policy.carrier_id, policy.number)
        amounts = self._cumulative(policy, run, lines) if policy.cumulative_rounding and not correction else None
        drafts = premium_drafts(lines, amounts) + (fee_draft(fees.cycle_fee_cents(model)) if lines else [])
        due = due_date(method, run.pay_date, self.on)
        earlier = invoices.live_invoice(s, policy.id, employer.id, run.payroll_run_id) if correction else None
        why = f"payroll run {run.payroll_run_id} version {run.version}"
        plan = plan_billing(drafts if lines else [], None if earlier is None else earlier.status,
                            on_remit_bill=earlier is not None and earlier.remit_bill_id is not None,
                            ever_in_a_file=earlier is not None and s.scalar(
                                select(m.AchEntry.id).where(m.AchEntry.invoice_id == earlier.id).limit(1)) is not None,
                            billed=invoices.billed_drafts(s, earlier) if earlier is not None else ())
        if plan.action == "issue":
            self._issue("invoice", policy, run, list(plan.drafts), method, due, why, parties, model, ids)
        elif plan.action == "void_and_reissue":
            invoices.void(s, earlier, on=self.on, at=self.at, by=self.by, why=f"corrected by {why}")
            self.voided.append(earlier.number)
            new = None
            if plan.drafts:
                new = self._issue("invoice", policy, run, list(plan.drafts), method, due, why, parties, model, ids,
                                  reissue_of=earlier)
            diff = (new.total_cents if new else 0) - earlier.total_cents
            if diff:
                self.changes.append((new or earlier, employer, policy, diff))
        elif plan.action == "adjust":
            new = self._issue("adjustment", policy, run, list(plan.drafts), method, due,
                              f"adjusts {earlier.number}: {why}", parties, model, None, adjusts=earlier)
            self.changes.append((new, employer, policy, new.total_cents))

    def _issue(self, kind, policy, run, drafts, method, due, why, parties, model, ids, **links) -> m.Invoice:
        inv = invoices.issue(self.session, kind=kind, policy=policy, run=run, drafts=drafts, method=method, due=due,
                             on=self.on, at=self.at, by=self.by, why=why, parties=parties, premium_line_ids=ids,
                             **links)
        invoices.charge_setup_fee(self.session, policy, model, self.on)
        self.created.append(inv.number)
        self.billed_cents += inv.total_cents
        return inv

    def _cumulative(self, policy: m.Policy, run: m.PayrollRun, lines: list[PricedLine]) -> dict[tuple[str, str], int]:
        """Cents to bill per (state, class): round(exact premium of the policy year) - already billed."""
        anchor = self.book.policy(policy.number).anchor_date
        start = self.book.policy_year_start(policy.number, run.pay_date)
        end = anniversary(anchor, start.year + 1)
        s = self.session
        out = {}
        for ln in lines:
            earlier = s.execute(
                select(m.PremiumLine.auditable_cents, m.PremiumLine.net_rate)
                .join(m.PayrollRun, m.PayrollRun.id == m.PremiumLine.payroll_run_pk)
                .where(m.PremiumLine.policy_id == policy.id, m.PremiumLine.state == ln.state,
                       m.PremiumLine.class_code == ln.class_code, m.PayrollRun.superseded_by_id.is_(None),
                       m.PayrollRun.id != run.id, m.PayrollRun.pay_date >= start, m.PayrollRun.pay_date < end)).all()
            exact = sum((exact_premium(c, r) for c, r in earlier), Decimal(0))
            billed = sum(s.scalars(
                select(m.InvoiceLine.amount_cents)
                .join(m.Invoice, m.Invoice.id == m.InvoiceLine.invoice_id)
                .join(m.PayrollRun, m.PayrollRun.id == m.Invoice.payroll_run_pk)
                .where(m.Invoice.policy_id == policy.id, m.Invoice.status != "void",
                       m.InvoiceLine.kind != "fee", m.InvoiceLine.state == ln.state,
                       m.InvoiceLine.class_code == ln.class_code, m.PayrollRun.id != run.id,
                       m.PayrollRun.pay_date >= start, m.PayrollRun.pay_date < end)).all())
            out[(ln.state, ln.class_code)] = cumulative_bill_cents(exact, exact_premium(ln.auditable_cents, ln.net_rate),
                                                                   billed)
        return out

    def notify(self) -> None:
        """Outbox rows: premium increase/decrease after a correction, to the employer and the carrier's rep."""
        for inv, employer, policy, diff in self.changes:
            kind = "premium_increase" if diff > 0 else "premium_decrease"
            amount = f"${abs(diff) // 100:,}.{abs(diff) % 100:02d}"
            subject = (f"Premium {'increase' if diff > 0 else 'decrease'} of {amount} on policy {policy.number} "
                       f"({inv.number})")
            body = (f"A correction of payroll run {inv.payroll_run_id} changed the premium of policy "
                    f"{policy.number} by {'+' if diff > 0 else '-'}{amount}; see invoice {inv.number}.")
            # no made-up address: a missing contact is failed in delivery and shown to ops (issue 12)
            carrier = self.session.get(m.Carrier, policy.carrier_id)
            for who, recipient in (("employer", employer.email or ""),
                                   ("carrier", (carrier.billing_email if carrier else None) or "")):
                key = f"{kind}:{inv.number}:{who}"
                if self.session.scalar(select(m.Notification.id).where(m.Notification.idempotency_key == key)) is None:
                    self.session.add(m.Notification(idempotency_key=key, kind=kind, recipient=recipient,
                                                    subject=subject, body=body, created_at=self.at))
        self.session.flush()


__all__ = ["IngestResult", "IngestError", "InjectedFailure", "STEPS", "ingest_payroll_file"]
