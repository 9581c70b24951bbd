"""Pins the reports sent back to payroll companies: a rejection lists every error with row and
column; an acknowledgement names the invoices and the amount billed."""

from paygo.payroll.reports import acknowledgement, rejection_report
from paygo.payroll.validate import PayrollError


def test_rejection_lists_every_error_with_row_and_column():
    errors = [
        PayrollError(None, None, None, "the file is empty"),
        PayrollError(7, "class_code", "88l0", "class_code '88l0' must be 3 or 4 digits"),
    ]
    text = rejection_report("p1.csv", "ab" * 32, errors)
    assert "REJECTED" in text and "2 problem(s)" in text
    assert "(file)\t\t\tthe file is empty" in text
    assert "7\tclass_code\t88l0\tclass_code '88l0' must be 3 or 4 digits" in text


def test_acknowledgement_names_invoices_and_amount():
    text = acknowledgement("p1.csv", "cd" * 32, "accepted", ["INV-000001", "INV-000002"], 271500)
    assert "ACCEPTED" in text and "INV-000001, INV-000002" in text and "$2,715.00" in text
    assert "nothing new was billed" in acknowledgement("p1.csv", "cd" * 32, "duplicate", [], 0)
