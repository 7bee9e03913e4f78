"""The drill catalog: loads and validates ``catalog.json`` (drills are data, not code per drill).

A drill states its kind (balance, reps, hold, warmup), the sensor placement it needs, plain-language
instructions, default parameters, detector settings, cues and a progression ladder of levels.
``DrillSpec.params(level)`` resolves the parameters of a level; ``DrillSpec.plan(params)`` turns
them into the sets a session runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from trainer.vocab.drills import CATALOG_FILE, catalog_text
from trainer.vocab.ids import DRILL_IDS, PLACEMENTS, SIDES

KINDS = ("balance", "reps", "hold", "warmup", "position-sense", "lunge")
DETECTORS = ("balance", "reps", "hold", "warmup", "position-sense", "lunge")
MOTIONS = ("inversion", "eversion", "plantarflexion", "dorsiflexion", "pump", "circle")

_CHOICES: dict[str, tuple[str, ...]] = {
    "eyes": ("open", "closed"),
    "surface": ("firm", "foam"),
    "band": ("light", "medium", "strong"),
    "stance": ("both", "single"),
    "feedback": ("none", "always", "far", "fading"),
    # single-leg balance: "norm-test" runs the normative study's protocol (trainer.drills.norms)
    "protocol": ("training", "norm-test"),
}
_INTS = ("sets", "reps", "trials")
_FLOATS_POSITIVE = ("hold_s", "tempo_s", "present_s", "reproduce_s", "tolerance_deg")
_FLOATS_NONNEG = ("rest_s", "countdown_s")
#: Upper bounds (a session file may say anything: 10⁹ sets would plan 10⁹ trials).
MAX_COUNT = {"sets": 100, "reps": 1000, "trials": 100}
MAX_SECONDS = 3600.0
PARAM_KEYS = frozenset((*_CHOICES, *_INTS, *_FLOATS_POSITIVE, *_FLOATS_NONNEG, "sides",
                        "targets"))
#: Joint-position-sense target movements (the foot's rotation from neutral) and their range.
TARGET_MOTIONS = ("inversion", "eversion", "plantarflexion", "dorsiflexion")
TARGET_MAX_DEG = 40.0
DEFAULT_COUNTDOWN_S = 3.0


class CatalogError(ValueError):
    """The catalog file is malformed, or a drill id / parameter is unknown (one-line message)."""


def validate_params(params: Mapping[str, Any], where: str = "params") -> dict[str, Any]:
    """Check names, types and ranges of drill parameters; return a normalised copy."""
    out: dict[str, Any] = {}
    for key, value in params.items():
        if key not in PARAM_KEYS:
            raise CatalogError(f"{where}: unknown parameter {key!r}")
        if key in _INTS:
            if (isinstance(value, bool) or not isinstance(value, int)
                    or not 1 <= value <= MAX_COUNT[key]):
                raise CatalogError(f"{where}: {key} must be a whole number 1..{MAX_COUNT[key]}, "
                                   f"got {value!r}"[:200])
            out[key] = int(value)
        elif key in _FLOATS_POSITIVE or key in _FLOATS_NONNEG:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise CatalogError(f"{where}: {key} must be a number, got {value!r}"[:200])
            v = float(value)
            bad = (v <= 0) if key in _FLOATS_POSITIVE else (v < 0)
            if bad or v != v or v > MAX_SECONDS:
                raise CatalogError(f"{where}: {key} out of range: {value!r}")
            out[key] = v
        elif key == "sides":
            if (not isinstance(value, list | tuple) or not value
                    or any(s not in SIDES for s in value) or len(set(value)) != len(value)):
                raise CatalogError(f"{where}: sides must be a list of left/right, got {value!r}")
            out[key] = list(value)
        elif key == "targets":
            out[key] = _validate_targets(value, where)
        else:
            if value not in _CHOICES[key]:
                raise CatalogError(f"{where}: {key} must be one of {_CHOICES[key]}, got {value!r}")
            out[key] = value
    return out


def _validate_targets(value: Any, where: str) -> list[dict[str, Any]]:
    """Position-sense targets: a non-empty list of ``{"motion": …, "deg": 0 < deg <= 40}``."""
    if not isinstance(value, list | tuple) or not 1 <= len(value) <= 20:
        raise CatalogError(f"{where}: targets must be a list of 1..20 targets")
    out = []
    for t in value:
        motion = t.get("motion") if isinstance(t, Mapping) else None
        deg = t.get("deg") if isinstance(t, Mapping) else None
        if (motion not in TARGET_MOTIONS or isinstance(deg, bool)
                or not isinstance(deg, int | float) or not 0 < float(deg) <= TARGET_MAX_DEG):
            raise CatalogError(f"{where}: each target needs a motion ({', '.join(TARGET_MOTIONS)})"
                               f" and 0 < deg <= {TARGET_MAX_DEG:g}, got {t!r}")
        out.append({"motion": str(motion), "deg": float(deg)})
    return out


def target_label(motion: str | None, deg: float | None) -> str:
    """'10° inversion'."""
    if deg is None:
        return motion or ""
    return f"{deg:g}° {motion}" if motion else f"{deg:g}°"


@dataclass(frozen=True)
class Level:
    """One rung of a drill's progression ladder."""

    label: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class Block:
    """A sub-exercise of a multi-part drill (the warm-up's pumps and circles)."""

    name: str
    motion: str
    reps: int
    cue: str


