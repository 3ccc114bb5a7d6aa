"""The TLS context of the connections to Telegram, made on a thread of its own while
start-up imports the rest: reading the CA bundle (some 25 ms) lets go of the
interpreter, so the two overlap."""

from __future__ import annotations

import ssl
import threading

_made: list[ssl.SSLContext] = []
_making: list[threading.Thread] = []


def prepare() -> None:
    """Start making the context beside start-up (``vanguard run``, before it imports the
    bot)."""
    if not _making:
        thread = threading.Thread(target=_make, name="vanguard-tls", daemon=True)
        _making.append(thread)
        thread.start()


def _make() -> None:
    from httpx import create_ssl_context  # as python-telegram-bot's client would make it

    _made.append(create_ssl_context())


def tls_context() -> ssl.SSLContext:
    """The context :func:`prepare` made (once it is ready), or one made now."""
    while _making:
        _making.pop().join()
    if _made:
        return _made.pop()
    from httpx import create_ssl_context

    return create_ssl_context()
