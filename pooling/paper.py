"""The board paper: a Word document in the shape UK councils and NHS boards file.

Title, purpose, recommendation, an executive summary, then the allocation, the partners'
funding and the outcomes as tables (the Summary sheet's own rounded figures, from
``rounding.board_figures``, so a total reads the same in the paper and the workbook), charts
drawn with matplotlib, and an appendix that traces every figure to its inputs: files and
their SHA-256, scenario, levers, solver and date.

Built with python-docx so a finance team edits it in Word. With a template (their house
style: styles, headers and footers, page set-up), the paper is written into a copy of it,
its body emptied first. ``to_pdf`` converts it with LibreOffice when that is installed.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no screen: draw to files

import docx  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from docx.enum.table import WD_TABLE_ALIGNMENT  # noqa: E402
from docx.enum.text import WD_ALIGN_PARAGRAPH  # noqa: E402
from docx.shared import Cm, Pt  # noqa: E402

from . import words  # noqa: E402
from .board import TOP_PROGRAMMES  # noqa: E402
from .errors import WriteError  # noqa: E402
from .files import atomic_write, make_backup  # noqa: E402
from .fmt import money_short, quantity  # noqa: E402
from .report import Risks  # noqa: E402
from .rounding import MoneyTable  # noqa: E402

# Audit rows an appendix reader needs to trace a figure; the rest stay in the workbook's Audit.
TRACED = (
    "Tool",
    "Run at (UTC)",
    "Input workbook",
    "Input workbook SHA-256",
    "Scenario file",
    "Scenario file SHA-256",
    "Solver version",
    "Solver status",
    "Plan rule",
    "Objective value",
)
CHART_WIDTH = Cm(16)
PDF_TIMEOUT = 180  # seconds LibreOffice may take to convert


def paper_document(result, template: Path | None = None, risks: Risks | None = None) -> docx.document.Document:
    """The board paper of a solved ``result`` as a python-docx Document (with the risks of
    a Monte Carlo sweep when ``risks`` is given)."""
    document = docx.Document(str(template)) if template else docx.Document()
    if template:
        body = document.element.body
        for child in list(body):
            if not child.tag.endswith("}sectPr"):  # keep the page set-up, headers and footers
                body.remove(child)
    place, scenario = result.place, result.scenario
    years = place.year_labels
    span = f"{years[0]} to {years[-1]}"
    document.core_properties.title = f"{place.name}: {scenario.name}"
    document.core_properties.author = "pooling"

    document.add_heading(f"{place.name}: the pooled budget, {span}", 0)
    document.add_paragraph(f"Report to the partnership board. Scenario: {scenario.name}.")
    document.add_paragraph(f"Prepared {result.started:%-d %B %Y} from the partners' workbook (Appendix A).")

    document.add_heading("1. Purpose", 1)
    document.add_paragraph(
        f"To set out how the partners' pooled budget for {span} would be allocated under the scenario "
        f"'{scenario.name}', what that allocation buys, what holds it back, and what would change it."
    )
    if not result.optimal:
        document.add_heading("2. Finding", 1)
        for sentence in result.headline():
            document.add_paragraph(sentence)
        return document

    totals = result.totals()
    figures = result.board()
    spending, funding = figures.spending, figures.funding
    unit = place.units

    document.add_heading("2. Recommendation", 1)
    document.add_paragraph(
        f"The board is recommended to agree the allocation in section 4: {spending.money(spending.total)} "
        f"over {span}, of which {spending.money(spending.pooled_total())} goes to pooled programmes, "
        "and to note what would change it (section 3)."
    )

    document.add_heading("3. Executive summary", 1)
    switching = words.switching_sentences(result)
    for sentence in result.headline():
        if sentence != switching:
            document.add_paragraph(sentence, style="List Bullet")
    if result.statements:
        _lead(document, "What holds the plan back, worth most at the margin:")
        for statement in result.top_statements(3):
            document.add_paragraph(statement.sentence, style="List Bullet")
    telling = words.telling_switching(result)
    if switching:
        _lead(document, "What would change the plan (switching values, Green Book 5.60-5.61):")
        for item in telling:
            document.add_paragraph(f"{item.what}.", style="List Bullet")
        rest = words.switching_rest(result)
        if rest:
            document.add_paragraph(rest, style="List Bullet")
    if risks is not None:
        document.add_paragraph(_risk_sentence(risks, result), style="List Bullet")
    document.add_paragraph(
        "Outcome value is each outcome achieved times its Value per unit, in £: "
        f"{money_short(totals['outcome value'], '£')} undiscounted over {span}, "
        f"{money_short(totals['outcome value (present value)'], '£')} in present value (discounted to {years[0]} "
        f"at {place.discount_rate:.1%} a year). It is economic and social value, not cash. The cash the plan "
        f"releases is the cashable savings partners receive, {money_short(totals['savings received'], unit)} "
        "over the period (undiscounted), which the plan spends again."
    )

    document.add_heading("4. The allocation", 1)
    document.add_paragraph(
        f"Spending by programme and year, in {spending.label}. Pooled programmes are marked *. Figures are "
        "rounded so that every row and column adds up to its rounded total."
    )
    _money_table(document, spending)
    _chart(document, _spending_chart(spending))

    document.add_heading("5. Who funds it", 1)
    document.add_paragraph(
        f"Funding used by partner and year, in {funding.label}, cashable savings and freeze grants included."
    )
    _money_table(document, funding)
    _chart(document, _funding_chart(funding))

    document.add_heading("6. Outcomes", 1)
    _outcomes_table(document, result)

    if risks is not None:
        _risks_section(document, risks, result)

    document.add_heading("Appendix A. Where the figures come from", 1)
    document.add_paragraph(
        "Every figure in this paper comes from one run of pooling on the files below; the results workbook "
        "of the same scenario has every figure at full precision, and its Audit sheet the rest of this list."
    )
    audit = dict(result.audit())
    rows = [(name, audit[name]) for name in TRACED if name in audit]
    rows += [(name, value) for name, value in result.audit() if name.startswith("Lever: ")]
    table = document.add_table(rows=0, cols=2)
    table.style = "Table Grid"
    for name, text in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = name, str(text)
    _small(table)
    _widths(table, [Cm(4.5), Cm(11.5)])
    return document


def write_paper(result, target: Path, template: Path | None = None, risks: Risks | None = None) -> Path:
    """Write the board paper of ``result`` to ``target`` (.docx), atomically."""
    target = Path(target)
    if target.suffix.lower() != ".docx":
        raise WriteError(f"{target}: a board paper is written as .docx (Word); give a name ending in .docx")
    if template is not None and not Path(template).is_file():
        raise WriteError(f"{template}: the template is not a file")
    buffer = io.BytesIO()
    paper_document(result, template, risks).save(buffer)
    if target.exists():  # someone's edited copy, perhaps: kept as NAME.bak before it is replaced
        make_backup(target)
    atomic_write(target, buffer.getvalue())
    return target


def to_pdf(paper: Path) -> Path:
    """Convert a paper to PDF beside it with LibreOffice; a clear error when it is missing."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise WriteError(
            f"LibreOffice is not installed here, so no PDF was made; {paper} is written: open it in Word "
            "and save it as PDF, or install LibreOffice (soffice) and run again with --pdf"
        )
    target = paper.with_suffix(".pdf")
    with tempfile.TemporaryDirectory() as folder:
        command = [
            soffice,
            f"-env:UserInstallation=file://{folder}/profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            folder,
            str(paper),
        ]
        done = subprocess.run(command, capture_output=True, timeout=PDF_TIMEOUT, check=False)
        made = Path(folder) / f"{paper.stem}.pdf"
        if done.returncode != 0 or not made.is_file():
            raise WriteError(f"LibreOffice could not convert {paper} to PDF: {done.stderr.decode(errors='replace')}")
        atomic_write(target, made.read_bytes())
    return target


