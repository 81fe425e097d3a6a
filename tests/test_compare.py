"""pooling compare: scenarios side by side and the price of each lever."""

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pooling
from pooling.analyses.compare import compare
from pooling.cli import main
from pooling.precision import OBJECTIVE_PRECISION

from .helpers import printed_text

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "scenarios"


@pytest.fixture(scope="module")
def comparison():
    return compare(
        [SCENARIOS / "sr2010-silo.toml", SCENARIOS / "sr2010-pooled.toml", SCENARIOS / "sr2010-pooled-ringfenced.toml"]
    )


def test_the_dividend_is_the_difference_of_the_objectives(comparison):
    silo = pooling.run(SCENARIOS / "sr2010-silo.toml", counterpart=False).objective
    pooled = pooling.run(SCENARIOS / "sr2010-pooled.toml", counterpart=False).objective
    kept = pooling.run(SCENARIOS / "sr2010-pooled-ringfenced.toml", counterpart=False).objective
    prices = {price.name: price.price for price in comparison.prices}
    assert prices["partnership dividend"] == pytest.approx(pooled - silo, rel=1e-9)
    assert prices["price of the ring-fences"] == pytest.approx(pooled - kept, rel=1e-9)
    assert set(prices) == {"partnership dividend", "price of the ring-fences"}  # silo vs kept differ in two levers


def test_json_gives_every_figure_at_full_precision(tmp_path):
    paths = [SCENARIOS / "sr2010-silo.toml", SCENARIOS / "sr2010-pooled.toml"]
    result = CliRunner().invoke(main, ["compare", *map(str, paths), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    silo, pooled = (scenario["objective"] for scenario in data["scenarios"])
    (price,) = data["lever_prices"]
    assert price["name"] == "partnership dividend"
    assert price["price"] == pooled - silo  # the same floats, subtracted once
    assert data["programmes"]  # side by side, with differences
    first = next(iter(data["programmes"].values()))
    assert any(" − " in column for column in first)


def test_the_workbook_has_every_sheet_and_adds_up(comparison, tmp_path):
    from pooling.analyses.books import write_comparison

    out = tmp_path / "compare.xlsx"
    write_comparison(comparison, out)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Comparison", "Lever prices", "Programmes", "Partners", "Outcomes", "Audit"]
    rows = list(book["Programmes"].iter_rows(values_only=True))
    header = rows[0]
    first, second = header[1], header[2]
    difference = header.index(f"{second} − {first}")
    for row in rows[1:]:
        if row[0] and isinstance(row[1], float):
            assert row[difference] == pytest.approx(row[2] - row[1], abs=1e-9)
    assert len(book["Lever prices"]._charts) == 1 and len(book["Comparison"]._charts) == 1


def test_least_cost_prices_are_spending_saved(tmp_path):
    least = SCENARIOS / "sr2010-least-cost.toml"
    text = least.read_text().replace("../spreadsheets", str(ROOT / "spreadsheets"))
    silo, kept = tmp_path / "least-silo.toml", tmp_path / "least-kept.toml"
    silo.write_text(text.replace('pooling = "pooled"', 'pooling = "silo"'))
    kept.write_text(text.replace('ring_fencing = "removed"', 'ring_fencing = "kept"'))
    # In silo, some lead partner cannot meet its targets from its own money: no price.
    comparison = compare([least, silo])
    assert [result.status for result in comparison.results] == ["optimal", "infeasible"]
    assert comparison.prices == []
    # Keeping the ring-fences: both optimal. The ring-fenced grants are spent on their
    # programmes anyway to meet the targets, so the two optima are the same, and CBC's
    # objectives (summed from values it reports to 8 significant digits) differ only in
    # their last digits, which must not be quoted as a price.
    comparison = compare([least, kept])
    assert [result.status for result in comparison.results] == ["optimal", "optimal"]
    (price,) = comparison.prices
    assert price.lever == "ring-fencing"
    difference = comparison.results[1].objective - comparison.results[0].objective
    assert abs(difference) < OBJECTIVE_PRECISION * comparison.results[0].objective
    assert abs(price.price) < 1e-12
    assert "Removing the ring-fences makes no difference to spending" in price.sentence


def test_not_optimal_exits_3(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        (SCENARIOS / "sr2010-least-cost.toml").read_text().replace("../spreadsheets", str(ROOT / "spreadsheets")) + "\n"
    )
    text = bad.read_text().replace("grant = -0.071", "grant = -0.3").replace('pooling = "pooled"', 'pooling = "silo"')
    bad.write_text(text)
    result = CliRunner().invoke(main, ["compare", str(SCENARIOS / "sr2010-pooled.toml"), str(bad)])
    assert result.exit_code == 3
    assert "infeasible" in result.output


def test_the_comparison_opens_and_prints_with_its_charts_in_libreoffice(comparison, tmp_path):
    from pooling.analyses.books import write_comparison

    out = tmp_path / "compare.xlsx"
    write_comparison(comparison, out)
    text = printed_text(out, tmp_path)
    assert "The price of each lever" in text  # the chart's title, drawn by LibreOffice
    assert "partnership dividend" in text


def test_optima_closer_than_the_solvers_precision_are_the_same():
    from pooling.precision import optimum_difference

    # One part in 10^7 of £1bn is £100: £50 apart is the same optimum, £200 is a price.
    assert optimum_difference(1_000_000_000.0, 999_999_950.0) == pytest.approx(0.0, abs=1e-12)
    assert optimum_difference(1_000_000_000.0, 999_999_800.0) == pytest.approx(200.0)
    assert optimum_difference(999_999_800.0, 1_000_000_000.0) == pytest.approx(-200.0)
    assert optimum_difference(0.5, 0.2) == pytest.approx(0.3)  # small objectives: compared to 1
