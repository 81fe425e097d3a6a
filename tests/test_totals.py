"""Every total that appears in two places of one run is the same figure: the Summary's
block against the sheets it sums (at full precision), and its two board tables, the
headline and the terminal against one another (as rounded), on every example scenario
and on generated places."""

from pathlib import Path

import openpyxl
import pytest

import pooling
from pooling import words
from pooling.synthetic import write_generated

from .contract_check import settings_block
from .test_output import _summary_tables

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "scenarios").glob("*.toml"))
SEEDS = [3, 8, 17]


def _sheet(book, name: str) -> list[dict]:
    rows = [row for row in book[name].iter_rows(values_only=True)]
    header = rows[0]
    return [dict(zip(header, row)) for row in rows[1:] if row[0] is not None and row[1] is not None]


def _case(request, tmp_path):
    if isinstance(request.param, Path):
        return request.param, {}
    _, _, _, scenario = write_generated(tmp_path, request.param)
    return scenario, {"solver": "highs"}


@pytest.fixture(params=[*EXAMPLES, *SEEDS], ids=[*(path.stem for path in EXAMPLES), *(f"seed{s}" for s in SEEDS)])
def written(request, tmp_path):
    scenario, overrides = _case(request, tmp_path)
    result = pooling.run(scenario, overrides=overrides, allow_nonoptimal=True, output=tmp_path / "out.xlsx")
    if not result.optimal:
        pytest.skip(f"{result.status}: no result tables to compare")
    return result, openpyxl.load_workbook(tmp_path / "out.xlsx", data_only=True)


def test_the_summary_blocks_totals_are_the_sheets_totals(written):
    result, book = written
    unit = result.place.units
    block = settings_block(book["Summary"])
    allocation = _sheet(book, "Allocation")
    body, total = [row for row in allocation if row["Programme"] != "Total"], allocation[-1]
    assert total["Programme"] == "Total"
    flows, pool, funding = _sheet(book, "Flows"), _sheet(book, "Pool"), _sheet(book, "Funding used")

    def same(figure: float, *others: float) -> None:
        for other in others:
            assert other == pytest.approx(figure, rel=1e-9, abs=1e-6)

    spent = block[f"Total spent ({unit})"]
    same(spent, total["Total"], sum(row["Amount"] for row in flows), sum(row["Used"] for row in funding))
    same(block[f"Total available ({unit})"], sum(row["Available"] for row in funding))
    # Unspent is nil when within the solvers' tolerance (the plan rule's band lets pennies
    # sit unused: £439 of £6.3bn in the example), as the Summary says.
    available = block[f"Total available ({unit})"]
    assert block[f"Total unspent ({unit})"] == pytest.approx(available - spent, abs=1e-7 * max(1.0, available))
    same(
        block[f"Total spent on pooled programmes ({unit})"],
        sum(row["Total"] for row in body if row["Pooled"] == "yes"),
    )
    same(block[f"Total pooled ({unit})"], sum(row["Contribution"] or 0.0 for row in pool))
    same(block[f"Total savings received ({unit})"], sum(row["Savings received"] or 0.0 for row in pool))
    same(block[f"Total spent on others' programmes ({unit})"], sum(row["Spent on others' programmes"] for row in pool))
    if "Partnership dividend" in block:
        pooled, silo = (
            (block["Objective value"], block["Objective value silo"])
            if "Objective value silo" in block
            else (block["Objective value pooled"], block["Objective value"])
        )
        dividend = pooled - silo if result.scenario.objective == "outcomes" else silo - pooled
        same(block["Partnership dividend"], dividend)


def test_a_rounded_total_is_one_figure_in_both_tables_the_headline_and_the_terminal(written):
    result, book = written
    tables = _summary_tables(book["Summary"])
    (spending_title,) = [title for title in tables if title.startswith("Spending")]
    (funding_title,) = [title for title in tables if title.startswith("Funding")]
    header, _, spending_total = tables[spending_title]
    width = header.index("Total") + 1
    spending_total, funding_total = spending_total[:width], tables[funding_title][2][:width]
    # Every year's total, and the grand total, read the same in both tables: money spent is
    # money used.
    assert spending_total == funding_total
    figures = result.board().spending
    unit = spending_title.rsplit("(", 1)[1].rstrip(")")
    scale = {"£m": 1000.0, "£000": 1.0}[unit] if result.place.units == "£000" else None
    block = settings_block(book["Summary"])
    if scale is not None:  # and the rounded total is the true one, rounded
        true = block[f"Total spent ({result.place.units})"] / scale
        assert abs(spending_total[-1] - true) <= 0.5 * 10**-figures.decimals + 1e-9
    grand = figures.money(spending_total[-1])
    assert grand in result.headline()[0]
    assert f"Spent:      {grand}" in "\n".join(words.terminal_summary(result))
    rows = list(book["Summary"].iter_rows(values_only=True))
    pooled = next((row for row in rows if row[0] == "Of which pooled programmes (marked *)"), None)
    if pooled is not None:
        marked = [row for row in tables[spending_title][1] if row[0].endswith(" *")]
        assert list(pooled[1 : len(spending_total)]) == [
            pytest.approx(sum(row[column] for row in marked), abs=1e-9) for column in range(1, len(spending_total))
        ]
        subtotal = figures.money(pooled[len(spending_total) - 1])
        if "pooled programmes" in result.headline()[0]:
            assert f"of which {subtotal} goes to pooled programmes" in result.headline()[0]
        if result.scenario.pooling == "pooled":
            assert f"Pooled:     {subtotal} spent on pooled programmes" in "\n".join(words.terminal_summary(result))
