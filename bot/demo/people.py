"""Word lists and profile templates for the demo community's members (see bot/demo/community.py)."""

from __future__ import annotations

import random

# fmt: off
FIRST_NAMES: tuple[str, ...] = (
    "Amara", "Ben", "Camila", "Daniel", "Elena", "Farid", "Grace", "Hiroshi", "Ines", "Jonas",
    "Kavya", "Liam", "Maya", "Nikolai", "Olivia", "Pedro", "Qi", "Rosa", "Samir", "Tess", "Uma",
    "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Aisha", "Bruno", "Chloe", "Diego", "Emeka",
    "Fatima", "Gabriel", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nadia", "Omar", "Priya",
    "Rafael", "Sofia", "Tomas", "Valentina", "William", "Yara", "Arjun", "Beatriz", "Chen", "Dara",
    "Erik", "Freya", "Hugo", "Isabel", "Jamal", "Keiko", "Lucas", "Mei", "Noah", "Oskar", "Paula",
    "Ravi", "Sara", "Thiago", "Anika", "Marta", "Leo",
)
LAST_NAMES: tuple[str, ...] = (
    "Okafor", "Fischer", "Rodrigues", "Kim", "Novak", "Haddad", "Lindqvist", "Tanaka", "Moreau",
    "Weber", "Iyer", "Walsh", "Cohen", "Petrov", "Bennett", "Alves", "Zhang", "Romero", "Khan",
    "Murphy", "Shah", "Lopez", "Liu", "Herrera", "Demir", "Jensen", "Bello", "Costa", "Dubois",
    "Garcia", "Nwosu", "Rahman", "Silva", "Sato", "Kowalski", "Ferreira", "Mensah", "Berg",
    "Navarro", "Ahmed", "Patel", "Mendes", "Rossi", "Svensson", "Reyes", "Brown", "Nasser", "Mehta",
    "Oliveira", "Wang", "Ng", "Larsen", "Vargas", "Ito", "Osei", "Keller", "Sandoval",
)
REGIONS: tuple[str, ...] = (
    "Europe", "North America", "LatAm", "Africa", "Asia", "Middle East",
)
CITIES: dict[str, tuple[str, ...]] = {
    "Europe": (
        "Berlin", "Lisbon", "London", "Paris", "Amsterdam", "Stockholm", "Warsaw",
    ),
    "North America": (
        "San Francisco", "New York", "Toronto", "Austin", "Boston",
    ),
    "LatAm": (
        "São Paulo", "Mexico City", "Bogotá", "Buenos Aires", "Santiago",
    ),
    "Africa": ("Lagos", "Nairobi", "Cape Town", "Accra"),
    "Asia": ("Singapore", "Bangalore", "Tokyo", "Jakarta"),
    "Middle East": ("Dubai", "Tel Aviv", "Riyadh"),
}
REGION_WEIGHTS: tuple[float, ...] = (0.34, 0.3, 0.13, 0.08, 0.1, 0.05)

