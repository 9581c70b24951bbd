"""Money that does not come by our debit (issue 12): remit payments recorded or imported, applied to
invoices, the payer's credit for what is left over."""
