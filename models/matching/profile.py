"""A member's matching profile: the shared vocabulary of roles, stages and sectors."""

from __future__ import annotations

from dataclasses import dataclass, field

ROLES: tuple[str, ...] = ("founder", "investor", "mentor", "partner", "talent")
ROLE_HELP = {
    "founder": "building a company",
    "investor": "angel, VC or fund",
    "mentor": "mentor or domain expert",
    "partner": "corporate, service or channel partner",
    "talent": "co-founder seeker or early hire",
}
STAGES: tuple[str, ...] = ("idea", "pre-seed", "seed", "series-a", "series-b+")
SECTORS: tuple[str, ...] = (
    "ai",
    "biotech",
    "climate",
    "consumer",
    "crypto",
    "deeptech",
    "devtools",
    "ecommerce",
    "edtech",
    "fintech",
    "foodtech",
    "gaming",
    "govtech",
    "hardware",
    "health",
    "hr",
    "legal",
    "marketplace",
    "media",
    "mobility",
    "proptech",
    "saas",
    "security",
)

# Roles a founder is matched with, and the reverse: matching pairs complementary roles.
COMPLEMENTS: dict[str, frozenset[str]] = {
    "founder": frozenset({"investor", "mentor", "partner", "talent"}),
    "investor": frozenset({"founder"}),
    "mentor": frozenset({"founder"}),
    "partner": frozenset({"founder"}),
    "talent": frozenset({"founder"}),
}


@dataclass(frozen=True, slots=True)
class Profile:
    """What a member offers and seeks. Check sizes are in thousands of US dollars."""

    member: int
    name: str
    roles: frozenset[str] = frozenset()
    headline: str = ""
    offers: str = ""
    seeks: str = ""
    sectors: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    stage: str | None = None
    region: str | None = None  # where they are based, as typed ("Berlin, Germany", "深圳")
    serves: tuple[str, ...] = ()  # where they invest / work, as typed ("Europe", "global")
    excludes: str = ""  # what they do not want or offer
    portfolio: str = ""  # companies they back (investors), "Name (what it does); ..."
    check_min: int | None = None
    check_max: int | None = None
    links: tuple[str, ...] = ()
    visible: bool = True

    @property
    def matchable(self) -> bool:
        """A profile is matched only once it has a role and says what it offers."""
        return bool(self.roles) and bool(self.offers.strip())

    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
