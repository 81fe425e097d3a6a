"""Words: every sentence the tool says about a result, in one place.

Figures are computed elsewhere (``explain.py``, ``report.py``, the analyses); this
module only says them, so a finance officer's "that is not how we would put it" is a
change here and nowhere else. Constraint-specific words (what a stream limit or a
programme minimum is, in a sentence) are in each family's record in ``families.py``;
this module puts them together.

Conventions: money in the workbook's unit as the input cells show it (£95,000k), large
totals in £m, outcome value in £; years as 2013/14; a shadow price quoted for one step
of money (one workbook unit, or £1,000 when the unit is £) or one outcome unit,
discounted to the first modelled year like the objective.
"""

from __future__ import annotations

import math

from .families import OUTCOME_UNITS, TARGET
from .fmt import money_pounds, money_short, money_together, money_units, quantity
from .funding import FREEZE, SAVINGS
from .precision import BINDING_TOLERANCE, DUAL_TOLERANCE, NEGLIGIBLE_POUNDS

POUNDS_PER_UNIT = {"£": 1.0, "£000": 1_000.0, "£m": 1_000_000.0}


class Words:
    """The pieces sentences are made of, in one model's place, money unit and years."""

    def __init__(self, model, solution=None):
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

    def quantity(self, amount: float) -> str:
        return quantity(amount)

    def value(self, change: float) -> str:
        """A change of the objective in words: 'buy £420 of outcome value', 'save £750k of spending'."""
        if abs(change) < self.negligible:
            return "make no difference"
        if self.least_cost:
            return f"{'add' if change > 0 else 'save'} {money_short(abs(change), self.place.units)} of spending"
        return f"{'buy' if change > 0 else 'cost'} {money_pounds(abs(change))} of outcome value"

    def plain_value(self, amount: float) -> str:
        """An amount of the objective, unsigned: £m of spending or £ of outcome value."""
        return money_short(abs(amount), self.place.units) if self.least_cost else money_pounds(abs(amount))

    def where(self, info) -> str:
        """'Programmes!F3: ', the input cell a sentence is about, or nothing."""
        return f"{info.cells[0]}: " if info.cells else ""

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
        return self.solution.value(short) if short is not None and self.solution is not None else 0.0

    # -- what binds, and what a step of it is worth ------------------------------------

    def subject(self, info) -> str:
        return info.family.subject(self, info)

    def change(self, info, price: float) -> float:
        """The objective's change for the step quoted (outcome targets are per unit)."""
        scale = 1.0 if info.family.unit == OUTCOME_UNITS else self.per
        return info.family.sign * price * scale

    def step_phrase(self, info, t: int | None = None) -> str:
        return info.family.step_phrase(self.step, self.year(t) if t else None)

    def sentence(self, info, price: float, reach: float | None = None) -> str:
        """One year of one constraint: 'X is fully used in 2013/14: £1,000 more in 2013/14 would
        buy £420 of outcome value (present value), for up to £4.2m more; beyond that, less.'"""
        t = info.year
        if info.family is TARGET:
            missed = self.missed(info.keys["outcome"], [t])
            if missed:
                return missed
        when = f"in {self.year(t)}"
        change = self.change(info, price)
        return (
            f"{info.family.state(self, info, when)}: {self.step_phrase(info)} would "
            f"{self.value(change)} (present value){self.holds_for(info, change, reach)}."
        )

    def holds_for(self, info, change: float, reach: float | None) -> str:
        """', for up to £4.2m more; beyond that, less': how far the price holds, as the step
        is phrased (more or less of the limit), and which way it moves beyond. A gain per
        step shrinks beyond the range and a cost grows (the optimum is concave in a limit
        when value is maximised, convex when spending is minimised)."""
        if reach is None or abs(change) < self.negligible:
            return ""
        direction = "more" if info.family.sign > 0 else "less"
        if math.isinf(reach):
            return f", however much {direction}"
        amount = quantity(reach) + " units" if info.family.unit == OUTCOME_UNITS else self.money(reach)
        if reach <= BINDING_TOLERANCE * max(1.0, abs(info.rhs)):
            return ", for a small step only (the price may change at once beyond it)"
        gain = change > 0 if not self.least_cost else change < 0
        return f", for up to {amount} {direction}; beyond that, {'less' if gain else 'more'}"

    def statement(self, items) -> str:
        """A constraint over all the years it binds, quoting its most valuable year."""
        items = sorted(items, key=lambda item: item.info.year)
        info = items[0].info
        when = self.years([item.info.year for item in items])
        if info.family is TARGET:
            missed = self.missed(info.keys["outcome"], [item.info.year for item in items])
            if missed:
                return missed
        best = max(items, key=lambda item: (abs(item.shadow_price), -item.info.year))
        change = self.change(best.info, best.shadow_price)
        state = info.family.state(self, info, when)
        if abs(change) < self.negligible:
            return f"{state}: a step of it would change nothing, because the next best use of the money is as good."
        phrase = self.step_phrase(best.info, best.info.year if len(items) > 1 else None)
        reach = best.reach
        return (
            f"{state}: {phrase} would {self.value(change)} (present value){self.holds_for(best.info, change, reach)}."
        )

    def by_year(self, info, changes: list[tuple[int, float]]) -> str:
        """' By year, £1,000 more would: 2011/12 make no difference; 2012/13 buy £12 ...'"""
        listed = "; ".join(f"{self.year(t)} {self.value(change)}" for t, change in sorted(changes))
        return f" By year, {self.step_phrase(info)} would: {listed}."

    def missed(self, code: str, ts: list[int]) -> str:
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

    def relaxed(self, info, amount: float) -> str:
        """The diagnosis of an infeasible plan: what has to give, by its input cell."""
        return info.family.relaxed(self, info, amount)

    # -- programmes at their limits, and unfunded ------------------------------------------

    def at_limit(self, code: str, t: int, at_min: bool, limit: float, own: float, other: float, price: float) -> str:
        position = "at its minimum" if at_min else "at its maximum"
        if at_min:
            why = (
                f"its last {self.step} would {self.value(own)}, while the same money elsewhere would "
                f"{self.value(other)}: the minimum costs {self.plain_value(price)} per {self.step}"
                if abs(price) >= self.negligible
                else "the money would do no better elsewhere"
            )
        else:
            why = (
                f"its next {self.step} would {self.value(own)}, against {self.plain_value(other)} "
                f"for the money's best other use: more room would gain {self.plain_value(price)} per {self.step}"
                if abs(price) >= self.negligible
                else "more room would gain nothing"
            )
        return f"{self.programme_name(code)} is {position} of {self.money(limit)} in {self.year(t)}: {why} (present value)."

    def unfunded(self, code: str, t: int, net: float) -> str:
        gain = self.value(net) if abs(net) >= self.negligible else "change nothing"
        return (
            f"{self.programme_name(code)} gets nothing in {self.year(t)}: a first {self.step} "
            f"for it would {gain} against where the money goes now (present value)."
        )


