"""领题解题: topics with a result in the month, topics in progress, idle topics."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from bench.summary_seed.month import MonthWorld, add_photo
from bench.summary_seed.plan import IDLE_TOPICS, IN_PROGRESS_TOPICS, TOPIC_PHOTOS
from domain.kinds import Subject


def add_topics(world: MonthWorld) -> None:
    """Topics with a result in the month (half approved and rated), topics in
    progress, and idle ones."""
    total = world.plan.submitted_topics + IN_PROGRESS_TOPICS + IDLE_TOPICS
    for number in range(1, total + 1):
        submitted = number <= world.plan.submitted_topics
        idle = number > total - IDLE_TOPICS
        done = submitted and number % 2 == 0
        if idle:
            created = world.month.start - timedelta(days=30 + number)
        else:
            created = world.at(0.3 * world.rng.random()) - timedelta(days=20 * (number % 2))
        topic_id = world.ids.take("topics")
        worker = world.people[3 + number % (len(world.people) - 3)]
        world.rows.add(
            "topics",
            _topic(world, topic_id, number, created, submitted=submitted, idle=idle, done=done),
        )
        _topic_event(world, topic_id, "created", world.g.creator, created, None)
        if idle:
            continue
        claimed = _work_on(world, topic_id, worker, created)
        if submitted:
            _submit(world, topic_id, number, worker, claimed, done=done)


def _topic(
    world: MonthWorld,
    topic_id: int,
    number: int,
    created: datetime,
    *,
    submitted: bool,
    idle: bool,
    done: bool,
) -> dict[str, Any]:
    """A topic's row as it was created (submission and approval are added later)."""
    status = "done" if done else "review" if submitted else "open" if idle else "claimed"
    return {
        "id": topic_id,
        "group_id": world.group_id,
        "number": number,
        "title": f"桥涵病害整治方案研究 {number}",
        "description": "结合本段桥涵病害，提出整治方案并组织实施。",
        "due_on": world.month.next().first_day + timedelta(days=30),
        "slots": 2,
        "claimed_count": 0 if idle else 1,
        "status": status,
        "progress": 100 if submitted else 0 if idle else 60,
        "result": "完成整治，形成技术总结一份" if submitted else None,
        "result_message_id": None,
        "approval_comment": "同意" if done else None,
        "created_by": world.g.creator,
        "approved_by": world.g.creator if done else None,
        "created_at": created,
        "submitted_at": None,
        "approved_at": None,
        "updated_at": created,
    }


def _work_on(world: MonthWorld, topic_id: int, worker: int, created: datetime) -> datetime:
    """``worker`` claims the topic, reports progress twice and reaches two milestones;
    returns when it was claimed."""
    claimed = max(created, world.month.start) + timedelta(hours=2)
    world.rows.add("topic_claims", {"topic_id": topic_id, "user_id": worker, "claimed_at": claimed})
    _topic_event(world, topic_id, "claimed", worker, claimed, None)
    for step, progress in enumerate((30, 60), start=1):
        _topic_event(
            world, topic_id, "progress", worker, claimed + timedelta(days=3 * step), progress
        )
    for step in range(2):
        world.rows.add(
            "milestones",
            {
                "topic_id": topic_id,
                "due_on": (claimed + timedelta(days=4 + 4 * step)).date(),
                "text": f"第{step + 1}阶段：现场调查与方案比选",
                "created_by": worker,
                "created_at": claimed,
                "done_at": claimed + timedelta(days=4 + 4 * step),
            },
        )
    return claimed


def _submit(
    world: MonthWorld, topic_id: int, number: int, worker: int, claimed: datetime, *, done: bool
) -> None:
    """``worker`` submits a result with its photos; when ``done`` the creator approves it
    and a few people rate it."""
    at = claimed + timedelta(days=12 + 5 * world.rng.random())
    event_id = _topic_event(world, topic_id, "submitted", worker, at, 100)
    for _ in range(TOPIC_PHOTOS):
        add_photo(world.rows, world.group_id, Subject.TOPIC_EVENT, event_id, at, world.files.take())
    topic = world.rows.tables["topics"][-1]
    topic["submitted_at"] = topic["updated_at"] = at
    if not done:
        return
    approved = at + timedelta(days=1)
    _topic_event(world, topic_id, "approved", world.g.creator, approved, None)
    topic["approved_at"] = topic["updated_at"] = approved
    for rater in world.people[: 3 + number % 4]:
        world.rows.add(
            "ratings",
            {
                "topic_id": topic_id,
                "user_id": rater,
                "stars": 3 + (rater + number) % 3,
                "rated_at": approved,
            },
        )


def _topic_event(
    world: MonthWorld, topic_id: int, kind: str, actor: int, at: datetime, progress: int | None
) -> int:
    """One row of a topic's history; returns its id."""
    event_id = world.ids.take("topic_events")
    world.rows.add(
        "topic_events",
        {
            "id": event_id,
            "topic_id": topic_id,
            "kind": kind,
            "actor_id": actor,
            "subject_id": None,
            "note": "",
            "progress": progress,
            "at": at,
        },
    )
    return event_id
