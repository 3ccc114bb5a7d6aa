"""the updates webhook workers hold, so that workers sharing one database take each
chat's updates in turn

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 09:00:00

``webhook_updates`` has a row for each update a webhook worker has received and not
finished (``bot/turns.py``): an update waits until no earlier row of its chat is held.
A row is deleted when its update is finished; ``held_until`` is renewed while its
worker lives, so a dead worker's rows stop holding their chats. The index answers
"the earlier updates of this chat still held".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("chat_key", sa.String(length=64), nullable=True),
        sa.Column("received_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("held_until", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_webhook_updates")),
    )
    op.create_index(
        "ix_webhook_updates_chat_key", "webhook_updates", ["chat_key", "update_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_webhook_updates_chat_key", table_name="webhook_updates")
    op.drop_table("webhook_updates")
