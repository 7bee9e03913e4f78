"""Age norms for single-leg stance time: Springer et al. 2007 (means), with the spread (mean and
SD) from Watanabe et al. 2025 (eyes closed) and Seino et al. 2014 (eyes open).

Springer BA, Marin R, Cyhan T, Roberts H, Gill NW. Normative values for the unipedal stance test
with eyes open and closed. J Geriatr Phys Ther 2007;30(1):8-15.
doi:10.1519/00139143-200704000-00003.
549 healthy adults aged 18-99. Protocol: barefoot, standing on the leg of choice, arms crossed over
the chest, the other foot raised near (not touching) the standing ankle; timing stops when the arms
uncross, the raised foot touches down or moves away, the standing foot moves, the eyes open (eyes
closed trials) or 45 s is reached; 3 trials, the best one counts. Performance fell with age and did
not depend on sex.

Values are the mean best-of-3 times in seconds. Eyes open: the study's sexes-pooled ("total")
means. Eyes closed: the study's female and male means; with no sex given we use their average.
We could not read the paper's table directly; the values come from secondary reproductions found
with the project's search tool: eyes open from a public code base quoting the "Total" rows of the
table, cross-checked against The Prehab Guys' single-leg balance assessment page (44/41/41/32/21/9 s
by age group, which matches after rounding); eyes closed from a public fitness-norms document
quoting the female/male best-of-3 means (single source: treat as less certain).

Spread: Springer et al.'s standard deviations could not be sourced (searched: the paper's
full text, Physiopedia-type summaries, the Shirley Ryan AbilityLab page, public code that hard-
codes the table; none gave SDs we could trust), so a z-score uses other primary sources that
give mean and SD per age group, each labelled indicative (other protocol than the norm test):

- Eyes closed: Watanabe et al. 2025 (Sci Rep 15:2207, open access; Fig. 1 caption): mean (SD)
  and n per age decade, one-leg standing up to 30 s, 249 Japanese manufacturing workers aged
  20-66 (the best time is capped at the study's 30 s first; the 60-66 group, n = 4, gives no SD).
- Eyes open: Seino et al. 2014 (PLoS One 9:e99487, open access, TMIG-LISA; abstract):
  "unweighted simple mean (standard deviation) ... one-legged stance ... 39.3 (23.0) s ... in
  men and ... 36.8 (23.4) s ... in women", 4683 nondisabled community-dwelling Japanese aged 65
  or older (mean age 74); n with a stance result from its Table 1 (1463 men, 1766 women). One
  group for all of 65+ (the paper's age-specific rows were not readable to us), per sex; without
  a sex, both rows taken together (n-weighted mean, SD of the union: 37.93 +- 23.25 s, n 3229).
  The study's time limit is not in the abstract, so a best time that reached our 45 s limit
  gives a lower bound of the z-score. No eyes-open SD for ages under 65.

Searched 2026-12-07 for eyes-open SDs and rejected: Springer et al.'s full text (stored only
as its first page); Bohannon 1984 (Phys Ther 64:1067), Briggs 1989 (Phys Ther 69:748), Iverson
1990 (Phys Ther 70:348), Vereeck 2008 (Int J Audiol 47:67): abstracts only, no SDs; Bohannon
2006 meta-analysis: confidence intervals of the means, its per-study table not readable;
Morioka et al. 2012 (Curr Gerontol Geriatr Res 516283): curve fits, no group SDs readable;
Tveter et al. 2016 (BMC Geriatr, 65-85, Table 2): means with model-based 95 % CIs (one pooled
SD behind all of them), no group SDs; Rezaei et al. 2024 (PLoS One, 40 adults 50-80): SD units
per decade only; Kalantri et al. 2025 (111.8 +- 6.8 s for 20-40 year olds): an SE, not an SD;
Japan's MEXT fitness survey (eyes open, 65-79): means only in the pages we could read; a BMC
Geriatrics 2021 percentile table (s12877-021-02112-1, Table 7) without readable caption or age
groups; Araujo et al. 2022 (BJSM, 10-s pass rates by age): the rates only in press quotes.

Our measurement is the IMU-detected time to the first balance loss in each 3-trial set, capped at
45 s, best of the 3 - close to, but not the same as, a clinician with a stopwatch; reports say so.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

CITATION = ("Springer BA, Marin R, Cyhan T, Roberts H, Gill NW. Normative values for the unipedal "
            "stance test with eyes open and closed. J Geriatr Phys Ther 2007;30(1):8-15.")
PROTOCOL = ("Unipedal stance test (Springer et al. 2007): arms crossed, other foot near the "
            "standing ankle, 3 trials, best trial, 45 s maximum. Compared here with the "
            "sensor-detected time to the first balance loss (best of the session's trials, "
            "capped at 45 s).")
MAX_TRIAL_S = 45.0
N_TRIALS = 3
#: The drill parameters of the norm test mode (``protocol: norm-test``): the study's protocol.
NORM_TEST_PARAMS = {"sets": N_TRIALS, "hold_s": MAX_TRIAL_S, "surface": "firm"}
NORM_TEST_CUE = ("Norm test: barefoot, arms crossed over your chest, raised foot near (not "
                 "touching) the standing ankle.")
NORM_TEST_LABEL = ("Norm test: measured under the study's protocol (barefoot, arms crossed, "
                   "3 trials of up to 45 s, best trial)")
NOT_NORM_TEST_LABEL = ("Training session, not the norm test: the trials were not run under the "
                       "study's protocol, so the comparison is indicative only. Run the drill "
                       "with protocol norm-test for a comparable measurement.")


#: An age group with this upper bound has none (the study gives only "65 years or older").
OPEN_ENDED_AGE = 120


@dataclass(frozen=True)
class AgeRange:
    """A study's age group: ``lo``-``hi`` years, both included."""

    lo: int
    hi: int

    @property
    def label(self) -> str:
        return f"{self.lo}+" if self.hi >= OPEN_ENDED_AGE else f"{self.lo}-{self.hi}"


