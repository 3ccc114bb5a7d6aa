"""indexes behind every issue list, count and lookup and the photo downloads; issue tallies kept by triggers;
parked updates

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 06:00:00

/issues pages in SQL in the order of an index; its counts come from ``issue_tallies``,
which triggers on ``issues`` keep exact in the same transaction as every insert, status
change, duplicate mark and delete (on SQLite and on PostgreSQL). Existing issues are
counted into the tallies here. ``parked_updates`` keeps the updates that run long (a
reply waiting for a busy group's allowance), so the poller can confirm past them.

A later migration that rebuilds ``issues`` on SQLite (``batch_alter_table`` copies the
table) drops its triggers: it must create them again (SQLITE_TRIGGERS below).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNVERIFIED = sa.text("status <> 'verified'")
UNRESOLVED = sa.text("status IN ('open', 'assigned')")
PENDING = sa.text("local_path IS NULL AND download_attempts < 5")  # photos to download
ORDER = [
    sa.text("(road IS NULL)"),
    "road",
    sa.text("(stake_from IS NULL)"),
    "stake_from",
    "number",
]
INDEXES: list[tuple[str, list[str | sa.TextClause], sa.TextClause | None]] = [
    ("ix_issues_order", ["group_id", *ORDER], None),
    ("ix_issues_open_order", ["group_id", *ORDER], UNVERIFIED),
    ("ix_issues_road_order", ["group_id", *ORDER[1:]], None),
    ("ix_issues_open_place", ["group_id", "road", "stake_from"], UNVERIFIED),
    ("ix_issues_overdue", ["group_id", "deadline"], UNRESOLVED),
    ("ix_issues_open_assignee", ["group_id", "assignee_id"], UNVERIFIED),
    ("ix_issues_open_reporter", ["group_id", "reporter_id"], UNVERIFIED),
    ("ix_issues_reporter_recent", ["reporter_id", "chat_id", "created_at"], None),
]

BUCKET_OLD = (
    "group_id = OLD.group_id AND status = OLD.status "
    "AND duplicate = (OLD.duplicate_of_id IS NOT NULL)"
)
ADD_NEW = (
    "INSERT INTO issue_tallies (group_id, status, duplicate, n) "
    "VALUES (NEW.group_id, NEW.status, NEW.duplicate_of_id IS NOT NULL, 1) "
    "ON CONFLICT (group_id, status, duplicate) DO UPDATE SET n = issue_tallies.n + 1"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER issue_tally_insert AFTER INSERT ON issues BEGIN {ADD_NEW}; END",
    "CREATE TRIGGER issue_tally_update AFTER UPDATE OF group_id, status, duplicate_of_id "
    "ON issues WHEN OLD.group_id <> NEW.group_id OR OLD.status <> NEW.status "
    "OR (OLD.duplicate_of_id IS NULL) <> (NEW.duplicate_of_id IS NULL) BEGIN "
    f"UPDATE issue_tallies SET n = n - 1 WHERE {BUCKET_OLD}; {ADD_NEW}; END",
    "CREATE TRIGGER issue_tally_delete AFTER DELETE ON issues BEGIN "
    f"UPDATE issue_tallies SET n = n - 1 WHERE {BUCKET_OLD}; END",
]
# A move between two buckets locks both tally rows: always in the same order (by
# status, then duplicate), so two moves in opposite directions cannot deadlock.
SUB_OLD = f"UPDATE issue_tallies SET n = n - 1 WHERE {BUCKET_OLD}"
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION issue_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    "IF TG_OP = 'UPDATE' AND (NEW.status, NEW.duplicate_of_id IS NOT NULL) "
    "< (OLD.status, OLD.duplicate_of_id IS NOT NULL) THEN "
    f"{ADD_NEW}; {SUB_OLD}; "
    "ELSE "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {SUB_OLD}; END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {ADD_NEW}; END IF; "
    "END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER issue_tally AFTER INSERT OR DELETE OR UPDATE OF group_id, status, "
    "duplicate_of_id ON issues FOR EACH ROW EXECUTE FUNCTION issue_tally()",
]


def upgrade() -> None:
    op.drop_index("ix_issues_place", table_name="issues")
    for name, columns, where in INDEXES:
        op.create_index(name, "issues", columns, sqlite_where=where, postgresql_where=where)
    op.create_index(
        "ix_photos_pending", "photos", ["id"], sqlite_where=PENDING, postgresql_where=PENDING
    )
    op.create_table(
        "issue_tallies",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("duplicate", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_issue_tallies_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "status", "duplicate", name=op.f("pk_issue_tallies")),
    )
    op.execute(
        "INSERT INTO issue_tallies (group_id, status, duplicate, n) "
        "SELECT group_id, status, duplicate_of_id IS NOT NULL, count(*) FROM issues "
        "GROUP BY group_id, status, duplicate_of_id IS NOT NULL"
    )
    op.create_table(
        "parked_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("parked_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("update_id", name=op.f("pk_parked_updates")),
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("issue_tally_insert", "issue_tally_update", "issue_tally_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS issue_tally ON issues")
        op.execute("DROP FUNCTION IF EXISTS issue_tally()")
    op.drop_table("parked_updates")
    op.drop_table("issue_tallies")
    for name, _, _ in reversed(INDEXES):
        op.drop_index(name, table_name="issues")
    op.drop_index("ix_photos_pending", table_name="photos")
    op.create_index("ix_issues_place", "issues", ["group_id", "road", "stake_from"])
