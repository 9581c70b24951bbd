"""Carrier payouts (issue 12): each carrier's wallet above its reserve, paid by a CCD credit.

`decide` (pure: who is paid and how much), `run` (record the NACHA file, upload, read back, confirm:
`pay_carriers`), `statement` (what a payout pays for, PDF and CSV), `settle` (payout credits settle
on the debits' 2-banking-day rule), `returns` (a returned payout credit goes back to the wallet),
`check` (no wallet is paid out beyond what it received). docs/ledger.md has the postings.
"""
