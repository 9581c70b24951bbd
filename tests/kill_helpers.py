"""Kill a child process with SIGKILL at a pause point (`paygo.pause`), for the crash tests.

`kill_at(point, argv)` starts `argv` with PAYGO_PAUSE_AT=point and a stdin pipe, reads its stderr
line by line (blocking reads, no sleep) until the child says `paused at <point>`, kills it with
SIGKILL and waits for it. A child that exits without reaching the point fails the test with
what it printed. (A uniquely named module, so no test folder's conftest can shadow it.)"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from paygo.pause import ENV

ROOT = Path(__file__).resolve().parents[1]
PAYGO = [str(Path(sys.executable).with_name("paygo"))]  # the console script of this environment
TIMEOUT = 120


def kill_at(point: str, argv: list[str], env: dict[str, str] | None = None) -> str:
    """Run `argv` until it pauses at `point`, SIGKILL it; returns what it wrote to stderr."""
    child = subprocess.Popen(argv, env={**os.environ, **(env or {}), ENV: point}, cwd=ROOT,
                             stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    lines = []
    try:
        for line in child.stderr:
            lines.append(line.decode(errors="replace"))
            if line.strip() == f"paused at {point}".encode():
                break
        else:
            raise AssertionError(f"{argv} exited with {child.wait()} before {point}:\n{''.join(lines)}")
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=TIMEOUT) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdin.close()
        child.stderr.close()
    return "".join(lines)


def run(argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `argv` to its end (no pause point), capturing its output as text."""
    clean = {k: v for k, v in {**os.environ, **(env or {})}.items() if k != ENV}
    return subprocess.run(argv, env=clean, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT)
