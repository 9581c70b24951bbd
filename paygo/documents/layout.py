"""Shared look of the documents finance reads: page, fonts, money and date text, tables, page frame.

Rules every paygo PDF follows (so an invoice and a carrier statement read the same way):
- Money is integer cents shown as dollars with a sign in front: 123456 -> "$1,234.56",
  -1234 -> "-$12.34" (never parentheses), through `paygo.billing.money.format_cents`.
- A FEIN is shown as 12-3456789; dates as "Mar 14, 2025" (no day/month order to misread).
- Bytes are deterministic: reportlab's `invariant=1` fixes the creation date and document id,
  so the same document renders to the same bytes (golden tests depend on it).
- Every page carries a running header (what the document is) and "Page n of m" in the footer;
  a long table flows onto further pages with its column header repeated.
- An optional stamp ("VOID") is drawn large and diagonal across every page.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import date
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Table, TableStyle

from paygo.billing.money import format_cents

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 0.6 * inch
FRAME_PADDING = 6  # reportlab's default frame padding: content starts 6 points inside the margin
CONTENT_LEFT = MARGIN + FRAME_PADDING
CONTENT_WIDTH = PAGE_WIDTH - 2 * CONTENT_LEFT

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
SHADE = colors.HexColor("#f0f4f8")
ACCENT = colors.HexColor("#243b53")
STAMP_RED = colors.HexColor("#c62828")

FEIN_DIGITS = re.compile(r"[0-9]{9}")

TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=20, leading=24, textColor=INK)
HEADING = ParagraphStyle(
    "heading", fontName="Helvetica-Bold", fontSize=10.5, leading=14, textColor=ACCENT, spaceBefore=10, spaceAfter=4
)
BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=9, leading=12, textColor=INK)
SMALL = ParagraphStyle("small", fontName="Helvetica", fontSize=7.5, leading=9.5, textColor=MUTED)
CELL = ParagraphStyle("cell", fontName="Helvetica", fontSize=8.5, leading=10.5, textColor=INK)
CELL_RIGHT = ParagraphStyle("cell_right", parent=CELL, alignment=TA_RIGHT)
BANNER = ParagraphStyle("banner", fontName="Helvetica-Bold", fontSize=11, leading=14, textColor=colors.white)


def dollars(cents: int) -> str:
    """123456 -> "$1,234.56"; -1234 -> "-$12.34"; 0 -> "$0.00"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money must be integer cents, got {type(cents).__name__}")
    text = format_cents(cents)
    return f"-${text[1:]}" if text.startswith("-") else f"${text}"


def plain_dollars(cents: int) -> str:
    """Dollars for a CSV cell, no separators: 123456 -> "1234.56"; -1234 -> "-12.34"."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError(f"money must be integer cents, got {type(cents).__name__}")
    return format_cents(cents).replace(",", "")


def fein_text(fein: str) -> str:
    """"123456789" -> "12-3456789"."""
    if not FEIN_DIGITS.fullmatch(fein):
        raise ValueError("a FEIN is 9 digits")
    return f"{fein[:2]}-{fein[2:]}"


def date_text(day: date) -> str:
    """date(2025, 3, 4) -> "Mar 4, 2025"."""
    return f"{day:%b} {day.day}, {day.year}"


def period_text(start: date, end: date) -> str:
    """"Mar 1, 2025 to Mar 14, 2025"."""
    return f"{date_text(start)} to {date_text(end)}"


def para(text: str, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of plain text (escaped: "Smith & Sons" stays literal)."""
    return Paragraph(escape(text), style)


def rich(markup: str, style: ParagraphStyle = BODY) -> Paragraph:
    """A paragraph of reportlab mini-markup the caller has escaped (<b>, <br/>)."""
    return Paragraph(markup, style)


def bold_label(label: str, value: str) -> str:
    """Markup "<b>label</b> value", both escaped."""
    return f"<b>{escape(label)}</b> {escape(value)}"


def field_block(title: str, pairs: Sequence[tuple[str, str]], width: float) -> Table:
    """A titled block of label/value rows, e.g. "Bill to": Employer, FEIN, Policy."""
    rows: list[list[Flowable | str]] = [[rich(f"<b>{escape(title)}</b>", HEADING), ""]]
    rows += [[para(label, SMALL), para(value, CELL)] for label, value in pairs]
    table = Table(rows, colWidths=[width * 0.34, width * 0.66], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 1), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 1), (-1, -1), 1),
            ]
        )
    )
    return table


def side_by_side(left: Flowable, right: Flowable, gap: float = 0.3 * inch) -> Table:
    """Two blocks next to each other across the content width."""
    half = (CONTENT_WIDTH - gap) / 2
    table = Table([[left, "", right]], colWidths=[half, gap, half])
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0)])
    )
    return table