@dataclass(frozen=True)
class SetPlan:
    """One work period of a session: a timed hold or a number of reps, then a rest."""

    index: int  # 1-based position in the session
    n_sets: int
    work: str  # "hold" (timed) or "reps" (until target_reps or the time limit)
    name: str
    cue: str
    hold_s: float | None
    target_reps: int | None
    motion: str | None
    rest_after_s: float
    time_limit_s: float | None  # reps sets end after this even if not all reps are done
    #: position sense: "present" (guided to the target) or "reproduce" (eyes closed); lunge
    #: test: "lunge"; None for the other drills
    stage: str | None = None
    target_deg: float | None = None  # position sense: the target angle (motion: its direction)
    feedback: str | None = None  # position-sense reproduction: always | far | none
    trial: int | None = None  # position sense / lunge: 1-based trial number

    def to_dict(self) -> dict[str, Any]:
        out = {
            "index": self.index, "n_sets": self.n_sets, "work": self.work, "name": self.name,
            "cue": self.cue, "hold_s": self.hold_s, "target_reps": self.target_reps,
            "motion": self.motion, "rest_after_s": self.rest_after_s,
            "time_limit_s": self.time_limit_s,
        }
        if self.stage is not None:
            out.update(stage=self.stage, target_deg=self.target_deg, feedback=self.feedback,
                       trial=self.trial)
        return out


