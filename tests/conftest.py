"""Database fixtures shared by every test folder (and nothing else).

`db_url`: a fresh database migrated to head, once on SQLite and once on PostgreSQL (a throwaway
cluster from tests/pg.py; those cases carry the `postgres` marker and skip, with the reason, where
no server binaries exist). `db_session`: a Session on it, closed at the end of the test.
Each test gets its own database copied from a migrated template, so tests never see each other.
"""

import shutil
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from pg import postgres_cluster  # noqa: F401  (a fixture, re-exported for every test folder)

from paygo.db.migrate import upgrade
from paygo.db.session import make_engine

BACKENDS = [pytest.param("sqlite", id="sqlite"), pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return str(path)


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster) -> str:  # noqa: F811
    postgres_cluster.run_sql("CREATE DATABASE paygo_template")
    upgrade(postgres_cluster.url("paygo_template"))
    return "paygo_template"


@pytest.fixture(params=BACKENDS)
def db_url(request, tmp_path) -> str:
    """URL of a new database at the head revision, on the backend named by the parameter."""
    if request.param == "sqlite":
        path = tmp_path / "paygo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    cluster = request.getfixturevalue("postgres_cluster")
    return cluster.create_database(template=request.getfixturevalue("postgres_template"))


@pytest.fixture
def db_session(db_url) -> Iterator[Session]:
    engine = make_engine(db_url)
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        engine.dispose()
