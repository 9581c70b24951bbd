"""`paygo db upgrade`: create or migrate the database (alembic), safe to run twice."""

import argparse

from paygo.config import ConfigError, load_settings


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("db", help="database administration")
    actions = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    up = actions.add_parser("upgrade", help="create or migrate the database to the latest revision")
    up.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace) -> int:
    from paygo.db.migrate import upgrade
    from paygo.db.session import display_url

    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"paygo db upgrade: {exc}")
        return 2
    before, after = upgrade(settings.database_url)
    where = display_url(settings.database_url)
    if before == after:
        print(f"{where}: already at revision {after}, nothing to do")
    else:
        print(f"{where}: upgraded from {before or 'an empty database'} to revision {after}")
    return 0
