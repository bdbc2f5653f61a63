"""Reading profile text in five languages: clauses, exclusions, rules, money asks."""

from __future__ import annotations

import pytest

from models.matching.profile import Profile
from models.matching.reading import clauses, is_money, read, stage_rules
from models.matching.reading_profile import read_profile


def test_clauses_split_on_cjk_punctuation() -> None:
    text = "我们做智能家居传感器，已经在深圳量产；寻找天使轮领投。希望认识投资人、导师"
    assert clauses(text) == ["我们做智能家居传感器", "已经在深圳量产", "寻找天使轮领投",
                             "希望认识投资人", "导师"]  # fmt: skip


@pytest.mark.parametrize(
    "clause",
    [
        "We don't back models that lend from their own balance sheet",
        "Not for therapeutics",
        "No SMB or self-serve products",
        "不投硬件",
        "非教育类项目",
        "No invertimos en cripto",
        "Sin apuestas ni juegos",
        "Não atendo empresas B2B",
        "Sem cripto",
        "Не инвестируем в игры",
        "Без гемблинга",
    ],
)
def test_exclusions_in_every_language_are_not_offers(clause: str) -> None:
    reading = read(f"We help founders with sales. {clause}.")
    assert reading.negative == (clause,)
    assert clause not in reading.positive


def test_incidental_negation_stays_a_wish() -> None:
    reading = read("Investors who are not scared of hardware. Someone with no ego.")
    assert reading.positive == ("Investors who are not scared of hardware", "Someone with no ego")
    assert not reading.negative


def test_only_rules_and_stage_rules() -> None:
    r = read("", excludes="Only pre-seed. I don't join seed or later rounds.")
    assert r.restrictions == ("Only pre-seed",)
    allowed, refused = stage_rules(r)
    assert allowed == {"pre-seed"}
    assert "seed" in refused
    zh = read("", excludes="只投中国大陆的团队，只投天使轮和种子轮")
    assert stage_rules(zh)[0] == {"pre-seed", "seed"}
    assert stage_rules(read("", excludes="Series A only; we do not do pre-seed or seed"))[0] == {
        "series-a"
    }


@pytest.mark.parametrize(
    ("text", "money"),
    [
        ("A lead investor for our $500k pre-seed", True),
        ("$1.5M seed", True),
        ("Seed lead", True),
        ("寻找天使轮领投", True),
        ("融资300万人民币", True),
        ("Buscamos un inversionista para la ronda semilla", True),
        ("Procuramos investidores para a rodada", True),
        ("Ищем инвестора на раунд", True),
        ("A technical co-founder who has shipped ML products", False),
        ("Python, Go and Postgres", False),
    ],
)
def test_money_asks(text: str, money: bool) -> None:
    assert is_money(text) is money


def test_a_mixed_ask_is_split_so_each_part_finds_the_right_member() -> None:
    r = read("A digital-health seed investor and an NHS procurement mentor.")
    assert r.positive == ("A digital-health seed investor", "an NHS procurement mentor")
    one = read("A fund that leads our seed round and knows health in Brazil.")
    assert len(one.positive) == 1


def test_profile_reading_keeps_exclusions_out_of_offers_and_reads_places() -> None:
    p = Profile(
        1,
        "Pieter",
        roles=frozenset({"investor"}),
        headline="Partner, Horizon South Fund",
        offers="Seed capital for SaaS serving small merchants.",
        excludes="Only India, Southeast Asia and East Africa. No crypto.",
        region="Amsterdam, Netherlands",
        serves=("India", "Southeast Asia", "East Africa"),
    )
    r = read_profile(p)
    assert r.offers == (
        "Partner, Horizon South Fund",
        "Seed capital for SaaS serving small merchants",
    )
    assert r.exclusions == ("No crypto",)
    assert "crypto" in r.exclusion_topics
    assert r.exclusive is not None
    assert {"IN", "SG", "KE"} <= r.exclusive.countries
    assert "NL" not in r.exclusive.countries
    assert r.base.countries == {"NL"}
    assert r.pays
