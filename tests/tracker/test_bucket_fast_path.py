"""``analytics_rows.activity_buckets`` (the trends read's loop, written out inline) gives
exactly what the reference formulas of ``immersion.analytics`` give: the same buckets, the same
running totals, the same rounded floats, bit for bit."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from immersion.analytics import (
    LEDGER_COUNTERS,
    PERIOD_FIELDS,
    PeriodTotals,
    ThroughputBucket,
    activity_bucket,
    cumulative_buckets,
)
from immersion.stores.analytics_rows import activity_buckets, day_keys

FIRST = 20_000
_counter = st.integers(min_value=0, max_value=10**12)
_sums = st.tuples(st.integers(min_value=0, max_value=50), *[_counter] * len(LEDGER_COUNTERS))


@given(
    st.integers(min_value=0, max_value=60),
    st.dictionaries(st.integers(min_value=FIRST, max_value=FIRST + 60), _sums, max_size=40),
)
def test_the_inline_loop_matches_the_reference_formulas(
    length: int, groups: dict[int, tuple[int, ...]]
) -> None:
    keys = day_keys(FIRST, FIRST + length)
    activity, cumulative, ratios = activity_buckets(keys, groups)
    totals = {  # sums are in PERIOD_FIELDS order
        key: PeriodTotals(**dict(zip(PERIOD_FIELDS, groups[number], strict=True)))
        for key, number in keys
        if number in groups
    }
    names = [key for key, _ in keys]
    zero = PeriodTotals()
    assert activity == [activity_bucket(key, totals.get(key, zero)) for key in names]
    assert ratios == [ThroughputBucket.of(key, totals.get(key, zero)) for key in names]
    assert cumulative == cumulative_buckets(names, totals)
