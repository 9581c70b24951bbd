"""Benchmark (issue 7): a day of 200 payroll files of 2,000 rows each through Dagster.

Run: `uv run python bench/dagster_day.py [--files N] [--rows N] [--dir PATH] [--postgres URL]`.

It builds, deterministically, a reference folder of its own (docs/reference-data.md formats: two
payroll companies, two carriers, one employer and one policy per file, five rated (state, class)
pairs per policy) and one valid payroll file per employer (one run; CA, NV, PA and TX rows, officers,
some NV and CA 8803 rows above the caps so the caps run). paygo's database is SQLite in the temp
folder (or `--postgres URL`, which must point at an empty database). Two embedded SFTP servers on
loopback stand in for the payroll companies' side and paygo's side (as in pipelines/demo.py); the
files are uploaded by their companies, then it times, on a persistent DagsterInstance in the folder:
  1. the `new_payroll_files_sensor` tick (SFTP listing + batching into runs of MAX_FILES_PER_RUN),
  2. the `ingest_payroll_files_job` runs (execute_in_process, one per batch),
  3. `originate_ach_debits_job` on Monday 2025-06-09 (debits scheduled with pre-debit notice),
  4. `originate_ach_debits_job` on Tuesday 2025-06-10 (ONE NACHA file, uploaded to the bank's SFTP),
prints seconds per phase, files/s and rows/s, and verifies: every file accepted, one invoice per
file, one NACHA file whose entries (read back from its bytes) are one per invoice and total the
invoices. Target (docs/benchmarks.md): phases 1-4 together at most 120 s.
"""

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

import dagster as dg
from sqlalchemy import func, select

from paygo.config import ensure_account_key_file
from paygo.db import models as m
from paygo.db.crypto import AccountCipher
from paygo.db.migrate import upgrade
from paygo.db.session import make_engine, session_scope
from paygo.nacha.read import read_ach
from paygo.reference import load_reference
from pipelines.definitions import build_definitions
from pipelines.loopback import LoopbackSftp
from pipelines.partitions import MAX_FILES_PER_RUN, payroll_files
from pipelines.sensors import new_payroll_files_sensor

COMPANIES = ("acme-payroll", "summit-payroll")
CARRIERS = ("granite-mutual", "harbor-casualty")
ROUTINGS = ("021000021", "111000025", "231380104", "091000019")  # valid check digits (3,7,1)
# (state, class, net rate): CA 8803 is a California capped class, NV rows are capped at $36,000.
RATED = (("CA", "8810", "0.95"), ("CA", "8803", "1.21"), ("NV", "5645", "6.4"), ("PA", "951", "0.19"),
         ("TX", "7380", "3.25"))
PAY_DATE, PERIOD_START = "2025-06-06", "2025-05-24"
SCHEDULE_DAY, FILE_DAY = date(2025, 6, 9), date(2025, 6, 10)  # Monday: notices; Tuesday: the file
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
HEADER = ("employer_fein,policy_number,payroll_run_id,run_type,pay_date,period_start,period_end,employee_id,"
          "is_officer,state,class_code,regular_pay,overtime_pay,double_time_pay,overtime_premium,bonus_pay,tips")


def fein(e: int) -> str:
    return f"{300000000 + e}"


def write_reference(folder: Path, employers: int) -> None:
    """One employer and one policy per payroll file, alternating companies and carriers."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "payroll_companies.csv").write_text(
        "company_id,name,payment_method\n" + "".join(f"{c},{c.title()},ach_debit\n" for c in COMPANIES))
    (folder / "carriers.csv").write_text(
        "carrier_id,name\n" + "".join(f"{c},{c.title()} Co\n" for c in CARRIERS))
    (folder / "billing_settings.csv").write_text(
        "carrier_id,policy_number,fee_type,fee_amount,fee_rate,billing_frequency,setup_fee\n"
        "granite-mutual,,percentage,,0.05,per_cycle,0\nharbor-casualty,,cycle_based,3.50,,per_cycle,0\n")
    emp = ["employer_fein,name,payroll_company_id,pay_frequency,payment_method,email,bank_routing,bank_account,"
           "bank_account_type"]
    pol = ["policy_number,employer_fein,carrier_id,effective_date,expiration_date,state,class_code,net_rate"]
    for e in range(employers):
        kind = "savings" if e % 5 == 4 else "checking"
        emp.append(f"{fein(e)},Bench Employer {e:04d} Inc,{COMPANIES[e % 2]},biweekly,,ap{e}@bench.example,"
                   f"{ROUTINGS[e % len(ROUTINGS)]},7{e:09d},{kind}")
        for state, klass, rate in RATED:
            pol.append(f"WC-B-{e:04d},{fein(e)},{CARRIERS[e % 2]},2025-01-01,2026-01-01,{state},{klass},{rate}")
    (folder / "employers.csv").write_text("\n".join(emp) + "\n")
    (folder / "policies.csv").write_text("\n".join(pol) + "\n")


def payroll_file(e: int, rows: int) -> bytes:
    """One employer's regular run: one row per employee, the (state, class) pairs in turn."""
    out = [HEADER]
    for i in range(rows):
        state, klass, _ = RATED[i % len(RATED)]
        regular = f"{1000 + (i * 7919 + e * 131) % 4000}.{(i * 37 + e) % 100:02d}"
        if state == "NV" and i % 50 == 2:
            regular = "38000.00"  # above Nevada's $36,000 cap
        elif klass == "8803" and i % 100 == 1:
            regular = "160000.00"  # above California's $159,900 cap for 8803
        overtime = f"{i % 300}.50" if i % 3 == 0 else ""
        premium = "0.10" if i % 6 == 0 else ""
        out.append(f"{fein(e)},WC-B-{e:04d},RUN-{e:04d}-2025-12,regular,{PAY_DATE},{PERIOD_START},{PAY_DATE},"
                   f"E{i:05d},{'true' if i % 40 == 0 else 'false'},{state},{klass},{regular},{overtime},"
                   f"{'12.34' if i % 7 == 0 else ''},{premium},{i % 250},{'25.00' if state == 'NV' else ''}")
    return ("\n".join(out) + "\n").encode()


