"""`loaded`: a database (SQLite and PostgreSQL) holding the sample reference data."""

import pytest
from cryptography.fernet import Fernet

from ingest_helpers import REFERENCE
from paygo.db.crypto import AccountCipher
from paygo.reference import load_reference


@pytest.fixture
def loaded(db_session):
    load_reference(db_session, REFERENCE, AccountCipher([Fernet.generate_key()]))
    db_session.commit()
    return db_session

