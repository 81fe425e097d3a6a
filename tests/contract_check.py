"""Residual checks: every contract constraint rebuilt from an output workbook.

Reads the Flows and Outcomes achieved sheets back from the written workbook and
checks them against the place and scenario using the contract's formulas written
out again here, without the model's code, so a bug in the model or in the tables
shows up as a broken constraint.
"""

from __future__ import annotations

from collections import defaultdict

import openpyxl
import pytest

TOLERANCE = 1e-6


def _rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:] if any(value is not None for value in row)]


def settings_block(sheet) -> dict:
    """The Summary's ``Setting | Value`` block, found by its header (the contract fixes the
    block, not its place on the sheet): from the header row to the first blank row."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(number for number, row in enumerate(rows) if row[:2] == ("Setting", "Value"))
    block = {}
    for row in rows[start + 1 :]:
        if row[0] is None:
            break
        block.setdefault(row[0], row[1])
    return block


def available(place, scenario) -> dict[tuple[str, str], float]:
    """A[s,t] for workbook and freeze streams, by (stream, year label)."""
    amounts = {}
    for t, label in enumerate(place.year_labels, start=1):
        for stream in place.streams.values():
            if stream.source == "council tax":
                rate = 0.0 if scenario.freeze else scenario.growth
            else:
                rate = scenario.change_stream.get(
                    stream.code,
                    scenario.change_partner.get(
                        stream.partner, scenario.change_source.get(stream.source, scenario.change_default)
                    ),
                )
            amounts[(stream.code, label)] = stream.base * (1 + rate) ** t
        if scenario.freeze:
            for partner in place.partners.values():
                rate = scenario.freeze_grant.get(partner.type)
                bases = [
                    s.base for s in place.streams.values() if s.partner == partner.code and s.source == "council tax"
                ]
                if rate is not None and bases:
                    amounts[(f"FREEZE-{partner.code}", label)] = rate * sum(bases)
    return amounts


def effect(segments, spend: float) -> float:
    """The most a programme's spend (workbook unit) can achieve, per £m rates, in £m."""
    total = 0.0
    for segment in segments:
        width = spend - segment.start if segment.end is None else min(spend, segment.end) - segment.start
        total += segment.rate * max(width, 0.0)
    return total


def check_output(path, place, scenario, objective_expected: float | None = None, tolerance: float = TOLERANCE) -> None:
    """Every contract constraint holds on the written workbook, to ``tolerance`` relative."""
    book = openpyxl.load_workbook(path, data_only=True)
    flows = _rows(book["Flows"])
    achieved_rows = _rows(book["Outcomes achieved"])
    summary = settings_block(book["Summary"])
    labels = place.year_labels
    k = place.unit_pounds
    amounts = available(place, scenario)
    achieved = {(row["Outcome"], row["Year"]): row["Achieved"] for row in achieved_rows}
    assert len(achieved) == len(place.outcomes) * len(labels)

    used = defaultdict(float)
    spend = defaultdict(float)
    for flow in flows:
        stream, programme, year, amount = flow["Stream"], flow["Programme"], flow["Year"], flow["Amount"]
        assert amount >= -tolerance
        used[(stream, year)] += amount
        spend[(programme, year)] += amount
        lead = place.programmes[programme].lead
        if stream.startswith(("FREEZE-", "SAVINGS-")):
            partner, poolable, fenced = stream.split("-", 1)[1], True, ()
        else:
            source = place.streams[stream]
            partner, poolable = source.partner, source.poolable
            kept = scenario.ring_fencing == "kept" or (
                not isinstance(scenario.ring_fencing, str) and stream in scenario.ring_fencing
            )
            fenced = source.ring_fenced_to if kept else ()
        assert flow["Partner"] == partner
        allowed = partner == lead or (scenario.pooling == "pooled" and place.programmes[programme].pooled and poolable)
        assert allowed, f"{stream} may not fund {programme}"
        if fenced:
            assert programme in fenced, f"ring-fenced {stream} funds {programme}"

    # 1. stream limits, savings streams from the outcomes achieved earlier
    for (stream, year), total in used.items():
        if stream.startswith("SAVINGS-"):
            t = labels.index(year) + 1
            partner = stream.split("-", 1)[1]
            limit = sum(
                saving.per_unit * saving.cashable / k * achieved[(saving.outcome, labels[t - saving.lag - 1])]
                for saving in place.savings
                if saving.beneficiary == partner and t - saving.lag >= 1
            )
        else:
            limit = amounts[(stream, year)]
        assert total <= limit + tolerance * max(1.0, limit), f"{stream} {year}: {total} > {limit}"

    for t, year in enumerate(labels, start=1):
        # 3. programme bounds
        for programme in place.programmes.values():
            level = spend[(programme.code, year)]
            assert level >= programme.min - tolerance * max(1.0, programme.min), f"{programme.code} {year} below Min"
            if programme.max is not None:
                assert level <= programme.max + tolerance * max(1.0, programme.max), (
                    f"{programme.code} {year} above Max"
                )
        # 4. pool shares
        if scenario.pooling == "pooled":
            for partner in place.partners.values():
                own = [s.code for s in place.streams.values() if s.partner == partner.code and s.poolable]
                if f"FREEZE-{partner.code}" in {s for s, _ in amounts}:
                    own.append(f"FREEZE-{partner.code}")
                base = sum(amounts[(s, year)] for s in own)
                contribution = sum(
                    f["Amount"]
                    for f in flows
                    if f["Year"] == year and f["Stream"] in own and place.programmes[f["Programme"]].pooled
                )
                slack = tolerance * max(1.0, base)
                assert partner.pool_min * base - slack <= contribution <= partner.pool_max * base + slack, partner.code
        # 5. effects, 6. targets
        for outcome in place.outcomes.values():
            most = sum(
                effect(segments, spend[(programme, year)]) * k / 1_000_000
                for (programme, code), segments in place.effects.items()
                if code == outcome.code
            )
            level = achieved[(outcome.code, year)]
            assert level <= most + tolerance * max(1.0, most), f"{outcome.code} {year} above its effects"
            if scenario.objective == "outcomes" and outcome.value > 0:
                assert level == pytest.approx(most, rel=1e-6, abs=1e-6), f"{outcome.code} {year} below its effects"
            target = outcome.targets[t - 1]
            if scenario.objective == "least-cost" and target is not None:
                assert level >= target - tolerance * max(1.0, target), f"{outcome.code} {year} misses its target"

    # The objective, recomputed from the tables.
    discount = [(1 + place.discount_rate) ** -(t - 1) for t in range(1, len(labels) + 1)]
    if scenario.objective == "outcomes":
        objective = 0.0
        for t, year in enumerate(labels, start=1):
            for outcome in place.outcomes.values():
                level = achieved[(outcome.code, year)]
                target = outcome.targets[t - 1]
                short = max(0.0, target - level) if target is not None else 0.0
                objective += discount[t - 1] * (outcome.value * level - outcome.penalty * short)
    else:
        objective = sum(discount[labels.index(f["Year"])] * f["Amount"] for f in flows)
    reported = summary["Objective value"]
    assert reported == pytest.approx(objective, rel=1e-6, abs=1e-4)
    if objective_expected is not None:
        assert reported == pytest.approx(objective_expected, rel=1e-9)
