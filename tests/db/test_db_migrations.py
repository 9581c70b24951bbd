"""Migrations create the whole schema on SQLite and PostgreSQL, and upgrading twice is a no-op.

Pins: `paygo.db.migrate.upgrade` goes from no revision to head, leaves a database at head
unchanged, and the migrated schema matches the models exactly (autogenerate finds no difference).
"""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

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