# -- a run: its objective, headline and dividend ---------------------------------------------


def objective_words(result) -> str:
    rate = f"{result.place.discount_rate:.1%}"
    if result.scenario.objective == "outcomes":
        return f"maximise outcome value less shortfall penalties, £, discounted at {rate} a year"
    return f"minimise spending, {result.place.units}, discounted at {rate} a year"


def dividend_sentence(result) -> str | None:
    if result.counterpart is None or not result.optimal:
        return None
    other = "silo" if result.scenario.pooling == "pooled" else "pooled"
    if not result.counterpart.optimal:
        return f"The same scenario {'in silo' if other == 'silo' else 'pooled'} is {result.counterpart.status}."
    value = result.dividend()
    units = result.place.units
    if not value:
        return (
            "Pooling makes no difference in this scenario: the silo plan is as good (the partnership dividend is nil)."
        )
    caps = caps_sentence(result)
    if result.scenario.objective == "outcomes":
        silo = result.counterpart.objective if other == "silo" else result.objective
        share = f" ({value / abs(silo):+.1%})" if silo else ""
        return (
            f"Pooling is worth {money_pounds(value)}{share} of outcome value (present value) against the same "
            f"scenario in silo, which reaches {money_pounds(silo)}: the partnership dividend.{cashable_sentence(result)}"
            f"{caps}"
        )
    return (
        f"Pooling saves {money_short(value, units)} of spending (present value) against meeting the same "
        f"targets in silo: the partnership dividend.{caps}"
    )


