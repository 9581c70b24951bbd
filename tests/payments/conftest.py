"""The money world of the lifecycle regressions (tests/regressions/money_world.py), importable here."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "regressions"))
