"""Reports written back to a payroll company's SFTP `reports/` folder after each file.

A rejection report lists every problem found (row, column, value, reason), not just the first,
so the payroll clerk can fix the file in one pass; an acknowledgement says what was billed.
"""

from collections.abc import Sequence

from paygo.billing.money import format_cents
from paygo.payroll.validate import PayrollError


def rejection_report(name: str, file_sha256: str, errors: Sequence[PayrollError]) -> str:
    lines = [
        f"payroll file {name} was REJECTED: nothing in it was billed.",
        f"sha256 {file_sha256}",
        f"{len(errors)} problem(s) found; fix every one and upload the whole file again.",
        "",
        "row\tcolumn\tvalue\tproblem",
    ]
    for e in errors:
        row = "(file)" if e.row is None else str(e.row)
        lines.append(f"{row}\t{e.column_text}\t{'' if e.value is None else e.value}\t{e.error}")
    return "\n".join(lines) + "\n"


def acknowledgement(name: str, file_sha256: str, status: str, invoices: Sequence[str], billed_cents: int,
                    message: str = "") -> str:
    if status == "duplicate":
        head = f"payroll file {name} was already received: nothing new was billed."
    else:
        head = f"payroll file {name} was ACCEPTED."
    lines = [head, f"sha256 {file_sha256}"]
    if invoices:
        lines.append(f"invoices: {', '.join(invoices)}")
    lines.append(f"billed: ${format_cents(billed_cents)}")
    if message:
        lines.append(message)
    return "\n".join(lines) + "\n"