def cashable_sentence(result) -> str:
    """' Beside it, the pooled plan releases £5.5m more cashable savings to partners than silo
    (present value): that is cash, which the plan spends again; outcome value is not.'
    (or nothing without Savings rows)"""
    cash = result.cashable_dividend()
    if cash is None:
        return ""
    units = result.place.units
    if abs(cash) <= 1e-6 * max(1.0, abs(result.dividend() or 0.0)):
        return " Partners receive the same cashable savings either way: the dividend is economic and social value, not cash."
    more = "more" if cash > 0 else "less"
    return (
        f" Beside it, the pooled plan releases {money_short(abs(cash), units)} {more} cashable savings to partners "
        "than silo (present value): that is cash, which the plan spends again; outcome value is not cash."
    )


def caps_sentence(result) -> str:
    """' The partners' own pool-share limits (Pool min % and Pool max %) hold back £3.10m of
    outcome value: without them pooling would be worth £47.59m.' (or nothing)"""
    cost = result.caps_cost()
    dividend = result.dividend()
    if not cost or dividend is None:
        return ""
    if result.scenario.objective == "least-cost":
        held, whole = money_short(cost, result.place.units), money_short(dividend + cost, result.place.units)
        return (
            f" The partners' own pool-share limits (Pool min % and Pool max %) add {held} of spending: "
            f"without them pooling would save {whole}."
        )
    held, whole = money_together(cost, dividend + cost)
    return (
        f" The partners' own pool-share limits (Pool min % and Pool max %) hold back {held} of "
        f"outcome value: without them pooling would be worth {whole}."
    )


def plan_rule(result) -> str:
    """Which rule chose the plan, in a sentence a board reads."""
    base = result.place.base_year
    if result.scenario.objective == "least-cost":
        opening = "Of the plans that meet every target at this cost"
    else:
        opening = "Of the plans that reach this value"
    sentence = (
        f"{opening}, this is the one closest to the {base} budget: changes fall in proportion to each "
        "programme's baseline, and each partner funds its own programmes first."
    )
    if result.solution.other_optima:
        sentence += " Other plans reach the same value; this rule picks one, the same whichever solver ran."
    return sentence


def headline(result) -> list[str]:
    """The run in a few sentences, for the Summary and the board."""
    place = result.place
    years = place.year_labels
    span = f"{years[0]} to {years[-1]}"
    if not result.optimal:
        sentences = [
            f"The scenario is {result.status}: the solver ({result.solution.solver_version}) reports "
            f"'{result.solution.message}'. No allocation is shown."
        ]
        if result.diagnosis is not None and result.diagnosis.relaxations:
            sentences.append(
                "The smallest relaxation that would make it feasible (see the Diagnosis sheet): "
                + " ".join(result.diagnosis.lines())
            )
        return sentences
    totals = result.totals()
    units = place.units
    sentences = []
    if result.scenario.objective == "outcomes":
        spending = result.board().spending  # the Summary's own rounded figures
        penalties = totals["outcome value (present value)"] - result.objective
        if abs(penalties) <= 1e-6 * max(1.0, abs(result.objective)):  # solver tolerance, not a penalty
            penalties = 0.0
        sentences.append(
            f"{place.name}, {result.scenario.name}: over {span} the partners spend "
            f"{spending.money(spending.total)}"
            + (
                f", of which {spending.money(spending.pooled_total())} goes to pooled programmes,"
                if result.scenario.pooling == "pooled"
                else " in silo,"
            )
            + f" buying outcomes worth {money_pounds(totals['outcome value'])} undiscounted, "
            f"{money_pounds(totals['outcome value (present value)'])} in present value (discounted to "
            f"{years[0]} at {place.discount_rate:.1%} a year)"
            + (
                f", or {money_pounds(result.objective)} net of {money_pounds(penalties)} of shortfall penalties."
                if penalties
                else "; every target is met, so no shortfall penalty is paid."
            )
        )
    else:
        sentences.append(
            f"{place.name}, {result.scenario.name}: meeting every target over {span} costs "
            f"{result.board().spending.money(result.board().spending.total)} ({money_short(result.objective, units)} present value), leaving "
            f"{money_short(totals['unspent'], units)} of the {money_short(totals['available'], units)} available unspent."
        )
    if result.solution.stages:
        sentences.append(plan_rule(result))
    dividend = dividend_sentence(result)
    if dividend:
        sentences.append(dividend)
    switching = switching_sentences(result)
    if switching:
        sentences.append(switching)
    missed = result.missed_targets()
    targets = sum(1 for outcome in place.outcomes.values() for target in outcome.targets if target is not None)
    if targets:
        if missed:
            sentences.append(
                f"{targets - len(missed)} of {targets} yearly targets are met; {len(missed)} are missed (see Outcomes achieved)."
            )
        else:
            sentences.append(f"All {targets} yearly targets are met.")
    return sentences


