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

Failures (issue 12): one message's failure never blocks the rest of the queue.
- A permanent refusal of that message (5xx on RCPT or DATA, e.g. "550 no such user"): the row is
  marked failed (`failed_at`, `attempts`, `last_error`), an exception item tells ops, it is never
  retried automatically, and delivery goes on with the next message.
- A temporary refusal of that message (4xx): `attempts` and `last_error` are recorded, the row stays
  queued and the next delivery run tries it again; after MAX_ATTEMPTS tries it is failed like a 5xx.
- The server itself unreachable or refusing us (connection refused, timeout, disconnect, 4xx/5xx
  to HELO, login or MAIL FROM): the run stops, the error is recorded on the message being sent,
  and every remaining message waits for the next run, untouched; this never fails a message.
- No real address (paygo.notifications.contacts: empty, or a placeholder such as
  `employer:123456789` written by older code): failed at once with an exception item, never sent
  and never written as a file.
`paygo notifications [--failed]` lists the outbox with these columns.
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

from paygo.db.models import ExceptionItem, Notification
from paygo.notifications.contacts import NO_CONTACT, is_address
from paygo.notifications.outbox import no_contact_exception

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


MAX_ATTEMPTS = 10  # temporary refusals of one message before it is given up and shown to ops
FAILED_KIND = "notification_failed"


@dataclass
class DeliveryResult:
    """What one delivery run did: keys delivered, failed for good, left for a retry, and why it stopped."""

    delivered: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    retry: list[str] = field(default_factory=list)
    stopped: str | None = None  # the server-level error that ended the run early, if any


class _ServerDown(Exception):
    """The SMTP server cannot be used now (connect, STARTTLS or login failed): stop this run."""


def render(n: Notification, sender: str) -> EmailMessage:
    if not is_address(n.recipient):  # never reached by deliver(): a guard against a made-up To
        raise ValueError(f"notification {n.idempotency_key} has no recipient address")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = n.recipient
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


def _smtp_error(code: int, text: bytes | str) -> str:
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}".strip()[:1000]


def _classify(exc: Exception) -> tuple[str, str]:
    """("permanent" | "temporary" | "server", error text) for an exception raised while sending one message."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()))  # we send to exactly one recipient
        return ("permanent" if code >= 500 else "temporary"), _smtp_error(code, text)
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(exc, smtplib.SMTPSenderRefused):
        return ("permanent" if exc.smtp_code >= 500 else "temporary"), _smtp_error(exc.smtp_code, exc.smtp_error)
    # MAIL FROM refused, a disconnect, a refused connection, a timeout: not this message's fault
    return "server", f"server: {exc or type(exc).__name__}"[:1000]


def _fail(session: Session, n: Notification, error: str, now: datetime) -> None:
    n.failed_at, n.last_error = now, error
    if error == NO_CONTACT:
        session.add(no_contact_exception(n.idempotency_key, n.kind, n.recipient))
    else:
        session.add(ExceptionItem(
            kind=FAILED_KIND, subject=f"notification:{n.idempotency_key}"[:200],
            detail=f"{n.kind} {n.idempotency_key} to {n.recipient} was not delivered after {n.attempts} "
                   f"attempt(s): {error}. Check the contact address, then contact the party another way."))


def deliver(session: Session, *, smtp: SmtpSettings | None, out_dir: Path,
            max_attempts: int = MAX_ATTEMPTS) -> DeliveryResult:
    """Send every queued notification (oldest first); commits once per message (see the module rule)."""
    ids = list(session.scalars(select(Notification.id).where(Notification.delivered_at.is_(None),
                                                             Notification.failed_at.is_(None))
                               .order_by(Notification.id)))
    session.commit()
    result = DeliveryResult()
    if not ids:
        return result
    sender = smtp.sender if smtp else "billing@paygo.example"
    client: smtplib.SMTP | None = None
    try:
        for nid in ids:
            n = session.get(Notification, nid)
            if n is None or n.delivered_at is not None or n.failed_at is not None:
                continue
            now = datetime.now(timezone.utc)
            if not is_address(n.recipient):
                _fail(session, n, NO_CONTACT, now)
                session.commit()
                result.failed.append(n.idempotency_key)
                continue
            msg = render(n, sender)
            if smtp is None:
                _write_files(n, msg, out_dir)
            else:
                try:
                    if client is None:
                        client = _connect(smtp)
                    client.send_message(msg)
                except (smtplib.SMTPException, OSError, _ServerDown) as exc:
                    n.attempts = (n.attempts or 0) + 1
                    outcome, n.last_error = _classify(exc)
                    if outcome == "server":
                        session.commit()
                        result.stopped = n.last_error
                        client = _drop(client)
                        break
                    if outcome == "permanent" or n.attempts >= max_attempts:
                        _fail(session, n, n.last_error, now)
                        result.failed.append(n.idempotency_key)
                    else:
                        result.retry.append(n.idempotency_key)
                    session.commit()
                    continue
            n.delivered_at = now
            session.commit()  # the mark, in its own transaction
            result.delivered.append(n.idempotency_key)
    finally:
        _drop(client)
    return result


def deliver_notifications(session: Session, *, smtp: SmtpSettings | None, out_dir: Path) -> int:
    """`deliver` returning only the count delivered (what the settlement asset reports)."""
    return len(deliver(session, smtp=smtp, out_dir=out_dir).delivered)


def _connect(smtp: SmtpSettings) -> smtplib.SMTP:
    try:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_seconds)
        if smtp.starttls:
            client.starttls()
        if smtp.username:
            client.login(smtp.username, smtp.password or "")
        return client
    except (smtplib.SMTPException, OSError) as exc:
        raise _ServerDown(f"{smtp.host}:{smtp.port}: {exc or type(exc).__name__}") from exc


def _drop(client: smtplib.SMTP | None) -> None:
    if client is not None:
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            pass
    return None
