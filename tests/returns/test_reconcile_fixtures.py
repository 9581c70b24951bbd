"""Pins reconciliation of the real moov-io/ach return and NOC files (fixtures/nacha/SOURCES.md) against
entries created to match them, on SQLite and PostgreSQL: each item matches exactly one entry on trace
+ amount + date, or goes to the exception queue with its reason; a file is processed once."""

from datetime import date
from pathlib import Path

from sqlalchemy import select

from paygo.ach.reconcile import reconcile_return_file
from paygo.db import models as m
from paygo.ledger import repo
from returns_factory import CIPHER, make_world, reload

FIXTURES = Path("/work/shared/fixtures/nacha")
RECEIVED = date(2025, 3, 20)  # a Thursday
SENT = date(2025, 3, 18)  # effective date of the originals: 2 banking days before


# The bank profiles these moov files need (tests/nacha/test_fixtures.py pins that strict refuses them).
PROFILES = {
    "return-PPD-custom-reason-code.ach": {"custom_return_codes"},
    "return-no-file-header-control.ach": {"missing_file_header_control"},
    "return-no-batch-controls.ach": {"missing_file_header_control", "unordered_batch_numbers"},
    "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach": {"destination_check_digit", "origin_check_digit",
                                                       "file_id_modifier"},
}


def reconcile(s, name, received_on=RECEIVED):
    r = reconcile_return_file(s, (FIXTURES / name).read_bytes(), name=name, received_on=received_on, cipher=CIPHER,
                              tolerances=PROFILES.get(name, ()))
    s.commit()
    return r


def exceptions(s):
    return list(s.scalars(select(m.ExceptionItem.kind).order_by(m.ExceptionItem.id)))


def test_return_web_r01_retries_and_r03_is_unmatched(db_session):
    s = db_session
    w = make_world(s)
    inv = w.invoice(12354)  # the R01's amount: 12,354 cents
    entry = w.send(inv, effective=SENT, trace="091400600000001")
    r = reconcile(s, "return-WEB.ach")
    # R01 matched -> applied, retry 1 of 2; R03 (trace ...0003, 4,565 cents) matches nothing
    assert (r.applied, r.retries_scheduled, r.failures, r.exceptions, r.duplicates) == (1, 1, 0, 1, 0)
    assert reload(s, entry).status == "returned"
    assert reload(s, inv).status == "scheduled"
    assert exceptions(s) == ["return_unmatched"]
    assert repo.balance(s, "employer_receivable:123456789") == 12354  # owed again after debit_returned
    assert repo.balance(s, "ach_in_transit") == 0
    again = reconcile(s, "return-WEB.ach")  # same bytes: nothing changes
    assert again.already_reconciled and s.scalar(select(m.AchReturn.id).where(m.AchReturn.id > 2)) is None


def test_outside_the_date_window_nothing_matches(db_session):
    s = db_session
    w = make_world(s)
    w.send(w.invoice(12354), effective=date(2024, 6, 3), trace="091400600000001")  # ~9 months earlier
    r = reconcile(s, "return-WEB.ach")
    assert (r.applied, r.exceptions) == (0, 2)


def test_cor_example_c01_changes_the_account(db_session):
    s = db_session
    w = make_world(s)
    w.send(w.invoice(5000), effective=SENT, trace="121042880000001")
    r = reconcile(s, "cor-example.ach")
    assert (r.applied, r.nocs_applied, r.exceptions) == (1, 1, 0)
    emp = reload(s, w.employer)
    # corrected data 1918171614: stored encrypted, last four 1614, version 1 -> 2
    assert (emp.bank_account_last4, emp.bank_details_version) == ("1614", 2)
    assert CIPHER.decrypt(emp.bank_account_ciphertext) == "1918171614"
    ret = s.scalar(select(m.AchReturn))
    assert ret.corrected_account_last4 == "1614" and "1918171614" not in (ret.corrected_data or "")


def test_issue1620_forward_and_return_pair(db_session):
    s = db_session
    w = make_world(s)
    inv = w.invoice(1)  # issue1620.ach's entry: 1 cent, trace 062000010000001
    entry = w.send(inv, effective=SENT, trace="062000010000001")
    r = reconcile(s, "issue1620_return.ach")  # R03 No Account
    assert (r.applied, r.failures, r.retries_scheduled) == (1, 1, 0)
    assert reload(s, entry).status == "returned" and reload(s, inv).status == "failed"
    assert reload(s, w.employer).authorization_status == "needs_new_bank_details"
    note, copy = s.scalars(select(m.Notification).order_by(m.Notification.id)).all()
    assert note.kind == "new_bank_details_needed" and "****0123" in note.body and "9876543210123" not in note.body
    # the carrier's copy (issue 12): this carrier has no billing email, so it is failed for ops, never sent
    assert copy.idempotency_key == f"{note.idempotency_key}:carrier" and copy.failed_at is not None


