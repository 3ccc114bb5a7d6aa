"""The vocabulary every layer shares: errors, parsing of numbers, dates, roads and
stakes, text cleaning and limits, positions, the clock and the configuration.

Pure Python: it imports nothing else of ours (a test checks), so storage, handlers and
the runtime can all use it.
"""
