"""Invoice debit schedule as columns: the debit date, presentment and bank-details version noticed.

Until 0001 these lived only in the text of an `invoice_status_history` reason
(`[debit presentment=P date=YYYY-MM-DD bank_details_version=V]`) and were parsed back. Now
`invoices.debit_date`, `debit_presentment` (1-3) and `debit_bank_details_version` hold them, all
NULL or all set (CHECKs). Hand-written: batch mode adds the columns with plain ALTER TABLE ... ADD
COLUMN on SQLite (no table rebuild, which foreign keys ON would make unsafe with rows referencing
invoices), each CHECK carried inline by its column; PostgreSQL gets the same columns and CHECKs.
Existing scheduled/in-flight invoices are backfilled once, here, from the marker of their latest
`-> scheduled` history row; nothing reads that text afterwards.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-15
"""

import re
from collections.abc import Sequence
from datetime import date

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PRESENTMENT_CHECK = "debit_presentment IS NULL OR debit_presentment BETWEEN 1 AND 3"
ALL_OR_NOTHING_CHECK = (
    "(debit_date IS NULL AND debit_presentment IS NULL AND debit_bank_details_version IS NULL)"
    " OR (debit_date IS NOT NULL AND debit_presentment IS NOT NULL AND debit_bank_details_version IS NOT NULL)"
)
MARKER = re.compile(r"\[debit presentment=(\d) date=(\d{4}-\d{2}-\d{2}) bank_details_version=(\d+)\]")


def upgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('debit_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column(
            'debit_presentment', sa.Integer(),
            sa.CheckConstraint(PRESENTMENT_CHECK, name=op.f('ck_invoices_debit_presentment_1_to_3')),
            nullable=True))
        batch_op.add_column(sa.Column(
            'debit_bank_details_version', sa.Integer(),
            sa.CheckConstraint(ALL_OR_NOTHING_CHECK, name=op.f('ck_invoices_debit_schedule_all_or_nothing')),
            nullable=True))
    _backfill()


def _backfill() -> None:
    """One-off: the marker of each noticed invoice's latest `-> scheduled` row becomes its columns."""
    conn = op.get_bind()
    invoices = sa.table('invoices', sa.column('id', sa.Integer), sa.column('status', sa.String),
                        sa.column('debit_date', sa.Date), sa.column('debit_presentment', sa.Integer),
                        sa.column('debit_bank_details_version', sa.Integer))
    history = sa.table('invoice_status_history', sa.column('id', sa.Integer), sa.column('invoice_id', sa.Integer),
                       sa.column('to_status', sa.String), sa.column('reason', sa.Text))
    rows = conn.execute(
        sa.select(history.c.invoice_id, history.c.reason)
        .join(invoices, invoices.c.id == history.c.invoice_id)
        .where(history.c.to_status == 'scheduled', invoices.c.status.in_(('scheduled', 'in_flight')))
        .order_by(history.c.id)
    ).all()
    latest: dict[int, str] = {}
    for invoice_id, reason in rows:
        latest[invoice_id] = reason or ''  # ordered by id: the last one wins
    for invoice_id, reason in latest.items():
        found = MARKER.search(reason)
        if found is None:
            continue
        conn.execute(invoices.update().where(invoices.c.id == invoice_id).values(
            debit_presentment=int(found[1]), debit_date=date.fromisoformat(found[2]),
            debit_bank_details_version=int(found[3])))


def downgrade() -> None:
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_column('debit_bank_details_version')
        batch_op.drop_column('debit_presentment')
        batch_op.drop_column('debit_date')
