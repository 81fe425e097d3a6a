"""The board paper: a Word document that opens, whose tables add up and carry the Summary
sheet's own figures, whose charts cover the whole table from zero, and that traces its
figures to the files they came from."""

import hashlib
import os
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner

import pooling
from pooling import words
from pooling.cli import main
from pooling.paper import _spending_chart
from pooling.rounding import board_figures

from .helpers import place_sheets, write_sheets
from .test_output import _summary_tables

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "sr2010-pooled.toml"


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    folder = tmp_path_factory.mktemp("paper")
    result = pooling.run(SCENARIO, output=folder / "results.xlsx", switching=True)
    paper = pooling.write_paper(result, folder / "paper.docx")
    return result, folder / "results.xlsx", paper


def _numbers(row) -> list[float]:
    return [float(cell.text.replace(",", "")) for cell in row.cells[1:]]


def test_the_papers_tables_add_up_and_are_the_summarys_figures(example):
    result, workbook, paper = example
    document = docx.Document(str(paper))
    summary = _summary_tables(openpyxl.load_workbook(workbook, data_only=True)["Summary"])
    years = len(result.place.year_labels)
    money = [table for table in document.tables if table.rows[0].cells[0].text in ("Programme", "Partner")]
    assert len(money) == 2
    for table, (title, (_, body, total)) in zip(money, summary.items(), strict=True):
        rows = [_numbers(row) for row in table.rows[1:-1]]
        totals = _numbers(table.rows[-1])
        # Each row and each column adds up to its total, to the table's one decimal.
        for row in rows:
            assert sum(row[:years]) == pytest.approx(row[years], abs=0.05)
        for column in range(years + 1):
            assert sum(row[column] for row in rows) == pytest.approx(totals[column], abs=0.05)
        # And every figure is the Summary sheet's, to the digit.
        assert rows == [pytest.approx([float(v) for v in row[1 : years + 2]], abs=1e-9) for row in body], title
        assert totals == pytest.approx([float(v) for v in total[1 : years + 2]], abs=1e-9)
    # The grand total of spending is what the recommendation quotes.
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    grand = money[0].rows[-1].cells[-1].text
    assert f"£{grand}m over" in text


def test_the_paper_states_the_headline_the_switching_values_and_present_value(example):
    result, _, paper = example
    text = "\n".join(paragraph.text for paragraph in docx.Document(str(paper)).paragraphs)
    for heading in ("1. Purpose", "2. Recommendation", "3. Executive summary", "Appendix A"):
        assert heading in text
    assert result.headline()[0] in text
    telling = words.telling_switching(result)
    assert len(telling) == 3
    for item in telling:
        assert f"{item.what}." in text
    # Undiscounted and present value are both named, and they differ by the discounting.
    totals = result.totals()
    assert totals["outcome value (present value)"] < totals["outcome value"]
    assert "undiscounted" in text and "in present value (discounted to 2011/12 at 3.5% a year)" in text


def test_the_appendix_traces_the_figures_to_the_files(example):
    result, _, paper = example
    document = docx.Document(str(paper))
    appendix = {row.cells[0].text: row.cells[1].text for row in document.tables[-1].rows}
    workbook = ROOT / "spreadsheets" / "example.xlsx"
    assert appendix["Input workbook SHA-256"] == hashlib.sha256(workbook.read_bytes()).hexdigest()
    assert appendix["Scenario file SHA-256"] == hashlib.sha256(SCENARIO.read_bytes()).hexdigest()
    assert appendix["Solver version"].startswith("HiGHS")
    assert appendix["Lever: pooling"] == "pooled"


