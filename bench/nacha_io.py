"""Benchmark: NACHA write and read at 500,000 entries, and `paygo ach inspect --json` as a whole process.

(1) build + write a 500,000-entry CCD debit file with the column-wise writer (the frame of entries
is built first and not timed; target 1.0 s); (2) read and validate PPD-2500-batches-500000-entries.ach.gz
with every check through `paygo.nacha.read.read_ach`, the one reader the product uses (decompression
timed separately; target 1.0 s); (3) `paygo ach inspect --json` of the decompressed file as a child
process, stdout to /dev/null: wall time and peak RSS (targets 2 s, 1 GB). Best of N runs is reported,
with the load average before each step.
Run: `uv run python bench/nacha_io.py [--runs 3]`.
"""

import argparse
import gzip
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

import polars as pl

from paygo.nacha.build import BatchSpec, FileSpec
from paygo.nacha.read import read_ach
from paygo.nacha.write import write_columns

BIG = Path("/work/shared/fixtures/nacha/PPD-2500-batches-500000-entries.ach.gz")
N, BATCHES = 500_000, 100


def best(fn, runs: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    spec = FileSpec("231380104", "FEDERAL RESERVE BANK", " 031300012", "PAYGO", "031300012", datetime(2026, 7, 2, 9, 30))
    batches = [BatchSpec(f"EMPLOYER {b}", "1123456789", "WC PREMIUM", date(2026, 7, 6), ()) for b in range(BATCHES)]
    frame = pl.DataFrame({
        "batch": pl.int_range(N, eager=True) * BATCHES // N,
        "transaction_code": pl.repeat(27, N, eager=True),
        "routing_number": pl.Series(["231380104", "121042882", "091400606", "062000019"] * (N // 4)),
        "account_number": pl.int_range(N, eager=True).cast(pl.String).str.zfill(12),
        "amount_cents": pl.int_range(1, N + 1, eager=True),
        "individual_id": pl.Series([f"INV-{i}" for i in range(N)]),
        "individual_name": pl.repeat("EMPLOYER", N, eager=True),
    })
    write_s, data = best(lambda: write_columns(spec, batches, frame), runs)
    lines = data.count(b"\n")
    print(f"write: {N:,} CCD debits, {len(data):,} bytes, {lines:,} lines: {write_s:.3f} s")

    raw = BIG.read_bytes()
    gunzip_s, plain = best(lambda: gzip.decompress(raw), runs)
    print(f"load average {load()}")
    read_s, result = best(lambda: read_ach(plain), runs)
    print(f"gunzip: {len(raw):,} -> {len(plain):,} bytes: {gunzip_s:.3f} s")
    print(f"read+validate: {result.entry_count:,} entries, {len(result.batches):,} batches, "
          f"valid={result.valid}, {len(result.deviations)} deviations: {read_s:.3f} s")
    own_s, own = best(lambda: read_ach(data), runs)
    print(f"read+validate our own 500,000-entry file: valid={own.valid}: {own_s:.3f} s")
    del result, own, data
    with tempfile.NamedTemporaryFile(suffix=".ach") as fh:
        fh.write(plain)
        fh.flush()
        inspect_process(fh.name, runs)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def inspect_process(path: str, runs: int) -> None:
    """`paygo ach inspect --json PATH` in a fresh interpreter under GNU time (its own peak RSS, not the
    forked image of this process, which holds the file and its frames)."""
    times, peaks = [], []
    for _ in range(runs):
        print(f"  load average {load()}")
        start = time.perf_counter()
        timer = ["/usr/bin/time", "-f", "%M"] if os.path.exists("/usr/bin/time") else []  # GNU time: peak RSS
        out = subprocess.run([*timer, sys.executable, "-c",
                              "import sys; from paygo.cli import main; "
                              "sys.exit(main(['ach', 'inspect', '--json', sys.argv[1]]))", path],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        times.append(time.perf_counter() - start)
        assert out.returncode == 0, out.stderr
        if timer:
            peaks.append(int(out.stderr.strip().splitlines()[-1]))  # KB
    peak = f"{max(peaks) / 1024:.0f} MB" if peaks else "not measured (no /usr/bin/time)"
    print(f"paygo ach inspect --json, whole process: best {min(times):.2f} s (runs {', '.join(f'{t:.2f}' for t in times)}), "
          f"peak RSS {peak} (targets 2 s, 1 GB)")


if __name__ == "__main__":
    main()
