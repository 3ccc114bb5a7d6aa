"""Alembic environment: runs on the connection that storage.migrate hands over."""

from __future__ import annotations

from alembic import context

from storage.models import Base
from storage.models.base import spell_for_postgresql

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached through the alembic CLI
    raise SystemExit("run migrations with `vanguard db upgrade`, not the alembic CLI")

if connection.dialect.name == "postgresql":
    spell_for_postgresql(Base.metadata)
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
