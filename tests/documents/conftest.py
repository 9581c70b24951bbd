"""Fixtures for the document tests; the sample values live in document_samples.py."""

import pytest
from document_samples import sample_invoice

from paygo.documents import InvoiceDocument


@pytest.fixture
def invoice() -> InvoiceDocument:
    return sample_invoice()
