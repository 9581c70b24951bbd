"""Consolidated remit bills as rows: `remit_bills`, and `invoices.remit_bill_id` linking each remit invoice.

Until 0002 the consolidated bill of a payroll company's remit invoices was only computed when its PDF
was drawn, so an invoice arriving after the bill was sent silently changed the "same" bill. Now a
bill is a row with its own number (UNIQUE, from the `remit_bill` counter), period, sequence (1 the
month's bill, 2+ supplementary bills for late invoices; UNIQUE per company and period), issue and
due dates, total and status; invoices point at the bill that lists them. Hand-written: the new
table is created on both backends; on SQLite batch mode adds the invoice column with a plain
ALTER TABLE ... ADD COLUMN (no table rebuild, unsafe with foreign keys ON and rows referencing
invoices), its foreign key carried inline by the column. Nothing to backfill: existing remit
invoices are simply not yet on a bill, and the next `issue_remit_bills` bills every ended month.

Revision ID: 0003
Revises: 0002
Create Date: 2026-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK = 'fk_invoices_remit_bill_id_remit_bills'


def upgrade() -> None:
    op.create_table(
        'remit_bills',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('payroll_company_id', sa.String(length=64), nullable=False),
        sa.Column('period_start', sa.Date(), nullable=False),
        sa.Column('period_end', sa.Date(), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('due_date', sa.Date(), nullable=False),
        sa.Column('total_cents', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('pdf_path', sa.String(length=1000), nullable=True),
        sa.CheckConstraint("status IN ('issued', 'paid', 'void')", name=op.f('ck_remit_bills_status')),
        sa.CheckConstraint('sequence >= 1', name=op.f('ck_remit_bills_sequence_positive')),
        sa.CheckConstraint('period_start <= period_end', name=op.f('ck_remit_bills_period_ordered')),
        sa.ForeignKeyConstraint(['payroll_company_id'], ['payroll_companies.id'],
                                name=op.f('fk_remit_bills_payroll_company_id_payroll_companies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_remit_bills')),
        sa.UniqueConstraint('number', name=op.f('uq_remit_bills_number')),
        sa.UniqueConstraint('payroll_company_id', 'period_start', 'sequence', name='uq_remit_bills_period_sequence'),
    )
    with op.batch_alter_table('remit_bills', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_remit_bills_payroll_company_id'), ['payroll_company_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        # ADD COLUMN with the foreign key inline: alembic's batch mode would rebuild the table for it.
        op.execute(f'ALTER TABLE invoices ADD COLUMN remit_bill_id INTEGER CONSTRAINT {FK} REFERENCES remit_bills (id)')
    else:
        op.add_column('invoices', sa.Column('remit_bill_id', sa.Integer(), nullable=True))
        op.create_foreign_key(op.f(FK), 'invoices', 'remit_bills', ['remit_bill_id'], ['id'])
    op.create_index(op.f('ix_invoices_remit_bill_id'), 'invoices', ['remit_bill_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_invoices_remit_bill_id'), table_name='invoices')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE invoices DROP COLUMN remit_bill_id')  # SQLite >= 3.35; no rebuild
    else:
        op.drop_constraint(op.f(FK), 'invoices', type_='foreignkey')
        op.drop_column('invoices', 'remit_bill_id')
    with op.batch_alter_table('remit_bills', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_remit_bills_payroll_company_id'))
    op.drop_table('remit_bills')
