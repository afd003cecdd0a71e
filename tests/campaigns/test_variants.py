"""Champion/challenger assignment: stable per account, distributed by weight."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.campaigns import Variant
from bot.campaigns.variants import bucket, choose_variant

AB = [Variant(id="A", weight=50), Variant(id="B", weight=50)]
ACCOUNTS = [f"ACC-{i:06d}" for i in range(10_000)]


@given(st.text(max_size=30), st.text(max_size=30), st.text(max_size=40))
def test_bucket_is_stable_and_in_range(campaign: str, step: str, account: str) -> None:
    b = bucket(campaign, step, account)
    assert 0 <= b < 100
    assert b == bucket(campaign, step, account)


def test_bucket_is_pinned() -> None:
    # a change of the hashing scheme would reshuffle running experiments: fail loudly
    assert bucket("c", "s", "ACC-000001") == 71
    assert bucket("c", "s", "ACC-000002") == 54


def test_separator_prevents_collisions_by_concatenation() -> None:
    pairs = [(bucket("a:b", "c", acc), bucket("a", "b:c", acc)) for acc in ACCOUNTS[:200]]
    assert any(x != y for x, y in pairs)


def test_fifty_fifty_over_ten_thousand_accounts() -> None:
    counts = Counter(choose_variant(AB, "camp", "reminder", a).id for a in ACCOUNTS)  # type: ignore[union-attr]
    assert 4_800 <= counts["A"] <= 5_200, counts
    assert counts["A"] + counts["B"] == 10_000


def test_uneven_weights_and_zero_weight() -> None:
    arms = [Variant(id="A", weight=20), Variant(id="Z", weight=0), Variant(id="B", weight=80)]
    counts = Counter(choose_variant(arms, "camp", "s", a).id for a in ACCOUNTS)  # type: ignore[union-attr]
    assert counts["Z"] == 0
    assert 1_850 <= counts["A"] <= 2_150, counts


def test_steps_are_independent_draws() -> None:
    same = sum(
        choose_variant(AB, "camp", "s1", a).id == choose_variant(AB, "camp", "s2", a).id  # type: ignore[union-attr]
        for a in ACCOUNTS
    )
    assert 4_700 <= same <= 5_300


def test_no_variants_and_bad_weights() -> None:
    assert choose_variant([], "c", "s", "a") is None
    with pytest.raises(ValueError, match="add up to 40"):
        choose_variant([Variant(id="A", weight=40)], "c", "s", "ACC-000001")
