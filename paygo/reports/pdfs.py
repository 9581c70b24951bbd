"""The finance reports as PDF, in the house style of paygo.documents.layout: values in, deterministic bytes out.

Each report reads at a glance: a title and the business date it is as of, the totals first, then
tables with right-aligned dollar amounts and a bold totals row. Money is shown as "$1,234.56"
(negative "-$12.34"), a FEIN as 12-3456789; no account number ever appears.
"""

from __future__ import annotations

from xml.sax.saxutils import escape as _esc

from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Spacer, Table, TableStyle

from paygo.documents import layout
from paygo.documents.layout import dollars, fein_text
from paygo.reports.aging import BUCKET_LABELS, AgingReport, AgingRow
from paygo.reports.returns import ReturnsReport, code_description
from paygo.reports.wallets import WalletReport, kind_label

AMOUNT_W = 0.8 * inch  # "$999,999.99" in bold at 8.5 points, with cell padding
INV_W = 0.4 * inch
NAME_MIN_W = 1.7 * inch  # an employer's name and its FEIN line stay readable
ZERO = dollars(0)


def _subtitle(text: str) -> Flowable:
    return layout.para(text, layout.BODY)


def _summary_strip(header: list[str], values: list[str]) -> Table:
    """One row of headline figures under their labels; the last one (the total) shaded and large."""
    widths = [layout.CONTENT_WIDTH / len(header)] * len(header)
    table = Table([header, values], colWidths=widths)
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, 0), "Helvetica", 8),
        ("TEXTCOLOR", (0, 0), (-1, 0), layout.MUTED),
        ("FONT", (0, 1), (-1, 1), "Helvetica-Bold", _fit(values, 11, min(widths))),
        ("TEXTCOLOR", (0, 1), (-1, 1), layout.INK),
        ("ALIGN", (0, 0), (-1, -1), "RIGHT"),
        ("BACKGROUND", (-1, 0), (-1, -1), layout.SHADE),
        ("LINEABOVE", (0, 0), (-1, 0), 1, layout.ACCENT),
        ("LINEBELOW", (0, -1), (-1, -1), 0.5, layout.RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 1), (-1, 1), 6),
    ]))
    return table


def _fit(texts: list[str], size: float, width: float) -> float:
    """The largest font size up to `size` at which every text, in bold, fits a cell `width` wide."""
    widest = max((stringWidth(t, "Helvetica-Bold", size) for t in texts), default=0)
    return size if widest + 12 <= width else max(5.0, size * (width - 12) / widest)  # 6 points padding a side


def _amount_columns(texts: list[str], count: int, room: float) -> tuple[float, float]:
    """(width, font size) of `count` amount columns sharing at most `room` points: AMOUNT_W or wider
    for the widest amount in bold at 8.5 points; the font shrinks only when even `room` is too narrow."""
    widest = max((stringWidth(t, "Helvetica-Bold", 8.5) for t in texts), default=0)
    width = min(max(AMOUNT_W, widest + 12), room / count)
    return width, _fit(texts, 8.5, width)


def _amount_font(table: Table, first_col: int, first_total: int, size: float) -> Table:
    """Set the amount cells (columns from `first_col`, below the header) in `size` points."""
    if size < 8.5:
        table.setStyle(TableStyle([("FONT", (first_col, 1), (-1, -1), "Helvetica", size),
                                   ("FONT", (first_col, first_total), (-1, -1), "Helvetica-Bold", size)]))
    return table


def _mute_zeros(table: Table, rows: list[list]) -> Table:
    """Grey the "$0.00" cells of the body rows, so the amounts owed stand out."""
    table.setStyle(TableStyle([("TEXTCOLOR", (c, r), (c, r), layout.MUTED)
                               for r, row in enumerate(rows, start=1) for c, v in enumerate(row) if v == ZERO]))
    return table


def _heading(text: str) -> Flowable:
    return layout.para(text, layout.HEADING)


def _none(text: str) -> Flowable:
    return layout.para(text, layout.SMALL)


# --- aging
def _aging_amounts(r: AgingRow) -> list[str]:
    return [dollars(c) for c in r.buckets_cents] + [dollars(r.total_cents)]


