"""ingest_payroll_file against a real database (SQLite and PostgreSQL): what one file writes,
idempotent re-ingest, client check, rejected files, run re-uploads, corrections, NV year to date."""

from datetime import date, timedelta

from sqlalchemy import select

from ingest_helpers import AT, FIXTURES, REFERENCE, counts, ingest
from paygo.db import models as m
from paygo.ingest import ingest_payroll_file
from paygo.invoicing import repo, status
from paygo.ledger import repo as ledger


def invoice(session, number) -> m.Invoice:
    return session.scalar(select(m.Invoice).where(m.Invoice.number == number))


def test_accepted_file_writes_everything_once(loaded, tmp_path):
    r = ingest(loaded, tmp_path, "acme_2025-03-14.csv")
    assert r.status == "accepted" and r.runs_added == 3
    # CA: 220000 x 1.234 / 100 = 2714.8 -> 2715, 150000 x 0.89 / 100 = 1335; NV 3000000 x 9.8765 / 100 = 296295;
    # TX 100000 x 0.15 / 100 = 150. Total premium 2715 + 1335 + 296295 + 150 = 300495.
    assert r.total_premium_cents == 300_495
    # invoices in (employer, run) order: BAK (CA), LSS (TX, + harbor's 3.50 cycle fee), SSB (NV)
    assert r.invoices == ("INV-000001", "INV-000002", "INV-000003")
    ca, tx, nv = (invoice(loaded, n) for n in r.invoices)
    assert (ca.premium_cents, ca.employer_fee_cents, ca.total_cents) == (4050, 0, 4050)
    assert (tx.premium_cents, tx.employer_fee_cents, tx.total_cents) == (150, 350, 500)
    assert nv.total_cents == 296_295
    assert r.billed_cents == 4050 + 500 + 296_295
    # payment methods: TX policy is remit (due 2025-03-31 + 30), the others ach_debit due on pay date 03-14
    # (received 03-15, so the later date 03-15 applies)
    assert (tx.payment_method, tx.due_date) == ("remit", date(2025, 4, 30))
    assert (ca.payment_method, ca.due_date, ca.status) == ("ach_debit", date(2025, 3, 15), "issued")
    assert (tmp_path / "raw" / r.file_sha256).read_bytes() == (FIXTURES / "acme_2025-03-14.csv").read_bytes()
    # ledger: receivable of the CA invoice, setup fee of granite's default (250.00) for WC-CA-1001 only
    assert ledger.balance(loaded, "employer_receivable:946123457") == 4050
    assert ledger.balance(loaded, "carrier_wallet:granite-mutual") == 25_000  # WC-NV-2001 overrides setup to 0
    assert ledger.unbalanced_transactions(loaded) == []
    history = loaded.scalars(select(m.InvoiceStatusChange).where(m.InvoiceStatusChange.invoice_id == ca.id)).all()
    assert [(h.from_status, h.to_status) for h in history] == [(None, "issued")]

    before = counts(loaded)
    again = ingest(loaded, tmp_path, "acme_2025-03-14.csv")
    assert again.status == "duplicate" and "already ingested" in again.message
    assert counts(loaded) == before


def test_identical_reupload_is_acknowledged_and_changed_content_is_refused(loaded, tmp_path):
    ingest(loaded, tmp_path, "acme_2025-03-14.csv")
    before = counts(loaded)
    same = ingest(loaded, tmp_path, "acme_2025-03-14_reupload.csv")  # same run, rows reordered
    assert (same.status, same.runs_added, same.runs_ignored, same.invoices) == ("accepted", 0, 1, ())
    assert counts(loaded)["invoices"] == before["invoices"]
    changed = ingest(loaded, tmp_path, "acme_2025-03-14_changed.csv")
    assert changed.status == "rejected"
    [err] = changed.errors
    assert (err.row, err.column) == (1, "payroll_run_id") and "correction" in err.error
    status = loaded.scalar(select(m.PayrollFile.status).where(m.PayrollFile.sha256 == changed.file_sha256))
    assert status == "rejected" and counts(loaded)["invoices"] == before["invoices"]


