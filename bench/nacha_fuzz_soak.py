"""Soak: the one NACHA reader under random byte damage, and its time against input size.

`uv run python bench/nacha_fuzz_soak.py [--seconds 600] [--seed 1]`
(1) For --seconds, mutate a random moov fixture (bytes changed, lost, added, stretches doubled,
cuts) and read it with `read_ach` strictly and with every tolerance: counts inputs, exceptions
(must be 0) and the slowest read per KB. (2) Linearity: the first 10,000 ... 80,000 entries of
moov's 500,000-entry file, each damaged in 200 random places, read once each size: seconds per MB
must stay flat (no input takes more than linear time). The bounded version runs in CI as
tests/nacha/test_fuzz.py (hypothesis; PAYGO_NACHA_FUZZ_EXAMPLES=N makes it longer).
"""

import argparse
import gzip
import os
import random
import time
import traceback
from pathlib import Path

from paygo.nacha.read import Tolerance, read_ach

FIXTURES = Path("/work/shared/fixtures/nacha")
BYTES = b"0123456789 AZR9\n\r\xb2\xc3\xa9\x00-+\"\\"


def mutate(rng: random.Random, data: bytes, times: int, cuts: bool = True) -> bytes:
    b = bytearray(data)
    for _ in range(times):
        at = rng.randrange(max(len(b), 1))
        how = rng.randrange(5)
        if how == 0 and b:
            b[at] = rng.choice(BYTES)
        elif how == 1 and b:
            del b[at]
        elif how == 2:
            b.insert(at, rng.choice(BYTES))
        elif how == 3:
            b[at:at] = b[at:at + rng.randrange(1, 300)]
        elif cuts and rng.random() < 0.05:
            del b[at:]
    return bytes(b)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    seeds = [p.read_bytes() for p in sorted(FIXTURES.iterdir()) if p.suffix in (".ach", ".txt")]
    print(f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    end = time.monotonic() + args.seconds
    inputs = failures = 0
    slowest = slowest_s = 0.0
    while time.monotonic() < end:
        data = mutate(rng, rng.choice(seeds), rng.randrange(1, 8))
        for tolerances in ((), frozenset(Tolerance)):
            t = time.perf_counter()
            try:
                read_ach(data, tolerances)
            except Exception:  # noqa: BLE001 - the soak counts every way the reader breaks
                failures += 1
                print(repr(data[:200]))
                traceback.print_exc()
            took = time.perf_counter() - t
            slowest, slowest_s = max(slowest, took / max(len(data) / 1024, 1)), max(slowest_s, took)
        inputs += 1
    print(f"(1) {inputs:,} damaged files read twice each in {args.seconds:.0f} s: {failures} exceptions; "
          f"slowest {slowest * 1000:.1f} ms per KB, {slowest_s * 1000:.0f} ms for one file")
    big = gzip.decompress((FIXTURES / "PPD-2500-batches-500000-entries.ach.gz").read_bytes()).split(b"\n")
    for entries in (10_000, 20_000, 40_000, 80_000):
        data = b"\n".join(big[: entries + entries // 200 * 2]) + b"\n"  # about 200 entries a batch
        damaged = mutate(rng, data, 200, cuts=False)
        t = time.perf_counter()
        result = read_ach(damaged)
        seconds = time.perf_counter() - t
        print(f"(2) {entries:,} entries, {len(damaged) / 1e6:.1f} MB, {len(result.deviations):,} deviations: "
              f"{seconds:.2f} s = {seconds / (len(damaged) / 1e6):.3f} s/MB")


if __name__ == "__main__":
    main()
