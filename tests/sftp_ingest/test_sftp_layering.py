"""Pins that sftp_ingest stays plain Python: importing every module loads no dagster."""

import subprocess
import sys


def test_sftp_ingest_imports_no_dagster():
    code = ("import sys, sftp_ingest.inbox, sftp_ingest.client, sftp_ingest.transfer, "
            "sftp_ingest.payroll, sftp_ingest.bank, sftp_ingest.server; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'dagster'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
