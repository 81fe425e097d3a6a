"""Every validation rule of the contract, each asserting the exact cell it names."""

import copy
import re
import zipfile

import numpy as np
import openpyxl
import pytest
import xlsxwriter
from scipy import sparse

import pooling
from pooling.errors import SolverError
from pooling.rule import check_residuals
from pooling.validate import ValidationError

from .helpers import place_sheets, write_sheets


def valid_sheets():
    return place_sheets(
        partners=[("A", "council", 0.1, 0.5), ("B", "health", None, None)],
        funding=[
            ("CT", "A", "council tax", 100, None, None),
            ("G", "A", "grant", 50, "yes", "P1"),
            ("H", "B", "other", 80, "no", None),
        ],
        programmes=[("P1", "A", "yes", 10, 5, 60), ("P2", "B", "no", 20, None, None)],
        outcomes=[("O1", 1000, 2, None), ("O2", 500, None, 800)],
        effects=[("P1", "O1", 10, 30), ("P1", "O1", 5, None), ("P2", "O2", 3, None)],
        savings=[("O1", "B", 400, 0.5, 1)],
        years=3,
    )


def problems(tmp_path, sheets, name="bad.xlsx", path=None) -> dict[str, str]:
    """{Sheet!Cell: message} for a workbook that must fail validation (``sheets`` written,
    or the workbook at ``path``)."""
    path = path or write_sheets(tmp_path / name, sheets)
    with pytest.raises(ValidationError) as caught:
        pooling.load(path)
    found = {}
    for problem in caught.value.problems:
        found.setdefault(problem.where, problem.message)
    return found


def test_valid_workbook_loads(tmp_path):
    place, _ = pooling.load(write_sheets(tmp_path / "ok.xlsx", valid_sheets()))
    assert list(place.partners) == ["A", "B"]
    assert place.partners["A"].pool_min == pytest.approx(0.1)
    assert place.partners["B"].pool_max == pytest.approx(1.0)  # blank = 100%
    assert place.streams["G"].ring_fenced_to == ("P1",)
    assert place.streams["CT"].poolable is True  # blank = yes
    assert place.programmes["P2"].pooled is False
    assert place.programmes["P2"].max is None  # blank = no limit
    assert place.outcomes["O1"].penalty == pytest.approx(1000)  # blank = value per unit
    assert place.outcomes["O2"].targets == (None, None, None)
    assert [segment.width for segment in place.effects[("P1", "O1")]] == [30, None]
    assert place.savings[0].lag == 1
    assert place.year_labels == ["2011/12", "2012/13", "2013/14"]


def test_every_problem_is_listed_at_once(tmp_path):
    sheets = valid_sheets()
    sheets["Funding"][1][3] = -120  # Funding!D2: negative money
    sheets["Programmes"][1][5] = 70  # Programmes!F2: Min 70 > Max 60
    sheets["Partners"][1][3] = 150  # Partners!D2: 150%
    sheets["Savings"][1][4] = 0  # Savings!E2: lag 0
    sheets["Effects"][2][2] = 12  # Effects!C3: rate rises from 10 to 12
    found = problems(tmp_path, sheets)
    assert set(found) == {"Funding!D2", "Programmes!F2", "Partners!D2", "Savings!E2", "Effects!C3"}
    assert found["Funding!D2"] == "Base is negative (-120)"
    assert "Min (70) is above Max (60)" in found["Programmes!F2"]
    assert "150%, outside 0-100%" in found["Partners!D2"]
    assert "1 or more" in found["Savings!E2"]
    assert "must not increase" in found["Effects!C3"]


def test_missing_sheet_and_missing_column(tmp_path):
    sheets = valid_sheets()
    del sheets["Effects"]
    sheets["Funding"][0][3] = "Amount"  # no Base column
    found = problems(tmp_path, sheets)
    assert "the sheet is missing" in found["Effects"]
    assert found["Funding!1:1"] == "missing column 'Base'"


