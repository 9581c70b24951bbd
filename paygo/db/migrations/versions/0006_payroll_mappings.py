"""Payroll mappings (issue 13): mapping profiles, employee rosters, and how each file was read.

- `payroll_files.mapping_profile` (`id@version`) and `roster_versions` (`946123457@v2 ...`):
  nullable, so files ingested before mappings keep null. Plain ADD COLUMN on every backend (no
  constraint on them, so SQLite needs no table rebuild).
- `mapping_profiles`: one row per (profile id, version) loaded from the reference folder's
  `mappings/`, the TOML kept as text.
- `roster_versions` (one per employer and version) and `roster_assignments` (employee id ->
  state, class code, officer flag from a date on).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('payroll_files', sa.Column('mapping_profile', sa.String(length=100), nullable=True))
    op.add_column('payroll_files', sa.Column('roster_versions', sa.Text(), nullable=True))
    op.create_table(
        'mapping_profiles',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('profile_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.String(length=12), nullable=False),
        sa.Column('payroll_company_id', sa.String(length=64), nullable=False),
        sa.Column('employer_fein', sa.String(length=9), nullable=True),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['payroll_company_id'], ['payroll_companies.id'],
                                name=op.f('fk_mapping_profiles_payroll_company_id_payroll_companies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_mapping_profiles')),
        sa.UniqueConstraint('profile_id', 'version', name='uq_mapping_profiles_version'),
    )
    with op.batch_alter_table('mapping_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_mapping_profiles_payroll_company_id'), ['payroll_company_id'],
                              unique=False)
    op.create_table(
        'roster_versions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('employer_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('loaded_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('version >= 1', name=op.f('ck_roster_versions_version_positive')),
        sa.ForeignKeyConstraint(['employer_id'], ['employers.id'],
                                name=op.f('fk_roster_versions_employer_id_employers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_versions')),
        sa.UniqueConstraint('employer_id', 'version', name='uq_roster_versions_version'),
    )
    with op.batch_alter_table('roster_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_versions_employer_id'), ['employer_id'], unique=False)
    op.create_table(
        'roster_assignments',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('roster_version_id', sa.Integer(), nullable=False),
        sa.Column('employee_id', sa.String(length=64), nullable=False),
        sa.Column('effective_date', sa.Date(), nullable=False),
        sa.Column('state', sa.String(length=2), nullable=False),
        sa.Column('class_code', sa.String(length=4), nullable=False),
        sa.Column('is_officer', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['roster_version_id'], ['roster_versions.id'],
                                name=op.f('fk_roster_assignments_roster_version_id_roster_versions')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roster_assignments')),
        sa.UniqueConstraint('roster_version_id', 'employee_id', 'effective_date',
                            name='uq_roster_assignments_dated'),
    )
    with op.batch_alter_table('roster_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_roster_assignments_roster_version_id'), ['roster_version_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('roster_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_assignments_roster_version_id'))
    op.drop_table('roster_assignments')
    with op.batch_alter_table('roster_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roster_versions_employer_id'))
    op.drop_table('roster_versions')
    with op.batch_alter_table('mapping_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mapping_profiles_payroll_company_id'))
    op.drop_table('mapping_profiles')
    if op.get_bind().dialect.name == 'sqlite':
        op.execute('ALTER TABLE payroll_files DROP COLUMN roster_versions')  # SQLite >= 3.35; no rebuild
        op.execute('ALTER TABLE payroll_files DROP COLUMN mapping_profile')
    else:
        op.drop_column('payroll_files', 'roster_versions')
        op.drop_column('payroll_files', 'mapping_profile')
