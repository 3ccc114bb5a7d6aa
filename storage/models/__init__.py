"""SQLAlchemy 2 models: groups and members, topics, inspection issues, photos, albums,
events, pending commands and prompts (what a person is in the middle of), the outbox,
the sweep's deliveries, the admins' corrections of the holiday calendar and the updates
webhook workers hold — one module an area, every name re-exported here.

Importing this package defines every table on ``Base.metadata`` (Alembic's env and the
migration test read it from here). Telegram ids are ``BigInteger``; timestamps are aware
UTC through :class:`UTCDateTime`; relationships are never lazy-loaded (async code cannot
do implicit I/O). The model modules do without ``from __future__ import annotations``:
their ``Mapped[...]`` annotations are made as the class is, where strings would each be
evaluated by SQLAlchemy (a third of the models' import, some 30 ms of a start).
"""

from storage.models.base import NAMING_CONVENTION, Base, configure_models
from storage.models.calendar import CalendarDay
from storage.models.events import Event, EventSignup, VolunteerTally, WrongCode
from storage.models.groups import Counter, Group, Member, Membership, WallKey, full_name
from storage.models.issues import (
    ISSUE_ORDER,
    Issue,
    IssueAssigneeTally,
    IssueEvent,
    IssueMineTally,
    IssueRoadTally,
    IssueStakeTally,
    IssueTally,
)
from storage.models.outbox import Delivery, OutboxMessage
from storage.models.photos import Album, AlbumPart, Photo
from storage.models.prompts import PendingCommand, Prompt
from storage.models.topics import Milestone, Rating, Topic, TopicClaim, TopicEvent
from storage.models.updates import ParkedUpdate, ProcessedUpdate, SendBudget
from storage.models.webhook import WebhookUpdate

__all__ = [
    "ISSUE_ORDER",
    "NAMING_CONVENTION",
    "Album",
    "AlbumPart",
    "Base",
    "CalendarDay",
    "Counter",
    "Delivery",
    "Event",
    "EventSignup",
    "Group",
    "Issue",
    "IssueAssigneeTally",
    "IssueEvent",
    "IssueMineTally",
    "IssueRoadTally",
    "IssueStakeTally",
    "IssueTally",
    "Member",
    "Membership",
    "Milestone",
    "OutboxMessage",
    "ParkedUpdate",
    "PendingCommand",
    "Photo",
    "ProcessedUpdate",
    "Prompt",
    "Rating",
    "SendBudget",
    "Topic",
    "TopicClaim",
    "TopicEvent",
    "VolunteerTally",
    "WallKey",
    "WebhookUpdate",
    "WrongCode",
    "configure_models",
    "full_name",
]
