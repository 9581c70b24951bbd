"""Create or migrate the database with alembic, programmatically (`paygo db upgrade`).

Idempotent: upgrading a database already at head changes nothing. Example:

    upgrade("sqlite:///./.paygo/paygo.db")  ->  (None, "0001")   # empty database created
    upgrade("sqlite:///./.paygo/paygo.db")  ->  ("0001", "0001") # second run: a no-op
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from paygo.db.session import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(url: str | URL, revision: str = "head") -> tuple[str | None, str | None]:
    """Upgrade the database at `url`; returns (revision before, revision after)."""
    engine = make_engine(url)
    try:
        before = current_revision(engine)
        with engine.connect() as conn:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:  # table rebuilds (0004) copy rows referenced by others: SQLite's own procedure
                conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
                conn.commit()  # the PRAGMA only takes effect outside a transaction
            with conn.begin():
                cfg = alembic_config()
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, revision)
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise RuntimeError(f"migration left {len(broken)} broken foreign keys: {broken[:5]}")
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()
        return before, current_revision(engine)
    finally:
        engine.dispose()