G = TypeVar("G", bound=AgeRange)


def group_for(groups: Iterable[G], age: float) -> G | None:
    """The group that holds ``age`` (whole years), or None outside the study's ages."""
    return next((g for g in groups if g.lo <= int(age) <= g.hi), None)


@dataclass(frozen=True)
class AgeGroup(AgeRange):
    eyes_open_s: float  # mean best of 3, sexes pooled
    eyes_closed_female_s: float  # mean best of 3
    eyes_closed_male_s: float


SPRINGER_2007 = (
    AgeGroup(18, 39, 44.7, 13.1, 16.9),
    AgeGroup(40, 49, 41.9, 13.5, 12.0),
    AgeGroup(50, 59, 41.2, 7.9, 8.6),
    AgeGroup(60, 69, 32.1, 3.6, 5.1),
    AgeGroup(70, 79, 21.5, 3.7, 2.6),
    AgeGroup(80, 99, 9.4, 2.1, 1.8),
)


NORM_SOURCE = ("Means of Springer et al. 2007's table (best of 3, eyes open sexes pooled; eyes "
               "closed female/male) from secondary reproductions: the paper's table itself could "
               "not be read (see trainer/drills/norms.py).")
SPRINGER_SD_NOTE = ("Springer et al. 2007's standard deviations could not be read from the paper "
                    "or a reliable reproduction, so this mean has no spread here.")

#: Age groups with fewer people than this give no SD (Watanabe et al.'s 60-66 group has n = 4).
MIN_SPREAD_N = 10


@dataclass(frozen=True)
class SpreadGroup(AgeRange):
    """An age group's mean and standard deviation of the stance time, with its size; ``sex``
    None for a group of both sexes."""

    n: int
    mean_s: float
    sd_s: float
    sex: str | None = None


def pooled_group(groups: Sequence[SpreadGroup], sex: str | None = None) -> SpreadGroup:
    """The groups taken together (e.g. men and women of one age group): n-weighted mean, and
    the SD of the union from the groups' sample SDs and means (within- plus between-group sum
    of squares over N - 1). Plain arithmetic on the published rows, nothing estimated."""
    n = sum(g.n for g in groups)
    mean = sum(g.n * g.mean_s for g in groups) / n
    ss = sum((g.n - 1) * g.sd_s ** 2 + g.n * (g.mean_s - mean) ** 2 for g in groups)
    return SpreadGroup(min(g.lo for g in groups), max(g.hi for g in groups), n,
                       round(mean, 2), round(math.sqrt(ss / (n - 1)), 2), sex)


