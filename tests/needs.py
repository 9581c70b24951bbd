"""A missing tool the bootstrap installs: skipped on a developer's machine, a failure in CI.

CI (CI=true) runs on a machine `scripts/bootstrap` prepared, so a missing PostgreSQL server or
OpenSSH server there is a broken set-up, never a reason to run fewer tests."""

import os

import pytest


def missing(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must have it: scripts/bootstrap installs it)", pytrace=False)
    pytest.skip(reason)
