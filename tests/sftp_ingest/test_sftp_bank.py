"""Pins the bank side over real SFTP: an upload lands under its final name only via NAME.part and
is confirmed by reading it back (size and sha256), a retried upload of the same bytes confirms
without rewriting, different bytes under a taken name are refused, and return files are listed
and fetched with their checksum."""

import hashlib
import os

import pytest

from sftp_ingest import bank

NACHA_LIKE = (b"1" + b" " * 93 + b"\n") * 1000  # 95,000 bytes


def test_upload_is_confirmed_by_read_back(server):
    with server.connect("bank") as sftp:
        receipt = bank.upload_confirmed(sftp, "/outgoing", "PAYGO0705A.ach", NACHA_LIKE)
    assert receipt == bank.UploadReceipt("/outgoing/PAYGO0705A.ach", 95_000, hashlib.sha256(NACHA_LIKE).hexdigest())
    outgoing = server.homes["bank"] / "outgoing"
    assert [p.name for p in outgoing.iterdir()] == ["PAYGO0705A.ach"]  # the .part was renamed away
    assert (outgoing / "PAYGO0705A.ach").read_bytes() == NACHA_LIKE


def test_upload_goes_through_the_part_name(server):
    # A folder squatting on NAME.part blocks the temp write, so nothing appears under NAME.
    (server.homes["bank"] / "outgoing" / "F.ach.part").mkdir()
    with server.connect("bank") as sftp:
        with pytest.raises(bank.UploadNotConfirmed, match="upload of /outgoing/F.ach failed"):
            bank.upload_confirmed(sftp, "/outgoing", "F.ach", b"data")
    assert not (server.homes["bank"] / "outgoing" / "F.ach").exists()


def test_retry_of_a_landed_upload_confirms_without_rewriting(server):
    with server.connect("bank") as sftp:
        first = bank.upload_confirmed(sftp, "/outgoing", "F.ach", NACHA_LIKE)
        mtime = sftp.stat("/outgoing/F.ach").st_mtime
        os.utime(server.homes["bank"] / "outgoing" / "F.ach", (mtime - 60, mtime - 60))
        again = bank.upload_confirmed(sftp, "/outgoing", "F.ach", NACHA_LIKE)
        assert sftp.stat("/outgoing/F.ach").st_mtime == mtime - 60  # not written a second time
    assert again == first


def test_different_bytes_under_a_taken_name_are_refused(server):
    (server.homes["bank"] / "outgoing" / "F.ach").write_bytes(b"someone else's file\n")
    with server.connect("bank") as sftp:
        with pytest.raises(bank.UploadNotConfirmed, match="sent 95000 bytes"):
            bank.upload_confirmed(sftp, "/outgoing", "F.ach", NACHA_LIKE)
    assert (server.homes["bank"] / "outgoing" / "F.ach").read_bytes() == b"someone else's file\n"


@pytest.mark.parametrize("name", ["../F.ach", "F.ach.part", ".F.ach", ""])
def test_unsafe_upload_names_are_refused(server, name):
    with server.connect("bank") as sftp:
        with pytest.raises(ValueError):
            bank.upload_confirmed(sftp, "/outgoing", name, b"x")


def test_returns_are_listed_and_fetched(server):
    returns = server.homes["bank"] / "returns"
    (returns / "RET0706.ach").write_bytes(b"return entries\n")
    (returns / "NOC0706.ach").write_bytes(b"notifications of change\n")
    (returns / "RET0707.ach.part").write_bytes(b"still arriving")
    with server.connect("bank") as sftp:
        files = bank.list_returns(sftp, "/returns")
        assert [(f.name, f.size) for f in files] == [("NOC0706.ach", 24), ("RET0706.ach", 15)]
        got = bank.fetch(sftp, files[1].path, files[1].size)
    assert got.data == b"return entries\n"
    assert got.sha256 == hashlib.sha256(b"return entries\n").hexdigest()
