"""the schedule: one delivery record per group and morning, fallbacks of private messages

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 11:00:00

``deliveries`` holds what the minute sweep did with a group's morning (briefing sent,
skipped as too late, not a workday): its unique key makes a second morning impossible,
also with two bot processes on one database. ``outbox.fallback`` is the group note sent
instead of a private message the person cannot receive; ``outbox.pages_sent`` lets a long
message (a briefing in pages) resume after the pages that went out. The indexes serve the sweep
(events starting soon, milestones due), the briefing (issues new since yesterday) and the
housekeeping (old outbox messages).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "deliveries",
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_deliveries_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_deliveries")),
    )
    op.create_index("ix_deliveries_group_at", "deliveries", ["group_id", "at"])
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("fallback", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("pages_sent", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.create_index("ix_outbox_created", "outbox", ["created_at"])
    op.create_index("ix_events_start", "events", ["starts_at"])
    op.create_index("ix_milestones_due", "milestones", ["due_on"])
    op.create_index("ix_issues_group_created", "issues", ["group_id", "created_at"])
    op.create_index("ix_topic_events_at", "topic_events", ["at"])


def downgrade() -> None:
    op.drop_index("ix_topic_events_at", "topic_events")
    op.drop_index("ix_issues_group_created", "issues")
    op.drop_index("ix_milestones_due", "milestones")
    op.drop_index("ix_events_start", "events")
    op.drop_index("ix_outbox_created", "outbox")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("pages_sent")
        batch.drop_column("fallback")
    op.drop_table("deliveries")
