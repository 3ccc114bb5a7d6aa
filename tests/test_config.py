"""config.toml and environment: errors name the key; secrets never show."""

from __future__ import annotations

import logging
import subprocess
import sys
from datetime import time
from pathlib import Path

import pytest

from bot.logs import RedactSecrets, utc_formatter
from domain.config import load_config
from domain.errors import ConfigError

TOKEN = "123456:AAH-secret-token-value"


def write(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_full_example_config_loads(tmp_path: Path) -> None:
    example = Path(__file__).parent.parent / "config.example.toml"
    config = load_config(example, env={"VANGUARD_TOKEN": TOKEN})
    assert config.telegram.mode == "polling"
    assert config.bot.briefing_time == time(8, 0)
    assert config.bot.timezone == "Asia/Shanghai"
    assert config.database.url.startswith("sqlite+aiosqlite:///")
    assert not config.web.enabled and config.web.port == 8080
    assert config.backup.daily_at == time(3, 30) and config.backup.keep == 14
    assert config.backup.dir == Path("backups")


def test_the_daily_backup_is_set_in_the_file_or_the_environment(tmp_path: Path) -> None:
    body = f'[telegram]\ntoken = "{TOKEN}"\n[backup]\ndir = "/srv/b"\ndaily_at = ""\nkeep = 3\n'
    config = load_config(write(tmp_path, body), env={})
    assert config.backup.daily_at is None and config.backup.keep == 3
    assert config.backup.dir == Path("/srv/b")
    env = {"VANGUARD_BACKUP_DAILY_AT": "２：１５", "VANGUARD_BACKUP_KEEP": "7"}
    config = load_config(write(tmp_path, body), env=env)
    assert config.backup.daily_at == time(2, 15) and config.backup.keep == 7


def test_the_wall_pages_public_address_loses_its_trailing_slash(tmp_path: Path) -> None:
    body = f'[telegram]\ntoken = "{TOKEN}"\n[web]\npublic_url = "https://wall.example.org/x/"\n'
    config = load_config(write(tmp_path, body), env={})
    assert config.web.public_url == "https://wall.example.org/x" and config.web.enabled


@pytest.mark.parametrize(
    ("body", "key"),
    [
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\ncolour = "red"\n',
            "telegram.colour",
            id="unknown-key",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\n[extras]\na = 1\n',
            "extras",
            id="unknown-section",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\n[webhook]\nport = "80"\n',
            "webhook.port",
            id="wrong-type",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\n[bot]\nadmins = [1, "two"]\n',
            "bot.admins",
            id="admins-not-ids",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\n[bot]\ntimezone = "Asia/Beijing"\n',
            "bot.timezone",
            id="bad-timezone",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\n[bot]\nbriefing_time = "25:00"\n',
            "bot.briefing_time",
            id="bad-time",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\n[bot]\nlanguage = "fr"\n',
            "bot.language",
            id="bad-language",
        ),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\nmode = "push"\n',
            "telegram.mode",
            id="bad-mode",
        ),
        pytest.param('[telegram]\ntoken = ""\n', "telegram.token", id="missing-token"),
        pytest.param(
            '[telegram]\ntoken = "123:abcdefghijklmnop"\nmode = "webhook"\n[webhook]\nurl = "https://e.org/tg"\n',
            "webhook.secret_token",
            id="webhook-without-secret",
        ),
    ],
)
def test_config_error_names_the_key(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, body), env={})
    assert caught.value.key.startswith(key)
    assert key in str(caught.value)


def test_environment_overrides_file_and_converts_types(tmp_path: Path) -> None:
    path = write(tmp_path, '[telegram]\ntoken = "123:file-token-value"\n[bot]\nadmins = [1]\n')
    config = load_config(
        path,
        env={
            "VANGUARD_TELEGRAM_TOKEN": TOKEN,
            "VANGUARD_BOT_ADMINS": "42, 43",
            "VANGUARD_BOT_WORKDAYS_ONLY": "true",
            "VANGUARD_WEBHOOK_PORT": "9000",
            "VANGUARD_DATABASE_URL": "postgresql+asyncpg://u@h/db",
            "VANGUARD_BOT_BRIEFING_TIME": "07:30",
        },
    )
    assert config.telegram.token.get() == TOKEN
    assert config.bot.admins == (42, 43)
    assert config.bot.workdays_only is True
    assert config.webhook.port == 9000
    assert config.database.url == "postgresql+asyncpg://u@h/db"
    assert config.bot.briefing_time == time(7, 30)


def test_environment_value_of_wrong_type_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(None, env={"VANGUARD_TOKEN": TOKEN, "VANGUARD_WEBHOOK_PORT": "eighty"})
    assert "webhook.port" in str(caught.value)
    assert "VANGUARD_WEBHOOK_PORT" in str(caught.value)


def test_token_alias_and_masking_in_repr() -> None:
    config = load_config(None, env={"VANGUARD_TOKEN": TOKEN, "VANGUARD_WEBHOOK_SECRET": "s3cr3t"})
    assert config.telegram.token.get() == TOKEN
    shown = repr(config) + str(config)
    assert TOKEN not in shown
    assert "s3cr3t" not in shown
    assert "***" in shown


def test_the_database_password_is_neither_shown_nor_logged() -> None:
    url = "postgresql+asyncpg://vanguard:hunter2pw@db.example/vanguard"
    config = load_config(None, env={"VANGUARD_TOKEN": TOKEN, "VANGUARD_DATABASE_URL": url})
    assert config.database.url == url  # the engine still gets it
    shown = repr(config) + str(config)
    assert "hunter2pw" not in shown and "vanguard:***@db.example" in shown
    assert "hunter2pw" in config.secrets()
    record = logging.LogRecord(
        "sqlalchemy", logging.ERROR, __file__, 1, "cannot connect to %s", (url,), None
    )
    RedactSecrets(config.secrets()).filter(record)
    assert "hunter2pw" not in record.getMessage()


