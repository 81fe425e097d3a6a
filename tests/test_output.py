"""The annotated workbook: contract sheets, input kept cell for cell, totals that add up."""

import hashlib
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

import pooling
from pooling.outputs import RUN

from .contract_check import settings_block
from .helpers import printed_text

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "spreadsheets" / "example.xlsx"
INPUT_SHEETS = ["Place", "Partners", "Funding", "Programmes", "Outcomes", "Effects", "Savings"]


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("out") / "pooled.xlsx"
    result = pooling.run(ROOT / "scenarios" / "sr2010-pooled.toml", output=out)
    return result, out


def test_contract_sheets_are_present_after_the_input_sheets(written):
    _, out = written
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert names[: len(INPUT_SHEETS)] == INPUT_SHEETS
    # every result sheet in the order outputs.RUN gives, but the diagnosis of an infeasible plan
    assert names[len(INPUT_SHEETS) :] == [name for name in RUN.names if name != "Diagnosis"]
    assert names[len(INPUT_SHEETS) :][:6] == [
        "Summary",
        "Allocation",
        "Flows",
        "Pool",
        "Outcomes achieved",
        "Constraints",
    ]
    assert names[-1] == "Audit" and set(RUN.signature) <= set(names)


def test_input_sheets_are_kept_cell_for_cell(written):
    _, out = written
    before = openpyxl.load_workbook(EXAMPLE)
    after = openpyxl.load_workbook(out)
    for name in INPUT_SHEETS:
        old, new = before[name], after[name]
        assert old.max_row == new.max_row and old.max_column == new.max_column
        for old_row, new_row in zip(old.iter_rows(), new.iter_rows()):
            for a, b in zip(old_row, new_row):
                assert (a.value, a.number_format, a.font.b) == (b.value, b.number_format, b.font.b), (
                    f"{name}!{a.coordinate}"
                )
        assert len(old.data_validations.dataValidation) == len(new.data_validations.dataValidation)


def test_original_parts_are_byte_identical_unless_listed_as_edited(written):
    result, out = written
    with zipfile.ZipFile(EXAMPLE) as source, zipfile.ZipFile(out) as target:
        target_names = set(target.namelist())
        changed = [
            name for name in source.namelist() if name not in target_names or source.read(name) != target.read(name)
        ]
    # The workbook part lists the new sheets, the styles part gains the result
    # formats, content types and relationships name the new parts, and the comment
    # parts of annotated sheets gain our notes. Nothing else changes.
    allowed = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"}
    for name in changed:
        assert name in allowed or name.startswith(("xl/comments/", "xl/drawings/commentsDrawing")), name


def test_edited_parts_keep_every_original_byte_in_order(written):
    # A splice only inserts (and updates list counts and the tab the workbook opens on):
    # apart from count="N" and activeTab="N", the original bytes are a subsequence of the
    # edited part.
    _, out = written
    counts = re.compile(rb' (?:count|activeTab)="\d+"')
    with zipfile.ZipFile(EXAMPLE) as source, zipfile.ZipFile(out) as target:
        for name in ("xl/workbook.xml", "xl/styles.xml", "[Content_Types].xml"):
            old, new = counts.sub(b"", source.read(name)), counts.sub(b"", target.read(name))
            assert len(new) > len(old)
            position = 0
            for byte in old:
                position = new.index(byte, position) + 1


def test_allocation_totals_add_up(written):
    result, out = written
    sheet = openpyxl.load_workbook(out, data_only=True)["Allocation"]
    rows = [row for row in sheet.iter_rows(values_only=True) if row[0] is not None]
    header, body, total = rows[0], rows[1:-2], rows[-2]
    assert total[0] == "Total"
    years = result.place.year_labels
    for label in [*years, "Total", "Baseline"]:
        column = header.index(label)
        assert total[column] == pytest.approx(sum(row[column] for row in body), rel=1e-12, abs=1e-9)
    for row in body:
        assert row[header.index("Total")] == pytest.approx(sum(row[header.index(y)] for y in years), rel=1e-12)


