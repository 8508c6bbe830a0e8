"""``analytics.minutes`` and ``analytics.round4`` are faster forms of ``round``: they must
return the very same float, or two reads of the same data would differ by where they round."""

from __future__ import annotations

import math
import random

from hypothesis import given
from hypothesis import strategies as st

from immersion.analytics import minutes, ratio, round4


def _same(left: float, right: float) -> bool:
    """Equal as bits (so 0.0 is not -0.0), NaN equal to NaN."""
    return (math.isnan(left) and math.isnan(right)) or (
        left == right and math.copysign(1.0, left) == math.copysign(1.0, right)
    )


def test_minutes_on_ties_and_edges() -> None:
    # ms % 60 == 30 is a tie of ms / 60; the others are the edges of the fast path
    values = [0, 1, 29, 30, 31, 59, 60, 90, 150, 1_530, 59_999, 60_000, 60_030, -30, -90]
    values += [2**50 - 1, 2**50, 2**50 + 30, -(2**50), 10**17 + 30]
    values += [60 * k + 30 for k in range(0, 5_000)]
    for ms in values:
        assert _same(minutes(ms), round(ms / 60_000, 3)), ms


def test_round4_on_ties_and_edges() -> None:
    values = [0.0, -0.0, 0.00005, 0.00015, 0.00025, 1.00005, 2.5e-5, 0.12345, 0.99995]
    values += [2**36 / 10_000, 2**36 / 10_000 + 1, 1e12, -1e12, 1e300, 5e-324]
    values += [math.inf, -math.inf, math.nan]
    values += [(k + 0.5) / 10_000 for k in range(0, 5_000)]
    for value in values:
        assert _same(round4(value), round(value, 4)), value


def test_the_ratios_of_counters_seeded() -> None:
    """The shapes the reads round: counters over counters, times a scale."""
    rng = random.Random(20261129)
    for _ in range(100_000):
        numerator = rng.randrange(0, 10**7)
        denominator = rng.randrange(1, 10**9)
        ms = rng.randrange(0, 10**11)
        assert _same(minutes(ms), round(ms / 60_000, 3)), ms
        for scale in (1.0, 100, 60_000, 3_600_000):
            exact = round(numerator / denominator * scale, 4)
            assert _same(ratio(numerator, denominator, scale) or 0.0, exact or 0.0)


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_round4_any_float(value: float) -> None:
    assert _same(round4(value), round(value, 4))


@given(st.integers(min_value=-(2**62), max_value=2**62))
def test_minutes_any_int(ms: int) -> None:
    assert _same(minutes(ms), round(ms / 60_000, 3))
