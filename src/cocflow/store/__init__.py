"""The case store: SQLite by default, PostgreSQL for teams, through SQLAlchemy and Alembic."""
