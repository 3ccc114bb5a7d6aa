"""The sizes and repeats of every benchmark case (``BENCH_<SIZE>`` overrides them)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


def _env_int(name: str, default: int) -> int:
    """An integer from the environment (``BENCH_<NAME>``), else ``default``."""
    value = os.environ.get(f"BENCH_{name}")
    return int(value) if value else default


@dataclass
class Settings:
    """Sizes and repeats of every case; ``quick_run()`` gives a smoke run of every case
    (under three minutes on two cores, both databases)."""

    quick: bool = False
    repeats: int = 3  # figures measured this many times (median and spread)
    groups: int = 20  # throughput: groups
    members: int = 5  # throughput: members per group
    updates: int = 500  # throughput: updates per run
    sql_samples: int = 5  # sequential samples per command (SQL counts, idle latency)
    burst: int = 30  # fairness: commands group A sends at once
    burst_members: int = 15  # fairness: people in group A who send them
    drain_timeout: float = 180.0  # fairness: seconds to wait for A's burst (0: do not wait)
    flood: int = 1200  # flood: commands group A sends at once
    flood_members: int = 20  # flood: people in group A who send them
    flood_samples: int = 5  # flood: other groups' /help during the flood, one each
    flood_every: float = 2.0  # flood: seconds between those /help
    flood_timeout: float = 30.0  # flood: seconds a sample may take before "not answered"
    big_issues: int = 100_000  # ×1000 case: issues of the big group
    small_issues: int = 100  # ×1000 case: issues of the small group
    big_signups: int = 100_000  # ×1000 case: event sign-ups of the big group
    small_signups: int = 100  # ×1000 case: event sign-ups of the small group
    data_samples: int = 5  # ×1000 case: timed samples per command
    export_repeats: int = 3
    summary_issues: int = 2_000  # /summary: issues reported in the month
    summary_photos: int = 300  # /summary: photos the report places (real JPEG files)
    summary_events: int = 100  # /summary: events held in the month
    summary_repeats: int = 3  # /summary: runs of each format, each in a fresh process
    private_messages: int = 1000  # broadcast: private chats
    group_messages: int = 200  # broadcast: groups
    startup_repeats: int = 3
    morning_groups: int = 1000  # morning: groups briefed at one minute
    morning_processes: int = 3  # morning: runs with 1 … this many bot processes
    case_timeout: float = 1800.0  # seconds before a whole case is recorded as "timeout"
    sample_timeout: float = 120.0  # seconds one reply may take before "timeout"
    pg_url: str = ""
    databases: tuple[str, ...] = ("sqlite", "postgresql")
    only: tuple[str, ...] = ()
    work: Path = field(default_factory=lambda: Path("/tmp"))

    @classmethod
    def quick_run(cls) -> Settings:
        """Small sizes: every case runs once (the morning with one process), in under
        three minutes with both databases (most of the morning's is its wait for the
        next minute)."""
        return cls(
            quick=True,
            repeats=1,
            groups=3,
            members=3,
            updates=40,
            sql_samples=1,
            burst=25,
            burst_members=8,
            drain_timeout=0.0,
            flood=300,
            flood_members=10,
            flood_samples=2,
            flood_every=1.0,
            flood_timeout=3.0,
            big_issues=500,
            small_issues=5,
            big_signups=500,
            small_signups=5,
            data_samples=1,
            export_repeats=1,
            summary_issues=50,
            summary_photos=20,
            summary_events=5,
            summary_repeats=1,
            private_messages=30,
            group_messages=15,
            startup_repeats=1,
            morning_groups=60,
            morning_processes=1,
            case_timeout=300.0,
            sample_timeout=30.0,
        )

    def apply_env(self) -> None:
        """Let ``BENCH_<FIELD>`` environment variables override the sizes."""
        for name in (
            "repeats",
            "groups",
            "members",
            "updates",
            "sql_samples",
            "burst",
            "burst_members",
            "flood",
            "flood_members",
            "flood_samples",
            "big_issues",
            "small_issues",
            "big_signups",
            "small_signups",
            "data_samples",
            "export_repeats",
            "summary_issues",
            "summary_photos",
            "summary_events",
            "summary_repeats",
            "private_messages",
            "group_messages",
            "startup_repeats",
            "morning_groups",
            "morning_processes",
        ):
            setattr(self, name, _env_int(name.upper(), getattr(self, name)))
