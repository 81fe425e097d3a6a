"""Who gains from pooling: coalition values, fair shares, the walk-away test, money flows.

The game
--------
For a coalition S of partners, v(S) is the contract model's objective when the
partners in S pool (pooled programmes led by members take poolable money from members
only, and the pool shares apply to members) and everyone else acts in silo. A
coalition of one is that partner in silo, so v({i}) = v(∅), the all-silo place.
v(N) is the pooled run and v(∅) the silo run; the **partnership dividend** is what
pooling adds, w(N), where

    w(S) = v(S) − v(∅)     (outcome value: more is better)
    w(S) = v(∅) − v(S)     (least cost: spending saved)

**Fair shares** are the Shapley values of the game w: each partner's marginal
contribution w(S ∪ {i}) − w(S), averaged over every order in which the partners
could join. They add up to the dividend (efficiency). With up to 12 partners every
coalition is solved (each once, by re-solving one model from the last basis:
``coalitions.py``); beyond that, random
orders are sampled (a stated seed and count) and each share is reported with a 95%
confidence interval.

**Walk-away test.** The place's loss if partner i left: w(N) − w(N ∖ {i}). The
**core** asks whether any coalition could do better on its own than the shares give
it: w(S) > Σ_{i ∈ S} φ_i. If so, the coalition is named.

**Money flows and settlement.** From the pooled run: what each partner put into
programmes led by others, what others put into its programmes, and the cashable
savings it received, year by year. The cashable gain of pooling for a partner is the
present value of the cashable savings it receives pooled less those it receives in
silo; a fair settlement shares the place's total cashable gain in proportion to the
fair shares, and states the difference as payments between named partners that add
up to zero.

A coalition whose model is infeasible (a partner's pool cap cannot fund its own pooled
programmes' minimums, say) is named with the reason, and the shares are not presented
as if the game were whole.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import random
from dataclasses import dataclass, field

from ..diagnose import diagnose
from ..model import build
from ..pipeline import solve_scenario
from ..place import Place
from ..precision import OBJECTIVE_PRECISION, optimum_difference
from ..scenario import Scenario
from ..solve import OPTIMAL, solve
from .coalitions import PARALLEL_FROM, CoalitionModel, gray_order, runs_of, solve_run
from .parallel import default_workers, parallel_map

EXACT_UP_TO = 12


@dataclass
class CoalitionValue:
    members: frozenset[str]
    status: str
    value: float | None  # the model's objective
    reason: str = ""  # why not optimal, in words


@dataclass
class Game:
    place: Place
    scenario: Scenario
    values: dict[frozenset[str], CoalitionValue]
    exact: bool
    samples: int = 0  # orders sampled, when not exact
    seed: int | None = None
    shapley: dict[str, float] = field(default_factory=dict)
    interval: dict[str, float] = field(default_factory=dict)  # half-width of the 95% interval, when sampled

    @property
    def partners(self) -> list[str]:
        return list(self.place.partners)

    @property
    def everyone(self) -> frozenset[str]:
        return frozenset(self.partners)

    @property
    def least_cost(self) -> bool:
        return self.scenario.objective == "least-cost"

    def gain(self, members: frozenset[str]) -> float | None:
        """w(S): what the coalition's pooling adds over the all-silo place (nil when the two
        optima are the same to the solvers' precision, so no share is made of noise)."""
        value = self.values[_key(members)].value
        silo = self.values[frozenset()].value
        if value is None or silo is None:
            return None
        return optimum_difference(silo, value) if self.least_cost else optimum_difference(value, silo)

    @property
    def precision(self) -> float:
        """Two sums of gains closer than this are the same (the solvers' precision on v)."""
        known = [abs(value.value) for value in self.values.values() if value.value is not None]
        return OBJECTIVE_PRECISION * max([1.0, *known])

    @property
    def infeasible(self) -> list[CoalitionValue]:
        return [value for value in self.values.values() if value.status != OPTIMAL]

    @property
    def whole(self) -> bool:
        return not self.infeasible

    @property
    def dividend(self) -> float | None:
        return self.gain(self.everyone)

    def walk_away(self) -> dict[str, float | None]:
        """The place's loss if each partner left: w(N) − w(N ∖ {i})."""
        total = self.dividend
        losses = {}
        for partner in self.partners:
            rest = self.gain(self.everyone - {partner}) if _key(self.everyone - {partner}) in self.values else None
            losses[partner] = None if total is None or rest is None else total - rest
        return losses

    def core_violations(self) -> list[tuple[frozenset[str], float, float]]:
        """Coalitions that would do better alone, by more than the solvers' precision:
        (members, w(S), the shares they get)."""
        if not self.shapley:
            return []
        found = []
        for members, value in self.values.items():
            if len(members) < 2 or members == self.everyone or value.status != OPTIMAL:
                continue
            worth = self.gain(members)
            shares = sum(self.shapley[partner] for partner in members)
            if worth - shares > self.precision:
                found.append((members, worth, shares))
        return sorted(found, key=lambda item: -(item[1] - item[2]))


