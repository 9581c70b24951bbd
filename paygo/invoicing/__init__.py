"""The database side of invoices: issuing, voiding, status history, PDFs, remit bills, reports."""
