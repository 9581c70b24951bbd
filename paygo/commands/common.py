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
        with session_scope(engine) as session:
            yield settings, session
    finally:
        engine.dispose()


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
