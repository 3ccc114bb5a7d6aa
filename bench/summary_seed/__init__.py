"""The month the ``/summary`` case reports on, seeded in bulk (as :mod:`bench.seed` does)
into one group: issues reported, rectified and verified in the month with their history
and photos, topics worked on with their result photos, events held with sign-ups,
check-ins and photos, new members and political birthdays — and the photos as real JPEG
files on disk, as the bot would have downloaded them.

The photos the report places (two result photos per topic, six before/after pairs of
verified issues, up to three per event) are ``photos`` distinct files, so the document
holds that many pictures; the other issue photos point at the same files (the report
does not place them).
"""

from bench.summary_seed.photos import make_photos
from bench.summary_seed.plan import ZONE, Plan, make_spec
from bench.summary_seed.seed import seed_month

__all__ = ["ZONE", "Plan", "make_photos", "make_spec", "seed_month"]