def test_a_misspelt_header_is_named_with_its_cell(tmp_path):
    sheets = valid_sheets()
    sheets["Effects"][0][2] = "Per £ m"  # Effects!C1, a space too many
    sheets["Savings"][0][3] = "Cashable"  # Savings!D1, the % left off
    found = problems(tmp_path, sheets)
    assert found["Effects!C1"] == "missing column 'Per £m' (is 'Per £ m' meant to be 'Per £m'?)"
    assert found["Savings!D1"] == "missing column 'Cashable %' (is 'Cashable' meant to be 'Cashable %'?)"


@pytest.mark.parametrize(
    "sheet, column",
    [
        ("Partners", "Pool max %"),
        ("Funding", "Poolable"),
        ("Programmes", "Min"),
        ("Outcomes", "Unit"),
        ("Savings", "Lag"),
    ],
)
def test_every_contract_column_must_be_present_even_where_blanks_have_a_default(tmp_path, sheet, column):
    sheets = valid_sheets()
    index = sheets[sheet][0].index(column)
    for row in sheets[sheet]:
        del row[index]
    found = problems(tmp_path, sheets)
    assert found == {f"{sheet}!1:1": f"missing column '{column}'"}


def test_unknown_codes_name_the_cell_and_suggest(tmp_path):
    sheets = valid_sheets()
    sheets["Funding"][2][1] = "AA"  # Funding!B3
    sheets["Funding"][2][5] = "P1, P9"  # Funding!F3
    sheets["Programmes"][2][2] = "C"  # Programmes!C3
    sheets["Effects"][3][1] = "O3"  # Effects!B4
    sheets["Savings"][1][1] = "b"  # Savings!B2: codes are matched exactly
    found = problems(tmp_path, sheets)
    assert found["Funding!B3"] == "unknown partner 'AA' (did you mean 'A'?)"
    assert found["Funding!F3"].startswith("unknown programme 'P9'")
    assert found["Programmes!C3"].startswith("unknown partner 'C'")
    assert found["Effects!B4"].startswith("unknown outcome 'O3'")
    assert found["Savings!B2"].startswith("unknown partner 'b'")


def test_duplicate_codes(tmp_path):
    sheets = valid_sheets()
    sheets["Programmes"][2][0] = "P1"  # Programmes!A3 repeats P1
    found = problems(tmp_path, sheets)
    assert "Programmes!A3" in found
    assert "used twice" in found["Programmes!A3"]


def test_non_numbers_and_wrong_choices(tmp_path):
    sheets = valid_sheets()
    sheets["Funding"][1][3] = "lots"  # Funding!D2
    sheets["Partners"][1][2] = "county"  # Partners!C2
    sheets["Funding"][2][4] = "maybe"  # Funding!E3
    sheets["Funding"][3][2] = "rates"  # Funding!C4
    sheets["Outcomes"][1][3] = None  # Outcomes!D2: Value per unit is required
    found = problems(tmp_path, sheets)
    assert found["Funding!D2"] == "Base must be a number, not 'lots'"
    assert found["Partners!C2"].startswith("Type 'county' is not one of")
    assert found["Funding!E3"] == "Poolable must be yes or no, not 'maybe'"
    assert found["Funding!C4"].startswith("Source 'rates' is not one of")
    assert found["Outcomes!D2"] == "Value per unit is blank"


def test_percentages(tmp_path):
    sheets = valid_sheets()
    sheets["Partners"][1][3] = 60  # Partners!D2: 60% ...
    sheets["Partners"][1][4] = 0.5  # ... above Pool max % 50%
    sheets["Partners"][2][4] = -5  # Partners!E3: negative
    sheets["Savings"][1][3] = 101  # Savings!D2: 101%
    found = problems(tmp_path, sheets)
    assert "Pool min % (60%) is above Pool max % (50%)" in found["Partners!D2"]
    assert "negative" in found["Partners!E3"]
    assert "101%, outside 0-100%" in found["Savings!D2"]


def test_effect_segments(tmp_path):
    sheets = valid_sheets()
    sheets["Effects"].append(["P2", "O2", 2, None])  # Effects!D5: a second open segment
    sheets["Effects"].append(["P2", "O1", 4, 0])  # Effects!D6: Up to 0
    found = problems(tmp_path, sheets)
    assert "only the last segment may have no limit" in found["Effects!D5"]
    assert "must be above zero" in found["Effects!D6"]