def _key(members) -> frozenset[str]:
    """Coalitions of fewer than two pool with nobody: they are the all-silo place."""
    members = frozenset(members)
    return members if len(members) > 1 else frozenset()


def coalition_scenario(scenario: Scenario, members: frozenset[str], everyone: frozenset[str]) -> Scenario:
    if len(members) < 2:
        return dataclasses.replace(scenario, pooling="silo", coalition=None)
    coalition = None if members == everyone else tuple(sorted(members))
    return dataclasses.replace(scenario, pooling="pooled", coalition=coalition)


def solve_coalition(place: Place, scenario: Scenario, members: frozenset[str]) -> CoalitionValue:
    """v(S): the objective of the place when S pools and everyone else is in silo (solved
    with the scenario's solver)."""
    solver = scenario.solver
    scenario = coalition_scenario(scenario, members, frozenset(place.partners))
    solution = solve(build(place, scenario), solver)
    reason = ""
    if solution.status != OPTIMAL:
        diagnosis = diagnose(place, scenario, solver) if solution.status == "infeasible" else None
        reason = "; ".join(diagnosis.lines()[:3]) if diagnosis and diagnosis.relaxations else solution.message
    return CoalitionValue(members, solution.status, solution.objective, reason)


def solve_coalitions(
    place: Place, scenario: Scenario, coalitions: list[frozenset[str]], workers: int, progress=None
) -> dict[frozenset[str], CoalitionValue]:
    """Solve each coalition once (the all-silo place stands for every coalition of one).

    With HiGHS, one model per worker re-solved coalition after coalition in Gray-code
    order (``coalitions.py``); a coalition with no optimal plan is solved again cold, for
    its diagnosis. With CBC, each coalition's model is built and solved."""
    wanted = list(dict.fromkeys(_key(members) for members in coalitions))
    if scenario.solver != "highs":
        if len(wanted) < 4:  # not worth starting processes for
            workers = 1
        values = parallel_map(
            solve_coalition,
            wanted,
            shared=(place, scenario),
            workers=workers,
            chunksize=max(1, len(wanted) // (8 * workers)),
            progress=progress,
        )
        return {value.members: value for value in values}
    ordered = gray_order(wanted, list(place.partners))
    total, solved = len(ordered), []
    if workers <= 1 or total < PARALLEL_FROM:
        model = CoalitionModel(place, scenario)
        for members in ordered:
            solved.append(model.solve(members))
            if progress:
                progress(len(solved), total)
    else:
        # Several runs per worker, so the progress bar moves and a slow run does not hold up the rest.
        for batch in parallel_map(solve_run, runs_of(ordered, 4 * workers), shared=(place, scenario), workers=workers):
            solved += batch
            if progress:
                progress(len(solved), total)
    return {
        one.members: CoalitionValue(one.members, OPTIMAL, one.value)
        if one.status == OPTIMAL
        else solve_coalition(place, scenario, one.members)
        for one in solved
    }


def shapley_exact(game: Game) -> dict[str, float]:
    """φ_i = Σ_{S ⊆ N∖{i}} |S|! (n − |S| − 1)! / n! × (w(S ∪ {i}) − w(S))."""
    partners = game.partners
    n = len(partners)
    weights = [math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n) for size in range(n)]
    shares = {}
    for partner in partners:
        others = [p for p in partners if p != partner]
        total = 0.0
        for size in range(n):
            for members in itertools.combinations(others, size):
                coalition = frozenset(members)
                total += weights[size] * (game.gain(coalition | {partner}) - game.gain(coalition))
        shares[partner] = total
    return shares


