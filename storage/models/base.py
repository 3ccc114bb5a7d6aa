"""The declarative base all models share, with the naming convention that makes
migrations name constraints alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy import Index, MetaData, inspect, text
from sqlalchemy.orm import DeclarativeBase, configure_mappers

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


Row = TypeVar("Row", bound="Base")


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so migrations name constraints alike."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def partial_index(name: str, *columns: Any, where: Any, unique: bool = False) -> Index:
    """An index of the rows for which ``where`` holds (the same on both databases).

    Only SQLite's spelling is attached here: naming ``postgresql_where`` makes SQLAlchemy
    import its whole PostgreSQL dialect, some 50 ms of every start on SQLite. The tables
    themselves come from the migrations, which spell both; :func:`spell_for_postgresql`
    gives the models PostgreSQL's too, for Alembic's comparisons on PostgreSQL."""
    if isinstance(where, str):
        where = text(where)
    index = Index(name, *columns, unique=unique, sqlite_where=where)
    index.info["where"] = where
    return index


def spell_for_postgresql(metadata: MetaData) -> None:
    """Attach PostgreSQL's ``WHERE`` to every :func:`partial_index` of ``metadata``."""
    for table in metadata.tables.values():
        for index in table.indexes:
            if "where" in index.info:
                index.dialect_options["postgresql"]["where"] = index.info["where"]


def detached(model: type[Row], row: Mapping[Any, Any]) -> Row:
    """A ``model`` object with the columns a statement on its table returned: a copy that
    no session holds (for statements on the table, which the ORM does not copy and key
    again at every execution, as it does statements on the model)."""
    mapper = inspect(model)
    return model(**{attr.key: row[attr.columns[0].name] for attr in mapper.column_attrs})


def configure_models() -> None:
    """Finish mapping the models (their relationships and aliases): the first query does
    it if nothing did before, some 15 ms; the bot does it once its first poll is out
    (bot/runner.py), rather than in front of it."""
    configure_mappers()
