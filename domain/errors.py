"""The one tree of errors Vanguard raises on purpose.

``VanguardError`` is the root. ``UserError`` and its subclasses are refusals a person
should read: each has a catalog key, and the error handler (handlers/errors.py) turns it
into a localised reply. Anything that is not a ``VanguardError`` is a bug: it is logged
with an error id, and the person is shown that id with an apology.

    VanguardError
    ├── ConfigError              config.toml / environment is wrong (names the key)
    │   └── ConfigErrors         several keys are wrong (lists each)
    ├── DuplicateUpdate          this update was already processed (silently dropped)
    ├── BackupError              a backup cannot be made, or a file cannot be restored
    └── UserError                a localised refusal
        ├── UsageError           wrong arguments: the command's usage line
        ├── NotAdmin             admin-only command
        ├── GroupOnly / PrivateOnly
        ├── UnknownNumber        no such topic/issue/event number in this group
        ├── InvalidValue         a value that does not parse (date, time, zone, ...)
        └── Refused              a domain rule says no (TopicFull, NotClaimant, ...)
"""

from __future__ import annotations

from typing import Any


class VanguardError(Exception):
    """Root of every deliberate Vanguard error."""


class ConfigError(VanguardError):
    """The configuration is wrong; the message names the key and says what to do."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class ConfigErrors(ConfigError):
    """Several things are wrong with the configuration; the message lists each."""

    def __init__(self, problems: list[ConfigError]) -> None:
        VanguardError.__init__(self, "\n".join(str(p) for p in problems))
        self.key = problems[0].key
        self.problem = problems[0].problem
        self.problems = problems


class BackupError(VanguardError):
    """A backup cannot be made or a file cannot be restored; the message says why and
    what to do (`vanguard backup` / `vanguard restore` print it)."""


class DuplicateUpdate(VanguardError):
    """The update was already processed; its effects are in the database already."""

    def __init__(self, update_id: int) -> None:
        super().__init__(f"update {update_id} was already processed")
        self.update_id = update_id


class UserError(VanguardError):
    """A refusal the person reads, rendered from the catalog ``key`` with ``params``.

    A parameter named ``<name>_key`` is itself a catalog key: it is translated and passed
    as ``<name>``."""

    key = "error.generic"

    def __init__(self, **params: Any) -> None:
        super().__init__(f"{self.key} {params}")
        self.params = params


class UsageError(UserError):
    """Malformed or missing arguments: the reply is the command's usage line."""

    key = "error.usage"

    def __init__(self, command: str) -> None:
        super().__init__(command=command)
        self.command = command


class NotAdmin(UserError):
    """Only a group admin (or a configured bot admin) may do this."""

    key = "error.not_admin"


class GroupOnly(UserError):
    """The command works in a group only."""

    key = "error.group_only"


class PrivateOnly(UserError):
    """The command works in the private chat with the bot only."""

    key = "error.private_only"


class UnknownNumber(UserError):
    """No object of this kind carries this number in this group."""

    key = "error.unknown_number"

    def __init__(self, kind: str, number: int) -> None:
        super().__init__(kind=kind, number=number)


class InvalidValue(UserError):
    """A value that does not parse; ``key`` is chosen by the raiser."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        super().__init__(**params)


class Refused(UserError):
    """A rule of the domain says no; ``key`` names the rule's reply in the catalogs."""

    def __init__(self, key: str, **params: Any) -> None:
        self.key = key
        super().__init__(**params)


class TopicFull(Refused):
    """Every slot of the topic is taken."""

    def __init__(self, number: int, slots: int) -> None:
        super().__init__("topic.full", number=number, slots=slots)


class AlreadyClaimant(Refused):
    """The person has claimed this topic already."""

    def __init__(self, number: int) -> None:
        super().__init__("topic.already_yours", number=number)


class NotClaimant(Refused):
    """Only someone who claimed the topic may do this."""

    def __init__(self, number: int) -> None:
        super().__init__("topic.not_claimant", number=number)


class WrongStatus(Refused):
    """The topic (or issue) is not in a status that allows this step."""

    def __init__(self, number: int, status: str, kind: str = "topic") -> None:
        super().__init__(
            f"{kind}.wrong_status", number=number, status_key=f"{kind}.status.{status}"
        )
