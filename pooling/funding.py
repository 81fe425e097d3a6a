"""The money available in each year: the scenario's levers applied to the place.

For every stream and modelled year t = 1..T this gives A[s,t], the amount that may
be spent, exactly as the contract defines it:

* council-tax streams: A = Base when frozen, else Base × (1 + growth)^t;
* every other workbook stream: A = Base × (1 + g_s)^t, with g_s the most specific
  ``[change]`` rate (stream, then partner, then source, then default);
* under a freeze, ``FREEZE-<partner>`` for each partner whose type has a freeze-grant
  rate and that has council-tax streams: A = rate × Σ its council-tax Base, every year;
* ``SAVINGS-<partner>`` for each beneficiary of cashable savings. Its amount depends
  on the outcomes achieved in earlier years, so it is not a number here: the model
  builds it (``model.add_stream_limits``). ``amounts`` is None for these streams.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .place import Place
from .scenario import Scenario

WORKBOOK, FREEZE, SAVINGS = "workbook", "freeze", "savings"


@dataclass(frozen=True)
class FundingStream:
    code: str
    partner: str
    source: str
    kind: str  # WORKBOOK, FREEZE or SAVINGS
    poolable: bool
    ring_fenced_to: tuple[str, ...]
    kept_ring_fenced: bool  # the scenario keeps its ring-fence
    amounts: tuple[float, ...] | None  # A[s,t] for t = 1..T; None for SAVINGS streams
    rule: str  # how the amounts were set, in words (for the Audit and Pool sheets)
    cells: tuple[str, ...] = field(default=(), compare=False)  # input cells the amounts come from

    @property
    def counts_for_pool_share(self) -> bool:
        """In B[i,t] and the pool-share sum: poolable, and not the savings stream."""
        return self.poolable and self.kind != SAVINGS


def change_rate(scenario: Scenario, stream_code: str, partner: str, source: str) -> tuple[float, str]:
    """g_s and the key that set it: the most specific [change] entry wins."""
    if stream_code in scenario.change_stream:
        return scenario.change_stream[stream_code], f"change.stream.{stream_code}"
    if partner in scenario.change_partner:
        return scenario.change_partner[partner], f"change.partner.{partner}"
    if source in scenario.change_source:
        return scenario.change_source[source], f"change.source.{source}"
    return scenario.change_default, "change.default"


def resolve_funding(place: Place, scenario: Scenario) -> list[FundingStream]:
    """Every stream the model may spend, workbook streams first, with A[s,t] per year."""
    years = range(1, place.years + 1)
    streams: list[FundingStream] = []
    for stream in place.streams.values():
        if stream.source == "council tax":
            if scenario.freeze:
                amounts = tuple(stream.base for _ in years)
                rule = "council tax frozen at the base-year amount"
            else:
                amounts = tuple(stream.base * (1 + scenario.growth) ** t for t in years)
                rule = f"council tax grows {scenario.growth:.2%} a year (council_tax.growth)"
        else:
            rate, key = change_rate(scenario, stream.code, stream.partner, stream.source)
            amounts = tuple(stream.base * (1 + rate) ** t for t in years)
            rule = f"changes {rate:.2%} a year ({key})"
        streams.append(
            FundingStream(
                code=stream.code,
                partner=stream.partner,
                source=stream.source,
                kind=WORKBOOK,
                poolable=stream.poolable,
                ring_fenced_to=stream.ring_fenced_to,
                kept_ring_fenced=scenario.stream_kept_ring_fenced(stream.code, bool(stream.ring_fenced_to)),
                amounts=amounts,
                rule=rule,
                cells=(stream.cells["Base"],),
            )
        )

    if scenario.freeze:
        for partner in place.partners.values():
            rate = scenario.freeze_grant.get(partner.type)
            council_tax = [s for s in place.streams.values() if s.partner == partner.code and s.source == "council tax"]
            if rate is None or not council_tax:
                continue
            amount = rate * sum(s.base for s in council_tax)
            if amount <= 0:
                continue
            streams.append(
                FundingStream(
                    code=f"FREEZE-{partner.code}",
                    partner=partner.code,
                    source="grant",
                    kind=FREEZE,
                    poolable=True,
                    ring_fenced_to=(),
                    kept_ring_fenced=False,
                    amounts=tuple(amount for _ in years),
                    rule=f"council tax freeze grant: {rate:.2%} of base-year council tax, every year",
                    cells=tuple(s.cells["Base"] for s in council_tax),
                )
            )

    beneficiaries = dict.fromkeys(saving.beneficiary for saving in place.savings)
    for partner in beneficiaries:
        streams.append(
            FundingStream(
                code=f"SAVINGS-{partner}",
                partner=partner,
                source="savings",
                kind=SAVINGS,
                poolable=True,
                ring_fenced_to=(),
                kept_ring_fenced=False,
                amounts=None,
                rule="cashable savings from outcomes of earlier years",
                cells=tuple(s.cells["£ per unit"] for s in place.savings if s.beneficiary == partner),
            )
        )
    return streams


def pool_base(streams: list[FundingStream], partner: str, t: int) -> float:
    """B[i,t]: the partner's poolable funding in year t, savings excluded."""
    return sum(s.amounts[t - 1] for s in streams if s.partner == partner and s.counts_for_pool_share)
