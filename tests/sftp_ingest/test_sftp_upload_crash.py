"""An upload to the bank killed with SIGKILL between writing its temp file and renaming it leaves a
whole copy of the debit file on the server; the re-run that finishes the upload removes it, so the
bank's folder holds exactly the final file (a bank reading every file would otherwise debit twice).

The child is a real process uploading to the embedded asyncssh server. The server holds the child's
rename request (the hook: the child waits for the answer, so it is stopped exactly between write
and rename), the test kills the child with SIGKILL, then lets the server refuse the rename it will
never answer. No sleeps: the test waits on the server's event and on the child's exit.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import asyncssh
import pytest

from sftp_ingest import bank, client
from sftp_ingest.server import EmbeddedSftpServer, make_keypair
from sftp_ingest.transfer import is_temp_of

NAME = "PAYGO-20250613-A.ach"
DATA = (b"1" + b"0" * 93 + b"\n") * 2_000  # 190,000 bytes: a whole NACHA-sized file
WAIT_SECONDS = 60  # an upper bound on a wait for an event, never a sleep

CHILD = """
import sys
from sftp_ingest import bank, client
port, key, known_hosts, name, source = sys.argv[1:]
with client.connect("127.0.0.1", int(port), "bank", key, known_hosts, attempts=1) as sftp:
    bank.upload_confirmed(sftp, "/outgoing", name, open(source, "rb").read())
print("uploaded")
"""


class RenameGate:
    """Holds the first rename of a `.part` file until released, then refuses it."""

    def __init__(self):
        self.held = threading.Event()
        self.release = threading.Event()
        self.armed = False


class GatedSftpServer(asyncssh.SFTPServer):
    gate: RenameGate

    async def rename(self, oldpath: bytes, newpath: bytes) -> None:
        gate = self.gate
        if gate.armed and oldpath.endswith(b".part"):
            gate.armed = False
            gate.held.set()
            await asyncio.get_running_loop().run_in_executor(None, gate.release.wait, WAIT_SECONDS)
            raise asyncssh.SFTPFailure("rename held by the test, never done")
        super().rename(oldpath, newpath)  # asyncssh's own rename is synchronous


class GatedEmbeddedServer(EmbeddedSftpServer):
    def __init__(self, *args, gate: RenameGate, **kwargs):
        super().__init__(*args, **kwargs)
        self.gate = gate

    def _sftp_factory(self, chan):
        home = self.root_dir / chan.get_extra_info("username")
        home.mkdir(parents=True, exist_ok=True)
        server = GatedSftpServer(chan, chroot=str(home).encode())
        server.gate = self.gate
        return server


@pytest.fixture
def gated(tmp_path):
    key, public = make_keypair(tmp_path / "bank_key")
    outgoing = tmp_path / "root" / "bank" / "outgoing"
    outgoing.mkdir(parents=True)
    gate = RenameGate()
    with GatedEmbeddedServer(tmp_path / "root", {"bank": public}, gate=gate) as server:
        known_hosts = server.write_known_hosts(tmp_path / "known_hosts")
        yield server, gate, key, known_hosts, outgoing


def upload_and_kill_before_rename(server, gate, key, known_hosts, source: Path) -> None:
    gate.armed = True
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(server.port), key, known_hosts, NAME, str(source)],
        cwd=Path(__file__).resolve().parents[2], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert gate.held.wait(WAIT_SECONDS), child.communicate(timeout=WAIT_SECONDS)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL
    finally:
        gate.release.set()
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
        child.stderr.close()
    gate.held.clear()
    gate.release.clear()


def test_the_rerun_after_a_kill_between_write_and_rename_leaves_only_the_final_file(gated, tmp_path):
    server, gate, key, known_hosts, outgoing = gated
    source = tmp_path / NAME
    source.write_bytes(DATA)
    for _ in range(2):  # two killed attempts, each leaving its own temp file
        upload_and_kill_before_rename(server, gate, key, known_hosts, source)
    left = sorted(p.name for p in outgoing.iterdir())
    assert len(left) == 2 and all(is_temp_of(NAME, n) and n.startswith(f".{NAME}.") for n in left), left
    assert all((outgoing / n).read_bytes() == DATA for n in left)  # each a whole copy of the debit file
    assert not (outgoing / NAME).exists()

    with client.connect("127.0.0.1", server.port, "bank", key, known_hosts, attempts=1) as sftp:
        receipt = bank.upload_confirmed(sftp, "/outgoing", NAME, DATA)
    assert receipt.path == f"/outgoing/{NAME}" and receipt.size == len(DATA)
    assert sorted(p.name for p in outgoing.iterdir()) == [NAME]
    assert (outgoing / NAME).read_bytes() == DATA