def test_log_filter_redacts_token_plain_and_url_quoted() -> None:
    record = logging.LogRecord(
        "httpx",
        logging.INFO,
        __file__,
        1,
        "POST https://api.telegram.org/bot%s/getMe and %s",
        (TOKEN, TOKEN.replace(":", "%3A")),
        None,
    )
    RedactSecrets([TOKEN]).filter(record)
    assert TOKEN not in record.getMessage()
    assert TOKEN.replace(":", "%3A") not in record.getMessage()
    assert "bot***/getMe" in record.getMessage()


def run_cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=cwd,
    )


def test_check_config_cli_reports_the_key_and_fails(tmp_path: Path) -> None:
    path = write(
        tmp_path, '[telegram]\ntoken = "123:abcdefghijklmnop"\n[bot]\ntimezone = "Nowhere/City"\n'
    )
    result = run_cli("check-config", "--config", str(path), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "bot.timezone" in result.stderr
    assert "Nowhere/City" in result.stderr


def test_check_config_cli_accepts_a_good_config_without_showing_the_token(tmp_path: Path) -> None:
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n')
    result = run_cli("check-config", "--config", str(path), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert "config OK" in result.stdout
    assert TOKEN not in result.stdout + result.stderr


def test_check_config_cli_missing_token(tmp_path: Path) -> None:
    path = write(tmp_path, '[bot]\nlanguage = "en"\n')
    result = run_cli("check-config", "--config", str(path), env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 2
    assert "telegram.token" in result.stderr


@pytest.mark.parametrize(
    ("body", "key"),
    [
        pytest.param('[telegram]\ntoken = "abc"\n', "telegram.token", id="token-abc"),
        pytest.param('[telegram]\ntoken = "   "\n', "telegram.token", id="token-blank"),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "mysql://u@h/db"\n',
            "database.url",
            id="mysql",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[database]\nurl = "postgresql://u@h/db"\n',
            "database.url",
            id="sync-driver",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[webhook]\nurl = "http://e.org/tg"\n',
            "webhook.url",
            id="webhook-http",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[webhook]\nport = 0\n', "webhook.port", id="port-0"
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[webhook]\nlisten = "my laptop"\n',
            "webhook.listen",
            id="listen-not-ip",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\napi_base_url = "api.telegram.org"\n',
            "telegram.api_base_url",
            id="api-not-url",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[web]\npublic_url = "wall.example.org"\n',
            "web.public_url",
            id="web-not-url",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[web]\npublic_url = "https://e.org/?a=1"\n',
            "web.public_url",
            id="web-query",
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[web]\nport = 70000\n', "web.port", id="web-port"
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[backup]\nkeep = 0\n', "backup.keep", id="keep-0"
        ),
        pytest.param(
            f'[telegram]\ntoken = "{TOKEN}"\n[backup]\ndaily_at = "3:30am"\n',
            "backup.daily_at",
            id="backup-time",
        ),
    ],
)
def test_values_that_cannot_work_are_refused(tmp_path: Path, body: str, key: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, body), env={})
    assert caught.value.key.startswith(key)


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    body = (
        '[telegram]\ntoken = "abc"\napi_base_url = "nope"\n'
        '[webhook]\nport = 0\n[database]\nurl = "mysql://x"\n'
    )
    result = run_cli(
        "check-config", "--config", str(write(tmp_path, body)), env={"PATH": "/usr/bin:/bin"}
    )
    assert result.returncode == 2
    for key in ("telegram.token", "telegram.api_base_url", "webhook.port", "database.url"):
        assert f"config error: {key}" in result.stderr


def test_misspelled_variables_are_named(tmp_path: Path) -> None:
    path = write(tmp_path, f'[telegram]\ntoken = "{TOKEN}"\n')
    env = {"PATH": "/usr/bin:/bin", "VANGUARD_TELEGRAM_TOKN": "x", "VANGUARD_BOT_LANGUAGE": "en"}
    result = run_cli("check-config", "--config", str(path), env=env)
    assert result.returncode == 0, result.stderr
    assert "VANGUARD_TELEGRAM_TOKN" in result.stderr
    assert "VANGUARD_BOT_LANGUAGE" not in result.stderr


@pytest.mark.parametrize(
    ("section", "value", "key"),
    [
        pytest.param("webhook", 'secret_token = "a b!"', "webhook.secret_token", id="secret-chars"),
        pytest.param("media", 'dir = ""', "media.dir", id="empty-media-dir"),
        pytest.param("database", 'url = "postgresql+asyncpg://"', "database.url", id="pg-no-host"),
        pytest.param(
            "database", 'url = "sqlite+aiosqlite:///"', "database.url", id="sqlite-memory"
        ),
    ],
)
def test_values_that_would_fail_later_are_refused_now(
    tmp_path: Path, section: str, value: str, key: str
) -> None:
    body = f'[telegram]\ntoken = "{TOKEN}"\n[{section}]\n{value}\n'
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, body), env={})
    assert caught.value.key.startswith(key)


def test_log_lines_are_stamped_in_utc_and_say_so() -> None:
    record = logging.LogRecord("vanguard", logging.INFO, __file__, 1, "started", None, None)
    record.created, record.msecs = 1_796_540_100.25, 250.0  # 2026-12-06 06:55:00.25 UTC
    assert utc_formatter().format(record) == "2026-12-06T06:55:00.250Z INFO vanguard: started"
