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

from . import model as families
from .fmt import money_pounds, money_short, money_units, quantity
from .funding import FREEZE, SAVINGS
from .model import ConstraintInfo, Model
from .solve import DUAL_TOLERANCE, Solution

BINDING_TOLERANCE = 1e-6
NEGLIGIBLE_POUNDS = 0.005  # below half a penny a step, a price is zero
POUNDS_PER_UNIT = {"£": 1.0, "£000": 1_000.0, "£m": 1_000_000.0}


@dataclass
class Binding:
    info: ConstraintInfo
    slack: float
    shadow_price: float  # objective unit per unit of right-hand side
    subject: str  # what it binds, in words
    sentence: str

    @property
    def family(self) -> str:
        return self.info.family


@dataclass
class Statement:
    """One thing bound (a stream, a programme's limit, a target...) over the years it binds."""

    family: str
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


def binding_constraints(model: Model, solution: Solution) -> list[Binding]:
    """Every binding constraint, in registry order, with its sentence for that year."""
    words = Words(model, solution)
    found = []
    for info in model.registry.values():
        if info.family == families.SPEND:
            continue
        room = slack(info, solution)
        if not is_binding(info, room):
            continue
        price = solution.shadow_prices.get(info.name, 0.0)
        found.append(Binding(info, room, price, words.subject(info), words.sentence(info, price)))
    return found


