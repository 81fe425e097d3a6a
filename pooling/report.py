"""Results as tables: allocation, flows, pool, outcomes, constraints, summary and audit.

Every table is computed from the solution's values once, here, as a :class:`Table` of
plain rows; the workbook writer, the terminal summary and ``--json`` all read these, so
a figure is the same wherever it is shown. Totals are sums of the very numbers in
the table, so they add up. A table is a pandas data frame only when asked
(``Table.frame``): ``pooling run`` never imports pandas, which alone took a third of a
run's time on the example.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .explain import Binding, ProgrammePosition
from .funding import SAVINGS
from .model import Model, pooling_partners
from .outputs import RUN
from .precision import NONZERO
from .solve import Solution


class Table:
    """A result table: its headings and its rows of plain values (None for a blank cell).

    ``frame`` is the same table as a pandas data frame, made (and pandas imported) on
    first use, for the analyses and for library users."""

    __slots__ = ("columns", "rows", "_frame")

    def __init__(self, columns: Sequence[str], rows: Iterable[Sequence] = ()) -> None:
        self.columns = list(columns)
        self.rows = [tuple(row) for row in rows]
        self._frame = None

    @classmethod
    def from_records(cls, columns: Sequence[str], records: Iterable[dict]) -> Table:
        """Rows from dictionaries keyed by heading (a heading a record lacks is blank)."""
        return cls(columns, (tuple(record.get(column) for column in columns) for record in records))

    def __len__(self) -> int:
        return len(self.rows)

    def column(self, name: str) -> list:
        """Every row's value under heading ``name``."""
        index = self.columns.index(name)
        return [row[index] for row in self.rows]

    def records(self) -> list[dict]:
        """Each row as {heading: value}."""
        return [dict(zip(self.columns, row)) for row in self.rows]

    def keyed(self, *headings: str) -> dict[tuple, dict]:
        """Each row as {heading: value}, found by its values under ``headings`` (which
        identify a row, as (Outcome, Year) do in Outcomes achieved)."""
        return {tuple(record[h] for h in headings): record for record in self.records()}

    @property
    def frame(self):
        """The table as a pandas DataFrame (blank cells NaN in numeric columns)."""
        if self._frame is None:
            import pandas as pd  # on use: pandas alone took a third of a run's time

            self._frame = pd.DataFrame(self.rows, columns=self.columns)
        return self._frame


def _empty() -> Table:
    return Table([])


@dataclass
class Tables:
    allocation: Table  # programme × year, with Baseline and Total, and a Total row last
    flows: Table  # Stream | Partner | Programme | Year | Amount
    pool: Table  # partner × year: funding, contribution, min, max, savings
    outcomes: Table  # Outcome | Year | Achieved | Target | Shortfall
    constraints: Table  # binding constraints
    positions: Table  # programmes at a limit or unfunded, and why
    streams: Table = field(default_factory=_empty)  # stream × year: available, used
    sensitivity: Table = field(default_factory=_empty)  # binding constraints' ranges
    switching: Table = field(default_factory=_empty)  # switching values, when found


@dataclass
class Risks:
    """A Monte Carlo sweep of the scenario, as a board paper states it."""

    samples: int  # runs, each with the ranged inputs drawn from Low-Mode-High
    seed: int
    optimal: int  # runs with an optimal plan
    p10: float  # the objective's percentiles, in its unit
    p50: float
    p90: float
    unsure: list[tuple[str, str, float]]  # (outcome, year, probability met), least sure first
    movers: list[tuple[str, float]]  # (lever or input, swing of the mean objective), largest first


def savings_by_outcome(model: Model, solution: Solution, partner: str, t: int) -> list[tuple]:
    """(saving row, the year it comes from, out[o, t − Lag], amount in the workbook unit)
    for each Savings row paying ``partner`` in year t."""
    place = model.place
    found = []
    for saving in place.savings:
        if saving.beneficiary == partner and t - saving.lag >= 1:
            level = outcome_level(model, solution, saving.outcome, t - saving.lag)
            found.append((saving, t - saving.lag, level, saving.per_unit * saving.cashable / place.unit_pounds * level))
    return found


def savings_received(model: Model, solution: Solution, partner: str, t: int) -> float:
    """A[SAVINGS-i, t] = Σ_{rows o→i, t − Lag ≥ 1} (£ per unit × Cashable % / k) × out[o, t − Lag]."""
    return sum(amount for *_, amount in savings_by_outcome(model, solution, partner, t))


def outcome_level(model: Model, solution: Solution, outcome: str, t: int) -> float:
    """out[o,t] from the solution."""
    return sum(coefficient * solution.value(variable) for variable, coefficient in model.out.get((outcome, t), []))


def available(model: Model, solution: Solution, stream, t: int) -> float:
    if stream.kind == SAVINGS:
        return savings_received(model, solution, stream.partner, t)
    return stream.amounts[t - 1]


