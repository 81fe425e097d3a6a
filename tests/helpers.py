"""Small contract workbooks for tests, written with openpyxl directly (not by pooling)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import pooling
from pooling.scenario import scenario_from_dict

PARTNER_COLUMNS = ("Partner", "Name", "Type", "Pool min %", "Pool max %")
FUNDING_COLUMNS = ("Stream", "Partner", "Source", "Base", "Poolable", "Ring-fenced to")
PROGRAMME_COLUMNS = ("Programme", "Name", "Lead", "Pooled", "Baseline", "Min", "Max")
OUTCOME_COLUMNS = ("Outcome", "Name", "Unit", "Value per unit", "Target", "Shortfall penalty")
EFFECT_COLUMNS = ("Programme", "Outcome", "Per £m", "Up to")
SAVING_COLUMNS = ("Outcome", "Beneficiary", "£ per unit", "Cashable %", "Lag")


def write_sheets(path: Path, sheets: dict[str, list[list]]) -> Path:
    """Each sheet as a list of rows (the first is usually the header), in the order given.
    Text is written as text, even when it starts with '='."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for number, row in enumerate(rows, start=1):
            for column, value in enumerate(row, start=1):
                if value is None:
                    continue
                cell = sheet.cell(number, column, value)
                if isinstance(value, str):
                    cell.data_type = "s"
    book.save(path)
    return path


def place_sheets(
    partners,
    funding,
    programmes,
    outcomes=(),
    effects=(),
    savings=None,
    years=1,
    units="£000",
    discount_rate=0.0,
    base_year="2010/11",
    target_years: dict[str, dict[str, float]] | None = None,
) -> dict[str, list[list]]:
    """Compact rows to contract sheets.

    partners: (code, type, pool min %, pool max %)
    funding: (stream, partner, source, base, poolable, ring-fenced to)
    programmes: (code, lead, pooled, baseline, min, max)
    outcomes: (code, value per unit, target, shortfall penalty)
    effects: (programme, outcome, per £m, up to)
    savings: (outcome, beneficiary, £ per unit, cashable %, lag)
    target_years: {"2012/13": {outcome: target}} adds year columns to Outcomes
    """
    target_years = target_years or {}
    outcome_header = list(OUTCOME_COLUMNS) + list(target_years)
    sheets = {
        "Place": [
            ["Setting", "Value"],
            ["Place", "Testshire"],
            ["Base year", base_year],
            ["Years", years],
            ["Units", units],
            ["Discount rate", discount_rate],
        ],
        "Partners": [list(PARTNER_COLUMNS)] + [[c, f"Partner {c}", t, lo, hi] for c, t, lo, hi in partners],
        "Funding": [list(FUNDING_COLUMNS)] + [list(row) for row in funding],
        "Programmes": [list(PROGRAMME_COLUMNS)]
        + [[c, f"Programme {c}", lead, pooled, base, lo, hi] for c, lead, pooled, base, lo, hi in programmes],
        "Outcomes": [outcome_header]
        + [
            [c, f"Outcome {c}", "units", value, target, penalty] + [target_years[y].get(c) for y in target_years]
            for c, value, target, penalty in outcomes
        ],
        "Effects": [list(EFFECT_COLUMNS)] + [list(row) for row in effects],
    }
    if savings is not None:
        sheets["Savings"] = [list(SAVING_COLUMNS)] + [list(row) for row in savings]
    return sheets


def small_place(folder: Path) -> Path:
    """A small place of three partners for analyses that solve it many times (sweeps,
    coalitions): pooled programmes, a target, cashable savings, and Low/High ranges on
    every effect and saving; with a scenario file, ``scenario.toml``, beside it."""
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, 0.6), ("C", "police", None, None)],
        funding=[
            ("A-CT", "A", "council tax", 100, None, None),
            ("A-G", "A", "grant", 60, None, None),
            ("B-G", "B", "grant", 80, None, None),
            ("C-G", "C", "grant", 40, None, None),
            ("C-F", "C", "fees", 10, None, None),
        ],
        programmes=[
            ("PA", "A", "yes", 60, 20, None),
            ("PB", "B", "yes", 50, 10, 90),
            ("PC", "C", "no", 30, 10, None),
            ("JOINT", "A", "yes", 0, None, 40),
        ],
        outcomes=[("O1", 2000, 120, None), ("O2", 600, None, None)],
        effects=[
            ("PA", "O1", 900, 50),
            ("PA", "O1", 400, None),
            ("PB", "O1", 700, None),
            ("PB", "O2", 1500, None),
            ("PC", "O2", 1200, None),
            ("JOINT", "O1", 2500, 20),
            ("JOINT", "O1", 1000, None),
            ("JOINT", "O2", 2000, None),
        ],
        savings=[("O1", "B", 800, 0.5, 1), ("O2", "C", 300, 1, 1)],
        years=3,
        discount_rate=0.035,
    )
    low_high = {"PA": (0.7, 1.2), "PB": (0.8, 1.1), "PC": (0.9, 1.3), "JOINT": (0.5, 1.4)}
    sheets["Effects"][0] += ["Low", "High"]
    for row in sheets["Effects"][1:]:
        low, high = low_high[row[0]]
        row += [row[2] * low, row[2] * high]
    sheets["Savings"][0] += ["Low", "High"]
    for row in sheets["Savings"][1:]:
        row += [row[2] * 0.5, row[2] * 1.5]
    write_sheets(folder / "small.xlsx", sheets)
    scenario = folder / "scenario.toml"
    scenario.write_text(
        'name = "Small place, pooled, grants cut"\nworkbook = "small.xlsx"\nsolver = "highs"\n'
        "[change]\nsource = { grant = -0.05 }\n",
        encoding="utf-8",
    )
    return scenario


def solve(tmp_path: Path, sheets: dict, name: str = "place.xlsx", **levers) -> pooling.Result:
    """Write the sheets, solve them under ``levers`` (scenario keys), return the result."""
    path = write_sheets(tmp_path / name, sheets)
    data = {"name": "test", "workbook": str(path), **levers}
    scenario = scenario_from_dict(data)
    place, package = pooling.load(path)
    return pooling.solve_scenario(scenario, place, package)


def shadow(result: pooling.Result, family: str, t: int = 1, **keys) -> float:
    """The shadow price of the one constraint of ``family`` about ``keys`` in year t."""
    found = [
        info
        for info in result.model.registry.values()
        if info.family == family and info.year == t and all(info.keys.get(k) == v for k, v in keys.items())
    ]
    assert len(found) == 1, f"expected one {family} constraint for {keys} in year {t}, found {len(found)}"
    return result.solution.shadow_prices[found[0].name]


def has_constraint(result: pooling.Result, family: str, **keys) -> bool:
    return any(
        info.family == family and all(info.keys.get(k) == v for k, v in keys.items())
        for info in result.model.registry.values()
    )


def printed_text(workbook: Path, folder: Path) -> str:
    """Open ``workbook`` in LibreOffice, print it to PDF, and return the printed text.

    Skips the test when LibreOffice is not installed; checks the workbook opened and
    printed, then skips if poppler's pdftotext is missing (the words cannot be read).
    """
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice is not installed")
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "spreadsheets"))
    from render import to_pdf

    pdf = to_pdf(workbook, folder / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000  # opened and printed
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler's pdftotext is not installed: the printed words are not checked")
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
