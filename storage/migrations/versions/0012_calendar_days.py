"""the admins' corrections of the holiday calendar

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 12:00:00

``calendar_days`` holds each day an admin made a day off or a working day (调休) with
``/settings holiday``: for one group, or (``group_id`` NULL) installation-wide, for every
group that has not corrected that day itself. Two partial unique indexes keep one row
per group and day and one installation-wide row per day; the first also answers the
sweep's "these groups' corrections between two days".
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# a new table only: ``groups`` is never batch-copied (see 0011)


def upgrade() -> None:
    op.create_table(
        "calendar_days",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("set_by", sa.BigInteger(), nullable=False),
        sa.Column("set_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_calendar_days_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_days")),
    )
    op.create_index(
        "uq_calendar_days_group_day",
        "calendar_days",
        ["group_id", "day"],
        unique=True,
        sqlite_where=sa.text("group_id IS NOT NULL"),
        postgresql_where=sa.text("group_id IS NOT NULL"),
    )
    op.create_index(
        "uq_calendar_days_installation_day",
        "calendar_days",
        ["day"],
        unique=True,
        sqlite_where=sa.text("group_id IS NULL"),
        postgresql_where=sa.text("group_id IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("uq_calendar_days_installation_day", "calendar_days")
    op.drop_index("uq_calendar_days_group_day", "calendar_days")
    op.drop_table("calendar_days")