@dataclass(frozen=True)
class SpreadSource:
    """A study giving, per age group, the mean and SD of single-leg stance time for one eyes
    condition; ``cap_s`` its trial time limit (None: not stated in what we could read)."""

    eyes: str
    short: str
    citation: str
    population: str
    groups: tuple[SpreadGroup, ...]
    cap_s: float | None
    note: str
    #: the note under the norm test (None: as ``note``), and whether the study's rules are
    #: closer to a training session's than to the norm test's (None: not known)
    norm_test_note: str | None = None
    lenient_protocol: bool | None = None

    @property
    def ages(self) -> str:
        return f"{min(g.lo for g in self.groups)}-{max(g.hi for g in self.groups)}".replace(
            f"-{OPEN_ENDED_AGE}", "+")

    def group(self, age: float, sex: str | None = None) -> SpreadGroup | None:
        """The group for this age; of a study split by sex, the row for ``sex`` (both sexes
        together when ``sex`` is None)."""
        rows = [g for g in self.groups if g.lo <= int(age) <= g.hi]
        return next((g for g in rows if g.sex == sex),
                    next((g for g in rows if g.sex is None), None))


WATANABE_2025 = SpreadSource(
    eyes="closed", short="Watanabe et al. 2025",
    citation=("Watanabe K, Iizuka S, Kobayashi T, Tsushima S, Hirohashi S, Yoshimi T, Zaitsu M. "
              "Daily walking habits can mitigate age-related decline in static balance: a "
              "longitudinal study among aircraft assemblers. Sci Rep 2025;15:2207. "
              "doi:10.1038/s41598-025-86514-w (Fig. 1: baseline mean (SD) by age decade)."),
    population=("249 Japanese aircraft and spacecraft manufacturing workers (242 men), "
                "one-leg standing with eyes closed, timed up to 30 s"),
    # Fig. 1 caption: mean (SD) at baseline per age decade, and n
    groups=(SpreadGroup(20, 29, 62, 28.5, 4.5),
            SpreadGroup(30, 39, 61, 26.9, 7.2),
            SpreadGroup(40, 49, 92, 24.1, 9.1),
            SpreadGroup(50, 59, 30, 19.4, 10.9),
            SpreadGroup(60, 66, 4, 16.8, 14.2)),
    cap_s=30.0,
    note=("The study timed up to 30 s under its own rules (not the norm test's), so the z-score "
          "is indicative."),
    norm_test_note=(
        "Caution: the norm test's rules (arms crossed, strict end criteria) are stricter than "
        "this study's: Springer et al.'s young adults average about 15 s eyes closed where this "
        "study's average 28.5 s, so under the norm test this z-score reads low."),
    lenient_protocol=True,
)
WATANABE_2025_EYES_CLOSED = WATANABE_2025.groups

#: Seino et al. 2014, abstract: "unweighted simple mean (standard deviation) ... one-legged
#: stance ... 39.3 (23.0) s ... in men and ... 36.8 (23.4) s ... in women", 65 years or older;
#: n with a one-legged stance result: Table 1 (1463 men, 1766 women of 4683).
SEINO_2014_MEN = SpreadGroup(65, OPEN_ENDED_AGE, 1463, 39.3, 23.0, "male")
SEINO_2014_WOMEN = SpreadGroup(65, OPEN_ENDED_AGE, 1766, 36.8, 23.4, "female")
SEINO_2014 = SpreadSource(
    eyes="open", short="Seino et al. 2014",
    citation=("Seino S, Shinkai S, Fujiwara Y, Obuchi S, Yoshida H, Hirano H, Kim HK, Ishizaki T, "
              "Takahashi R; TMIG-LISA Research Group. Reference values and age and sex "
              "differences in physical performance measures for community-dwelling older "
              "Japanese: a pooled analysis of six cohort studies. PLoS One 2014;9(6):e99487. "
              "doi:10.1371/journal.pone.0099487 (abstract: mean (SD) one-legged stance by sex; "
              "Table 1: n per measure)."),
    population=("3229 nondisabled community-dwelling Japanese aged 65 or older (1463 men, 1766 "
                "women; mean age 74), one-legged stance with eyes open, six TMIG-LISA cohorts"),
    groups=(SEINO_2014_MEN, SEINO_2014_WOMEN, pooled_group((SEINO_2014_MEN, SEINO_2014_WOMEN))),
    cap_s=None,
    note=("One group for all ages 65+ (mean age 74; the paper's age-specific rows could not be "
          "read), so the z-score reads high in the late 60s and low in the 80s; the study used "
          "its own protocol (its time limit is not given in the abstract), not the norm test's, "
          "so the z-score is indicative."),
)

