"""补录: activities recorded after they took place, and attendance recorded by an admin

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 10:00:00

``events.recorded`` marks an activity entered after it had begun (no Join buttons, no
reminders, no check-in). ``event_signups.recorded_by`` is the admin who recorded a
person as present (``method`` is then ``recorded``), and ``prior_status`` the sign-up
the person had before (NULL: none, the record made it), so that removing the record
puts back exactly what was there.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# plain ALTER TABLE, never a batch copy (on SQLite a copy of ``events`` would drop the
# table, and its ON DELETE CASCADE would empty the sign-ups and photos pointing at it)


def upgrade() -> None:
    op.add_column(
        "events",
        sa.Column("recorded", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("event_signups", sa.Column("recorded_by", sa.BigInteger(), nullable=True))
    op.add_column("event_signups", sa.Column("prior_status", sa.String(16), nullable=True))


def downgrade() -> None:
    op.drop_column("event_signups", "prior_status")  # SQLite 3.35+ drops a column in place
    op.drop_column("event_signups", "recorded_by")
    op.drop_column("events", "recorded")
