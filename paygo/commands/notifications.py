"""`paygo notifications [--failed | --queued] [--kind K] [--json]`: the outbox, for operations.

Each row with its state: `delivered`, `queued` (not sent yet, or a temporary failure waiting for
its retry: attempts and the last error shown) or `failed` (a permanent SMTP refusal such as 550,
too many temporary failures, or no contact address on file; never retried automatically, and an
item in `paygo exceptions` says what to do). Read-only. Exit 0, or 2 on a usage error.
"""

import argparse
import json
import sys


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("notifications", help="the notification outbox: delivered, queued, failed")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--failed", action="store_true", help="only messages given up (shown to ops)")
    which.add_argument("--queued", action="store_true", help="only messages waiting for delivery")
    parser.add_argument("--kind", help="only this kind, e.g. payment_reminder")
    parser.add_argument("--json", action="store_true")
    parser.set_defaults(handler=run)


def state(n) -> str:
    return "delivered" if n.delivered_at else "failed" if n.failed_at else "queued"


def run(args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from paygo.commands.common import database
    from paygo.db.models import Notification

    with database() as (_, session):
        q = select(Notification).order_by(Notification.id)
        if args.failed:
            q = q.where(Notification.failed_at.is_not(None))
        if args.queued:
            q = q.where(Notification.delivered_at.is_(None), Notification.failed_at.is_(None))
        if args.kind:
            q = q.where(Notification.kind == args.kind)
        rows = [{"id": n.id, "key": n.idempotency_key, "kind": n.kind, "recipient": n.recipient or None,
                 "subject": n.subject, "state": state(n), "attempts": n.attempts, "last_error": n.last_error,
                 "created_at": n.created_at.isoformat(),
                 "delivered_at": n.delivered_at.isoformat() if n.delivered_at else None,
                 "failed_at": n.failed_at.isoformat() if n.failed_at else None}
                for n in session.scalars(q)]
    if args.json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return 0
    for r in rows:
        error = f"  [{r['attempts']} attempt(s): {r['last_error']}]" if r["last_error"] else ""
        print(f"{r['id']:>5}  {r['state']:<9} {r['key']:<48} {r['recipient'] or '(no contact)'}{error}")
    counts = {s: sum(r["state"] == s for r in rows) for s in ("delivered", "queued", "failed")}
    print(f"{len(rows)} notification(s): " + ", ".join(f"{n} {s}" for s, n in counts.items()))
    return 0
