"""``python -m bot`` is the same as the ``vanguard`` command."""

from bot.cli import main

raise SystemExit(main())