def sampled_orders(partners: list[str], samples: int, seed: int) -> list[list[str]]:
    generator = random.Random(seed)
    orders = []
    for _ in range(samples):
        order = list(partners)
        generator.shuffle(order)
        orders.append(order)
    return orders


def shapley_sampled(game: Game, orders: list[list[str]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean marginal contribution over sampled orders, and the 95% interval's half-width."""
    contributions: dict[str, list[float]] = {partner: [] for partner in game.partners}
    for order in orders:
        members: frozenset[str] = frozenset()
        before = game.gain(members)
        for partner in order:
            members = members | {partner}
            after = game.gain(members)
            contributions[partner].append(after - before)
            before = after
    means, halves = {}, {}
    for partner, values in contributions.items():
        mean = sum(values) / len(values)
        spread = math.sqrt(sum((value - mean) ** 2 for value in values) / max(1, len(values) - 1))
        means[partner] = mean
        halves[partner] = 1.96 * spread / math.sqrt(len(values))
    return means, halves


def play(
    place: Place,
    scenario: Scenario,
    workers: int | None = None,
    samples: int = 2000,
    seed: int = 1,
    progress=None,
    known: dict[frozenset[str], CoalitionValue] | None = None,
) -> Game:
    """Solve the coalitions the fair shares need (``known`` ones are not solved again),
    and the shares themselves."""
    partners = list(place.partners)
    everyone = frozenset(partners)
    workers = workers or default_workers()
    exact = len(partners) <= EXACT_UP_TO
    if exact:
        coalitions = [frozenset(c) for size in range(len(partners) + 1) for c in itertools.combinations(partners, size)]
        orders = []
    else:
        orders = sampled_orders(partners, samples, seed)
        coalitions = [frozenset(order[:size]) for order in orders for size in range(len(partners) + 1)]
        coalitions += [everyone - {partner} for partner in partners]  # for the walk-away test
    known = known or {}
    values = dict(known)
    values.update(solve_coalitions(place, scenario, [c for c in coalitions if _key(c) not in known], workers, progress))
    game = Game(place, scenario, values, exact, samples=0 if exact else samples, seed=None if exact else seed)
    if game.whole:
        if exact:
            game.shapley = shapley_exact(game)
        else:
            game.shapley, game.interval = shapley_sampled(game, orders)
    return game


# -- money flows and the settlement -------------------------------------------------------


@dataclass
class Payment:
    payer: str
    receiver: str
    amount: float  # workbook unit, present value


@dataclass
class Partnership:
    """The whole analysis: the game, the pooled and silo runs, flows and settlement."""

    game: Game
    pooled: object  # pipeline.Result of the pooled run
    silo: object  # pipeline.Result of the silo run
    cashable_gain: dict[str, float] = field(default_factory=dict)  # present value, workbook unit
    fair_cashable: dict[str, float] = field(default_factory=dict)
    transfers: dict[str, float] = field(default_factory=dict)  # + receives, − pays
    payments: list[Payment] = field(default_factory=list)

    def flows(self) -> list[dict]:
        """Per partner and year: money into others' programmes, others' money into its
        programmes, cashable savings received (pooled and in silo)."""
        pooled, silo = self.pooled.tables, self.silo.tables
        rows = []
        flows = pooled.flows.frame
        into = flows[flows["Partner"] != flows["Lead"]].groupby(["Lead", "Year"])["Amount"].sum()
        silo_savings = silo.pool.frame.set_index(["Partner", "Year"])["Savings received"]
        for record in pooled.pool.frame.itertuples(index=False):
            rows.append(
                {
                    "Partner": record.Partner,
                    "Year": record.Year,
                    "Put into others' programmes": record[8],
                    "Others put into its programmes": float(into.get((record.Partner, record.Year), 0.0)),
                    "Cashable savings received": record[7],
                    "Cashable savings received in silo": float(silo_savings.get((record.Partner, record.Year), 0.0)),
                }
            )
        return rows

    def to_dict(self) -> dict:
        """The analysis at full precision, for ``--json``."""
        game = self.game
        return {
            "place": game.place.name,
            "scenario": game.scenario.name,
            "objective": game.scenario.objective,
            "v_all": game.values[game.everyone].value,
            "v_none": game.values[frozenset()].value,
            "dividend": game.dividend,
            "exact": game.exact,
            "samples": game.samples or None,
            "seed": game.seed,
            "whole": game.whole,
            "infeasible_coalitions": [
                {"members": sorted(v.members), "status": v.status, "reason": v.reason} for v in game.infeasible
            ],
            "shapley": game.shapley,
            "interval_95": game.interval or None,
            "walk_away_loss": game.walk_away(),
            "core_violations": [
                {"members": sorted(m), "gain_alone": w, "fair_shares": s} for m, w, s in game.core_violations()
            ],
            "cashable_gain": self.cashable_gain,
            "transfers": self.transfers,
            "payments": [{"payer": p.payer, "receiver": p.receiver, "amount": p.amount} for p in self.payments],
        }


def present_value_savings(result) -> dict[str, float]:
    """Each partner's cashable savings over the years, discounted like the objective."""
    place = result.place
    labels = {label: t for t, label in enumerate(place.year_labels, start=1)}
    totals = {partner: 0.0 for partner in place.partners}
    for record in result.tables.pool.frame.itertuples(index=False):
        totals[record.Partner] += place.discount(labels[record.Year]) * record[7]
    return totals


def settle(transfers: dict[str, float], tolerance: float = 1e-9) -> list[Payment]:
    """Payments between named partners that carry out ``transfers`` (+ receives, − pays):
    the largest payer pays the largest receiver, until all is settled (at most n − 1
    payments)."""
    payers = sorted(((-amount, partner) for partner, amount in transfers.items() if amount < -tolerance), reverse=True)
    receivers = sorted(((amount, partner) for partner, amount in transfers.items() if amount > tolerance), reverse=True)
    payments = []
    payers = [[amount, partner] for amount, partner in payers]
    receivers = [[amount, partner] for amount, partner in receivers]
    i = j = 0
    while i < len(payers) and j < len(receivers):
        amount = min(payers[i][0], receivers[j][0])
        payments.append(Payment(payers[i][1], receivers[j][1], amount))
        payers[i][0] -= amount
        receivers[j][0] -= amount
        if payers[i][0] <= tolerance:
            i += 1
        if receivers[j][0] <= tolerance:
            j += 1
    return payments


def analyse(place, package, scenario: Scenario, workers=None, samples=2000, seed=1, progress=None) -> Partnership:
    """The partnership analysis of one scenario: the pooled and silo runs, the game on top."""
    everyone = frozenset(place.partners)
    pooled = solve_scenario(dataclasses.replace(scenario, pooling="pooled", coalition=None), place, package)
    silo = solve_scenario(dataclasses.replace(scenario, pooling="silo", coalition=None), place, package)
    known = {
        everyone: CoalitionValue(everyone, pooled.status, pooled.objective, pooled.solution.message),
        frozenset(): CoalitionValue(frozenset(), silo.status, silo.objective, silo.solution.message),
    }
    game = play(place, scenario, workers, samples, seed, progress, known)
    analysis = Partnership(game, pooled, silo)
    if pooled.optimal and silo.optimal:
        with_pool, without = present_value_savings(pooled), present_value_savings(silo)
        analysis.cashable_gain = {partner: with_pool[partner] - without[partner] for partner in place.partners}
        if game.shapley:
            positive = {partner: max(share, 0.0) for partner, share in game.shapley.items()}
            total_share, total_gain = sum(positive.values()), sum(analysis.cashable_gain.values())
            if total_share > 0:
                analysis.fair_cashable = {p: total_gain * positive[p] / total_share for p in place.partners}
                analysis.transfers = {p: analysis.fair_cashable[p] - analysis.cashable_gain[p] for p in place.partners}
                scale = max([1.0, *(abs(gain) for gain in analysis.cashable_gain.values())])
                analysis.payments = settle(analysis.transfers, tolerance=OBJECTIVE_PRECISION * scale)
    return analysis


# -- words, the workbook and the terminal ------------------------------------------------------