# What a company in each sector builds: used in headlines, offers, seeks and chat.
PRODUCTS: dict[str, tuple[str, ...]] = {
    "ai": (
        "an AI copilot for sales teams", "LLM evaluation tooling", "voice agents for clinics",
    ),
    "biotech": (
        "a protein design platform", "faster CRISPR screening", "lab automation software",
    ),
    "climate": (
        "carbon accounting for SMEs", "grid battery analytics", "heat pump installs",
    ),
    "consumer": (
        "a social app for runners", "a budgeting app for couples", "pet care boxes",
    ),
    "crypto": (
        "stablecoin payroll", "a wallet for small merchants", "on-chain identity",
    ),
    "deeptech": (
        "photonic chips", "quantum-safe encryption", "industrial computer vision",
    ),
    "devtools": (
        "a CI speed-up service", "API testing tooling", "an open-source feature-flag tool",
    ),
    "ecommerce": (
        "returns automation for Shopify", "a B2B wholesale storefront", "live shopping",
    ),
    "edtech": (
        "AI tutoring for math", "a bootcamp for data engineers", "language learning by voice",
    ),
    "fintech": (
        "SME lending", "expense cards for startups", "cross-border payouts",
    ),
    "foodtech": (
        "vertical farming", "a restaurant inventory app", "plant-based cheese",
    ),
    "gaming": (
        "a cozy mobile game", "UGC tools for game modders", "esports analytics",
    ),
    "govtech": (
        "permit processing software", "civic feedback tools", "procurement search",
    ),
    "hardware": (
        "a smart air-quality sensor", "e-bike drivetrains", "warehouse robots",
    ),
    "health": (
        "remote physio", "a women's health clinic app", "clinical trial recruitment",
    ),
    "hr": (
        "an onboarding platform", "skills-based hiring tests", "payroll for remote teams",
    ),
    "legal": (
        "contract review with AI", "a trademark filing service", "e-discovery search",
    ),
    "marketplace": (
        "a marketplace for freelance CFOs", "a rental marketplace for tools", "a tutor marketplace",
    ),
    "media": (
        "a newsletter platform", "podcast analytics", "short-video editing tools",
    ),
    "mobility": (
        "fleet electrification", "a parking app", "EV charging software",
    ),
    "proptech": (
        "property management software", "a rent-to-own platform", "smart locks",
    ),
    "saas": (
        "a customer success platform", "no-code internal tools", "meeting notes software",
    ),
    "security": (
        "phishing simulation", "cloud posture management", "passwordless login",
    ),
}
SECTOR_WEIGHTS: dict[str, float] = {
    "ai": 3.0, "fintech": 2.2, "saas": 2.0, "climate": 1.6, "health": 1.5, "devtools": 1.4,
    "marketplace": 1.1, "ecommerce": 1.0, "edtech": 0.9, "security": 0.9, "consumer": 0.9,
}

FOUNDER_SEEKS: tuple[str, ...] = (
    "angel investors for our {stage} round", "a lead investor for a {raise} {stage} round",
    "a technical co-founder who has shipped ML products", "design partners in {sector}",
    "a mentor who has scaled B2B sales from 0 to 1M ARR", "our first two backend engineers",
    "intros to heads of operations at mid-size {sector} companies",
    "advice on pricing and packaging", "a growth marketer for a part-time contract",
    "pilot customers for {product}", "a fractional CFO to help with our data room",
)
FOUNDER_OFFERS: tuple[str, ...] = (
    "happy to share our pitch deck and what we learned raising a {stage} round",
    "can intro people to {sector} operators in {city}",
    "open to giving product feedback, especially on onboarding flows",
    "I can help with hiring engineers in {city}", "we share our growth playbook freely",
    "beta access to {product} for anyone in {sector}",
)
INVESTOR_HEADLINES: tuple[str, ...] = (
    "Partner at {fund}, {stage} {sector} investor", "Angel investor and ex-founder ({sector})",
    "Principal at {fund}, backing {sector} founders in {region}", "Scout for {fund}",
)
FUNDS: tuple[str, ...] = (
    "Northwind Ventures", "Blue Harbor Capital", "Seedling Fund", "Atlas Partners", "Kinetic VC",
    "Lighthouse Angels", "Meridian Capital", "Forge Ventures", "Tidewater",
)
INVESTOR_OFFERS: tuple[str, ...] = (
    "writes {checks} checks into {stage} {sector} companies in {region}",
    "leads {stage} rounds in {sector}, {checks} tickets, quick decisions",
    "angel checks of {checks} plus hands-on help with go-to-market in {sector}",
)
INVESTOR_SEEKS: tuple[str, ...] = (
    "{stage} founders in {sector} with early revenue", "technical teams building {product}",
    "co-investors for {sector} deals in {region}", "repeat founders in {sector}",
)
MENTOR_HEADLINES: tuple[str, ...] = (
    "Former VP Sales at a {sector} scale-up", "Ex-CTO, now advising {sector} startups",
    "Head of Product, mentor at two accelerators", "Two-time founder, fundraising coach ({sector})",
)
# Offers line up with the headlines above, one persona each (the same holds for partners and
# talent below): a backend engineer offers backend work, not paid acquisition.
MENTOR_OFFERS: tuple[str, ...] = (
    "office hours on enterprise sales and pricing for {sector} startups",
    "help with engineering hiring, architecture reviews and on-call culture",
    "product strategy and user research coaching for {stage} teams",
    "fundraising prep: pitch deck reviews and mock investor meetings",
)
MENTOR_SEEKS: tuple[str, ...] = (
    "ambitious {stage} founders in {sector} to advise", "a board seat at a {sector} startup",
    "founders working on {product}",
)
PARTNER_HEADLINES: tuple[str, ...] = (
    "Startup programs lead at a cloud provider", "Innovation manager at a {sector} corporate",
    "Partner at a law firm for startups", "Runs a product design studio",
)
PARTNER_OFFERS: tuple[str, ...] = (
    "cloud credits and technical support for {sector} startups",
    "pilot budgets and distribution through our {sector} customer base",
    "discounted legal packages: incorporation, SAFEs, employment contracts",
    "design sprints and MVP builds for {stage} startups",
)
PARTNER_SEEKS: tuple[str, ...] = (
    "{sector} startups ready for a paid pilot", "startups in {region} to join our program",
    "founders who need help with {need}",
)
TALENT_HEADLINES: tuple[str, ...] = (
    "Senior backend engineer exploring startups", "Product designer, 6 years in {sector}",
    "ML engineer looking for a co-founder role", "Growth marketer, ex-{sector} startup",
)
TALENT_OFFERS: tuple[str, ...] = (
    "Python, Go and Postgres; built payment systems at scale",
    "end-to-end product design, from user interviews to design systems",
    "machine learning, LLM fine-tuning and evaluation pipelines",
    "paid acquisition, SEO and lifecycle email for B2B SaaS",
)
TALENT_SEEKS: tuple[str, ...] = (
    "a founding engineer role at a {stage} {sector} startup",
    "a co-founder with sales experience to start something in {sector}",
    "a remote role at an early-stage company in {region}",
)
NEEDS: tuple[str, ...] = (
    "legal setup", "cloud costs", "design", "go-to-market", "compliance",
)
CHECKS_BY_STAGE: dict[str, tuple[int, int]] = {
    "idea": (10, 50), "pre-seed": (25, 250), "seed": (250, 1500), "series-a": (1000, 8000),
    "series-b+": (5000, 25000),
}

