"""Makes the shared row factories importable here (tests/returns/returns_factory.py, tests/ingest/ingest_helpers.py)
and gives a SQLite-only session for the tests that need one backend only."""

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from paygo.db.session import make_engine

TESTS = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS / "returns"))
sys.path.insert(0, str(TESTS / "ingest"))


@pytest.fixture
def sqlite_session(tmp_path, sqlite_template) -> Iterator[Session]:
    db = tmp_path / "paygo.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    s = Session(engine, expire_on_commit=False)
    try:
        yield s
    finally:
        s.close()
        engine.dispose()