class Bench:
    def __init__(self, out: Path, url: str | None, files: int, rows: int):
        self.out, self.files, self.rows = out, files, rows
        self.url = url or f"sqlite:///{out / 'paygo.db'}"
        self.times: dict[str, float] = {}
        self.steps: dict[str, float] = defaultdict(float)
        self.run_ids: list[tuple[str, str]] = []

    def prepare(self) -> None:
        self.key_file = ensure_account_key_file(self.out)
        upgrade(self.url)
        write_reference(self.out / "reference", self.files)
        cipher = AccountCipher.from_key_file(self.key_file)
        engine = make_engine(self.url)
        with session_scope(engine) as session:
            if session.scalar(select(func.count()).select_from(m.Invoice)):
                sys.exit(f"{self.url} already holds invoices: give an empty database")
            load_reference(session, self.out / "reference", cipher)
            session.commit()
        engine.dispose()
        (self.out / "dagster").mkdir(exist_ok=True)
        (self.out / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")

    def start_servers(self) -> None:
        self.sftp = LoopbackSftp(self.out, COMPANIES).__enter__()

    def stop_servers(self) -> None:
        if getattr(self, "sftp", None) is not None:
            self.sftp.__exit__(None, None, None)

    def resources(self, day: date) -> dict:
        return self.sftp.resources(url=self.url, key_file=self.key_file, home=self.out / "home", day=day)

    def upload(self) -> None:
        for e in range(self.files):
            self.sftp.upload(COMPANIES[e % len(COMPANIES)], f"bench-{e:04d}_{PAY_DATE}.csv", payroll_file(e, self.rows))

    def run(self, defs: dg.Definitions, instance, job: str, **kwargs) -> dg.ExecuteInProcessResult:
        result = defs.resolve_job_def(job).execute_in_process(
            instance=instance, raise_on_error=True, run_config=QUIET, **kwargs)
        self.run_ids.append((job, result.run_id))
        return result

    def step_times(self, instance) -> None:
        """Wall time per step, summed over runs, from the runs' event logs (read after the timing)."""
        for job, run_id in self.run_ids:
            started: dict[str, float] = {}
            for record in instance.all_logs(run_id):
                ev = record.dagster_event
                if ev is None or ev.step_key is None:
                    continue
                if ev.event_type_value == "STEP_START":
                    started[ev.step_key] = record.timestamp
                elif ev.event_type_value == "STEP_SUCCESS":
                    self.steps[f"{job}: {ev.step_key}"] += record.timestamp - started[ev.step_key]

    def day(self, instance) -> dict:
        resources = self.resources(SCHEDULE_DAY)
        defs = build_definitions(resources)
        t = time.perf_counter()
        context = dg.build_sensor_context(instance=instance, cursor=None, resources={"inbox": resources["inbox"]})
        tick = new_payroll_files_sensor(context)
        for request in tick.dynamic_partitions_requests or []:
            instance.add_dynamic_partitions(payroll_files.name, list(request.partition_keys))
        self.times["1. sensor tick (list + batch)"] = time.perf_counter() - t
        statuses: dict[str, str] = {}
        t = time.perf_counter()
        for request in tick.run_requests:
            result = self.run(defs, instance, "ingest_payroll_files_job", tags=dict(request.tags),
                              partition_key=request.partition_key)
            statuses |= {k: status for k, (status, _) in result.output_for_node("invoices").items()}
        self.times[f"2. ingest ({len(tick.run_requests)} runs)"] = time.perf_counter() - t
        t = time.perf_counter()
        self.run(defs, instance, "originate_ach_debits_job")
        self.times["3. originate, day 1 (schedule + notices)"] = time.perf_counter() - t
        defs = build_definitions(self.resources(FILE_DAY))
        t = time.perf_counter()
        self.run(defs, instance, "originate_ach_debits_job")
        self.times["4. originate, day 2 (one NACHA file)"] = time.perf_counter() - t
        return statuses

    def verify(self, statuses: dict[str, str]) -> list[str]:
        """What the day produced, as lines; raises AssertionError when the outcome is wrong."""
        engine = make_engine(self.url)
        with session_scope(engine) as session:
            invoices = session.execute(select(m.Invoice.id, m.Invoice.total_cents, m.Invoice.status)).all()
            files = session.scalars(select(m.AchFile)).all()
            entries = session.execute(select(m.AchEntry.invoice_id, m.AchEntry.amount_cents)).all()
            accepted_rows = session.scalar(select(func.count()).select_from(m.PayrollFile)
                                           .where(m.PayrollFile.status == "accepted"))
        engine.dispose()
        accepted = sum(s == "accepted" for s in statuses.values())
        assert accepted == self.files == len(statuses), f"accepted {accepted} of {len(statuses)} files"
        assert accepted_rows == self.files, f"{accepted_rows} accepted payroll_files rows"
        assert len(invoices) == self.files, f"{len(invoices)} invoices"
        assert len(files) == 1, f"{len(files)} NACHA files"
        [ach] = files
        read = read_ach(Path(ach.path).read_bytes())
        invoice_total = sum(total for _, total, _ in invoices)
        assert read.valid, read.deviations[:5]
        assert read.entries.height == ach.entry_count == self.files == len(entries), read.entries.height
        assert int(read.entries["amount_cents"].sum()) == ach.total_debit_cents == invoice_total
        assert {i for i, _ in entries} == {i for i, _, _ in invoices}
        assert {s for _, _, s in invoices} == {"in_flight"}, {s for _, _, s in invoices}
        return [f"{accepted} files accepted, {len(invoices)} invoices totalling {invoice_total} cents",
                f"1 NACHA file {Path(ach.path).name} (status {ach.status}): {read.entries.height} entries read back, "
                f"{int(read.entries['amount_cents'].sum())} cents, valid"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=200)
    parser.add_argument("--rows", type=int, default=2_000)
    parser.add_argument("--dir", type=Path, default=None, help="working folder (default: a new temp folder)")
    parser.add_argument("--postgres", default=None, help="an EMPTY PostgreSQL database URL instead of SQLite")
    args = parser.parse_args()
    out = (args.dir or Path(tempfile.mkdtemp(prefix="paygo-dagster-day-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    bench = Bench(out, args.postgres, args.files, args.rows)
    print(f"folder {out}; database {bench.url.split('@')[-1] if args.postgres else bench.url} "
          f"({'PostgreSQL' if args.postgres else 'SQLite in the folder'}); {args.files} files x {args.rows:,} rows, "
          f"runs of at most {MAX_FILES_PER_RUN} files")
    bench.prepare()
    bench.start_servers()
    try:
        t = time.perf_counter()
        bench.upload()
        upload = time.perf_counter() - t
        with dg.DagsterInstance.from_config(str(out / "dagster")) as instance:
            statuses = bench.day(instance)
            bench.step_times(instance)
    finally:
        bench.stop_servers()
    outcome = bench.verify(statuses)
    total = sum(bench.times.values())
    rows = args.files * args.rows
    print(f"\n(not timed) upload of {args.files} files by the payroll companies over SFTP: {upload:.2f} s\n")
    print(f"{'phase':<46}{'seconds':>9}")
    for phase, seconds in bench.times.items():
        print(f"{phase:<46}{seconds:>9.2f}")
    print(f"{'total (target <= 120 s)':<46}{total:>9.2f}   {'met' if total <= 120 else 'NOT MET'}")
    ingest = next(v for k, v in bench.times.items() if k.startswith("2."))
    print(f"\nthroughput, whole day: {args.files / total:.2f} files/s, {rows / total:,.0f} rows/s; "
          f"ingest alone: {args.files / ingest:.2f} files/s, {rows / ingest:,.0f} rows/s")
    print("\nsteps (sum over runs):")
    for step, seconds in bench.steps.items():
        print(f"  {step:<56}{seconds:>8.2f} s")
    print("\nverified: " + "; ".join(outcome))


if __name__ == "__main__":
    main()
