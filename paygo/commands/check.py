"""`paygo check PAYROLL.csv --policies POLICIES.csv [--json]`: validate one file and price it.

Writes nothing and reads no database (spec/cli.md): every year to date starts at zero.
Exit 0 accepted, 1 rejected (a row error, or a PricingError as a file-level error with row
null), 2 a usage error (a missing file, a policies file breaking its rules). Example: one row
of $2,200.00 in CA 8810 at 1.234 prints a line with premium 27.15 and exits 0.
"""

import argparse
import json
import sys
from pathlib import Path

JSON_LINE_COLUMNS = (
    "policy_number", "employer_fein", "payroll_run_id", "state", "class_code",
    "auditable_cents", "net_rate", "premium_cents",
)


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("check", help="validate one payroll file and price it, writing nothing")
    parser.add_argument("payroll", metavar="PAYROLL.csv", type=Path)
    parser.add_argument("--policies", metavar="POLICIES.csv", type=Path, required=True)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--mapping", metavar="PROFILE", default=None,
                        help="read the file through a mapping profile: a .toml file or a built-in id "
                             "(docs/payroll-mappings.md); default the canonical format")
    parser.add_argument("--roster", metavar="ROSTER.csv", type=Path, default=None,
                        help="employee roster supplying state, class code and officer flag the file lacks")
    parser.set_defaults(handler=run)


def _read(path: Path, what: str) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError as exc:
        print(f"paygo check: cannot read {what} {path}: {exc.strerror or exc}", file=sys.stderr)
        return None


def _rejected(sha: str, errors: list[dict], as_json: bool) -> int:
    # json.dumps (C encoder, one string) and one write: json.dump to a stream encodes in pure
    # Python and a million-error listing took 15 s that way; the bytes written are the same.
    if as_json:
        sys.stdout.write(json.dumps({"status": "rejected", "file_sha256": sha, "errors": errors}) + "\n")
        return 1
    print(f"rejected: {len(errors)} error(s)  sha256 {sha}")
    for start in range(0, len(errors), 10_000):  # a write per 10,000 lines, not one per line
        chunk = []
        for e in errors[start:start + 10_000]:
            row = "file" if e["row"] is None else f"row {e['row']}"
            name = e["column"] or e.get("canonical_column")
            if e.get("canonical_column") and e["column"] and e["canonical_column"] != e["column"]:
                name = f"{e['column']} ({e['canonical_column']})"
            column = f", {name}" if name else ""
            chunk.append(f"  {row}{column}: {e['error']}\n")
        sys.stdout.write("".join(chunk))
    return 1


def _accepted(sha: str, rows: int, lines: list[dict], total: int, as_json: bool) -> int:
    from paygo.billing.money import format_cents

    if as_json:
        sys.stdout.write(json.dumps({"status": "accepted", "file_sha256": sha, "rows": rows, "lines": lines,
                                     "total_premium_cents": total}) + "\n")
        return 0
    head = ("policy", "employer", "run", "state", "class", "auditable", "rate", "premium")
    table = [head] + [
        (ln["policy_number"], ln["employer_fein"], ln["payroll_run_id"], ln["state"], ln["class_code"],
         format_cents(ln["auditable_cents"]), ln["net_rate"], format_cents(ln["premium_cents"]))
        for ln in lines
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(head))]
    right = {5, 6, 7}
    for r in table:
        print("  ".join(c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    print(f"accepted: {rows} rows, {len(lines)} lines, total premium {format_cents(total)}  sha256 {sha}")
    return 0


def run(args: argparse.Namespace) -> int:
    from paygo.payroll.policies import PolicyBook, PolicyBookError

    payroll = _read(args.payroll, "payroll file")
    policies = _read(args.policies, "policies file")
    if payroll is None or policies is None:
        return 2
    try:
        book = PolicyBook.from_csv(policies)
    except PolicyBookError as exc:
        print(f"paygo check: {args.policies}: {exc}", file=sys.stderr)
        return 2

    if args.mapping is None:
        from paygo.payroll.validate import validate_payroll_file

        result = validate_payroll_file(payroll, book)
    else:
        result = _mapped(args, payroll, book)
        if result is None:
            return 2
    if not result.accepted:
        errors = [{"row": e.row, "column": e.column, "value": e.value, "error": e.error} for e in result.errors]
        if result.mapping is not None and not result.mapping.startswith("canonical@"):
            for e, d in zip(result.errors, errors):  # a mapped file: the canonical column beside the company's
                d["canonical_column"] = e.canonical
        return _rejected(result.file_sha256, errors, args.json)

    from paygo.billing.premium import PricingError, price_payroll

    try:
        priced = price_payroll(result.rated_rows, ytd=None)
    except PricingError as exc:
        error = {"row": None, "column": None, "value": None, "error": str(exc)}
        return _rejected(result.file_sha256, [error], args.json)
    lines = priced.lines.select(JSON_LINE_COLUMNS).to_dicts()
    return _accepted(result.file_sha256, result.rows, lines, priced.total_premium_cents, args.json)


def _mapped(args: argparse.Namespace, payroll: bytes, book):
    """The file validated through `--mapping` (and `--roster`); None after a usage error on stderr."""
    from paygo.payroll.profile import ProfileError, load_profile
    from paygo.payroll.roster import RosterError, read_roster_csv
    from paygo.payroll.validate import validate_mapped_file

    try:
        profile = load_profile(Path(args.mapping))
    except ProfileError as exc:
        print(f"paygo check: mapping profile:\n{exc}", file=sys.stderr)
        return None
    roster = None
    if args.roster is not None:
        data = _read(args.roster, "roster file")
        if data is None:
            return None
        try:
            roster = read_roster_csv(data, args.roster.name)
        except RosterError as exc:
            print(f"paygo check: {exc}", file=sys.stderr)
            return None
    if not profile.confirmed:
        print(f"paygo check: mapping profile {profile.id!r} is not confirmed: a preview; nothing is billed from it "
              "until a person sets confirmed = true", file=sys.stderr)
    return validate_mapped_file(payroll, profile, book, roster=roster,
                                roster_versions=args.roster.name if args.roster else None,
                                file_name=args.payroll.name)