def test_foreign_employer_refuses_the_whole_file(loaded, tmp_path):
    r = ingest(loaded, tmp_path, "summit_foreign_employer.csv")  # acme uploads a summit client's payroll
    assert r.status == "rejected" and r.invoices == ()
    assert [(e.row, e.column) for e in r.errors] == [(2, "employer_fein")]
    assert counts(loaded)["invoices"] == 0 and counts(loaded)["payroll_runs"] == 0


def test_rejected_file_is_recorded_with_its_errors(loaded, tmp_path):
    r = ingest(loaded, tmp_path, "acme_bad_class.csv")
    assert r.status == "rejected" and [(e.row, e.column) for e in r.errors] == [(1, "class_code")]
    row = loaded.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == r.file_sha256))
    assert (row.status, row.error_count, row.row_count) == ("rejected", 1, 1)
    # the same bytes again are validated afresh (still rejected), on the same file row
    again = ingest(loaded, tmp_path, "acme_bad_class.csv")
    assert again.status == "rejected" and counts(loaded)["payroll_files"] == 1


def test_a_rejected_file_is_accepted_when_the_right_company_sends_the_same_bytes(loaded, tmp_path):
    data = (REFERENCE.parent / "payroll" / "summit_2025-06-06.csv").read_bytes()  # summit's clients only

    def send(company):
        return ingest_payroll_file(loaded, data, company_id=company, original_name="summit.csv", home=tmp_path,
                                   received_at=AT)

    wrong = send("acme-payroll")
    assert wrong.status == "rejected" and {e.column for e in wrong.errors} == {"employer_fein"}
    right = send("summit-payroll")
    assert right.status == "accepted" and right.file_sha256 == wrong.file_sha256 and right.invoices
    row = loaded.scalar(select(m.PayrollFile).where(m.PayrollFile.sha256 == right.file_sha256))
    assert (row.status, row.payroll_company_id, row.error_count) == ("accepted", "summit-payroll", 0)
    assert counts(loaded)["payroll_files"] == 1
    # once accepted, the bytes are processed: a third upload changes nothing
    assert send("summit-payroll").status == "duplicate"


def test_correction_before_debit_voids_and_reissues(loaded, tmp_path):
    first = ingest(loaded, tmp_path, "acme_2025-03-14.csv")
    r = ingest(loaded, tmp_path, "acme_2025-03-14_correction.csv")
    # E100 now $2,000.00: 200000 x 1.234 / 100 = 2468; 8742 unchanged 1335 -> 3803 (was 4050)
    assert (r.voided, r.invoices, r.billed_cents) == (("INV-000001",), ("INV-000004",), 3803)
    old, new = invoice(loaded, "INV-000001"), invoice(loaded, "INV-000004")
    assert old.status == "void" and old.number == first.invoices[0]  # keeps its number
    assert new.reissue_of_id == old.id and new.total_cents == 3803
    runs = loaded.scalars(select(m.PayrollRun).where(m.PayrollRun.payroll_run_id == "BAK-0314")
                          .order_by(m.PayrollRun.version)).all()
    assert [r.version for r in runs] == [1, 2] and runs[0].superseded_by_id == runs[1].id
    assert ledger.balance(loaded, "employer_receivable:946123457") == 3803  # 4050 reversed, 3803 posted
    notes = loaded.scalars(select(m.Notification).order_by(m.Notification.idempotency_key)).all()
    assert [(n.kind, n.recipient) for n in notes] == [
        ("premium_decrease", "premium-accounting@granitemutual.example"),
        ("premium_decrease", "ap@bayareabakery.example")]  # the carrier's billing_email, never a placeholder
    assert "$2.47" in notes[0].subject  # 4050 - 3803 = 247 cents


