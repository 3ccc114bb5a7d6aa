"""The transcript of a scenario: what people and the bot wrote, line by line."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable


class Transcript(list[str]):
    """The lines of a scenario; with ``echo``, each line is also printed as it comes."""

    def __init__(self, echo: bool = False) -> None:
        super().__init__()
        self.echo = echo

    def append(self, line: str) -> None:
        """Add a line (and print it at once when echoing)."""
        super().append(line)
        if self.echo:
            try:
                print(line, flush=True)
            except BrokenPipeError:  # `vanguard demo | head`: stop printing, quietly
                self.echo = False
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())

    def extend(self, lines: Iterable[str]) -> None:
        """Add several lines, each as :meth:`append` does."""
        for line in lines:
            self.append(line)
