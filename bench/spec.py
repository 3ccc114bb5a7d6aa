"""The big world of the ×1000 case as a :class:`Spec` (JSON): three groups and their
people; the same spec builds the emulator side, so a bot started on the seeded database
(here or in ``bench.export_child``) knows the chats and people."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from emulator.core import EChat, StoredFile, TelegramEmulator


@dataclass
class GroupSpec:
    """One group of the big world: its chat, people and how many issues it holds."""

    key: str
    chat_id: int
    title: str
    creator: int
    admins: list[int]
    members: list[int]
    issues: int
    topics: int = 10  # half done (on the wall), half open
    signups: int = 0  # event sign-ups, ten an event (bench.seed_events)

    @property
    def reporters(self) -> list[int]:
        """Who reported the issues (the admins and members, in turn)."""
        return [*self.admins, *self.members]


@dataclass
class Spec:
    """The whole world: people (id → name) and groups."""

    users: dict[int, str]
    groups: list[GroupSpec]
    files: list[tuple[str, str]] = field(default_factory=list)  # photos the bot may send

    def group(self, key: str) -> GroupSpec:
        """The group called ``key`` (small, big, other)."""
        return next(g for g in self.groups if g.key == key)

    def save(self, path: Path) -> None:
        """Write as JSON (for the export child)."""
        path.write_text(
            json.dumps(
                {
                    "users": self.users,
                    "groups": [asdict(g) for g in self.groups],
                    "files": self.files,
                }
            ),
            encoding="utf-8",
        )

    @classmethod
    def load(cls, path: Path) -> Spec:
        """Read what :meth:`save` wrote."""
        data = json.loads(path.read_text(encoding="utf-8"))
        users = {int(k): str(v) for k, v in data["users"].items()}
        files = [(str(f), str(u)) for f, u in data.get("files", [])]
        return cls(users, [GroupSpec(**g) for g in data["groups"]], files)


def make_spec(small: int, big: int, signups: tuple[int, int] = (0, 0)) -> Spec:
    """Three groups of ten people: ``small`` and ``big`` issues (and ``signups`` event
    sign-ups, small and big), and one without."""
    users: dict[int, str] = {}
    groups = []
    sizes = (("small", small, signups[0]), ("big", big, signups[1]), ("other", 0, 0))
    for index, (key, issues, signed) in enumerate(sizes):
        base = 7_000_000 + 100 * index
        ids = [base + n for n in range(10)]
        for n, uid in enumerate(ids):
            users[uid] = f"{key}{n}"
        groups.append(
            GroupSpec(
                key=key,
                chat_id=-4_100_000 - index,
                title=f"{key} 养护班",
                creator=ids[0],
                admins=[ids[1]],
                members=ids[2:],
                issues=issues,
                signups=signed,
            )
        )
    return Spec(users, groups)


def build_emulator(emulator: TelegramEmulator, spec: Spec) -> None:
    """The spec's people and chats in ``emulator``, the bot a member of every group."""
    for uid, name in spec.users.items():
        emulator.add_user(name, last_name="工", username=f"u{uid}", user_id=uid)
    for g in spec.groups:
        chat = EChat(g.chat_id, "group", g.title)
        chat.members[g.creator] = "creator"
        for uid in g.admins:
            chat.members[uid] = "administrator"
        for uid in g.members:
            chat.members[uid] = "member"
        chat.members[emulator.bot.id] = "member"
        emulator.chats[g.chat_id] = chat
    content = b"\xff\xd8\xff\xe0" + bytes(2042) + b"\xff\xd9"
    for file_id, unique in spec.files:
        emulator.files[file_id] = StoredFile(
            file_id, unique, content, f"photos/{unique}.jpg", len(content)
        )
