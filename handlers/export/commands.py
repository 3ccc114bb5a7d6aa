"""/export issues|topics: the group's register as an .xlsx file, sent to the chat."""

from __future__ import annotations

from domain.errors import UsageError
from handlers.export import sheets
from handlers.i18n import Translator, for_language
from handlers.inspections.views import local_day
from handlers.invocation import (
    Invocation,
)
from storage import issue_reads
from storage import topics as topic_store


async def export_command(inv: Invocation) -> None:
    """Admins get the issue register or the topic list as an .xlsx file."""
    inv.require_admin()
    if len(inv.args) != 1 or inv.args[0].lower() not in ("issues", "topics"):
        raise UsageError("export")
    what = inv.args[0].lower()
    t = for_group(inv)
    async with inv.context.read() as session:
        if what == "issues":
            details = await issue_reads.export_rows(session, inv.group.id)
            content = sheets.issue_register(t, details, inv.group.timezone)
        else:
            topics = await topic_store.list_topics(session, inv.group.id)
            ids = [x.id for x in topics]
            content = sheets.topic_list(
                t,
                topics,
                await topic_store.claimants(session, ids),
                await topic_store.rating_summaries(session, ids),
                inv.group.timezone,
            )
    day = local_day(inv.group, inv.context.clock.now()).isoformat()
    filename = t.plain(f"export.{what}.filename", date=day)
    folder = inv.context.config.media.dir / str(inv.group.id) / "exports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / filename).write_bytes(content)
    await inv.context.bot.send_document(
        inv.chat_id,
        content,
        filename=filename,
        caption=t.plain(f"export.{what}.caption", date=day),
    )


def for_group(inv: Invocation) -> Translator:
    """The group's language (registers are the group's documents)."""
    return for_language(inv.group.language)
