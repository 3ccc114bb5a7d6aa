"""Typed context: what every handler and job can reach, without string-keyed dicts."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from domain import slots
from domain.clock import Clock
from domain.config import Config
from domain.errors import DuplicateUpdate
from domain.text import excerpt
from handlers.features import Features
from handlers.i18n import Translator, for_language
from handlers.metrics import Metrics
from storage.db import Database
from storage.live import LiveLock
from storage.models import Group, Member
from storage.outbox import Outgoing, enqueue
from storage.updates import record_update

# claims a piece of work in the transaction that does it; raises DuplicateUpdate if done
Claim = Callable[[AsyncSession], Awaitable[None]]


@dataclass
class Options:
    """How a build behaves where the tests (and the demo) change it: waits shortened or
    lengthened, the minute sweep or the monthly reports off, a smaller upload limit."""

    admins_ttl: timedelta = timedelta(minutes=10)  # a group's admins, read again after
    album_debounce: timedelta = timedelta(seconds=1.5)  # quiet time before an album is whole
    announce_delay: timedelta = timedelta(seconds=1)  # joins in a row: one edit of the post
    announce_interval: timedelta = timedelta(seconds=10)  # one announcement's edits, apart
    scheduling: bool = True  # the minute sweep runs (tests that sweep by hand turn it off)
    # last month's report to the admins on the first working day (the demo turns it off:
    # its morning may fall on any date)
    monthly_reports: bool = True
    # a file (register, report) taking longer than this gets an "on its way" note first
    notice_after: timedelta = timedelta(seconds=1.5)
    # bytes: the largest file Telegram takes from a bot; larger ones are kept on the server
    upload_limit: int = 50 * 1024 * 1024


@dataclass
class Settling:
    """What the delivery settles in one go after updates were processed: the ids of
    updates that wrote nothing, the stand-ins of answers that went out (``answered``)
    or failed after the change (``owed``: sent instead), and each running update's
    stand-in (``held``)."""

    unrecorded: list[int] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)
    owed: list[int] = field(default_factory=list)
    held: dict[int, int] = field(default_factory=dict)  # update id → its answer's stand-in


@dataclass
class Sending:
    """The outbox messages this process is sending, and when their leases were last
    renewed (monotonic seconds)."""

    ids: set[int] = field(default_factory=set)
    renewed_at: float = 0.0


State = TypeVar("State")


@dataclass
class BotData:
    """Long-lived things of one running bot; filled by build_application and post_init:
    the configuration, clock and database, the build's :class:`Options`, the features'
    registrations, the delivery's and the outbox's bookkeeping, the metrics (its own
    Prometheus registry) and each feature's own state (:meth:`state`).

    python-telegram-bot creates it without arguments, hence the defaults.
    """

    config: Config = field(default_factory=Config)
    clock: Clock = field(default_factory=Clock)
    db: Database | None = None
    live: LiveLock | None = None  # SQLite: tells `vanguard restore` this bot runs on it
    options: Options = field(default_factory=Options)
    features: Features = field(default_factory=Features)
    settling: Settling = field(default_factory=Settling)
    sending: Sending = field(default_factory=Sending)
    metrics: Metrics = field(default_factory=Metrics)
    states: dict[type, object] = field(default_factory=dict)

    def state(self, kind: type[State]) -> State:
        """This application's state object of one kind (a feature's own class, made
        without arguments on first use): e.g. which groups' files are being made."""
        found = self.states.get(kind)
        if found is None:
            found = self.states[kind] = kind()
        return found  # type: ignore[return-value]


