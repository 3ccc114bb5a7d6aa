"""Statements whose spelling differs between SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import BindParameter, bindparam
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def insert(session: AsyncSession, table: Any) -> Any:
    """An ``INSERT`` that supports ``on_conflict_do_*`` on the session's database."""
    return insert_for(dialect_of(session), table)


def dialect_of(session: AsyncSession) -> str:
    """The name of the session's database ("sqlite" or "postgresql"): the key of the
    statements built once per database."""
    return session.get_bind().dialect.name


def insert_for(dialect: str, table: Any) -> Any:
    """An ``INSERT`` that supports ``on_conflict_do_*`` on the database ``dialect``."""
    if dialect == "postgresql":
        # imported here: a process on SQLite never loads the PostgreSQL dialect
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(table)
    return sqlite.insert(table)


def rowcount(result: object) -> int:
    """Rows an UPDATE/DELETE touched (0 when the driver does not say)."""
    return int(getattr(result, "rowcount", 0) or 0)


def bound(columns: Iterable[str]) -> dict[str, BindParameter[Any]]:
    """VALUES for ``columns``, each bound by name, for an INSERT built once (named
    ``v_<column>``: SQLAlchemy keeps a column's own name for itself in VALUES)."""
    return {column: bindparam(f"v_{column}") for column in columns}


def binding(values: Mapping[str, Any]) -> dict[str, Any]:
    """A row's ``values``, named as :func:`bound` binds them."""
    return {f"v_{column}": value for column, value in values.items()}
