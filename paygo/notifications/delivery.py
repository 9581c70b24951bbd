"""Deliver the outbox: by SMTP when configured, else as .eml/.txt files; each row marked once sent.

Rule (transactional outbox, at-least-once delivery with an idempotent receiver): a notification is
sent, then marked delivered in its own committed transaction, one row at a time, so a crash loses
at most the mark of the one message in flight. The Message-ID is derived from the idempotency key
(`<charge_failure.INV-000007.3@paygo>`: ':' is not allowed in a Message-ID, so it becomes '.'),
so if a crash falls between the SMTP send and the mark, the re-run sends that one message again
WITH THE SAME Message-ID and the receiving side (or the mail client) treats it as the same message:
exactly one logical message per notification, at most one extra copy on the wire per crash. That
is the documented at-least-once edge; nothing is ever lost.
Without SMTP settings the messages are written to out_dir as `<key>.eml` (the whole RFC 5322
message) and `<key>.txt` (subject and body); re-writing the same file is harmless.
Example: 3 undelivered rows, SMTP on 127.0.0.1:8025 -> 3 messages received, 3 rows delivered_at set,
deliver again -> 0.
"""

from __future__ import annotations

import re
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from paygo.db.models import Notification

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    sender: str = "billing@paygo.example"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout_seconds: float = 10.0


def message_id(idempotency_key: str) -> str:
    """A valid, stable Message-ID for an outbox key."""
    return f"<{_UNSAFE.sub('.', idempotency_key.replace(':', '.'))}@paygo>"


def file_stem(idempotency_key: str) -> str:
    return _UNSAFE.sub("_", idempotency_key)


def render(n: Notification, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = n.recipient or "undisclosed-recipients:;"
    msg["Subject"] = n.subject
    msg["Message-ID"] = message_id(n.idempotency_key)
    msg["X-Paygo-Kind"] = n.kind
    msg.set_content(n.body)
    return msg


def _write_files(n: Notification, msg: EmailMessage, out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = file_stem(n.idempotency_key)
    (out_dir / f"{stem}.eml").write_bytes(bytes(msg))
    (out_dir / f"{stem}.txt").write_text(f"To: {n.recipient}\nSubject: {n.subject}\n\n{n.body}")


def deliver_notifications(session: Session, *, smtp: SmtpSettings | None, out_dir: Path) -> int:
    """Send every undelivered notification (oldest first); commits once per message. Returns the count."""
    ids = list(session.scalars(select(Notification.id).where(Notification.delivered_at.is_(None))
                               .order_by(Notification.id)))
    session.commit()
    if not ids:
        return 0
    sender = smtp.sender if smtp else "billing@paygo.example"
    client: smtplib.SMTP | None = None
    delivered = 0
    try:
        for nid in ids:
            n = session.get(Notification, nid)
            if n is None or n.delivered_at is not None:
                continue
            msg = render(n, sender)
            if smtp is None or not n.recipient:
                _write_files(n, msg, out_dir)
            else:
                if client is None:
                    client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
                    if smtp.starttls:
                        client.starttls()
                    if smtp.username:
                        client.login(smtp.username, smtp.password or "")
                client.send_message(msg)
            n.delivered_at = datetime.now(timezone.utc)
            session.commit()  # the mark, in its own transaction
            delivered += 1
    finally:
        if client is not None:
            try:
                client.quit()
            except smtplib.SMTPException:
                pass
    return delivered
