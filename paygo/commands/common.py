"""What the database-backed commands share: settings, one session, and usage errors (exit 2)."""

from collections.abc import Iterator
from contextlib import contextmanager


class UsageError(Exception):
    """A problem with how the command was called or configured; `paygo` prints it and exits 2."""


@contextmanager
def database() -> Iterator[tuple]:
    """(settings, session) on the configured database; the engine is disposed afterwards."""
    from paygo.config import ConfigError, load_settings
    from paygo.db.session import make_engine, session_scope

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    engine = make_engine(settings.database_url)
    try:
        require_schema(engine)
        with session_scope(engine) as session:
            yield settings, session
    finally:
        engine.dispose()


def require_schema(engine) -> None:
    """Refuse (exit 2) a database that `paygo db upgrade` has not brought to the current schema."""
    from sqlalchemy.exc import OperationalError

    from paygo.db.migrate import current_revision, head_revision
    from paygo.db.session import display_url

    try:
        current = current_revision(engine)
    except OperationalError as exc:
        raise UsageError(f"cannot open the database {display_url(engine.url)}: {exc.orig}") from exc
    if current is None:
        raise UsageError(f"the database {display_url(engine.url)} has no paygo tables: run `paygo db upgrade` first")
    if current != head_revision():
        raise UsageError(f"the database {display_url(engine.url)} is at revision {current}, this paygo needs "
                         f"{head_revision()}: run `paygo db upgrade`")


def account_cipher(settings, *, required: bool = True):
    """The cipher for bank account numbers from the configured key; None when optional and unset."""
    from paygo.config import ConfigError
    from paygo.db.crypto import AccountCipher

    try:
        return AccountCipher(settings.account_keys())
    except ConfigError as exc:
        if required:
            raise UsageError(str(exc)) from exc
        return None
