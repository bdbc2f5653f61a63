"""Dispatch through the fake adapter: commands, activity logging, permissions, errors."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.feature import Feature, FeatureError
from bot.features.events.feature import Events
from bot.features.help import Help
from bot.features.matching.feature import Matching
from bot.features.matching.rounds import Rounds
from bot.replies import Visibility
from bot.scheduling.scheduler import Scheduler
from bot.storage.store import Store
from tests.conftest import Clock


async def test_plain_messages_are_logged_not_answered(core: Core, chat: FakeAdapter) -> None:
    assert await chat.say("ana", "hello everyone") == []
    assert core.store.scalar("SELECT count(*) FROM activity WHERE kind = 0") == 1
    assert core.store.scalar("SELECT text FROM activity") == "hello everyone"


async def test_commands_are_not_logged_as_messages(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "/help")
    assert core.store.scalar("SELECT count(*) FROM activity") == 0


@pytest.mark.parametrize(
    "text",
    [
        "/proc/self/ shouldn't be locked down",  # from the real #qtox chat (bench/realchat.py)
        "/dev/video0 does exist, so this might be a permissions thing",
        "/ Friends say to me",
        "// As I know",
    ],
)
async def test_a_message_that_only_starts_with_a_slash_is_chat(
    core: Core, chat: FakeAdapter, text: str
) -> None:
    assert await chat.say("ana", text) == []  # no "There is no /proc/self/ command"
    assert core.store.scalar("SELECT text FROM activity WHERE kind = 0") == text
    [sent] = await chat.say("ana", "/statz@convene_bot now")  # a command's shape: answered
    assert "Did you mean /stats?" in sent.text


async def test_help_lists_commands_and_explains_one(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/help")
    assert "/stats [member]" in sent.text
    assert "/leaderboard [days]" in sent.text
    [sent] = await chat.say("ana", "/help leaderboard")
    assert "Usage: /leaderboard [days]" in sent.text
    [sent] = await chat.say("ana", "/help leaderbord")
    assert "Did you mean /leaderboard?" in sent.text


async def test_unknown_command_answers_only_the_sender(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/stat")
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert "Did you mean /stats?" in sent.text


async def test_wrong_arguments_show_usage(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/leaderboard soon")
    assert "Usage: /leaderboard [days]" in sent.text


async def test_stats_counts_days_streak_and_rank(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    for _ in range(3):
        await chat.say("ana", "morning")
        await chat.say("bo", "hi")
        await chat.say("bo", "hi again")
        clock.advance(days=1)
    clock.advance(hours=1)
    [sent] = await chat.say("ana", "/stats")
    fields = dict(sent.reply.fields)
    assert fields["Messages"] == "3"
    assert fields["Active days"] == "3"
    assert fields["Streak"] == "3 days"
    assert fields["Rank"].startswith("#2 of 2")
    [sent] = await chat.say("ana", "/stats Bo")
    assert dict(sent.reply.fields)["Messages"] == "6"


async def test_leaderboard_hides_members_who_opted_out_of_naming(
    chat: FakeAdapter,
) -> None:
    await chat.say("ana", "one")
    await chat.say("bo", "two")
    await chat.say("bo", "three")
    await chat.say("bo", "/privacy named off")
    [sent] = await chat.say("ana", "/leaderboard")
    assert "Bo" not in sent.text
    assert "prefers not to be named" in sent.text
    assert "Ana — 1 message" in sent.text


async def test_activity_reports_week_over_week(core: Core, chat: FakeAdapter, clock: Clock) -> None:
    for _ in range(4):
        await chat.say("ana", "last week")
    clock.advance(days=7)
    for _ in range(6):
        await chat.say("bo", "this week")
    [sent] = await chat.say("ana", "/activity 14")
    fields = dict(sent.reply.fields)
    assert fields["Week over week"].startswith("+50%")
    assert fields["Messages"].startswith("10 ")
    assert fields["Active members"] == "2"


async def test_admin_only_commands_are_refused_to_members(core: Core, clock: Clock) -> None:
    feature = Feature.define("secret")

    @feature.command("purge", "Admins only.", admin=True)
    async def purge(ctx: object, args: object) -> str:
        return "purged"

    local = Core(core.config, core.store, [feature], clock=clock)
    chat = FakeAdapter(local)
    chat.admins.add("boss")
    [refused] = await chat.say("ana", "/purge")
    assert "admins only" in refused.text
    [done] = await chat.say("boss", "/purge")
    assert done.text == "purged"


async def test_group_and_dm_only_commands(core: Core, clock: Clock) -> None:
    feature = Feature.define("where")

    @feature.command("here", "Group only.", where="group")
    async def here(ctx: object, args: object) -> str:
        return "group ok"

    @feature.command("secret", "DM only.", where="dm")
    async def secret(ctx: object, args: object) -> str:
        return "dm ok"

    local = Core(core.config, core.store, [feature], clock=clock)
    chat = FakeAdapter(local)
    await chat.say("ana", "hello")  # joins the community first
    assert (await chat.say("ana", "/here"))[0].text == "group ok"
    assert "private chat" in (await chat.say("ana", "/secret"))[0].text
    assert (await chat.say("ana", "/secret", direct=True))[0].text == "dm ok"
    assert "works in the community's group" in (await chat.say("ana", "/here", direct=True))[0].text


async def test_a_crashing_handler_gives_an_apology_not_a_traceback(
    core: Core, clock: Clock
) -> None:
    feature = Feature.define("broken")

    @feature.command("boom", "Always fails.")
    async def boom(ctx: object, args: object) -> str:
        raise RuntimeError("internal detail")

    local = Core(core.config, core.store, [feature], clock=clock)
    chat = FakeAdapter(local)
    [sent] = await chat.say("ana", "/boom")
    assert "something went wrong" in sent.text
    assert "internal detail" not in sent.text
    assert "Traceback" not in sent.text
    assert await chat.say("ana", "still here?") == []  # keeps serving


async def test_direct_message_from_a_stranger_is_answered_kindly(chat: FakeAdapter) -> None:
    [sent] = await chat.say("zed", "hi bot", direct=True)
    assert "inside your community's group" in sent.text
    [sent] = await chat.say("zed", "/help", direct=True)
    assert "Convene commands" in sent.text
    [sent] = await chat.say("zed", "/start", direct=True)
    assert "Hi, I'm Convene" in sent.text
    [sent] = await chat.say("zed", "/stats", direct=True)
    assert "inside your community's group" in sent.text
    [sent] = await chat.say("zed", "/stat", direct=True)
    assert "Did you mean /stats?" in sent.text


async def test_direct_messages_belong_to_the_members_community(
    core: Core, chat: FakeAdapter
) -> None:
    await chat.say("ana", "hello group")
    [sent] = await chat.say("ana", "/stats", direct=True)
    assert dict(sent.reply.fields)["Messages"] == "1"
    [hint] = await chat.say("ana", "just chatting privately", direct=True)
    assert "/help" in hint.text
    assert core.store.scalar("SELECT count(*) FROM activity") == 1  # DMs are not activity


async def test_joins_leaves_and_reactions_are_activity(core: Core, chat: FakeAdapter) -> None:
    for kind in ("join", "reaction", "leave"):
        await chat.push(chat.event("ana", kind=kind))
    kinds = [r["kind"] for r in core.store.rows("SELECT kind FROM activity ORDER BY id")]
    assert kinds == [1, 3, 2]


async def test_separate_spaces_are_separate_communities(core: Core, clock: Clock) -> None:
    one = FakeAdapter(core, space="guild-1")
    two = FakeAdapter(core, name="fake2", space="guild-2")
    await one.say("ana", "secret plans in one")
    await two.say("bo", "two talks")
    [sent] = await two.say("bo", "/leaderboard")
    assert "Ana" not in sent.text
    assert "Bo" in sent.text
    [sent] = await two.say("bo", "/stats Ana")
    assert "No member called 'Ana'" in sent.text


async def test_message_text_is_not_kept_when_the_community_says_so(
    core: Core, chat: FakeAdapter
) -> None:
    await chat.say("ana", "first")
    community = core.community_for(chat.event("ana"))
    assert community is not None
    core.store.set_setting(community, "store_message_text", False)
    core._text_policy.clear()
    await chat.say("ana", "second, not stored")
    rows = core.store.rows("SELECT text, length FROM activity ORDER BY id")
    assert rows == [{"text": "first", "length": 5}, {"text": None, "length": 18}]


async def test_retention_deletes_old_text_but_keeps_counts(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    await chat.say("ana", "an old message")
    clock.advance(days=31)
    await chat.say("ana", "a fresh message")
    core.expire_text()
    rows = core.store.rows("SELECT text, length FROM activity ORDER BY id")
    assert rows == [{"text": None, "length": 14}, {"text": "a fresh message", "length": 15}]
    [sent] = await chat.say("ana", "/stats")
    assert dict(sent.reply.fields)["Messages"] == "2"


async def test_over_long_messages_are_logged_truncated(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "x" * 9000)
    row = core.store.rows("SELECT length(text) AS kept, length FROM activity")[0]
    assert row == {"kept": 4000, "length": 9000}


async def test_clock_is_used_for_timestamps(core: Core, chat: FakeAdapter, clock: Clock) -> None:
    clock.advance(days=2, hours=3)
    await chat.say("ana", "hello")
    at = core.store.scalar("SELECT at FROM activity")
    assert at == int(clock().timestamp())
    assert clock() - timedelta(days=2) > clock() - timedelta(days=3)


async def test_a_changed_display_name_is_kept_current(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "hi", name="Ana")
    await chat.say("ana", "hi again", name="Ana Lovelace")
    assert core.store.scalar("SELECT name FROM members") == "Ana Lovelace"
    [sent] = await chat.say("bo", "/stats Ana Lovelace")
    assert dict(sent.reply.fields)["Messages"] == "2"


# -- features own their state ----------------------------------------------------------------


async def test_match_without_a_model_says_matching_is_unavailable(
    core: Core, chat: FakeAdapter
) -> None:
    """No embedder: matching says so plainly (it used to fall back to a test double)."""
    assert core.embedder is None
    for user in ("ana", "bo"):
        [saved] = await chat.say(user, "/profile set offers Seed checks for climate startups")
        assert saved.reply.text.startswith("Saved your offers")  # profiles keep working
    [sent] = await chat.say("ana", "/match")
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert "Matching is unavailable" in sent.text
    await chat.say("bo", "/rounds join")
    await chat.say("ana", "/rounds join")
    [rounds] = await chat.say("admin", "/rounds now")
    assert "Matching is unavailable" in rounds.text
    assert core.store.scalar("SELECT count(*) FROM rounds") == 0
    bo = core.store.scalar("SELECT member FROM identities WHERE user = 'bo'")
    [intro] = await chat.press("ana", f"intro:{bo}", direct=False)
    assert "Matching is unavailable" in intro.text
    assert core.store.scalar("SELECT count(*) FROM intro_requests") == 0


def test_production_code_uses_no_test_double_and_no_service_dict() -> None:
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for package in ("bot", "adapters", "models"):
        for path in (root / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for needle in ("from tests", "import tests", "services["):
                if needle in text:
                    offenders.append(f"{path.relative_to(root)}: {needle}")
    assert offenders == []


async def test_a_missing_required_feature_is_named_when_the_core_is_built(
    core: Core,
) -> None:
    with pytest.raises(FeatureError, match=r"'rounds' feature needs the 'matching' and 'profiles'"):
        Core(core.config, core.store, [Scheduler, Rounds])
    with pytest.raises(FeatureError, match="Two features are called 'help'"):
        Core(core.config, core.store, [Help, Feature.define("help")])


async def test_each_core_has_its_own_feature_instances(core: Core, tmp_path: Path) -> None:
    other = Core(Config(database=tmp_path / "other.db"), Store(tmp_path / "other.db"))
    try:
        assert core.feature(Matching) is not other.feature(Matching)
        assert core.feature(Matching).service is not other.feature(Matching).service
        assert core.feature(Scheduler).core is core
        assert core.has(Events)
        assert core.has(Scheduler)
    finally:
        await other.close()
    small = Core(core.config, core.store, [Help])
    assert not small.has(Matching)
    with pytest.raises(FeatureError, match="'matching' feature is not installed"):
        small.feature(Matching)
    with pytest.raises(TypeError, match=r"Feature\.define"):
        Feature(core)


Extra = Feature.define("extra")


@Extra.digest_section
async def extra_section(
    core: Core, community: int, start: datetime, end: datetime
) -> tuple[str, str] | None:
    return "From a feature", f"community {community}"


async def test_digest_sections_come_only_from_installed_features(
    core: Core, chat: FakeAdapter, clock: Clock
) -> None:
    from bot.features import default_features
    from bot.features.digests.feature import latest_digest

    await chat.say("ana", "hello there")
    clock.advance(hours=1)
    community = core.community_for(chat.event("ana"))
    assert community is not None
    without = await latest_digest(core, community)
    assert dict(without.reply.fields)["Messages"].startswith("1 ")
    assert "From a feature" not in dict(without.reply.fields)
    with_extra = Core(core.config, core.store, [*default_features(), Extra], clock=clock)
    built = await latest_digest(with_extra, community)
    assert dict(built.reply.fields)["From a feature"] == f"community {community}"


async def test_flush_and_text_expiry_run_off_the_event_loop(
    core: Core, chat: FakeAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    import bot.storage.writer as writer

    loop_thread = threading.get_ident()
    threads: dict[str, set[int]] = {"write": set(), "expire": set()}
    write_batch, expire = writer.write_batch, core.store.expire_text

    def watched_write(conn: object, batch: writer.Batch) -> int:
        threads["write"].add(threading.get_ident())
        return write_batch(conn, batch)  # type: ignore[arg-type]

    def watched_expire(community: int, before: int) -> int:
        threads["expire"].add(threading.get_ident())
        return expire(community, before)

    monkeypatch.setattr(writer, "write_batch", watched_write)
    monkeypatch.setattr(core.store, "expire_text", watched_expire)
    await chat.say("ana", "a message to flush")
    assert threads["write"] == set()  # the hot path only buffers
    await core.store.read(lambda conn: None)  # a read has the buffer written first …
    assert threads["write"]
    assert loop_thread not in threads["write"]  # … by the store's writer thread
    await chat.say("ana", "a message before a command")
    [sent] = await chat.say("ana", "/stats")  # a command's reads find it written
    assert dict(sent.reply.fields)["Messages"] == "2"
    assert loop_thread not in threads["write"]
    threads["write"].clear()
    await chat.say("ana", "a message for the flush loop")
    await core.start()  # expires old text at start, then flushes once a second
    assert threads["expire"]
    assert loop_thread not in threads["expire"]
    for _ in range(100):
        if threads["write"]:
            break
        await asyncio.sleep(0.1)
    assert threads["write"]
    assert loop_thread not in threads["write"]
