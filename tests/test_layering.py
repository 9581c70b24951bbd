"""Pins the layering: the domain, schemas and SFTP code never import dagster (style.md: Dagster is
a thin shell), and modules that define assets never use string annotations (dagster issue #26837)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE_PACKAGES = ["paygo", "schemas", "sftp_ingest"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", PURE_PACKAGES)
def test_pure_packages_do_not_import_dagster(package):
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / package).rglob("*.py")
        if any(m == "dagster" or m.startswith("dagster.") or m.startswith("dagster_") for m in imported_modules(p))
    ]
    assert offenders == []


@pytest.mark.parametrize("package", ["assets", "pipelines"])
def test_dagster_modules_do_not_use_string_annotations(package):
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / package).rglob("*.py")
        if "from __future__ import annotations" in p.read_text()
    ]
    assert offenders == []
