"""The ``vanguard`` command: run, demo, db upgrade, check-config, backup, restore."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from pathlib import Path

from bot.logs import setup_logging
from bot.tls import prepare as prepare_tls
from domain.config import Config, load_config, unknown_variables
from domain.errors import ConfigError

DEFAULT_CONFIG = Path("config.toml")
CONFIG_HELP = (
    "the TOML configuration (default: ./config.toml if it exists); VANGUARD_* environment "
    "variables override it (see config.example.toml)"
)


def _config_path(given: str | None) -> Path | None:
    if given:
        return Path(given)
    return DEFAULT_CONFIG if DEFAULT_CONFIG.exists() else None


def _load(given: str | None, *, require_token: bool = True) -> Config:
    return load_config(_config_path(given), require_token=require_token)


def cmd_run(args: argparse.Namespace) -> int:
    """Run the bot until SIGTERM/SIGINT."""
    # start-up makes most of the heap (modules, classes, the application), all of it for
    # good: the collector is off until the bot has started (bot.runner.settle_heap)
    gc.disable()
    prepare_tls()  # beside the imports below
    from telegram.error import InvalidToken

    from bot.app import build_application
    from bot.runner import run_until_signalled

    config = _load(args.config)
    setup_logging(config.secrets())
    app = build_application(config)
    try:
        return asyncio.run(run_until_signalled(app, config))
    except InvalidToken:
        print("config error: telegram.token: Telegram refused this token", file=sys.stderr)
        return 2


def cmd_demo(args: argparse.Namespace) -> int:
    """Play the scripted day against the built-in emulator and print the transcript."""
    from emulator.demo import run_demo

    setup_logging([], level=logging.WARNING)
    asyncio.run(run_demo(Path(args.db) if args.db else None, Path(args.out)))
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Apply database migrations."""
    from storage.db import Database
    from storage.migrate import current, upgrade

    config = _load(args.config, require_token=False)
    setup_logging(config.secrets())

    async def go() -> str | None:
        db = Database(config.database.url)
        try:
            await upgrade(db.engine)
            return await current(db.engine)
        finally:
            await db.dispose()

    revision = asyncio.run(go())
    print(f"database is at revision {revision}")
    return 0


def cmd_check_config(args: argparse.Namespace) -> int:
    """Validate the config and say exactly what is wrong."""
    for var in unknown_variables():
        print(f"warning: {var} looks like a Vanguard setting but matches no key", file=sys.stderr)
    config = _load(args.config)
    path = _config_path(args.config)
    print(
        f"config OK ({path or 'defaults and environment'}): mode={config.telegram.mode}, "
        f"database={config.database.url.split('://', 1)[0]}, token={config.telegram.token!r}"
    )
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    """Make a consistent copy of the database and the media folder while the bot runs."""
    from bot.backups import cmd_backup as backup

    config = _load(args.config, require_token=False)
    setup_logging(config.secrets(), level=logging.WARNING)
    return backup(config, args)


def cmd_restore(args: argparse.Namespace) -> int:
    """Check a backup and swap it in for the configured database and media folder."""
    from bot.backups import cmd_restore as restore

    config = _load(args.config, require_token=False)
    setup_logging(config.secrets(), level=logging.WARNING)
    return restore(config, args)


def _backup_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = sub.add_parser(
        "backup", help="copy the database and the media folder into one file, while the bot runs"
    )
    backup.add_argument(
        "file", nargs="?", help="where to write (default: a new file in [backup] dir)"
    )
    backup.add_argument("--config", help=CONFIG_HELP)
    backup.set_defaults(func=cmd_backup)
    restore = sub.add_parser(
        "restore", help="check a backup and swap it in (the bot must be stopped)"
    )
    restore.add_argument("file", help="a file made by `vanguard backup`")
    restore.add_argument(
        "--force", action="store_true", help="replace an existing database (it is kept aside)"
    )
    restore.add_argument("--config", help=CONFIG_HELP)
    restore.set_defaults(func=cmd_restore)


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``vanguard``."""
    top = argparse.ArgumentParser(prog="vanguard", description="Vanguard group bot")
    sub = top.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the bot (long polling or webhook)")
    run.add_argument("--config", help=CONFIG_HELP)
    run.set_defaults(func=cmd_run)
    demo = sub.add_parser("demo", help="play a scripted day against the built-in emulator")
    demo.add_argument("--db", help="SQLite file to use (default: a temporary one)")
    demo.add_argument("--out", default="demo-output", help="where files go")
    demo.set_defaults(func=cmd_demo)
    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    up = db_sub.add_parser("upgrade", help="apply migrations")
    up.add_argument("--config", help=CONFIG_HELP)
    up.set_defaults(func=cmd_db)
    check = sub.add_parser("check-config", help="validate config.toml and the environment")
    check.add_argument("--config", help=CONFIG_HELP)
    check.set_defaults(func=cmd_check_config)
    _backup_parsers(sub)
    return top


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``vanguard`` console script."""
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        for problem in getattr(exc, "problems", [exc]):
            print(f"config error: {problem}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
