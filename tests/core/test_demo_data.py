"""The demo community generator (bot/demo/community.py): determinism, realism, planted ground truth."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.demo.chatter import CHANNELS
from bot.demo.community import DemoCommunity, PlantedTopic, generate, to_json, week_of
from models.matching.profile import COMPLEMENTS, ROLES, SECTORS, STAGES
from models.topics.words import tokens

END = datetime(2026, 11, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> DemoCommunity:
    return generate(7, end=END)


def _mentions(community: DemoCommunity, topic: PlantedTopic) -> list[int]:
    """Messages per week that use at least two of the topic's planted keywords."""
    weeks = [0] * 8
    keywords = set(topic.keywords)
    for message in community.messages:
        if len(keywords & set(tokens(message.text))) >= 2:
            weeks[week_of(community, message.at)] += 1
    return weeks


def test_same_seed_and_end_give_the_same_community() -> None:
    one = generate(3, end=END, messages_per_day=50)
    two = generate(3, end=END, messages_per_day=50)
    other = generate(4, end=END, messages_per_day=50)
    assert to_json(one) == to_json(two)
    assert [m.text for m in one.messages] != [m.text for m in other.messages]


def test_sizes_and_time_window(demo: DemoCommunity) -> None:
    assert len(demo.members) == 150
    assert demo.end == END
    assert (demo.end - demo.start).days == 56
    assert 0.85 * 360 * 56 <= len(demo.messages) <= 1.15 * 360 * 56
    times = [m.at for m in demo.messages]
    assert times == sorted(times)
    assert demo.start <= times[0]
    assert times[-1] < demo.end
    assert {m.chat for m in demo.messages} == set(CHANNELS)
    for message in demo.messages[::50]:
        assert demo.members[message.member].joined_at <= message.at
    assert all(0 <= r.member < 150 and r.chat in CHANNELS for r in demo.reactions)
    assert len(demo.reactions) > len(demo.messages) / 3


def test_members_have_realistic_profiles(demo: DemoCommunity) -> None:
    roles = Counter(role for m in demo.members for role in m.roles)
    assert set(roles) == set(ROLES)
    assert roles.most_common(1)[0][0] == "founder"
    assert all(roles[r] >= 10 for r in ROLES)
    assert len({m.name for m in demo.members}) == 150
    for m in demo.members:
        assert m.sectors
        assert m.sectors <= set(SECTORS)
        assert m.stage is None or m.stage in STAGES
        assert len(m.headline) > 10
        assert len(m.offers) > 15
        assert len(m.seeks) > 15
        if "investor" in m.roles:
            assert m.check_min is not None
            assert m.check_max is not None
            assert 0 < m.check_min < m.check_max
        else:
            assert m.check_min is None
    assert len({m.seeks for m in demo.members}) > 60  # free text, not one template


def test_members_keep_joining(demo: DemoCommunity) -> None:
    weeks = Counter(week_of(demo, m.joined_at) for m in demo.members)
    assert weeks[0] > 75  # most were there from the start
    assert all(weeks[w] >= 2 for w in range(1, 8))
    newcomers = {i for i, m in enumerate(demo.members) if m.joined_at >= demo.start}
    first: dict[int, str] = {}
    for message in demo.messages:
        first.setdefault(message.member, message.text)
    for member in newcomers:  # new members introduce themselves with their headline
        assert demo.members[member].headline in first[member]


def test_planted_intro_pairs_are_complementary(demo: DemoCommunity) -> None:
    assert len(demo.planted.intros) >= 10
    for a, b in demo.planted.intros:
        one, two = demo.members[a], demo.members[b]
        assert "founder" in one.roles
        assert two.roles & COMPLEMENTS["founder"]
        assert one.sectors & two.sectors
        assert one.region == two.region


def test_planted_topics_rise_and_fade_in_their_weeks(demo: DemoCommunity) -> None:
    topics = demo.planted.topics
    assert len(topics) >= 6
    assert sum(t.rises_in_week >= 5 for t in topics) >= 3
    for topic in topics:
        weeks = _mentions(demo, topic)
        rise = topic.rises_in_week
        before = max(weeks[:rise])
        assert weeks[rise] >= 3 * before + 20, (topic.name, weeks)
        if topic.fades_in_week is not None:
            peak = max(weeks[rise : topic.fades_in_week])
            assert weeks[topic.fades_in_week] <= 0.4 * peak, (topic.name, weeks)


def test_planted_topics_are_paraphrased_not_repeated(demo: DemoCommunity) -> None:
    for topic in demo.planted.topics:
        keywords = set(topic.keywords)
        texts = [m.text for m in demo.messages if len(keywords & set(tokens(m.text))) >= 2]
        assert len(set(texts)) >= 0.4 * len(texts), topic.name
        assert Counter(texts).most_common(1)[0][1] <= 0.05 * len(texts), topic.name


def test_messages_read_like_chat(demo: DemoCommunity) -> None:
    texts = [m.text for m in demo.messages]
    lengths = [len(t) for t in texts]
    assert 25 <= statistics.median(lengths) <= 120
    assert max(lengths) < 300
    short = sum(length < 20 for length in lengths) / len(lengths)
    assert 0.1 <= short <= 0.35  # "thanks!", "+1", "same here"...
    assert Counter(texts).most_common(1)[0][1] < 0.02 * len(texts)
    assert len(set(texts)) > 5000


def test_activity_has_weekly_and_daily_rhythm_and_grows(demo: DemoCommunity) -> None:
    per_day = Counter((m.at - demo.start).days for m in demo.messages)
    weekday = [per_day[d] for d in range(56) if (demo.start.weekday() + d) % 7 < 5]
    weekend = [per_day[d] for d in range(56) if (demo.start.weekday() + d) % 7 >= 5]
    assert statistics.mean(weekday) > 1.4 * statistics.mean(weekend)
    hours = Counter(m.at.hour for m in demo.messages)
    assert sum(hours[h] for h in range(12, 18)) > 4 * sum(hours[h] for h in range(2, 8))
    first, last = sum(per_day[d] for d in range(14)), sum(per_day[d] for d in range(42, 56))
    assert last > 1.15 * first


def test_to_json_is_serializable(demo: DemoCommunity) -> None:
    data = json.loads(json.dumps(to_json(demo)))
    assert len(data["messages"]) == len(demo.messages)
    assert data["members"][0]["name"] == demo.members[0].name
    assert data["planted"]["topics"][0]["keywords"] == list(demo.planted.topics[0].keywords)
    assert datetime.fromisoformat(data["end"]) == END


def test_the_default_size_is_about_twenty_thousand_messages() -> None:
    community = generate(11, end=END, messages_per_day=360)
    assert 18_000 < len(community.messages) < 23_000


def test_bad_arguments_get_one_clear_sentence() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        generate(end=datetime(2026, 11, 30))
    with pytest.raises(ValueError, match="members"):
        generate(end=END, members=5)


def test_an_existing_demo_database_is_kept_unless_the_member_says_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.demo.run import keep_existing

    db = tmp_path / "convene-demo.db"
    assert not keep_existing(db, fresh=False, interactive=True)  # nothing there yet
    db.write_bytes(b"")
    assert keep_existing(db, fresh=False, interactive=False)
    assert "--fresh" in capsys.readouterr().out
    assert not keep_existing(db, fresh=True, interactive=False)
    monkeypatch.setattr("builtins.input", lambda _: "")
    assert keep_existing(db, fresh=False, interactive=True)  # the default answer keeps it
    monkeypatch.setattr("builtins.input", lambda _: "y")
    assert not keep_existing(db, fresh=False, interactive=True)
