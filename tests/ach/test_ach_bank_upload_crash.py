"""DirectoryBank: an upload killed with SIGKILL between writing its temp file and linking it to its
name leaves `.NAME.<random>.part`, a whole copy of the debit file, in inbound/; the re-run that
finishes the upload removes every such file, so inbound/ holds exactly the final file.

The child is a real process stopped at the pause point `before_bank_rename` (paygo.pause: it says
so on stderr and blocks on its stdin pipe); the test reads that line, kills it (tests/kill_helpers.py)
and re-runs."""

import sys

from kill_helpers import kill_at
from paygo.ach.bank import DirectoryBank
from sftp_ingest.transfer import is_temp_of

NAME = "PAYGO-20250613-A.ach"
DATA = (b"1" + b"0" * 93 + b"\n") * 1_000
CHILD = ("import sys; from pathlib import Path; from paygo.ach.bank import DirectoryBank; "
         "DirectoryBank(sys.argv[1]).upload(sys.argv[2], Path(sys.argv[3]).read_bytes())")


def test_the_rerun_after_a_kill_between_write_and_link_leaves_only_the_final_file(tmp_path):
    source = tmp_path / "debit.ach"
    source.write_bytes(DATA)
    root = tmp_path / "bank"
    for _ in range(2):  # two killed attempts, each with its own temp file
        kill_at("before_bank_rename", [sys.executable, "-c", CHILD, str(root), NAME, str(source)])
    inbound = root / "inbound"
    left = sorted(p.name for p in inbound.iterdir())
    assert len(left) == 2 and all(is_temp_of(NAME, n) and n.startswith(f".{NAME}.") for n in left), left
    assert all((inbound / n).read_bytes() == DATA for n in left)  # whole copies of the debit file
    bank = DirectoryBank(root)
    (inbound / ".OTHER.ach.0123456789abcdef0123456789abcdef.part").write_bytes(b"another file's attempt")
    assert bank.upload(NAME, DATA)
    assert sorted(p.name for p in inbound.iterdir()) == [".OTHER.ach.0123456789abcdef0123456789abcdef.part", NAME]
    assert bank.upload(NAME, DATA)  # a second re-run: confirmed again, nothing else changes
    assert sorted(p.name for p in inbound.iterdir()) == [".OTHER.ach.0123456789abcdef0123456789abcdef.part", NAME]
