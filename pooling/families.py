"""Constraint families as data: one record each, read by the model, the explanations and
the diagnosis.

A family is what a constraint is about (a stream's limit, a programme's minimum...):
the keys that name one constraint of it, the unit of its right-hand side, whether an
infeasibility diagnosis may relax it, and its words. ``model.py`` builds one ``add_*``
function per family and registers every constraint with its record; everything that
talks about a constraint asks the record, so adding a family is one record here and one
``add_*`` function there, and a family without a record cannot be built
(``tests/test_architecture.py`` checks the model's families against this table).

The words are functions of a :class:`~pooling.words.Words` (the place's names, money and
years) and the constraint's ``ConstraintInfo``:

* ``subject``: what binds, as a noun phrase ("the minimum of Adult social care (ASC)");
* ``state``: what is true of it when it binds, with the years ("... is held at its
  minimum of £146,000k in every year");
* ``step``: the change a shadow price is quoted for ("£1,000 more", "a minimum £1,000
  lower"), with ``sign``, which turns the shadow price (per unit increase of the
  right-hand side) into the change the step describes;
* ``relaxed``: the diagnosis' sentence when the constraint has to give way by ``amount``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .funding import SAVINGS

MONEY, OUTCOME_UNITS = "money", "outcome units"


@dataclass(frozen=True, eq=False)
class Family:
    name: str  # as the registry, the Constraints sheet and --json name it
    keys: tuple[str, ...]  # the codes one constraint is about, e.g. ("stream",)
    unit: str  # of the right-hand side: MONEY (workbook unit) or OUTCOME_UNITS
    subject: Callable[[Any, Any], str]
    state: Callable[[Any, Any, str], str]
    step: str  # "{step} more": {step} is one step of money (£1,000 or £1m)
    sign: float = 1.0
    relaxes: bool = False  # a diagnosis may relax it when the scenario is infeasible
    relaxed: Callable[[Any, Any, float], str] | None = None
    stated: bool = True  # stated on its own in the Summary and comments (not effect capacities)
    reported: bool = True  # a constraint of the contract (not the definition of spend)

    def __repr__(self) -> str:
        return f"Family({self.name!r})"

    def step_phrase(self, step: str, year: str | None = None) -> str:
        """'£1,000 more in 2013/14' (no year when ``year`` is None)."""
        return self.step.format(step=step) + (f" in {year}" if year else "")


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _stream_state(words, info, when: str) -> str:
    stream = words.model.stream(info.keys["stream"])
    verb = "are" if stream.kind == SAVINGS else "is"
    return f"{_capital(words.stream_name(stream.code))} {verb} fully used {when}"


def _pool_state(words, info, when: str) -> str:
    partner = words.place.partners[info.keys["partner"]]
    low = info.family is POOL_MIN
    share = partner.pool_min if low else partner.pool_max
    which = "only its minimum" if low else "its maximum"
    return f"{partner.name} puts {which} share ({share:.0%} of its poolable funding) into pooled programmes {when}"


def _fenced(words, info) -> str:
    return ", ".join(words.model.stream(info.keys["stream"]).ring_fenced_to)


STREAM_LIMIT = Family(
    "stream limit",
    ("stream",),
    MONEY,
    subject=lambda words, info: words.stream_name(info.keys["stream"]),
    state=_stream_state,
    step="{step} more",
)

RING_FENCE = Family(
    "ring-fence",
    ("stream",),
    MONEY,
    subject=lambda words, info: f"the ring-fence of {info.keys['stream']} to {_fenced(words, info)}",
    state=lambda words, info, when: (
        f"The ring-fence keeps {words.stream_name(info.keys['stream'])} on {_fenced(words, info)} {when}"
    ),
    step="releasing {step} of it",
    relaxes=True,
    relaxed=lambda words, info, amount: (
        f"{words.where(info)}the ring-fence of {info.keys['stream']} to {_fenced(words, info)} would have to "
        f"release {words.money(amount)} in {words.year(info.year)} for the plan to be feasible."
    ),
)

PROGRAMME_MIN = Family(
    "programme minimum",
    ("programme",),
    MONEY,
    subject=lambda words, info: f"the minimum of {words.programme_name(info.keys['programme'])}",
    state=lambda words, info, when: (
        f"{words.programme_name(info.keys['programme'])} is held at its minimum of {words.money(info.rhs)} {when}"
    ),
    step="a minimum {step} lower",
    sign=-1.0,
    relaxes=True,
    relaxed=lambda words, info, amount: (
        f"{words.where(info)}the minimum for {words.place.programmes[info.keys['programme']].name} "
        f"({words.money(info.rhs)}) cannot be funded in {words.year(info.year)}; {words.money(amount)} short."
    ),
)

PROGRAMME_MAX = Family(
    "programme maximum",
    ("programme",),
    MONEY,
    subject=lambda words, info: f"the maximum of {words.programme_name(info.keys['programme'])}",
    state=lambda words, info, when: (
        f"{words.programme_name(info.keys['programme'])} is at its maximum of {words.money(info.rhs)} {when}"
    ),
    step="{step} more room",
)

POOL_MIN = Family(
    "pool minimum share",
    ("partner",),
    MONEY,
    subject=lambda words, info: f"the minimum pool share of {words.place.partners[info.keys['partner']].name}",
    state=_pool_state,
    step="a minimum {step} lower",
    sign=-1.0,
    relaxes=True,
    relaxed=lambda words, info, amount: (
        f"{words.where(info)}{words.place.partners[info.keys['partner']].name} cannot put its minimum pool share "
        f"({words.place.partners[info.keys['partner']].pool_min:.0%}, {words.money(info.rhs)}) into pooled "
        f"programmes in {words.year(info.year)}; {words.money(amount)} short."
    ),
)

POOL_MAX = Family(
    "pool maximum share",
    ("partner",),
    MONEY,
    subject=lambda words, info: f"the maximum pool share of {words.place.partners[info.keys['partner']].name}",
    state=_pool_state,
    step="allowing {step} more into the pool",
)

EFFECT_CAPACITY = Family(
    "effect capacity",
    ("programme", "outcome"),
    MONEY,
    subject=lambda words, info: (
        f"the effect of {words.programme_name(info.keys['programme'])} on {words.outcome_name(info.keys['outcome'])}"
    ),
    state=lambda words, info, when: (
        f"All of {words.programme_name(info.keys['programme'])}'s spend counts towards "
        f"{words.outcome_name(info.keys['outcome'])} {when}"
    ),
    step="each {step} of it",
    stated=False,  # binds whenever a programme spends; its value shows in the programmes' positions
)

TARGET = Family(
    "target",
    ("outcome",),
    OUTCOME_UNITS,
    subject=lambda words, info: f"the target for {words.outcome_name(info.keys['outcome'])}",
    state=lambda words, info, when: f"{words.outcome_name(info.keys['outcome'])} meets its target exactly {when}",
    step="one more unit of target",
    relaxes=True,  # hard only under least cost: under outcomes a shortfall is priced by its penalty
    relaxed=lambda words, info, amount: (
        f"{words.where(info)}the target for {words.place.outcomes[info.keys['outcome']].name} "
        f"({words.quantity(info.rhs)}) cannot be met in {words.year(info.year)}; {words.quantity(amount)} short."
    ),
)

SPEND = Family(
    "spend",
    ("programme",),
    MONEY,
    subject=lambda words, info: f"the spend of {words.programme_name(info.keys['programme'])}",
    state=lambda words, info, when: f"spend of {words.programme_name(info.keys['programme'])} {when}",
    step="{step}",
    stated=False,
    reported=False,  # the definition of spend[p,t], not a constraint of the contract
)

POT = Family(
    "pot balance",
    (),
    MONEY,
    subject=lambda words, info: "the pooled pot",
    state=lambda words, info, when: f"the pooled pot pays out what is put in {when}",
    step="{step}",
    stated=False,
    reported=False,  # what goes into the year's pot comes out of it: how the model is written, not the contract
)

#: Every family, in the order the model builds them.
FAMILIES: tuple[Family, ...] = (
    SPEND,
    POT,
    STREAM_LIMIT,
    RING_FENCE,
    PROGRAMME_MIN,
    PROGRAMME_MAX,
    POOL_MIN,
    POOL_MAX,
    EFFECT_CAPACITY,
    TARGET,
)
