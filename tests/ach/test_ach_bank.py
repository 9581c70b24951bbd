"""Pins the Bank API on both banks: an upload lands under its name and returns the sha256 read back,
the same bytes again confirm without rewriting, other bytes under a taken name raise
UploadNotConfirmed; returns are listed, fetched and archived. SftpBank runs against the embedded
SFTP server with its host key pinned, and refuses a server whose key is not the pinned one."""

import hashlib

import pytest

from paygo.ach.bank import DirectoryBank, SftpBank, UploadNotConfirmed
from sftp_ingest.client import HostKeyError
from sftp_ingest.server import EmbeddedSftpServer, make_keypair

DATA = (b"1" * 94 + b"\n") * 10


@pytest.fixture(scope="module")
def sftp_bank(tmp_path_factory):
    base = tmp_path_factory.mktemp("sftp-bank")
    key, public = make_keypair(base / "bank_key")
    for sub in ("outgoing", "returns"):
        (base / "root" / "bank" / sub).mkdir(parents=True)
    with EmbeddedSftpServer(base / "root", {"bank": public}) as server:
        known = server.write_known_hosts(base / "known_hosts")
        yield SftpBank("127.0.0.1", server.port, "bank", key, known, attempts=1), base / "root" / "bank", base, server


def banks(tmp_path, sftp_bank):
    bank, home, _, _ = sftp_bank
    for p in (home / "outgoing").iterdir():
        p.unlink()
    return [(DirectoryBank(tmp_path / "dir"), tmp_path / "dir" / "inbound", tmp_path / "dir" / "returns"),
            (bank, home / "outgoing", home / "returns")]


def test_upload_confirms_by_read_back_and_refuses_other_bytes(tmp_path, sftp_bank):
    for bank, inbound, _ in banks(tmp_path, sftp_bank):
        assert bank.upload("PAYGO-20261125-A.ach", DATA) == hashlib.sha256(DATA).hexdigest()
        assert bank.upload("PAYGO-20261125-A.ach", DATA) == hashlib.sha256(DATA).hexdigest()  # a re-run
        assert [p.name for p in inbound.iterdir()] == ["PAYGO-20261125-A.ach"]  # no temp left behind
        with pytest.raises(UploadNotConfirmed):
            bank.upload("PAYGO-20261125-A.ach", DATA + b"x")
        assert (inbound / "PAYGO-20261125-A.ach").read_bytes() == DATA  # never overwritten


def test_returns_are_listed_fetched_and_archived(tmp_path, sftp_bank):
    for bank, _, returns in banks(tmp_path, sftp_bank):
        (returns / "ret1.ach").write_bytes(b"R01 file")
        assert bank.list_returns() == ["ret1.ach"]
        assert bank.fetch_return("ret1.ach") == b"R01 file"
        bank.archive_return("ret1.ach")
        assert bank.list_returns() == []
        assert (returns / "archive" / "ret1.ach").read_bytes() == b"R01 file"
        (returns / "archive" / "ret1.ach").unlink()


def test_sftp_bank_refuses_an_unpinned_host_key(sftp_bank):
    bank, _, base, server = sftp_bank
    other = base / "other_known_hosts"
    _, other_public = make_keypair(base / "other_host_key")
    other.write_text(f"[127.0.0.1]:{server.port} {other_public}\n")
    impostor = SftpBank("127.0.0.1", server.port, "bank", str(base / "bank_key"), str(other), attempts=1)
    with pytest.raises(HostKeyError):
        impostor.upload("X.ach", DATA)