# fmt: on


def money(k: int) -> str:
    """Format an amount in $k the way people write it in chat ("$250k", "$1.5M")."""
    return f"${k / 1000:g}M" if k >= 1000 else f"${k}k"


def pick_region(rng: random.Random) -> str:
    """A region, weighted towards where most demo members live."""
    return rng.choices(REGIONS, weights=REGION_WEIGHTS)[0]


def pick_sector(rng: random.Random, sectors: tuple[str, ...]) -> str:
    """A sector, weighted towards the popular ones (AI, fintech, SaaS...)."""
    return rng.choices(sectors, weights=[SECTOR_WEIGHTS.get(s, 0.6) for s in sectors])[0]


def fill(rng: random.Random, template: str, values: dict[str, str]) -> str:
    """Format a profile template, capitalizing the first letter."""
    text = template.format(**values)
    return text[0].upper() + text[1:]


def slot_values(rng: random.Random, sector: str, stage: str, region: str) -> dict[str, str]:
    """The fillers profile templates use for one member."""
    lo, hi = CHECKS_BY_STAGE[stage]
    return {
        "sector": sector if sector != "ai" else "AI",
        "stage": stage,
        "region": region,
        "city": rng.choice(CITIES[region]),
        "product": rng.choice(PRODUCTS[sector]),
        "fund": rng.choice(FUNDS),
        "checks": f"{money(lo)}-{money(hi)}",
        "raise": money(rng.choice((lo, hi)) * 4),
        "need": rng.choice(NEEDS),
    }


ROLE_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "founder": (
        (
            "Founder of a {stage} {sector} startup building {product}",
            "Co-founder & CEO, {product}",
            "Solo founder, {product} ({city})",
        ),
        FOUNDER_OFFERS,
        FOUNDER_SEEKS,
    ),
    "investor": (INVESTOR_HEADLINES, INVESTOR_OFFERS, INVESTOR_SEEKS),
    "mentor": (MENTOR_HEADLINES, MENTOR_OFFERS, MENTOR_SEEKS),
    "partner": (PARTNER_HEADLINES, PARTNER_OFFERS, PARTNER_SEEKS),
    "talent": (TALENT_HEADLINES, TALENT_OFFERS, TALENT_SEEKS),
}
