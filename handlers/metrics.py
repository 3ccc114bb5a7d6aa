"""What an operator watches, as Prometheus metrics: one registry per Application (kept
in its BotData, so two applications built in one process, as the tests do, never count
into each other's), written where things happen and read by ``GET /metrics``
(``bot/health.py``).

Counted here: updates handled, by command, with how long each took; errors by kind;
Telegram's 429s; updates parked; outbox messages sent, retried and failed; briefings
sent and skipped. Read from the database when scraped: the outbox's backlog, the parked
updates, the database and its migrations. Labels come from bounded sets only (the
command table, exception class names up to :data:`MAX_KINDS`), never from what people
type. Also kept: the time of the last completed minute sweep, which ``/healthz`` shows.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime
from typing import TYPE_CHECKING

from telegram import Update

from domain.slots import Outcome

if TYPE_CHECKING:
    from prometheus_client import CollectorRegistry, Counter, Gauge

# seconds: a reply in a quiet chat takes tens of milliseconds; one waiting for a busy
# group's 20 messages a minute, or a register being made, takes up to minutes
LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)
MAX_KINDS = 50  # error kinds kept apart; later new ones are counted as "other"
OTHER = "other"  # a command the bot does not know, or an update of another kind
CALLBACK = "callback"  # a button press
MESSAGE = "message"  # a message that is no command (a photo, a location, text)


def update_label(update: object, commands: Collection[str]) -> str:
    """The ``command`` label of an update: the command's name when it is one of
    ``commands`` (the text's or a caption's first word), ``other`` for another command
    or another kind of update, ``callback`` for a button press, ``message`` for any
    other message."""
    if not isinstance(update, Update):
        return OTHER
    if update.callback_query is not None:
        return CALLBACK
    message = update.message
    if message is None:
        return MESSAGE if update.edited_message is not None else OTHER
    said = (message.text or message.caption or "").lstrip()
    if not said.startswith("/"):
        return MESSAGE
    name = said[1:].split(None, 1)[0].split("@", 1)[0].lower() if len(said) > 1 else ""
    return name if name in commands else OTHER


class Instruments:
    """The Prometheus registry and its metrics (prometheus_client is imported here, when
    the first thing is counted or the first scrape comes, not at start)."""

    def __init__(self, last_sweep: Callable[[], float]) -> None:
        from prometheus_client import CollectorRegistry, Histogram

        self.registry = CollectorRegistry()
        count = self._counter
        self.updates = count("updates_handled", "Updates handled, by command", "command")
        self.latency = Histogram(
            "vanguard_update_seconds",
            "How long handling an update took (from its chat's turn), by command",
            ["command"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.errors = count("errors", "Errors in updates and jobs, by kind", "kind")
        self.flood_waits = count("telegram_429", "Telegram's 429 answers (flood waits)")
        self.parked = count("updates_parked", "Updates parked (running long)")
        self.outbox = count("outbox_messages", "Outbox sends: sent, retried, failed", "outcome")
        self.briefings_sent = count("briefings_sent", "Morning briefings written for sending")
        self.briefings_skipped = count(
            "briefings_skipped", "Morning briefings skipped: late, day_off", "reason"
        )
        for outcome in ("sent", "retried", "failed"):
            self.outbox.labels(outcome)
        for reason in (Outcome.LATE, Outcome.DAY_OFF):
            self.briefings_skipped.labels(reason.value)
        gauge = self._gauge  # read from the database when scraped (bot/health.py)
        self.outbox_waiting = gauge("outbox_waiting", "Outbox messages not sent yet")
        self.outbox_oldest_due = gauge(
            "outbox_oldest_due_age_seconds", "Seconds the oldest due outbox message has waited"
        )
        self.parked_waiting = gauge("parked_updates", "Updates parked right now")
        self.database_up = gauge("database_up", "1: the database answered the check")
        self.migrations_current = gauge("migrations_current", "1: at the newest migration")
        self.poller = gauge("poller", "1: this process fetches the updates (polling)")
        self.last_sweep_time = gauge(
            "last_sweep_timestamp_seconds", "When the last minute sweep ended (Unix time)"
        )
        self.last_sweep_time.set_function(last_sweep)  # read when scraped

    def _counter(self, name: str, text: str, *labels: str) -> Counter:
        from prometheus_client import Counter

        return Counter(f"vanguard_{name}", text, labels, registry=self.registry)

    def _gauge(self, name: str, text: str) -> Gauge:
        from prometheus_client import Gauge

        return Gauge(f"vanguard_{name}", text, registry=self.registry)


class Metrics:
    """The metrics of one running bot, in their own registry (:attr:`registry`), made
    when first needed."""

    def __init__(self) -> None:
        self.commands: frozenset[str] = frozenset()  # the command table's names
        self.last_sweep: datetime | None = None  # the last minute sweep's end (app clock)
        self._kinds: set[str] = set()
        self._made: Instruments | None = None

    @property
    def made(self) -> Instruments:
        """The registry and its metrics (made on first use)."""
        if self._made is None:
            self._made = Instruments(self._last_sweep_time)
        return self._made

    def _last_sweep_time(self) -> float:
        return self.last_sweep.timestamp() if self.last_sweep is not None else 0.0

    @property
    def registry(self) -> CollectorRegistry:
        """The registry ``GET /metrics`` shows."""
        return self.made.registry

    @property
    def parked(self) -> Counter:
        """Updates parked (running long)."""
        return self.made.parked

    def handled(self, update: object, seconds: float) -> None:
        """An update was handled in ``seconds``."""
        label = update_label(update, self.commands)
        self.made.updates.labels(label).inc()
        self.made.latency.labels(label).observe(seconds)

    def error(self, error: BaseException) -> None:
        """An error that was not a refusal ended up in the error handling."""
        kind = type(error).__name__
        if kind not in self._kinds:
            if len(self._kinds) >= MAX_KINDS:
                kind = OTHER
            else:
                self._kinds.add(kind)
        self.made.errors.labels(kind).inc()

    def flood_wait(self) -> None:
        """Telegram answered 429 (retry after)."""
        self.made.flood_waits.inc()

    def sent(self, outcome: str) -> None:
        """An outbox message was tried: ``sent``, ``retried`` or ``failed``."""
        self.made.outbox.labels(outcome).inc()

    def briefing(self, outcome: Outcome | None) -> None:
        """A group's morning was handled (None: by another sweep, not counted here)."""
        if outcome == Outcome.SENT:
            self.made.briefings_sent.inc()
        elif outcome is not None:
            self.made.briefings_skipped.labels(outcome.value).inc()

    def read(
        self,
        *,
        database: bool,
        migrations: bool,
        poller: bool,
        waiting: int | None = None,
        oldest_due_age: float | None = None,
        parked: int | None = None,
    ) -> None:
        """What the health check read (``waiting``, ``parked``: None when the database
        could not be read; they keep their last values)."""
        self.made.database_up.set(int(database))
        self.made.migrations_current.set(int(migrations))
        self.made.poller.set(int(poller))
        if waiting is not None:
            self.made.outbox_waiting.set(waiting)
            self.made.outbox_oldest_due.set(oldest_due_age or 0.0)
        if parked is not None:
            self.made.parked_waiting.set(parked)

    def swept(self, at: datetime) -> None:
        """A minute sweep ended at ``at``."""
        self.last_sweep = at