#: The mean-and-SD source per eyes condition.
SPREAD_SOURCES = {s.eyes: s for s in (SEINO_2014, WATANABE_2025)}


def age_group(age: float) -> AgeGroup | None:
    """The study's age group for ``age`` (None outside 18-99)."""
    return group_for(SPRINGER_2007, age)


def norm_seconds(age: float, eyes: str = "open", sex: str | None = None) -> float | None:
    """Mean best-of-3 stance time for this age (and, eyes closed, sex), or None outside 18-99."""
    g = age_group(age)
    if g is None:
        return None
    if eyes == "open":
        return g.eyes_open_s
    if eyes != "closed":
        raise ValueError(f"eyes must be open or closed, got {eyes!r}")
    if sex == "female":
        return g.eyes_closed_female_s
    if sex == "male":
        return g.eyes_closed_male_s
    return round((g.eyes_closed_female_s + g.eyes_closed_male_s) / 2.0, 2)


def compare_spread(best_s: float | None, age: float | None, eyes: str = "open",
                   protocol: str | None = None, sex: str | None = None, *,
                   censored: bool = False) -> dict[str, Any]:
    """The best time against an age group's mean and standard deviation: a z-score and its band.

    Eyes closed: Watanabe et al. 2025 (trials up to 30 s, so the best time is capped at 30 s
    first); eyes open: Seino et al. 2014 (65+, by sex; both sexes together without ``sex``).
    Otherwise, and for too small a group, ``available`` is False with the reason in ``note``.
    ``censored``: the best trial was ended by the trial's time limit, not a balance loss; when
    the study's own limit is higher (or unknown) the z-score is then a lower bound
    (``z_lower_bound``)."""
    if eyes not in ("open", "closed"):
        raise ValueError(f"eyes must be open or closed, got {eyes!r}")
    src = SPREAD_SOURCES[eyes]
    out: dict[str, Any] = {"available": False, "source": None, "short": None,
                           "population": None, "age_group": None, "sex": None, "n": None,
                           "mean_s": None, "sd_s": None, "cap_s": None, "best_capped_s": None,
                           "z": None, "z_lower_bound": False, "band": None,
                           "comparable_protocol": None, "note": None}
    if age is None or best_s is None:
        return out
    g = src.group(age, sex)
    if g is None:
        out["note"] = (f"No age group with a mean and SD for this age ({src.short}, eyes {eyes}: "
                       f"{src.ages}).")
        return out
    out.update(source=src.citation, short=src.short, population=src.population,
               age_group=g.label, n=g.n, mean_s=g.mean_s, sd_s=g.sd_s, cap_s=src.cap_s,
               sex=g.sex or ("both" if any(x.sex for x in src.groups) else None))
    if g.n < MIN_SPREAD_N:
        out["note"] = f"Too few people in this age group of the study (n = {g.n}) for an SD."
        return out
    best = float(best_s)
    capped = best if src.cap_s is None else min(best, src.cap_s)
    z = (capped - g.mean_s) / g.sd_s
    norm_test = protocol == "norm-test"
    out.update(available=True, best_capped_s=round(capped, 2), z=round(z, 2), band=z_band(z),
               z_lower_bound=censored and (src.cap_s is None or best < src.cap_s),
               comparable_protocol=None if src.lenient_protocol is None
               else norm_test != src.lenient_protocol,
               note=src.norm_test_note if norm_test and src.norm_test_note else src.note)
    return out


def z_band(z: float) -> str:
    """Where a z-score lies: at or above the mean, within 1 SD below it, below mean - 1 SD,
    below mean - 2 SD."""
    if z >= 0.0:
        return "at_or_above_mean"
    if z >= -1.0:
        return "within_1sd_below_mean"
    if z >= -2.0:
        return "below_mean_minus_1sd"
    return "below_mean_minus_2sd"


