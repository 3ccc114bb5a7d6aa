"""Checks values against ../shared/telegram-bot-api/api.json (the machine-readable Bot API)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

# python-telegram-bot 22.8 sends Defaults.parse_mode along with editMessageReplyMarkup
# (telegram/_bot.py, _send_message); Telegram ignores it. Known, and only this.
TOLERATED_EXTRA = {("editMessageReplyMarkup", "parse_mode")}
API_JSON = (
    Path(__file__).resolve().parent.parent.parent / "shared" / "telegram-bot-api" / "api.json"
)


@cache
def spec() -> dict[str, Any]:
    """The parsed api.json."""
    return dict(json.loads(API_JSON.read_text(encoding="utf-8")))


def check(value: Any, types: list[str], where: str) -> list[str]:
    """Problems with ``value`` as one of ``types`` (empty when it conforms)."""
    attempts = [_check_one(value, t, where) for t in types]
    if any(not problems for problems in attempts):
        return []
    return min(attempts, key=len)


def _check_one(value: Any, type_name: str, where: str) -> list[str]:
    if type_name.startswith("Array of "):
        if not isinstance(value, list):
            return [f"{where}: expected an array, got {type(value).__name__}"]
        inner = type_name[len("Array of ") :]
        problems: list[str] = []
        for index, item in enumerate(value):
            problems += _check_one(item, inner, f"{where}[{index}]")
        return problems
    if type_name == "Integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected Integer, got {value!r}"]
    if type_name == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return [] if ok else [f"{where}: expected Float, got {value!r}"]
    if type_name == "String":
        return [] if isinstance(value, str) else [f"{where}: expected String, got {value!r}"]
    if type_name == "Boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected Boolean, got {value!r}"]
    if type_name == "True":
        return [] if value is True else [f"{where}: expected True, got {value!r}"]
    if type_name == "InputFile":
        return []
    return check_object(value, type_name, where)


def check_object(value: Any, type_name: str, where: str) -> list[str]:
    """Problems with ``value`` as an object of the named Bot API type."""
    types = spec()["types"]
    if type_name not in types:
        return [f"{where}: unknown type {type_name}"]
    definition = types[type_name]
    if "subtypes" in definition:
        return check(value, definition["subtypes"], where)
    if not isinstance(value, dict):
        return [f"{where}: expected {type_name} object, got {type(value).__name__}"]
    fields = {f["name"]: f for f in definition.get("fields", [])}
    problems = []
    for name, field in fields.items():
        if field["required"] and name not in value:
            problems.append(f"{where}: {type_name} lacks required field {name!r}")
    for name, item in value.items():
        if name not in fields:
            problems.append(f"{where}: {type_name} has no field {name!r}")
            continue
        problems += check(item, fields[name]["types"], f"{where}.{name}")
    return problems


def check_call(method: str, params: dict[str, str], files: dict[str, bytes]) -> list[str]:
    """Problems with a call: unknown method, missing required parameter, malformed JSON
    parameter of an object or array type."""
    methods = spec()["methods"]
    if method not in methods:
        return [f"{method}: no such Bot API method"]
    problems = []
    for field in methods[method].get("fields", []):
        name, types = field["name"], field["types"]
        if field["required"] and name not in params and name not in files:
            problems.append(f"{method}: required parameter {name!r} missing")
        if name in params and not (
            {"String", "Integer", "Float", "Boolean", "InputFile"} & set(types)
        ):
            try:
                decoded = json.loads(params[name])
            except json.JSONDecodeError:
                problems.append(f"{method}.{name}: not JSON")
                continue
            problems += check(decoded, types, f"{method}.{name}")
    for name in params:
        if (method, name) in TOLERATED_EXTRA:
            continue
        if name not in {f["name"] for f in methods[method].get("fields", [])}:
            problems.append(f"{method}: unknown parameter {name!r}")
    return problems


def check_result(method: str, result: Any) -> list[str]:
    """Problems with a method's result against its declared return type."""
    returns = spec()["methods"][method]["returns"]
    return check(result, returns, f"{method}()")
