"""Random but valid contract workbooks and scenarios, for tests and benchmarks.

Everything here follows ``contract.md`` (version 1) and nothing else: this module
imports only the standard library, numpy and xlsxwriter, never the rest of
``pooling``, so that tests can use it to check the real implementation.

API
---
``generate_place(seed, partners=4, streams_per_partner=3, programmes=6, outcomes=4,
years=4, *, size=None, **options) -> dict``
    The seven sheets as plain data::

        {"Place": [(setting, value), ...],
         "Partners": [{"Partner": ..., "Name": ..., ...}, ...],   # keyed by contract header
         "Funding": [...], "Programmes": [...], "Outcomes": [...],
         "Effects": [...], "Savings": [...]}

    ``None`` is a blank cell. Percent columns hold the number as written in the cell
    (either a fraction, ``0.25``, or a number above 1, ``25``). Outcomes rows may carry
    year columns headed ``2012/13``; Funding and Programmes rows may carry a ``Notes``
    column (extra columns the tool must ignore). Same seed, same place.

``write_workbook(sheets, path, *, messy=None)``
    Writes the contract workbook with xlsxwriter (constant-memory mode: 50,000 rows
    take about a second). Header in row 1, codes as text cells, numbers as numbers,
    fractions in ``%`` columns formatted as percentages. ``messy=<int>`` also
    shuffles the sheet order, changes header case and pads headers with spaces, and
    adds an unrelated sheet (all of which the contract allows).

``generate_scenario(seed, place=None) -> dict``
    A scenario as ``tomllib`` would parse it (without ``workbook``): ``name`` plus
    some of ``objective``, ``pooling``, ``ring_fencing``, ``council_tax`` and
    ``change`` (omitted keys take the contract's defaults). Pass the place dict to
    also draw partner and stream specific changes and lists of ring-fenced streams
    from its codes.

``write_scenario(scenario, workbook_path, path)``
    Writes the TOML file; ``workbook`` is written relative to the scenario file's
    folder; ``solver`` is never written.

Sizes
-----
``size=`` picks the five counts from ``SIZES`` (overriding the arguments). LP
variables of the default scenario (pooled, outcomes), counted as x[s,p,t] +
y[p,o,j,t] + short[o,t] (add out[o,t] = outcomes x years if the model keeps
outputs as variables); they vary by a few percent with the seed:

    size    partners streams programmes outcomes years | LP variables pooled (silo)  | rows
    small       8       5        18         7       5  |   ~3,000 (~1,200)           |  ~210
    medium     15       6        47        14       8  |  ~25,000 (~8,000)           |  ~860
    large      34       8       155        34      10  | ~270,000 (~66,000)          | ~5,750

    (x is about 80% of the pooled count: 2,300 / 20,000 / 218,000; y about 20%:
    650 / 5,400 / 52,000; "streams" is per partner; "rows" is all sheets' data rows)

The short[o,t] count is small (tens to a few hundred; none under least-cost). The
LP has about 750, 4,200 and 31,500 rows. With HiGHS defaults, solving takes about
0.2 s, 1.5 s and 2 minutes (least-cost large: about 1 minute). To test the writer
on ~50,000 rows, use e.g. ``programmes=400, outcomes=60, effect_density=1.0``
(about 48,000 Effects rows, written in about 2 s).

(``generate_place(seed)`` with the argument defaults gives a few hundred variables.)

Options (keyword, all optional)
-------------------------------
units                   "£", "£000" or "£m" (default: random)
base_year               first year of the base-year label, e.g. 2010 (default: random)
pooled_share            share of programmes with Pooled = yes (0.5)
effect_density          chance that a (programme, outcome) pair has effects (0.5)
max_segments            most segments per (programme, outcome) (3)
ring_fenced_share       chance that a stream is ring-fenced (0.2)
non_poolable_share      chance that a stream is not poolable (0.15)
blank_share             chance that an optional cell is left blank (0.35)
min_share               largest programme Min as a share of its Baseline (0.3)
target_share            (low, high) target as a share of the baseline outcome ((0.1, 0.6))
year_targets            add year columns to Outcomes (default: at random)
savings                 write a Savings sheet (True)
notes                   add a Notes column to Funding and Programmes (True)
shuffle_effects         shuffle Effects rows, so segments are not in Up-to order (False)
ranged                  give every Effects row Low and High this share either side (0: none)
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import xlsxwriter

__all__ = [
    "SIZES",
    "HEADERS",
    "generate_place",
    "write_workbook",
    "write_generated",
    "generate_scenario",
    "write_scenario",
    "year_label",
]

SIZES = {
    "small": dict(partners=8, streams_per_partner=5, programmes=18, outcomes=7, years=5),
    "medium": dict(partners=15, streams_per_partner=6, programmes=47, outcomes=14, years=8),
    "large": dict(partners=34, streams_per_partner=8, programmes=155, outcomes=34, years=10),
}

HEADERS = {
    "Place": ["Setting", "Value"],
    "Partners": ["Partner", "Name", "Type", "Pool min %", "Pool max %"],
    "Funding": ["Stream", "Partner", "Source", "Base", "Poolable", "Ring-fenced to"],
    "Programmes": ["Programme", "Name", "Lead", "Pooled", "Baseline", "Min", "Max"],
    "Outcomes": ["Outcome", "Name", "Unit", "Value per unit", "Target", "Shortfall penalty"],
    "Effects": ["Programme", "Outcome", "Per £m", "Up to"],
    "Savings": ["Outcome", "Beneficiary", "£ per unit", "Cashable %", "Lag"],
}

UNIT_FACTOR = {"£": 1.0, "£000": 1e3, "£m": 1e6}
PARTNER_TYPES = ["council", "police", "fire", "health", "probation", "other"]
SOURCES = ["grant", "business rates", "fees", "other"]  # plus "council tax"
_DEFAULT_OPTIONS = dict(
    units=None,
    base_year=None,
    pooled_share=0.5,
    effect_density=0.5,
    max_segments=3,
    ring_fenced_share=0.2,
    non_poolable_share=0.15,
    blank_share=0.35,
    min_share=0.3,
    target_share=(0.1, 0.6),
    year_targets=None,
    savings=True,
    notes=True,
    shuffle_effects=False,
    ranged=0.0,
)
_OUTCOME_UNITS = ["people", "offences", "admissions", "households", "jobs", "places"]


def year_label(first_year: int) -> str:
    """`2010` -> `2010/11`, the financial year starting in April of `first_year`."""
    return f"{first_year}/{(first_year + 1) % 100:02d}"


def _codes(rng, n: int, prefix: str) -> list[str]:
    """n distinct codes: letters with a prefix, or numbers written as text (`007`)."""
    if rng.random() < 0.5:
        width = max(3, len(str(n)) + 1)  # always a leading zero: clearly text
        start = int(rng.integers(1, 50))
        return [str(start + i).zfill(width) for i in range(n)]
    return [f"{prefix}{i + 1}" for i in range(n)]


def _money(x: float, unit: str) -> float:
    """Round an amount to what a finance team would type in this unit."""
    return round(float(x), {"£": 0, "£000": 1, "£m": 3}[unit])


def _pct(rng, frac: float):
    """Write a share as an Excel percentage (0.25) or a number above 1 (25)."""
    if frac * 100 > 1 and rng.random() < 0.5:
        return round(frac * 100, 6)
    return frac


def _segment_value(spend: float, segs: list[tuple[float, float | None]]) -> float:
    """Outcome units per year bought by `spend` (in £m) over (rate, up_to £m) segments."""
    total, lo = 0.0, 0.0
    for rate, up in segs:
        hi = spend if up is None else min(spend, up)
        if hi > lo:
            total += rate * (hi - lo)
        if up is None or spend <= up:
            break
        lo = up
    return total


def generate_place(
    seed: int,
    partners: int = 4,
    streams_per_partner: int = 3,
    programmes: int = 6,
    outcomes: int = 4,
    years: int = 4,
    *,
    size: str | None = None,
    **options,
) -> dict:
    """A random valid place; see the module docstring for the options and sizes."""
    unknown = set(options) - set(_DEFAULT_OPTIONS)
    if unknown:
        raise TypeError(f"unknown options: {sorted(unknown)}")
    opt = {**_DEFAULT_OPTIONS, **options}
    if size is not None:
        s = SIZES[size]
        partners, streams_per_partner = s["partners"], s["streams_per_partner"]
        programmes, outcomes, years = s["programmes"], s["outcomes"], s["years"]
    rng = np.random.default_rng(seed)
    blank = opt["blank_share"]

    def maybe(value):
        return None if rng.random() < blank else value

    unit = opt["units"] or str(rng.choice(list(UNIT_FACTOR)))
    k = UNIT_FACTOR[unit]
    base_first = opt["base_year"] or int(rng.integers(2005, 2016))
    money = lambda pounds: _money(pounds / k, unit)  # noqa: E731  £ -> workbook unit

    # -- Place -------------------------------------------------------------------
    place = [("Place", f"Synthetic place {seed}"), ("Base year", year_label(base_first))]
    if years != 4 or rng.random() > blank:
        place.append(("Years", years))
    elif rng.random() < 0.5:
        place.append(("Years", None))
    if unit != "£000" or rng.random() > blank:
        place.append(("Units", unit))
    elif rng.random() < 0.5:
        place.append(("Units", None))
    rate = float(rng.choice([0.035, 0.035, 0.03, 0.05, 0.0]))
    if rate != 0.035 or rng.random() > blank:
        place.append(("Discount rate", rate))
    order = rng.permutation(len(place))
    place = [place[i] for i in order] if rng.random() < 0.3 else place

    # -- Partners ----------------------------------------------------------------
    pcodes = _codes(rng, partners, "PT")
    ptypes = ["council"] + [str(rng.choice(PARTNER_TYPES)) for _ in range(partners - 1)]
    if partners >= 3:  # at least one partner type without a freeze-grant rate
        ptypes[-1] = str(rng.choice(["health", "probation", "other"]))
    partner_rows, totals = [], []
    for code, ptype in zip(pcodes, ptypes):
        pmin = None if rng.random() < 0.4 else round(float(rng.uniform(0, 0.25)), 3)
        pmax = None if rng.random() < 0.4 else round(float(rng.uniform(max(pmin or 0, 0.5), 1.0)), 3)
        if pmax is not None and rng.random() < 0.15:
            pmax = 1.0  # written 1 or 100: both mean 100%
        partner_rows.append(
            {
                "Partner": code,
                "Name": f"{ptype.title()} partner {code}",
                "Type": ptype,
                "Pool min %": None if pmin is None else _pct(rng, pmin),
                "Pool max %": None if pmax is None else _pct(rng, pmax),
            }
        )
        totals.append(float(rng.uniform(20e6, 400e6)))  # £ a year

    # -- Programmes (before Funding, which ring-fences to them) -------------------
    gcodes = _codes(rng, programmes, "PG")
    leads = [pcodes[i % partners] if i < partners else str(rng.choice(pcodes)) for i in range(programmes)]
    rng.shuffle(leads)
    n_pooled = int(round(opt["pooled_share"] * programmes))  # exact count: steadier sizes
    pooled = [False] * programmes
    for j in rng.choice(programmes, size=n_pooled, replace=False):
        pooled[int(j)] = True
    baseline = {}  # £ a year
    for i, code in enumerate(pcodes):
        mine = [j for j in range(programmes) if leads[j] == code]
        if mine:
            shares = rng.dirichlet(np.ones(len(mine))) * 0.8
            for j, sh in zip(mine, shares):
                baseline[j] = max(totals[i] * sh, 0.02 * totals[i])
    programme_rows = []
    for j, code in enumerate(gcodes):
        b = baseline[j]
        mn = None if rng.random() < 0.4 else money(b * rng.uniform(0, opt["min_share"]))
        mx = None
        if rng.random() > 0.5:
            mx = money(b * rng.uniform(1.2, 3.0))
            if mn is not None and mx < mn:
                mx = mn
        pooled_cell = "yes" if pooled[j] else (None if rng.random() < 0.5 else "no")
        row = {
            "Programme": code,
            "Name": f"Programme {code}",
            "Lead": leads[j],
            "Pooled": pooled_cell,
            "Baseline": money(b),
            "Min": mn,
            "Max": mx,
        }
        if opt["notes"]:
            row["Notes"] = None if rng.random() < 0.7 else f"note on {code}"
        programme_rows.append(row)

    # -- Funding -----------------------------------------------------------------
    scodes = _codes(rng, partners * streams_per_partner, "ST")
    funding_rows = []
    n = 0
    for i, (code, ptype) in enumerate(zip(pcodes, ptypes)):
        shares = rng.dirichlet(np.ones(streams_per_partner) * 2)
        has_ct = ptype in ("council", "police", "fire") or rng.random() < 0.15
        for m in range(streams_per_partner):
            if m == 0 and has_ct:
                source = "council tax"
            else:
                source = str(rng.choice(SOURCES))
            base = money(totals[i] * shares[m]) if rng.random() > 0.03 else 0.0
            poolable = rng.random() >= opt["non_poolable_share"]
            pool_cell = (None if rng.random() < 0.5 else "yes") if poolable else "no"
            rf = None
            if rng.random() < opt["ring_fenced_share"]:
                m_rf = int(rng.integers(1, min(3, programmes) + 1))
                picks = rng.choice(programmes, size=m_rf, replace=False)
                sep = str(rng.choice([",", ", ", " , "]))
                rf = sep.join(gcodes[int(p)] for p in picks)
            row = {
                "Stream": scodes[n],
                "Partner": code,
                "Source": source,
                "Base": base,
                "Poolable": pool_cell,
                "Ring-fenced to": rf,
            }
            if opt["notes"]:
                row["Notes"] = None if rng.random() < 0.7 else f"{source} of {code}"
            funding_rows.append(row)
            n += 1

    # -- Outcomes and Effects ----------------------------------------------------
    ocodes = _codes(rng, outcomes, "OC")
    values = [
        float(rng.choice([50, 120, 500, 1_200, 3_500, 9_800, 20_000])) * float(rng.uniform(0.5, 1.5))
        for _ in range(outcomes)
    ]
    values = [round(v, 2) for v in values]
    effect_rows = []
    achievable = [0.0] * outcomes  # outcome units a year at baseline spend
    for j, g in enumerate(gcodes):
        b_m = baseline[j] / 1e6  # £m
        linked = [o for o in range(outcomes) if rng.random() < opt["effect_density"]]
        # the first £m of a programme buys £0.6m-£2.5m of value, shared among its outcomes
        worth = float(rng.uniform(0.6, 2.5)) * rng.dirichlet(np.ones(len(linked))) if linked else []
        for o, w in zip(linked, worth):
            nseg = int(rng.integers(1, opt["max_segments"] + 1))
            first = float(w) * 1e6 / values[o]  # units per £m
            rates = [first]
            for _ in range(nseg - 1):
                rates.append(rates[-1] * (1.0 if rng.random() < 0.15 else float(rng.uniform(0.3, 0.9))))
            rates = [float(f"{r:.4g}") for r in rates]
            rates = [min(rates[: q + 1]) for q in range(len(rates))]  # non-increasing after rounding
            cuts = np.sort(rng.uniform(0.2, 1.6, size=nseg)) * b_m  # £m
            ups = []
            last = 0.0
            for c in cuts:
                u = _money(c * 1e6 / k, unit)
                if u <= last:
                    u = last + {"£": 1.0, "£000": 0.1, "£m": 0.001}[unit]
                ups.append(u)
                last = u
            if rng.random() < 0.7:
                ups[-1] = None
            segs = [(r, None if u is None else u * k / 1e6) for r, u in zip(rates, ups)]
            achievable[o] += _segment_value(b_m, segs)
            for r, u in zip(rates, ups):
                row = {"Programme": g, "Outcome": ocodes[o], "Per £m": r, "Up to": u}
                if opt["ranged"]:  # a plausible range either side, for Monte Carlo samples
                    row["Low"], row["High"] = (
                        float(f"{r * (1 - opt['ranged']):.4g}"),
                        float(f"{r * (1 + opt['ranged']):.4g}"),
                    )
                effect_rows.append(row)
    if opt["shuffle_effects"]:
        effect_rows = [effect_rows[i] for i in rng.permutation(len(effect_rows))]

    year_targets = opt["year_targets"]
    if year_targets is None:
        year_targets = bool(rng.random() < 0.5)
    year_cols = []
    if year_targets:
        picks = sorted(
            int(t) for t in rng.choice(np.arange(1, years + 1), size=int(rng.integers(1, years + 1)), replace=False)
        )
        year_cols = [(t, year_label(base_first + t)) for t in picks]
    lo, hi = opt["target_share"]
    outcome_rows = []
    for o, code in enumerate(ocodes):
        target = None
        if achievable[o] > 0 and rng.random() > blank:
            target = round(achievable[o] * float(rng.uniform(lo, hi)), 2)
        penalty = None if rng.random() < 0.5 else round(values[o] * float(rng.uniform(0.5, 3.0)), 2)
        row = {
            "Outcome": code,
            "Name": f"Outcome {code}",
            "Unit": str(rng.choice(_OUTCOME_UNITS)),
            "Value per unit": values[o],
            "Target": target,
            "Shortfall penalty": penalty,
        }
        for _t, label in year_cols:
            row[label] = None
            if achievable[o] > 0 and rng.random() > blank:
                row[label] = round(achievable[o] * float(rng.uniform(lo, hi)), 2)
        outcome_rows.append(row)

    # -- Savings -----------------------------------------------------------------
    savings_rows = []
    if opt["savings"]:
        for o in range(outcomes):
            for _ in range(int(rng.choice([0, 1, 1, 2]))):
                cash = None if rng.random() < 0.3 else round(float(rng.uniform(0.3, 0.95)), 2)
                if cash is not None and rng.random() < 0.1:
                    cash = 1.0
                savings_rows.append(
                    {
                        "Outcome": ocodes[o],
                        "Beneficiary": str(rng.choice(pcodes)),
                        "£ per unit": round(values[o] * float(rng.uniform(0.05, 0.4)), 2),
                        "Cashable %": None if cash is None else _pct(rng, cash),
                        "Lag": None if rng.random() < 0.3 else int(rng.integers(1, 4)),
                    }
                )

    sheets = {
        "Place": place,
        "Partners": partner_rows,
        "Funding": funding_rows,
        "Programmes": programme_rows,
        "Outcomes": outcome_rows,
        "Effects": effect_rows,
    }
    if opt["savings"]:
        sheets["Savings"] = savings_rows
    return sheets


def _mess(rng, header: str) -> str:
    style = int(rng.integers(0, 4))
    h = [header, header.upper(), header.lower(), header.title()][style]
    return " " * int(rng.integers(0, 2)) + h + " " * int(rng.integers(0, 3))


def write_workbook(sheets: dict, path, *, messy: int | None = None) -> None:
    """Write `sheets` (as from generate_place) as the contract workbook at `path`."""
    rng = np.random.default_rng(messy) if messy is not None else None
    names = [name for name in sheets if sheets[name] is not None]
    if rng is not None:
        names = [names[i] for i in rng.permutation(len(names))]
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    pct_fmt = wb.add_format({"num_format": "0.0%"})
    bold = wb.add_format({"bold": True})

    def put(ws, r, c, value, fmt=None):
        if value is None:
            return
        if isinstance(value, (bool, np.bool_)):
            ws.write_boolean(r, c, bool(value))
        elif isinstance(value, (int, float, np.integer, np.floating)):
            ws.write_number(r, c, float(value), fmt) if fmt else ws.write_number(r, c, float(value))
        else:
            ws.write_string(r, c, str(value))

    for name in names:
        data = sheets[name]
        title = name if rng is None else _mess(rng, name).strip()
        ws = wb.add_worksheet(title)
        if name == "Place":
            headers = ["Setting", "Value"]
            rows = [dict(zip(headers, pair)) for pair in data]
        else:
            headers = list(HEADERS.get(name, []))
            for row in data:
                for key in row:
                    if key not in headers:
                        headers.append(key)
            rows = data
        for c, h in enumerate(headers):
            ws.write_string(0, c, h if rng is None else _mess(rng, h), bold)
        percent = [h.strip().endswith("%") for h in headers]
        for r, row in enumerate(rows, start=1):
            for c, h in enumerate(headers):
                v = row.get(h)
                fmt = pct_fmt if percent[c] and isinstance(v, (int, float)) and v <= 1 else None
                put(ws, r, c, v, fmt)
    if rng is not None:
        ws = wb.add_worksheet("About this workbook")
        ws.write_string(0, 0, "Synthetic workbook written by pooling/synthetic.py")
    wb.close()


def generate_scenario(seed: int, place: dict | None = None) -> dict:
    """A random scenario as tomllib would parse it (no `workbook` key).

    Omits some keys at random so that defaults are exercised. With `place`, adds
    partner- and stream-specific changes and lists of ring-fenced streams.
    """
    rng = np.random.default_rng(seed)
    sc: dict = {"name": f"Synthetic scenario {seed}"}
    r = lambda a, b: round(float(rng.uniform(a, b)), 4)  # noqa: E731
    if rng.random() < 0.85:
        sc["objective"] = "outcomes" if rng.random() < 0.6 else "least-cost"
    if rng.random() < 0.85:
        sc["pooling"] = "pooled" if rng.random() < 0.65 else "silo"
    rf_streams = []
    if place is not None:
        rf_streams = [row["Stream"] for row in place["Funding"] if row.get("Ring-fenced to")]
    u = rng.random()
    if u < 0.3:
        sc["ring_fencing"] = "kept"
    elif u < 0.6:
        sc["ring_fencing"] = "removed"
    elif u < 0.8 and rf_streams:
        m = int(rng.integers(0, len(rf_streams) + 1))
        sc["ring_fencing"] = [str(s) for s in rng.choice(rf_streams, size=m, replace=False)]
    if rng.random() < 0.8:
        ct: dict = {}
        if rng.random() < 0.85:
            ct["freeze"] = bool(rng.random() < 0.6)
        if rng.random() < 0.6:
            # Always name council, police and fire, so the result does not depend on
            # whether a partial table replaces or extends the default table.
            fg = {"council": r(0.0, 0.03), "police": r(0.0, 0.035), "fire": r(0.0, 0.035)}
            if rng.random() < 0.3:
                fg["health"] = r(0.0, 0.02)
            ct["freeze_grant"] = fg
        if rng.random() < 0.7:
            ct["growth"] = r(-0.01, 0.05)
        sc["council_tax"] = ct
    if rng.random() < 0.85:
        ch: dict = {}
        if rng.random() < 0.8:
            ch["default"] = r(-0.1, 0.03)
        if rng.random() < 0.7:
            src = {}
            for s in SOURCES:
                if rng.random() < 0.5:
                    src[s] = -0.071 if (s == "grant" and rng.random() < 0.5) else r(-0.12, 0.04)
            ch["source"] = src
        if place is not None and rng.random() < 0.6:
            codes = [row["Partner"] for row in place["Partners"]]
            ch["partner"] = {str(c): r(-0.1, 0.03) for c in codes if rng.random() < 0.4}
        if place is not None and rng.random() < 0.6:
            codes = [row["Stream"] for row in place["Funding"] if row["Source"] != "council tax"]
            ch["stream"] = {str(c): r(-0.1, 0.05) for c in codes if rng.random() < 0.2}
        sc["change"] = ch
    return sc


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool):
        return repr(float(v))
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        if not v:
            return "{ }"
        return (
            "{ "
            + ", ".join(f"{json.dumps(str(key), ensure_ascii=False)} = {_toml_value(x)}" for key, x in v.items())
            + " }"
        )
    raise TypeError(f"cannot write {v!r} as TOML")


def write_scenario(scenario: dict, workbook_path, path) -> None:
    """Write `scenario` as a TOML scenario file at `path` pointing at `workbook_path`."""
    path = Path(path)
    rel = os.path.relpath(Path(workbook_path).resolve(), path.resolve().parent)
    lines = [
        f"name = {_toml_value(scenario.get('name', path.stem))}",
        f"workbook = {_toml_value(Path(rel).as_posix())}",
    ]
    for key in ("objective", "pooling", "ring_fencing"):
        if key in scenario:
            lines.append(f"{key} = {_toml_value(scenario[key])}")
    for table in ("council_tax", "change"):
        if table in scenario:
            lines.append("")
            lines.append(f"[{table}]")
            for key, v in scenario[table].items():
                lines.append(f"{key} = {_toml_value(v)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_generated(folder: Path, seed: int, messy: bool = False, **options):
    """The generated place of the oracle tests for ``seed`` (3-5 partners, 5-8 programmes,
    3-4 outcomes) written to ``folder/place.xlsx`` with its scenario beside it, as
    ``scenario.toml``: (sheets, workbook, scenario levers, scenario file)."""
    sheets = generate_place(seed, partners=3 + seed % 3, programmes=5 + seed % 4, outcomes=3 + seed % 2, **options)
    workbook = folder / "place.xlsx"
    write_workbook(sheets, workbook, messy=seed if messy and seed % 2 else None)
    levers = generate_scenario(seed, sheets)
    scenario_path = folder / "scenario.toml"
    write_scenario(levers, workbook, scenario_path)
    return sheets, workbook, levers, scenario_path


def national_places(folder: Path, count: int = 152, seed: int = 1) -> list[Path]:
    """``count`` places of realistic, varied sizes (England has 152 upper-tier areas), each a
    workbook with Low and High on every effect and a pooled scenario beside it, in
    ``folder/place-NNN/``: their scenario files. Sizes vary as areas do: 3 to 8 partners
    (council, police, fire, health, probation...), 2 to 4 streams each, 6 to 30 programmes,
    3 to 6 outcomes."""
    rng = np.random.default_rng(seed)
    paths = []
    for number in range(1, count + 1):
        place_folder = Path(folder) / f"place-{number:03d}"
        place_folder.mkdir(parents=True, exist_ok=True)
        partners = int(rng.integers(3, 9))
        sheets = generate_place(
            seed * 1000 + number,
            partners=partners,
            streams_per_partner=int(rng.integers(2, 5)),
            programmes=int(rng.integers(max(6, 2 * partners), 31)),
            outcomes=int(rng.integers(3, 7)),
            ranged=0.25,
        )
        workbook = place_folder / "place.xlsx"
        write_workbook(sheets, workbook)
        scenario = place_folder / "scenario.toml"
        write_scenario({"name": f"Place {number:03d}, pooled", "pooling": "pooled"}, workbook, scenario)
        paths.append(scenario)
    return paths
