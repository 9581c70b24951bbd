"""Pins outbox delivery: against a real aiosmtpd server on loopback each notification arrives once
with its key as Message-ID and is marked delivered; a re-run after a lost mark resends only that one
message, with the same Message-ID (the documented at-least-once edge); without SMTP the messages
become .eml/.txt files; no message carries a full account number."""

import socket
from datetime import date
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from paygo.ach.settle import settle
from paygo.db import models as m
from paygo.notifications.delivery import SmtpSettings, deliver_notifications, message_id
from paygo.notifications.messages import KINDS, Facts, compose
from paygo.notifications.outbox import enqueue
from returns_factory import make_world


class Collector:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_server():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield collector, SmtpSettings(host="127.0.0.1", port=controller.port)
    finally:
        controller.stop()


def three_confirmations(s):
    w = make_world(s)
    for premium in (1000, 2000, 3000):
        w.send(w.invoice(premium), effective=date(2025, 3, 18))
    settle(s, today=date(2025, 3, 20))
    s.commit()


def test_smtp_delivers_each_once_even_after_a_lost_mark(db_session, smtp_server, tmp_path):
    s = db_session
    collector, settings = smtp_server
    three_confirmations(s)
    keys = set(s.scalars(select(m.Notification.idempotency_key)))
    assert deliver_notifications(s, smtp=settings, out_dir=tmp_path) == 3
    assert {msg["Message-ID"] for msg in collector.messages} == {message_id(k) for k in keys}
    assert deliver_notifications(s, smtp=settings, out_dir=tmp_path) == 0  # all marked
    # a crash after the send, before the mark committed: the row is undelivered again
    lost = sorted(keys)[0]
    s.execute(update(m.Notification).where(m.Notification.idempotency_key == lost).values(delivered_at=None))
    s.commit()
    assert deliver_notifications(s, smtp=settings, out_dir=tmp_path) == 1
    ids = [msg["Message-ID"] for msg in collector.messages]
    assert len(ids) == 4 and len(set(ids)) == 3  # one extra copy, same Message-ID: one logical message
    assert ids[-1] == message_id(lost)


def test_without_smtp_messages_become_files(db_session, tmp_path):
    s = db_session
    three_confirmations(s)
    assert deliver_notifications(s, smtp=None, out_dir=tmp_path / "out") == 3
    assert len(list((tmp_path / "out").glob("*.eml"))) == 3 and len(list((tmp_path / "out").glob("*.txt"))) == 3
    assert s.scalar(select(m.Notification.id).where(m.Notification.delivered_at.is_(None))) is None


@pytest.mark.parametrize("kind", KINDS)
def test_no_message_carries_the_account_number(kind):
    facts = Facts("Bay Bakery", "ap@bay.example", "INV-000007", 2865, "0123", 3, "R01")
    msg = compose(kind, facts, f"{kind}:INV-000007:3")
    assert "****0123" in msg.body and "9876543210123" not in msg.body
    assert "$28.65" in msg.body  # 2865 cents


def test_enqueue_is_idempotent_per_key(db_session):
    s = db_session
    msg = compose("charge_failure", Facts("Bay", "a@b.example", "INV-1", 100, "0123", 3, "R01"), "charge_failure:INV-1")
    assert enqueue(s, [msg, msg]) == 1  # the same key twice in one call -> one row
    assert enqueue(s, [msg]) == 0
