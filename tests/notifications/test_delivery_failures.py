"""Pins delivery failures against a real aiosmtpd server on loopback: one address refused with 550
fails that message only (failed_at, attempts, last_error, an exception for ops) and the rest of the
queue is delivered; a 451 is retried on the next run and then delivered; a server that refuses the
connection stops the run without failing anything; a row without a real address (an old placeholder)
is never sent nor written as a file, and ops are told once."""

from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from paygo.db import models as m
from paygo.notifications.delivery import SmtpSettings, deliver
from paygo.notifications.messages import Message
from paygo.notifications.outbox import enqueue
from test_delivery import free_port

REFUSED = "gone@bay.example"
BUSY = "busy@bay.example"


class Picky:
    """Refuses REFUSED for good (550) and BUSY for now (451) while `busy` is set; takes the rest."""

    def __init__(self):
        self.received, self.busy = [], True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 <gone@bay.example>: mailbox unavailable"
        if address == BUSY and self.busy:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.rcpt_tos[0], message_from_bytes(envelope.content)["Message-ID"]))
        return "250 OK"


@pytest.fixture
def picky():
    handler = Picky()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield handler, SmtpSettings(host="127.0.0.1", port=controller.port)
    finally:
        controller.stop()


def queue(s, *recipients):
    enqueue(s, [Message(f"test:{i}", "payment_reminder", to, f"subject {i}", "body") for i, to in enumerate(recipients)])
    s.commit()


def row(s, key):
    s.expire_all()
    return s.scalar(select(m.Notification).where(m.Notification.idempotency_key == key))


def test_one_refused_address_fails_only_its_message(db_session, picky, tmp_path):
    s = db_session
    server, smtp = picky
    queue(s, "a@bay.example", REFUSED, "c@bay.example")
    r = deliver(s, smtp=smtp, out_dir=tmp_path)
    assert (r.delivered, r.failed, r.retry, r.stopped) == (["test:0", "test:2"], ["test:1"], [], None)
    assert [to for to, _ in server.received] == ["a@bay.example", "c@bay.example"]
    refused = row(s, "test:1")
    assert refused.failed_at is not None and refused.delivered_at is None and refused.attempts == 1
    assert refused.last_error.startswith("550") and "mailbox unavailable" in refused.last_error
    [item] = s.scalars(select(m.ExceptionItem)).all()
    assert item.kind == "notification_failed" and item.subject == "notification:test:1" and REFUSED in item.detail
    # never retried: the next run has nothing to do
    assert deliver(s, smtp=smtp, out_dir=tmp_path).failed == [] and len(server.received) == 2


def test_a_temporary_refusal_is_retried_next_run(db_session, picky, tmp_path):
    s = db_session
    server, smtp = picky
    queue(s, BUSY, "b@bay.example")
    r = deliver(s, smtp=smtp, out_dir=tmp_path)
    assert (r.delivered, r.retry, r.failed) == (["test:1"], ["test:0"], [])
    busy = row(s, "test:0")
    assert busy.attempts == 1 and busy.last_error.startswith("451") and busy.failed_at is None
    server.busy = False
    assert deliver(s, smtp=smtp, out_dir=tmp_path).delivered == ["test:0"]
    assert row(s, "test:0").delivered_at is not None and s.scalars(select(m.ExceptionItem)).all() == []


def test_temporary_refusals_give_up_after_max_attempts(db_session, picky, tmp_path):
    s = db_session
    _, smtp = picky
    queue(s, BUSY)
    assert deliver(s, smtp=smtp, out_dir=tmp_path, max_attempts=2).retry == ["test:0"]
    assert deliver(s, smtp=smtp, out_dir=tmp_path, max_attempts=2).failed == ["test:0"]
    assert row(s, "test:0").attempts == 2 and row(s, "test:0").failed_at is not None


def test_server_down_stops_the_run_and_fails_nothing(db_session, picky, tmp_path):
    s = db_session
    server, smtp = picky
    queue(s, "a@bay.example", "b@bay.example")
    closed = SmtpSettings(host="127.0.0.1", port=free_port())  # nobody listens there
    r = deliver(s, smtp=closed, out_dir=tmp_path)
    assert r.delivered == [] and r.failed == [] and r.stopped is not None
    assert row(s, "test:0").attempts == 1 and row(s, "test:1").attempts == 0
    assert deliver(s, smtp=smtp, out_dir=tmp_path).delivered == ["test:0", "test:1"]


def test_no_real_address_is_never_sent_nor_written(db_session, tmp_path):
    s = db_session
    # a row as older code wrote it, straight into the table with a placeholder recipient
    s.add(m.Notification(idempotency_key="pre_debit_notice:INV-1:1", kind="pre_debit_notice",
                         recipient="employer:123456789", subject="s", body="b"))
    s.commit()
    r = deliver(s, smtp=None, out_dir=tmp_path / "out")
    assert r.failed == ["pre_debit_notice:INV-1:1"] and r.delivered == []
    assert not (tmp_path / "out").exists()
    assert row(s, "pre_debit_notice:INV-1:1").last_error == "no contact address on file"
    [item] = s.scalars(select(m.ExceptionItem)).all()
    assert item.kind == "notification_no_contact" and "employer:123456789" in item.detail
    assert deliver(s, smtp=None, out_dir=tmp_path / "out").failed == []  # once