class Ctx(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """The context of one update (or job): config, database, clock and translator."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application, chat_id=chat_id, user_id=user_id)
        self.current_update: object | None = None
        self.group: Group | None = None
        self.member: Member | None = None
        self.sender_is_admin = False  # set by the registry step for group updates
        self._translator: Translator | None = None
        self._claimed = False  # this update's id is recorded (its writes committed)
        self._after_commit: list[Callable[[], Awaitable[None]]] = []
        self.acknowledged = False  # its answer is in the outbox with the change
        self._claim: Claim | None = None  # claims the work instead of the update id
        self._owed: tuple[int, int, str] | None = None

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> Ctx:
        """Built once per update by python-telegram-bot; remembers the update."""
        context = super().from_update(update, application)
        context.current_update = update
        return context

    @property
    def config(self) -> Config:
        """The bot's configuration."""
        return self.bot_data.config

    @property
    def clock(self) -> Clock:
        """The one source of "now"."""
        return self.bot_data.clock

    @property
    def db(self) -> Database:
        """The database (opened in post_init)."""
        db = self.bot_data.db
        if db is None:
            raise RuntimeError("the database is opened in post_init; it is not open yet")
        return db

    @property
    def features(self) -> Features:
        """What the features registered with this application."""
        return self.bot_data.features

    @property
    def t(self) -> Translator:
        """The translator chosen for this update (by the registry step)."""
        if self._translator is None:
            self._translator = for_language(self.config.bot.language)
        return self._translator

    @t.setter
    def t(self, translator: Translator) -> None:
        self._translator = translator

    @property
    def update_id(self) -> int | None:
        """The id of the update being handled (None in jobs)."""
        return self.current_update.update_id if isinstance(self.current_update, Update) else None

    def for_work(self, claim: Claim, owed: tuple[int, int, str] | None = None) -> Ctx:
        """A context for one piece of work that ``claim`` claims instead of the update's
        id: an album (claimed once, by whichever sweep finishes it) or a command sent in
        private chat and run when its group was picked. It shares everything with this
        context but the claim: its own transactions claim the work, this context's still
        claim the update (several albums finished by one sweep are each claimed; the
        button that picked a group is still recorded). ``owed``: (chat, message, what
        was said) when that message is owed an answer after the change."""
        work = copy.copy(self)
        work._claim, work._owed, work._claimed = claim, owed, False
        work._after_commit = []
        work.acknowledged = False
        return work

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """The update's write transaction. The first one to commit claims the work — the
        update's id, or the work's (:meth:`for_work`) — so doing it twice (a redelivered update,
        a second album sweep, a double press) raises :class:`DuplicateUpdate` instead of
        writing twice; a later call in the same update reuses that claim (it is safe to
        write in two steps, e.g. the reply's message id after the reply)."""
        claiming = not self._claimed and (self._claim is not None or self.update_id is not None)
        try:
            async with self.db.transaction() as session:
                if claiming:
                    await self._take_claim(session)
                yield session
                if claiming:
                    await self._owe_for_claim(session)
        except BaseException:
            self.rolled_back()
            raise
        if claiming:
            self._claimed = True
        await self.committed()

    async def claim(self) -> None:
        """Claim the work now, writing nothing else: for work that outlives the update (a
        file made in the background), so that a redelivery does not start it twice (it
        raises DuplicateUpdate instead)."""
        async with self.transaction():
            pass

    @asynccontextmanager
    async def write_unclaimed(self) -> AsyncIterator[AsyncSession]:
        """A write transaction that claims nothing: bookkeeping that is right however often
        it runs (the registry's rows, the outbox, downloads, the sweep's once-only slots,
        an error's record), so it never makes a redelivery look done. Nothing waits for
        its commit (:meth:`after_commit` belongs to :meth:`transaction`)."""
        async with self.db.transaction() as session:
            yield session

    async def _take_claim(self, session: AsyncSession) -> None:
        if self._claim is not None:
            await self._claim(session)
            return
        update_id = self.update_id or 0
        if not await record_update(session, update_id, self.clock.now()):
            raise DuplicateUpdate(update_id)

    async def _owe_for_claim(self, session: AsyncSession) -> None:
        if self._claim is not None:
            if self._owed is not None:
                await self.owe_reply(session, *self._owed)
            return
        update = self.current_update
        message = update.message if isinstance(update, Update) else None
        if message is not None:
            said = (message.text or message.caption or "").strip()
            await self.owe_reply(session, message.chat_id, message.message_id, said)

    async def owe_reply(
        self, session: AsyncSession, chat_id: int, message_id: int, said: str
    ) -> None:
        """A command that changed something owes its sender an answer. Its real reply is
        sent after the commit; should the process die before that (the reply may wait a
        minute in a busy group's rate limit), this stand-in, written with the change, is
        sent instead by the next process: "✅ done: /claim 1". Nothing is owed for text
        that is no command, or when the answer itself went to the outbox."""
        if self.acknowledged or not said.startswith("/"):
            return
        stand_in = Outgoing(
            chat_id=chat_id,
            text=self.t("ack.after_restart", command=excerpt(said.splitlines()[0], 60)),
            reply_to=message_id,
            key=slots.acknowledgement(chat_id, message_id),
            group_id=self.group.id if self.group is not None else None,
        )
        owed = await enqueue(session, stand_in, self.clock.now(), held=True)
        if owed is not None:
            self.after_commit(lambda: self._hold(owed))

    async def _hold(self, owed: int) -> None:
        """The stand-in is committed: renewed while the update runs, settled after it
        (or sent, if the update fails before its answer)."""
        self.bot_data.sending.ids.add(owed)
        if self.update_id is not None:
            self.bot_data.settling.held[self.update_id] = owed

    def after_commit(self, action: Callable[[], Awaitable[None]]) -> None:
        """Do ``action`` once the write transaction now open has committed (sending the
        messages it wrote to the outbox, for one); never if it rolls back."""
        self._after_commit.append(action)

    def rolled_back(self) -> None:
        """The write transaction rolled back: what waited for its commit never happens."""
        self._after_commit = []

    async def committed(self) -> None:
        """The write transaction committed: do what waited for it, in order."""
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            await action()

    @property
    def claimed(self) -> bool:
        """Whether this update's id is recorded (a write transaction committed)."""
        return self._claimed

    @asynccontextmanager
    async def read(self, *, heavy: bool = False) -> AsyncIterator[AsyncSession]:
        """A session for reading: it claims nothing, so it can come before or after the
        update's write transaction (and never makes a redelivery look done). On SQLite
        it does not wait for writers; ``heavy``: many rows (a register's page), read off
        the event loop's thread."""
        async with self.db.read(heavy=heavy) as session:
            yield session

    def is_bot_admin(self, user_id: int) -> bool:
        """Whether the person is listed in config.toml's bot.admins."""
        return user_id in self.config.bot.admins
