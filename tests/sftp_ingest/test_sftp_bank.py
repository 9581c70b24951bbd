"""Pins the bank side over real SFTP: an upload lands under its final name only via a hidden temp
name and is confirmed by reading it back (size and sha256), a retried upload of the same bytes
confirms without rewriting, different bytes under a taken name are refused, the confirmed upload
removes the temp files earlier attempts at the name left, and return files are listed and fetched
with their checksum. (An attempt killed between write and rename: test_sftp_upload_crash.py.)"""

import hashlib
import os

import pytest

from sftp_ingest import bank, transfer
from sftp_ingest.inbox import is_safe_name

NACHA_LIKE = (b"1" + b" " * 93 + b"\n") * 1000  # 95,000 bytes


def test_upload_is_confirmed_by_read_back(server):
    with server.connect("bank") as sftp:
        receipt = bank.upload_confirmed(sftp, "/outgoing", "PAYGO0705A.ach", NACHA_LIKE)
    assert receipt == bank.UploadReceipt("/outgoing/PAYGO0705A.ach", 95_000, hashlib.sha256(NACHA_LIKE).hexdigest())
    outgoing = server.homes["bank"] / "outgoing"
    assert [p.name for p in outgoing.iterdir()] == ["PAYGO0705A.ach"]  # the .part was renamed away
    assert (outgoing / "PAYGO0705A.ach").read_bytes() == NACHA_LIKE


def test_a_failed_temp_write_is_not_confirmed(server):
    # No such folder: the temp write fails, so nothing appears under NAME.
    with server.connect("bank") as sftp:
        with pytest.raises(bank.UploadNotConfirmed, match="upload of /nope/F.ach failed"):
            bank.upload_confirmed(sftp, "/nope", "F.ach", b"data")
        assert not transfer.exists(sftp, "/nope/F.ach")


LEFT_BY_EARLIER_ATTEMPTS = [".F.ach.0123456789abcdef0123456789abcdef.part", ".F.ach.part", "F.ach.part"]
NOT_OURS = [".F.ach.0123.part", ".G.ach.0123456789abcdef0123456789abcdef.part", "F.ach.bak", "G.ach"]


@pytest.mark.parametrize("landed", [False, True], ids=["uploads", "already-landed"])
def test_the_confirmed_upload_removes_the_temp_files_of_earlier_attempts(server, landed):
    """Temp files of killed attempts at NAME (the current hidden unique name and the fixed names of
    earlier versions) go once NAME is confirmed, whether this attempt wrote NAME or found it landed;
    other files, and temp files of other names, stay."""
    outgoing = server.homes["bank"] / "outgoing"
    for name in LEFT_BY_EARLIER_ATTEMPTS + NOT_OURS:
        (outgoing / name).write_bytes(NACHA_LIKE)
    if landed:
        (outgoing / "F.ach").write_bytes(NACHA_LIKE)
    with server.connect("bank") as sftp:
        bank.upload_confirmed(sftp, "/outgoing", "F.ach", NACHA_LIKE)
    assert sorted(p.name for p in outgoing.iterdir()) == sorted(NOT_OURS + ["F.ach"])


def test_temp_files_stay_when_the_upload_is_not_confirmed(server):
    outgoing = server.homes["bank"] / "outgoing"
    (outgoing / "F.ach").write_bytes(b"someone else's file\n")
    (outgoing / LEFT_BY_EARLIER_ATTEMPTS[0]).write_bytes(NACHA_LIKE)
    with server.connect("bank") as sftp:
        with pytest.raises(bank.UploadNotConfirmed):
            bank.upload_confirmed(sftp, "/outgoing", "F.ach", NACHA_LIKE)
    assert sorted(p.name for p in outgoing.iterdir()) == sorted([LEFT_BY_EARLIER_ATTEMPTS[0], "F.ach"])


def test_temp_names_are_hidden_unique_and_recognised():
    first, second = transfer.temp_name("F.ach"), transfer.temp_name("F.ach")
    assert first != second and first.startswith(".F.ach.") and first.endswith(".part")
    assert not is_safe_name(first)  # listings skip it: never taken for a file
    assert transfer.is_temp_of("F.ach", first) and not transfer.is_temp_of("G.ach", first)
    assert [n for n in LEFT_BY_EARLIER_ATTEMPTS + NOT_OURS if transfer.is_temp_of("F.ach", n)] == LEFT_BY_EARLIER_ATTEMPTS


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
