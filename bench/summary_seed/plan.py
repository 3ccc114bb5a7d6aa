"""How much the month holds (:class:`Plan`), and its two groups (:func:`make_spec`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.spec import GroupSpec, Spec
from storage.summary import PAIRS

ZONE = "Asia/Shanghai"
PEOPLE = 60  # in the group: a creator, two admins, the rest members
NEW_MEMBERS = 5  # joined in the month
BIRTHDAYS = 8  # whose Party anniversary falls in the month
IN_PROGRESS_TOPICS = 10  # claimed, progress in the month, no result yet
IDLE_TOPICS = 10  # open, untouched in the month (not in the report)
TOPIC_PHOTOS = 2  # per submitted result (the report places at most two)


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
