"""`paygo mapping suggest FILE [--company ID] [--out PROFILE.toml]`: propose a mapping profile.

Reads the file's header (CSV, XLSX or XLS, by its extension), proposes a canonical column for
each header (aliases first, then rapidfuzz at or above the threshold), prints each proposal with
how it was found, its score and sample values, and writes the profile with `confirmed = false`
for a person to check (docs/payroll-mappings.md, "Onboarding"). Exit 0 written, 2 a usage error
(an unreadable file, an existing output file). Writes nothing else and reads no database.
"""

import argparse
import sys
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("mapping", help="payroll mapping profiles: suggest one for a new file")
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    suggest = verbs.add_parser("suggest", help="propose a profile for an unknown payroll file (to confirm)")
    suggest.add_argument("file", metavar="FILE", type=Path)
    suggest.add_argument("--company", metavar="ID", default=None, help="the payroll company that sends it")
    suggest.add_argument("--sheet", metavar="NAME", default=None, help="the sheet of a workbook of several")
    suggest.add_argument("--out", metavar="PROFILE.toml", type=Path, default=None,
                         help="where to write the profile (default ./<id>.toml); never overwritten")
    suggest.set_defaults(handler=run_suggest)


def run_suggest(args: argparse.Namespace) -> int:
    from paygo.commands.common import UsageError
    from paygo.payroll.sheets import GridError
    from paygo.payroll.suggest import THRESHOLD, suggest_profile

    try:
        data = args.file.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc.strerror or exc}") from exc
    try:
        found = suggest_profile(data, args.file.name, args.company, args.sheet)
    except GridError as exc:
        hint = " (name it with --sheet)" if "file.sheet" in str(exc) else ""
        raise UsageError(f"{args.file}: {str(exc).replace('; the profile must name one in file.sheet', '')}{hint}") from exc
    pid = next(line.split("=", 1)[1].strip().strip('"') for line in found.profile_toml.splitlines()
               if line.startswith("id = "))
    out = args.out or Path(f"{pid}.toml")
    if out.exists():
        raise UsageError(f"{out} exists: choose another --out (a profile is never overwritten)")
    rows = [("header", "proposed column", "how", "score", "samples")]
    for p in found.columns:
        rows.append((p.header, p.canonical or "-", p.how, str(p.score) if p.score else "",
                     ", ".join(repr(s)[:24] for s in p.samples)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    print(f"{args.file.name}: header on row {found.header_row + 1}, layout {found.layout}, fuzzy threshold {THRESHOLD}")
    for r in rows:
        print("  " + "  ".join(c.ljust(w) for c, w in zip(r[:4], widths)) + "  " + r[4])
    if found.codes:
        print("  earning codes:")
        for c in found.codes:
            print(f"    {c.header!r} -> {c.canonical or '? (unmatched)'}  {c.how} {c.score or ''}".rstrip())
    out.write_text(found.profile_toml)
    print(f"wrote {out} (confirmed = false): check every line, set confirmed = true, put it in the reference "
          f"folder's mappings/ and run `paygo load-reference`; try it first with `paygo check {args.file.name} "
          f"--policies POLICIES.csv --mapping {out}`", file=sys.stdout)
    return 0