def test_flows_add_up_to_the_allocation(written):
    result, out = written
    book = openpyxl.load_workbook(out, data_only=True)
    flows = list(book["Flows"].iter_rows(min_row=2, values_only=True))
    allocation = {row[0]: row for row in book["Allocation"].iter_rows(min_row=2, values_only=True) if row[0]}
    header = next(book["Allocation"].iter_rows(max_row=1, values_only=True))
    for year in result.place.year_labels:
        for code, row in allocation.items():
            if code == "Total" or code.startswith("Spend per year"):
                continue
            spent = sum(amount for _, _, programme, label, amount, *_ in flows if programme == code and label == year)
            assert spent == pytest.approx(row[header.index(year)], rel=1e-12, abs=1e-9)


def test_summary_reports_status_and_objective_at_full_precision(written):
    result, out = written
    summary = settings_block(openpyxl.load_workbook(out)["Summary"])
    assert summary["Status"] == "optimal"
    assert summary["Objective value"] == result.objective  # the very float, not a rounding


def test_binding_input_cells_carry_comments_in_words(written):
    result, out = written
    book = openpyxl.load_workbook(out)
    ours = {
        f"{sheet.title}!{cell.coordinate}": cell.comment.text
        for sheet in book.worksheets[: len(INPUT_SHEETS)]
        for row in sheet.iter_rows()
        for cell in row
        if cell.comment is not None and "pooling:\n" in cell.comment.text
    }
    assert set(ours) == set(result.notes)
    assert any("is fully used" in text and "£1,000 more" in text for text in ours.values())
    # The template's guidance comments on the headers are still there.
    assert "Base-year amount" in book["Funding"]["D1"].comment.text


def test_the_output_reloads_as_the_same_place(written):
    result, out = written
    place, _ = pooling.load(out)
    assert place.streams == result.place.streams
    assert place.programmes == result.place.programmes


def test_audit_traces_the_run(written):
    result, out = written
    audit = dict(openpyxl.load_workbook(out)["Audit"].iter_rows(min_row=2, values_only=True))
    assert audit["Input workbook SHA-256"] == hashlib.sha256(EXAMPLE.read_bytes()).hexdigest()
    scenario_file = ROOT / "scenarios" / "sr2010-pooled.toml"
    assert audit["Scenario file SHA-256"] == hashlib.sha256(scenario_file.read_bytes()).hexdigest()
    assert audit["Lever: pooling"] == "pooled"
    assert audit["Lever: ring_fencing"] == "removed"
    assert audit["Solver version"].startswith("HiGHS")  # the default solver
    assert audit["Stage 2 closest to the base-year budget"].startswith("Clarabel")
    assert audit["Stage 3 each partner funds its own first"].startswith("HiGHS")
    assert audit["Tool"].startswith("pooling ")


def test_workbook_and_results_documentation_are_generated_from_the_schemas():
    from pooling import outputs
    from pooling.schema import markdown

    assert (ROOT / "docs" / "workbook.md").read_text(encoding="utf-8") == markdown()
    results = (ROOT / "docs" / "results.md").read_text(encoding="utf-8")
    assert outputs.markdown() in results, "run python docs/generate.py"
    for book in outputs.BOOKS:
        assert f"### `{book.command}`" in results


def _summary_tables(sheet):
    """The Summary's money tables: {title: (header, body rows, total row)}."""
    rows = list(sheet.iter_rows(values_only=True))
    tables = {}
    for number, row in enumerate(rows):
        title = row[0]
        if isinstance(title, str) and title.startswith(("Spending by programme", "Funding used by partner")):
            header = rows[number + 1]
            body = []
            for later in rows[number + 2 :]:
                if later[0] == "Total":
                    tables[title] = (header, body, later)
                    break
                body.append(later)
    return tables