class Words:
    """Sentences for constraints, in the place's money unit and years."""

    def __init__(self, model: Model, solution: Solution):
        self.model = model
        self.solution = solution
        self.place = model.place
        self.least_cost = model.scenario.objective == "least-cost"
        per, label = {"£": (1000.0, "£1,000"), "£000": (1.0, "£1,000"), "£m": (1.0, "£1m")}[self.place.units]
        self.per = per  # workbook units in one step of money
        self.step = label
        # The objective is in £ (outcomes) or the workbook unit (least cost); and a price
        # within ten times the solvers' dual tolerance is noise, whatever the unit.
        pounds = NEGLIGIBLE_POUNDS / (POUNDS_PER_UNIT[self.place.units] if self.least_cost else 1.0)
        self.negligible = max(pounds, 10 * DUAL_TOLERANCE)

    # -- pieces ------------------------------------------------------------------------

    def year(self, t: int) -> str:
        return self.place.year_labels[t - 1]

    def years(self, ts: list[int]) -> str:
        """'in every year', 'in 2012/13', 'in 2012/13 and 2013/14', 'from 2012/13 to 2014/15'."""
        ts = sorted(ts)
        labels = [self.year(t) for t in ts]
        if len(ts) == self.place.years and len(ts) > 1:
            return "in every year"
        if len(ts) == 1:
            return f"in {labels[0]}"
        if ts == list(range(ts[0], ts[-1] + 1)) and len(ts) > 2:
            return f"from {labels[0]} to {labels[-1]}"
        return "in " + ", ".join(labels[:-1]) + " and " + labels[-1]

    def money(self, amount: float) -> str:
        """An amount given in the workbook's unit, as the input cells show it."""
        return money_units(amount, self.place.units)

    def value(self, change: float) -> str:
        """A change of the objective in words: 'buy £420 of outcome value', 'save £750k of spending'."""
        if abs(change) < self.negligible:
            return "make no difference"
        if self.least_cost:
            return f"{'add' if change > 0 else 'save'} {money_short(abs(change), self.place.units)} of spending"
        return f"{'buy' if change > 0 else 'cost'} {money_pounds(abs(change))} of outcome value"

    def stream_name(self, code: str) -> str:
        stream = self.model.stream(code)
        partner = self.place.partners[stream.partner].name
        if stream.kind == FREEZE:
            return f"the council tax freeze grant to {partner}"
        if stream.kind == SAVINGS:
            return f"the cashable savings received by {partner}"
        if stream.source == "council tax":
            frozen = f", frozen at {self.money(stream.amounts[0])}," if self.model.scenario.freeze else ""
            return f"council tax of {partner} ({code}){frozen}"
        return f"stream {code} ({stream.source}) of {partner}"

    def programme_name(self, code: str) -> str:
        return f"{self.place.programmes[code].name} ({code})"

    def outcome_name(self, code: str) -> str:
        return f"{self.place.outcomes[code].name} ({code})"

    def shortfall(self, code: str, t: int) -> float:
        short = self.model.short.get((code, t))
        return self.solution.value(short) if short is not None else 0.0

    # -- what binds, and what a step of it is worth ------------------------------------

    def subject(self, info: ConstraintInfo) -> str:
        family, keys = info.family, info.keys
        if family == families.STREAM_LIMIT:
            return self.stream_name(keys["stream"])
        if family == families.RING_FENCE:
            return (
                f"the ring-fence of {keys['stream']} to {', '.join(self.model.stream(keys['stream']).ring_fenced_to)}"
            )
        if family == families.PROGRAMME_MIN:
            return f"the minimum of {self.programme_name(keys['programme'])}"
        if family == families.PROGRAMME_MAX:
            return f"the maximum of {self.programme_name(keys['programme'])}"
        if family == families.POOL_MIN:
            return f"the minimum pool share of {self.place.partners[keys['partner']].name}"
        if family == families.POOL_MAX:
            return f"the maximum pool share of {self.place.partners[keys['partner']].name}"
        if family == families.EFFECT_CAPACITY:
            return f"the effect of {self.programme_name(keys['programme'])} on {self.outcome_name(keys['outcome'])}"
        return f"the target for {self.outcome_name(keys['outcome'])}"

    def state(self, info: ConstraintInfo, when: str) -> str:
        """What is true of the thing bound: 'X is fully used in every year'."""
        family, keys = info.family, info.keys
        if family == families.STREAM_LIMIT:
            verb = "are" if self.model.stream(keys["stream"]).kind == SAVINGS else "is"
            return f"{_capital(self.subject(info))} {verb} fully used {when}"
        if family == families.RING_FENCE:
            stream = self.model.stream(keys["stream"])
            return f"The ring-fence keeps {self.stream_name(stream.code)} on {', '.join(stream.ring_fenced_to)} {when}"
        if family == families.PROGRAMME_MIN:
            return f"{self.programme_name(keys['programme'])} is held at its minimum of {self.money(info.rhs)} {when}"
        if family == families.PROGRAMME_MAX:
            return f"{self.programme_name(keys['programme'])} is at its maximum of {self.money(info.rhs)} {when}"
        if family in (families.POOL_MIN, families.POOL_MAX):
            partner = self.place.partners[keys["partner"]]
            low = family == families.POOL_MIN
            share = partner.pool_min if low else partner.pool_max
            which = "only its minimum" if low else "its maximum"
            return (
                f"{partner.name} puts {which} share ({share:.0%} of its poolable funding) into pooled programmes {when}"
            )
        if family == families.EFFECT_CAPACITY:
            return f"All of {self.programme_name(keys['programme'])}'s spend counts towards {self.outcome_name(keys['outcome'])} {when}"
        return f"{self.outcome_name(keys['outcome'])} meets its target exactly {when}"

    def step_phrase(self, info: ConstraintInfo, t: int | None = None) -> tuple[str, float]:
        """('£1,000 more in 2013/14', sign) for the change quoted (no year when t is None);
        the sign turns the shadow price (per unit of right-hand side) into the change the
        phrase describes."""
        suffix = f" in {self.year(t)}" if t else ""
        family = info.family
        if family == families.STREAM_LIMIT:
            return f"{self.step} more{suffix}", 1.0
        if family == families.RING_FENCE:
            return f"releasing {self.step} of it{suffix}", 1.0
        if family == families.PROGRAMME_MIN:
            return f"a minimum {self.step} lower{suffix}", -1.0
        if family == families.PROGRAMME_MAX:
            return f"{self.step} more room{suffix}", 1.0
        if family == families.POOL_MIN:
            return f"a minimum {self.step} lower{suffix}", -1.0
        if family == families.POOL_MAX:
            return f"allowing {self.step} more into the pool{suffix}", 1.0
        if family == families.EFFECT_CAPACITY:
            return f"each {self.step} of it{suffix}", 1.0
        return f"one more unit of target{suffix}", 1.0

    def change(self, info: ConstraintInfo, price: float) -> float:
        """The objective's change for the step quoted (money targets are per unit)."""
        _, sign = self.step_phrase(info)
        scale = 1.0 if info.family == families.TARGET else self.per
        return sign * price * scale

    # -- sentences ---------------------------------------------------------------------

    def sentence(self, info: ConstraintInfo, price: float) -> str:
        """One year of one constraint: 'X is fully used in 2013/14: £1,000 more in 2013/14 would buy £420 of outcome value.'"""
        t = info.year
        if info.family == families.TARGET:
            missed = self._missed(info.keys["outcome"], [t])
            if missed:
                return missed
        when = f"in {self.year(t)}"
        phrase, _ = self.step_phrase(info)
        return f"{self.state(info, when)}: {phrase} would {self.value(self.change(info, price))} (present value)."

    def statement(self, items: list[Binding]) -> str:
        """The constraint over all the years it binds, quoting its most valuable year."""
        items = sorted(items, key=lambda item: item.info.year)
        info = items[0].info
        when = self.years([item.info.year for item in items])
        if info.family == families.TARGET:
            missed = self._missed(info.keys["outcome"], [item.info.year for item in items])
            if missed:
                return missed
        best = max(items, key=lambda item: (abs(item.shadow_price), -item.info.year))
        change = self.change(best.info, best.shadow_price)
        if abs(change) < self.negligible:
            return f"{self.state(info, when)}: a step of it would change nothing, because the next best use of the money is as good."
        phrase, _ = self.step_phrase(best.info, best.info.year if len(items) > 1 else None)
        return f"{self.state(info, when)}: {phrase} would {self.value(change)} (present value)."

    def _missed(self, code: str, ts: list[int]) -> str:
        """'X misses its target in 2012/13 and 2013/14, by up to 23.2: each unit short costs £44,523.'"""
        short = [(t, self.shortfall(code, t)) for t in ts]
        short = [(t, amount) for t, amount in short if amount > BINDING_TOLERANCE * max(1.0, amount)]
        if not short:
            return ""
        outcome = self.place.outcomes[code]
        worst = max(amount for _, amount in short)
        return (
            f"{self.outcome_name(code)} misses its target {self.years([t for t, _ in short])}, by up to "
            f"{quantity(worst)}: each unit short costs the penalty of {money_pounds(outcome.penalty)} "
            "(before discounting)."
        )