def test_lag_must_be_whole(tmp_path):
    sheets = valid_sheets()
    sheets["Savings"][1][4] = 1.5
    assert "whole number" in problems(tmp_path, sheets)["Savings!E2"]


def test_place_settings(tmp_path):
    sheets = valid_sheets()
    sheets["Place"][2][1] = "2010-2011"  # Place!B3: base year
    sheets["Place"][3][1] = 2.5  # Place!B4: years
    sheets["Place"][4][1] = "pounds"  # Place!B5: units
    sheets["Place"][5][1] = 3.5  # Place!B6: a percent typed as a number
    del sheets["Place"][1]  # no Place name at all
    found = problems(tmp_path, sheets)
    assert "Base year must be a financial year" in found["Place!B2"]
    assert "Years must be a whole number" in found["Place!B3"]
    assert "Units must be £, £000 or £m" in found["Place!B4"]
    assert "(3.5% is 0.035)" in found["Place!B5"]
    assert found["Place"] == "the setting 'Place' is missing"


def test_formula_without_a_calculated_value_names_the_cell(tmp_path):
    path = write_sheets(tmp_path / "formula.xlsx", valid_sheets())
    book = openpyxl.load_workbook(path)
    book["Funding"]["D3"] = "=D2*2"  # openpyxl saves formulas with no cached value
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        pooling.load(path)
    (problem,) = caught.value.problems
    assert problem.where == "Funding!D3"
    assert "=D2*2 has no calculated value" in problem.message