def test_correction_after_debit_bills_a_credit_adjustment(loaded, tmp_path):
    ingest(loaded, tmp_path, "acme_2025-03-14.csv")
    ca = invoice(loaded, "INV-000001")
    receivable = ledger.balance(loaded, "employer_receivable:946123457")
    for event in ("noticed", "recorded"):  # its debit is now in a NACHA file
        status.record(loaded, ca, event, on=AT.date(), by="test", why=event)
    loaded.commit()
    r = ingest(loaded, tmp_path, "acme_2025-03-14_correction.csv")
    assert r.voided == () and r.invoices == ("INV-000004",)
    adj = invoice(loaded, "INV-000004")
    # 3803 - 4050 = -247: a credit to the employer
    assert (adj.kind, adj.adjusts_id, adj.total_cents, adj.premium_cents) == ("adjustment", ca.id, -247, -247)
    assert invoice(loaded, "INV-000001").status == "in_flight"
    # the credit lowers what the employer owes at once; nothing is refundable before the debit settles
    assert ledger.balance(loaded, "employer_receivable:946123457") == receivable - 247
    assert ledger.balance(loaded, "refunds_payable:946123457") == 0 and adj.status == "issued"
    history = loaded.execute(select(m.InvoiceStatusChange.to_status, m.InvoiceStatusChange.event)
                             .where(m.InvoiceStatusChange.invoice_id == ca.id)).all()
    assert [tuple(h) for h in history] == [("issued", "issued"), ("scheduled", "noticed"), ("in_flight", "recorded")]


def test_nv_cap_uses_year_to_date_from_the_database(loaded, tmp_path):
    ingest(loaded, tmp_path, "acme_2025-03-14.csv")  # N200 paid $30,000.00 in NV
    r = ingest(loaded, tmp_path, "acme_2025-03-21_nv.csv")  # then $10,000.00: only 6,000.00 left under $36,000
    line = loaded.scalar(select(m.PremiumLine).join(m.PayrollRun, m.PayrollRun.id == m.PremiumLine.payroll_run_pk)
                         .where(m.PayrollRun.payroll_run_id == "SSB-0321"))
    assert line.auditable_cents == 600_000
    assert r.total_premium_cents == 59_259  # 600000 x 9.8765 / 100 = 59259
    ytd = loaded.scalars(select(m.EmployeeYtdWage.capped_cents).where(m.EmployeeYtdWage.employee_id == "N200")
                         .order_by(m.EmployeeYtdWage.id)).all()
    assert ytd == [3_000_000, 600_000]


def test_cumulative_rounding_policy_over_26_cycles(loaded, tmp_path):
    # domain.md: 26 biweekly invoices of $1,234.56 at 0.37 on a cumulative-rounding policy
    # (WC-CA-1001, policy_settings.csv). Per cycle 123456 x 0.37 / 100 = 456.7872 -> 457, 26 x 457 = 11,882;
    # cumulative bills round(26 x 456.7872 = 11,876.4672) = 11,876 in all.
    policy = loaded.scalar(select(m.Policy).where(m.Policy.number == "WC-CA-1001"))
    loaded.add(m.PolicyRate(policy_id=policy.id, state="CA", class_code="8017", effective_date=date(2025, 1, 1),
                            expiration_date=date(2026, 1, 1), net_rate="0.37"))
    loaded.commit()
    header = "employer_fein,policy_number,payroll_run_id,pay_date,period_start,period_end,employee_id,state,class_code,regular_pay"
    billed, priced = [], 0
    for i in range(26):
        pay = date(2025, 1, 3) + timedelta(days=14 * i)
        body = f"{header}\n946123457,WC-CA-1001,C{i:02d},{pay},{pay - timedelta(days=13)},{pay},E1,CA,8017,1234.56\n"
        r = ingest_payroll_file(loaded, body.encode(), company_id="acme-payroll", original_name=f"c{i}.csv",
                                home=tmp_path, received_at=AT)
        assert r.status == "accepted", r.errors
        billed.append(r.billed_cents)
        priced += r.total_premium_cents
    assert priced == 11_882 and sum(billed) == 11_876
    assert billed[:3] == [457, 457, 456]  # 456.79 -> 457; round(913.57)=914 - 457; round(1370.36)=1370 - 914
