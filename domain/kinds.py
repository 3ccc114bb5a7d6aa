"""The names the data is built from: statuses, history kinds, what a photo belongs to,
and what a person can be in the middle of. ``StrEnum``s, so they are stored and
compared as the plain strings they always were."""

from __future__ import annotations

from enum import StrEnum

# ``rate_limit_args`` of a send that may wait behind replies to people (an announcement
# edited in place, a briefing): the rate limiter (bot/limits.py) lets replies go first
BULK_SEND = "bulk"


class TopicStatus(StrEnum):
    """Where a topic is in its life: open → claimed → review → done."""

    OPEN = "open"
    CLAIMED = "claimed"
    REVIEW = "review"
    DONE = "done"


class TopicEventKind(StrEnum):
    """One kind of step in a topic's history."""

    CREATED = "created"
    CLAIMED = "claimed"
    RELEASED = "released"
    MILESTONE = "milestone"
    PROGRESS = "progress"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"


class IssueStatus(StrEnum):
    """Where an inspection issue is: open → assigned → fixed → verified."""

    OPEN = "open"
    ASSIGNED = "assigned"
    FIXED = "fixed"
    VERIFIED = "verified"


class IssueEventKind(StrEnum):
    """One kind of step in an issue's history."""

    REPORTED = "reported"
    LOCATED = "located"
    ASSIGNED = "assigned"
    FIXED = "fixed"
    VERIFIED = "verified"
    REOPENED = "reopened"
    DUPLICATE = "duplicate"


class Subject(StrEnum):
    """What a photo (or an album) belongs to; its id is the row of that kind."""

    TOPIC_EVENT = "topic_event"
    ISSUE_EVENT = "issue_event"
    EVENT = "event"  # photos of an activity (活动照片)


class PromptKind(StrEnum):
    """What a person is in the middle of in a chat, waiting for their next message."""

    REPORT = "report"  # the guided /report in private chat
    FIX_PHOTO = "fix_photo"  # /fixed without a photo: the "after" photo is awaited
    CHECKIN = "checkin"  # a check-in waiting for the person's location or the code


class EventType(StrEnum):
    """The branch's recurring activities (活动): party lesson, heart-to-heart talk,
    study, volunteer service, a visit to an education base, a branch meeting."""

    LESSON = "lesson"  # 党课
    TALK = "talk"  # 谈心谈话
    STUDY = "study"  # 学习园地
    VOLUNTEER = "volunteer"  # 志愿服务
    VISIT = "visit"  # 参观教育基地
    MEETING = "meeting"  # 支部会议


class SignupStatus(StrEnum):
    """A person's place at an event: in (has a place) or waiting (on the waiting list)."""

    IN = "in"
    WAITING = "waiting"


class CheckinMethod(StrEnum):
    """How a check-in was proven: a live location inside the radius, a static pin (where
    the admin allowed it), the event's code, the QR code printed at the venue, or an
    admin's word after the fact (补录, ``/attendance n add``)."""

    LIVE = "live"
    PIN = "pin"
    CODE = "code"
    QR = "qr"
    RECORDED = "recorded"


class DayKind(StrEnum):
    """What a correction of the holiday calendar makes a day: a day off, or a working
    day (a weekend day worked in exchange, 调休)."""

    OFF = "off"
    WORK = "work"