def test_trace_alone_never_matches(db_session, tmp_path):
    """flattenBatchesTraceNumberCollision.ach sends trace 121042880000001 twice for 100,000 cents."""
    from paygo.nacha.read import read_ach

    s = db_session
    w = make_world(s)
    forward = read_ach((FIXTURES / "flattenBatchesTraceNumberCollision.ach").read_bytes()).file
    same = [e for e in forward.entries if e.trace_number == "121042880000001"]
    assert len(same) == 2
    for e in same:  # two of our entries, in two files, share trace and amount
        w.send(w.invoice(e.amount_cents), effective=SENT, trace=e.trace_number)
    from returns_factory import return_file

    data = return_file(tmp_path, [
        {"code": "R01", "trace": "121042880000001", "amount": 100000, "account": "81967038518", "tc": 27,
         "rdfi": "23138010", "name": "Steven Tander"}], RECEIVED)
    r = reconcile_return_file(s, data, name="collision-return.ach", received_on=RECEIVED, cipher=CIPHER)
    assert (r.applied, r.exceptions) == (0, 1)
    assert exceptions(s) == ["return_ambiguous"]
    assert set(s.scalars(select(m.AchEntry.status))) == {"in_flight"}  # neither entry touched


def test_custom_r97_goes_to_the_exception_queue(db_session):
    s = db_session
    w = make_world(s)
    entry = w.send(w.invoice(106161), effective=SENT, trace="092221172022300")  # its addenda 99 original trace
    r = reconcile(s, "return-PPD-custom-reason-code.ach")
    assert (r.applied, r.exceptions) == (0, 1)
    assert exceptions(s) == ["unknown_return_code"]
    assert reload(s, entry).status == "in_flight"  # an unknown outcome moves no money


def test_fiserv_zero_file_is_no_returns_today(db_session):
    r = reconcile(db_session, "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach")
    assert (r.items, r.applied, r.exceptions, r.already_reconciled) == (0, 0, 0, False)
    assert db_session.scalar(select(m.ReturnFile.name)) == "FISERV-ZEROFILE-PIMRET825324_032720_110221.ach"


def test_dishonored_returns_match_on_amount_and_leave_entries_alone(db_session):
    """Both R68 entries carry original trace 059999990000301; amounts 25,000 and 23,000 tell them apart."""
    s = db_session
    w = make_world(s)
    a = w.send(w.invoice(25000), effective=SENT, trace="059999990000301")
    b = w.send(w.invoice(23000), effective=SENT, trace="059999990000301")
    r = reconcile(s, "dishonored-return.ach")
    assert (r.applied, r.exceptions) == (0, 2)
    matched = set(s.scalars(select(m.AchReturn.ach_entry_id)))
    assert matched == {a.id, b.id}
    assert exceptions(s) == ["return_advisory", "return_advisory"]


def test_contested_return_applies_the_last_addenda(db_session):
    """contested-return.ach: R07 then R68 then R71; the R71 (contested) is the latest word -> review."""
    s = db_session
    w = make_world(s)
    entry = w.send(w.invoice(100000000), effective=SENT, trace="059999990000301")
    r = reconcile(s, "contested-return.ach")
    assert (r.applied, r.exceptions) == (0, 1)
    assert s.scalar(select(m.AchReturn.code)) == "R71" and reload(s, entry).status == "in_flight"


def test_second_copy_in_another_file_is_a_duplicate(db_session, tmp_path):
    from returns_factory import return_file, returned

    s = db_session
    w = make_world(s)
    inv = w.invoice(2865)
    entry = w.send(inv, effective=SENT)
    first = return_file(tmp_path, [returned("R01", entry)], RECEIVED, n=1)
    second = return_file(tmp_path, [returned("R01", entry)], RECEIVED, n=2)  # other modifier: other sha256
    assert first != second
    r1 = reconcile_return_file(s, first, name="a.ach", received_on=RECEIVED, cipher=CIPHER)
    r2 = reconcile_return_file(s, second, name="b.ach", received_on=RECEIVED, cipher=CIPHER)
    assert (r1.applied, r2.applied, r2.duplicates) == (1, 0, 1)
    assert sorted(s.scalars(select(m.AchReturn.status))) == ["applied", "duplicate"]
    assert repo.balance(s, "employer_receivable:123456789") == 2865  # returned once, not twice


def test_a_return_without_its_batch_header_is_matched_not_dropped(db_session):
    """moov's return-no-file-header-control.ach with its Batch Header and Control cut away too: under the
    bank's missing_file_header_control profile the R01 is read and applied (a warning says what was
    missing); strictly the file is refused whole into the exception queue, never silently emptied."""
    s = db_session
    w = make_world(s)
    inv = w.invoice(12354)
    entry = w.send(inv, effective=SENT, trace="091400600000001")
    lines = (FIXTURES / "return-no-file-header-control.ach").read_text().split("\n")
    bare = ("\n".join(lines[1:3]) + "\n").encode()  # the entry and its addenda 99 alone
    refused = reconcile_return_file(s, bare, name="bare.ach", received_on=RECEIVED, cipher=CIPHER)
    assert refused.exceptions == 1 and any("outside_batch" in e for e in refused.parse_errors)
    assert exceptions(s) == ["return_file_refused"] and reload(s, entry).status == "in_flight"
    r = reconcile_return_file(s, bare, name="bare.ach", received_on=RECEIVED, cipher=CIPHER,
                              tolerances={"missing_file_header_control"})
    s.commit()
    assert (r.items, r.applied, r.retries_scheduled) == (1, 1, 1)
    assert reload(s, entry).status == "returned"
    assert any("EntryDetail.record_type outside_batch" in w_ for w_ in r.warnings)
