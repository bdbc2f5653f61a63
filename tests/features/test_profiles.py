"""Profiles: /profile show/set/setup (the dialog end to end in a DM), /whois, limits, vectors."""

from __future__ import annotations

import pytest

from adapters.fake import FakeAdapter
from bot.config import Config
from bot.core import Core
from bot.features.matching.service import service
from bot.features.profiles.store import load_profile, profile_hashes
from bot.replies import Visibility
from bot.storage.store import Store
from tests.conftest import Clock
from tests.matching_helpers import FOUNDER, INVESTOR, make_profile, member_id

pytestmark = pytest.mark.engines


async def test_profile_without_one_says_how_to_make_it(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/profile")
    assert sent.reply.visibility is Visibility.ONLY_YOU
    assert "no matching profile yet" in sent.text
    assert "/profile setup" in sent.text
    assert "/profile set <field> <value>" in sent.text


async def test_set_fields_then_show(core: Core, chat: FakeAdapter) -> None:
    await make_profile(chat, "ana", {**INVESTOR, "region": "Berlin", "tags": "angel, b2b"})
    await chat.say("ana", "/profile set links https://ana.vc https://x.com/ana")
    [sent] = await chat.say("ana", "/profile")
    assert sent.reply.title == "Your profile: Ana"
    fields = dict(sent.reply.fields)
    assert fields["Roles"] == "investor"
    assert fields["Checks"] == "$250k–$1M"
    assert fields["Sectors"] == "climate, fintech"
    assert fields["Based in"] == "Berlin"  # set through the old field name "region"
    assert fields["Tags"] == "angel, b2b"
    assert fields["Links"] == "https://ana.vc https://x.com/ana"
    assert INVESTOR["headline"] in sent.text
    p = load_profile(core.store, core.store.community("fake:space-1", ""), member_id(core, "ana"))
    assert p is not None
    assert p.check_min == 250
    assert p.check_max == 1000
    assert p.stage == "seed"


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/profile set roles wizard", "Unknown role 'wizard'. Valid roles: founder"),
        ("/profile set stage seriesz", "Valid stages: idea, pre-seed, seed"),
        ("/profile set sectors climate knitting", "Unknown sector 'knitting'. Valid sectors: ai"),
        ("/profile set sectors ai saas health hr legal media", "at most 5 sectors"),
        ("/profile set headline " + "x" * 121, "headline is 121 characters; the limit is 120"),
        ("/profile set offers " + "y" * 501, "offers is 501 characters; the limit is 500"),
        ("/profile set based_in " + "z" * 61, "based_in is 61 characters; the limit is 60"),
        ("/profile set excludes " + "n" * 301, "excludes is 301 characters; the limit is 300"),
        ("/profile set serves " + ",".join(f"c{i}" for i in range(11)), "At most 10 places"),
        ("/profile set links https://a.io https://b.io https://c.io https://d.io", "At most 3"),
        ("/profile set links ftp://nope", "is not a web link"),
        ("/profile set links https://a.io/" + "p" * 200, "at most 200 characters"),
        ("/profile set checks lots", "is not an amount"),
        ("/profile set checks 250-25", "goes down"),
        ("/profile set visible maybe", "visible must be on or off"),
        ("/profile set colour blue", "field must be one of: roles, headline"),
        ("/profile set", "Which field?"),
        ("/profile edit", "action must be one of: show, set, setup"),
    ],
)
async def test_bad_input_gets_one_clear_sentence(
    core: Core, chat: FakeAdapter, command: str, expected: str
) -> None:
    [sent] = await chat.say("ana", command)
    assert expected in sent.text
    assert "Traceback" not in sent.text
    assert core.store.scalar("SELECT count(*) FROM profiles") == 0


