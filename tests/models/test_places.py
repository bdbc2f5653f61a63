"""Places people type, resolved city -> country -> region with the offline gazetteer."""

from __future__ import annotations

import pytest

from models.matching.places import mentioned, region_of, resolve, resolve_many


@pytest.mark.parametrize(
    ("typed", "country", "label"),
    [
        ("Berlin, Germany", "DE", "Berlin"),
        ("Lisboa", "PT", "Lisbon"),
        ("SF Bay Area", "US", "SF Bay Area"),
        ("深圳", "CN", "Shenzhen"),
        ("München", "DE", "Munich"),
        ("Алматы, Казахстан", "KZ", "Almaty"),
        ("São Paulo, Brasil", "BR", "São Paulo"),
        ("Ciudad de México", "MX", "Mexico City"),
        ("Cambridge, MA", "US", "Cambridge"),
        ("Austin, Texas", "US", "Austin"),
        ("Porto", "PT", "Porto"),  # not Bordeaux, whose other names include "Porto"
        ("UK", "GB", "United Kingdom"),
    ],
)
def test_typed_places_resolve(typed: str, country: str, label: str) -> None:
    place = resolve(typed)
    assert place.countries == {country}
    assert place.label == label


def test_remote_regions_and_unknown() -> None:
    assert resolve("remote").anywhere
    assert not resolve("remote").countries
    europe = resolve("remote (Europe)")
    assert {"DE", "PT", "PL"} <= europe.countries
    assert europe.anywhere
    assert resolve("EU").countries == resolve("Europe").countries
    assert not resolve("somewhere nice").known
    assert not resolve("").known


def test_served_lists_and_region_names() -> None:
    east = resolve_many(["Kenya", "Uganda", "Tanzania", "Rwanda"])
    assert east.countries == {"KE", "UG", "TZ", "RW"}
    assert resolve_many(["global"]).anywhere
    assert resolve_many(["中国大陆"]).countries == {"CN"}
    assert resolve_many(["México", "Colombia"]).countries == {"MX", "CO"}
    sea = resolve_many(["Southeast Asia"])
    assert resolve("Ho Chi Minh City, Vietnam").countries <= sea.countries
    assert region_of(resolve("Dubai")) == "the Middle East"


@pytest.mark.parametrize(
    ("sentence", "inside", "outside"),
    [
        ("We invest only in India, SEA and East Africa", {"IN", "SG", "KE"}, {"PT", "NL"}),
        ("只投中国大陆的团队", {"CN"}, {"SG"}),
        ("Só investimos em empresas brasileiras", {"BR"}, {"PT"}),
        ("Invertimos solo en México y Colombia", {"MX", "CO"}, {"ES"}),
        ("инвестируем в команды из Центральной Азии", {"KZ", "UZ"}, {"RU"}),
        ("We invest only in the US", {"US"}, {"GB"}),
    ],
)
def test_places_named_in_sentences(sentence: str, inside: set[str], outside: set[str]) -> None:
    found = mentioned(sentence).countries
    assert inside <= found
    assert not outside & found


def test_words_that_look_like_places_are_not() -> None:
    assert not mentioned("Investors who are not scared of hardware").countries
    assert not mentioned("help us reach the sea of customers").countries