def test_summary_tables_add_up_exactly_after_rounding(written):
    result, out = written
    tables = _summary_tables(openpyxl.load_workbook(out, data_only=True)["Summary"])
    assert len(tables) == 2
    years = len(result.place.year_labels)
    for title, (header, body, total) in tables.items():
        assert header[1 + years] == "Total"
        width = 2 + years
        for row in body:
            # Figures in £m to one decimal: compare in tenths, as whole numbers.
            assert round(sum(row[1 : 1 + years]) * 10) == round(row[1 + years] * 10), (title, row)
        for column in range(1, width):
            assert round(sum(row[column] for row in body) * 10) == round(total[column] * 10), (title, column)
    # and each rounded figure is within one unit (£0.1m) of the true one
    allocation = result.tables.allocation.frame.set_index("Programme")
    header, body, _ = tables[next(t for t in tables if t.startswith("Spending"))]
    for row in body:
        code = row[0].removesuffix(" *").rsplit("(", 1)[1].rstrip(")")
        for column, year in enumerate(result.place.year_labels, start=1):
            assert abs(row[column] - allocation.at[code, year] / 1000) <= 0.1 + 1e-9


def test_summary_states_the_partnership_dividend(written):
    result, out = written
    summary = {row[0]: row[1] for row in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True) if row[0]}
    assert summary["Partnership dividend"] == pytest.approx(result.objective - summary["Objective value silo"])
    assert any(isinstance(key, str) and key.startswith("Pooling is worth") for key in summary)


def test_every_money_figure_of_the_summary_block_names_its_unit_and_whether_it_is_discounted(written):
    result, out = written
    rows = {row[0]: row for row in openpyxl.load_workbook(out)["Summary"].iter_rows(max_col=3, values_only=True)}
    assert rows["Setting"] == ("Setting", "Value", "Unit")
    assert rows["Objective value"][2] == "£, present value"
    assert rows["Partnership dividend"][2] == "£, present value"
    assert rows["Total outcome value (£)"][2] == "£, undiscounted"
    assert rows["Total spent (£000)"][2] == "£000, undiscounted, cash"
    # Undiscounted outcome value over four years at 3.5% is more than its present value,
    # which (every target met) is the objective.
    assert rows["Total outcome value (£)"][1] > rows["Total outcome value (present value) (£)"][1]
    assert rows["Total outcome value (present value) (£)"][1] == pytest.approx(result.objective, rel=1e-6)


def test_flows_and_constraints_read_as_money_with_no_float_noise(written):
    _, out = written
    book = openpyxl.load_workbook(out)
    flows, constraints = book["Flows"], book["Constraints"]
    amount = [cell.column for cell in flows[1] if cell.value == "Amount"][0]
    assert flows.cell(2, amount).number_format == "#,##0.00;[Red]-#,##0.00"
    slack = [cell.column for cell in constraints[1] if cell.value == "Slack"][0]
    values = [constraints.cell(row, slack).value for row in range(2, constraints.max_row + 1)]
    assert values and all(value == 0 for value in values)  # binding: within the solvers' tolerance


def test_the_results_open_and_print_with_their_charts_in_libreoffice(written, tmp_path):
    _, out = written
    text = printed_text(out, tmp_path)
    for title in ("Spending by programme (£m)", "Funding by partner (£m)", "Share of the 2014/15 target achieved"):
        assert title in text


