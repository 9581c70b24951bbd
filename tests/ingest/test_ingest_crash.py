"""A crash between any two steps of an ingest leaves the database unchanged, and a re-run completes."""

import pytest

from ingest_helpers import counts, ingest
from paygo.ingest import STEPS, InjectedFailure


@pytest.mark.parametrize("step", STEPS)
def test_crash_at_each_step_leaves_nothing_and_rerun_completes(loaded, tmp_path, step):
    ingest(loaded, tmp_path, "acme_2025-03-14.csv")  # an earlier file, so a correction exercises void + reissue
    before = counts(loaded)
    with pytest.raises(InjectedFailure):
        ingest(loaded, tmp_path, "acme_2025-03-14_correction.csv", fail_at=step)
    assert counts(loaded) == before  # nothing of the failed ingest, the invoice counter included
    r = ingest(loaded, tmp_path, "acme_2025-03-14_correction.csv")
    assert (r.status, r.voided, r.invoices) == ("accepted", ("INV-000001",), ("INV-000004",))


@pytest.mark.parametrize("step", ["raw_file", "file_record", "commit"])
def test_crash_while_recording_a_rejection_leaves_nothing(loaded, tmp_path, step):
    before = counts(loaded)
    with pytest.raises(InjectedFailure):
        ingest(loaded, tmp_path, "acme_bad_class.csv", fail_at=step)
    assert counts(loaded) == before
    assert ingest(loaded, tmp_path, "acme_bad_class.csv").status == "rejected"
