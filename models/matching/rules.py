"""Hard filters and small bonuses for matching, vectorized over all candidate rows.

Rules (a rule only applies when both sides state the field it needs):

- **Roles**: a candidate must hold a role complementary to one of the requester's
  (`models.matching.profile.COMPLEMENTS`); a profile with no roles is not role-filtered.
  `suggest(role=...)` further requires the candidate to hold that role.
- **Stage** (founder <-> investor): the investor's stages (its `stage` plus any stage
  names among its tags) must include the founder's stage or an adjacent one.
- **Sector** (founder <-> investor or partner): they must share a sector. For mentors
  and talent shared sectors are only a bonus.
- **Region** (founder <-> investor or partner): same region after normalizing case and
  spaces; "global", "remote", "any", "anywhere", "worldwide" and "online" match all.
- **Check size** (founder <-> investor, in $k): the founder's round is its
  check_min..check_max, or else the typical round for its stage (ROUND_SIZE_K). The
  investor fits unless its smallest check exceeds the round's top, or its largest
  check is under 2% of the round's bottom.
- Invisible profiles, the requester itself, and excluded or blocked members never match.
"""

from __future__ import annotations

import re

import numpy as np

from models.matching.profile import COMPLEMENTS, ROLES, SECTORS, STAGES, Profile

ROUND_SIZE_K: dict[str, tuple[float, float]] = {
    "idea": (0, 500),
    "pre-seed": (100, 2_000),
    "seed": (500, 5_000),
    "series-a": (3_000, 25_000),
    "series-b+": (10_000, 500_000),
}
MIN_CHECK_SHARE = 0.02
WILDCARD_REGIONS = frozenset({"global", "remote", "any", "anywhere", "worldwide", "online"})
SECTOR_BONUS = 0.04
STAGE_BONUS = 0.03
REGION_BONUS = 0.02

ROLE_BIT = {r: 1 << i for i, r in enumerate(ROLES)}
SECTOR_BIT = {s: 1 << i for i, s in enumerate(SECTORS)}
STAGE_BIT = {s: 1 << i for i, s in enumerate(STAGES)}
FOUNDER = ROLE_BIT["founder"]
INVESTOR = ROLE_BIT["investor"]
PARTNER = ROLE_BIT["partner"]

# Per-row attribute columns the matcher keeps next to its vectors.
ATTR_COLUMNS: dict[str, tuple[tuple[int, ...], type]] = {
    "roles": ((), np.uint8),
    "comp": ((), np.uint8),  # roles this member can be matched with
    "sectors": ((), np.uint32),
    "stage": ((), np.uint8),  # own stage
    "stages": ((), np.uint8),  # own stage + stage tags (an investor's focus)
    "window": ((), np.uint8),  # own stage and its neighbours (what a founder accepts)
    "region": ((), np.int32),  # 0 = unstated or wildcard
    "need_lo": ((), np.float32),  # founder's round, $k (nan = unknown)
    "need_hi": ((), np.float32),
    "check_lo": ((), np.float32),  # investor's checks, $k (nan = unknown)
    "check_hi": ((), np.float32),
    "visible": ((), np.bool_),
}


def bits(names: object, table: dict[str, int]) -> int:
    """OR of the bits of the names found in `table` (unknown names are ignored)."""
    return sum(table[n] for n in set(names) if n in table)  # type: ignore[call-overload]


def norm_region(region: str | None) -> str:
    """Lower-cased, space-collapsed region; '' when unstated or a wildcard."""
    text = re.sub(r"\s+", " ", (region or "").strip().lower())
    return "" if text in WILDCARD_REGIONS else text


def round_size(p: Profile) -> tuple[float, float]:
    """The founder's round in $k as (lo, hi); nan where unknown."""
    lo = float(p.check_min) if p.check_min is not None else np.nan
    hi = float(p.check_max) if p.check_max is not None else np.nan
    if np.isnan(lo) and np.isnan(hi) and p.stage in ROUND_SIZE_K:
        lo, hi = ROUND_SIZE_K[p.stage]
    return lo, hi


