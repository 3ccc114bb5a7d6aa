"""the chat id a group had before it became a supergroup

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:40:00

``groups.migrated_from`` keeps the basic group's chat id once the group became a
supergroup, so that an update still coming from the old chat (a press under an old
message) is taken as the group's, and never registers a second copy of it.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# plain ALTER TABLE, never a batch copy of ``groups``: on SQLite a copy drops the old
# table, and its ON DELETE CASCADE would empty every table that points at a group


def upgrade() -> None:
    op.add_column("groups", sa.Column("migrated_from", sa.BigInteger(), nullable=True))
    op.create_index("ix_groups_migrated_from", "groups", ["migrated_from"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_groups_migrated_from", table_name="groups")
    op.drop_column("groups", "migrated_from")  # SQLite 3.35+ drops a column in place
