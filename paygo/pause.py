"""Pause points: where a test stops a child process, to kill it with SIGKILL at an exact moment.

The test starts the child with ``PAYGO_PAUSE_AT=<point>`` in its environment and a pipe it keeps
open as the child's stdin. When the child reaches `pause_point("<point>")` it writes the line
``paused at <point>`` to stderr and blocks reading stdin, so it never goes past the point: the test
reads that line (a blocking read, no sleep), kills the child and looks at what the crash left. If
the pipe is closed instead, the child exits at once with status 70, running no cleanup, as a crash
would. Without ``PAYGO_PAUSE_AT`` a pause point costs one environment lookup.

Points: ``before_invoice_pdfs`` (`paygo.invoicing.pdfs.write_invoice_pdfs`: an ingest has
committed, its PDFs are not written) and ``before_bank_rename`` (`paygo.ach.bank.DirectoryBank.upload`:
the temp file is written, not yet moved to its name).
"""

import os
import sys

ENV = "PAYGO_PAUSE_AT"
PAUSED_EXIT_STATUS = 70


def pause_point(name: str) -> None:
    """Block here for good when the environment names this point (tests only); else return."""
    if os.environ.get(ENV) != name:
        return
    sys.stderr.write(f"paused at {name}\n")
    sys.stderr.flush()
    sys.stdin.buffer.read()  # returns only when the test closes the pipe; it kills us first
    os._exit(PAUSED_EXIT_STATUS)
