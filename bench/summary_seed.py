"""The month the ``/summary`` case reports on, seeded in bulk (as :mod:`bench.seed` does)
into one group: issues reported, rectified and verified in the month with their history
and photos, topics worked on with their result photos, events held with sign-ups,
check-ins and photos, new members and political birthdays — and the photos as real JPEG
files on disk, as the bot would have downloaded them.

The photos the report places (two result photos per topic, six before/after pairs of
verified issues, up to three per event) are ``photos`` distinct files, so the document
holds that many pictures; the other issue photos point at the same files (the report
does not place them).
"""

from __future__ import annotations

import io
import multiprocessing
import random
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as daytime
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import text

from bench.seed import CATEGORIES, ROADS, GroupSpec, Spec, _bulk, _Ids
from domain.calendar import Month
from domain.kinds import EventType, SignupStatus, Subject
from storage.db import create_engine, is_sqlite
from storage.migrate import upgrade
from storage.models import (
    Counter,
    Event,
    EventSignup,
    Issue,
    IssueEvent,
    Member,
    Membership,
    Milestone,
    Photo,
    Rating,
    Topic,
    TopicClaim,
    TopicEvent,
)
from storage.models import Group as GroupRow
from storage.summary import PAIRS

ZONE = "Asia/Shanghai"
WIDTH, HEIGHT = 1280, 960  # a phone photo as Telegram keeps its largest size
PEOPLE = 60  # in the group: a creator, two admins, the rest members
NEW_MEMBERS = 5  # joined in the month
BIRTHDAYS = 8  # whose Party anniversary falls in the month
IN_PROGRESS_TOPICS = 10  # claimed, progress in the month, no result yet
IDLE_TOPICS = 10  # open, untouched in the month (not in the report)
TOPIC_PHOTOS = 2  # per submitted result (the report places at most two)
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
PLACES = ["支部活动室", "S272 K12 养护工区", "红色教育基地", "G325 服务区", "会议室", "社区广场"]