def render_aging_pdf(report: AgingReport) -> bytes:
    as_of = layout.date_text(report.as_of)
    t = report.total
    story: list[Flowable] = [
        layout.para("RECEIVABLES AGING", layout.TITLE),
        _subtitle(f"Open invoices as of {as_of}  |  {t.invoices} open invoice(s), {len(report.employers)} "
                  f"employer(s), {len(report.payroll_companies)} payroll company(ies)"),
        Spacer(1, 8),
        _summary_strip([f"{label} days" if label[0].isdigit() else label for label in BUCKET_LABELS] + ["Total open"],
                       _aging_amounts(t)),
    ]
    amount_w, size = _amount_columns([*_aging_amounts(t), *(a for r in report.employers for a in _aging_amounts(r))],
                                     6, layout.CONTENT_WIDTH - INV_W - NAME_MIN_W)
    widths = [layout.CONTENT_WIDTH - 6 * amount_w - INV_W, INV_W, *[amount_w] * 6]
    header = [*BUCKET_LABELS, "Total"]
    story.append(_heading("By payroll company"))
    if report.payroll_companies:
        rows = [[layout.para(r.payroll_company_name or r.payroll_company_id, layout.CELL), str(r.invoices),
                 *_aging_amounts(r)] for r in report.payroll_companies]
        story.append(_amount_font(_mute_zeros(layout.data_table(
            ["Payroll company", "Inv.", *header], rows, widths, right_cols=range(1, 8),
            total_rows=[["Total", str(t.invoices), *_aging_amounts(t)]]), rows), 2, 1 + len(rows), size))
    else:
        story.append(_none("Nothing is open."))
    story.append(_heading("By employer"))
    if report.employers:
        rows = [[layout.rich(f"{_esc(r.employer_name)}<br/><font size=7 color='#616e7c'>{fein_text(r.employer_fein)}"
                             f"  |  {_esc(r.payroll_company_name or r.payroll_company_id)}</font>", layout.CELL),
                 str(r.invoices), *_aging_amounts(r)] for r in report.employers]
        story.append(_amount_font(_mute_zeros(layout.data_table(
            ["Employer", "Inv.", *header], rows, widths, right_cols=range(1, 8),
            total_rows=[["Total", str(t.invoices), *_aging_amounts(t)]]), rows), 2, 1 + len(rows), size))
    else:
        story.append(_none("Nothing is open."))
    story += [
        Spacer(1, 6),
        layout.para("Open: an invoice's total less the remit payments applied to it, while it is issued, "
                    "scheduled, in flight or failed. Days past due are counted from the due date (a billed remit "
                    f"invoice: its bill's due date) to {as_of}; due today is current.", layout.SMALL),
    ]
    return layout.render_pdf(
        story, title=f"Receivables aging as of {report.as_of.isoformat()}",
        running_header=f"Receivables aging  |  as of {as_of}",
        footer_note="Amounts in US dollars.")


# --- returns
def render_returns_pdf(report: ReturnsReport) -> bytes:
    as_of = report.as_of
    when = layout.date_text(as_of)
    open_exc = sum(1 for e in report.exceptions if not e.exception_resolved)
    story: list[Flowable] = [
        layout.para("ACH RETURNS", layout.TITLE),
        _subtitle(f"Every return and notification of change recorded, as of {when}"),
        Spacer(1, 8),
        _summary_strip(
            ["Returns applied", "Returned amount", "NOCs applied", "Exceptions (open)", "Duplicates ignored"],
            [str(report.returns.count), dollars(report.returns.amount_cents), str(report.nocs.count),
             f"{len(report.exceptions)} ({open_exc})", str(report.duplicates)]),
        _heading("By code (applied)"),
    ]
    code_w = [0.6 * inch, 0.0, 0.6 * inch, 1.1 * inch]
    code_w[1] = layout.CONTENT_WIDTH - sum(code_w)
    if report.by_code:
        story.append(layout.data_table(
            ["Code", "Meaning", "Count", "Amount"],
            [[r.code, layout.para(r.description, layout.CELL), str(r.count),
              dollars(r.amount_cents) if r.kind == "return" else "NOC"] for r in report.by_code],
            code_w, right_cols=(2, 3),
            total_rows=[["Returns", "", str(report.returns.count), dollars(report.returns.amount_cents)],
                        ["NOCs", "", str(report.nocs.count), ""]]))
    else:
        story.append(_none("No return or NOC applied."))
    story.append(_heading("By employer (applied)"))
    emp_w = [0.0, 0.95 * inch, 0.5 * inch, 1.7 * inch, 0.55 * inch, 1.0 * inch]
    emp_w[0] = layout.CONTENT_WIDTH - sum(emp_w)
    if report.by_employer:
        story.append(layout.data_table(
            ["Employer", "FEIN", "Code", "Meaning", "Count", "Amount"],
            [[layout.para(r.employer_name, layout.CELL), fein_text(r.employer_fein), r.code,
              layout.para(r.description, layout.SMALL), str(r.count),
              dollars(r.amount_cents) if r.kind == "return" else "NOC"] for r in report.by_employer],
            emp_w, right_cols=(4, 5),
            total_rows=[["Total", "", "", "", str(report.returns.count + report.nocs.count),
                         dollars(report.returns.amount_cents)]]))
    else:
        story.append(_none("No return or NOC applied."))
    story.append(_heading("Exceptions (in the ops queue, not counted above)"))
    exc_w = [0.45 * inch, 0.45 * inch, 0.0, 0.85 * inch, 1.15 * inch, 0.9 * inch, 0.95 * inch]
    exc_w[2] = layout.CONTENT_WIDTH - sum(exc_w)
    if report.exceptions:
        story.append(layout.data_table(
            ["ID", "Code", "Employer / why", "Invoice", "Original trace", "Amount", "Queue"],
            [[str(e.id), e.code,
              _exception_cell(e),
              e.invoice_number or "-", e.original_trace, dollars(e.amount_cents),
              "resolved" if e.exception_resolved else "open"] for e in report.exceptions],
            exc_w, right_cols=(5,),
            total_rows=[["Total", "", f"{len(report.exceptions)} exception(s), {open_exc} open", "", "",
                         dollars(sum(e.amount_cents for e in report.exceptions)), ""]]))
    else:
        story.append(_none("No exception."))
    story += [
        Spacer(1, 6),
        layout.para("Applied: acted on (a retry, a failed invoice, new bank details). Amounts are the returned "
                    "debits or credits; a NOC moves no money. Duplicates are second copies of a return already "
                    "recorded and change nothing. " + (f"Codes: {_codes_legend(report)}." if report.exceptions else ""),
                    layout.SMALL),
    ]
    return layout.render_pdf(
        story, title=f"ACH returns as of {as_of.isoformat()}", running_header=f"ACH returns  |  as of {when}",
        footer_note="Amounts in US dollars.")


