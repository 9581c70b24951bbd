"""The money lifecycle (paygo.states): events and business dates on every status change.

- `invoices.status` may also be `netted` (a credit whose money never settled, cancelled against
  what the employer owes); `invoices.issue_date` is the business date the invoice was issued
  (`issued_at` stays the audit timestamp), backfilled from `issued_at`.
- `invoice_status_history.event` (an event of paygo.states.INVOICE_EVENTS) and `business_date`,
  backfilled from the status moved to and the audit timestamp's date.
- `ach_entries.settled_on` / `returned_on`: the business dates (the `*_at` columns stay audit).
Hand-written. The CHECK constraints on statuses can only change by rebuilding the table on
SQLite: batch mode copies `invoices` and `invoice_status_history` with foreign keys OFF
(`paygo.db.migrate.upgrade` turns them off around migrations on SQLite and runs
`PRAGMA foreign_key_check` before committing), and the partial unique index is created again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ('issued', 'scheduled', 'in_flight', 'paid', 'failed', 'void', 'netted')
OLD_STATUSES = ('issued', 'scheduled', 'in_flight', 'paid', 'failed', 'void')
EVENTS = ('issued', 'noticed', 'recorded', 'settled', 'returned_for_retry', 'failed', 'voided', 'nothing_due',
          'netted', 'withdrawn')
# the event that most plausibly led to each status, for rows written before events were recorded
BACKFILL_EVENT = {'issued': 'issued', 'scheduled': 'noticed', 'in_flight': 'recorded', 'paid': 'settled',
                  'failed': 'failed', 'void': 'voided'}
LIVE_WHERE = "kind = 'invoice' AND status <> 'void'"


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        op.drop_index('uq_invoices_live_per_run', table_name='invoices')
    with op.batch_alter_table('invoices', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_invoices_status'), type_='check')
        batch_op.create_check_constraint('status', _in('status', STATUSES))
        batch_op.add_column(sa.Column('issue_date', sa.Date(), nullable=True))
    if sqlite:
        op.create_index('uq_invoices_live_per_run', 'invoices', ['policy_id', 'employer_id', 'payroll_run_id'],
                        unique=True, sqlite_where=sa.text(LIVE_WHERE))
    with op.batch_alter_table('invoice_status_history', schema=None,
                              recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_invoice_status_history_from_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_invoice_status_history_to_status'), type_='check')
        batch_op.create_check_constraint('from_status', f"from_status IS NULL OR {_in('from_status', STATUSES)}")
        batch_op.create_check_constraint('to_status', _in('to_status', STATUSES))
        batch_op.add_column(sa.Column('event', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('business_date', sa.Date(), nullable=True))
    with op.batch_alter_table('ach_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('returned_on', sa.Date(), nullable=True))
    _backfill()
    with op.batch_alter_table('invoice_status_history', schema=None,
                              recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.alter_column('event', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('business_date', existing_type=sa.Date(), nullable=False)
        batch_op.create_check_constraint('event', _in('event', EVENTS))


def _backfill() -> None:
    conn = op.get_bind()
    invoices = sa.table('invoices', sa.column('issued_at', sa.DateTime(timezone=True)),
                        sa.column('issue_date', sa.Date))
    history = sa.table('invoice_status_history', sa.column('to_status', sa.String), sa.column('event', sa.String),
                       sa.column('changed_at', sa.DateTime(timezone=True)), sa.column('business_date', sa.Date))
    entries = sa.table('ach_entries', sa.column('settled_at', sa.DateTime(timezone=True)),
                       sa.column('settled_on', sa.Date), sa.column('returned_at', sa.DateTime(timezone=True)),
                       sa.column('returned_on', sa.Date))
    day = (lambda c: sa.func.date(c)) if conn.dialect.name == 'sqlite' else (lambda c: sa.cast(c, sa.Date))
    conn.execute(invoices.update().values(issue_date=day(invoices.c.issued_at)))
    conn.execute(history.update().values(business_date=day(history.c.changed_at)))
    for status, event in BACKFILL_EVENT.items():
        conn.execute(history.update().where(history.c.to_status == status).values(event=event))
    conn.execute(entries.update().where(entries.c.settled_at.is_not(None)).values(settled_on=day(entries.c.settled_at)))
    conn.execute(entries.update().where(entries.c.returned_at.is_not(None))
                 .values(returned_on=day(entries.c.returned_at)))


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('ach_entries', schema=None) as batch_op:
        batch_op.drop_column('returned_on')
        batch_op.drop_column('settled_on')
    with op.batch_alter_table('invoice_status_history', schema=None,
                              recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_constraint(op.f('ck_invoice_status_history_event'), type_='check')
        batch_op.drop_column('business_date')
        batch_op.drop_column('event')
        batch_op.drop_constraint(op.f('ck_invoice_status_history_from_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_invoice_status_history_to_status'), type_='check')
        batch_op.create_check_constraint('from_status', f"from_status IS NULL OR {_in('from_status', OLD_STATUSES)}")
        batch_op.create_check_constraint('to_status', _in('to_status', OLD_STATUSES))
    if sqlite:
        op.drop_index('uq_invoices_live_per_run', table_name='invoices')
    with op.batch_alter_table('invoices', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.drop_column('issue_date')
        batch_op.drop_constraint(op.f('ck_invoices_status'), type_='check')
        batch_op.create_check_constraint('status', _in('status', OLD_STATUSES))
    if sqlite:
        op.create_index('uq_invoices_live_per_run', 'invoices', ['policy_id', 'employer_id', 'payroll_run_id'],
                        unique=True, sqlite_where=sa.text(LIVE_WHERE))