def compare_stance(best_s: float | None, age: float | None, eyes: str = "open",
                   surface: str = "firm", sex: str | None = None, *,
                   ended_without_loss: bool = False,
                   protocol: str | None = None) -> dict[str, Any]:
    """Compare a best stance time with the age norms; a dict ready for reports and JSON.

    ``norm_s`` is Springer et al. 2007's mean (the norm test's protocol; its SD was not
    available to us: ``norm_sd_s`` None with ``norm_sd_note``); ``spread`` is the comparison
    with a mean and SD (``compare_spread``: eyes closed Watanabe et al. 2025, eyes open Seino
    et al. 2014).

    ``ended_without_loss``: the best trial was ended by the drill's hold time, not by a balance
    loss, so a time below the mean says nothing (a 30 s hold cannot reach a 42 s mean).

    ``status`` is ``no_age`` / ``outside_norm_ages`` / ``not_comparable`` (foam: the studies
    used a firm floor) / ``no_measurement`` / ``hold_too_short`` (ended without a loss below the
    mean) or ``at_or_above_mean`` / ``below_mean`` (Springer's mean; no judgement without a
    spread: about half of healthy people are below a mean).
    """
    out: dict[str, Any] = {"protocol": PROTOCOL, "citation": CITATION, "eyes": eyes,
                           "surface": surface, "best_s": best_s, "norm_s": None,
                           "norm_source": NORM_SOURCE, "norm_sd_s": None,
                           "norm_sd_note": SPRINGER_SD_NOTE, "age_group": None, "ratio": None,
                           "spread": None, "share_below_at_most_pct": None,
                           "share_as_long_at_most_pct": None,
                           "status": "no_age",
                           "norm_test": protocol == "norm-test",
                           "mode": NORM_TEST_LABEL if protocol == "norm-test"
                           else NOT_NORM_TEST_LABEL}
    if surface != "firm":
        out["status"] = "not_comparable"
        return out
    if age is None:
        return out
    g = age_group(age)
    if g is None:
        out["status"] = "outside_norm_ages"
        return out
    norm = norm_seconds(age, eyes, sex)
    out["age_group"] = g.label
    out["norm_s"] = norm
    if best_s is None or norm is None:
        out["status"] = "no_measurement"
        return out
    capped = min(float(best_s), MAX_TRIAL_S)
    ratio = capped / norm if norm > 0 else None
    out["best_s"] = round(capped, 2)
    out["ratio"] = None if ratio is None else round(ratio, 3)
    if ratio is None or ratio >= 1.0:
        out["status"] = "at_or_above_mean"
    elif ended_without_loss:
        out["status"] = "hold_too_short"
    else:
        out["status"] = "below_mean"
    if out["status"] == "below_mean":
        out["share_below_at_most_pct"] = share_below_at_most_pct(capped, norm)
    elif out["status"] == "at_or_above_mean":
        out["share_as_long_at_most_pct"] = share_as_long_at_most_pct(capped, norm)
    if out["status"] != "hold_too_short":
        out["spread"] = compare_spread(capped, age, eyes, protocol, sex,
                                       censored=ended_without_loss or capped >= MAX_TRIAL_S)
    return out


def share_below_at_most_pct(best_s: float, mean_s: float,
                            cap_s: float = MAX_TRIAL_S) -> float | None:
    """At most this share (%) of the study's age group held less than ``best_s``, or None when
    the bound says nothing (50 % or more).

    Needs no standard deviation: every study time lies in [0, cap] (Springer et al. stopped
    trials at 45 s), so the shortfall ``cap - time`` is non-negative with mean ``cap - mean``,
    and Markov's inequality gives P(time < best) <= (cap - mean) / (cap - best). Near the cap
    (young adults average 44.7 of 45 s eyes open) it is tight: a best of 30 s at 30 years is
    below at most 2 % of them."""
    if not 0.0 <= best_s < cap_s or mean_s > cap_s:
        return None
    share = 100.0 * (cap_s - mean_s) / (cap_s - best_s)
    return round(share, 1) if share < 50.0 else None


def share_as_long_at_most_pct(best_s: float, mean_s: float,
                              cap_s: float = MAX_TRIAL_S) -> float | None:
    """At most this share (%) of the study's age group held ``best_s`` or longer (at the time
    limit: the whole trial), or None when the bound says nothing (50 % or more).

    The other side of :func:`share_below_at_most_pct`, from the mean alone: times are never
    negative, so Markov's inequality gives P(time >= best) <= mean / best. Far above a low mean
    (eyes closed at 70-79 years the study's mean is 3.2 s) it is tight: 15 s is reached by at
    most 21 % of that age group."""
    if not 0.0 < best_s <= cap_s or mean_s < 0.0:
        return None
    share = 100.0 * mean_s / best_s
    return round(share, 1) if share < 50.0 else None


