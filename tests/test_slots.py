"""The once-only keys: one per thing said, and a group's mornings and briefings found by
a key range that holds no other group's."""

from __future__ import annotations

from datetime import date

from domain import slots

DAYS = [date(2026, 12, 31), date(2027, 1, 1), date(2028, 2, 29)]
GROUPS = [1, 2, 10, 12, 19, 100, 123456789]


def test_a_groups_mornings_and_briefings_and_no_others_fall_in_its_range() -> None:
    for group in GROUPS:
        for keys, make in ((slots.mornings, slots.morning), (slots.briefings, slots.briefing)):
            first, after = keys(group)
            for other in GROUPS:
                for day in DAYS:
                    inside = first <= make(other, day) < after
                    assert inside == (other == group), (group, other, day)
            assert not first <= slots.deadlines(group, DAYS[0]) < after


def test_every_kind_of_key_is_its_own() -> None:
    day = DAYS[0]
    keys = [
        slots.morning(1, day),
        slots.briefing(1, day),
        slots.deadlines(1, day),
        slots.deadlines(1, day, 1),
        slots.birthday(1, day),
        slots.event_reminder(1, "24h"),
        slots.event_reminder(1, "1h"),
        slots.monthly_report(1, "2026-12"),
        slots.acknowledgement(1, 1),
    ]
    assert len(set(keys)) == len(keys)
    assert slots.deadlines(1, day, 2) != slots.deadlines(2, day, 1)