def switching_sentences(result, count: int = 3) -> str:
    """The most telling switching values, the nearest the evidence first: 'What would change
    the plan: A stays funded above its minimum unless its effect is 38% smaller than the
    evidence says; ...'. Those funded as long as they have any effect are said together."""
    telling = telling_switching(result, count)
    sentence = ""
    if telling:
        sentence = "What would change the plan: " + "; ".join(item.what for item in telling) + "."
    rest = switching_rest(result)
    if rest:
        sentence += (" " if sentence else "") + rest
    return sentence


def telling_switching(result, count: int = 3) -> list:
    """The ``count`` switching values nearest the evidence that really switch."""
    return sorted((item for item in result.switching if item.telling), key=lambda item: abs(item.change))[:count]


def switching_rest(result) -> str:
    """The programmes that stay funded as long as they have any effect, in one sentence."""
    anything = [item for item in result.switching if item.anything]
    if len(anything) == 1:
        return (
            f"{anything[0].input.removeprefix('effect rate of ')} stays funded above its minimum as long as it has "
            "any effect at all: its money has no better use (Switching values)."
        )
    if anything:
        return (
            f"{len(anything)} programmes stay funded above their minimum as long as they have any effect at all: "
            "their money has no better use (Switching values)."
        )
    return ""


def terminal_summary(result) -> list[str]:
    """What ``pooling run`` prints."""
    place, units = result.place, result.place.units
    years = place.year_labels
    lines = [
        f"{place.name}: {result.scenario.name}",
        f"Status:     {result.status} ({result.solution.solver_version}, {result.solution.seconds:.2f} s)",
    ]
    if not result.optimal:
        lines.append(headline(result)[0])
        if result.diagnosis is not None and result.diagnosis.relaxations:
            lines.append("The smallest relaxation that would make it feasible:")
            lines += [f"  - {line}" for line in result.diagnosis.lines()]
        lines.append(f"Wrote {result.output}")
        return lines
    objective = money_pounds(result.objective) if result.objective_unit == "£" else money_units(result.objective, units)
    lines.append(f"Objective:  {objective} ({objective_words(result)})")
    if result.solution.stages:
        lines.append(f"Plan:       {plan_rule(result)}")
    totals = result.totals()
    spending = result.board().spending  # the Summary's own rounded figures
    span = f"{years[0]} to {years[-1]}"
    dividend = dividend_sentence(result)
    if dividend:
        lines.append(f"Dividend:   {dividend}")
    if result.scenario.pooling == "pooled":
        lines.append(f"Pooled:     {spending.money(spending.pooled_total())} spent on pooled programmes, {span}")
    else:
        lines.append("Pooled:     nothing (silo: each partner funds only the programmes it leads)")
    lines.append(
        f"Spent:      {spending.money(spending.total)} of {money_short(totals['available'], units)} available, {span}"
    )
    lines.append(f"Largest allocations ({span}):")
    rounded = dict(zip(spending.names, spending.row_totals))  # the Summary table's row totals
    lines += [
        f"  {name} ({code}): {spending.money(rounded[f'{name} ({code})'])}"
        for code, name, _ in result.largest_allocations()
    ]
    lines.append("What binds, worth most at the margin:")
    lines += [f"  - {statement.sentence}" for statement in result.top_statements(5)]
    for outcome, year, shortfall in result.missed_targets()[:5]:
        lines.append(f"Missed target: {place.outcomes[outcome].name} in {year}, short by {shortfall:,.1f}")
    lines += [f"Note: {message}" for message in result.messages + place.warnings]
    lines.append(f"Wrote {result.output}")
    return lines


# -- comparisons: the price of a lever ---------------------------------------------------------

