"""Benchmark: mapping must not slow the canonical path; a long layout within 2x of canonical.

Run: `uv run python bench/payroll_mapping.py [--rows N] [--dir PATH] [--baseline SRC] [--runs K]`.
It writes (1) the deterministic 1,000,000-row canonical file of bench/payroll_check.py and (2) a
1,000,000-row Paychex-style long file of the same kind of payroll (one row per pay component,
four per employee pay: Hourly, Overtime, Bonus, Tips; 250,000 pays) with a roster of the
250,000 employees (state, class code, officer flag), then times, alternating K times so that
load on the shared machine hits each alike:
  (a) `paygo check --json` of the canonical file as a child process, this tree; and, with
      `--baseline SRC` (a copy of the code before issue 13, e.g. `git archive HEAD | tar -x -C SRC`),
      the same command run from SRC: target this / baseline <= 1.05;
  (c) in process, canonical: validate + price (`validate_payroll_file`, `price_payroll`);
  (m) in process, long file: map + validate + price (`validate_mapped_file` with the roster already
      loaded, as ingest has it from the database): target (m) / (c) <= 2.
Prints the best of each, the median of the paired ratios and the load average.
"""

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
spec = importlib.util.spec_from_file_location("payroll_check", HERE / "payroll_check.py")
payroll_check = importlib.util.module_from_spec(spec)
spec.loader.exec_module(payroll_check)

COMPONENTS = (("Hourly", 1), ("Overtime", 2), ("Bonus", 3), ("Tips", 4))
PROFILE = '''format = 1
id = "bench-paychex"
extends = "paychex-flex-pay-data"
[columns]
"WC Policy" = "policy_number"
'''


def write_long(folder: Path, rows: int) -> tuple[Path, Path]:
    """The long file (Company ID is the FEIN, a WC Policy column names the policy) and its roster."""
    pays = rows // len(COMPONENTS)
    states = payroll_check.STATES
    e = pl.int_range(0, pays, eager=True).alias("p")
    base = pl.DataFrame(e).with_columns(
        (pl.lit(100000000) + pl.col("p") % payroll_check.EMPLOYERS).cast(pl.String).alias("Company ID"),
        pl.format("WC-{}", (pl.col("p") % payroll_check.EMPLOYERS).cast(pl.String).str.pad_start(4, "0")).alias(
            "WC Policy"),
        pl.format("W{}", pl.col("p").cast(pl.String)).alias("Worker ID"),
    )
    parts = []
    for name, k in COMPONENTS:
        amount = {1: pl.format("{}.{}", (pl.col("p") * 7919 % 500000).cast(pl.String),
                               (pl.col("p") % 100).cast(pl.String).str.pad_start(2, "0")),
                  2: pl.format("{}.5", (pl.col("p") % 900).cast(pl.String)),
                  3: (pl.col("p") % 250).cast(pl.String),
                  4: pl.lit("12.34")}[k]
        parts.append(base.select("p", "Company ID", "Worker ID", pl.lit(name).alias("Pay Component"),
                                 pl.lit("").alias("Rate"), pl.lit("").alias("Hours"), amount.alias("Amount"),
                                 pl.lit("06/01/2024").alias("Start"), pl.lit("06/14/2024").alias("End"),
                                 "WC Policy", pl.lit(k).alias("k")))
    frame = pl.concat(parts).sort("p", "k").drop("p", "k")
    path = folder / "paychex_long.csv"
    frame.write_csv(path)
    roster = base.select(
        pl.col("Company ID").alias("employer_fein"), pl.col("Worker ID").alias("employee_id"),
        pl.lit("2024-01-01").alias("effective_date"),
        pl.col("p").mod(len(states)).replace_strict(list(range(len(states))), [s for s, _, _ in states]).alias("state"),
        pl.col("p").mod(len(states)).replace_strict(list(range(len(states))), [c for _, c, _ in states]).alias(
            "class_code"),
        pl.when(pl.col("p") % 17 == 0).then(pl.lit("true")).otherwise(pl.lit("false")).alias("is_officer"))
    roster_path = folder / "roster.csv"
    roster.write_csv(roster_path)
    return path, roster_path


