"""Rows inserted fast: SQLAlchemy Core ``insert()`` executemany in chunks, primary keys
handed out in order, PostgreSQL's sequences moved past them afterwards."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection

CHUNK = 10_000


def _chunks(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    """Rows in lists of at most CHUNK."""
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def bulk(conn: AsyncConnection, table: Table, rows: Iterator[dict[str, Any]]) -> int:
    """Insert ``rows`` into ``table`` in chunks; returns how many."""
    count = 0
    for chunk in _chunks(rows):
        await conn.execute(insert(table), chunk)
        count += len(chunk)
    return count


class Ids:
    """Explicit primary keys, handed out in order (so events and photos can point to
    them without reading them back)."""

    def __init__(self) -> None:
        """No id handed out yet."""
        self.next: dict[str, int] = {}

    def take(self, table: str) -> int:
        """The next id of ``table``."""
        value = self.next.get(table, 0) + 1
        self.next[table] = value
        return value


async def reset_sequences(conn: AsyncConnection, tables: Iterable[str]) -> None:
    """PostgreSQL: move each table's id sequence past the ids inserted explicitly."""
    for table in tables:
        await conn.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            )
        )