def test_the_summarys_spending_chart_covers_the_whole_table(written):
    # The pooled programmes (marked *) as one band, the largest seven others and "Other"
    # (the rest), each band a row below the table: the chart's bars add up to the table's
    # totals; every value axis starts at zero.
    import zipfile

    result, out = written
    rows = list(openpyxl.load_workbook(out, data_only=True)["Summary"].iter_rows(values_only=True))
    tables = _summary_tables(openpyxl.load_workbook(out, data_only=True)["Summary"])
    _, body, total = tables[next(title for title in tables if title.startswith("Spending"))]
    years = len(result.place.year_labels)
    marked = [row for row in body if row[0].endswith(" *")]
    codes = {row[0].removesuffix(" *").rsplit("(", 1)[1].rstrip(")") for row in marked}
    assert codes == {code for code, programme in result.place.programmes.items() if programme.pooled}
    pooled = next(row for row in rows if row[0] == "Of which pooled programmes (marked *)")
    other = next(row for row in rows if isinstance(row[0], str) and row[0].startswith("In the chart as Other"))
    largest = sorted((row for row in body if row not in marked), key=lambda row: -row[1 + years])[:7]
    assert other[0] == f"In the chart as Other: {len(body) - len(marked) - 7} programmes"
    for column in range(1, 2 + years):
        assert pooled[column] == pytest.approx(sum(row[column] for row in marked), abs=1e-6)
        assert pooled[column] + other[column] + sum(row[column] for row in largest) == pytest.approx(
            total[column], abs=1e-6
        )
    with zipfile.ZipFile(out) as archive:
        charts = [archive.read(name).decode() for name in archive.namelist() if name.startswith("xl/charts/chart")]
    spending = next(xml for xml in charts if "Spending by programme" in xml)
    assert spending.count("<c:ser>") == 9
    assert all('<c:min val="0"/>' in xml for xml in charts if "<c:valAx>" in xml)


@pytest.mark.parametrize("seed", [1, 6, 9, 20])
def test_a_total_reads_the_same_in_the_headline_the_terminal_and_the_summary_table(tmp_path, seed):
    # On generated places (where rounding each figure on its own gave 465.0 in one place and
    # 464.9 in another): the headline and the terminal quote the Summary table's own figures.
    from pooling import words
    from pooling.synthetic import write_generated

    _, _, _, scenario_path = write_generated(tmp_path, seed)
    result = pooling.run(scenario_path, overrides={"solver": "highs"}, allow_nonoptimal=True, counterpart=False)
    if not result.optimal:
        pytest.skip("not optimal: no tables")
    spending = result.board().spending
    pooled = sum(total for total, marked in zip(spending.row_totals, spending.marks) if marked)
    grand = f"£{spending.text(spending.total)}{'m' if spending.label == '£m' else 'k'}"
    assert grand in result.headline()[0]
    terminal = "\n".join(words.terminal_summary(result))
    assert f"Spent:      {grand}" in terminal
    if result.scenario.pooling == "pooled":
        assert f"£{spending.text(pooled)}" in terminal
    # The table adds up to that grand total, to the figure.
    assert sum(spending.row_totals) == pytest.approx(spending.total, abs=1e-9)
    for name, total in zip(spending.names, spending.row_totals):
        line = next((line for line in terminal.splitlines() if line.startswith(f"  {name}:")), None)
        if line is not None:
            assert line.endswith(f"£{spending.text(total)}{'m' if spending.label == '£m' else 'k'}")


def test_the_dividends_cashable_part_is_the_savings_received_beyond_silos(written, tmp_path):
    # Present value of the Pool sheet's Savings received (d_t = 1.035^-(t-1)), pooled plan
    # less the silo scenario's own plan: the cashable part stated beside the dividend.
    result, out = written
    silo = pooling.run(ROOT / "scenarios" / "sr2010-silo.toml", counterpart=False)
    assert silo.scenario.freeze == result.scenario.freeze

    def present(run):
        years = {year: t for t, year in enumerate(run.place.year_labels)}
        pool = run.tables.pool.frame
        return sum(1.035 ** -years[year] * amount for year, amount in zip(pool["Year"], pool["Savings received"]))

    expected = present(result) - present(silo)
    assert expected > 0
    assert result.cashable_dividend() == pytest.approx(expected, rel=1e-6)
    summary = {row[0]: row for row in openpyxl.load_workbook(out)["Summary"].iter_rows(max_col=3, values_only=True)}
    assert summary["Partnership dividend: cashable savings"][1] == pytest.approx(expected, rel=1e-6)
    assert summary["Partnership dividend: cashable savings"][2] == "£000, present value, cash"
    assert "more cashable savings to partners than silo (present value): that is cash" in result.dividend_sentence()
