"""wrong check-in codes kept in the database

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00

``wrong_codes`` holds each wrong check-in code a person tried for an event (one row per
try, so tries made at once by two bot processes all count), so the cut-off after ten in
half an hour holds across a restart and between processes. The first index answers
"how many lately, for this person and event"; the second lets the hourly housekeeping
drop the ones that no longer count.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wrong_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("tried_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_wrong_codes_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wrong_codes")),
    )
    op.create_index("ix_wrong_codes_person", "wrong_codes", ["event_id", "user_id", "tried_at"])
    op.create_index("ix_wrong_codes_tried", "wrong_codes", ["tried_at"])


def downgrade() -> None:
    op.drop_index("ix_wrong_codes_tried", "wrong_codes")
    op.drop_index("ix_wrong_codes_person", "wrong_codes")
    op.drop_table("wrong_codes")
