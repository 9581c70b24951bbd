"""`paygo exceptions [--all] [--json]` and `paygo exceptions --resolve ID --note TEXT`: the queue of
returns and notifications of change that matched no entry or could not be applied, for operations.

Resolving is safe to run twice: an item already resolved keeps its first resolution."""

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("exceptions", help="the exception queue of returns and NOCs for operations")
    parser.add_argument("--all", action="store_true", help="resolved items too")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--resolve", type=int, metavar="ID", help="mark one item resolved")
    parser.add_argument("--note", help="what was done (required with --resolve)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from sqlalchemy import select

    from paygo.commands.common import UsageError, database
    from paygo.db.models import ExceptionItem

    if args.resolve is not None and not args.note:
        raise UsageError("--resolve needs --note saying what was done")
    with database() as (_, session):
        if args.resolve is not None:
            item = session.get(ExceptionItem, args.resolve)
            if item is None:
                raise UsageError(f"no exception item {args.resolve}")
            if item.resolved_at is None:
                item.resolved_at, item.resolution = datetime.now(UTC), args.note
                session.commit()
                print(f"exception {item.id} resolved: {args.note}")
            else:
                print(f"exception {item.id} was already resolved on {item.resolved_at:%Y-%m-%d}: {item.resolution}")
            return 0
        q = select(ExceptionItem).order_by(ExceptionItem.id)
        if not args.all:
            q = q.where(ExceptionItem.resolved_at.is_(None))
        rows = [
            {"id": x.id, "kind": x.kind, "subject": x.subject, "detail": x.detail,
             "created_at": x.created_at.isoformat(), "resolved_at": x.resolved_at.isoformat() if x.resolved_at else None,
             "resolution": x.resolution}
            for x in session.scalars(q)
        ]
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return 0
    for r in rows:
        state = f"resolved: {r['resolution']}" if r["resolved_at"] else "open"
        print(f"{r['id']:>5}  {r['kind']:<24} {r['subject']:<24} {state}\n       {r['detail']}")
    print(f"{len(rows)} item(s)")
    return 0
