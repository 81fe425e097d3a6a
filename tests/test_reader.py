"""The fast reader (python-calamine) reads exactly what openpyxl reads."""

from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

import pooling
from pooling import schema
from pooling.synthetic import generate_place, write_workbook
from pooling.validate import ValidationError, validate
from pooling.xlsx.read import RawSheet, RawWorkbook, read_workbook

from .helpers import place_sheets, write_sheets

ROOT = Path(__file__).resolve().parent.parent


def read_with_openpyxl(path: Path) -> RawWorkbook:
    """The sheets as openpyxl reads them (values as last calculated), for comparison."""
    fast = read_workbook(path, {sheet.key for sheet in schema.SHEETS}, schema.normalise)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    for key, raw in fast.sheets.items():
        sheet = book[raw.title]
        sheet.reset_dimensions()
        rows = [
            (n, values)
            for n, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(v is not None for v in values)
        ]
        sheets[key] = RawSheet(raw.title, rows, raw.uncalculated, raw.errors)
    book.close()
    return RawWorkbook(fast.path, fast.package, sheets)


@pytest.mark.parametrize("seed", range(8))
def test_the_same_place_whichever_reader(tmp_path, seed):
    path = tmp_path / "place.xlsx"
    write_workbook(generate_place(seed, partners=4, programmes=7), path, messy=seed)
    fast, _ = pooling.load(path)
    slow = validate(read_with_openpyxl(path))
    for name in ("partners", "streams", "programmes", "outcomes", "effects", "savings"):
        assert getattr(fast, name) == getattr(slow, name), name
    assert (fast.name, fast.base_year, fast.years, fast.units, fast.discount_rate) == (
        slow.name, slow.base_year, slow.years, slow.units, slow.discount_rate
    )  # fmt: skip


def test_the_example_reads_the_same(tmp_path):
    fast, _ = pooling.load(ROOT / "spreadsheets" / "example.xlsx")
    slow = validate(read_with_openpyxl(ROOT / "spreadsheets" / "example.xlsx"))
    assert fast.streams == slow.streams and fast.outcomes == slow.outcomes and fast.effects == slow.effects


def test_an_error_cell_is_reported_by_cell_not_read_as_blank(tmp_path):
    # Max holds #REF! (a broken formula): read as blank it would mean "no limit".
    path = tmp_path / "errors.xlsx"
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("G", "A", "grant", 100, None, None)],
        programmes=[("P", "A", "no", 0, None, None)],
    )
    book = xlsxwriter.Workbook(path)
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if value is not None:
                    sheet.write(r, c, value)
    book.get_worksheet_by_name("Programmes").write_formula("G2", "=#REF!*2", None, "#REF!")
    book.get_worksheet_by_name("Funding").write_formula("D3", "=1/0", None, "#DIV/0!")  # a row of its own
    book.close()
    with pytest.raises(ValidationError) as caught:
        pooling.load(path)
    found = {problem.where: problem.message for problem in caught.value.problems}
    assert found["Programmes!G2"] == "the cell holds the Excel error #REF!; correct it and save again"
    assert found["Funding!D3"] == "the cell holds the Excel error #DIV/0!; correct it and save again"


def test_numbers_codes_and_blanks_read_as_written(tmp_path):
    path = write_sheets(
        tmp_path / "w.xlsx",
        {"Partners": [["Partner", "Name"], [7, None], [7.5, 0], ["007", ""], [None, None], [0, False]]},
    )
    rows = read_workbook(path, {"partners"}, schema.normalise).sheets["partners"].rows
    assert [number for number, _ in rows] == [1, 2, 3, 4, 6]  # row 5 is blank; a row of zeros is not
    assert [values[0] for _, values in rows] == ["Partner", 7, 7.5, "007", 0]
    assert rows[2][1][1] == 0 and rows[4][1][1] is False


def test_a_utf16_sheet_is_read_as_excel_and_libreoffice_read_it(tmp_path):
    from .corpus import Package as Parts
    from .corpus import _contract_workbook, example_like_sheets

    base = _contract_workbook(example_like_sheets())
    plain = tmp_path / "plain.xlsx"
    plain.write_bytes(base)
    parts = Parts.read(base)
    partners = parts.sheet_part("Partners")
    xml = parts.parts[partners].replace(b'encoding="UTF-8"', b'encoding="UTF-16"')
    parts.put(partners, b"\xff\xfe" + xml.decode("utf-8").encode("utf-16-le"))
    wide = parts.save(tmp_path / "utf16.xlsx")
    expected, _ = pooling.load(plain)
    place, _ = pooling.load(wide)
    assert place.partners == expected.partners
