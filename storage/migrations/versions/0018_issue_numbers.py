"""an issue's number taken in its own INSERT: the group's issue counter kept by a trigger

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 17:00:00

A report reads the group's ``counters`` row for issues inside the INSERT of the issue
(``coalesce(last_number, 0) + 1``, the row locked ``FOR UPDATE`` on PostgreSQL, so a
concurrent report in the same group waits and then reads the number this one took); a
trigger on ``issues`` moves the counter up to the number inserted. One statement a
report fewer. The counter only ever moves up (an issue inserted with a number below it,
as a restore or a seed does, leaves it as it is). Every group gets its counter row (here,
and when it is registered), so even a group's first reports have a row to lock.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPSERT = (
    "INSERT INTO counters (group_id, kind, last_number) "
    "VALUES (NEW.group_id, 'issue', NEW.number) "
    "ON CONFLICT (group_id, kind) DO UPDATE SET last_number = {larger}"
    "(counters.last_number, excluded.last_number)"
)
SQLITE = [
    "CREATE TRIGGER issue_number_counter AFTER INSERT ON issues "
    f"BEGIN {UPSERT.format(larger='max')}; END",
]
POSTGRES = [
    "CREATE FUNCTION issue_number_counter() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"{UPSERT.format(larger='GREATEST')}; RETURN NULL; END $$",
    "CREATE TRIGGER issue_number_counter AFTER INSERT ON issues "
    "FOR EACH ROW EXECUTE FUNCTION issue_number_counter()",
]


BACKFILL = (
    "INSERT INTO counters (group_id, kind, last_number) "
    "SELECT g.id, 'issue', COALESCE((SELECT max(i.number) FROM issues i "
    "WHERE i.group_id = g.id), 0) FROM groups g WHERE NOT EXISTS "
    "(SELECT 1 FROM counters c WHERE c.group_id = g.id AND c.kind = 'issue')"
)


def upgrade() -> None:
    op.execute(BACKFILL)
    for statement in SQLITE if op.get_bind().dialect.name == "sqlite" else POSTGRES:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS issue_number_counter")
    else:
        op.execute("DROP TRIGGER IF EXISTS issue_number_counter ON issues")
        op.execute("DROP FUNCTION IF EXISTS issue_number_counter()")
