"""Explain: which constraints bind, what each is worth, in words a finance officer signs.

A constraint binds when its slack (room left, computed here from the solution's
values, so it means the same whichever solver ran) is zero to a relative tolerance.
Its shadow price is the change of the objective per unit increase of its right-hand
side (``solve.Solution``); sentences quote it for one workbook unit of money (or one
outcome unit), discounted to the first modelled year like the objective.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from . import model as families
from .fmt import money_pounds, money_units, quantity
from .funding import FREEZE, SAVINGS
from .model import ConstraintInfo, Model
from .solve import Solution

BINDING_TOLERANCE = 1e-6


@dataclass
class Binding:
    info: ConstraintInfo
    slack: float
    shadow_price: float  # objective unit per unit of right-hand side
    subject: str  # what it binds, in words ("NCC-CT (council tax of Northmoor County Council)")
    sentence: str

    @property
    def family(self) -> str:
        return self.info.family


def activity(info: ConstraintInfo, solution: Solution) -> float:
    return sum(coefficient * solution.value(variable) for variable, coefficient in info.constraint.items())


def slack(info: ConstraintInfo, solution: Solution) -> float:
    """Room left: rhs − activity for ≤, activity − rhs for ≥ (never negative when feasible)."""
    level = activity(info, solution)
    return info.rhs - level if info.sense == "<=" else level - info.rhs


def is_binding(info: ConstraintInfo, room: float) -> bool:
    return room <= BINDING_TOLERANCE * max(1.0, abs(info.rhs))


def binding_constraints(model: Model, solution: Solution) -> list[Binding]:
    """Every binding constraint, in registry order, with its sentence."""
    words = Words(model)
    found = []
    for info in model.registry.values():
        room = slack(info, solution)
        if not is_binding(info, room):
            continue
        price = solution.shadow_prices.get(info.name, 0.0)
        subject, sentence = words.describe(info, price, solution)
        found.append(Binding(info, 0.0, price, subject, sentence))  # zero to tolerance
    return found


class Words:
    """Sentences for constraints, in the place's money unit and years."""

    def __init__(self, model: Model):
        self.model = model
        self.place = model.place
        self.least_cost = model.scenario.objective == "least-cost"

    # -- pieces ------------------------------------------------------------------------

    def year(self, t: int) -> str:
        return self.place.year_labels[t - 1]

    def step(self) -> tuple[float, str]:
        """The money step quoted in sentences: one workbook unit (£1 is too small: £1,000)."""
        units = self.place.units
        if units == "£":
            return 1000.0, "£1,000"
        if units == "£000":
            return 1.0, "£1,000"
        return 1.0, "£1m"

    def worth(self, price: float, per: float = 1.0) -> str:
        """The objective change for ``per`` units of right-hand side, in words."""
        change = price * per
        if self.least_cost:
            amount = money_units(abs(change), self.place.units)
            if abs(change) < 1e-9:
                return "would not change the cost"
            return f"would {'add' if change > 0 else 'save'} {amount} of spending (present value)"
        if abs(change) < 1e-9:
            return "would not change the outcome value"
        amount = money_pounds(abs(change))
        return f"would {'add' if change > 0 else 'lose'} {amount} of outcome value (present value)"

    def stream_name(self, code: str) -> str:
        stream = self.model.stream(code)
        partner = self.place.partners[stream.partner].name
        if stream.kind == FREEZE:
            return f"the council tax freeze grant to {partner}"
        if stream.kind == SAVINGS:
            return f"the cashable savings received by {partner}"
        return f"stream {code} ({stream.source}, {partner})"

    def programme_name(self, code: str) -> str:
        return f"{self.place.programmes[code].name} ({code})"

    def outcome_name(self, code: str) -> str:
        return f"{self.place.outcomes[code].name} ({code})"

    # -- sentences ----------------------------------------------------------------------

    def describe(self, info: ConstraintInfo, price: float, solution: Solution) -> tuple[str, str]:
        """(what it binds, one sentence of what it means)."""
        t, year = info.year, self.year(info.year)
        per, step = self.step()
        units = self.place.units
        family = info.family
        if family == families.STREAM_LIMIT:
            subject = self.stream_name(info.keys["stream"])
            return subject, f"{_capital(subject)} is fully used in {year}: {step} more {self.worth(price, per)}."
        if family == families.RING_FENCE:
            code = info.keys["stream"]
            fenced = ", ".join(self.model.stream(code).ring_fenced_to)
            subject = f"ring-fence of {code} to {fenced}"
            return subject, (
                f"The ring-fence keeps {self.stream_name(code)} on {fenced} in {year}: letting {step} of it "
                f"go to other programmes {self.worth(price, per)}."
            )
        if family == families.PROGRAMME_MIN:
            code = info.keys["programme"]
            subject = f"minimum of {self.programme_name(code)}"
            return subject, (
                f"{self.programme_name(code)} is held at its minimum of {money_units(info.rhs, units)} in {year}: "
                f"lowering the minimum by {step} {self.worth(-price, per)}."
            )
        if family == families.PROGRAMME_MAX:
            code = info.keys["programme"]
            subject = f"maximum of {self.programme_name(code)}"
            return subject, (
                f"{self.programme_name(code)} is at its maximum of {money_units(info.rhs, units)} in {year}: "
                f"raising the maximum by {step} {self.worth(price, per)}."
            )
        if family in (families.POOL_MIN, families.POOL_MAX):
            code = info.keys["partner"]
            partner = self.place.partners[code]
            low = family == families.POOL_MIN
            share = partner.pool_min if low else partner.pool_max
            subject = f"pool {'minimum' if low else 'maximum'} share of {partner.name}"
            if low:
                return subject, (
                    f"{partner.name} puts only its minimum pool share ({share:.0%}, {money_units(info.rhs, units)}) "
                    f"into pooled programmes in {year}: a minimum {step} lower {self.worth(-price, per)}."
                )
            return subject, (
                f"{partner.name} puts its maximum pool share ({share:.0%}, {money_units(info.rhs, units)}) into "
                f"pooled programmes in {year}: allowing {step} more into the pool {self.worth(price, per)}."
            )
        if family == families.EFFECT_CAPACITY:
            programme, outcome = info.keys["programme"], info.keys["outcome"]
            subject = f"effect of {self.programme_name(programme)} on {self.outcome_name(outcome)}"
            return subject, (
                f"All of {self.programme_name(programme)}'s spend in {year} counts towards "
                f"{self.outcome_name(outcome)}; at the margin {step} of it is worth "
                f"{money_pounds(abs(price * per)) if not self.least_cost else money_units(abs(price * per), units)} "
                f"{'of outcome value' if not self.least_cost else 'of spending'} (present value)."
            )
        if family == families.TARGET:
            code = info.keys["outcome"]
            outcome = self.place.outcomes[code]
            subject = f"target for {self.outcome_name(code)}"
            short_var = self.model.short.get((code, t))
            shortfall = solution.value(short_var) if short_var is not None else 0.0
            target = quantity(info.rhs)
            if shortfall > BINDING_TOLERANCE * max(1.0, info.rhs):
                return subject, (
                    f"{self.outcome_name(code)} misses its {year} target of {target} by "
                    f"{quantity(shortfall)}: each unit short costs {money_pounds(outcome.penalty * self.place.discount(t))} "
                    "(the shortfall penalty, present value)."
                )
            if self.least_cost:
                return subject, (
                    f"{self.outcome_name(code)} meets its {year} target of {target} exactly: one more "
                    f"unit of target {self.worth(price)}."
                )
            return subject, (
                f"{self.outcome_name(code)} meets its {year} target of {target} exactly: one more unit "
                f"of target {self.worth(price)}."
            )
        return family, f"{family} binds in {year}."


