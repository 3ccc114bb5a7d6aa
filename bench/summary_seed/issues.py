"""自查问题: the month's issues (and earlier ones still in its figures), their history and
photos."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from bench.seed import CATEGORIES, ROADS
from bench.summary_seed.month import MonthWorld, add_photo, within
from domain.kinds import Subject
from storage.summary import PAIRS

DESCRIPTIONS = [
    "路面坑槽，直径约40厘米，雨后积水",
    "纵向裂缝延伸约15米",
    "护栏立柱松动，板面变形",
    "限速标志被树枝遮挡",
    "边沟堵塞，排水不畅",
    "中央分隔带绿化缺株",
    "路面散落石块，影响通行",
    "桥头跳车，伸缩缝破损",
    "路肩沉陷，边坡局部冲刷",
]


def add_issues(world: MonthWorld) -> None:
    """Earlier issues (resolved before the month, or overdue at its end), then the
    month's: open, assigned, rectified and verified, on twenty roads."""
    plans: list[dict[str, Any]] = []
    for number in range(1, world.plan.earlier_issues + 1):
        created = world.month.start - timedelta(days=5 + 55 * world.rng.random(), minutes=number)
        overdue = number % 10 == 0
        status = "assigned" if overdue else "verified"
        plans.append(_issue(world, number, created, status, overdue=overdue))
    for n in range(world.plan.issues):
        number = world.plan.earlier_issues + n + 1
        created = world.at((n + world.rng.random()) / world.plan.issues)
        share = world.rng.random()
        status = (
            "open"
            if share < 0.10
            else "assigned"
            if share < 0.25
            else "fixed"
            if share < 0.45
            else "verified"
        )
        plans.append(_issue(world, number, created, status, overdue=False))
    verified = sorted(
        (i for i in plans if i["verified_at"] and within(world.month, i["verified_at"])),
        key=lambda i: (i["verified_at"], i["id"]),
    )
    paired = {i["id"] for i in verified[:PAIRS]}
    for issue in plans:
        world.rows.add("issues", issue)
        _history(world, issue, issue["id"] in paired)


def _issue(
    world: MonthWorld, number: int, created: datetime, status: str, overdue: bool
) -> dict[str, Any]:
    rng = world.rng
    reporter = world.person()
    assignee = world.person() if status != "open" else None
    fixed = verified = None
    if status in ("fixed", "verified"):
        fixed = world.before_now(created + timedelta(hours=4 + 68 * rng.random()))
    if status == "verified" and fixed is not None:
        verified = world.before_now(fixed + timedelta(hours=2 + 46 * rng.random()))
    deadline: date | None = None
    if overdue:
        deadline = world.month.first_day + timedelta(days=rng.randrange(0, 25))
    elif assignee is not None:
        deadline = (created + timedelta(days=rng.randrange(3, 21))).date()
    stake = rng.randrange(0, 150_000)
    located = rng.random() < 0.4
    return {
        "id": world.ids.take("issues"),
        "group_id": world.group_id,
        "number": number,
        "road": ROADS[number % len(ROADS)],
        "stake_from": stake,
        "stake_to": stake + (rng.randrange(0, 500) if rng.random() < 0.3 else 0),
        "latitude": 31.2 + rng.random() / 10 if located else None,
        "longitude": 121.4 + rng.random() / 10 if located else None,
        "category": CATEGORIES[number % len(CATEGORIES)],
        "severity": 1 + number % 3,
        "description": f"{DESCRIPTIONS[number % len(DESCRIPTIONS)]}（第 {number} 处）",
        "status": status,
        "reporter_id": reporter,
        "assignee_id": assignee,
        "deadline": deadline,
        "duplicate_of_id": None,
        "chat_id": world.g.chat_id,
        "created_at": created,
        "fixed_at": fixed,
        "verified_at": verified,
        "updated_at": verified or fixed or created,
    }


def _history(world: MonthWorld, issue: dict[str, Any], paired: bool) -> None:
    """reported (with a photo), assigned, fixed (with a photo), verified."""
    steps: list[tuple[str, int, int | None, datetime, bool]] = [
        ("reported", issue["reporter_id"], None, issue["created_at"], True)
    ]
    if issue["assignee_id"] is not None:
        assigned = issue["created_at"] + timedelta(hours=1)
        steps.append(("assigned", world.g.admins[0], issue["assignee_id"], assigned, False))
    if issue["fixed_at"] is not None:
        steps.append(("fixed", issue["assignee_id"], None, issue["fixed_at"], True))
    if issue["verified_at"] is not None:
        steps.append(("verified", world.g.admins[0], None, issue["verified_at"], False))
    for kind, actor, subject, at, photo in steps:
        event_id = world.ids.take("issue_events")
        world.rows.add(
            "issue_events",
            {
                "id": event_id,
                "issue_id": issue["id"],
                "kind": kind,
                "actor_id": actor,
                "subject_id": subject,
                "note": "",
                "at": at,
            },
        )
        if photo:
            path = world.files.take() if paired else world.files.any()
            add_photo(world.rows, world.group_id, Subject.ISSUE_EVENT, event_id, at, path)
