"""the monthly report: files sent through the outbox, issues by rectification and check

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 14:00:00

``outbox.document`` names a file made when the message is sent (``summary:2026-11``: the
group's report of that month, sent privately to its admins on the first working day);
the message's text is its caption. The two indexes let the monthly report find the
issues rectified or verified in a month without reading the group's other issues.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("document", sa.String(length=64), nullable=True))
    op.create_index("ix_issues_group_fixed", "issues", ["group_id", "fixed_at"])
    op.create_index("ix_issues_group_verified", "issues", ["group_id", "verified_at"])


def downgrade() -> None:
    op.drop_index("ix_issues_group_verified", "issues")
    op.drop_index("ix_issues_group_fixed", "issues")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("document")
