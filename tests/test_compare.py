"""pooling compare: scenarios side by side and the price of each lever."""

import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pooling
from pooling.analyses.compare import compare
from pooling.cli import main
from pooling.outputs import COMPARISON
from pooling.precision import OBJECTIVE_PRECISION

from .helpers import place_sheets, printed_text, write_sheets

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
    assert book.sheetnames == [sheet.name for sheet in COMPARISON.sheets]
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


def test_each_levers_share_adds_up_to_the_difference(tmp_path):
    # Two scenarios that differ in pooling and ring-fencing: the shares are each lever's
    # average marginal effect over the two orders, and add up to B − A exactly.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 100, None, "PA"), ("GB", "B", "grant", 100, None, None)],
        programmes=[("PA", "A", "yes", 0, None, 40), ("PB", "B", "yes", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 20, None), ("PB", "O", 5, None)],
    )
    # v(silo, kept) = GA: 40 into PA (the rest cannot move) 0.8 + GB: 0.5 = £1,300
    # v(silo, removed) = the same: in silo A's money can only fund PA, capped at 40: £1,300
    # v(pooled, kept) = GA still only PA (ring-fenced), which is capped at 40: 0.8; GB into
    #   PB: 0.5: £1,300
    # v(pooled, removed) = 40 into PA 0.8, the other 160 into PB 0.8: £1,600
    # Shapley: pooling = ½(1,300 − 1,300) + ½(1,600 − 1,300) = 150, ring-fencing the same.
    path = write_sheets(tmp_path / "place.xlsx", sheets)
    a = tmp_path / "a.toml"
    a.write_text(f'name = "A"\nworkbook = "{path.name}"\npooling = "silo"\nring_fencing = "kept"\n', encoding="utf-8")
    b = tmp_path / "b.toml"
    b.write_text(f'name = "B"\nworkbook = "{path.name}"\n', encoding="utf-8")
    comparison = pooling.compare([a, b])
    (item,) = comparison.shares
    assert item.difference == pytest.approx(300.0)
    assert item.shares == {"pooling": pytest.approx(150.0), "ring-fencing": pytest.approx(150.0)}
    assert sum(item.shares.values()) == pytest.approx(item.difference, rel=1e-12)
    data = comparison.to_dict()["lever_shares"][0]
    assert data["difference"] == pytest.approx(300.0) and len(data["shares"]) == 2
    out = tmp_path / "cmp.xlsx"
    pooling.write_comparison(comparison, out)
    rows = list(openpyxl.load_workbook(out)["Lever shares"].iter_rows(min_row=2, values_only=True))
    assert {row[2]: row[5] for row in rows} == {"pooling": pytest.approx(150.0), "ring-fencing": pytest.approx(150.0)}


def test_with_one_lever_changed_its_share_is_its_price():
    comparison = pooling.compare([SCENARIOS / "sr2010-silo.toml", SCENARIOS / "sr2010-pooled.toml"])
    (item,) = comparison.shares
    (price,) = comparison.prices
    assert list(item.shares) == ["pooling"]
    assert item.shares["pooling"] == pytest.approx(price.price, rel=1e-9)


def test_every_value_axis_of_the_comparison_starts_at_zero(comparison, tmp_path):
    # Silo's £410m against pooled's £454m, on an axis Excel would start at £380m, reads as a
    # third of it: the objective chart's axis is pinned at zero.
    import zipfile

    from pooling.analyses.books import write_comparison, zero_axis

    assert zero_axis([409.6, 454.1]) == {"min": 0}
    assert zero_axis([-3.0, -1.0]) == {"max": 0}
    assert zero_axis([-3.0, 2.0]) == {}
    out = tmp_path / "compare.xlsx"
    write_comparison(comparison, out)
    with zipfile.ZipFile(out) as archive:
        charts = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/charts/chart")]
    objective = [xml for xml in charts if "Objective by scenario" in xml]
    assert objective and '<c:min val="0"/>' in objective[0]
