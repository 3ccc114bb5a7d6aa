"""Several processes on one database: leases on parked updates, one sending budget

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 11:00:00

``parked_updates.lease_until``: a parked update belongs to the process that holds its
lease (renewed while it runs); once the lease runs out — the process died — any live
process takes it up. NULL: nobody holds it (parked by an older version, or let go at a
clean stop).

``send_budgets``: Telegram's flood limits kept across processes on PostgreSQL: one row
for the bot's overall rate and one per chat that was written to, each holding the
theoretical arrival time (seconds since the epoch, on the database's clock) of the
chat's next message (GCRA). SQLite runs one process and keeps the budget in memory; the
table exists there too, empty.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "parked_updates", sa.Column("lease_until", storage.types.UTCDateTime(), nullable=True)
    )
    op.create_table(
        "send_budgets",
        sa.Column("chat", sa.String(40), nullable=False),
        sa.Column("tat", sa.Float(precision=53), nullable=False),
        sa.PrimaryKeyConstraint("chat", name=op.f("pk_send_budgets")),
    )
    op.create_index(op.f("ix_send_budgets_tat"), "send_budgets", ["tat"])


def downgrade() -> None:
    op.drop_index(op.f("ix_send_budgets_tat"), table_name="send_budgets")
    op.drop_table("send_budgets")
    op.drop_column("parked_updates", "lease_until")