def statements(model: Model, solution: Solution, binding: list[Binding]) -> list[Statement]:
    """The binding constraints grouped by what they bind, most valuable first.

    Effect capacities are left out: they bind whenever a programme spends, and their
    value shows in the programmes' positions.
    """
    words = Words(model, solution)
    groups: dict[tuple, Statement] = {}
    for item in binding:
        if item.family == families.EFFECT_CAPACITY:
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
        if len(changes) > 1 and len(distinct) > 1 and statement.family != families.TARGET:
            label, _ = words.step_phrase(statement.items[0].info)
            listed = "; ".join(f"{words.year(t)} {words.value(change)}" for t, change in sorted(changes))
            text += f" By year, {label} would: {listed}."
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


def programme_positions(model: Model, solution: Solution, binding: list[Binding]) -> list[ProgrammePosition]:
    """Why each programme that sits at its Min or Max, or gets nothing, sits there.

    The marginal value of a programme's money is the sum of the shadow prices of its
    effect capacities (one more unit of spend lets each outcome's effect grow by one
    unit). At a binding Min or Max, the limit's shadow price is that value less the
    value of the money in its best other use, so the other use is the difference.
    For a programme that gets nothing, the reduced costs of its cheapest route (the
    stream's money into it and the first segment of each of its effects) give what a
    step of money into it would gain or lose against where the money goes now.
    """
    words = Words(model, solution)
    place = model.place
    capacity: dict[tuple[str, int], float] = defaultdict(float)
    limits: dict[tuple[str, int], Binding] = {}
    for item in binding:
        keys, t = item.info.keys, item.info.year
        if item.family == families.EFFECT_CAPACITY:
            capacity[(keys["programme"], t)] += item.shadow_price
        elif item.family in (families.PROGRAMME_MIN, families.PROGRAMME_MAX):
            limits[(keys["programme"], t)] = item
    # Effect capacities with slack have zero shadow price: the sum over binding ones is the value.
    found = []
    for programme in place.programmes.values():
        effects = [outcome for (p, outcome) in place.effects if p == programme.code]
        for t in model.years:
            spend = model.spent(solution, programme.code, t)
            own = capacity[(programme.code, t)] * words.per
            limit = limits.get((programme.code, t))
            if limit is not None:
                at_min = limit.family == families.PROGRAMME_MIN
                price = words.change(limit.info, limit.shadow_price)  # a step of the limit, as phrased
                other = own + price if at_min else own - price
                position = "at its minimum" if at_min else "at its maximum"
                if at_min:
                    why = (
                        f"its last {words.step} would {words.value(own)}, while the same money elsewhere would "
                        f"{words.value(other)}: the minimum costs {_plain_value(words, price)} per {words.step}"
                        if abs(price) >= words.negligible
                        else "the money would do no better elsewhere"
                    )
                else:
                    why = (
                        f"its next {words.step} would {words.value(own)}, against {_plain_value(words, other)} "
                        f"for the money's best other use: more room would gain {_plain_value(words, price)} per {words.step}"
                        if abs(price) >= words.negligible
                        else "more room would gain nothing"
                    )
                sentence = (
                    f"{words.programme_name(programme.code)} is {position} of {words.money(limit.info.rhs)} in "
                    f"{words.year(t)}: {why} (present value)."
                )
                found.append(
                    ProgrammePosition(programme.code, t, position, spend, limit.info.rhs, own, other, sentence)
                )
            elif spend <= BINDING_TOLERANCE and effects:
                routes = [
                    solution.reduced_costs.get(variable.name, 0.0)
                    for (_, p, year), variable in model.x.items()
                    if p == programme.code and year == t
                ]
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
                sentence = (
                    f"{words.programme_name(programme.code)} gets nothing in {words.year(t)}: a first {words.step} "
                    f"for it would {words.value(net) if abs(net) >= words.negligible else 'change nothing'} against where "
                    "the money goes now (present value)."
                )
                found.append(ProgrammePosition(programme.code, t, "not funded", 0.0, None, None, net, sentence))
    return found


def _plain_value(words: Words, amount: float) -> str:
    return money_short(abs(amount), words.place.units) if words.least_cost else money_pounds(abs(amount))


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