def test_a_formula_whose_result_is_empty_text_reads_as_blank(tmp_path):
    path = write_sheets(tmp_path / "formula.xlsx", valid_sheets())
    book = openpyxl.load_workbook(path)
    book["Outcomes"]["E2"] = '=IF(D2>0,"",1)'
    book.save(path)
    # As Excel saves it once calculated: the formula, and its result, the empty text.
    with zipfile.ZipFile(path) as archive:
        parts = {info: archive.read(info) for info in archive.infolist()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in parts.items():
            if b'<c r="E2"' in data and b"IF(D2" in data:
                data = re.sub(rb'<c r="E2"[^>]*>.*?</c>', b'<c r="E2" t="str"><f>IF(D2&gt;0,"",1)</f><v></v></c>', data)
            # Excel, having calculated, no longer asks to be recalculated on opening (openpyxl does).
            data = data.replace(b' fullCalcOnLoad="1"', b"")
            archive.writestr(info, data)
    place, _ = pooling.load(path)
    assert place.outcomes["O1"].targets == (None, None, None)  # blank Target = none, as the sheet shows


def test_reserved_stream_codes(tmp_path):
    sheets = valid_sheets()
    sheets["Funding"][1][0] = "SAVINGS-B"
    assert "reserved" in problems(tmp_path, sheets)["Funding!A2"]


def test_headers_any_case_sheets_any_order_extras_kept(tmp_path):
    sheets = valid_sheets()
    sheets["Partners"][0] = ["partner", "NAME", " Type ", "pool  MIN %", "Pool Max %", "Notes"]
    reordered = {name: sheets[name] for name in reversed(list(sheets))}
    reordered["Read me"] = [["anything"]]
    reordered["Funding"].insert(0, ["Funding streams of Testshire"])  # a title above the header
    place, _ = pooling.load(write_sheets(tmp_path / "ok.xlsx", reordered))
    assert place.partners["A"].pool_max == pytest.approx(0.5)
    assert set(place.streams) == {"CT", "G", "H"}


def test_codes_are_text(tmp_path):
    sheets = valid_sheets()
    path = write_sheets(tmp_path / "codes.xlsx", sheets)
    book = openpyxl.load_workbook(path)
    for sheet, cell in (("Partners", "A2"), ("Funding", "B2"), ("Funding", "B3"), ("Programmes", "C2")):
        book[sheet][cell].value = "007"
        book[sheet][cell].number_format = "@"
    book.save(path)
    place, _ = pooling.load(path)
    assert "007" in place.partners
    assert place.streams["CT"].partner == "007"
    # The number 7 is not the code 007.
    book["Funding"]["B2"].value = 7
    book.save(path)
    with pytest.raises(ValidationError) as caught:
        pooling.load(path)
    assert any(p.where == "Funding!B2" and "unknown partner '7'" in p.message for p in caught.value.problems)


def test_year_column_outside_the_model_is_noted_not_an_error(tmp_path):
    sheets = copy.deepcopy(valid_sheets())
    sheets["Outcomes"][0].append("2020/21")
    sheets["Outcomes"][1].append(5)
    place, _ = pooling.load(write_sheets(tmp_path / "ok.xlsx", sheets))
    assert any("2020/21" in warning for warning in place.warnings)


@pytest.mark.parametrize("base", [1e25, 1e300, 2e9])
def test_money_beyond_any_public_budget_is_refused_by_cell(tmp_path, base):
    # In £000, a Base of 2e9 is £2 trillion: above the £1 trillion ceiling, like 1e25
    # (which HiGHS once solved to an objective of £0).
    sheets = valid_sheets()
    sheets["Funding"][2][3] = base  # Funding!D3
    found = problems(tmp_path, sheets)
    assert set(found) == {"Funding!D3"}
    assert "more than any public body holds" in found["Funding!D3"] and "£000" in found["Funding!D3"]


def test_a_large_budget_within_reality_and_a_tiny_price_are_told_apart(tmp_path):
    sheets = valid_sheets()
    sheets["Funding"][2][3] = 9e8  # £900bn in £000: within the ceiling
    sheets["Outcomes"][1][3] = 1e-9  # Value per unit of a billionth of a pound
    found = problems(tmp_path, sheets)
    assert set(found) == {"Outcomes!D2"}
    assert "below a millionth of a penny" in found["Outcomes!D2"]


def test_an_optimum_that_breaks_a_row_is_refused():
    # x1 + x2 <= 10 with x = (6, 5): broken by 1 in 10, far beyond 1e-6.
    matrix = sparse.csr_matrix(np.array([[1.0, 1.0]]))
    lower, upper = np.array([0.0, 0.0]), np.array([np.inf, np.inf])
    rows_lower, rows_upper = np.array([-np.inf]), np.array([10.0])
    check_residuals(matrix, np.array([5.0, 5.0]), lower, upper, rows_lower, rows_upper, ["x1", "x2"], "test")
    with pytest.raises(SolverError, match="breaks a constraint"):
        check_residuals(matrix, np.array([6.0, 5.0]), lower, upper, rows_lower, rows_upper, ["x1", "x2"], "test")


def test_a_formula_in_a_workbook_that_asks_to_be_recalculated_is_not_trusted(tmp_path):
    # XlsxWriter stores 0 as a formula's result and asks for recalculation on opening
    # (fullCalcOnLoad): the stored 0 is not the formula's value, so it is not read.
    path = tmp_path / "asks.xlsx"
    sheets = valid_sheets()
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    book.get_worksheet_by_name("Funding").write_formula("D3", "=D2*0.5", None, 0)
    book.close()
    found = problems(tmp_path, None, path=path)
    assert set(found) == {"Funding!D3"}
    assert "=D2*0.5 may hold an out-of-date value" in found["Funding!D3"]


def test_text_longer_than_an_excel_cell_holds_is_refused_by_cell(tmp_path):
    # A name of 1,000,000 characters was accepted, solved, and then could not be written.
    # XlsxWriter will not write such a cell, so the text is put into the package after.
    sheets = valid_sheets()
    sheets["Programmes"][1][1] = "PLACEHOLDER-NAME"
    path = write_sheets(tmp_path / "long.xlsx", sheets)
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts = {name: data.replace(b"PLACEHOLDER-NAME", b"x" * 40_000) for name, data in parts.items()}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    found = problems(tmp_path, None, path=path)
    assert set(found) == {"Programmes!B2"}
    assert "40,000 characters long; Excel holds at most 32,767" in found["Programmes!B2"]