_MOVES = {
    "pooling": "Pooling instead of silo",
    "council tax": "Letting council tax rise instead of the freeze",
    "ring-fencing": "Removing the ring-fences",
    "funding changes": "The second scenario's funding changes",
}


def lever_price(lever: str, name: str, price: float, unit: str, least_cost: bool, low: str, high: str) -> str:
    """'Pooling instead of silo adds £44.49m of outcome value (present value): the
    partnership dividend, from 'A' to 'B'.'"""
    amount = money_short(abs(price), unit) if least_cost else money_pounds(abs(price))
    what = "of spending" if least_cost else "of outcome value"
    verb = ("saves" if price >= 0 else "costs") if least_cost else ("adds" if price >= 0 else "loses")
    if price == 0.0:
        verb, amount, what = "makes no difference", "to", "spending" if least_cost else "outcome value"
    moves = _MOVES[lever] if lever != "council tax" or name == "price of the freeze" else "The other council tax"
    return f"{moves} {verb} {amount} {what} (present value): the {name}, from '{low}' to '{high}'."


def lever_shares(item, low: str, high: str) -> str:
    """'Of the £50.00m more outcome value from 'A' to 'B' (present value), pooling (silo →
    pooled) adds £41.30m and ring-fencing (kept → removed) adds £8.70m: each lever's share,
    averaged over the orders the levers could be moved in (Shapley value).'"""
    if item.least_cost:
        amount = lambda value: money_short(value, item.unit)  # noqa: E731
        what = "spending"
    else:
        amount = money_pounds
        what = "outcome value"
    direction = "more" if item.difference >= 0 else "less"
    parts = [
        f"{lever} ({item.moves[lever][0]} → {item.moves[lever][1]}) {'adds' if share >= 0 else 'takes away'} "
        f"{amount(abs(share))}"
        for lever, share in sorted(item.shares.items(), key=lambda pair: -abs(pair[1]))
    ]
    listed = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return (
        f"Of the {amount(abs(item.difference))} {direction} {what} from '{low}' to '{high}' (present value), "
        f"{listed}: each lever's share, averaged over the orders the levers could be moved in (Shapley value)."
    )


def comparison_lines(comparison) -> list[str]:
    """What ``pooling compare`` prints."""
    lines = []
    for result in comparison.results:
        if result.objective is None:
            objective = "—"
        elif result.objective_unit == "£":
            objective = money_pounds(result.objective)
        else:
            objective = money_units(result.objective, result.place.units)
        lines.append(f"{result.scenario.name}: {result.status}, objective {objective}")
    if comparison.prices:
        lines.append("Lever prices:")
        lines += [f"  - {price.sentence}" for price in comparison.prices]
    several = [item for item in comparison.shares if len(item.shares) > 1]
    if several:
        lines.append("Each lever's share of a difference:")
        lines += [f"  - {item.sentence}" for item in several]
    else:
        lines.append("No two scenarios differ in exactly one lever, so no lever is priced.")
    return lines


# -- the partnership: who gains ------------------------------------------------------------------


def partnership_money(analysis, amount: float) -> str:
    game = analysis.game
    return money_short(amount, game.place.units) if game.least_cost else money_pounds(amount)