def cell_notes(model: Model, binding: list[Binding]) -> dict[str, str]:
    """Comment text for each input cell whose constraints bind, grouped over the years."""
    words = Words(model)
    per, step = words.step()
    groups: dict[tuple[str, str, tuple], list[Binding]] = defaultdict(list)
    for item in binding:
        if item.family == families.EFFECT_CAPACITY:
            continue  # structural: it binds whenever the programme spends
        for cell in item.info.cells:
            groups[(cell, item.family, tuple(item.info.keys.items()))].append(item)
    notes: dict[str, list[str]] = defaultdict(list)
    years = model.place.year_labels
    for (cell, family, keys), items in groups.items():
        items.sort(key=lambda item: item.info.year)
        when = _years_phrase([item.info.year for item in items], years)
        lead = {
            families.STREAM_LIMIT: "Fully used",
            families.RING_FENCE: "The ring-fence binds",
            families.PROGRAMME_MIN: "Held at this minimum",
            families.PROGRAMME_MAX: "Spending reaches this maximum",
            families.POOL_MIN: "Pool contribution held at this minimum share",
            families.POOL_MAX: "Pool contribution reaches this maximum share",
            families.TARGET: "This target binds",
        }.get(family, f"{_capital(family)} binds")
        if family == families.STREAM_LIMIT:
            stream = model.stream(dict(keys)["stream"])
            if stream.kind != "workbook":
                lead = f"{_capital(words.stream_name(stream.code))}, which this cell helps set, is fully used"
        sign = -1.0 if family in (families.PROGRAMME_MIN, families.POOL_MIN) else 1.0
        if family == families.TARGET:
            change = "One more unit of target"
            changes = [(item.info.year, item.shadow_price) for item in items]
        else:
            change = {
                families.PROGRAMME_MIN: f"A minimum {step} lower",
                families.POOL_MIN: f"A minimum share {step} lower",
                families.RING_FENCE: f"Releasing {step} from the ring-fence",
            }.get(family, f"{step} more")
            changes = [(item.info.year, sign * item.shadow_price * per) for item in items]
        detail = _changes_phrase(change, changes, words)
        notes[cell].append(f"{lead} {when}. {detail}")
    return {cell: "\n".join(texts) for cell, texts in notes.items()}


def _changes_phrase(change: str, changes: list[tuple[int, float]], words: Words) -> str:
    """'£1,000 more would add £135 of outcome value in 2014/15, and nothing in other years
    (present value).' Changes are in the objective's unit, signed as the objective moves."""
    moving = [(t, value) for t, value in changes if abs(value) >= 0.005]
    if not moving:
        what = "the cost" if words.least_cost else "the outcome value"
        return f"{change} would not change {what}: the next best use of the money is no better."
    parts = []
    for t, value in moving:
        if words.least_cost:
            amount = money_units(abs(value), words.place.units)
            verb = "add" if value > 0 else "save"
            parts.append(f"{verb} {amount} of spending in {words.year(t)}")
        else:
            verb = "add" if value > 0 else "lose"
            parts.append(f"{verb} {money_pounds(abs(value))} of outcome value in {words.year(t)}")
    rest = ", and nothing in the other years" if len(moving) < len(changes) else ""
    return f"{change} would {'; '.join(parts)}{rest} (present value)."


def _years_phrase(ts: list[int], labels: list[str]) -> str:
    if len(ts) == len(labels):
        return "in every year"
    return "in " + ", ".join(labels[t - 1] for t in ts)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
