"""Vanguard's data: models, migrations and the rules that live next to the data.

Nothing in this package imports ``telegram``. Functions take an ``AsyncSession`` first
and never commit: the caller owns the transaction.
"""
