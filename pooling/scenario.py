"""Scenario files: the levers of one run, read from TOML and checked key by key.

A scenario is plain data (:class:`Scenario`). It is read from a TOML file whose
workbook path is relative to the file, and any key can be overridden by dotted name
(``change.source.grant``), which is how the command line's lever flags and sweeps
make variants without editing the file. Every problem names its key.

Defaults (a key left out) are the tool's main job: the pooled budget under a
council tax freeze with ring-fences removed, maximising outcome value.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import math
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError
from .schema import PARTNER_TYPES, SOURCES, normalise

OBJECTIVES = ("outcomes", "least-cost")
POOLING = ("pooled", "silo")
SOLVERS = ("cbc", "highs")
DEFAULT_FREEZE_GRANT = {"council": 0.025, "police": 0.03, "fire": 0.03}


class ScenarioError(InputError):
    """The scenario is not valid; ``problems`` lists every bad key as 'key: reason'."""

    def __init__(self, problems: list[str], source: str = "scenario"):
        self.problems = problems
        self.source = source
        super().__init__("\n".join(f"{source}: {problem}" for problem in problems))


@dataclass(frozen=True)
class Scenario:
    name: str
    workbook: Path
    objective: str = "outcomes"
    pooling: str = "pooled"
    ring_fencing: str | tuple[str, ...] = "removed"  # "kept", "removed" or streams kept ring-fenced
    solver: str = "highs"
    freeze: bool = True
    freeze_grant: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_FREEZE_GRANT))
    growth: float = 0.0  # council tax, a year, when not frozen
    change_default: float = 0.0
    change_source: dict[str, float] = field(default_factory=dict)
    change_partner: dict[str, float] = field(default_factory=dict)
    change_stream: dict[str, float] = field(default_factory=dict)
    coalition: tuple[str, ...] | None = None  # partners who pool (pooled only); None = all
    path: Path | None = None  # the scenario file, when read from one
    overrides: tuple[str, ...] = ()  # KEY=VALUE applied on top of the file
    sha256: str = ""  # of the file's bytes as read, for the audit trail
    warnings: tuple[str, ...] = ()  # levers that are valid but rarely what is meant

    def levers(self) -> list[tuple[str, str]]:
        """Every lever as resolved, for the Audit sheet and the terminal."""
        ring = self.ring_fencing if isinstance(self.ring_fencing, str) else "kept for " + ", ".join(self.ring_fencing)
        rows = [
            ("name", self.name),
            ("objective", self.objective),
            ("pooling", self.pooling),
            ("ring_fencing", ring),
            ("solver", self.solver),
            ("coalition", "all partners" if self.coalition is None else ", ".join(self.coalition) or "none"),
            ("council_tax.freeze", "yes" if self.freeze else "no"),
            (
                "council_tax.freeze_grant",
                ", ".join(f"{kind} {rate:.2%}" for kind, rate in self.freeze_grant.items()) or "none",
            ),
            ("council_tax.growth", f"{self.growth:.2%} a year"),
            ("change.default", f"{self.change_default:.2%} a year"),
        ]
        for label, table in (
            ("source", self.change_source),
            ("partner", self.change_partner),
            ("stream", self.change_stream),
        ):
            for key, rate in table.items():
                rows.append((f"change.{label}.{key}", f"{rate:.2%} a year"))
        if self.overrides:
            rows.append(("overrides", "; ".join(self.overrides)))
        return rows

    def policy(self) -> dict[str, str]:
        """The levers that shape the model, each in one effective form, for comparing
        scenarios: the freeze grant matters only under a freeze, growth only without."""
        ring = self.ring_fencing if isinstance(self.ring_fencing, str) else "kept for " + ", ".join(self.ring_fencing)
        if self.freeze:
            grant = ", ".join(f"{kind} {rate:.2%}" for kind, rate in sorted(self.freeze_grant.items()))
            council_tax = f"frozen (freeze grant: {grant or 'none'})"
        else:
            council_tax = f"rising {self.growth:.2%} a year"
        changes = [f"default {self.change_default:.2%}"]
        for label, table in (
            ("source", self.change_source),
            ("partner", self.change_partner),
            ("stream", self.change_stream),
        ):
            changes += [f"{label} {key} {rate:.2%}" for key, rate in sorted(table.items())]
        return {
            "workbook": str(self.workbook),
            "objective": self.objective,
            "pooling": self.pooling if self.coalition is None else f"{self.pooling} among {', '.join(self.coalition)}",
            "ring-fencing": ring,
            "council tax": council_tax,
            "funding changes": "; ".join(changes),
        }

    def stream_kept_ring_fenced(self, code: str, has_ring_fence: bool) -> bool:
        if not has_ring_fence:
            return False
        if self.ring_fencing == "kept":
            return True
        if self.ring_fencing == "removed":
            return False
        return code in self.ring_fencing


# A scenario is a few hundred bytes; anything this large is not one.
MAX_SCENARIO_BYTES = 1024 * 1024


def read_scenario(path: Path, overrides: dict[str, object] | None = None) -> Scenario:
    """Read a TOML scenario file, apply dotted-key overrides, check every key."""
    path = Path(path)
    try:
        status = path.stat()
        if not stat.S_ISREG(status.st_mode):
            problem = "this is a folder, not a scenario file" if stat.S_ISDIR(status.st_mode) else (
                "this is not a file but a device, a pipe or a socket")  # fmt: skip
            raise ScenarioError([problem], str(path))
        if status.st_size > MAX_SCENARIO_BYTES:
            raise ScenarioError([f"the file is {status.st_size:,} bytes; a scenario is a few hundred"], str(path))
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        # Notepad saves UTF-8 with a byte-order mark, which TOML does not allow: read past it.
        data = tomllib.loads(text.removeprefix("\ufeff"))
    except FileNotFoundError:
        raise ScenarioError(["no such file"], str(path)) from None
    except UnicodeDecodeError:
        raise ScenarioError(["not a text file (a TOML scenario is text)"], str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([f"not valid TOML ({exc})"], str(path)) from None
    except RecursionError:
        raise ScenarioError(["tables or arrays are nested too deeply to be a scenario"], str(path)) from None
    except OSError as exc:
        raise ScenarioError([f"cannot read the file ({exc.strerror})"], str(path)) from None
    scenario = scenario_from_dict(data, base=path.parent, source=str(path), overrides=overrides, path=path)
    return dataclasses.replace(scenario, sha256=hashlib.sha256(raw).hexdigest())


def scenario_from_dict(
    data: dict,
    base: Path = Path("."),
    source: str = "scenario",
    overrides: dict[str, object] | None = None,
    path: Path | None = None,
) -> Scenario:
    """A checked :class:`Scenario` from parsed TOML (and overrides by dotted key)."""
    data = copy.deepcopy(data)
    applied = []
    for key, value in (overrides or {}).items():
        if key.startswith("council_tax.freeze_grant.") and isinstance(data.get("council_tax", {}), dict):
            # One rate changed on the command line keeps the others as they stood,
            # the defaults included (a file's own table replaces the defaults whole).
            data.setdefault("council_tax", {}).setdefault("freeze_grant", dict(DEFAULT_FREEZE_GRANT))
        set_key(data, key, value)
        applied.append(f"{key}={_show(value)}")
    problems: list[str] = []
    known_top = {
        "name",
        "workbook",
        "objective",
        "pooling",
        "ring_fencing",
        "solver",
        "coalition",
        "council_tax",
        "change",
    }
    for key in data:
        if key not in known_top:
            problems.append(f"{key}: unknown key (known: {', '.join(sorted(known_top))})")

    name = data.get("name", path.stem if path else "scenario")
    if not isinstance(name, str) or not name.strip():
        problems.append("name: must be a non-empty text")
    workbook = data.get("workbook")
    workbook_path = Path()
    if workbook is None:
        problems.append("workbook: missing (the path of the workbook, relative to the scenario file)")
    elif not isinstance(workbook, str) or not workbook.strip():
        problems.append("workbook: must be a path written as text")
    else:
        workbook_path = (base / workbook).resolve() if not Path(workbook).is_absolute() else Path(workbook)

    objective = _choice(data, "objective", OBJECTIVES, "outcomes", problems)
    pooling = _choice(data, "pooling", POOLING, "pooled", problems)
    solver = _choice(data, "solver", SOLVERS, "highs", problems)
    ring_fencing: str | tuple[str, ...] = "removed"
    if "ring_fencing" in data:
        value = data["ring_fencing"]
        if isinstance(value, str) and value in ("kept", "removed"):
            ring_fencing = value
        elif isinstance(value, list) and all(isinstance(item, str) for item in value):
            ring_fencing = tuple(item.strip() for item in value)
        else:
            problems.append(f'ring_fencing: must be "kept", "removed" or a list of stream codes, not {_show(value)}')

    coalition = data.get("coalition")
    if coalition is not None:
        if not isinstance(coalition, list) or not all(isinstance(code, str) for code in coalition):
            problems.append(f"coalition: must be a list of partner codes, not {_show(coalition)}")
            coalition = None
        else:
            coalition = tuple(dict.fromkeys(code.strip() for code in coalition))

    council_tax = _table(data, "council_tax", {"freeze", "freeze_grant", "growth"}, problems)
    freeze = council_tax.get("freeze", True)
    if not isinstance(freeze, bool):
        problems.append(f"council_tax.freeze: must be true or false, not {_show(freeze)}")
        freeze = True
    freeze_grant = dict(DEFAULT_FREEZE_GRANT)
    if "freeze_grant" in council_tax:
        raw = council_tax["freeze_grant"]
        if not isinstance(raw, dict):
            problems.append("council_tax.freeze_grant: must be a table of partner type = rate")
        else:
            freeze_grant = {}
            for kind, rate in raw.items():
                key = f"council_tax.freeze_grant.{kind}"
                if normalise(kind) not in PARTNER_TYPES:
                    problems.append(f"{key}: unknown partner type (types: {', '.join(PARTNER_TYPES)})")
                elif _rate(rate, key, problems, low=0.0) is not None:
                    freeze_grant[normalise(kind)] = float(rate)
    growth = _rate(council_tax.get("growth", 0.0), "council_tax.growth", problems)

    change = _table(data, "change", {"default", "source", "partner", "stream"}, problems)
    change_default = _rate(change.get("default", 0.0), "change.default", problems)
    tables = {}
    for label in ("source", "partner", "stream"):
        raw = change.get(label, {})
        tables[label] = {}
        if not isinstance(raw, dict):
            problems.append(f"change.{label}: must be a table of {label} = rate")
            continue
        for code, rate in raw.items():
            key = f"change.{label}.{code}"
            if label == "source":
                code = normalise(str(code).replace("_", " "))
                if code not in SOURCES:
                    problems.append(f"{key}: unknown source (sources: {', '.join(SOURCES)})")
                    continue
                if code == "council tax":
                    problems.append(f"{key}: council tax changes by council_tax.growth (or is frozen), not [change]")
                    continue
            if _rate(rate, key, problems) is not None:
                tables[label][code] = float(rate)

    if problems:
        raise ScenarioError(problems, source)
    described = [_described(key, value) for key, value in (overrides or {}).items()]
    described = [text for text in described if text]
    if described and "name" not in (overrides or {}):
        # Not the file's title, which names the levers as the file sets them.
        base = path.name if path is not None else name.strip()
        name = f"{base} with: {', '.join(dict.fromkeys(described))}"
    warnings = []
    if not freeze and growth == 0:
        warnings.append(
            "council tax is not frozen but council_tax.growth is 0%, so it stays at its base-year amount "
            "without the freeze grant; set council_tax.growth (e.g. --set council_tax.growth=0.035) for a rise"
        )
    return Scenario(
        name=name.strip(),
        workbook=workbook_path,
        objective=objective,
        pooling=pooling,
        ring_fencing=ring_fencing,
        solver=solver,
        freeze=freeze,
        freeze_grant=freeze_grant,
        growth=growth,
        change_default=change_default,
        change_source=tables["source"],
        change_partner=tables["partner"],
        change_stream=tables["stream"],
        coalition=coalition,
        path=path,
        overrides=tuple(applied),
        warnings=tuple(warnings),
    )


def _described(key: str, value: object) -> str:
    """An override in the words a run's name carries ('silo', 'no freeze'); '' for one
    that does not change what is solved (the solver)."""
    if key == "solver":
        return ""
    if key == "pooling":
        return str(value)
    if key == "council_tax.freeze":
        return "council tax frozen" if value else "no freeze"
    if key == "objective":
        return "least cost" if value == "least-cost" else "outcome value"
    if key == "ring_fencing":
        if isinstance(value, list):
            return "ring-fences kept for " + ", ".join(map(str, value))
        return f"ring-fences {value}"
    if key == "coalition" and isinstance(value, list):
        return "pooling among " + ", ".join(map(str, value))
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key.startswith(("change.", "council_tax.")):
        return f"{key} {value:+.1%}"
    return f"{key} = {_show(value)}"


def check_against_place(scenario: Scenario, place) -> list[str]:
    """Scenario keys that name codes the workbook does not have."""
    problems = []
    for code in scenario.change_partner:
        if code not in place.partners:
            problems.append(f"change.partner.{code}: no partner '{code}' in the workbook")
    for code in scenario.change_stream:
        stream = place.streams.get(code)
        if stream is None:
            problems.append(f"change.stream.{code}: no stream '{code}' in the workbook")
        elif stream.source == "council tax":
            problems.append(
                f"change.stream.{code}: '{code}' is a council-tax stream; it changes by council_tax.growth, not [change]"
            )
    for code in scenario.coalition or ():
        if code not in place.partners:
            problems.append(f"coalition: no partner '{code}' in the workbook")
    if not isinstance(scenario.ring_fencing, str):
        for code in scenario.ring_fencing:
            stream = place.streams.get(code)
            if stream is None:
                problems.append(f"ring_fencing: no stream '{code}' in the workbook")
            elif not stream.ring_fenced_to:
                problems.append(f"ring_fencing: stream '{code}' has no 'Ring-fenced to' programmes to keep")
    return problems


def set_key(data: dict, dotted: str, value: object) -> None:
    """Set ``data['a']['b']['c'] = value`` for ``a.b.c``, creating tables on the way."""
    parts = dotted.split(".")
    node = data
    for part in parts[:-1]:
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise ScenarioError([f"{dotted}: '{part}' is not a table"])
        node = child
    node[parts[-1]] = value


def parse_value(text: str) -> object:
    """A command-line value as TOML would read it: numbers, true/false, lists, else text."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _choice(data: dict, key: str, choices: tuple[str, ...], default: str, problems: list[str]) -> str:
    value = data.get(key, default)
    if value not in choices:
        problems.append(f"{key}: must be {' or '.join(repr(c) for c in choices)}, not {_show(value)}")
        return default
    return value


def _table(data: dict, key: str, known: set[str], problems: list[str]) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        problems.append(f"{key}: must be a table ([{key}])")
        return {}
    for inner in value:
        if inner not in known:
            problems.append(f"{key}.{inner}: unknown key (known: {', '.join(sorted(known))})")
    return value


def _rate(value: object, key: str, problems: list[str], low: float = -1.0, high: float = 1.0) -> float | None:
    """A yearly rate written as a fraction (-0.071 for -7.1%); ``low`` itself is excluded
    for changes (a fall of 100% or more would leave less than nothing)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        problems.append(f"{key}: must be a number such as -0.071 (for -7.1%), not {_show(value)}")
        return None
    too_low = value < low or (low == -1.0 and value <= low)
    if too_low or value > high:
        problems.append(f"{key}: {value} is outside {low:g} to {high:g} (rates are fractions: write -7.1% as -0.071)")
        return None
    return float(value)


def _show(value: object) -> str:
    return repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
