"""The bot's command menus: setMyCommands, getMyCommands, deleteMyCommands."""

from __future__ import annotations

import json
from typing import Any

from emulator.core.errors import bad_request
from emulator.core.objects import UploadedFile
from emulator.core.params import Params
from emulator.core.state import EmulatorState


class Commands(EmulatorState):
    """Command lists kept per scope and language."""

    def _scope_key(self, params: Params) -> tuple[str, str]:
        scope = params.data("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), params.text("language_code") or ""

    def _set_my_commands(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        commands = params.data("commands", required=True)
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            name = command.get("command", "")
            if not ((1 <= len(name) <= 32 and name.islower()) or name.isdigit()):
                raise bad_request("command must be 1-32 lowercase characters")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("command description must be 1-256 characters")
        self.commands[self._scope_key(params)] = commands
        return True

    def _get_my_commands(self, params: Params, files: dict[str, UploadedFile]) -> Any:
        return self.commands.get(self._scope_key(params), [])

    def _delete_my_commands(self, params: Params, files: dict[str, UploadedFile]) -> bool:
        self.commands.pop(self._scope_key(params), None)
        return True
