"""Shared factories for the NACHA tests: a valid record to change one field of, and fixture paths."""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

from paygo.nacha.build import BatchSpec, EntrySpec, FileSpec
from paygo.nacha.records import EntryDetail

FIXTURES = Path("/work/shared/fixtures/nacha")
CCD_DEBIT_LINE = "627231380104744-5678-99      0000500000location #1    Best Co. #1           S 0031300010000001"


def make_entry_detail(**overrides: str) -> EntryDetail:
    """A valid checking debit (ccd-debit.ach's first entry) with some fields replaced."""
    return replace(EntryDetail.parse(CCD_DEBIT_LINE), **overrides)


def ccd_debit_spec() -> tuple[FileSpec, list[BatchSpec]]:
    """The specs that rebuild /work/shared/fixtures/nacha/ccd-debit.ach byte for byte."""
    spec = FileSpec("231380104", "Federal Reserve Bank", " 031300012", "My Bank Name", "031300012",
                    datetime(2018, 11, 26, 0, 0))
    entries = [
        EntrySpec(27, "231380104", "744-5678-99", 500000, "location #1", "Best Co. #1", "S "),
        EntrySpec(27, "231380104", "744-5678-99", 125, "Fee #1", "Best Co. #1", "S "),
    ]
    batch = BatchSpec("Name on Account", "031300012", "Vndr Pay", date(2018, 11, 27), entries)
    return spec, [batch]
