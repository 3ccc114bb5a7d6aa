"""events, sign-ups with a waiting list, check-ins and credited minutes

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 08:00:00

``events`` are numbered per group like topics and issues; ``event_signups`` holds who has
a place and who waits (in the order they signed up), and each person's check-in,
check-out and credited minutes, so /hours is one indexed sum. Event photos are
``photos`` rows of subject ``event``; an album part remembers the bot's message it
replies to (an album sent in reply to an event's announcement joins the event).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("starts_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("ends_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("end_given", sa.Boolean(), nullable=False),
        sa.Column("cap", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("walk_in", sa.Boolean(), nullable=False),
        sa.Column("allow_pin", sa.Boolean(), nullable=False),
        sa.Column("code_fallback", sa.Boolean(), nullable=False),
        sa.Column("checkin_code", sa.String(length=16), nullable=False),
        sa.Column("link_token", sa.String(length=32), nullable=False),
        sa.Column("qr_token", sa.String(length=32), nullable=False),
        sa.Column("announce_message_id", sa.BigInteger(), nullable=True),
        sa.Column("joined_count", sa.Integer(), nullable=False),
        sa.Column("waiting_count", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.CheckConstraint("cap IS NULL OR cap >= 1", name=op.f("ck_events_cap_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["members.user_id"], name=op.f("fk_events_created_by_members")
        ),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_events_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("group_id", "number", name=op.f("uq_events_group_id")),
        sa.UniqueConstraint("link_token", name=op.f("uq_events_link_token")),
        sa.UniqueConstraint("qr_token", name=op.f("uq_events_qr_token")),
    )
    op.create_index("ix_events_group_start", "events", ["group_id", "starts_at"])
    op.create_index("ix_events_group_end", "events", ["group_id", "ends_at"])
    op.create_index("ix_events_announcement", "events", ["group_id", "announce_message_id"])
    op.create_table(
        "event_signups",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("signed_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("checked_in_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("checked_out_at", storage.types.UTCDateTime(), nullable=True),
        sa.Column("method", sa.String(length=16), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_signups_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["members.user_id"], name=op.f("fk_event_signups_user_id_members")
        ),
        sa.PrimaryKeyConstraint("event_id", "user_id", name=op.f("pk_event_signups")),
    )
    op.create_index("ix_event_signups_queue", "event_signups", ["event_id", "status", "seq"])
    op.create_index("ix_event_signups_user", "event_signups", ["user_id", "event_id"])
    with op.batch_alter_table("album_parts") as batch:
        batch.add_column(sa.Column("reply_to_message_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM photos WHERE subject_kind = 'event'")
    op.execute("DELETE FROM counters WHERE kind = 'event'")
    with op.batch_alter_table("album_parts") as batch:
        batch.drop_column("reply_to_message_id")
    op.drop_table("event_signups")
    op.drop_table("events")
