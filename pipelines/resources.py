"""Resources: one per outside system, an abstract base with a real and a local implementation."""

import hashlib
from pathlib import Path

import dagster as dg

from paygo.payroll.policies import PolicyBook


class PayrollInbox(dg.ConfigurableResource):
    """Where payroll companies drop payroll files; partition keys are `company/name`."""

    def list_paths(self) -> list[str]:
        raise NotImplementedError

    def fetch(self, path: str) -> bytes:
        raise NotImplementedError


class LocalPayrollInbox(PayrollInbox):
    """A folder with one sub-folder per payroll company (development and tests)."""

    root: str

    def list_paths(self) -> list[str]:
        base = Path(self.root)
        return sorted(
            f"{p.parent.name}/{p.name}" for p in base.glob("*/*") if p.is_file() and not p.name.startswith(".")
        )

    def fetch(self, path: str) -> bytes:
        base = Path(self.root).resolve()
        target = (base / path).resolve()
        if base not in target.parents:
            raise ValueError(f"{path!r} is outside the inbox")
        return target.read_bytes()


class ReferenceData(dg.ConfigurableResource):
    """Policies and their rates."""

    def policy_book(self) -> PolicyBook:
        raise NotImplementedError


class CsvReferenceData(ReferenceData):
    """Policies from a policies CSV (spec/payroll-file.md, "Reference data for the command line")."""

    policies_csv: str

    def policy_book(self) -> PolicyBook:
        return PolicyBook.from_csv(Path(self.policies_csv).read_bytes())


class RawFileStore(dg.ConfigurableResource):
    """Keeps every received file exactly as received, named by its sha256, under PAYGO_HOME/raw."""

    home: str

    def keep(self, data: bytes) -> tuple[str, Path]:
        digest = hashlib.sha256(data).hexdigest()
        folder = Path(self.home) / "raw"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{digest}.csv"
        if not path.exists():
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        return digest, path
