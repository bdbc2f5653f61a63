"""A profile read for matching: positive clauses, exclusions, rules, places, portfolio.

Pure text work (no vectors): the matcher embeds `texts()` and keeps the vectors beside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from models.matching.places import UNKNOWN, Place, mentioned, resolve, resolve_many
from models.matching.profile import Profile
from models.matching.reading import is_debt, is_money, read, stage_rules, stages_in

# Topics an exclusion can name, in the supported languages; a candidate whose own words
# or sectors hit the same topic falls under it ("no crypto" vs a stablecoin wallet).
TOPICS: dict[str, str] = {
    "crypto": r"crypto|cripto|крипт|加密|区块链|web3|blockchain|stablecoin|token|币",
    "gambling": r"gambl|betting|casino|apuesta|aposta|гемблинг|казино|ставк|博彩|赌",
    "games": r"\bgam(?:e|es|ing)\b|video ?games?|juegos?|jogos?|\bигр\w*|游戏",
    "alcohol": r"alcohol|spirits|whisk(?:e)?y|wine|beer|liquor|brewer|álcool|alcool|алкогол|酒",
    "tobacco": r"tobacco|vape|vaping|tabaco|табак|烟草",
    "hardware": r"hardware|硬件|железо|devices?\b|sensors?|sensores|传感器|robot",
    "education": r"educat|edtech|school|tutor|教育|学生|辅导|образован|школ|educa|escola|escuela",
    "therapeutics": r"therapeutic|drug|small-molecule|clinical[- ]stage|preclinical|药物|терапи|fármaco",
    "lending": r"\blend|loans?\b|\bloan book|credit(?! card)|crédit|préstamo|empréstimo|кредит|"
    r"займ|贷款|借贷|balance sheet|on (?:our|their) books",
    "smb": r"\bsmbs?\b|\bsmes?\b|small business|self-serve|pequeñas empresas|pequenas empresas|"
    r"малый бизнес|малого бизнеса|中小企业|小微",
    "b2b": r"\bb2b\b|\bsaas\b|enterprise software|企业服务",
    "consumer": r"\bb2c\b|consumer|direct-to-consumer|\bdtc\b|消费",
    "outsourcing": r"outsourc|agency|外包|аутсорс",
    "garments": r"garment|clothes|clothing|fashion|apparel|ropa|roupa|одежд|服装",
}
_TOPIC_RE = {k: re.compile(v, re.IGNORECASE) for k, v in TOPICS.items()}
SECTOR_TOPICS = {"crypto": "crypto", "gaming": "games", "hardware": "hardware",
                 "edtech": "education", "biotech": "therapeutics", "saas": "b2b",
                 "consumer": "consumer"}  # fmt: skip
_PORTFOLIO_SPLIT = re.compile(r"[;\n]+|(?<=\))\s*,\s*")


def topics(text: str) -> frozenset[str]:
    """The exclusion topics a text touches."""
    return frozenset(k for k, rx in _TOPIC_RE.items() if rx.search(text))


@dataclass(frozen=True, slots=True)
class ProfileReading:
    """Everything the matcher reads from a profile's text fields."""

    offers: tuple[str, ...]  # offer clauses (the headline first when there is one)
    offers_text: str  # the positive offers as one text
    seeks: tuple[str, ...]
    seeks_text: str
    money: tuple[bool, ...]  # per seek clause: a money ask
    exclusions: tuple[str, ...]  # topical exclusions (not stage or place rules)
    exclusion_topics: frozenset[str]
    own_topics: frozenset[str]  # topics of what the member is and offers
    portfolio: tuple[str, ...]
    base: Place
    serves: Place  # declared, or else implied by places named in the offers
    serves_declared: bool
    exclusive: Place | None  # "only ..." places: a hard limit
    refused: Place  # places they say they do not serve
    stages_allowed: frozenset[str]
    stages_refused: frozenset[str]
    pays: bool  # invests: may answer any money ask
    lends: bool  # offers debt or project finance: may answer debt asks
    debt: tuple[bool, ...]  # per seek clause: a debt ask

    def texts(self) -> list[str]:
        """Every text the matcher embeds for this profile."""
        out = [self.offers_text, self.seeks_text, *self.offers, *self.seeks]
        out += [*self.exclusions, *self.portfolio]
        return [t for t in dict.fromkeys(out) if t]


def read_profile(p: Profile) -> ProfileReading:
    """Read one profile (resolving places needs the gazetteer: call off the event loop)."""
    offers = read(p.offers, excludes=p.excludes)
    seeks = read(p.seeks)
    head = p.headline.strip()
    offer_clauses = tuple(dict.fromkeys(([head] if head else []) + list(offers.positive)))
    negative = offers.negative + seeks.negative
    restrictions = offers.restrictions + seeks.restrictions
    exclusions, refused = [], set()
    for c in negative:
        where = mentioned(c)
        if where.countries:
            refused |= where.countries
        if not stages_in(c) and not where.countries:
            exclusions.append(c)
    exclusive: set[str] = set()
    for c in restrictions:
        exclusive |= mentioned(c).countries
    allowed, refused_stages = stage_rules(read(p.offers + "\n" + p.seeks, excludes=p.excludes))
    declared = resolve_many(p.serves)
    serves = declared
    if not declared.known:
        implied = mentioned(" ".join([*offers.positive, *restrictions]))
        serves = implied if implied.known else UNKNOWN
    portfolio = tuple(e.strip(" ,.") for e in _PORTFOLIO_SPLIT.split(p.portfolio) if e.strip(" ,."))
    pays = "investor" in p.roles
    lends = any(is_debt(c) for c in offers.positive) or is_debt(head)
    own = topics(" ".join([head, *offers.positive, *seeks.positive]))
    own |= frozenset(SECTOR_TOPICS[s] for s in p.sectors if s in SECTOR_TOPICS)
    ex_topics = frozenset().union(*(topics(c) for c in exclusions)) if exclusions else frozenset()
    return ProfileReading(
        offers=offer_clauses,
        offers_text=" ".join(offers.positive) or head,
        seeks=seeks.positive,
        seeks_text=" ".join(seeks.positive),
        money=tuple(is_money(c) for c in seeks.positive),
        exclusions=tuple(exclusions),
        exclusion_topics=ex_topics,
        own_topics=own,
        portfolio=portfolio,
        base=resolve(p.region),
        serves=serves,
        serves_declared=declared.known,
        exclusive=Place(frozenset(exclusive), label=mentioned(" ".join(restrictions)).label)
        if exclusive
        else None,
        refused=Place(frozenset(refused)),
        stages_allowed=frozenset(allowed),
        stages_refused=frozenset(refused_stages),
        pays=pays,
        lends=lends,
        debt=tuple(is_debt(c) for c in seeks.positive),
    )


def profile_texts(p: Profile) -> list[str]:
    """Every text the matcher embeds for a profile (for the vector cache's bookkeeping)."""
    return read_profile(p).texts()
