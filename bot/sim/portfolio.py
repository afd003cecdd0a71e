"""Synthetic portfolios (Faker): never real people. Used by the demo, tests and benchmarks."""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from faker import Faker

HEADER = [
    "account_id", "name", "balance", "currency", "due_date", "phone", "email",
    "telegram_chat_id", "country", "timezone", "language", "segment", "product",
    "minimum_payment", "date_of_birth", "id_last4",
]

# (country, currency, language, faker locale, share)
_MARKETS = [
    ("US", "USD", "en", "en_US", 0.55),
    ("GB", "GBP", "en", "en_GB", 0.15),
    ("CN", "CNY", "zh", "zh_CN", 0.30),
]
_PRODUCTS = ["card", "personal_loan", "overdraft", "auto_loan"]
_SEGMENTS = ["prime", "near_prime", "subprime"]


def _phone(rng: random.Random, country: str) -> str:
    if country == "US":
        area = rng.choice(["212", "312", "415", "617", "713", "206", "305", "404"])
        return f"+1{area}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
    if country == "GB":
        return f"+447{rng.choice(['400', '800', '900', '500'])}{rng.randint(0, 999999):06d}"
    return f"+861{rng.choice(['39', '58', '86', '37'])}{rng.randint(0, 99999999):08d}"


def generate_rows(n: int, seed: int = 7, today: date | None = None) -> Iterator[list[str]]:
    """Yield ``n`` CSV rows (see HEADER) of synthetic, valid cases."""
    rng = random.Random(seed)
    fakers = {loc: Faker(loc) for *_, loc, _ in _MARKETS}
    for f in fakers.values():
        f.seed_instance(seed)
    today = today or date(2026, 12, 1)
    weights = [m[4] for m in _MARKETS]
    for i in range(n):
        country, currency, lang, loc, _ = rng.choices(_MARKETS, weights)[0]
        fk = fakers[loc]
        name = fk.name()
        balance = round(rng.lognormvariate(6.5, 1.0), 2)
        dpd = rng.choice([-3, -1, 0, 1, 3, 5, 8, 15, 22, 30, 40, 45, 60, 75])
        has_email = rng.random() < 0.7
        has_tg = rng.random() < 0.2
        yield [
            f"ACC{i + 1:08d}", name, f"{balance:.2f}", currency,
            (today - timedelta(days=dpd)).isoformat(), _phone(rng, country),
            f"user{i + 1}@example.com" if has_email else "",
            str(rng.randint(10**8, 10**10)) if has_tg else "",
            country, "", lang, rng.choice(_SEGMENTS), rng.choice(_PRODUCTS),
            f"{max(25.0, balance * 0.05):.2f}",
            (date(1960, 1, 1) + timedelta(days=rng.randint(0, 15000))).isoformat(),
            f"{rng.randint(0, 9999):04d}",
        ]


def write_portfolio(path: Path, n: int, seed: int = 7, today: date | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        w.writerows(generate_rows(n, seed, today))
    return path
