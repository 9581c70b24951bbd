"""`paygo demo`: the whole pipeline, end to end, on built-in sample data, through Dagster in process.

Two embedded SFTP servers on loopback stand in for the outside world: one where the payroll
companies log in (each confined to its own home), one where paygo's service accounts log in (the
company homes, and the bank's folder). Host keys are pinned in a known_hosts file, never added on
first use. The sandbox bank (paygo.ach.sandbox_bank) answers our debit files with returns and a
notification of change for its documented test accounts. The calendar is simulated: each step runs
the Dagster jobs with the clock set to that day, so a run is deterministic and finishes in seconds.

Everything is kept in one folder (default ./paygo-demo): the SQLite database, the account key,
raw payroll files, invoice PDFs, NACHA files, reports, statements and notifications. Running the
demo again re-uploads the same payroll files: they are recognised by sha256 and nothing new is billed.
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import dagster as dg

import paygo.sample_data
from paygo.ach.sandbox_bank import SandboxBank
from paygo.config import ensure_account_key_file
from paygo.db.crypto import AccountCipher
from paygo.db.migrate import upgrade
from paygo.db.session import make_engine, session_scope
from paygo.reference import load_reference
from paygo.summary import pipeline_summary, render_summary
from pipelines.definitions import build_definitions
from pipelines.loopback import LoopbackSftp
from pipelines.partitions import ach_return_files, payroll_files
from pipelines.sensors import ach_return_files_sensor, new_payroll_files_sensor

SAMPLE = Path(paygo.sample_data.__file__).parent
COMPANIES = ("acme-payroll", "summit-payroll")
CHECK_HINTS = ("rejected_files", "status", "late", "violations")  # metadata worth a line in the story
# The demo's own Dagster instance (browse it: DAGSTER_HOME=<out>/dagster PAYGO_HOME=<out> dagster dev).
DAGSTER_YAML = "concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n"
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}  # the demo prints its own story


@dataclass(frozen=True)
class Step:
    day: date
    title: str
    uploads: tuple[tuple[str, str], ...] = ()  # (company, sample payroll file name)
    bank: bool = False  # the sandbox bank reads our files and answers
    returns: bool = False  # our sensor picks up return files
    originate: bool = False
    settle: bool = False
    statements: bool = False
    ops: tuple[str, ...] = ()  # what operations do that day by command (Demo.<name>)
    payouts: bool = False  # the carrier payout job


# The simulated weeks (June 2025 is inside every sample policy's term).
STEPS = (
    Step(date(2025, 6, 9), "payroll files arrive (one with errors); invoices; debits scheduled with notice",
         uploads=(("acme-payroll", "acme_2025-06-06.csv"), ("summit-payroll", "summit_2025-06-06.csv"),
                  ("summit-payroll", "summit_2025-06-06_bad.csv")), originate=True),
    Step(date(2025, 6, 10), "the NACHA debit file goes to the bank over SFTP", originate=True),
    Step(date(2025, 6, 11), "a correction arrives after its invoice was debited: an adjustment invoice",
         uploads=(("acme-payroll", "acme_2025-06-06_correction.csv"),), bank=True, returns=True, originate=True),
    Step(date(2025, 6, 12), "the bank returns R01 and sends a C01 notification of change; retry queued",
         bank=True, returns=True, originate=True, settle=True),
    Step(date(2025, 6, 13), "the retry goes out as RETRY PYMT; first debits settle", bank=True, returns=True,
         originate=True, settle=True),
    Step(date(2025, 6, 16), "more settlement", bank=True, returns=True, originate=True, settle=True),
    Step(date(2025, 6, 18), "a late R10 (unauthorized) is clawed back from the carrier wallet", bank=True,
         returns=True, originate=True, settle=True),
    Step(date(2025, 6, 20), "everything left settles", bank=True, returns=True, originate=True, settle=True),
    Step(date(2025, 6, 25), "Hoosier signs a new authorization for a new account; ops re-present its failed invoice",
         ops=("represent_failed",), bank=True, returns=True, originate=True, settle=True),
    Step(date(2025, 6, 27), "the re-presented debit goes out after its pre-debit notice", bank=True, returns=True,
         originate=True, settle=True),
    Step(date(2025, 7, 1), "June is over: the remit bill for June, monthly carrier statements", originate=True,
         settle=True, statements=True),
    Step(date(2025, 7, 15), "finance's aging report; Acme pays the June remit bill by check",
         ops=("aging_report", "remit_payment"), bank=True, returns=True, settle=True),
    Step(date(2025, 7, 16), "carrier payouts: each wallet above its reserve, by ACH credit", payouts=True),
    Step(date(2025, 7, 21), "the payout credits settle (two banking days after their effective date)", settle=True),
)
HOOSIER = "351234560"  # R10 after settlement in the sandbox bank: failed, needs a new authorization


@dataclass
class DemoState:
    """What the demo remembers between runs (kept in the output folder)."""

    path: Path
    cursors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> "DemoState":
        data = json.loads(path.read_text()) if path.exists() else {}
        return cls(path, data.get("cursors", {}))

    def save(self) -> None:
        self.path.write_text(json.dumps({"cursors": self.cursors}, indent=1, sort_keys=True))


class Demo:
    def __init__(self, out: Path, echo: Callable[[str], None]):
        self.out = out.resolve()
        self.echo = echo
        self.url = f"sqlite:///{self.out / 'paygo.db'}"
        self.state = DemoState.load(self.out / "demo-state.json")
        self.runs = 0

    # -- set-up -----------------------------------------------------------------------------------
    def prepare(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        self.key_file = ensure_account_key_file(self.out)
        before, after = upgrade(self.url)
        fresh = before is None
        self.echo(f"  database {self.out / 'paygo.db'} ({'created' if fresh else 'already at ' + str(after)})")
        cipher = AccountCipher.from_key_file(self.key_file)
        engine = make_engine(self.url)
        with session_scope(engine) as session:
            from sqlalchemy import select

            from paygo.db.models import Employer

            if session.scalar(select(Employer.id).limit(1)) is None:
                report = load_reference(session, SAMPLE / "reference", cipher)
                session.commit()
                self.echo(f"  reference data loaded: {report.created}")
            else:
                self.echo("  reference data already loaded (bank details may have changed by NOC since)")
        engine.dispose()

    def start_servers(self) -> None:
        self.sftp = LoopbackSftp(self.out, COMPANIES).__enter__()
        self.echo(
            f"  embedded SFTP servers on 127.0.0.1:{self.sftp.company_server.port} (payroll companies) and "
            f"127.0.0.1:{self.sftp.paygo_server.port} (paygo: company homes and the bank); host keys pinned"
        )

    def stop_servers(self) -> None:
        if getattr(self, "sftp", None) is not None:
            self.sftp.__exit__(None, None, None)

    # -- one simulated day ------------------------------------------------------------------------
    def upload(self, company: str, name: str) -> None:
        data = (SAMPLE / "payroll" / name).read_bytes()
        path = self.sftp.upload(company, name, data)
        self.echo(f"    {company} uploaded {name} ({len(data)} bytes) -> {path}")

    def run_job(self, defs: dg.Definitions, instance: dg.DagsterInstance, job: str, **kwargs) -> dg.ExecuteInProcessResult:
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=False, run_config=QUIET, **kwargs
        )
        self.runs += 1
        failed = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
        for event in failed:
            self.echo(f"    ! {job}: step {event.step_key} failed: {event.event_specific_data.error.message.strip()}")
        for check in result.get_asset_check_evaluations():
            if not check.passed:
                hint = {k: check.metadata[k].value for k in CHECK_HINTS if k in check.metadata}
                self.echo(f"    ! check {check.check_name} is red ({check.severity.value}): {hint}")
        if job == "ingest_payroll_files_job" and result.success:
            for key, (status, numbers) in sorted(result.output_for_node("invoices").items()):
                self.echo(f"    {key}: {status}" + (f", invoices {', '.join(numbers)}" if numbers else ""))
        return result

    def sensor_tick(self, defs, instance, sensor, partitions, job: str, resources: dict) -> int:
        name = sensor.name
        context = dg.build_sensor_context(instance=instance, cursor=self.state.cursors.get(name), resources=resources)
        result = sensor(context)
        if isinstance(result, dg.SkipReason) or not getattr(result, "run_requests", None):
            if getattr(result, "cursor", None):
                self.state.cursors[name] = result.cursor
            return 0
        for request in result.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(partitions.name, list(request.partition_keys))
        for request in result.run_requests:
            self.run_job(defs, instance, job, tags=dict(request.tags), partition_key=request.partition_key)
        if result.cursor:
            self.state.cursors[name] = result.cursor
        self.state.save()
        return len(result.run_requests)

    def day(self, step: Step, instance: dg.DagsterInstance) -> None:
        resources = self.sftp.resources(url=self.url, key_file=self.key_file, home=self.out, day=step.day)
        defs = build_definitions(resources)
        for action in step.ops:
            getattr(self, action)(step.day)
        for company, name in step.uploads:
            self.upload(company, name)
        if step.uploads:
            runs = self.sensor_tick(defs, instance, new_payroll_files_sensor, payroll_files,
                                    "ingest_payroll_files_job", {"inbox": resources["inbox"]})
            self.echo(f"    payroll sensor: {runs} run(s) of ingest_payroll_files_job")
        if step.bank:
            written = SandboxBank(self.out / "sftp" / "bank").process(step.day)
            if written:
                self.echo(f"    sandbox bank wrote {', '.join(written)}")
        if step.returns:
            runs = self.sensor_tick(defs, instance, ach_return_files_sensor, ach_return_files,
                                    "reconcile_ach_returns_job", {"bank": resources["bank"]})
            if runs:
                self.echo(f"    return-file sensor: {runs} file(s) reconciled")
        if step.originate:
            result = self.run_job(defs, instance, "originate_ach_debits_job")
            self._report_origination(result)
        if step.settle:
            result = self.run_job(defs, instance, "settle_ach_debits_job")
            settled = _metadata(result, "ach_settlements")
            if settled and settled.get("settled"):
                self.echo(f"    settled {settled['settled']} debit(s), ${settled['total']}")
        if step.payouts:
            result = self.run_job(defs, instance, "pay_carriers_job")
            meta = _metadata(result, "carrier_payouts") or {}
            self.echo(f"    payout file {meta.get('file')}: {meta.get('payouts')} payout(s), "
                      f"${meta.get('total_credit')} ({meta.get('status')}); statements in payouts/")
        if step.statements:
            result = self.run_job(defs, instance, "carrier_statements_job")
            meta = _metadata(result, "carrier_statements") or {}
            self.echo(f"    statements written for {meta.get('month')}")

    # -- what operations do by command ------------------------------------------------------------
    def represent_failed(self, day: date) -> None:
        """`paygo employers set-bank 351234560 ...`, `paygo employers authorize 351234560`, `paygo
        invoices represent INV-...` for the invoice the late R10 failed."""
        from sqlalchemy import select

        from paygo.ach.represent import represent
        from paygo.bank_details import change_bank_details, renew_authorization
        from paygo.db.crypto import last4
        from paygo.db.models import Employer, Invoice

        cipher = AccountCipher.from_key_file(self.key_file)
        engine = make_engine(self.url)
        with session_scope(engine) as session:
            employer = session.scalar(select(Employer).where(Employer.fein == HOOSIER))
            failed = session.scalars(select(Invoice.number).where(Invoice.employer_id == employer.id,
                                                                  Invoice.status == "failed")).all()
            if failed and employer.authorization_status != "active":
                account = "5550001234"
                version = change_bank_details(session, employer, source="set_bank", on=day, routing="091000019",
                                              account_ciphertext=cipher.encrypt(account), account_last4=last4(account),
                                              account_type="checking")
                renew_authorization(employer)
                self.echo(f"    paygo employers set-bank {HOOSIER} -> version {version} ****{last4(account)}; "
                          f"paygo employers authorize {HOOSIER} -> active")
            for number in failed:
                presentment = represent(session, number, on=day)
                self.echo(f"    paygo invoices represent {number} -> presentment {presentment}, noticed next")
            session.commit()
        engine.dispose()

    def aging_report(self, day: date) -> None:
        """`paygo report aging --date D --format pdf` (and the CSV) for finance."""
        from paygo.reports import build, render

        folder = self.out / "reports"
        if (folder / f"aging-{day.isoformat()}.pdf").exists():
            return  # a second demo run: the report of that day was written (aging is of the open items now)
        engine = make_engine(self.url)
        folder.mkdir(exist_ok=True)
        with session_scope(engine) as session:
            report = build(session, "aging", day, None)
            for fmt in ("pdf", "csv"):
                (folder / f"aging-{day.isoformat()}.{fmt}").write_bytes(render(report, "aging", fmt))
        engine.dispose()
        self.echo(f"    paygo report aging --date {day} --format pdf -> reports/aging-{day.isoformat()}.pdf (and .csv)")

    def remit_payment(self, day: date) -> None:
        """`paygo payments record --bill REMIT-... --amount ... --reference CHK-20417`."""
        from sqlalchemy import select

        from paygo.billing.money import format_cents
        from paygo.db.models import RemitBill
        from paygo.payments.record import bill_balance, record_payment

        engine = make_engine(self.url)
        with session_scope(engine) as session:
            for bill in session.scalars(select(RemitBill).where(RemitBill.status == "issued").order_by(RemitBill.id)):
                owed = bill_balance(session, bill.id)
                r = record_payment(session, bill_number=bill.number, amount_cents=owed, on=day,
                                   reference=f"CHK-{20417 + bill.id}", method="check")
                session.commit()
                self.echo(f"    paygo payments record --bill {bill.number} --amount {format_cents(owed)} "
                          f"--reference CHK-{20417 + bill.id} -> {r.number}; paid {', '.join(r.paid_bills) or '-'}")
        engine.dispose()

    def _report_origination(self, result) -> None:
        meta = _metadata(result, "ach_debit_files") or {}
        if meta.get("entry_count"):
            self.echo(f"    NACHA file {meta['file']}: {meta['entry_count']} entries, debits ${meta['total_debit']}")
        bills = (_metadata(result, "invoice_book") or {}).get("remit_bills_issued")
        if bills:
            self.echo(f"    consolidated remit bill(s) issued: {bills}")
        scheduled = _metadata(result, "ach_debit_schedule") or {}
        if scheduled.get("scheduled"):
            self.echo(f"    {scheduled['scheduled']} invoice(s) scheduled for debit, pre-debit notices queued")


def _metadata(result: dg.ExecuteInProcessResult, asset: str) -> dict | None:
    for event in result.get_asset_materialization_events():
        if event.asset_key.to_user_string() == asset:
            return {k: getattr(v, "value", v) for k, v in event.materialization.metadata.items()}
    return None


def run_demo(out: Path, echo: Callable[[str], None] = print) -> dict:
    """Run every step; returns the summary (also printed)."""
    started = time.monotonic()
    demo = Demo(out, echo)
    echo(f"paygo demo -> {demo.out}")
    echo("[setup]")
    demo.prepare()
    (demo.out / "dagster").mkdir(exist_ok=True)
    (demo.out / "dagster" / "dagster.yaml").write_text(DAGSTER_YAML)
    demo.start_servers()
    try:
        with dg.DagsterInstance.from_config(str(demo.out / "dagster")) as instance:
            for n, step in enumerate(STEPS, 1):
                echo(f"[{n}/{len(STEPS)}] {step.day:%a %Y-%m-%d}: {step.title}")
                demo.day(step, instance)
    finally:
        demo.stop_servers()
    engine = make_engine(demo.url)
    with session_scope(engine) as session:
        summary = pipeline_summary(session, demo.out)
    engine.dispose()
    summary["dagster_runs"] = demo.runs
    summary["seconds"] = round(time.monotonic() - started, 1)
    echo("")
    echo(render_summary(summary))
    return summary
