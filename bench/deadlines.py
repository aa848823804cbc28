"""Deadline computations per second (issue 3 target: >= 150,000/s on one core).

100,000 random starts over 2025-2028 in all four markets, with warm holiday caches
(the production situation: calendars are built once per market and year).
Run: .venv/bin/python bench/deadlines.py
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.business_time import add_business_time  # noqa: E402

MARKETS = [("PL", "Europe/Warsaw"), ("CZ", "Europe/Prague"), ("SK", "Europe/Bratislava"), ("HU", "Europe/Budapest")]
N = 100_000


def main():
    rng = random.Random(42)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    span = int(timedelta(days=4 * 365).total_seconds())
    starts = [(base + timedelta(seconds=rng.randrange(span)), *rng.choice(MARKETS)) for _ in range(N)]
    for start, country, tz in starts[:2000]:  # warm the per-year calendars
        add_business_time(start, country, tz)
    best = 0.0
    for _round in range(3):
        t0 = time.perf_counter()
        for start, country, tz in starts:
            add_business_time(start, country, tz)
        elapsed = time.perf_counter() - t0
        best = max(best, N / elapsed)
        print(f"{N} deadlines in {elapsed:.3f} s = {N / elapsed:,.0f}/s")
    print(f"best: {best:,.0f} deadlines/s (target 150,000/s)")


if __name__ == "__main__":
    main()