def best_trial_ended_without_loss(result: Mapping[str, Any]) -> bool:
    """True when a balance result's best trial (``sets`` rows with ``held_s`` and
    ``balance_losses``) ended without a balance loss, i.e. at the drill's hold time."""
    best = result.get("best_stance_s")
    if not isinstance(best, int | float):
        return False
    for row in result.get("sets") or []:
        held = row.get("held_s") if isinstance(row, Mapping) else None
        if isinstance(held, int | float) and abs(held - best) < 0.01 \
                and row.get("balance_losses") == 0:
            return True
    return False


def describe(cmp: dict[str, Any]) -> str:
    """Plain-language sentences for a comparison from ``compare_stance``."""
    status = cmp["status"]
    if status == "no_age":
        return "Add your age (balance-trainer report --age N) to compare with age norms."
    if status == "outside_norm_ages":
        return "Age norms (Springer et al. 2007) cover ages 18-99 only."
    if status == "not_comparable":
        return "Age norms were measured on a firm floor; this session was on foam."
    if status == "no_measurement":
        return "No stance time was measured."
    if status == "hold_too_short":
        return (f"No balance loss in {cmp['best_s']:.0f} s: to compare with the age norm "
                f"({cmp['norm_s']:.1f} s for ages {cmp['age_group']}, Springer et al. 2007, trials "
                f"up to {MAX_TRIAL_S:.0f} s) set the hold to {MAX_TRIAL_S:.0f} s.")
    eyes = "eyes open" if cmp["eyes"] == "open" else "eyes closed"
    text = (f"Best stance {cmp['best_s']:.1f} s ({eyes}) vs {cmp['norm_s']:.1f} s, the mean "
            f"best of 3 for ages {cmp['age_group']} (Springer et al. 2007): "
            + ("at or above the mean." if status == "at_or_above_mean" else
               "below the mean - as about half of healthy people are; the study's standard "
               "deviation was not available to us, so the mean alone says nothing about a "
               "deficit."))
    above = cmp.get("share_as_long_at_most_pct")
    if above is not None:
        held = (f"the whole {MAX_TRIAL_S:.0f} s trial" if cmp["best_s"] >= MAX_TRIAL_S
                else f"{cmp['best_s']:.1f} s or longer")
        text += (f" At most {above:.0f} % of the study's healthy people aged "
                 f"{cmp['age_group']} held {held} (a bound from the mean alone, whatever the "
                 "spread).")
    share = cmp.get("share_below_at_most_pct")
    if share is not None:
        text += (f" But its {MAX_TRIAL_S:.0f} s limit does: at most {share:.0f} % of its healthy "
                 f"people aged {cmp['age_group']} held less than {cmp['best_s']:.1f} s (a bound "
                 "from the mean and the limit alone, whatever the spread).")
    spread = cmp.get("spread") or {}
    if spread.get("available"):
        where = {"at_or_above_mean": "at or above the mean",
                 "within_1sd_below_mean": "within 1 SD below the mean",
                 "below_mean_minus_1sd": "below mean - 1 SD",
                 "below_mean_minus_2sd": "below mean - 2 SD"}[spread["band"]]
        who = {"male": ", men", "female": ", women",
               "both": ", women and men together (give your sex for its own row)"}.get(
                   spread["sex"], "")
        cap = (f" (the study timed up to {spread['cap_s']:.0f} s)"
               if spread["cap_s"] is not None else "")
        z = (f"z ≥ {spread['z']:+.1f} (your best trial ended at the time limit, not by a "
             "balance loss, so this is a lower bound)" if spread["z_lower_bound"]
             else f"z = {spread['z']:+.1f}")
        text += (f" Against a mean and standard deviation: {spread['best_capped_s']:.1f} s{cap} "
                 f"vs {spread['mean_s']:.1f} ± {spread['sd_s']:.1f} s for ages "
                 f"{spread['age_group']}{who} (n = {spread['n']}, {spread['short']}): {z}, "
                 f"{where}. {spread['note']}")
    elif spread.get("note"):
        text += " " + spread["note"]
    return text
