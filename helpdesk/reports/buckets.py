"""Business time in buckets: the one scheme the report's percentiles are counted in.

A percentile needs how many targets took each length of time, not each target; counting
them per bucket instead of per minute keeps that distribution to a fixed number of counters,
so it can be kept per day and added up over any period (`helpdesk.reports.rollups`).

The buckets are whole minutes of business time (the time cut to the whole minute):

- below `EXACT_MINUTES` one bucket per minute, reported exactly;
- from there on each bucket starts where the previous one ended and is as wide as it can be
  while its value, the geometric mean of its first and last whole minute rounded to the
  minute, stays within `MAX_ERROR` of every whole minute in it;
- the last bucket, from `OPEN_FROM_MINUTES` (90 days) on, is open-ended and reported as its
  first minute.

So a percentile is reported within 6% of the exact whole-minute one (exactly below 16
minutes); docs/metrics.md states it for the managers. The database puts a time in its bucket
with `bucket_sql` (a search over the same bounds, as a CASE), on every backend.
"""

import math
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

MINUTE = 60
EXACT_MINUTES = 16
OPEN_FROM_MINUTES = 90 * 24 * 60
MAX_ERROR = 0.06


@dataclass(frozen=True)
class Bucket:
    first_minute: int
    end_minute: int | None  # excluded; None for the open-ended last bucket
    value_minutes: int  # what a percentile falling in the bucket is reported as


def _value(first: int, last: int) -> int:
    return round(math.sqrt(first * last))


def _error(first: int, last: int) -> float:
    value = _value(first, last)
    return max((value - first) / first, (last - value) / last)


def _buckets() -> list[Bucket]:
    buckets = [Bucket(minute, minute + 1, minute) for minute in range(EXACT_MINUTES)]
    first = EXACT_MINUTES
    while first < OPEN_FROM_MINUTES:
        last = first
        while last + 1 < OPEN_FROM_MINUTES and _error(first, last + 1) <= MAX_ERROR:
            last += 1
        buckets.append(Bucket(first, last + 1, _value(first, last)))
        first = last + 1
    buckets.append(Bucket(OPEN_FROM_MINUTES, None, OPEN_FROM_MINUTES))
    return buckets


BUCKETS = _buckets()
# The counters' names, in the rollup tables and in every aggregate query.
BUCKET_FIELDS = [f"b{index:02d}" for index in range(len(BUCKETS))]
_FIRST_MINUTES = [bucket.first_minute for bucket in BUCKETS]


def bucket_of(business_seconds: int) -> int:
    """The index of the bucket a business time falls in."""
    return bisect_right(_FIRST_MINUTES, business_seconds // MINUTE) - 1


def bucket_sql(column: str) -> str:
    """SQL giving the index of the bucket `column` (business seconds) falls in; NULL for NULL.

    A binary search over the bounds: seven comparisons a row, not one per bucket."""

    def search(low: int, high: int) -> str:
        if high - low == 1:
            return str(low)
        middle = (low + high) // 2
        bound = BUCKETS[middle].first_minute * MINUTE
        return (
            f"CASE WHEN {column} < {bound} THEN {search(low, middle)} "
            f"ELSE {search(middle, high)} END"
        )

    return f"CASE WHEN {column} IS NULL THEN NULL ELSE {search(0, len(BUCKETS))} END"


def percentile_seconds(counts: Sequence[int], fraction: Fraction) -> int | None:
    """Nearest rank over the buckets: the value of the first bucket at which at least
    `fraction` of the counted times lie in it or below; None when nothing was counted."""
    total = sum(counts)
    if not total:
        return None
    # so_far >= fraction × total, in whole numbers
    need, scale = fraction.numerator * total, fraction.denominator
    so_far = 0
    for bucket, count in zip(BUCKETS, counts, strict=True):
        so_far += count
        if so_far * scale >= need:
            return bucket.value_minutes * MINUTE
    raise AssertionError("unreachable: the counts add up to the total")