def _objective_money(value: float, result) -> str:
    return money_short(value, result.objective_unit)


def _measure(result) -> str:
    if result.scenario.objective == "outcomes":
        return "the outcome value net of shortfall penalties (present value)"
    return "the cost (spending, present value)"


def _risk_sentence(risks: Risks, result) -> str:
    """The sweep in one sentence for the executive summary."""
    sentence = (
        f"Risk: in {risks.samples:,} runs with the ranged evidence drawn at random (Low to High, seed "
        f"{risks.seed}), {_measure(result)} is between {_objective_money(risks.p10, result)} (P10) and "
        f"{_objective_money(risks.p90, result)} (P90), median {_objective_money(risks.p50, result)}"
    )
    if risks.optimal < risks.samples:
        sentence += f"; {risks.samples - risks.optimal:,} runs have no feasible plan"
    if risks.unsure:
        outcome, year, chance = risks.unsure[0]
        sentence += f"; the target least sure to be met is {outcome} in {year} ({chance:.0%} of runs)"
    else:
        sentence += "; every yearly target is met in every run"
    return sentence + " (section 7)."


def _risks_section(document, risks: Risks, result) -> None:
    document.add_heading("7. Risks", 1)
    text = _risk_sentence(risks, result).removeprefix("Risk: ").replace(" (section 7).", ".")
    document.add_paragraph(text[:1].upper() + text[1:])
    if risks.unsure:
        _lead(document, "The targets least sure to be met (share of runs that meet them):")
        for outcome, year, chance in risks.unsure:
            document.add_paragraph(f"{outcome}, {year}: {chance:.0%}", style="List Bullet")
    if risks.movers:
        _lead(
            document,
            f"What moves it most ({_measure(result).removeprefix('the ')}, top third of draws less bottom third):",
        )
        for name, swing in risks.movers:
            document.add_paragraph(
                f"{name.removeprefix('input ')}: {_objective_money(swing, result)}", style="List Bullet"
            )