def _exception_cell(e) -> Flowable:
    """Whose return it is (or that no entry matched) and why it waits for a person."""
    why = _esc((e.exception_kind or "exception").replace("_", " "))
    who = (f"{_esc(e.employer_name)} ({fein_text(e.employer_fein)})" if e.employer_fein else "no entry matched")
    return layout.rich(f"{who}<br/><font size=7 color='#616e7c'>{why}</font>", layout.CELL)


def _codes_legend(report: ReturnsReport) -> str:
    seen = sorted({e.code for e in report.exceptions})
    return "; ".join(f"{c} {code_description(c) or 'unknown'}" for c in seen)


# --- wallets
def render_wallets_pdf(report: WalletReport) -> bytes:
    when = layout.date_text(report.as_of)
    since = f" from {report.since:%B %Y}" if report.since else ""
    story: list[Flowable] = [
        layout.para("CARRIER WALLET MOVEMENTS", layout.TITLE),
        _subtitle(f"What each carrier's wallet holds (owed to the carrier){since}, through {when}"),
        Spacer(1, 8),
        _summary_strip(["Opening", "Added", "Taken", "Closing (held)"],
                       [dollars(report.opening_cents), dollars(sum(c.credits_cents for c in report.carriers)),
                        dollars(sum(c.debits_cents for c in report.carriers)), dollars(report.closing_cents)]),
        _heading("By carrier"),
    ]
    sum_w = [0.0, *[1.15 * inch] * 4]
    sum_w[0] = layout.CONTENT_WIDTH - sum(sum_w)
    story.append(layout.data_table(
        ["Carrier", "Opening", "Added", "Taken", "Closing (held)"],
        [[layout.para(f"{c.carrier_name} ({c.carrier_id})", layout.CELL), dollars(c.opening_cents),
          dollars(c.credits_cents), dollars(c.debits_cents), dollars(c.closing_cents)] for c in report.carriers],
        sum_w, right_cols=(1, 2, 3, 4),
        total_rows=[["Total", dollars(report.opening_cents), dollars(sum(c.credits_cents for c in report.carriers)),
                     dollars(sum(c.debits_cents for c in report.carriers)), dollars(report.closing_cents)]]))
    month_w = [0.95 * inch, 0.0, 1.25 * inch, 1.25 * inch]
    month_w[1] = layout.CONTENT_WIDTH - sum(month_w)
    for c in report.carriers:
        story.append(_heading(f"{c.carrier_name} ({c.carrier_id})"))
        if not c.months:
            story.append(_none("No movement."))
            continue
        rows: list[list[str]] = []
        closing_rows: list[int] = []
        for mo in c.months:
            rows.append([f"{mo.period:%b %Y}", "Opening balance", "", dollars(mo.opening_cents)])
            rows += [["", kind_label(kind), dollars(cents), ""] for kind, cents in mo.movements.items()]
            rows.append(["", "Closing balance", "", dollars(mo.closing_cents)])
            closing_rows.append(len(rows))  # 1-based row index in the table (row 0 is the header)
        table = layout.data_table(["Month", "Movement", "Amount", "Balance"], rows, month_w, right_cols=(2, 3))
        table.setStyle(TableStyle(
            [cmd for r in closing_rows for cmd in (
                ("FONT", (1, r), (-1, r), "Helvetica-Bold", 8.5),
                ("LINEBELOW", (0, r), (-1, r), 0.75, layout.ACCENT))]
            + [("TEXTCOLOR", (1, r - len(mo.movements) - 1), (1, r - len(mo.movements) - 1), layout.MUTED)
               for r, mo in zip(closing_rows, c.months)]))
        story.append(table)
    story += [
        Spacer(1, 6),
        layout.para("A wallet holds settled premium (and remit receipts) less the carrier's fees, owed to the "
                    "carrier; movements that add are positive, those that take are negative. Months follow the "
                    "business date of each ledger transaction.", layout.SMALL),
    ]
    return layout.render_pdf(
        story, title=f"Carrier wallet movements through {report.as_of.isoformat()}",
        running_header=f"Carrier wallet movements  |  through {when}",
        footer_note="Amounts in US dollars. Negative amounts take from the wallet.")
