"""`convene eval forecast`: how the digest's forecast would have done on a community's past."""

from __future__ import annotations

import sys
from pathlib import Path

from bot.features.digests.history import communities, describe_communities, find_community
from bot.storage.store import Store
from models.forecast import METHODS, backtest, evaluate


def daily_counts(store: Store, community: int) -> list[int]:
    """Messages per UTC day from the community's first message to its last, zero-filled."""
    rows = store.rows(
        "SELECT at / 86400 AS day, count(*) AS n FROM activity WHERE community = ? AND kind = 0 "
        "GROUP BY day ORDER BY day",
        (community,),
    )
    if not rows:
        return []
    counts = {int(r["day"]): int(r["n"]) for r in rows}
    first, last = min(counts), max(counts)
    return [counts.get(d, 0) for d in range(first, last + 1)]


def forecast_report(store: Store, community: int, name: str) -> str:
    """The backtest table and the walk-forward check, per week and per 30 days."""
    daily = daily_counts(store, community)
    lines = [f"{name}: {len(daily):,} days, {sum(daily):,} messages"]
    for days, unit in ((7, "week"), (30, "30 days")):
        tests = backtest(daily, days, periods=80) if daily else {}
        past = len(tests["naive"].actuals) if tests else 0
        if not past:
            lines.append(f"  per {unit}: too little history to test a forecast")
            continue
        naive = tests["naive"].mae
        lines.append(f"  per {unit}, {past} past periods, mean absolute error:")
        for method in METHODS:
            mae = tests[method].mae
            ratio = f"{mae / naive:.2f}× naive" if naive else "naive is exact"
            lines.append(f"    {method:<22} {mae:10,.0f}  ({ratio})")
        ev = evaluate(daily, days)
        if ev is None:
            lines.append("    (too little history to check the method choice and its range)")
            continue
        picked = ", ".join(f"{k} {v}" for k, v in sorted(ev.chosen.items(), key=lambda i: -i[1]))
        lines.append(
            f"    as the digest forecasts ({ev.origins} periods, each from the days before it): "
            f"MAE {ev.mae:,.0f} vs naive {ev.naive_mae:,.0f}; the {ev.level:.0%} range held "
            f"{ev.coverage:.0%} of them; methods picked: {picked}"
        )
    return "\n".join(lines)


def eval_forecast_cli(target: str | Path, community: str | None) -> int:
    """Print the forecast evaluation of one community (or every one) of the store at `target`
    (a SQLite file or a PostgreSQL URL); the exit code."""
    if isinstance(target, Path) and not target.exists():
        print(f"convene: no database at {target}; pass --db or --config.", file=sys.stderr)
        return 2
    store = Store(target)
    try:
        if community:
            info = find_community(store, community)
            if info is None:
                print(f"No community called {community!r}.\n{describe_communities(store)}")
                return 2
            chosen = [info]
        else:
            chosen = communities(store)
        for info in chosen:
            print(forecast_report(store, info.id, info.name))
    finally:
        store.close()
    return 0
