"""A large synthetic Telegram Desktop export, for crash and re-run tests."""

from __future__ import annotations

import json
from pathlib import Path

START = 1_717_236_000  # 2024-06-01 10:00 UTC


def write_export(path: Path, messages: int, *, members: int = 200) -> Path:
    """Write a one-group export with `messages` plain messages from `members` people."""
    rows = [
        {
            "id": i,
            "type": "message",
            "date": "2024-06-01T12:00:00",
            "date_unixtime": str(START + i * 30),
            "from": f"Member {i % members}",
            "from_id": f"user{1000 + i % members}",
            "text": f"message number {i} about fundraising and hiring",
        }
        for i in range(1, messages + 1)
    ]
    data = {"name": "Big Group", "type": "private_supergroup", "id": 2009999999, "messages": rows}
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