def _money_table(document, table: MoneyTable) -> None:
    grid = document.add_table(rows=1, cols=len(table.years) + 2)
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, [table.first_header, *table.years, "Total"]):
        cell.text = text
        _bold(cell)
    for index, (name, values, total) in enumerate(zip(table.names, table.cells, table.row_totals)):
        marked = table.marks[index] if table.marks else False
        cells = grid.add_row().cells
        cells[0].text = f"{name} *" if marked else name
        for cell, value in zip(cells[1:], [*values, total]):
            _number(cell, table.text(value))
    cells = grid.add_row().cells
    cells[0].text = "Total"
    _bold(cells[0])
    for cell, value in zip(cells[1:], [*table.column_totals, table.total]):
        _number(cell, table.text(value), bold=True)
    _small(grid)
    _widths(grid, [Cm(6.0)] + [Cm(2.0)] * (len(table.years) + 1))


def _widths(table, widths) -> None:
    """Fixed column widths (Word reads the cells', LibreOffice the grid's)."""
    table.autofit = False
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width
    for column, width in zip(table.columns, widths):
        column.width = width


def _outcomes_table(document, result) -> None:
    years = result.place.year_labels
    last = years[-1]
    by_outcome_year = result.tables.outcomes.keyed("Outcome", "Year")
    document.add_paragraph(
        f"Outcomes achieved in {last} against their targets (units as each outcome states; every year is in "
        "the Outcomes achieved sheet)."
    )
    grid = document.add_table(rows=1, cols=4)
    grid.style = "Table Grid"
    for cell, text in zip(grid.rows[0].cells, ["Outcome", f"Achieved {last}", f"Target {last}", "% of target"]):
        cell.text = text
        _bold(cell)
    for outcome in result.place.outcomes.values():
        achieved = float(by_outcome_year[outcome.code, last]["Achieved"])
        target = by_outcome_year[outcome.code, last]["Target"]
        cells = grid.add_row().cells
        cells[0].text = f"{outcome.name} ({outcome.unit})" if outcome.unit else outcome.name
        _number(cells[1], quantity(achieved))
        if target is not None:
            _number(cells[2], quantity(float(target)))
            if target:
                _number(cells[3], f"{achieved / float(target):.0%}")
    _small(grid)
    _widths(grid, [Cm(8.0), Cm(2.6), Cm(2.6), Cm(2.2)])


def _spending_chart(table: MoneyTable):
    """Stacked bars by year: the pooled programmes as one hatched band, the largest other
    programmes and 'Other', so the bars add up to the table's column totals. The axis
    starts at zero."""
    series = [(name, values, pooled) for name, values, pooled, _ in table.chart_bands(TOP_PROGRAMMES)]
    return _stacked(table, series, f"Spending by programme ({table.label}; hatched: pooled)")


def _funding_chart(table: MoneyTable):
    series = [(name, values, False) for name, values in zip(table.names, table.cells)]
    return _stacked(table, series, f"Funding used by partner ({table.label})")


def _stacked(table: MoneyTable, series, title: str):
    figure, axes = plt.subplots(figsize=(8, 4.2), dpi=150)
    bottom = [0.0] * len(table.years)
    colours = plt.get_cmap("tab20").colors
    for number, (name, values, hatched) in enumerate(series):
        axes.bar(
            table.years,
            values,
            bottom=bottom,
            label=name if len(name) <= 48 else name[:45] + "...",
            color=colours[number % len(colours)],
            hatch="//" if hatched else None,
            edgecolor="white",
            linewidth=0.5,
        )
        bottom = [b + v for b, v in zip(bottom, values)]
    axes.set_ylim(bottom=0)
    axes.set_ylabel(table.label)
    axes.set_title(title, fontsize=10)
    axes.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    axes.legend(fontsize=6.5, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    return figure


def _chart(document, figure) -> None:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    buffer.seek(0)
    document.add_picture(buffer, width=CHART_WIDTH)
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.paragraphs[-1].paragraph_format.keep_together = True


def _lead(document, text: str) -> None:
    """A paragraph that introduces what follows, kept on its page."""
    document.add_paragraph(text).paragraph_format.keep_with_next = True


def _number(cell, text: str, bold: bool = False) -> None:
    cell.text = text
    paragraph = cell.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    if bold:
        _bold(cell)


def _bold(cell) -> None:
    for run in cell.paragraphs[0].runs:
        run.bold = True


def _small(table) -> None:
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(8)
