"""The monthly carrier statement: settled premium credited to the carrier's wallet, minus fees, minus clawbacks.

Rule (Audit1 billing guide, seeds/004; domain.md "Billing models"): the carrier's wallet receives
settled premium only; the platform charges the fee of the carrier's billing model: flat (a fixed
monthly fee, paid by the carrier), percentage (a share of collected premium, paid by the carrier),
a one-time setup fee per new policy (paid by the carrier), and cycle-based (a fee per payroll
cycle, paid by the EMPLOYER on its invoice, so it is listed for information and not deducted).
A late ACH return claws settled money back explicitly (domain.md invariant 7).

    net = settled premium - fees paid by the carrier - clawbacks

Worked example: settled 1,000,000 cents; percentage 5% = 50,000; flat 100,000; setup 25,000;
cycle-based 2,000 (paid by employers, not deducted); clawbacks 12,345.
net = 1,000,000 - (50,000 + 100,000 + 25,000) - 12,345 = 812,655 cents = $8,126.55.
The rows (one per policy) must add up to the statement's settled premium and clawbacks; their
fees are the share attributable to a policy (percentage, setup, per-policy overrides), so a
carrier-level flat fee appears only in the statement's fee list.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from reportlab.lib.units import inch
from reportlab.platypus import Flowable, Spacer

from paygo.documents import layout
from paygo.documents.invoice_pdf import Employer
from paygo.documents.layout import dollars, fein_text, plain_dollars


class BillingModel(StrEnum):
    FLAT = "flat"
    PERCENTAGE = "percentage"
    SETUP = "setup"
    CYCLE_BASED = "cycle_based"

    @property
    def paid_by_carrier(self) -> bool:
        """Cycle-based fees are paid by the employer on its invoice; the others by the carrier."""
        return self is not BillingModel.CYCLE_BASED


MODEL_NAMES = {
    BillingModel.FLAT: "Flat monthly fee",
    BillingModel.PERCENTAGE: "Percentage of collected premium",
    BillingModel.SETUP: "Setup fee, new policies",
    BillingModel.CYCLE_BASED: "Cycle-based fee (paid by employers)",
}


@dataclass(frozen=True)
class StatementFee:
    model: BillingModel
    description: str  # e.g. "5% of $10,000.00", "3 new policies x $250.00"
    amount_cents: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "model", BillingModel(self.model))  # "flat" -> BillingModel.FLAT


@dataclass(frozen=True)
class StatementRow:
    """One policy's month: what settled, its attributable carrier-paid fees, clawbacks."""

    policy_number: str
    employer: Employer
    settled_premium_cents: int
    fees_cents: int
    clawbacks_cents: int

    @property
    def net_cents(self) -> int:
        return self.settled_premium_cents - self.fees_cents - self.clawbacks_cents


@dataclass(frozen=True)
class CarrierStatement:
    carrier_name: str
    month: date  # the first day of the statement month
    issue_date: date
    settled_premium_cents: int
    fees: tuple[StatementFee, ...]
    clawbacks_cents: int
    net_cents: int
    rows: tuple[StatementRow, ...]

    def __post_init__(self) -> None:
        if self.month.day != 1:
            raise ValueError("month is the first day of the statement month")
        expected = self.settled_premium_cents - self.carrier_fees_cents - self.clawbacks_cents
        if self.net_cents != expected:
            raise ValueError(f"net {self.net_cents} != settled - carrier fees - clawbacks = {expected}")
        row_settled = sum(row.settled_premium_cents for row in self.rows)
        if row_settled != self.settled_premium_cents:
            raise ValueError(f"rows settle {row_settled}, statement says {self.settled_premium_cents}")
        row_clawbacks = sum(row.clawbacks_cents for row in self.rows)
        if row_clawbacks != self.clawbacks_cents:
            raise ValueError(f"rows claw back {row_clawbacks}, statement says {self.clawbacks_cents}")

    @property
    def carrier_fees_cents(self) -> int:
        return sum(fee.amount_cents for fee in self.fees if fee.model.paid_by_carrier)

    @property
    def month_text(self) -> str:
        return f"{self.month:%B %Y}"


