"""every read flat in a group's history: volunteer minutes and open assigned issues
tallied by triggers; the personal and overdue issue lists read in order off an index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 13:00:00

``volunteer_tallies`` sums, per group and person, the credited minutes (and counts the
sign-ups) of volunteer events: one row for all time (``month`` 0) and one per UTC month
of the event's start (``month`` YYYYMM). Triggers on ``event_signups`` (a sign-up
credited, changed, withdrawn) and on ``events`` (a change of group, type or start; a
delete, before its sign-ups go) keep it exact in the same transaction, on SQLite and
PostgreSQL, as ``issue_tallies`` (0005) is kept. It counts every credited minute,
whether or not the event has ended; the reads take off what is still running (the
events not yet ended, on their index) and read the months at a period's edges from the
sign-ups themselves (``storage.hours``).

``issue_assignee_tallies`` counts, per group and person, the unresolved issues (open or
assigned) assigned to them, for the roster. ``ix_issues_unresolved_assignee`` lists
their lowest numbers. The open issues a person reported or holds, and the unresolved
issues with a deadline, get indexes in the list's order (road, stake), so ``/issues
mine`` and ``/issues overdue`` read a page and stop (the deadline index carries the
deadline, so the issues not yet overdue are passed over in the index): the first two
replace the indexes on (group, assignee) and (group, reporter), which they extend.

Existing sign-ups and issues are counted here.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNVERIFIED = sa.text("status <> 'verified'")
UNRESOLVED = sa.text("status IN ('open', 'assigned')")
DEADLINED = sa.text("status IN ('open', 'assigned') AND deadline IS NOT NULL")
ORDER = [
    sa.text("(road IS NULL)"),
    "road",
    sa.text("(stake_from IS NULL)"),
    "stake_from",
    "number",
]
NEW_INDEXES: list[tuple[str, list[str | sa.TextClause], sa.TextClause]] = [
    ("ix_issues_open_assignee_order", ["group_id", "assignee_id", *ORDER], UNVERIFIED),
    ("ix_issues_open_reporter_order", ["group_id", "reporter_id", *ORDER], UNVERIFIED),
    ("ix_issues_deadline_order", ["group_id", *ORDER, "deadline"], DEADLINED),
    ("ix_issues_unresolved_assignee", ["group_id", "assignee_id", "number"], UNRESOLVED),
]
OLD_INDEXES = [
    ("ix_issues_open_assignee", ["group_id", "assignee_id"]),
    ("ix_issues_open_reporter", ["group_id", "reporter_id"]),
]

# ---- volunteer_tallies -------------------------------------------------------------

MONTH = {  # an event's UTC month as YYYYMM (storage.hours.month_key)
    "sqlite": "CAST(strftime('%Y%m', {row}.starts_at) AS INTEGER)",
    "postgresql": "CAST(to_char({row}.starts_at, 'YYYYMM') AS INTEGER)",
}
BUMP = (
    " ON CONFLICT (group_id, month, user_id) DO UPDATE SET "
    "minutes = volunteer_tallies.minutes + excluded.minutes, "
    "events = volunteer_tallies.events + excluded.events"
)
INSERT = "INSERT INTO volunteer_tallies (group_id, month, user_id, minutes, events) "
VOLUNTEER_EVENT = "FROM events AS e WHERE e.id = {row}.event_id AND e.kind = 'volunteer'"


def _count(group: str, month: str, rows: str) -> str:
    """Add the sign-ups ``rows`` reads (as ``s``) to the group's tallies: all time,
    then the month (in this order, so that two transactions lock a person's rows alike)."""
    columns = "s.user_id, s.minutes, 1"
    return (
        f"{INSERT}SELECT {group}, 0, {columns} {rows}{BUMP}; "
        f"{INSERT}SELECT {group}, {month}, {columns} {rows}{BUMP}"
    )


def _signup_add(dialect: str) -> str:
    """Count the NEW sign-up's minutes, all time and in its event's month."""
    rows = "FROM (SELECT NEW.user_id AS user_id, NEW.minutes AS minutes) AS s, " + (
        VOLUNTEER_EVENT.format(row="NEW").removeprefix("FROM ")
    )
    return _count("e.group_id", MONTH[dialect].format(row="e"), rows)


def _signup_sub(dialect: str) -> str:
    """Take the OLD sign-up's minutes back, all time and in its event's month."""
    month = MONTH[dialect].format(row="e")
    where = VOLUNTEER_EVENT.format(row="OLD")
    change = "UPDATE volunteer_tallies SET minutes = minutes - OLD.minutes, events = events - 1 "
    return (
        f"{change}WHERE group_id = (SELECT e.group_id {where}) AND month = 0 "
        "AND user_id = OLD.user_id; "
        f"{change}WHERE group_id = (SELECT e.group_id {where}) "
        f"AND month = (SELECT {month} {where}) AND user_id = OLD.user_id"
    )


CREDITED = "FROM event_signups AS s WHERE s.event_id = {row}.id AND s.minutes IS NOT NULL"


def _event_add(dialect: str) -> str:
    """Count the minutes of every sign-up of the NEW event (a volunteer one)."""
    rows = CREDITED.format(row="NEW") + " AND NEW.kind = 'volunteer'"
    return _count("NEW.group_id", MONTH[dialect].format(row="NEW"), rows)


def _event_sub(dialect: str) -> str:
    """Take back the minutes of every sign-up of the OLD event (a volunteer one)."""
    month = MONTH[dialect].format(row="OLD")
    credited = CREDITED.format(row="OLD")
    return (
        "UPDATE volunteer_tallies SET "
        f"minutes = minutes - (SELECT sum(s.minutes) {credited} "
        "AND s.user_id = volunteer_tallies.user_id), events = events - 1 "
        f"WHERE OLD.kind = 'volunteer' AND group_id = OLD.group_id AND month IN (0, {month}) "
        f"AND user_id IN (SELECT s.user_id {credited})"
    )


SIGNUP_WATCHED = "event_id, user_id, minutes"
EVENT_WATCHED = "group_id, kind, starts_at"
EVENT_CHANGED = (
    "OLD.group_id <> NEW.group_id OR OLD.kind <> NEW.kind OR OLD.starts_at <> NEW.starts_at"
)


def _volunteer_sqlite() -> list[str]:
    """The volunteer tallies' triggers on SQLite."""
    add, sub = _signup_add("sqlite"), _signup_sub("sqlite")
    on = "ON event_signups"
    return [
        f"CREATE TRIGGER volunteer_tally_insert AFTER INSERT {on} "
        f"WHEN NEW.minutes IS NOT NULL BEGIN {add}; END",
        f"CREATE TRIGGER volunteer_tally_update_old AFTER UPDATE OF {SIGNUP_WATCHED} {on} "
        f"WHEN OLD.minutes IS NOT NULL BEGIN {sub}; END",
        f"CREATE TRIGGER volunteer_tally_update_new AFTER UPDATE OF {SIGNUP_WATCHED} {on} "
        f"WHEN NEW.minutes IS NOT NULL BEGIN {add}; END",
        f"CREATE TRIGGER volunteer_tally_delete AFTER DELETE {on} "
        f"WHEN OLD.minutes IS NOT NULL BEGIN {sub}; END",
        f"CREATE TRIGGER volunteer_tally_event_update AFTER UPDATE OF {EVENT_WATCHED} ON events "
        f"WHEN {EVENT_CHANGED} BEGIN {_event_sub('sqlite')}; {_event_add('sqlite')}; END",
        "CREATE TRIGGER volunteer_tally_event_delete BEFORE DELETE ON events "
        f"WHEN OLD.kind = 'volunteer' BEGIN {_event_sub('sqlite')}; END",
    ]


def _volunteer_postgres() -> list[str]:
    """The volunteer tallies' triggers on PostgreSQL (bucket 0 first, then the month: two
    transactions lock a person's rows in the same order)."""
    return [
        "CREATE FUNCTION volunteer_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.minutes IS NOT NULL THEN "
        f"{_signup_sub('postgresql')}; END IF; "
        "IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.minutes IS NOT NULL THEN "
        f"{_signup_add('postgresql')}; END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER volunteer_tally AFTER INSERT OR DELETE OR UPDATE OF "
        f"{SIGNUP_WATCHED} ON event_signups FOR EACH ROW EXECUTE FUNCTION volunteer_tally()",
        "CREATE FUNCTION volunteer_tally_event() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"{_event_sub('postgresql')}; "
        "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
        f"{_event_add('postgresql')}; "
        "RETURN NULL; END $$",
        f"CREATE TRIGGER volunteer_tally_event_update AFTER UPDATE OF {EVENT_WATCHED} ON events "
        f"FOR EACH ROW WHEN ({EVENT_CHANGED}) EXECUTE FUNCTION volunteer_tally_event()",
        "CREATE TRIGGER volunteer_tally_event_delete BEFORE DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION volunteer_tally_event()",
    ]


# ---- issue_assignee_tallies ---------------------------------------------------------

HELD = "{row}.assignee_id IS NOT NULL AND {row}.status IN ('open', 'assigned')"
OLD_HELD, NEW_HELD = HELD.format(row="OLD"), HELD.format(row="NEW")
HOLDER_ADD = (
    "INSERT INTO issue_assignee_tallies (group_id, user_id, n) "
    "VALUES (NEW.group_id, NEW.assignee_id, 1) "
    "ON CONFLICT (group_id, user_id) DO UPDATE SET n = issue_assignee_tallies.n + 1"
)
HOLDER_SUB = (
    "UPDATE issue_assignee_tallies SET n = n - 1 "
    "WHERE group_id = OLD.group_id AND user_id = OLD.assignee_id"
)
ISSUE_WATCHED = "group_id, status, assignee_id"
HOLDER_SQLITE = [
    f"CREATE TRIGGER issue_assignee_insert AFTER INSERT ON issues WHEN {NEW_HELD} "
    f"BEGIN {HOLDER_ADD}; END",
    f"CREATE TRIGGER issue_assignee_update_old AFTER UPDATE OF {ISSUE_WATCHED} ON issues "
    f"WHEN {OLD_HELD} BEGIN {HOLDER_SUB}; END",
    f"CREATE TRIGGER issue_assignee_update_new AFTER UPDATE OF {ISSUE_WATCHED} ON issues "
    f"WHEN {NEW_HELD} BEGIN {HOLDER_ADD}; END",
    f"CREATE TRIGGER issue_assignee_delete AFTER DELETE ON issues WHEN {OLD_HELD} "
    f"BEGIN {HOLDER_SUB}; END",
]
# A reassignment locks two tally rows: always the smaller key first, so two moves in
# opposite directions cannot deadlock.
HOLDER_POSTGRES = [
    "CREATE FUNCTION issue_assignee_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP = 'UPDATE' AND {OLD_HELD} AND {NEW_HELD} "
    "AND (NEW.group_id, NEW.assignee_id) < (OLD.group_id, OLD.assignee_id) THEN "
    f"{HOLDER_ADD}; {HOLDER_SUB}; "
    "ELSE "
    f"IF TG_OP IN ('UPDATE', 'DELETE') AND {OLD_HELD} THEN {HOLDER_SUB}; END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') AND {NEW_HELD} THEN {HOLDER_ADD}; END IF; "
    "END IF; "
    "RETURN NULL; END $$",
    f"CREATE TRIGGER issue_assignee_tally AFTER INSERT OR DELETE OR UPDATE OF {ISSUE_WATCHED} "
    "ON issues FOR EACH ROW EXECUTE FUNCTION issue_assignee_tally()",
]


def _backfill(dialect: str) -> list[str]:
    """Count what is there already."""
    month = MONTH[dialect].format(row="e")
    signups = (
        "FROM event_signups AS s JOIN events AS e ON e.id = s.event_id "
        "WHERE e.kind = 'volunteer' AND s.minutes IS NOT NULL"
    )
    return [
        f"{INSERT}SELECT e.group_id, 0, s.user_id, sum(s.minutes), count(*) {signups} "
        "GROUP BY e.group_id, s.user_id",
        f"{INSERT}SELECT e.group_id, {month}, s.user_id, sum(s.minutes), count(*) {signups} "
        f"GROUP BY e.group_id, {month}, s.user_id",
        "INSERT INTO issue_assignee_tallies (group_id, user_id, n) "
        "SELECT group_id, assignee_id, count(*) FROM issues "
        "WHERE assignee_id IS NOT NULL AND status IN ('open', 'assigned') "
        "GROUP BY group_id, assignee_id",
    ]


def _tally_table(name: str, key: list[str], *columns: sa.Column[int]) -> None:
    """A table of counts a group and ``key`` (its first ``columns``), gone with its
    group."""
    op.create_table(
        name,
        sa.Column("group_id", sa.Integer(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["group_id"], ["groups.id"], name=op.f(f"fk_{name}_group_id_groups"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("group_id", *key, name=op.f(f"pk_{name}")),
    )


def upgrade() -> None:
    _tally_table(
        "volunteer_tallies",
        ["month", "user_id"],
        sa.Column("month", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
    )
    _tally_table(
        "issue_assignee_tallies",
        ["user_id"],
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    for name, columns, where in NEW_INDEXES:
        op.create_index(name, "issues", columns, sqlite_where=where, postgresql_where=where)
    for name, _ in OLD_INDEXES:
        op.drop_index(name, table_name="issues")
    dialect = op.get_bind().dialect.name
    for statement in _backfill(dialect):
        op.execute(statement)
    sqlite = dialect == "sqlite"
    triggers = (
        _volunteer_sqlite() + HOLDER_SQLITE if sqlite else _volunteer_postgres() + HOLDER_POSTGRES
    )
    for statement in triggers:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in (
            "volunteer_tally_insert",
            "volunteer_tally_update_old",
            "volunteer_tally_update_new",
            "volunteer_tally_delete",
            "volunteer_tally_event_update",
            "volunteer_tally_event_delete",
            "issue_assignee_insert",
            "issue_assignee_update_old",
            "issue_assignee_update_new",
            "issue_assignee_delete",
        ):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    else:
        op.execute("DROP TRIGGER IF EXISTS volunteer_tally ON event_signups")
        op.execute("DROP TRIGGER IF EXISTS volunteer_tally_event_update ON events")
        op.execute("DROP TRIGGER IF EXISTS volunteer_tally_event_delete ON events")
        op.execute("DROP TRIGGER IF EXISTS issue_assignee_tally ON issues")
        for function in ("volunteer_tally", "volunteer_tally_event", "issue_assignee_tally"):
            op.execute(f"DROP FUNCTION IF EXISTS {function}()")
    for name, columns in OLD_INDEXES:
        op.create_index(
            name, "issues", columns, sqlite_where=UNVERIFIED, postgresql_where=UNVERIFIED
        )
    for name, _, _ in reversed(NEW_INDEXES):
        op.drop_index(name, table_name="issues")
    op.drop_table("issue_assignee_tallies")
    op.drop_table("volunteer_tallies")
