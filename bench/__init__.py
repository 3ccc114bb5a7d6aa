"""Benchmarks, not tests: ``python -m bench`` (``make bench``) measures the real bot
through the emulator against a bare python-telegram-bot echo bot; see ``bench/__main__.py``."""