def render_statement_pdf(statement: CarrierStatement) -> bytes:
    """The statement as deterministic PDF bytes."""
    s = statement
    carrier_fees = [fee for fee in s.fees if fee.model.paid_by_carrier]
    employer_fees = [fee for fee in s.fees if not fee.model.paid_by_carrier]
    story: list[Flowable] = [
        layout.para("CARRIER STATEMENT", layout.TITLE),
        layout.para(f"{s.carrier_name}  |  {s.month_text}  |  issued {layout.date_text(s.issue_date)}", layout.BODY),
        Spacer(1, 10),
        layout.rich("<b>Summary</b>", layout.HEADING),
        layout.totals_box(
            [
                ("Settled premium", dollars(s.settled_premium_cents)),
                ("Platform fees (carrier)", dollars(-s.carrier_fees_cents)),
                ("Clawbacks (late returns)", dollars(-s.clawbacks_cents)),
                ("NET TO CARRIER WALLET", dollars(s.net_cents)),
            ]
        ),
        layout.rich("<b>Platform fees by billing model</b>", layout.HEADING),
    ]
    fee_widths = [2.4 * inch, layout.CONTENT_WIDTH - 4.0 * inch, 1.6 * inch]
    story.append(
        layout.data_table(
            ["Billing model", "Basis", "Amount"],
            [[MODEL_NAMES[fee.model], fee.description, dollars(fee.amount_cents)] for fee in carrier_fees],
            fee_widths,
            right_cols=(2,),
            total_rows=[["Total fees charged to the carrier", "", dollars(s.carrier_fees_cents)]],
        )
    )
    if employer_fees:
        story += [
            Spacer(1, 4),
            layout.para("Paid by employers on their invoices; shown for information, not deducted:", layout.SMALL),
            layout.data_table(
                ["Billing model", "Basis", "Amount"],
                [[MODEL_NAMES[fee.model], fee.description, dollars(fee.amount_cents)] for fee in employer_fees],
                fee_widths,
                right_cols=(2,),
            ),
        ]
    widths = [1.05 * inch, 1.75 * inch, 0.8 * inch, 0.95 * inch, 0.8 * inch, 0.85 * inch]
    widths.append(layout.CONTENT_WIDTH - sum(widths))
    rows = [
        [
            row.policy_number,
            layout.para(row.employer.name, layout.CELL),
            fein_text(row.employer.fein),
            dollars(row.settled_premium_cents),
            dollars(-row.fees_cents),
            dollars(-row.clawbacks_cents),
            dollars(row.net_cents),
        ]
        for row in s.rows
    ]
    story += [
        layout.rich("<b>By policy</b>", layout.HEADING),
        layout.data_table(
            ["Policy no.", "Employer", "FEIN", "Settled", "Fees", "Clawbacks", "Net"],
            rows,
            widths,
            right_cols=(3, 4, 5, 6),
            total_rows=[
                [
                    "Total",
                    "",
                    "",
                    dollars(s.settled_premium_cents),
                    dollars(-sum(row.fees_cents for row in s.rows)),
                    dollars(-s.clawbacks_cents),
                    dollars(sum(row.net_cents for row in s.rows)),
                ]
            ],
        ),
        Spacer(1, 4),
        layout.para(
            "Policy fees are the fees attributable to a policy (percentage, setup); a carrier-level flat fee "
            "appears only in the fee table above.",
            layout.SMALL,
        ),
    ]
    return layout.render_pdf(
        story,
        title=f"Carrier statement {s.carrier_name} {s.month_text}",
        running_header=f"Carrier statement  |  {s.carrier_name}  |  {s.month_text}",
        footer_note="Amounts in US dollars. Deductions are shown as negative amounts.",
    )


CSV_COLUMNS = [
    "line", "carrier", "month", "policy_number", "employer_name", "employer_fein", "description",
    "settled_premium", "fees", "clawbacks", "net",
]


def statement_csv(statement: CarrierStatement) -> str:
    """The statement as CSV: one `policy` line per row, one `fee` line per fee, one `total` line.

    Amounts are dollars with two decimals and no separators ("1234.56"); fees and clawbacks are
    positive amounts in their own columns, net = settled - fees - clawbacks. A cycle-based `fee`
    line (paid by employers) has an empty net because it is not deducted.
    """
    s = statement
    month = f"{s.month:%Y-%m}"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in s.rows:
        writer.writerow(
            ["policy", s.carrier_name, month, row.policy_number, row.employer.name, fein_text(row.employer.fein), "",
             plain_dollars(row.settled_premium_cents), plain_dollars(row.fees_cents),
             plain_dollars(row.clawbacks_cents), plain_dollars(row.net_cents)]
        )
    for fee in s.fees:
        deducted = plain_dollars(-fee.amount_cents) if fee.model.paid_by_carrier else ""
        writer.writerow(
            [f"fee:{fee.model.value}", s.carrier_name, month, "", "", "", fee.description, "",
             plain_dollars(fee.amount_cents), "", deducted]
        )
    writer.writerow(
        ["total", s.carrier_name, month, "", "", "", "", plain_dollars(s.settled_premium_cents),
         plain_dollars(s.carrier_fees_cents), plain_dollars(s.clawbacks_cents), plain_dollars(s.net_cents)]
    )
    return out.getvalue()
