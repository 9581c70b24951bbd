"""Migrations create the whole schema on SQLite and PostgreSQL, and upgrading twice is a no-op.

Pins: `paygo.db.migrate.upgrade` goes from no revision to head, leaves a database at head
unchanged, and the migrated schema matches the models exactly (autogenerate finds no difference);
0002 carries the old history-text debit marker into the new invoice columns, once.
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from paygo.db.migrate import head_revision, upgrade
from paygo.db.models import Base
from paygo.db.session import make_engine


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_db_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return request.getfixturevalue("postgres_cluster").create_database()


def test_upgrade_creates_schema_then_is_a_noop(empty_db_url):
    assert upgrade(empty_db_url) == (None, head_revision())
    engine = make_engine(empty_db_url)
    try:
        tables = set(inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= tables
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    finally:
        engine.dispose()
    # second run: same revision before and after, nothing to do
    assert upgrade(empty_db_url) == (head_revision(), head_revision())


def test_0002_backfills_the_debit_schedule_from_the_old_history_marker(empty_db_url):
    """Invoices noticed under 0001 (marker in the history text) keep their schedule in the new columns."""
    assert upgrade(empty_db_url, "0001") == (None, "0001")
    engine = make_engine(empty_db_url)
    marker = "pre-debit notice sent 2026-11-24 [debit presentment=2 date=2026-11-27 bank_details_version=3]"
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO payroll_companies (id, name, payment_method) VALUES ('acme', 'Acme', 'ach_debit')"))
            c.execute(text("INSERT INTO carriers (id, name) VALUES ('granite', 'Granite')"))
            c.execute(text("INSERT INTO employers (id, fein, name, payroll_company_id, pay_frequency, bank_details_version,"
                           " authorization_status) VALUES (1, '123456789', 'Bay', 'acme', 'weekly', 3, 'active')"))
            for inv_id, status in ((1, "scheduled"), (2, "issued"), (3, "scheduled")):
                c.execute(text(
                    "INSERT INTO invoices (id, number, kind, status, employer_id, premium_cents, employer_fee_cents,"
                    " total_cents, payment_method, due_date, issued_at, policy_id, payroll_run_id)"
                    " VALUES (:id, :n, 'consolidated_remit', :st, 1, 100, 0, 100, 'ach_debit', '2026-11-30',"
                    " '2026-11-20 00:00:00+00:00', NULL, NULL)"), {"id": inv_id, "n": f"INV-{inv_id}", "st": status})
            history = [(1, "scheduled", marker), (1, "scheduled", "R01 on presentment 1: re-present as 2"),
                       (1, "scheduled", marker), (3, "scheduled", marker), (3, "scheduled", "R01: re-present")]
            for inv_id, to, reason in history:
                c.execute(text("INSERT INTO invoice_status_history (invoice_id, to_status, changed_at, changed_by, reason)"
                               " VALUES (:i, :t, '2026-11-24 00:00:00+00:00', 'test', :r)"), {"i": inv_id, "t": to, "r": reason})
        assert upgrade(empty_db_url) == ("0001", head_revision())
        with engine.connect() as c:
            rows = c.execute(text("SELECT id, debit_date, debit_presentment, debit_bank_details_version FROM invoices"
                                  " ORDER BY id")).all()
        # 1: latest scheduled row carries the marker; 2: never noticed; 3: latest row is a re-presentment
        # awaiting its notice (no marker), so nothing is carried over
        assert [(r[0], str(r[1]) if r[1] else None, r[2], r[3]) for r in rows] == [
            (1, "2026-11-27", 2, 3), (2, None, None, None), (3, None, None, None)]
    finally:
        engine.dispose()