def data_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str | Flowable]],
    col_widths: Sequence[float],
    *,
    right_cols: Sequence[int] = (),
    total_rows: Sequence[Sequence[str]] = (),
) -> Table:
    """A ruled table whose header repeats on every page; `right_cols` hold numbers (right aligned).

    `total_rows` are appended in bold below a rule (subtotals, totals).
    """
    body = [list(header), *[list(r) for r in rows], *[list(t) for t in total_rows]]
    table = Table(body, colWidths=list(col_widths), repeatRows=1)
    first_total = 1 + len(rows)
    style: list[tuple] = [
        ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8.5),
        ("FONT", (0, 1), (-1, -1), "Helvetica", 8.5),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), SHADE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.75, ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if len(rows) > 1:
        style.append(("LINEBELOW", (0, 1), (-1, first_total - 2), 0.25, RULE))
    for col in right_cols:
        style.append(("ALIGN", (col, 0), (col, -1), "RIGHT"))
    if total_rows:
        style += [
            ("LINEABOVE", (0, first_total), (-1, first_total), 0.75, ACCENT),
            ("FONT", (0, first_total), (-1, -1), "Helvetica-Bold", 8.5),
        ]
    table.setStyle(TableStyle(style))
    return table


def totals_box(rows: Sequence[tuple[str, str]], *, emphasis_last: bool = True) -> Table:
    """Right-hand label/amount rows under a table; the last row (the total) is large and boxed."""
    table = Table([list(r) for r in rows], colWidths=[2.3 * inch, 1.5 * inch], hAlign="RIGHT")
    style: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), "Helvetica", 9),
        ("ALIGN", (1, 0), (1, -1), "RIGHT"),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if emphasis_last:
        style += [
            ("FONT", (0, -1), (-1, -1), "Helvetica-Bold", 11),
            ("BACKGROUND", (0, -1), (-1, -1), SHADE),
            ("LINEABOVE", (0, -1), (-1, -1), 1, ACCENT),
            ("TOPPADDING", (0, -1), (-1, -1), 5),
            ("BOTTOMPADDING", (0, -1), (-1, -1), 5),
        ]
    table.setStyle(TableStyle(style))
    return table


def banner(text: str, color: colors.Color) -> Table:
    """A full-width coloured strip with white bold text (status, VOID notice)."""
    table = Table([[para(text, BANNER)]], colWidths=[CONTENT_WIDTH])
    table.setStyle(
        TableStyle([("BACKGROUND", (0, 0), (-1, -1), color), ("TOPPADDING", (0, 0), (-1, -1), 5),
                    ("BOTTOMPADDING", (0, 0), (-1, -1), 6), ("LEFTPADDING", (0, 0), (-1, -1), 8)])
    )
    return table


def _page_frame_canvas(running_header: str, footer_note: str, stamp: str | None) -> type[Canvas]:
    """A Canvas that holds pages back until the end so each footer can say "Page n of m"."""

    class FramedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict] = []

        def showPage(self) -> None:  # noqa: N802 (reportlab's name)
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                self._decorate(number, total)
                super().showPage()
            super().save()

        def _decorate(self, number: int, total: int) -> None:
            self.saveState()
            top = PAGE_HEIGHT - 0.38 * inch
            self.setFont("Helvetica", 7.5)
            self.setFillColor(MUTED)
            self.drawString(CONTENT_LEFT, top, running_header)
            self.drawRightString(PAGE_WIDTH - CONTENT_LEFT, top, f"Page {number} of {total}")
            self.setStrokeColor(RULE)
            self.setLineWidth(0.5)
            self.line(CONTENT_LEFT, top - 4, PAGE_WIDTH - CONTENT_LEFT, top - 4)
            bottom = 0.35 * inch
            self.line(CONTENT_LEFT, bottom + 10, PAGE_WIDTH - CONTENT_LEFT, bottom + 10)
            self.drawString(CONTENT_LEFT, bottom, footer_note)
            self.drawRightString(PAGE_WIDTH - CONTENT_LEFT, bottom, f"Page {number} of {total}")
            if stamp:
                self.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
                self.rotate(35)
                self.setFillColor(STAMP_RED)
                self.setStrokeColor(STAMP_RED)
                self.setFillAlpha(0.18)
                self.setStrokeAlpha(0.35)
                self.setFont("Helvetica-Bold", 150)
                self.drawCentredString(0, -50, stamp)
            self.restoreState()

    return FramedCanvas


def render_pdf(
    story: list[Flowable], *, title: str, running_header: str, footer_note: str, stamp: str | None = None
) -> bytes:
    """Lay out `story` on US Letter pages with header, "Page n of m" footer and optional stamp."""
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=letter,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=0.6 * inch,
        bottomMargin=0.65 * inch,
        title=title,
        author="paygo",
        creator="paygo",
        producer="paygo",
        invariant=1,
    )
    doc.build(story, canvasmaker=_page_frame_canvas(running_header, footer_note, stamp))
    return buf.getvalue()