def check_process(src: Path, payroll: Path, policies: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(src)}
    cmd = [sys.executable, "-m", "paygo.cli", "check", str(payroll), "--policies", str(policies), "--json"]
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, env=env, cwd=src)
    spent = time.perf_counter() - start
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    return spent


def canonical_in_process(payroll: Path, policies: Path) -> tuple[float, int]:
    return payroll_check.ours_in_process(payroll, policies)


def long_in_process(path: Path, policies: Path, profile, roster) -> tuple[float, int, int]:
    from paygo.billing.premium import price_payroll
    from paygo.payroll.policies import PolicyBook
    from paygo.payroll.validate import validate_mapped_file

    start = time.perf_counter()
    book = PolicyBook.from_csv(policies.read_bytes())
    result = validate_mapped_file(path.read_bytes(), profile, book, roster=roster, file_name=path.name)
    assert result.accepted, result.errors[:5]
    priced = price_payroll(result.rated_rows)
    return time.perf_counter() - start, priced.total_premium_cents, result.rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--baseline", type=Path, default=None, help="source tree of the code before issue 13")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="paygo-bench-map-"))
    folder.mkdir(parents=True, exist_ok=True)
    payroll, policies = payroll_check.write_files(folder, args.rows)
    long_path, roster_path = write_long(folder, args.rows)

    from paygo.payroll.profile import parse_profile
    from paygo.payroll.roster import read_roster_csv

    profile = parse_profile(PROFILE, "bench-paychex.toml")
    start = time.perf_counter()
    roster = read_roster_csv(roster_path.read_bytes())
    roster_s = time.perf_counter() - start

    this, base, canon, mapped = [], [], [], []
    for _ in range(args.runs):
        this.append(check_process(ROOT, payroll, policies))
        if args.baseline:
            base.append(check_process(args.baseline, payroll, policies))
        spent, canon_total = canonical_in_process(payroll, policies)
        canon.append(spent)
        spent, long_total, pays = long_in_process(long_path, policies, profile, roster)
        mapped.append(spent)

    def median(xs):
        return sorted(xs)[len(xs) // 2]

    print(f"canonical file: {payroll} ({args.rows:,} rows, {payroll.stat().st_size / 1e6:.0f} MB)")
    print(f"long file: {long_path} ({args.rows:,} rows, {long_path.stat().st_size / 1e6:.0f} MB, {pays:,} pays); "
          f"roster {roster.height:,} employees read in {roster_s:.2f}s (once, not timed below)")
    print(f"{'measure':<52}{'best':>9}{'median':>9}{'target':>10}")
    print(f"{'(a) paygo check --json, this tree':<52}{min(this):>8.2f}s{median(this):>8.2f}s")
    if base:
        print(f"{'(a0) paygo check --json, baseline tree':<52}{min(base):>8.2f}s{median(base):>8.2f}s")
        paired = median([t / b for t, b in zip(this, base)])
        print(f"{'(a) / (a0), median of paired runs':<52}{min(this) / min(base):>8.3f}x{paired:>8.3f}x{'<= 1.05x':>10}")
    print(f"{'(c) canonical in process: validate + price':<52}{min(canon):>8.2f}s{median(canon):>8.2f}s")
    print(f"{'(m) long in process: map + validate + price':<52}{min(mapped):>8.2f}s{median(mapped):>8.2f}s")
    paired = median([m / c for m, c in zip(mapped, canon)])
    print(f"{'(m) / (c), median of paired runs':<52}{min(mapped) / min(canon):>8.2f}x{paired:>8.2f}x{'<= 2.00x':>10}")
    print(f"premium: canonical {canon_total} cents, long {long_total} cents")
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