@dataclass(frozen=True)
class DrillSpec:
    """A drill of the catalog, as data."""

    id: str
    name: str
    kind: str
    placement: str
    description: str
    steps: tuple[str, ...]
    equipment: tuple[str, ...]
    defaults: Mapping[str, Any]
    detection: Mapping[str, Any]
    cues: Mapping[str, str]
    metrics: tuple[str, ...]
    progression: tuple[Level, ...]
    start_level: int
    blocks: tuple[Block, ...] = ()

    @property
    def is_repetition(self) -> bool:
        """Rep-counting drills report ``reps`` and ``rom_deg``."""
        return self.kind in ("reps", "warmup")

    def level_label(self, level: int | None) -> str:
        if level is None or not self.progression:
            return "standard"
        return self.progression[self.clamp_level(level)].label

    def clamp_level(self, level: int) -> int:
        return max(0, min(int(level), len(self.progression) - 1)) if self.progression else 0

    def params(self, level: int | None = None,
               overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Defaults, then the level's parameters, then explicit overrides (all validated)."""
        out = dict(self.defaults)
        if level is not None and self.progression:
            out.update(self.progression[self.clamp_level(level)].params)
        if overrides:
            out.update(validate_params(overrides, f"{self.id} overrides"))
        out.setdefault("countdown_s", DEFAULT_COUNTDOWN_S)
        if self.kind == "balance" and out.get("protocol") == "norm-test":
            from trainer.drills.norms import NORM_TEST_PARAMS

            out.update(NORM_TEST_PARAMS)  # 3 trials of up to 45 s on a firm floor
        return out

    def plan(self, params: Mapping[str, Any] | None = None) -> list[SetPlan]:
        """The sets of one side's session, in order (warm-up: its blocks, ``sets`` times)."""
        p = dict(params) if params is not None else self.params(self.start_level)
        if self.kind == "position-sense":
            return _position_sense_plan(self, p)
        if self.kind == "lunge":
            return _lunge_plan(self, p)
        n_rounds = int(p.get("sets", 1))
        rest_s = float(p.get("rest_s", 0.0))
        items: list[tuple[str, str, str, float | None, int | None, str | None, float | None]] = []
        if self.kind == "warmup":
            for _ in range(n_rounds):
                for b in self.blocks:
                    items.append(("reps", b.name, b.cue, None, b.reps, b.motion,
                                  _rep_time_limit(b.reps, p)))
        else:
            for _ in range(n_rounds):
                if self.kind == "reps":
                    reps = int(p.get("reps", 10))
                    items.append(("reps", self.name, self.cues.get("start", ""), None, reps,
                                  self.detection.get("motion"), _rep_time_limit(reps, p)))
                else:
                    items.append(("hold", self.name, self.cues.get("start", ""),
                                  float(p.get("hold_s", 30.0)), None,
                                  self.detection.get("motion"), None))
        n = len(items)
        return [
            SetPlan(index=i + 1, n_sets=n, work=w, name=name, cue=cue, hold_s=hold,
                    target_reps=reps, motion=motion,
                    rest_after_s=rest_s if i < n - 1 else 0.0, time_limit_s=limit)
            for i, (w, name, cue, hold, reps, motion, limit) in enumerate(items)
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "kind": self.kind, "placement": self.placement,
            "description": self.description, "steps": list(self.steps),
            "equipment": list(self.equipment), "defaults": dict(self.defaults),
            "detection": dict(self.detection), "cues": dict(self.cues),
            "metrics": list(self.metrics),
            "progression": [{"label": lv.label, "params": dict(lv.params)}
                            for lv in self.progression],
            "start_level": self.start_level,
            "blocks": [b.__dict__ for b in self.blocks],
        }


def feedback_for_set(mode: str, k: int, n: int) -> str:
    """Reproduction feedback of the ``k``-th of ``n`` trials (0-based): ``fading`` gives
    ``always`` for the first third, ``far`` (only when off by more than the tolerance) for the
    second, then ``none`` (as ``trainer.feedback.fading``); other modes as they are."""
    if mode != "fading":
        return mode
    frac = k / max(n, 1)
    return "always" if frac < 1 / 3 else ("far" if frac < 2 / 3 else "none")


def _position_sense_plan(spec: DrillSpec, p: Mapping[str, Any]) -> list[SetPlan]:
    """Per trial two timed sets: "present" (guided to the target, hold) and "reproduce" (eyes
    closed). Rounds over the targets, ``trials`` times (targets interleaved, so the person
    cannot just repeat the last movement)."""
    targets = list(p.get("targets") or [])
    trials = int(p.get("trials", 3))
    rest = float(p.get("rest_s", 3.0))
    mode = str(p.get("feedback", "none"))
    present_s, reproduce_s = float(p.get("present_s", 7.0)), float(p.get("reproduce_s", 9.0))
    items = [(k + 1, t) for k in range(trials) for t in targets]
    n = 2 * len(items)
    out: list[SetPlan] = []
    for j, (trial, t) in enumerate(items):
        label = target_label(t["motion"], t["deg"])
        for stage, hold, cue in (("present", present_s, spec.cues.get("present", "")),
                                 ("reproduce", reproduce_s, spec.cues.get("reproduce", ""))):
            i = len(out)
            out.append(SetPlan(
                index=i + 1, n_sets=n, work="hold", name=f"{label}: "
                + ("shown" if stage == "present" else "reproduce"),
                cue=cue.replace("{target}", label), hold_s=hold, target_reps=None,
                motion=t["motion"], rest_after_s=rest if i < n - 1 else 0.0, time_limit_s=None,
                stage=stage, target_deg=float(t["deg"]),
                feedback=feedback_for_set(mode, j, len(items)) if stage == "reproduce"
                else "always", trial=trial))
    return out


def _lunge_plan(spec: DrillSpec, p: Mapping[str, Any]) -> list[SetPlan]:
    """One timed set per lunge (``sets`` lunges, 3 by default)."""
    n = int(p.get("sets", 3))
    rest = float(p.get("rest_s", 5.0))
    return [SetPlan(index=i + 1, n_sets=n, work="hold", name=f"Lunge {i + 1}",
                    cue=spec.cues.get("start", ""), hold_s=float(p.get("hold_s", 8.0)),
                    target_reps=None, motion="dorsiflexion",
                    rest_after_s=rest if i < n - 1 else 0.0, time_limit_s=None, stage="lunge",
                    trial=i + 1) for i in range(n)]


def _rep_time_limit(reps: int, params: Mapping[str, Any]) -> float:
    """Generous limit for a reps set: three times the prescribed tempo, at least 30 s."""
    tempo = float(params.get("tempo_s", 3.0))
    return max(30.0, 3.0 * tempo * reps)


@dataclass(frozen=True)
class Question:
    id: str
    text: str


@dataclass(frozen=True)
class PainScale:
    """The 0-10 numeric pain rating with its thresholds (from the programme)."""

    name: str
    min: int
    max: int
    anchors: Mapping[int, str]
    acceptable_max: int
    back_off_at: int
    see_doctor_at: int
    advice: Mapping[str, str]

    def advice_for(self, rating: int) -> tuple[str, str]:
        """(category, text): ok ≤ acceptable_max < caution < back_off_at ≤ back_off < stop."""
        if rating >= self.see_doctor_at:
            cat = "stop"
        elif rating >= self.back_off_at:
            cat = "back_off"
        elif rating > self.acceptable_max:
            cat = "caution"
        else:
            cat = "ok"
        return cat, self.advice[cat]


@dataclass(frozen=True)
class SafetySpec:
    rescreen_days: int
    intro: str
    questions: tuple[Question, ...]
    blocked_advice: str
    cleared_text: str
    pain_scale: PainScale


@dataclass(frozen=True)
class Catalog:
    format_version: int
    programme_title: str
    principles: tuple[str, ...]
    common_cues: Mapping[str, str]
    drills: Mapping[str, DrillSpec]
    safety: SafetySpec
    source: str = field(default="", compare=False)

    def get(self, drill_id: str) -> DrillSpec:
        try:
            return self.drills[drill_id]
        except KeyError:
            raise CatalogError(
                f"unknown drill {drill_id!r} (known: {', '.join(self.drills)})") from None


# ---------------------------------------------------------------- parsing


def _req(obj: Mapping[str, Any], key: str, typ: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(obj, Mapping) or key not in obj:
        raise CatalogError(f"{where}: missing {key!r}")
    value = obj[key]
    if not isinstance(value, typ) or (isinstance(value, bool) and typ is not bool):
        raise CatalogError(f"{where}: {key!r} has the wrong type ({type(value).__name__})")
    return value


def _str_list(obj: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    items = _req(obj, key, list, where)
    if not all(isinstance(s, str) and s.strip() for s in items):
        raise CatalogError(f"{where}: {key!r} must be a list of non-empty strings")
    return tuple(items)


def _parse_drill(d: Mapping[str, Any], i: int) -> DrillSpec:
    where = f"drills[{i}]"
    did = _req(d, "id", str, where)
    where = f"drill {did!r}"
    kind = _req(d, "kind", str, where)
    if kind not in KINDS:
        raise CatalogError(f"{where}: kind must be one of {KINDS}, got {kind!r}")
    placement = _req(d, "placement", str, where)
    if placement not in PLACEMENTS:
        raise CatalogError(f"{where}: placement must be shank or foot, got {placement!r}")
    defaults = validate_params(_req(d, "defaults", dict, where), f"{where} defaults")
    if "sides" not in defaults:
        raise CatalogError(f"{where}: defaults need 'sides'")
    if kind == "reps" and "reps" not in defaults:
        raise CatalogError(f"{where}: a reps drill needs defaults.reps")
    if kind in ("hold", "balance", "lunge") and "hold_s" not in defaults:
        raise CatalogError(f"{where}: a {kind} drill needs defaults.hold_s")
    if kind == "position-sense" and "targets" not in defaults:
        raise CatalogError(f"{where}: a position-sense drill needs defaults.targets")
    detection = _req(d, "detection", dict, where)
    det = detection.get("detector")
    if det not in DETECTORS:
        raise CatalogError(f"{where}: detection.detector must be one of {DETECTORS}")
    motion = detection.get("motion")
    if motion is not None and motion not in MOTIONS:
        raise CatalogError(f"{where}: unknown motion {motion!r}")
    for k, v in detection.items():
        if k.endswith(("_deg", "_dps", "_s", "_hz", "_m")) and (
                isinstance(v, bool) or not isinstance(v, int | float) or v <= 0):
            raise CatalogError(f"{where}: detection.{k} must be a positive number")
    cues = _req(d, "cues", dict, where)
    for k in ("start", "active", "done"):
        if not isinstance(cues.get(k), str) or not cues[k]:
            raise CatalogError(f"{where}: cues.{k} missing")
    levels = []
    for j, lv in enumerate(_req(d, "progression", list, where)):
        label = _req(lv, "label", str, f"{where} progression[{j}]")
        params = validate_params(_req(lv, "params", dict, f"{where} progression[{j}]"),
                                 f"{where} progression[{j}]")
        levels.append(Level(label, MappingProxyType(params)))
    start = _req(d, "start_level", int, where)
    if levels and not 0 <= start < len(levels):
        raise CatalogError(f"{where}: start_level {start} outside the ladder")
    blocks = []
    for j, b in enumerate(d.get("blocks", []) or []):
        bw = f"{where} blocks[{j}]"
        bm = _req(b, "motion", str, bw)
        if bm not in MOTIONS:
            raise CatalogError(f"{bw}: unknown motion {bm!r}")
        reps = _req(b, "reps", int, bw)
        if reps < 1:
            raise CatalogError(f"{bw}: reps must be >= 1")
        blocks.append(Block(_req(b, "name", str, bw), bm, reps, str(b.get("cue", ""))))
    if kind == "warmup" and not blocks:
        raise CatalogError(f"{where}: a warm-up needs blocks")
    description = _req(d, "description", str, where)
    if len(description) < 40:
        raise CatalogError(f"{where}: description too short for a plain-language explanation")
    return DrillSpec(
        id=did, name=_req(d, "name", str, where), kind=kind, placement=placement,
        description=description, steps=_str_list(d, "steps", where),
        equipment=tuple(d.get("equipment", []) or []),
        defaults=MappingProxyType(defaults), detection=MappingProxyType(dict(detection)),
        cues=MappingProxyType(dict(cues)), metrics=_str_list(d, "metrics", where),
        progression=tuple(levels), start_level=start, blocks=tuple(blocks),
    )


def _parse_safety(s: Mapping[str, Any]) -> SafetySpec:
    where = "safety"
    qs = []
    for j, q in enumerate(_req(s, "questions", list, where)):
        qs.append(Question(_req(q, "id", str, f"{where} questions[{j}]"),
                           _req(q, "text", str, f"{where} questions[{j}]")))
    if len({q.id for q in qs}) != len(qs) or not qs:
        raise CatalogError(f"{where}: question ids must be unique and non-empty")
    ps = _req(s, "pain_scale", dict, where)
    lo, hi = _req(ps, "min", int, "pain_scale"), _req(ps, "max", int, "pain_scale")
    if (lo, hi) != (0, 10):
        raise CatalogError("pain_scale must run from 0 to 10")
    anchors_raw = _req(ps, "anchors", dict, "pain_scale")
    try:
        anchors = {int(k): str(v) for k, v in anchors_raw.items()}
    except ValueError:
        raise CatalogError("pain_scale.anchors keys must be integers") from None
    if sorted(anchors) != list(range(lo, hi + 1)):
        raise CatalogError("pain_scale.anchors must label every value 0..10")
    advice = _req(ps, "advice", dict, "pain_scale")
    if set(advice) != {"ok", "caution", "back_off", "stop"}:
        raise CatalogError("pain_scale.advice needs ok, caution, back_off and stop")
    acc = _req(ps, "acceptable_max", int, "pain_scale")
    back = _req(ps, "back_off_at", int, "pain_scale")
    stop = _req(ps, "see_doctor_at", int, "pain_scale")
    if not lo <= acc < back <= stop <= hi:
        raise CatalogError(
            "pain_scale thresholds must satisfy acceptable_max < back_off_at <= see_doctor_at")
    pain = PainScale(_req(ps, "name", str, "pain_scale"), lo, hi, MappingProxyType(anchors),
                     acc, back, stop, MappingProxyType(dict(advice)))
    days = _req(s, "rescreen_days", int, where)
    if days < 1:
        raise CatalogError("safety.rescreen_days must be >= 1")
    return SafetySpec(days, _req(s, "intro", str, where), tuple(qs),
                      _req(s, "blocked_advice", str, where), _req(s, "cleared_text", str, where),
                      pain)


def parse_catalog(data: Any, source: str = "<data>") -> Catalog:
    """Validate a decoded catalog document; raises CatalogError with a one-line reason."""
    if not isinstance(data, Mapping):
        raise CatalogError(f"{source}: the catalog must be a JSON object")
    if data.get("format_version") != 1:
        raise CatalogError(f"{source}: unsupported format_version {data.get('format_version')!r}")
    prog = _req(data, "programme", dict, "catalog")
    drills = [_parse_drill(d, i) for i, d in enumerate(_req(data, "drills", list, "catalog"))]
    ids = [d.id for d in drills]
    if sorted(ids) != sorted(DRILL_IDS) or len(set(ids)) != len(ids):
        raise CatalogError(f"{source}: drills must be exactly {', '.join(DRILL_IDS)}")
    cues = _req(data, "common_cues", dict, "catalog")
    return Catalog(
        format_version=1, programme_title=_req(prog, "title", str, "programme"),
        principles=_str_list(prog, "principles", "programme"),
        common_cues=MappingProxyType(dict(cues)),
        drills=MappingProxyType(
            {d.id: d for d in sorted(drills, key=lambda d: DRILL_IDS.index(d.id))}),
        safety=_parse_safety(_req(data, "safety", dict, "catalog")), source=source,
    )


def load_catalog(path: str | Path | None = None) -> Catalog:
    """The shipped catalog (cached), or a catalog file given by path."""
    if path is None:
        return _default_catalog()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise CatalogError(f"cannot read catalog {p}: {exc.strerror or exc}") from None
    return _parse_text(text, str(p))


def _parse_text(text: str, source: str) -> Catalog:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{source}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return parse_catalog(data, source)


@lru_cache(maxsize=1)
def _default_catalog() -> Catalog:
    return _parse_text(catalog_text(), CATALOG_FILE)


def get_drill(drill_id: str) -> DrillSpec:
    """The shipped drill with this id (CatalogError for an unknown id)."""
    return _default_catalog().get(drill_id)
