"""Makes tests/returns/returns_factory.py importable here (the shared row factory)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "returns"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
