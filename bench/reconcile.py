"""Benchmark: reconcile 100,000 returns against 1,000,000 originated entries on SQLite (target <= 3 s, issue 16).

`uv run python bench/reconcile.py [--entries N] [--returns N] [--dir PATH] [--runs N]`
Setup (not timed): a migrated SQLite database with 1,000 employers and policies, N invoices and N
in-flight ACH entries (bulk inserts through sqlite3), and a NACHA return file of R returns written
by the sandbox bank's writer (90% R01 -> re-presentment, 10% R03 -> fail + notification), every
10th return a second copy (a duplicate) and 1% with an unknown trace (exceptions). The carrier has no
billing email, so each R03 failure also writes the carrier's copy failed, with an exception for ops.
Timed: `reconcile_return_file` (parse, bulk match by trace in chunks, bulk writes) and the commit.
With --runs N the set-up database is copied afresh for each run; prints every time, the best, the
median and the load average. The engine is `make_engine`'s (the production pragmas: foreign keys,
WAL, busy timeout); the set-up connection's `synchronous=OFF` is for loading only. Before each run
the set-up's dirty pages are flushed (`os.sync`), so that writing them out is not timed.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from paygo.ach.reconcile import reconcile_return_file  # noqa: E402
from paygo.ach.sandbox_bank import SandboxBank  # noqa: E402
from paygo.db.migrate import upgrade  # noqa: E402
from paygo.db.session import make_engine  # noqa: E402

EFFECTIVE = date(2025, 3, 18)
RECEIVED = date(2025, 3, 20)


def setup(path: Path, n_entries: int) -> None:
    upgrade(f"sqlite:///{path}")
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    db.execute("INSERT INTO payroll_companies (id, name, payment_method) VALUES ('acme', 'Acme', 'ach_debit')")
    db.execute("INSERT INTO carriers (id, name) VALUES ('granite', 'Granite Mutual')")
    db.executemany(
        "INSERT INTO employers (id, fein, name, payroll_company_id, pay_frequency, email, bank_routing,"
        " bank_account_ciphertext, bank_account_last4, bank_account_type, bank_details_version, authorization_status)"
        " VALUES (?, ?, ?, 'acme', 'weekly', ?, '021000021', 'x', '0123', 'checking', 1, 'active')",
        [(i, f"{100000000 + i}", f"Employer {i}", f"ap{i}@example.com") for i in range(1, 1001)])
    db.executemany(
        "INSERT INTO policies (id, number, employer_id, carrier_id, effective_date, expiration_date,"
        " cumulative_rounding) VALUES (?, ?, ?, 'granite', '2025-01-01', '2026-01-01', 0)",
        [(i, f"WC-{i}", i) for i in range(1, 1001)])
    db.execute("INSERT INTO ach_files (id, creation_date, file_id_modifier, sha256, path, status, batch_count,"
               " entry_count, total_debit_cents, total_credit_cents, created_at) VALUES (1, '2025-03-17', 'A',"
               f" '{'c' * 64}', 'x', 'confirmed', 1, {n_entries}, 0, 0, '2025-03-17 00:00:00')")
    rng = random.Random(7)
    step = 100_000
    for start in range(1, n_entries + 1, step):
        ids = range(start, min(start + step, n_entries + 1))
        invoices, entries = [], []
        for i in ids:
            emp = (i % 1000) + 1
            amount = 1000 + rng.randrange(1_000_000)
            invoices.append((i, f"INV-{i:08d}", emp, emp, f"R{i}", amount, amount))
            entries.append((i, i, f"01100001{i:07d}", amount, EFFECTIVE.isoformat()))
        db.executemany(
            "INSERT INTO invoices (id, number, kind, status, policy_id, employer_id, payroll_run_id, premium_cents,"
            " employer_fee_cents, total_cents, payment_method, due_date, issued_at) VALUES"
            " (?, ?, 'invoice', 'in_flight', ?, ?, ?, ?, 0, ?, 'ach_debit', '2025-03-18', '2025-03-10 00:00:00')",
            invoices)
        db.executemany(
            "INSERT INTO ach_entries (id, ach_file_id, invoice_id, presentment, trace_number, amount_cents,"
            " transaction_code, effective_date, routing, account_last4, bank_details_version, status)"
            " VALUES (?, 1, ?, 1, ?, ?, 27, ?, '021000021', '0123', 1, 'in_flight')", entries)
        db.commit()
    db.close()


def return_items(path: Path, n_returns: int, n_entries: int) -> list[dict]:
    db = sqlite3.connect(path)
    rng = random.Random(11)
    picked = rng.sample(range(1, n_entries + 1), n_returns)
    amounts = dict(db.execute(
        f"SELECT id, amount_cents FROM ach_entries WHERE id IN ({','.join(map(str, picked))})").fetchall())
    db.close()
    items = []
    for k, i in enumerate(picked):
        trace = f"01100001{i:07d}" if k % 100 else f"09999999{i:07d}"  # 1% unknown traces
        item = {"code": "R03" if k % 10 == 3 else "R01", "trace": trace, "amount": amounts[i],
                "account": "9876543210123", "tc": 27, "rdfi": "02100002", "name": "EMPLOYER"}
        items.append(item)
    # every 10th return sent twice (a second copy in the same file): duplicates
    return items[: n_returns - n_returns // 10] + items[: n_returns // 10]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--returns", type=int, default=100_000)
    ap.add_argument("--dir", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=1, help="timed runs, each on a fresh copy of the set-up database")
    ap.add_argument("--cache-mb", type=int, default=0,
                    help="SQLite page cache for the reconcile connection (default: SQLite's 2 MB)")
    args = ap.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="paygo-bench-reconcile-"))
    db_path = folder / "bench.db"
    t0 = time.perf_counter()
    setup(db_path, args.entries)
    items = return_items(db_path, args.returns, args.entries)
    data = SandboxBank(folder / "bank").return_file(items, RECEIVED, 1)
    print(f"setup: {args.entries:,} entries, return file {len(data):,} bytes, {len(items):,} returns "
          f"in {time.perf_counter() - t0:.1f} s")
    del items  # the set-up's objects are not the reconcile's
    gc.collect()
    read_s = min(timed_read(data) for _ in range(3))
    print(f"read + verdict + items of the return file alone (check_ach, the reconcile's first step): best of 3 "
          f"{read_s:.2f} s")
    times = []
    for run in range(1, args.runs + 1):
        work = db_path
        if args.runs > 1:
            work = folder / "run.db"
            for stale in (folder / "run.db-wal", folder / "run.db-shm"):
                stale.unlink(missing_ok=True)
            shutil.copyfile(db_path, work)
        os.sync()  # the set-up's dirty pages are written out now, not during the timed run
        elapsed, r = timed_reconcile(work, data, args.cache_mb)
        times.append(elapsed)
        print(f"run {run}: reconcile {elapsed:.2f} s  applied {r.applied:,} duplicates {r.duplicates:,} exceptions "
              f"{r.exceptions:,} retries {r.retries_scheduled:,} failures {r.failures:,}  load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"best {min(times):.2f} s, median {statistics.median(times):.2f} s of {len(times)} (target <= 3 s)")


def timed_read(data: bytes) -> float:
    from paygo.ach.reconcile import ReceivedItem
    from paygo.nacha.check import check_ach

    start = time.perf_counter()
    checked = check_ach(data, item=ReceivedItem)
    elapsed = time.perf_counter() - start
    assert checked.valid and len(checked.items) == 100_000 or len(checked.items) > 0
    return elapsed


def timed_reconcile(db_path: Path, data: bytes, cache_mb: int):
    engine = make_engine(f"sqlite:///{db_path}")
    if cache_mb:
        from sqlalchemy import event

        event.listen(engine, "connect", lambda c, _r: c.execute(f"PRAGMA cache_size=-{cache_mb * 1024}"))
    with Session(engine) as session:
        start = time.perf_counter()
        r = reconcile_return_file(session, data, name="bench.ach", received_on=RECEIVED)
        session.commit()
        elapsed = time.perf_counter() - start
    engine.dispose()
    return elapsed, r

if __name__ == "__main__":
    main()
