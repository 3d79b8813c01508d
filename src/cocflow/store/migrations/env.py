"""Alembic environment: migrations run on the connection cocflow passes in, in a transaction."""

from __future__ import annotations

from alembic import context

from cocflow.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection, target_metadata=Base.metadata, transaction_per_migration=True
)
with context.begin_transaction():
    context.run_migrations()
