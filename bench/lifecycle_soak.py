"""Soak (issue 11): the money-lifecycle simulation for many steps, on SQLite or PostgreSQL.

Run: `uv run python bench/lifecycle_soak.py --steps 20000 --seed N [--postgres]`
     `uv run python bench/lifecycle_soak.py --steps 2000 --seed N --postgres`

The engine is tests/lifecycle/simulation.py (what is simulated and why, and every invariant, are
in its docstrings); the CI run of the same engine is tests/lifecycle/test_money_simulation.py.
The steps are played in episodes of `--episode-steps` (default 300): episode i uses seed N + i on
a fresh database, until `--steps` steps in all. An episode spans about three months of business
dates from 2025-06-16, so every payroll file stays inside the sample policies' year (they expire
on 2026-01-01) and each step's checks read a database of bounded size. `--postgres` starts a
throwaway PostgreSQL cluster (tests/pg.py, needs the server binaries) and plays on it.

The first failure stops the soak (`--keep-going` plays on with the next episode): it is shrunk for
`--shrink-seconds` (default 120) and printed with its seed, invariant and numbered steps, and a
replay command: `--seed S --steps K --only I,J,...` plays only those step indices of seed S's
plan, as one episode (`--echo` prints every step as it is played). `--ignore 5,8` passes over violations of those invariants (a survey of what
else breaks behind a known finding). Prints steps/s and how often each invariant had something to
check; exit 1 when an invariant broke.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "lifecycle"), str(ROOT / "tests")]

import simulation as sim  # noqa: E402  (tests/lifecycle)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=20000, help="steps in all (default 20000)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first episode (default 0)")
    p.add_argument("--episode-steps", type=int, default=300, help="steps per episode (default 300)")
    p.add_argument("--postgres", action="store_true", help="play on a throwaway PostgreSQL cluster")
    p.add_argument("--only", type=str, default=None, help="replay only these step indices (comma separated)")
    p.add_argument("--ignore", type=str, default="", help="invariants to pass over, e.g. 5,8,7-rerun")
    p.add_argument("--shrink-seconds", type=float, default=120.0)
    p.add_argument("--keep-going", action="store_true", help="play on after a failure")
    p.add_argument("--echo", action="store_true", help="print every step as it is played")
    args = p.parse_args(argv)
    ignore = frozenset(x.strip() for x in args.ignore.split(",") if x.strip())

    cluster = None
    workdir = Path(tempfile.mkdtemp(prefix="paygo-soak-"))
    try:
        if args.postgres:
            from pg import start_cluster

            cluster = start_cluster()
            databases = sim.PostgresDatabases(cluster)
        else:
            databases = sim.SqliteDatabases(workdir)
        return _soak(args, databases, workdir, ignore)
    finally:
        if cluster is not None:
            from pg import stop_cluster

            stop_cluster(cluster)
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


def _soak(args, databases, workdir: Path, ignore: frozenset[str]) -> int:
    backend = "PostgreSQL" if args.postgres else "SQLite"
    stats: Counter = Counter()
    started = time.monotonic()
    played, failures, episode, episodes, playing = 0, 0, 0, 0, 0.0
    while played < args.steps:
        seed = args.seed + episode
        n = min(args.episode_steps, args.steps - played)
        plan = sim.make_plan(seed, n if args.only is None else args.steps)
        if args.only is not None:
            wanted = {int(i) for i in args.only.split(",")}
            plan = [s for s in plan if s.index in wanted]
            n = args.steps
        t0 = time.monotonic()
        found, done = sim.run_plan(seed, plan, databases, workdir, ignore=ignore, stats=stats,
                                   echo=(lambda line: print(line, flush=True)) if args.echo else None)
        episodes += 1
        playing += time.monotonic() - t0
        played += n if found is None else done
        print(f"episode {episode} seed {seed}: {done} steps in {time.monotonic() - t0:.1f} s on {backend}"
              + (f": invariant {found.key} broke" if found else ": every invariant held"), flush=True)
        if found is not None:
            failures += 1
            shortest = found if args.only is not None else sim.shrink(
                found, databases, workdir, budget_seconds=args.shrink_seconds, ignore=ignore)
            print(sim.format_failure(shortest, original=found, steps=len(plan) if args.only is None else args.steps),
                  flush=True)
            if not args.keep_going:
                break
        episode += 1
        if args.only is not None:
            break
    elapsed = time.monotonic() - started
    print(f"\n{played} steps, {episodes} episode(s), {failures} failure(s), {elapsed:.1f} s in all; playing "
          f"{playing:.1f} s, {played / max(playing, 1e-9):.1f} steps/s on {backend} (the rest is shrinking)")
    print("checks with something to check: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())
                                                        if not k.startswith("step ")))
    print("steps played: " + ", ".join(f"{k[5:]} {v}" for k, v in sorted(stats.items()) if k.startswith("step ")))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
