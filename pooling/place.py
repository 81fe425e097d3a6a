"""The validated place: partners, funding streams, programmes, outcomes and evidence.

Everything here has passed ``validate.py``: codes are unique and every reference
resolves, money is in the workbook's unit, percentages are fractions, and each
figure remembers the cell it came from (``cells``), so results can be traced back
to the input and comments can be put on the right cell.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple


@dataclass(frozen=True)
class Partner:
    code: str
    name: str
    type: str
    pool_min: float  # share of poolable funding, 0-1
    pool_max: float
    cells: dict[str, str] = field(default_factory=dict, compare=False)  # column -> "Sheet!Ref"


@dataclass(frozen=True)
class Stream:
    code: str
    partner: str
    source: str
    base: float  # base-year amount, workbook unit
    poolable: bool
    ring_fenced_to: tuple[str, ...]  # programme codes; empty = not ring-fenced
    cells: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Programme:
    code: str
    name: str
    lead: str
    pooled: bool
    baseline: float
    min: float
    max: float | None  # None = no limit
    cells: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Outcome:
    code: str
    name: str
    unit: str
    value: float  # £ per unit
    penalty: float  # £ per unit short of target
    targets: tuple[float | None, ...]  # per modelled year; None = no target
    cells: dict[str, str] = field(default_factory=dict, compare=False)
    target_cells: tuple[str | None, ...] = field(default=(), compare=False)  # per year


class Segment(NamedTuple):
    """Spend from ``start`` to ``end`` (None = no limit) buys ``rate`` units per £m.

    A named tuple rather than a frozen dataclass: a large place has tens of thousands of
    segments, and a named tuple is made several times faster.
    """

    start: float
    end: float | None
    rate: float
    cell: str = ""  # the Per £m cell
    low: float | None = None  # the plausible range of the rate (Low and High), when given
    high: float | None = None

    @property
    def width(self) -> float | None:
        return None if self.end is None else self.end - self.start


@dataclass(frozen=True)
class Saving:
    outcome: str
    beneficiary: str
    per_unit: float  # £ per outcome unit
    cashable: float  # share, 0-1
    lag: int  # years
    low: float | None = None  # the plausible range of £ per unit (Low and High), when given
    high: float | None = None
    cells: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass
class Place:
    name: str
    base_year: str  # e.g. 2010/11
    years: int
    units: str  # £, £000 or £m
    unit_pounds: float  # k: the workbook unit in £
    discount_rate: float
    partners: dict[str, Partner]
    streams: dict[str, Stream]
    programmes: dict[str, Programme]
    outcomes: dict[str, Outcome]
    effects: dict[tuple[str, str], tuple[Segment, ...]]  # (programme, outcome) -> segments
    savings: tuple[Saving, ...]
    setting_cells: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def year_labels(self) -> list[str]:
        """Modelled years t = 1..T as labels: base 2010/11 gives 2011/12, 2012/13, ..."""
        first = int(self.base_year[:4])
        return [year_label(first + t) for t in range(1, self.years + 1)]

    def discount(self, t: int) -> float:
        """d_t = (1 + r)^-(t-1) for year t = 1..T."""
        return (1.0 + self.discount_rate) ** -(t - 1)


def year_label(start_year: int) -> str:
    """The financial year starting in April of ``start_year``: 2011 -> '2011/12'."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"
