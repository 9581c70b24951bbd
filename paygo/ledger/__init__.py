"""The double-entry ledger: pure postings (posting.py) and database functions (repo.py)."""