def attributes(p: Profile, region_code: int) -> dict[str, object]:
    """The attribute-column values of one profile."""
    roles = bits(p.roles, ROLE_BIT)
    comp = 0
    for role in p.roles:
        comp |= bits(COMPLEMENTS.get(role, ()), ROLE_BIT)
    stages = bits([p.stage, *p.tags], STAGE_BIT)
    window = 0
    if p.stage in STAGE_BIT:
        i = STAGES.index(p.stage)
        window = bits(STAGES[max(i - 1, 0) : i + 2], STAGE_BIT)
    founder = bool(roles & FOUNDER)
    need = round_size(p) if founder else (np.nan, np.nan)
    investor = bool(roles & INVESTOR)
    lo = float(p.check_min) if investor and p.check_min is not None else np.nan
    hi = float(p.check_max) if investor and p.check_max is not None else np.nan
    return {
        "roles": roles,
        "comp": comp,
        "sectors": bits(p.sectors, SECTOR_BIT),
        "stage": bits([p.stage], STAGE_BIT),
        "stages": stages,
        "window": window,
        "region": region_code,
        "need_lo": need[0],
        "need_hi": need[1],
        "check_lo": lo,
        "check_hi": hi,
        "visible": p.visible,
    }


def _stage_ok(inv_stages: np.ndarray, founder_window: np.ndarray) -> np.ndarray:
    return (inv_stages == 0) | (founder_window == 0) | ((inv_stages & founder_window) != 0)


def _check_ok(
    lo: np.ndarray, hi: np.ndarray, need_lo: np.ndarray, need_hi: np.ndarray
) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return ~((lo > need_hi) | (hi < MIN_CHECK_SHARE * need_lo))


def allowed(a: dict[str, np.ndarray], cols: dict[str, np.ndarray], role: str | None) -> np.ndarray:
    """Boolean mask of candidate rows `cols` that pass every hard filter against row `a`.

    `a` holds one row's attributes (0-d arrays or scalars); `cols` the candidates' columns.
    """
    roles, comp = cols["roles"], cols["comp"]
    a_roles = int(a["roles"])
    ok = cols["visible"].copy()
    if a_roles:
        ok &= (roles == 0) | ((roles & int(a["comp"])) != 0)
        ok &= (roles == 0) | ((comp & a_roles) != 0)
    if role is not None:
        ok &= (roles & ROLE_BIT[role]) != 0
    a_founder = bool(a_roles & FOUNDER)
    b_founder = (roles & FOUNDER) != 0
    fi_ab = a_founder & ((roles & INVESTOR) != 0)  # A founder, B investor
    fi_ba = bool(a_roles & INVESTOR) & b_founder  # A investor, B founder
    fip = (a_founder & ((roles & (INVESTOR | PARTNER)) != 0)) | (
        bool(a_roles & (INVESTOR | PARTNER)) & b_founder
    )
    # Stage
    ok &= ~fi_ab | _stage_ok(cols["stages"], np.uint8(a["window"]))
    ok &= ~fi_ba | _stage_ok(np.uint8(a["stages"]), cols["window"])
    # Sector and region
    a_sec, sec = int(a["sectors"]), cols["sectors"]
    if a_sec:
        ok &= ~fip | (sec == 0) | ((sec & a_sec) != 0)
    a_reg, reg = int(a["region"]), cols["region"]
    if a_reg:
        ok &= ~fip | (reg == 0) | (reg == a_reg)
    # Check size
    ok &= ~fi_ab | _check_ok(cols["check_lo"], cols["check_hi"], a["need_lo"], a["need_hi"])
    ok &= ~fi_ba | _check_ok(a["check_lo"], a["check_hi"], cols["need_lo"], cols["need_hi"])
    return ok


def bonus(a: dict[str, np.ndarray], cols: dict[str, np.ndarray]) -> np.ndarray:
    """Small additive bonus per candidate: shared sector, exact stage fit, same region."""
    out = np.where((cols["sectors"] & int(a["sectors"])) != 0, SECTOR_BONUS, 0.0)
    roles = cols["roles"]
    a_roles = int(a["roles"])
    exact_ab = bool(a_roles & FOUNDER) & ((roles & INVESTOR) != 0)
    exact_ab &= (cols["stages"] & int(a["stage"])) != 0
    exact_ba = bool(a_roles & INVESTOR) & ((roles & FOUNDER) != 0)
    exact_ba &= (cols["stage"] & int(a["stages"])) != 0
    out += np.where(exact_ab | exact_ba, STAGE_BONUS, 0.0)
    if int(a["region"]):
        out += np.where(cols["region"] == int(a["region"]), REGION_BONUS, 0.0)
    return out.astype(np.float32)
