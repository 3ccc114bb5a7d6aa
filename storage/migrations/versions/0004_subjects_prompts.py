"""photos and albums belong to a subject (kind + id); prompts replace fix requests and
report drafts

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 03:45:00

Existing data is kept: every photo and album attached to a topic event or an issue event
gets that subject; every awaited "after" photo and every guided-report draft becomes a
prompt. The downgrade moves them back.
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import storage.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OWNERS = (("topic_event_id", "topic_event"), ("issue_event_id", "issue_event"))


def upgrade() -> None:
    for table in ("photos", "albums"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("subject_kind", sa.String(length=16), nullable=True))
            batch.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        for column, kind in OWNERS:
            op.execute(
                f"UPDATE {table} SET subject_kind = '{kind}', subject_id = {column} "
                f"WHERE {column} IS NOT NULL"
            )
    op.execute("DELETE FROM photos WHERE subject_id IS NULL")  # belonged to nothing
    with op.batch_alter_table("photos") as batch:
        batch.drop_constraint("fk_photos_topic_event_id_topic_events", type_="foreignkey")
        batch.drop_constraint("fk_photos_issue_event_id_issue_events", type_="foreignkey")
        batch.drop_index("ix_photos_topic_event_id")
        batch.drop_index("ix_photos_issue_event_id")
        batch.drop_column("topic_event_id")
        batch.drop_column("issue_event_id")
        batch.alter_column("subject_kind", existing_type=sa.String(length=16), nullable=False)
        batch.alter_column("subject_id", existing_type=sa.Integer(), nullable=False)
        batch.create_index("ix_photos_subject", ["subject_kind", "subject_id"], unique=False)
    with op.batch_alter_table("albums") as batch:
        batch.drop_constraint("fk_albums_topic_event_id_topic_events", type_="foreignkey")
        batch.drop_constraint("fk_albums_issue_event_id_issue_events", type_="foreignkey")
        batch.drop_column("topic_event_id")
        batch.drop_column("issue_event_id")

    prompts = op.create_table(
        "prompts",
        sa.Column("chat_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("started_at", storage.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_prompts")),
    )
    with op.batch_alter_table("prompts") as batch:
        batch.create_index(batch.f("ix_prompts_updated_at"), ["updated_at"], unique=False)
    bind = op.get_bind()
    rows = []
    for chat_id, user_id, issue_id, note, at in bind.execute(
        sa.text("SELECT chat_id, user_id, issue_id, note, requested_at FROM fix_requests")
    ):
        data = {"issue_id": issue_id, "note": note}
        rows.append(_prompt(chat_id, user_id, "fix_photo", data, at))
    for user_id, step, raw, at in bind.execute(
        sa.text("SELECT user_id, step, data, updated_at FROM report_drafts")
    ):
        data = {**json.loads(raw or "{}"), "step": step}
        rows.append(_prompt(user_id, user_id, "report", data, at))
    if rows:
        op.bulk_insert(prompts, rows)
    op.drop_table("fix_requests")
    op.drop_table("report_drafts")


def _prompt(
    chat_id: int, user_id: int, kind: str, data: dict[str, object], at: object
) -> dict[str, object]:
    when = storage.types.UTCDateTime().process_result_value(at, None)
    return {
        "chat_id": chat_id,
        "user_id": user_id,
        "kind": kind,
        "data": json.dumps(data, ensure_ascii=False),
        "started_at": when,
        "updated_at": when,
    }


def downgrade() -> None:
    drafts = op.create_table(
        "report_drafts",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["members.user_id"],
            name=op.f("fk_report_drafts_user_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_report_drafts")),
    )
    requests = op.create_table(
        "fix_requests",
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_at", storage.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f("fk_fix_requests_issue_id_issues"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["members.user_id"],
            name=op.f("fk_fix_requests_user_id_members"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("chat_id", "user_id", name=op.f("pk_fix_requests")),
    )
    bind = op.get_bind()
    draft_rows, request_rows = [], []
    known = {row[0] for row in bind.execute(sa.text("SELECT user_id FROM members"))}
    issues = {row[0] for row in bind.execute(sa.text("SELECT id FROM issues"))}
    convert = storage.types.UTCDateTime().process_result_value
    for chat_id, user_id, kind, raw, at in bind.execute(
        sa.text("SELECT chat_id, user_id, kind, data, updated_at FROM prompts")
    ):
        data = json.loads(raw or "{}")
        when = convert(at, None)
        if kind == "report" and user_id in known:
            step = data.pop("step", "photos")
            draft_rows.append(
                {"user_id": user_id, "step": step, "data": json.dumps(data), "updated_at": when}
            )
        elif kind == "fix_photo" and user_id in known and data.get("issue_id") in issues:
            request_rows.append(
                {
                    "chat_id": chat_id,
                    "user_id": user_id,
                    "issue_id": data["issue_id"],
                    "note": data.get("note", ""),
                    "requested_at": when,
                }
            )
    if draft_rows:
        op.bulk_insert(drafts, draft_rows)
    if request_rows:
        op.bulk_insert(requests, request_rows)
    with op.batch_alter_table("prompts") as batch:
        batch.drop_index(batch.f("ix_prompts_updated_at"))
    op.drop_table("prompts")

    for table in ("photos", "albums"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("topic_event_id", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("issue_event_id", sa.Integer(), nullable=True))
        for column, kind in OWNERS:
            op.execute(f"UPDATE {table} SET {column} = subject_id WHERE subject_kind = '{kind}'")
    with op.batch_alter_table("photos") as batch:
        batch.drop_index("ix_photos_subject")
        batch.drop_column("subject_kind")
        batch.drop_column("subject_id")
        batch.create_index("ix_photos_topic_event_id", ["topic_event_id"], unique=False)
        batch.create_index("ix_photos_issue_event_id", ["issue_event_id"], unique=False)
        batch.create_foreign_key(
            "fk_photos_topic_event_id_topic_events",
            "topic_events",
            ["topic_event_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_photos_issue_event_id_issue_events",
            "issue_events",
            ["issue_event_id"],
            ["id"],
            ondelete="CASCADE",
        )
    with op.batch_alter_table("albums") as batch:
        batch.drop_column("subject_kind")
        batch.drop_column("subject_id")
        batch.create_foreign_key(
            "fk_albums_topic_event_id_topic_events",
            "topic_events",
            ["topic_event_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch.create_foreign_key(
            "fk_albums_issue_event_id_issue_events",
            "issue_events",
            ["issue_event_id"],
            ["id"],
            ondelete="CASCADE",
        )
