"""Closing every debt (issue 12): remit payments, bank-detail versions, write-offs, carrier payouts.

- `invoices.status` may be `written_off`; `invoice_status_history.event` may be `remitted`,
  `represented` or `written_off` (paygo.states). SQLite rebuilds both tables for their CHECKs, as
  0004 did (foreign keys OFF around it: paygo.db.migrate.upgrade).
- `payments` (one per payer and reference) and `payment_applications` (cents of a payment applied
  to an invoice); `employer_bank_accounts` (every version of an employer's bank details, backfilled
  with the current ones as version `bank_details_version`, source `reference`).
- `carriers`: billing email, payout bank account (encrypted, last four), payout minimum;
  `payroll_companies.billing_email`; `payouts` (one per carrier per payout day, its CCD credit).
- `notifications`: `attempts`, `last_error`, `failed_at` (a refused address or a missing contact
  fails that message only and is shown to ops; a temporary failure is retried).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = ('issued', 'scheduled', 'in_flight', 'paid', 'failed', 'void', 'netted', 'written_off')
OLD_STATUSES = ('issued', 'scheduled', 'in_flight', 'paid', 'failed', 'void', 'netted')
EVENTS = ('issued', 'noticed', 'recorded', 'settled', 'returned_for_retry', 'failed', 'voided', 'nothing_due',
          'netted', 'withdrawn', 'remitted', 'represented', 'written_off')
OLD_EVENTS = EVENTS[:10]
LIVE_WHERE = "kind = 'invoice' AND status <> 'void'"


def _in(column: str, values: Sequence) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _statuses(statuses: Sequence[str], events: Sequence[str]) -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    recreate = 'always' if sqlite else 'auto'
    if sqlite:
        op.drop_index('uq_invoices_live_per_run', table_name='invoices')
    with op.batch_alter_table('invoices', schema=None, recreate=recreate) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoices_status'), type_='check')
        batch_op.create_check_constraint('status', _in('status', statuses))
    if sqlite:
        op.create_index('uq_invoices_live_per_run', 'invoices', ['policy_id', 'employer_id', 'payroll_run_id'],
                        unique=True, sqlite_where=sa.text(LIVE_WHERE))
    with op.batch_alter_table('invoice_status_history', schema=None, recreate=recreate) as batch_op:
        batch_op.drop_constraint(op.f('ck_invoice_status_history_from_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_invoice_status_history_to_status'), type_='check')
        batch_op.drop_constraint(op.f('ck_invoice_status_history_event'), type_='check')
        batch_op.create_check_constraint('from_status', f"from_status IS NULL OR {_in('from_status', statuses)}")
        batch_op.create_check_constraint('to_status', _in('to_status', statuses))
        batch_op.create_check_constraint('event', _in('event', events))


def upgrade() -> None:
    _statuses(STATUSES, EVENTS)
    sqlite = op.get_bind().dialect.name == 'sqlite'
    op.add_column('payroll_companies', sa.Column('billing_email', sa.String(length=320), nullable=True))
    with op.batch_alter_table('carriers', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        batch_op.add_column(sa.Column('billing_email', sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column('bank_routing', sa.String(length=9), nullable=True))
        batch_op.add_column(sa.Column('bank_account_ciphertext', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('bank_account_last4', sa.String(length=4), nullable=True))
        batch_op.add_column(sa.Column('bank_account_type', sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column('payout_minimum_cents', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.create_check_constraint('account_type', "bank_account_type IS NULL OR bank_account_type IN "
                                                         "('checking', 'savings')")
        batch_op.create_check_constraint('routing_9_digits', 'bank_routing IS NULL OR length(bank_routing) = 9')
        batch_op.create_check_constraint(
            'bank_all_or_nothing',
            "(bank_routing IS NULL AND bank_account_ciphertext IS NULL AND bank_account_last4 IS NULL"
            " AND bank_account_type IS NULL) OR (bank_routing IS NOT NULL AND bank_account_ciphertext"
            " IS NOT NULL AND bank_account_last4 IS NOT NULL AND bank_account_type IS NOT NULL)")
        batch_op.create_check_constraint('payout_minimum_not_negative', 'payout_minimum_cents >= 0')
    op.create_table(
        'employer_bank_accounts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employer_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('routing', sa.String(length=9), nullable=False),
        sa.Column('account_ciphertext', sa.Text(), nullable=False),
        sa.Column('account_last4', sa.String(length=4), nullable=False),
        sa.Column('account_type', sa.String(length=8), nullable=False),
        sa.Column('source', sa.String(length=16), nullable=False),
        sa.Column('effective_on', sa.Date(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("account_type IN ('checking', 'savings')", name=op.f('ck_employer_bank_accounts_account_type')),
        sa.CheckConstraint("source IN ('reference', 'noc', 'set_bank')", name=op.f('ck_employer_bank_accounts_source')),
        sa.CheckConstraint('length(routing) = 9', name=op.f('ck_employer_bank_accounts_routing_9_digits')),
        sa.ForeignKeyConstraint(['employer_id'], ['employers.id'],
                                name=op.f('fk_employer_bank_accounts_employer_id_employers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_bank_accounts')),
        sa.UniqueConstraint('employer_id', 'version', name='uq_employer_bank_accounts_version'),
    )
    op.create_table(
        'payments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=32), nullable=False),
        sa.Column('payer_kind', sa.String(length=16), nullable=False),
        sa.Column('payer_id', sa.String(length=64), nullable=False),
        sa.Column('reference', sa.String(length=200), nullable=False),
        sa.Column('method', sa.String(length=16), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('received_on', sa.Date(), nullable=False),
        sa.Column('remit_bill_id', sa.Integer(), nullable=True),
        sa.Column('invoice_id', sa.Integer(), nullable=True),
        sa.Column('source', sa.String(length=200), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("payer_kind IN ('payroll_company', 'employer')", name=op.f('ck_payments_payer_kind')),
        sa.CheckConstraint("method IN ('check', 'wire', 'ach_credit', 'lockbox')", name=op.f('ck_payments_method')),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payments_amount_positive')),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_payments_invoice_id_invoices')),
        sa.ForeignKeyConstraint(['remit_bill_id'], ['remit_bills.id'],
                                name=op.f('fk_payments_remit_bill_id_remit_bills')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payments')),
        sa.UniqueConstraint('number', name=op.f('uq_payments_number')),
        sa.UniqueConstraint('payer_kind', 'payer_id', 'reference', name='uq_payments_payer_reference'),
    )
    op.create_index(op.f('ix_payments_invoice_id'), 'payments', ['invoice_id'], unique=False)
    op.create_index(op.f('ix_payments_remit_bill_id'), 'payments', ['remit_bill_id'], unique=False)
    op.create_table(
        'payment_applications',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('payment_id', sa.Integer(), nullable=False),
        sa.Column('invoice_id', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('applied_on', sa.Date(), nullable=False),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payment_applications_amount_positive')),
        sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'],
                                name=op.f('fk_payment_applications_invoice_id_invoices')),
        sa.ForeignKeyConstraint(['payment_id'], ['payments.id'],
                                name=op.f('fk_payment_applications_payment_id_payments')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_applications')),
        sa.UniqueConstraint('payment_id', 'invoice_id', name='uq_payment_applications_payment_invoice'),
    )
    op.create_index(op.f('ix_payment_applications_invoice_id'), 'payment_applications', ['invoice_id'], unique=False)
    op.create_table(
        'payouts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('carrier_id', sa.String(length=64), nullable=False),
        sa.Column('payout_date', sa.Date(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('ach_file_id', sa.Integer(), nullable=False),
        sa.Column('trace_number', sa.String(length=15), nullable=False),
        sa.Column('transaction_code', sa.Integer(), nullable=False),
        sa.Column('effective_date', sa.Date(), nullable=False),
        sa.Column('routing', sa.String(length=9), nullable=False),
        sa.Column('account_last4', sa.String(length=4), nullable=False),
        sa.Column('wallet_balance_cents', sa.BigInteger(), nullable=False),
        sa.Column('reserve_cents', sa.BigInteger(), nullable=False),
        sa.Column('ledger_cutoff_id', sa.Integer(), nullable=False),
        sa.Column('return_code', sa.String(length=3), nullable=True),
        sa.Column('statement_pdf_path', sa.String(length=1000), nullable=True),
        sa.Column('statement_csv_path', sa.String(length=1000), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('settled_on', sa.Date(), nullable=True),
        sa.Column('returned_on', sa.Date(), nullable=True),
        sa.CheckConstraint('amount_cents > 0', name=op.f('ck_payouts_amount_positive')),
        sa.CheckConstraint("status IN ('in_flight', 'settled', 'returned')", name=op.f('ck_payouts_status')),
        sa.CheckConstraint('transaction_code IN (22, 32)', name=op.f('ck_payouts_transaction_code')),
        sa.CheckConstraint('length(trace_number) = 15', name=op.f('ck_payouts_trace_15_digits')),
        sa.CheckConstraint('length(routing) = 9', name=op.f('ck_payouts_routing_9_digits')),
        sa.CheckConstraint('reserve_cents >= 0', name=op.f('ck_payouts_reserve_not_negative')),
        sa.CheckConstraint('amount_cents + reserve_cents <= wallet_balance_cents',
                           name=op.f('ck_payouts_within_wallet_above_reserve')),
        sa.ForeignKeyConstraint(['ach_file_id'], ['ach_files.id'], name=op.f('fk_payouts_ach_file_id_ach_files')),
        sa.ForeignKeyConstraint(['carrier_id'], ['carriers.id'], name=op.f('fk_payouts_carrier_id_carriers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_payouts')),
        sa.UniqueConstraint('carrier_id', 'payout_date', name='uq_payouts_carrier_day'),
        sa.UniqueConstraint('ach_file_id', 'trace_number', name='uq_payouts_trace_in_file'),
    )
    op.create_index(op.f('ix_payouts_carrier_id'), 'payouts', ['carrier_id'], unique=False)
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attempts', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_error', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('failed_at', sa.DateTime(timezone=True), nullable=True))
    _backfill_bank_versions()


def _backfill_bank_versions() -> None:
    employers = sa.table('employers', sa.column('id', sa.Integer), sa.column('bank_routing', sa.String),
                         sa.column('bank_account_ciphertext', sa.Text), sa.column('bank_account_last4', sa.String),
                         sa.column('bank_account_type', sa.String), sa.column('bank_details_version', sa.Integer))
    history = sa.table('employer_bank_accounts', sa.column('employer_id', sa.Integer), sa.column('version', sa.Integer),
                       sa.column('routing', sa.String), sa.column('account_ciphertext', sa.Text),
                       sa.column('account_last4', sa.String), sa.column('account_type', sa.String),
                       sa.column('source', sa.String), sa.column('effective_on', sa.Date),
                       sa.column('recorded_at', sa.DateTime(timezone=True)))
    conn = op.get_bind()
    rows = conn.execute(sa.select(employers).where(employers.c.bank_routing.is_not(None))).all()
    from datetime import datetime, timezone
    now = datetime.now(timezone.utc)
    if rows:
        conn.execute(history.insert(), [
            {'employer_id': r.id, 'version': r.bank_details_version, 'routing': r.bank_routing,
             'account_ciphertext': r.bank_account_ciphertext, 'account_last4': r.bank_account_last4,
             'account_type': r.bank_account_type, 'source': 'reference', 'effective_on': now.date(),
             'recorded_at': now} for r in rows])


def downgrade() -> None:
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        for col in ('failed_at', 'last_error', 'attempts'):
            batch_op.drop_column(col)
    op.drop_index(op.f('ix_payouts_carrier_id'), table_name='payouts')
    op.drop_table('payouts')
    op.drop_index(op.f('ix_payment_applications_invoice_id'), table_name='payment_applications')
    op.drop_table('payment_applications')
    op.drop_index(op.f('ix_payments_remit_bill_id'), table_name='payments')
    op.drop_index(op.f('ix_payments_invoice_id'), table_name='payments')
    op.drop_table('payments')
    op.drop_table('employer_bank_accounts')
    sqlite = op.get_bind().dialect.name == 'sqlite'
    with op.batch_alter_table('carriers', schema=None, recreate='always' if sqlite else 'auto') as batch_op:
        for ck in ('account_type', 'routing_9_digits', 'bank_all_or_nothing', 'payout_minimum_not_negative'):
            batch_op.drop_constraint(op.f(f'ck_carriers_{ck}'), type_='check')
        for col in ('payout_minimum_cents', 'bank_account_type', 'bank_account_last4', 'bank_account_ciphertext',
                    'bank_routing', 'billing_email'):
            batch_op.drop_column(col)
    with op.batch_alter_table('payroll_companies', schema=None) as batch_op:
        batch_op.drop_column('billing_email')
    _statuses(OLD_STATUSES, OLD_EVENTS)
