"""A call's parameters, read the way Telegram reads them."""

from __future__ import annotations

import json
from typing import Any

from emulator.core.errors import bad_request


class Params:
    """Form parameters as PTB sends them: strings raw, everything else JSON text."""

    def __init__(self, method: str, raw: dict[str, str]) -> None:
        self.method = method
        self.raw = raw

    def has(self, name: str) -> bool:
        """Whether the call carries ``name``."""
        return name in self.raw

    def text(self, name: str, required: bool = False) -> str | None:
        """The raw string; a 400 if ``required`` and missing."""
        if name not in self.raw:
            if required:
                raise bad_request(f'parameter "{name}" is required')
            return None
        return self.raw[name]

    def integer(self, name: str, required: bool = False) -> int | None:
        """The value as an integer; a 400 if it is not one."""
        value = self.text(name, required)
        if value is None:
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_request(f'parameter "{name}" must be an integer') from None

    def flag(self, name: str) -> bool:
        """A boolean parameter ("true" or "1")."""
        value = self.raw.get(name)
        return value is not None and value.lower() in ("true", "1")

    def data(self, name: str, required: bool = False) -> Any:
        """The value parsed as JSON; a 400 if it does not parse."""
        value = self.text(name, required)
        if value is None:
            return None
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            raise bad_request(f"can't parse {name} JSON object") from None
