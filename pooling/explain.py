"""Explain: which constraints bind, what each is worth, in words a finance officer signs.

A constraint binds when its slack (room left, computed here from the solution's
values, so it means the same whichever solver ran) is zero to a relative tolerance.
Its shadow price is the change of the objective per unit increase of its right-hand
side (``solve.Solution``). Sentences quote it for one step of money (one workbook
unit, or £1,000 when the unit is £) or one outcome unit, discounted to the first
modelled year like the objective, with money in the workbook's unit and years as
``2013/14``.

Three views, from one set of binding constraints:

* per constraint and year (:func:`binding_constraints`): the Constraints sheet;
* per thing bound, across the years (:func:`statements`): the Summary and the
  comments on input cells ("... is fully used in every year: £1,000 more in 2014/15
  would buy £135 of outcome value");
* per programme at a limit or unfunded (:func:`programme_positions`): why it sits
  there, from the marginal value of its money against the money's best other use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from .families import EFFECT_CAPACITY, PROGRAMME_MAX, PROGRAMME_MIN, TARGET, Family
from .model import ConstraintInfo, Model
from .precision import BINDING_TOLERANCE
from .solve import Solution
from .words import Words


@dataclass
class Binding:
    info: ConstraintInfo
    slack: float
    shadow_price: float  # objective unit per unit of right-hand side
    subject: str  # what it binds, in words
    sentence: str
    # How far the right-hand side may rise or fall with the shadow price unchanged (inf: no
    # limit; None: not known, where the ranges came from another solver's basis).
    increase: float | None = None
    decrease: float | None = None

    @property
    def reach(self) -> float | None:
        """How far the step the sentences quote may go at this price: up for a limit that is
        raised, down for one that is lowered (``family.sign``)."""
        return self.increase if self.family.sign > 0 else self.decrease

    @property
    def family(self) -> Family:
        return self.info.family


@dataclass
class Statement:
    """One thing bound (a stream, a programme's limit, a target...) over the years it binds."""

    family: Family
    subject: str
    cells: tuple[str, ...]
    items: list[Binding] = field(default_factory=list)
    sentence: str = ""
    worth: float = 0.0  # the largest change a step of it makes, as phrased, in the objective's unit


def activity(info: ConstraintInfo, solution: Solution) -> float:
    return sum(coefficient * solution.value(variable) for variable, coefficient in info.constraint.items())


def slack(info: ConstraintInfo, solution: Solution) -> float:
    """Room left: rhs − activity for ≤, activity − rhs for ≥ (never negative when feasible)."""
    level = activity(info, solution)
    return info.rhs - level if info.sense == "<=" else level - info.rhs


def is_binding(info: ConstraintInfo, room: float) -> bool:
    return room <= BINDING_TOLERANCE * max(1.0, abs(info.rhs))


# Spend below this share of the largest stream's yearly amount is nothing: the plan rule's
# ε (1e-7 of the objective) lets pennies sit where money buys less.
NOTHING_SHARE = 1e-6


def binding_constraints(model: Model, solution: Solution, plan: Solution | None = None) -> list[Binding]:
    """Every binding constraint, in registry order, with its sentence for that year.

    Shadow prices are ``solution``'s (the value LP's); whether a constraint binds, and its
    slack, are the reported ``plan``'s when given. Every constraint with a non-zero shadow
    price binds in every optimal plan (complementary slackness), and the plan does not
    depend on the solver, where the value LP's vertex does: so what binds reads the same
    whichever solver ran."""
    words = Words(model, solution)
    found = []
    for info in model.registry.values():
        if not info.family.reported:
            continue
        room = slack(info, plan or solution)
        if not is_binding(info, room):
            continue
        price = solution.shadow_prices.get(info.name, 0.0)
        increase = decrease = None
        if info.name in solution.rhs_ranges:
            lowest, highest = solution.rhs_ranges[info.name]
            increase, decrease = max(highest - info.rhs, 0.0), max(info.rhs - lowest, 0.0)
        item = Binding(info, room, price, words.subject(info), "", increase, decrease)
        item.sentence = words.sentence(info, price, item.reach)
        found.append(item)
    return found


def statements(model: Model, solution: Solution, binding: list[Binding]) -> list[Statement]:
    """The binding constraints grouped by what they bind, most valuable first.

    Effect capacities are left out: they bind whenever a programme spends, and their
    value shows in the programmes' positions.
    """
    words = Words(model, solution)
    groups: dict[tuple, Statement] = {}
    for item in binding:
        if not item.family.stated:
            continue
        # The cells too: a target set by year columns is a different cell each year.
        key = (item.family, tuple(item.info.keys.items()), item.info.cells)
        if key not in groups:
            groups[key] = Statement(item.family, item.subject, item.info.cells)
        groups[key].items.append(item)
    found = list(groups.values())
    for statement in found:
        statement.sentence = words.statement(statement.items)
        statement.worth = max(abs(words.change(item.info, item.shadow_price)) for item in statement.items)
    return sorted(found, key=lambda statement: -statement.worth)


def cell_notes(model: Model, solution: Solution, grouped: list[Statement]) -> dict[str, str]:
    """Comment text for each input cell whose constraints bind, over the years.

    A cell can set several constraints (a council-tax Base sets its stream and the
    freeze grant): each gets its own line. Where the value differs by year, the
    years are listed too.
    """
    words = Words(model, solution)
    notes: dict[str, list[str]] = defaultdict(list)
    for statement in grouped:
        text = statement.sentence
        changes = [(item.info.year, words.change(item.info, item.shadow_price)) for item in statement.items]
        distinct = {words.value(change) for _, change in changes}  # as a reader would tell them apart
        if len(changes) > 1 and len(distinct) > 1 and statement.family is not TARGET:
            text += words.by_year(statement.items[0].info, changes)
        for cell in statement.cells:
            notes[cell].append(text)
    return {cell: "\n".join(texts) for cell, texts in notes.items()}


# -- programmes at their limits, and unfunded ---------------------------------------------


@dataclass
class ProgrammePosition:
    programme: str
    year: int
    position: str  # "at its minimum", "at its maximum" or "not funded"
    spend: float
    limit: float | None
    own_value: float | None  # the objective's change for a step more spent on it
    other_use: float | None  # the same for the money's best other use
    sentence: str


def programme_positions(
    model: Model, solution: Solution, binding: list[Binding], plan: Solution | None = None
) -> list[ProgrammePosition]:
    """Why each programme that sits at its Min or Max, or gets nothing, sits there.

    The marginal value of a programme's money is the sum of the shadow prices of its
    effect capacities (one more unit of spend lets each outcome's effect grow by one
    unit). At a binding Min or Max, the limit's shadow price is that value less the
    value of the money in its best other use, so the other use is the difference.
    For a programme that gets nothing, the reduced costs of its cheapest route (the
    stream's money into it and the first segment of each of its effects) give what a
    step of money into it would gain or lose against where the money goes now. Spend,
    and so which programmes get nothing, is the reported ``plan``'s when given.
    """
    words = Words(model, solution)
    place = model.place
    capacity: dict[tuple[str, int], float] = defaultdict(float)
    limits: dict[tuple[str, int], Binding] = {}
    for item in binding:
        keys, t = item.info.keys, item.info.year
        if item.family is EFFECT_CAPACITY:
            capacity[(keys["programme"], t)] += item.shadow_price
        elif item.family in (PROGRAMME_MIN, PROGRAMME_MAX):
            limits[(keys["programme"], t)] = item
    # Effect capacities with slack have zero shadow price: the sum over binding ones is the value.
    # The plan may put a hair of money (the ε of the plan rule) where it buys less; a
    # programme with no more than that gets nothing, as a board would read it.
    hair = NOTHING_SHARE * max([1.0, *(amount for stream in model.streams for amount in stream.amounts or ())])
    found = []
    for programme in place.programmes.values():
        effects = [outcome for (p, outcome) in place.effects if p == programme.code]
        for t in model.years:
            spend = model.spent(plan or solution, programme.code, t)
            own = capacity[(programme.code, t)] * words.per
            limit = limits.get((programme.code, t))
            if limit is not None:
                at_min = limit.family is PROGRAMME_MIN
                price = words.change(limit.info, limit.shadow_price)  # a step of the limit, as phrased
                other = own + price if at_min else own - price
                position = "at its minimum" if at_min else "at its maximum"
                sentence = words.at_limit(programme.code, t, at_min, limit.info.rhs, own, other, price)
                found.append(
                    ProgrammePosition(programme.code, t, position, spend, limit.info.rhs, own, other, sentence)
                )
            elif spend <= max(hair, BINDING_TOLERANCE) and effects:
                routes = model.arc_reduced_costs(solution.reduced_costs, programme.code, t)
                if not routes:
                    continue
                first = sum(
                    solution.reduced_costs.get(model.y[(programme.code, outcome, 1, t)].name, 0.0)
                    for outcome in effects
                )
                # The cheapest route: the highest reduced cost when maximising value, the
                # lowest when minimising spending.
                best = min(routes) if words.least_cost else max(routes)
                net = (best + first) * words.per
                sentence = words.unfunded(programme.code, t, net)
                found.append(ProgrammePosition(programme.code, t, "not funded", 0.0, None, None, net, sentence))
    return found
