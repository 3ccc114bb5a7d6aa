"""the open issues each person reported or holds, tallied by a trigger (``/issues mine``)

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 22:00:00

``issue_mine_tallies`` counts, per group and person, the issues not yet verified that
they reported or hold (an issue they both reported and hold counted once): the count
``/issues mine`` shows, read from one row instead of counted from the issues (up to
1,000 of each kind, which grew with a group's history). One trigger statement per
change of an issue's group, status, reporter or holder, on SQLite and PostgreSQL: the
old row's people are taken off, the new row's added, in one upsert in the order of the
people's ids (so two transactions lock a group's rows alike); a deleted issue's people
are taken off by an UPDATE (deleting a group may remove its tally rows before its
issues: nothing is inserted for it then). Existing issues are counted here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIFFERENT = {"sqlite": "IS NOT", "postgresql": "IS DISTINCT FROM"}
WATCHED = "group_id, status, reporter_id, assignee_id"


def _people(row: str, sign: str, dialect: str) -> list[str]:
    """The people an issue row counts for (``sign`` 1 or -1), if it is not verified: its
    reporter, and its holder unless that is the reporter."""
    unverified = f"{row}.status <> 'verified'"
    different = f"{row}.assignee_id {DIFFERENT[dialect]} {row}.reporter_id"
    return [
        f"SELECT {row}.group_id AS g, {row}.reporter_id AS u, {sign} AS d WHERE {unverified}",
        f"SELECT {row}.group_id, {row}.assignee_id, {sign} WHERE {unverified} AND {different}",
    ]


def _tally(rows: list[str], dialect: str) -> str:
    """Move the tallies by the rows' people: one upsert, in the order of group and id."""
    people = [p for row, sign in rows for p in _people(row, sign, dialect)]
    return (
        "INSERT INTO issue_mine_tallies (group_id, user_id, n) "
        f"SELECT g, u, sum(d) FROM ({' UNION ALL '.join(people)}) AS c "
        "WHERE u IS NOT NULL GROUP BY g, u HAVING sum(d) <> 0 ORDER BY g, u "
        "ON CONFLICT (group_id, user_id) DO UPDATE SET n = issue_mine_tallies.n + excluded.n"
    )


# A deleted issue's people only ever lose one: an UPDATE, never an upsert, so that deleting
# a group (whose tally rows the cascade may remove before its issues) inserts nothing.
UNCOUNT = (
    "UPDATE issue_mine_tallies SET n = n - 1 WHERE OLD.status <> 'verified' "
    "AND group_id = OLD.group_id AND user_id IN (OLD.reporter_id, OLD.assignee_id)"
)
NEW, OLD = ("NEW", "1"), ("OLD", "-1")
SQLITE = [
    f"CREATE TRIGGER issue_mine_insert AFTER INSERT ON issues BEGIN {_tally([NEW], 'sqlite')}; END",
    f"CREATE TRIGGER issue_mine_update AFTER UPDATE OF {WATCHED} ON issues "
    f"BEGIN {_tally([OLD, NEW], 'sqlite')}; END",
    f"CREATE TRIGGER issue_mine_delete AFTER DELETE ON issues BEGIN {UNCOUNT}; END",
]
POSTGRES = [
    "CREATE FUNCTION issue_mine_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'INSERT' THEN {_tally([NEW], 'postgresql')}; "
    f"ELSIF TG_OP = 'DELETE' THEN {UNCOUNT}; "
    f"ELSE {_tally([OLD, NEW], 'postgresql')}; END IF; "
    "RETURN NULL; END $$",
    f"CREATE TRIGGER issue_mine_tally AFTER INSERT OR DELETE OR UPDATE OF {WATCHED} "
    "ON issues FOR EACH ROW EXECUTE FUNCTION issue_mine_tally()",
]


def _backfill(dialect: str) -> str:
    """Count the issues there are."""
    different = DIFFERENT[dialect]
    return (
        "INSERT INTO issue_mine_tallies (group_id, user_id, n) "
        "SELECT group_id, user_id, count(*) FROM ("
        "SELECT group_id, reporter_id AS user_id FROM issues WHERE status <> 'verified' "
        "UNION ALL SELECT group_id, assignee_id FROM issues WHERE status <> 'verified' "
        f"AND assignee_id IS NOT NULL AND assignee_id {different} reporter_id"
        ") AS p WHERE user_id IS NOT NULL GROUP BY group_id, user_id"
    )


def upgrade() -> None:
    op.create_table(
        "issue_mine_tallies",
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_issue_mine_tallies_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("group_id", "user_id", name=op.f("pk_issue_mine_tallies")),
    )
    dialect = op.get_bind().dialect.name
    op.execute(_backfill(dialect))
    for statement in SQLITE if dialect == "sqlite" else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("issue_mine_insert", "issue_mine_update", "issue_mine_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS issue_mine_tally ON issues")
        op.execute("DROP FUNCTION IF EXISTS issue_mine_tally()")
    op.drop_table("issue_mine_tallies")
