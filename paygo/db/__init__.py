"""The database: SQLAlchemy 2 models, alembic migrations, sessions, encryption of bank accounts."""