@dataclass
class Plan:
    """How much the month holds (from the bench settings)."""

    issues: int  # reported in the month (the report's issue list)
    photos: int  # photos the report places
    events: int  # events held in the month
    earlier_issues: int = 0  # before the month (resolved, or overdue at its end)
    submitted_topics: int = 0  # topics with a result in the month (two photos each)
    event_photos: list[int] = field(default_factory=list)  # per event

    @classmethod
    def of(cls, issues: int, photos: int, events: int) -> Plan:
        """Share ``photos`` out: six before/after pairs, about a quarter to topic
        results (two each), the rest over the events (at most three each): 300 photos
        are 12 + 40 × 2 + 208 over 100 events. (The report places MAX_PICTURES at
        most, 400 at the time of writing.)"""
        pairs = 2 * PAIRS
        if photos < pairs + TOPIC_PHOTOS or events < 1:
            raise ValueError(f"cannot share {photos} photos out with {events} events")
        submitted = max(1, (photos - pairs) * 5 // 18 // TOPIC_PHOTOS)
        rest = photos - pairs - TOPIC_PHOTOS * submitted
        if rest > 3 * events:  # too few events for the rest: more topics take them
            submitted += (rest - 3 * events + 1) // TOPIC_PHOTOS
            rest = photos - pairs - TOPIC_PHOTOS * submitted
        base, extra = divmod(rest, events)
        shares = [base + (1 if n < extra else 0) for n in range(events)]
        return cls(
            issues=issues,
            photos=photos,
            events=events,
            earlier_issues=issues // 2,
            submitted_topics=submitted,
            event_photos=shares,
        )


# ---------------------------------------------------------------------------- photos


def _jpeg(seed: int) -> bytes:
    """A 1280×960 JPEG that compresses like a photo (shapes, gradients, sensor noise:
    about 250 KB at quality 85)."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).rotate(rng.uniform(0, 360))
    tint = Image.new("RGB", (WIDTH, HEIGHT), tuple(rng.randrange(60, 200) for _ in range(3)))
    image = Image.blend(base.convert("RGB"), tint, 0.5)
    draw = ImageDraw.Draw(image)
    for _ in range(40):
        x, y, r = rng.randrange(WIDTH), rng.randrange(HEIGHT), rng.randrange(20, 200)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=tuple(rng.randrange(256) for _ in range(3)))
    noise = Image.effect_noise((WIDTH, HEIGHT), rng.uniform(20, 30)).convert("RGB")
    image = Image.blend(image, noise, 0.25)
    data = io.BytesIO()
    image.save(data, "JPEG", quality=85)
    return data.getvalue()


def _write_photo(path: Path, seed: int) -> int:
    """Write one photo (unless it is there already); its size."""
    if not path.exists():
        part = path.with_suffix(".part")
        part.write_bytes(_jpeg(seed))
        part.replace(path)
    return path.stat().st_size


def make_photos(folder: Path, count: int) -> tuple[list[Path], float]:
    """``count`` distinct photo files in ``folder`` (made once, reused by later runs in
    the same folder), in worker processes; the files and their mean size in bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = [folder / f"photo-{n:04d}.jpg" for n in range(count)]
    spawn = multiprocessing.get_context("spawn")  # the caller has threads: no fork
    with ProcessPoolExecutor(mp_context=spawn) as pool:
        sizes = list(pool.map(_write_photo, paths, range(count), chunksize=8))
    return paths, sum(sizes) / max(1, len(sizes))


class _Files:
    """Hands out the distinct files in order; ``any()`` gives one to reuse."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.next = 0
        self.reused = 0

    def take(self) -> str:
        if self.next >= len(self.paths):
            raise ValueError("more placed photos than files")
        self.next += 1
        return str(self.paths[self.next - 1])

    def any(self) -> str:
        self.reused += 1
        return str(self.paths[self.reused % len(self.paths)])


# ---------------------------------------------------------------------------- the world


def _within(month: Month, moment: datetime) -> bool:
    return month.start <= moment < month.end


def make_spec() -> Spec:
    """The reporting group (sixty people) and another one (ten) whose /help is timed."""
    users: dict[int, str] = {}
    groups = []
    for index, (key, size) in enumerate((("summary", PEOPLE), ("other", 10))):
        base = 7_500_000 + 1000 * index
        ids = [base + n for n in range(size)]
        for n, uid in enumerate(ids):
            users[uid] = f"{key}{n}"
        groups.append(
            GroupSpec(
                key=key,
                chat_id=-4_200_000 - index,
                title="S272 养护一班党支部" if key == "summary" else f"{key} 养护班",
                creator=ids[0],
                admins=ids[1:3] if key == "summary" else [ids[1]],
                members=ids[3:] if key == "summary" else ids[2:],
                issues=0,
            )
        )
    return Spec(users, groups)


@dataclass
class _Rows:
    """Rows per table, in insertion order."""

    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        self.tables.setdefault(table, []).append(row)
        return row


def _photo(
    rows: _Rows, group_id: int, kind: Subject, subject_id: int, at: datetime, path: str
) -> None:
    """A downloaded photo of a subject."""
    n = len(rows.tables.get("photos", []))
    unique = f"AQADs{n:09d}"
    rows.add(
        "photos",
        {
            "group_id": group_id,
            "subject_kind": kind.value,
            "subject_id": subject_id,
            "file_id": f"AgACAgUAAxkBAAI{unique}AAHSum",
            "file_unique_id": unique,
            "width": WIDTH,
            "height": HEIGHT,
            "file_size": Path(path).stat().st_size,
            "message_id": 100_000 + n,
            "local_path": path,
            "download_attempts": 0,
            "download_error": None,
            "created_at": at,
        },
    )


class _World:
    """Builds the month's rows for one group."""

    def __init__(
        self, g: GroupSpec, plan: Plan, month: Month, now: datetime, files: _Files
    ) -> None:
        self.g, self.plan, self.month, self.now, self.files = g, plan, month, now, files
        self.rng = random.Random(20261129)
        self.ids = _Ids()
        self.rows = _Rows()
        self.group_id = self.ids.take("groups")
        self.people = [g.creator, *g.admins, *g.members]
        self.span = month.end - month.start

    def at(self, share: float) -> datetime:
        """The moment ``share`` (0–1) of the way through the month."""
        return self.month.start + self.span * min(max(share, 0.0), 0.9999)

    def before_now(self, moment: datetime) -> datetime:
        """``moment``, or just before the bot's now if it would be later."""
        return min(moment, self.now - timedelta(minutes=5))

    def person(self) -> int:
        return self.rng.choice(self.people[1:])

    # --- 自查问题 ---------------------------------------------------------------------

    def issues(self) -> None:
        """Earlier issues (resolved before the month, or overdue at its end), then the
        month's: open, assigned, rectified and verified, on twenty roads."""
        plans: list[dict[str, Any]] = []
        for number in range(1, self.plan.earlier_issues + 1):
            created = self.month.start - timedelta(days=5 + 55 * self.rng.random(), minutes=number)
            overdue = number % 10 == 0
            status = "assigned" if overdue else "verified"
            plans.append(self._issue(number, created, status, overdue=overdue))
        for n in range(self.plan.issues):
            number = self.plan.earlier_issues + n + 1
            created = self.at((n + self.rng.random()) / self.plan.issues)
            share = self.rng.random()
            status = (
                "open"
                if share < 0.10
                else "assigned"
                if share < 0.25
                else "fixed"
                if share < 0.45
                else "verified"
            )
            plans.append(self._issue(number, created, status, overdue=False))
        verified = sorted(
            (i for i in plans if i["verified_at"] and _within(self.month, i["verified_at"])),
            key=lambda i: (i["verified_at"], i["id"]),
        )
        paired = {i["id"] for i in verified[:PAIRS]}
        for issue in plans:
            self.rows.add("issues", issue)
            self._history(issue, issue["id"] in paired)

    def _issue(self, number: int, created: datetime, status: str, overdue: bool) -> dict[str, Any]:
        rng = self.rng
        reporter = self.person()
        assignee = self.person() if status != "open" else None
        fixed = verified = None
        if status in ("fixed", "verified"):
            fixed = self.before_now(created + timedelta(hours=4 + 68 * rng.random()))
        if status == "verified" and fixed is not None:
            verified = self.before_now(fixed + timedelta(hours=2 + 46 * rng.random()))
        deadline: date | None = None
        if overdue:
            deadline = self.month.first_day + timedelta(days=rng.randrange(0, 25))
        elif assignee is not None:
            deadline = (created + timedelta(days=rng.randrange(3, 21))).date()
        stake = rng.randrange(0, 150_000)
        located = rng.random() < 0.4
        return {
            "id": self.ids.take("issues"),
            "group_id": self.group_id,
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
            "chat_id": self.g.chat_id,
            "created_at": created,
            "fixed_at": fixed,
            "verified_at": verified,
            "updated_at": verified or fixed or created,
        }

    def _history(self, issue: dict[str, Any], paired: bool) -> None:
        """reported (with a photo), assigned, fixed (with a photo), verified."""
        steps: list[tuple[str, int, int | None, datetime, bool]] = [
            ("reported", issue["reporter_id"], None, issue["created_at"], True)
        ]
        if issue["assignee_id"] is not None:
            assigned = issue["created_at"] + timedelta(hours=1)
            steps.append(("assigned", self.g.admins[0], issue["assignee_id"], assigned, False))
        if issue["fixed_at"] is not None:
            steps.append(("fixed", issue["assignee_id"], None, issue["fixed_at"], True))
        if issue["verified_at"] is not None:
            steps.append(("verified", self.g.admins[0], None, issue["verified_at"], False))
        for kind, actor, subject, at, photo in steps:
            event_id = self.ids.take("issue_events")
            self.rows.add(
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
                path = self.files.take() if paired else self.files.any()
                _photo(self.rows, self.group_id, Subject.ISSUE_EVENT, event_id, at, path)

    # --- 领题解题 ---------------------------------------------------------------------

    def topics(self) -> None:
        """Topics with a result in the month (half approved and rated), topics in
        progress, and idle ones."""
        total = self.plan.submitted_topics + IN_PROGRESS_TOPICS + IDLE_TOPICS
        for number in range(1, total + 1):
            submitted = number <= self.plan.submitted_topics
            idle = number > total - IDLE_TOPICS
            done = submitted and number % 2 == 0
            if idle:
                created = self.month.start - timedelta(days=30 + number)
            else:
                created = self.at(0.3 * self.rng.random()) - timedelta(days=20 * (number % 2))
            status = "done" if done else "review" if submitted else "open" if idle else "claimed"
            topic_id = self.ids.take("topics")
            worker = self.people[3 + number % (len(self.people) - 3)]
            self.rows.add(
                "topics",
                {
                    "id": topic_id,
                    "group_id": self.group_id,
                    "number": number,
                    "title": f"桥涵病害整治方案研究 {number}",
                    "description": "结合本段桥涵病害，提出整治方案并组织实施。",
                    "due_on": self.month.next().first_day + timedelta(days=30),
                    "slots": 2,
                    "claimed_count": 0 if idle else 1,
                    "status": status,
                    "progress": 100 if submitted else 0 if idle else 60,
                    "result": "完成整治，形成技术总结一份" if submitted else None,
                    "result_message_id": None,
                    "approval_comment": "同意" if done else None,
                    "created_by": self.g.creator,
                    "approved_by": self.g.creator if done else None,
                    "created_at": created,
                    "submitted_at": None,
                    "approved_at": None,
                    "updated_at": created,
                },
            )
            self._topic_event(topic_id, "created", self.g.creator, created, None)
            if idle:
                continue
            claimed = max(created, self.month.start) + timedelta(hours=2)
            self.rows.add(
                "topic_claims", {"topic_id": topic_id, "user_id": worker, "claimed_at": claimed}
            )
            self._topic_event(topic_id, "claimed", worker, claimed, None)
            for step, progress in enumerate((30, 60), start=1):
                self._topic_event(
                    topic_id, "progress", worker, claimed + timedelta(days=3 * step), progress
                )
            for step in range(2):
                self.rows.add(
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
            if not submitted:
                continue
            at = claimed + timedelta(days=12 + 5 * self.rng.random())
            event_id = self._topic_event(topic_id, "submitted", worker, at, 100)
            for _ in range(TOPIC_PHOTOS):
                _photo(
                    self.rows, self.group_id, Subject.TOPIC_EVENT, event_id, at, self.files.take()
                )
            topic = self.rows.tables["topics"][-1]
            topic["submitted_at"] = topic["updated_at"] = at
            if done:
                approved = at + timedelta(days=1)
                self._topic_event(topic_id, "approved", self.g.creator, approved, None)
                topic["approved_at"] = topic["updated_at"] = approved
                for rater in self.people[: 3 + number % 4]:
                    self.rows.add(
                        "ratings",
                        {
                            "topic_id": topic_id,
                            "user_id": rater,
                            "stars": 3 + (rater + number) % 3,
                            "rated_at": approved,
                        },
                    )

    def _topic_event(
        self, topic_id: int, kind: str, actor: int, at: datetime, progress: int | None
    ) -> int:
        event_id = self.ids.take("topic_events")
        self.rows.add(
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

    # --- 活动 -------------------------------------------------------------------------

    def events(self) -> None:
        """Events of every type through the month, with sign-ups, check-ins, credited
        minutes (volunteer service) and photos."""
        kinds = list(EventType)
        for n in range(self.plan.events):
            event_id = self.ids.take("events")
            starts = self.at((n + 0.5) / self.plan.events).replace(minute=0, second=0)
            ends = starts + timedelta(hours=2)
            kind = kinds[n % len(kinds)]
            people = self.rng.sample(self.people, self.rng.randrange(5, 26))
            self.rows.add(
                "events",
                {
                    "id": event_id,
                    "group_id": self.group_id,
                    "number": n + 1,
                    "kind": kind.value,
                    "title": f"{'主题党日' if n % 2 else '志愿服务'}活动 第{n + 1}期",
                    "place": PLACES[n % len(PLACES)],
                    "starts_at": starts,
                    "ends_at": ends,
                    "end_given": True,
                    "cap": None,
                    "latitude": None,
                    "longitude": None,
                    "walk_in": False,
                    "allow_pin": False,
                    "code_fallback": False,
                    "checkin_code": f"{n:06d}",
                    "link_token": f"sumlink{n:025d}",
                    "qr_token": f"sumqr{n:027d}",
                    "announce_message_id": None,
                    "joined_count": len(people),
                    "waiting_count": 0,
                    "last_seq": len(people),
                    "created_by": self.g.admins[0],
                    "created_at": starts - timedelta(days=3),
                    "updated_at": ends,
                },
            )
            for seq, uid in enumerate(people, start=1):
                came = self.rng.random() < 0.85
                volunteer = kind == EventType.VOLUNTEER and came
                self.rows.add(
                    "event_signups",
                    {
                        "event_id": event_id,
                        "user_id": uid,
                        "status": SignupStatus.IN.value,
                        "seq": seq,
                        "signed_at": starts - timedelta(days=2),
                        "checked_in_at": starts + timedelta(minutes=seq % 10) if came else None,
                        "checked_out_at": ends if volunteer else None,
                        "method": "code" if came else None,
                        "distance_m": None,
                        "minutes": 110 + seq % 20 if volunteer else None,
                    },
                )
            for _ in range(self.plan.event_photos[n]):
                _photo(self.rows, self.group_id, Subject.EVENT, event_id, ends, self.files.take())

    # --- 人 ---------------------------------------------------------------------------

    def people_rows(self, spec: Spec) -> None:
        """Everyone in both groups: a few joined this month, a few have their Party
        anniversary in it."""
        joined_long_ago = self.month.start - timedelta(days=400)
        birthdays = set(self.people[3 : 3 + BIRTHDAYS])
        newcomers = set(self.people[-NEW_MEMBERS:])
        for uid, name in spec.users.items():
            party = None
            if uid in birthdays:
                year = self.month.year - 3 - uid % 20
                party = date(year, self.month.month, 1 + uid % 28)
            self.rows.add(
                "members",
                {
                    "user_id": uid,
                    "username": f"u{uid}",
                    "first_name": name,
                    "last_name": "工",
                    "language_code": "zh-hans",
                    "real_name": f"张{name}" if uid in self.people else None,
                    "party_joined_on": party,
                    "started_at": joined_long_ago,
                    "created_at": joined_long_ago,
                    "updated_at": joined_long_ago,
                },
            )
        for g in spec.groups:
            group_id = self.group_id if g is self.g else self.ids.take("groups")
            self.rows.add(
                "groups",
                {
                    "id": group_id,
                    "chat_id": g.chat_id,
                    "title": g.title,
                    "chat_type": "group",
                    "language": "zh",
                    "timezone": ZONE,
                    "briefing_time": daytime(8, 0),
                    "workdays_only": False,
                    "active": True,
                    "admins_refreshed_at": self.now,
                    "created_at": joined_long_ago,
                    "updated_at": joined_long_ago,
                },
            )
            roles = {g.creator: "creator", **dict.fromkeys(g.admins, "admin")}
            for uid in [g.creator, *g.admins, *g.members]:
                first = joined_long_ago
                if g is self.g and uid in newcomers:
                    first = self.at(self.rng.random())
                self.rows.add(
                    "memberships",
                    {
                        "group_id": group_id,
                        "user_id": uid,
                        "role": roles.get(uid, "member"),
                        "active": True,
                        "first_seen_at": first,
                        "last_seen_at": self.now,
                    },
                )

    def counters(self) -> None:
        """The last numbers handed out (issues, topics, events)."""
        tables = self.rows.tables
        last = {"issue": len(tables["issues"]), "topic": len(tables["topics"])}
        last["event"] = self.plan.events
        for kind, number in last.items():
            self.rows.add(
                "counters", {"group_id": self.group_id, "kind": kind, "last_number": number}
            )


# the order the rows go in (foreign keys)
TABLES = {
    "members": Member,
    "groups": GroupRow,
    "memberships": Membership,
    "counters": Counter,
    "topics": Topic,
    "topic_claims": TopicClaim,
    "topic_events": TopicEvent,
    "milestones": Milestone,
    "ratings": Rating,
    "issues": Issue,
    "issue_events": IssueEvent,
    "events": Event,
    "event_signups": EventSignup,
    "photos": Photo,
}
SEQUENCES = ("groups", "topics", "topic_events", "issues", "issue_events", "events")


async def seed_month(
    url: str, spec: Spec, plan: Plan, month: Month, photos: list[Path]
) -> dict[str, Any]:
    """Migrate the database at ``url`` and fill the month in; row counts, how many
    photos the report should place, and the seconds it took."""
    began = time.perf_counter()
    files = _Files(photos)
    world = _World(spec.group("summary"), plan, month, datetime.now(UTC), files)
    world.people_rows(spec)
    world.topics()
    world.issues()
    world.events()
    world.counters()
    spec.group("summary").issues = len(world.rows.tables["issues"])
    engine = create_engine(url)
    counts: dict[str, int] = {}
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            for name, model in TABLES.items():
                rows: Iterator[dict[str, Any]] = iter(world.rows.tables.get(name, []))
                counts[name] = await _bulk(conn, model.__table__, rows)  # type: ignore[arg-type]
            if not is_sqlite(url):
                for table in SEQUENCES:
                    await conn.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                            f"(SELECT max(id) FROM {table}))"
                        )
                    )
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
    finally:
        await engine.dispose()
    return {
        "rows": counts,
        "month": month.label,
        "placed_photos": files.next,
        "seconds": round(time.perf_counter() - began, 2),
    }
