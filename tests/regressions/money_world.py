"""A small world for the money-lifecycle regression tests: the sample reference data on a real
database, the real ingest, scheduler, originator, reconciler and settlement, and the project's
sandbox bank (the bank is outside our walls; the sandbox answers by test account number, as
docs/sandbox-bank.md says). Each method is what one `paygo` command does on its business date."""

import shutil
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from paygo.ach.bank import DirectoryBank
from paygo.ach.originate import originate
from paygo.ach.reconcile import reconcile_return_file
from paygo.ach.sandbox_bank import SandboxBank
from paygo.ach.schedule import schedule_debits
from paygo.ach.settle import settle
from paygo.calendar import is_banking_day
from paygo.config import BankSettings
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.ingest import ingest_payroll_file
from paygo.invoicing.remit import issue_remit_bills
from paygo.reference import load_reference

SAMPLE = Path(__file__).resolve().parents[2] / "paygo" / "sample_data"
BAY_AREA = "946123457"  # Bay Area Bakery, WC-CA-1001 (granite-mutual, 5% of collected premium)


class MoneyWorld:
    def __init__(self, session, tmp: Path, accounts: dict[str, str] | None = None):
        self.s, self.home = session, tmp / "home"
        self.cipher = AccountCipher([Fernet.generate_key()])
        self.settings = BankSettings()
        ref = tmp / "reference"
        shutil.copytree(SAMPLE / "reference", ref)
        if accounts:  # point employers at the sandbox bank's test accounts
            path = ref / "employers.csv"
            lines = path.read_text().splitlines()
            for i, line in enumerate(lines):
                cells = line.split(",")
                if cells[0].replace("-", "") in accounts:
                    cells[7] = accounts[cells[0].replace("-", "")]
                    lines[i] = ",".join(cells)
            path.write_text("\n".join(lines) + "\n")
        load_reference(session, ref, self.cipher)
        session.commit()
        self.bank = DirectoryBank(tmp / "bank")
        self.sandbox = SandboxBank(tmp / "bank")

    def ingest(self, name: str, on: date, data: bytes | None = None):
        data = data if data is not None else (SAMPLE / "payroll" / name).read_bytes()
        return ingest_payroll_file(self.s, data, company_id="acme-payroll", original_name=name, home=self.home,
                                   received_at=datetime.now(timezone.utc), business_date=on)

    def originate(self, on: date, bank_up: bool = True):
        schedule_debits(self.s, today=on, settings=self.settings)
        self.s.commit()
        return originate(self.s, today=on, bank=self.bank if bank_up else None, home=self.home,
                         settings=self.settings, cipher=self.cipher, now=datetime(on.year, on.month, on.day, 9))

    def bank_answers(self, on: date) -> list:
        results = []
        for name in self.sandbox.process(on):
            data = (self.sandbox.returns / name).read_bytes()
            results.append(reconcile_return_file(self.s, data, name=name, received_on=on, cipher=self.cipher))
            self.s.commit()
        return results

    def settle(self, on: date):
        result = settle(self.s, today=on)
        self.s.commit()
        return result

    def remit_bills(self, on: date) -> list[str]:
        numbers = issue_remit_bills(self.s, today=on)
        self.s.commit()
        return numbers

    def run_days(self, first: date, last: date) -> None:
        """Every banking day from `first` to `last`: originate, let the bank answer, settle."""
        day = first
        while day <= last:
            if is_banking_day(day):
                self.originate(day)
                self.bank_answers(day)
                self.settle(day)
            day += timedelta(days=1)

    def invoice(self, number: str) -> m.Invoice:
        self.s.expire_all()
        return self.s.scalar(select(m.Invoice).where(m.Invoice.number == number))

    def invoices(self) -> dict[str, tuple[str, str, int]]:
        self.s.expire_all()
        return {i.number: (i.kind, i.status, i.total_cents) for i in self.s.scalars(select(m.Invoice))}

    def entries(self) -> list[tuple[str, int, int, str]]:
        """(invoice number, transaction code, amount, status) of every entry we put in a file."""
        rows = self.s.execute(select(m.Invoice.number, m.AchEntry.transaction_code, m.AchEntry.amount_cents,
                                     m.AchEntry.status).join(m.Invoice, m.Invoice.id == m.AchEntry.invoice_id)
                              .order_by(m.AchEntry.id)).all()
        return [tuple(r) for r in rows]


def payroll_variant(run_prefix: str, *, drop: tuple[str, ...] = (), scale: dict[str, str] | None = None,
                    run_type: str = "correction", zero: bool = False) -> bytes:
    """The sample file's rows of one run (payroll_run_id starting `run_prefix`) as a new file:
    employees in `drop` removed, `scale[employee] = new regular pay`, every amount 0 with `zero`."""
    lines = (SAMPLE / "payroll" / "acme_2025-06-06.csv").read_text().splitlines()
    header, out = lines[0], [lines[0]]
    money = header.split(",").index("regular_pay")
    for line in lines[1:]:
        cells = line.split(",")
        if not cells[2].startswith(run_prefix) or cells[7] in drop:
            continue
        cells[3] = run_type
        if scale and cells[7] in scale:
            cells[money] = scale[cells[7]]
        if zero:
            cells[money:] = ["0.00" if c else c for c in cells[money:]]
        out.append(",".join(cells))
    return ("\n".join(out) + "\n").encode()