def test_the_spending_chart_covers_the_whole_table_from_zero(example):
    result, _, _ = example
    table = board_figures(result).spending
    figure = _spending_chart(table)
    axes = figure.axes[0]
    assert axes.get_ylim()[0] == 0
    heights = [0.0] * len(table.years)
    for bar in axes.patches:
        heights[round(bar.get_x() + bar.get_width() / 2)] += bar.get_height()
    # The pooled programmes, the largest others and "Other": the bars add up to the table's
    # column totals.
    assert heights == pytest.approx(table.column_totals, abs=1e-6)
    legend = [text.get_text() for text in axes.get_legend().get_texts()]
    assert any(text.startswith("Other (") for text in legend)
    assert f"Pooled programmes ({sum(table.marks)}) *" in legend


def test_a_house_template_gives_its_header_and_loses_its_body(tmp_path, example):
    result, _, _ = example
    template = docx.Document()
    template.sections[0].header.paragraphs[0].text = "Northmoor Partnership Board: OFFICIAL"
    template.add_paragraph("Delete me: the template's own body text")
    template.save(str(tmp_path / "house.docx"))
    paper = pooling.write_paper(result, tmp_path / "paper.docx", tmp_path / "house.docx")
    document = docx.Document(str(paper))
    assert document.sections[0].header.paragraphs[0].text == "Northmoor Partnership Board: OFFICIAL"
    assert not any("Delete me" in paragraph.text for paragraph in document.paragraphs)
    assert document.paragraphs[0].text.startswith("Northmoor: the pooled budget")


def test_the_command_writes_the_paper_and_says_clearly_when_no_pdf_can_be_made(tmp_path, monkeypatch):
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
    )
    path = write_sheets(tmp_path / "tiny.xlsx", sheets)
    (tmp_path / "tiny.toml").write_text(f'name = "tiny"\nworkbook = "{path.name}"\n', encoding="utf-8")
    monkeypatch.setenv("PATH", str(tmp_path))  # no LibreOffice on this PATH
    out = tmp_path / "paper.docx"
    runner = CliRunner()
    result = runner.invoke(main, ["paper", str(tmp_path / "tiny.toml"), "-o", str(out), "--pdf"])
    assert result.exit_code == 2  # an output that could not be written
    assert "LibreOffice is not installed here, so no PDF was made" in result.output
    assert out.is_file() and docx.Document(str(out)).paragraphs[0].text.startswith("Testshire")
    # A paper must be a .docx; a second run keeps the first as a backup.
    wrong = runner.invoke(main, ["paper", str(tmp_path / "tiny.toml"), "-o", str(tmp_path / "paper.xlsx")])
    assert wrong.exit_code != 0 and "a board paper is written as .docx" in wrong.output
    again = runner.invoke(main, ["paper", str(tmp_path / "tiny.toml"), "-o", str(out)])
    assert again.exit_code == 0 and (tmp_path / "paper.docx.bak").is_file()


def test_the_paper_renders_in_libreoffice(example):
    _, _, paper = example
    if not any(os.access(Path(folder) / "soffice", os.X_OK) for folder in os.environ["PATH"].split(os.pathsep)):
        pytest.skip("LibreOffice is not installed")
    pdf = pooling.paper_to_pdf(paper)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 20_000


def test_with_samples_the_paper_states_the_risks_of_a_sweep(tmp_path, example):
    result, _, _ = example
    swept = pooling.sweep(SCENARIO, [], samples=6, seed=3, workers=1)
    risks = pooling.sweep_risks(swept, result.place)
    objectives = sorted(run.objective for run in swept.runs if run.objective is not None)
    assert risks.samples == 6 and objectives[0] <= risks.p10 <= risks.p50 <= risks.p90 <= objectives[-1]
    paper = pooling.write_paper(result, tmp_path / "risks.docx", risks=risks)
    text = "\n".join(paragraph.text for paragraph in docx.Document(str(paper)).paragraphs)
    assert "7. Risks" in text
    assert "the outcome value net of shortfall penalties (present value) is between" in text
    assert f"between £{risks.p10 / 1e6:,.1f}m (P10) and £{risks.p90 / 1e6:,.1f}m (P90)" in text
    assert "Risk: in 6 runs with the ranged evidence drawn at random (Low to High, seed 3)" in text
