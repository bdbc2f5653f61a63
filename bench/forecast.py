"""Benchmark: forecasting real community activity, every method against last period's value.

Usage:
    .venv/bin/python bench/forecast.py --data DIR      (DIR: see bench/realchat.py)

For each real chat and period (week, 30 days) it prints each candidate's one-step-ahead mean
absolute error over the past periods (each forecast made from the days before it only), the
naive baseline ("same as last period") measured in the same run, and the walk-forward check of
what the digest does: pick the method on past data, forecast, and see whether the "likely"
(80%) range held the real value.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from realchat import SOURCES, data_dir, load

from models.forecast import METHODS, backtest, evaluate


def daily_counts(name: str, root: Path) -> np.ndarray:
    """Messages per UTC day of a real chat, zero-filled."""
    days = Counter(int(m.at.timestamp()) // 86400 for m in load(name, root))
    return np.array([days.get(d, 0) for d in range(min(days), max(days) + 1)], dtype=float)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder with the real chats (see bench/realchat.py)")
    args = parser.parse_args()
    root = data_dir(args.data)
    for name, (repo, commit, lang) in SOURCES.items():
        daily = daily_counts(name, root)
        print(
            f"\n{name} ({repo} @ {commit[:10]}, {lang}): {daily.size} days, {daily.sum():,.0f} msgs"
        )
        for days, unit in ((7, "week"), (30, "30 days")):
            tests = backtest(daily, days, periods=80)
            n = len(tests["naive"].actuals)
            if n == 0:
                print(f"  per {unit}: too little history for a backtest")
                continue
            naive = tests["naive"].mae
            print(f"  per {unit}, {n} past periods: MAE (ratio to naive)")
            for method in METHODS:
                mae = tests[method].mae
                print(f"    {method:<22} {mae:8.0f}  ({mae / naive:.2f})")
            ev = evaluate(daily, days)
            if ev is None:
                print("    walk-forward: too little history")
                continue
            print(
                f"    walk-forward choice over {ev.origins} periods: MAE {ev.mae:.0f} vs naive "
                f"{ev.naive_mae:.0f} ({ev.mae / ev.naive_mae:.2f}); {ev.level:.0%} range held "
                f"{ev.coverage:.0%}; picked {ev.chosen}"
            )


if __name__ == "__main__":
    main()
