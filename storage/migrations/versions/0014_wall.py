"""the results wall's web page: the secret its links are signed with, and issue tallies
per road kilometre kept by triggers

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:00:00

``wall_keys`` holds one secret per group (``domain.wall_links``); a new one revokes
every link. ``issue_stake_tallies`` counts a group's located issues (road and stake
known, duplicates apart) per road and kilometre, a column a status (one row a kilometre,
so a strip reads few rows), ``issue_road_tallies`` per road and status, kept exact by triggers on
``issues`` in the same transaction as every change, as ``issue_tallies`` is (0005):
the page's road strips read it instead of the issues. Existing issues are counted here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LOCATED = (
    "{row}.duplicate_of_id IS NULL AND {row}.road IS NOT NULL AND {row}.stake_from IS NOT NULL"
)
STATUSES = ("open", "assigned", "fixed", "verified")  # a column of issue_stake_tallies each
COLUMNS = ", ".join(f"n_{s}" for s in STATUSES)


def _ones(row: str) -> str:
    """1 in the column of the row's status, 0 in the others."""
    return ", ".join(f"CASE WHEN {row}.status = '{s}' THEN 1 ELSE 0 END" for s in STATUSES)


BUCKET_OLD = "group_id = OLD.group_id AND road = OLD.road AND km = OLD.stake_from / 1000"
ROAD_OLD = "group_id = OLD.group_id AND road = OLD.road AND status = OLD.status"
ADD_NEW = (
    f"INSERT INTO issue_stake_tallies (group_id, road, km, {COLUMNS}) "
    f"VALUES (NEW.group_id, NEW.road, NEW.stake_from / 1000, {_ones('NEW')}) "
    "ON CONFLICT (group_id, road, km) DO UPDATE SET "
    + ", ".join(f"n_{s} = issue_stake_tallies.n_{s} + excluded.n_{s}" for s in STATUSES)
    + "; INSERT INTO issue_road_tallies (group_id, road, status, n) "
    "VALUES (NEW.group_id, NEW.road, NEW.status, 1) "
    "ON CONFLICT (group_id, road, status) DO UPDATE SET n = issue_road_tallies.n + 1"
)
SUB_OLD = (
    "UPDATE issue_stake_tallies SET "
    + ", ".join(f"n_{s} = n_{s} - CASE WHEN OLD.status = '{s}' THEN 1 ELSE 0 END" for s in STATUSES)
    + f" WHERE {BUCKET_OLD}; "
    f"UPDATE issue_road_tallies SET n = n - 1 WHERE {ROAD_OLD}"
)
OLD_IN = LOCATED.format(row="OLD")
NEW_IN = LOCATED.format(row="NEW")
WATCHED = "group_id, road, stake_from, status, duplicate_of_id"
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER issue_stake_insert AFTER INSERT ON issues WHEN {NEW_IN} BEGIN {ADD_NEW}; END",
    f"CREATE TRIGGER issue_stake_update_old AFTER UPDATE OF {WATCHED} ON issues "
    f"WHEN {OLD_IN} BEGIN {SUB_OLD}; END",
    f"CREATE TRIGGER issue_stake_update_new AFTER UPDATE OF {WATCHED} ON issues "
    f"WHEN {NEW_IN} BEGIN {ADD_NEW}; END",
    f"CREATE TRIGGER issue_stake_delete AFTER DELETE ON issues WHEN {OLD_IN} BEGIN {SUB_OLD}; END",
]
# A move between two buckets locks both tally rows: always in the same order (the
# smaller key first), so two moves in opposite directions cannot deadlock.
OLD_KEY = "(OLD.road, OLD.stake_from / 1000, OLD.status)"
NEW_KEY = "(NEW.road, NEW.stake_from / 1000, NEW.status)"
POSTGRES_TRIGGERS = [
    "CREATE FUNCTION issue_stake_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'UPDATE' AND {OLD_IN} AND {NEW_IN} AND {NEW_KEY} < {OLD_KEY} THEN "
    f"{ADD_NEW}; {SUB_OLD}; "
    "ELSE "
    f"IF TG_OP IN ('UPDATE', 'DELETE') AND {OLD_IN} THEN {SUB_OLD}; END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') AND {NEW_IN} THEN {ADD_NEW}; END IF; "
    "END IF; "
    "RETURN NULL; END $$",
    f"CREATE TRIGGER issue_stake_tally AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
    "ON issues FOR EACH ROW EXECUTE FUNCTION issue_stake_tally()",
]


def upgrade() -> None:
    op.create_table(
        "wall_keys",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_wall_keys_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", name=op.f("pk_wall_keys")),
    )
    op.create_table(
        "issue_stake_tallies",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("road", sa.String(length=16), nullable=False),
        sa.Column("km", sa.Integer(), nullable=False),
        *(sa.Column(f"n_{s}", sa.Integer(), nullable=False) for s in STATUSES),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_issue_stake_tallies_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "road", "km", name=op.f("pk_issue_stake_tallies")),
    )
    op.create_table(
        "issue_road_tallies",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("road", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_issue_road_tallies_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "road", "status", name=op.f("pk_issue_road_tallies")),
    )
    op.execute(
        "INSERT INTO issue_road_tallies (group_id, road, status, n) "
        "SELECT group_id, road, status, count(*) FROM issues "
        "WHERE duplicate_of_id IS NULL AND road IS NOT NULL AND stake_from IS NOT NULL "
        "GROUP BY group_id, road, status"
    )
    op.execute(
        f"INSERT INTO issue_stake_tallies (group_id, road, km, {COLUMNS}) "
        "SELECT group_id, road, stake_from / 1000, "
        + ", ".join(f"sum(CASE WHEN status = '{s}' THEN 1 ELSE 0 END)" for s in STATUSES)
        + " FROM issues "
        "WHERE duplicate_of_id IS NULL AND road IS NOT NULL AND stake_from IS NOT NULL "
        "GROUP BY group_id, road, stake_from / 1000"
    )
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_TRIGGERS if sqlite else POSTGRES_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "issue_stake_insert",
            "issue_stake_update_old",
            "issue_stake_update_new",
            "issue_stake_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS issue_stake_tally ON issues")
        op.execute("DROP FUNCTION IF EXISTS issue_stake_tally()")
    op.drop_table("issue_road_tallies")
    op.drop_table("issue_stake_tallies")
    op.drop_table("wall_keys")