def _listed(names: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def partnership_sentences(analysis) -> list[str]:
    """What a board can quote of ``pooling partners``."""
    game, place = analysis.game, analysis.game.place
    names = {code: partner.name for code, partner in place.partners.items()}
    money = lambda amount: partnership_money(analysis, amount)  # noqa: E731
    found = []
    if not game.whole:
        listed = "; ".join(
            f"{', '.join(sorted(v.members)) or 'all in silo'}: {v.status} ({v.reason})" for v in game.infeasible[:5]
        )
        found.append(
            f"The game is not whole: {len(game.infeasible)} coalition(s) have no feasible plan, so no fair shares "
            f"are given. {listed}"
        )
        return found
    what = "spending saved" if game.least_cost else "outcome value"
    dividend = game.dividend
    found.append(
        f"Pooling is worth {money(dividend)} of {what} (present value) to {place.name}: "
        f"{money(game.values[game.everyone].value)} pooled against "
        f"{money(game.values[frozenset()].value)} with every partner in silo."
    )
    if game.shapley and not dividend:
        found.append(
            "Pooling adds nothing here that the partners could not buy on their own, so every fair share is "
            "nil and no payments are due."
        )
    elif game.shapley:
        top = max(game.shapley.values())
        best = [p for p, share in game.shapley.items() if top - share <= game.precision]
        share = top / dividend
        how = (
            "exactly, over every order of joining"
            if game.exact
            else f"from {game.samples:,} sampled orders (seed {game.seed})"
        )
        if len(best) == 1:
            found.append(
                f"{names[best[0]]} makes the partnership work most: its fair share (Shapley value, {how}) is "
                f"{money(top)}, {share:.0%} of the dividend."
            )
        else:
            found.append(
                f"{_listed([names[p] for p in best])} make the partnership work equally: each one's fair share "
                f"(Shapley value, {how}) is {money(top)}, {share:.0%} of the dividend."
            )
        losses = {p: loss for p, loss in game.walk_away().items() if loss is not None}
        if losses:
            biggest = max(losses, key=losses.get)
            found.append(
                f"If {names[biggest]} walked away the place would lose {money(losses[biggest])}, "
                "the most of any partner."
            )
        found.append(
            "A fair share is what the partner's joining adds to the place's value, averaged over every order of "
            "joining: a contribution to outcome value, not a sum of cash to share out. The settlement, where there "
            "is one, is in cash: the cashable savings shared in proportion to the fair shares."
            if not game.least_cost
            else "A fair share is what the partner's joining saves the place, averaged over every order of joining: "
            "a contribution to the saving, not a sum of cash to share out. The settlement, where there is one, is "
            "in cash: the cashable savings shared in proportion to the fair shares."
        )
        violations = game.core_violations()
        if violations:
            members, worth, shares = violations[0]
            found.append(
                f"The fair shares are not in the core: {', '.join(names[m] for m in sorted(members))} could gain "
                f"{money(worth)} by pooling on their own, more than the {money(shares)} "
                f"their fair shares give them ({len(violations)} such coalition(s) in all)."
            )
        else:
            found.append(
                "No coalition would do better on its own than the fair shares give it: the shares are in the core."
            )
    if analysis.payments:
        units = place.units
        listed = "; ".join(
            f"{names[p.payer]} pays {names[p.receiver]} {money_short(p.amount, units)}" for p in analysis.payments
        )
        found.append(f"Sharing the cashable savings in proportion to the fair shares: {listed} (present value).")
    return found


def partnership_lines(analysis) -> list[str]:
    """What ``pooling partners`` prints."""
    game, place = analysis.game, analysis.game.place
    lines = partnership_sentences(analysis)
    if game.shapley:
        shown = (lambda amount: money_units(amount, place.units)) if game.least_cost else money_pounds
        lines.append("Fair shares and walk-away losses:")
        losses = game.walk_away()
        for code, partner in place.partners.items():
            loss = "unknown" if losses[code] is None else shown(losses[code])
            lines.append(f"  {partner.name} ({code}): fair share {shown(game.shapley[code])}, walk-away loss {loss}")
    return lines


# -- sweeps ---------------------------------------------------------------------------------------


def sweep_lines(result, named: bool = False) -> list[str]:
    """What ``pooling sweep`` prints (of one place among several, ``named``)."""
    objectives = [run.objective for run in result.runs if run.objective is not None]
    lines = [f"{result.place.name + ': ' if named else ''}{len(result.runs)} runs, {len(result.failed)} not optimal."]
    for run in result.failed[:10]:
        levers = ", ".join(f"{k}={v}" for k, v in run.spec.levers) or "central"
        lines.append(f"  run {run.spec.number} ({levers}, sample {run.spec.sample}): {run.status}")
    if objectives:
        lines.append(f"Objective from {min(objectives):,.0f} to {max(objectives):,.0f}.")
    return lines


def validation_lines(workbook, place, counts: dict[str, int]) -> list[str]:
    """What ``pooling validate`` prints for a valid workbook."""
    lines = [
        f"{workbook}: valid. {place.name}, {place.year_labels[0]} to {place.year_labels[-1]}, money in {place.units}.",
        "  " + ", ".join(f"{count} {what}" for what, count in counts.items()),
    ]
    lines += [f"  Note: {warning}" for warning in place.warnings]
    return lines