async def test_places_and_exclusions_are_fields(core: Core, chat: FakeAdapter) -> None:
    await make_profile(chat, "ana", INVESTOR)
    await chat.say("ana", "/profile set serves Kenya, Uganda, East Africa")
    await chat.say("ana", "/profile set excludes We do not back balance-sheet lenders")
    [sent] = await chat.say("ana", "/profile set based_in Nairobi, Kenya")
    fields = dict(sent.reply.fields)
    assert fields["Serves"] == "Kenya, Uganda, East Africa"
    assert fields["Does not want or offer"] == "We do not back balance-sheet lenders"
    assert fields["Based in"] == "Nairobi, Kenya"
    p = load_profile(core.store, core.store.community("fake:space-1", ""), member_id(core, "ana"))
    assert p is not None
    assert p.serves == ("Kenya", "Uganda", "East Africa")
    await chat.say("ana", "/profile set serves none")
    p = load_profile(core.store, core.store.community("fake:space-1", ""), member_id(core, "ana"))
    assert p is not None
    assert p.serves == ()


async def test_set_without_value_explains_the_field(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/profile set checks")
    assert "check size or round in $k" in sent.text
    assert "Usage: /profile set checks" in sent.text


async def test_checks_accept_money_words_and_none_clears(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "/profile set checks $25k-$2.5M")
    community = core.store.community("fake:space-1", "")
    p = load_profile(core.store, community, member_id(core, "ana"))
    assert p is not None
    assert (p.check_min, p.check_max) == (25, 2500)
    await chat.say("ana", "/profile set checks none")
    p = load_profile(core.store, community, member_id(core, "ana"))
    assert p is not None
    assert p.check_min is None
    assert p.check_max is None


async def test_whois_shows_visible_profiles_only(chat: FakeAdapter) -> None:
    await make_profile(chat, "ana", FOUNDER)
    [sent] = await chat.say("bo", "/whois Ana")
    assert sent.reply.title == "Ana"
    assert FOUNDER["headline"] in sent.text
    assert "Visible" not in dict(sent.reply.fields)
    await chat.say("ana", "/profile set visible off")
    [sent] = await chat.say("bo", "/whois ana")
    assert sent.text == "Ana has no visible profile."
    [sent] = await chat.say("bo", "/whois Zed")
    assert "No member called 'Zed'" in sent.text


async def test_setup_in_group_continues_privately_end_to_end(core: Core, chat: FakeAdapter) -> None:
    await chat.say("ana", "hello all")
    sent = await chat.say("ana", "/profile setup")
    assert sent[0].reply.visibility is Visibility.ONLY_YOU
    assert "sent you a private message" in sent[0].text
    assert sent[1].target.is_direct
    assert "Which role(s)" in sent[1].text
    answers = [
        ("founder, wizard", "Unknown role 'wizard'"),  # asked again
        ("founder", "headline"),
        ("Building carbon accounting for SMEs", "offer"),
        ("Customer interviews and data", "looking for"),
        ("A seed investor in climate", "sectors"),
        ("climate, fintech", "stage"),
        ("skip", "based"),
        ("Berlin, Germany", "where do you invest or work"),
        ("skip", "NOT want or offer"),
        ("No crypto; not for pre-revenue teams", "check size"),
        ("500-1500", "companies you back"),
        ("skip", "links"),
    ]
    for text, expected in answers:
        [reply] = await chat.say("ana", text, direct=True)
        assert reply.target.user == "ana"
        assert expected in reply.text, reply.text
    [done] = await chat.say("ana", "https://carbon.example", direct=True)
    assert "Your profile is saved" in done.text
    assert ("fake", "ana") not in core.dialogs
    p = load_profile(core.store, core.store.community("fake:space-1", ""), member_id(core, "ana"))
    assert p is not None
    assert p.roles == {"founder"}
    assert p.sectors == {"climate", "fintech"}
    assert p.stage is None
    assert (p.region, p.check_min, p.check_max) == ("Berlin, Germany", 500, 1500)
    assert p.excludes == "No crypto; not for pre-revenue teams"
    assert p.serves == ()
    assert p.links == ("https://carbon.example",)
    [after] = await chat.say("ana", "more chatter", direct=True)  # the dialog is over
    assert "/help" in after.text


async def test_setup_in_a_dm_starts_there_and_cancel_stops(core: Core, chat: FakeAdapter) -> None:
    await chat.say("bo", "hi")
    [sent] = await chat.say("bo", "/profile setup", direct=True)
    assert "Which role(s)" in sent.text
    assert sent.target.user == "bo"
    [sent] = await chat.say("bo", "/cancel", direct=True)
    assert "Stopped" in sent.text
    assert core.store.scalar("SELECT count(*) FROM profiles") == 0


async def test_profile_during_setup_says_where_the_setup_is(chat: FakeAdapter) -> None:
    await chat.say("bo", "hi")
    await chat.say("bo", "/profile setup", direct=True)
    await chat.say("bo", "founder", direct=True)
    [sent] = await chat.say("bo", "/profile", direct=True)
    assert sent.text.startswith("Your profile setup is at step 2 of ")
    assert "no matching profile yet" not in sent.text
    [asked] = await chat.say("bo", "A climate fintech", direct=True)  # the dialog goes on
    assert "What can you offer" in asked.text


async def test_profile_change_updates_matcher_and_drops_stale_vectors(cached_core: Core) -> None:
    chat = FakeAdapter(cached_core)
    await make_profile(chat, "ana", FOUNDER)
    community = cached_core.store.community("fake:space-1", "")
    ana = member_id(cached_core, "ana")
    old = load_profile(cached_core.store, community, ana)
    assert old is not None
    stored = {r["hash"] for r in cached_core.store.rows("SELECT hash FROM vectors")}
    assert set(profile_hashes(old)) <= stored
    await chat.say("ana", "/profile set seeks A mentor for enterprise sales")
    new = load_profile(cached_core.store, community, ana)
    assert new is not None
    stored = {r["hash"] for r in cached_core.store.rows("SELECT hash FROM vectors")}
    assert set(profile_hashes(new)) <= stored
    assert not (set(profile_hashes(old)) - set(profile_hashes(new))) & stored
    matcher = await service(cached_core).matcher(community)
    assert matcher.profile(ana) == new


@pytest.mark.parametrize(
    ("typed", "field", "value", "shown"),
    [
        ("role", "roles", "founder", ("Roles", "founder")),
        ("sector", "sectors", "climate", ("Sectors", "climate")),
        ("tag", "tags", "b2b", ("Tags", "b2b")),
        ("location", "based_in", "Lisboa", ("Based in", "Lisboa")),
        ("Region", "based_in", "Berlin", ("Based in", "Berlin")),
    ],
)
async def test_set_accepts_singular_and_old_field_names(
    chat: FakeAdapter, typed: str, field: str, value: str, shown: tuple[str, str]
) -> None:
    [sent] = await chat.say("ana", f"/profile set {typed} {value}")
    assert sent.reply.text.startswith(f"Saved your {field}.")
    assert shown in sent.reply.fields


async def test_set_alias_without_value_explains_the_field(chat: FakeAdapter) -> None:
    [sent] = await chat.say("ana", "/profile set region")
    assert sent.reply.text.startswith("based_in: where you are based")
    assert "Usage: /profile set based_in <value>" in sent.text


async def test_setup_started_on_one_process_finishes_on_another(
    config: Config, clock: Clock
) -> None:
    """Two cores, each with its own store connection, share only the database: the next
    answer of a dialog may reach either (several bot processes)."""
    first, second = (Core(config, Store(config.store), clock=clock) for _ in range(2))
    a, b = FakeAdapter(first), FakeAdapter(second)
    try:
        await a.say("ana", "hello all")
        sent = await a.say("ana", "/profile setup")
        assert "Which role(s)" in sent[1].text
        [reply] = await a.say("ana", "founder", direct=True)
        assert "headline" in reply.text
        [reply] = await b.say("ana", "Carbon accounting for SMEs", direct=True)  # other one
        assert "offer" in reply.text
        for i in range(20):  # skip the optional steps, alternating processes, up to links
            if "link" in reply.text.lower():
                break
            [reply] = await (a, b)[i % 2].say("ana", "skip", direct=True)
        assert "link" in reply.text.lower()
        [done] = await b.say("ana", "https://carbon.example", direct=True)
        assert "Your profile is saved" in done.text
        assert ("fake", "ana") not in first.dialogs
        community = second.store.community("fake:space-1", "")
        p = load_profile(second.store, community, member_id(second, "ana"))
        assert p is not None
        assert p.roles == {"founder"}
        assert p.headline == "Carbon accounting for SMEs"
    finally:
        await first.close()
        await second.close()
