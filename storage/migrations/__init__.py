"""Alembic migrations; applied by ``vanguard db upgrade`` and on start."""