def build_tables(
    model: Model, solution: Solution, binding: list[Binding], positions: list[ProgrammePosition]
) -> Tables:
    place = model.place
    years = place.year_labels
    flows = []
    for (stream_code, programme_code, t), variable in model.flows.items():
        amount = solution.value(variable)
        if abs(amount) > NONZERO:
            stream = model.stream(stream_code)
            flows.append(
                {
                    "Stream": stream_code,
                    "Partner": stream.partner,
                    "Programme": programme_code,
                    "Year": years[t - 1],
                    "Amount": amount,
                    "Lead": place.programmes[programme_code].lead,
                }
            )
    flows_table = Table.from_records(RUN.sheet("Flows").headers(), flows)

    spend = {(p, t): model.spent(solution, p, t) for p in place.programmes for t in model.years}
    allocation = []
    for programme in place.programmes.values():
        row = {
            "Programme": programme.code,
            "Name": programme.name,
            "Lead": programme.lead,
            "Pooled": "yes" if programme.pooled else "no",
            "Baseline": programme.baseline,
        }
        for t in model.years:
            row[years[t - 1]] = spend[(programme.code, t)]
        row["Total"] = sum(row[label] for label in years)
        allocation.append(row)
    total_row = {"Programme": "Total", "Name": "", "Lead": "", "Pooled": ""}
    for column in ["Baseline", *years, "Total"]:
        total_row[column] = math.fsum(row[column] for row in allocation)
    allocation_table = Table.from_records(RUN.sheet("Allocation").headers(years), [*allocation, total_row])

    # In silo (and for a partner outside the pooling coalition) nothing is pooled: its money
    # on its own pooled programmes is not a contribution to a pool, and no share applies.
    members = pooling_partners(place, model.scenario)
    pooled_programmes = {code for code, programme in place.programmes.items() if programme.pooled}
    pool = []
    for partner in place.partners.values():
        pooling = partner.code in members
        pooled = pooled_programmes if pooling else set()
        for t in model.years:
            counted = [s for s in model.streams if s.partner == partner.code and s.counts_for_pool_share]
            base = sum(s.amounts[t - 1] for s in counted)
            contribution = sum(
                solution.value(variable)
                for s in counted
                for programme, variable in model.flows_from(s.code, t)
                if programme in pooled
            )
            to_others = sum(
                solution.value(variable)
                for s in model.streams
                if s.partner == partner.code
                for programme, variable in model.flows_from(s.code, t)
                if place.programmes[programme].lead != partner.code
            )
            pool.append(
                {
                    "Partner": partner.code,
                    "Name": partner.name,
                    "Year": years[t - 1],
                    "Poolable funding": base,
                    "Contribution": contribution,
                    "Min": partner.pool_min * base if pooling else None,
                    "Max": partner.pool_max * base if pooling else None,
                    "Savings received": savings_received(model, solution, partner.code, t),
                    "Spent on others' programmes": to_others,
                }
            )
    pool_table = Table.from_records(RUN.sheet("Pool").headers(), pool)

    outcomes = []
    for outcome in place.outcomes.values():
        for t in model.years:
            achieved = outcome_level(model, solution, outcome.code, t)
            target = outcome.targets[t - 1]
            outcomes.append(
                {
                    "Outcome": outcome.code,
                    "Year": years[t - 1],
                    "Achieved": achieved,
                    "Target": target,
                    "Shortfall": None if target is None else max(0.0, target - achieved),
                    "Name": outcome.name,
                    "Unit": outcome.unit,
                    "Value (£)": outcome.value * achieved,
                }
            )
    outcomes_table = Table.from_records(RUN.sheet("Outcomes achieved").headers(), outcomes)

    unit = model.objective_unit
    price_unit = {"money": place.units, "outcome units": "unit"}
    constraints = [
        {
            "Family": item.family.name,
            "Binds": item.subject,
            "Year": years[item.info.year - 1],
            "Shadow price": item.shadow_price,
            "Shadow price unit": f"{unit} per {price_unit[item.info.unit]}",
            # Binding: its slack is within the solvers' tolerance (-0.004 of £000 is not money).
            "Slack": 0.0,
            "Meaning": item.sentence,
            "Input cell": ", ".join(item.info.cells),
            "Constraint": item.info.name,
        }
        for item in binding
    ]
    constraints_table = Table.from_records(RUN.sheet("Constraints").headers(), constraints)
    sensitivity_table = Table(
        RUN.sheet("Sensitivity").headers(),
        [
            (
                item.info.name,
                item.family.name,
                years[item.info.year - 1],
                ", ".join(item.info.cells),
                item.info.rhs,
                item.shadow_price,
                _finite(item.increase),
                _finite(item.decrease),
            )
            for item in binding
        ],
    )

    streams = []
    for stream in model.streams:
        for t in model.years:
            used = sum(solution.value(variable) for _, variable in model.flows_from(stream.code, t))
            streams.append(
                {
                    "Stream": stream.code,
                    "Partner": stream.partner,
                    "Year": years[t - 1],
                    "Available": available(model, solution, stream, t),
                    "Used": used,
                    "How set": stream.rule,
                }
            )
    streams_table = Table.from_records(RUN.sheet("Funding used").headers(), streams)
    positions_table = Table(
        RUN.sheet("Programme limits").headers(**column_names(model)),
        [
            (
                position.programme,
                place.programmes[position.programme].name,
                years[position.year - 1],
                position.position,
                model.spent(solution, position.programme, position.year),  # the plan's, as Allocation shows
                position.limit,
                position.own_value,
                position.other_use,
                position.sentence,
            )
            for position in positions
        ],
    )
    return Tables(
        allocation_table,
        flows_table,
        pool_table,
        outcomes_table,
        constraints_table,
        positions_table,
        streams_table,
        sensitivity_table,
        switching_table([]),
    )


def _finite(amount: float | None) -> float | None:
    """A range as the sheet shows it: blank when there is no limit (or none is known)."""
    return None if amount is None or math.isinf(amount) else amount


def column_names(model: Model) -> dict[str, str]:
    """What result sheets' headings name (``outputs``): the workbook unit, the objective's
    unit, and the step of money a marginal value is quoted for."""
    units = model.place.units
    return {"units": units, "objective_unit": model.objective_unit, "step": "£1m" if units == "£m" else "£1,000"}


def switching_table(found) -> Table:
    """The Switching values sheet: one row per key input."""
    return Table(
        RUN.sheet("Switching values").headers(),
        [(item.input, ", ".join(item.cells), item.value, item.switching, item.change, item.what) for item in found],
    )
