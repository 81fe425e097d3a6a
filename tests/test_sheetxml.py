"""Cell edits spliced into a worksheet part: values, types, styles and every other byte kept."""

from __future__ import annotations

import io
import random
import re
import warnings
import zipfile
from xml.etree import ElementTree

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font
from openpyxl.worksheet.datavalidation import DataValidation

from pooling.xlsx.cells import edit_cells
from pooling.xlsx.container import NS_MAIN, Package, PackageError, scan
from pooling.xlsx.refs import cell_ref

MAIN = f"{{{NS_MAIN}}}"
HOSTILE = '=HYPERLINK("x")'


# -- helpers ----------------------------------------------------------------------------------


def key(value):
    """A value with its exact type, comparable without float ==: floats by their exact bits."""
    if isinstance(value, float):
        return ("float", value.hex())
    return (type(value).__name__, repr(value))


def sheet_part(data: bytes, title: str) -> str:
    package = Package.from_bytes(data)
    return next(sheet.part for sheet in package.sheets if sheet.name == title)


def parts_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def replace_part(data: bytes, part: str, new: bytes) -> bytes:
    """The package with one part replaced; every other part copied byte for byte, in order."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            target.writestr(info, new if info.filename == part else source.read(info))
    return buffer.getvalue()


def edit_workbook(data: bytes, title: str, values, new_rows=None, style_row=None) -> tuple[bytes, bytes, bytes]:
    """(new workbook, old sheet part, new sheet part)."""
    part = sheet_part(data, title)
    old = parts_of(data)[part]
    new = edit_cells(old, values, new_rows=new_rows, style_row=style_row)
    return replace_part(data, part, new), old, new


def load(data: bytes):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return openpyxl.load_workbook(io.BytesIO(data), data_only=True)


def dimension(xml: bytes) -> str | None:
    node = ElementTree.fromstring(xml).find(MAIN + "dimension")
    return None if node is None else node.get("ref")


def section(xml: bytes, local: str) -> bytes:
    """The whole <local>...</local> element (the first), as bytes."""
    tag = next(tag for tag in scan(xml, max_depth=1) if tag.depth == 1 and tag.local == local)
    return xml[tag.start : tag.close]


def without(xml: bytes, refs: set[str], rows: set[int]) -> bytes:
    """The part with the given cells and rows cut out, the spans of rows in ``rows`` and the
    dimension's ref blanked: what must be byte for byte the same before and after an edit."""
    cuts = []
    for tag in scan(xml, max_depth=3):
        start_tag = xml[tag.start : tag.start_end]
        if tag.local == "dimension":
            match = re.search(rb'\sref="([^"]*)"', start_tag)
            cuts.append((tag.start + match.start(1), tag.start + match.end(1)))
        if tag.local == "c" and tag.depth == 3:
            match = re.search(rb'\sr="([A-Z]+[0-9]+)"', start_tag)
            if match and match.group(1).decode() in refs:
                cuts.append((tag.start, tag.close))
        if tag.local == "row" and tag.depth == 2:
            number = int(re.search(rb'\sr="(\d+)"', start_tag).group(1))
            match = re.search(rb'\sspans="([^"]*)"', start_tag)
            if match and number in rows:
                cuts.append((tag.start + match.start(1), tag.start + match.end(1)))
    out, position = [], 0
    for start, stop in sorted(cuts):
        if start < position:  # inside something already cut
            continue
        out.append(xml[position:start])
        position = stop
    out.append(xml[position:])
    return b"".join(out)


def without_empty_rows(xml: bytes, rows: set[int]) -> bytes:
    """``without`` for the new part: the rows that were added are cut out whole."""
    cuts = []
    for tag in scan(xml, max_depth=2):
        if tag.local == "row" and tag.depth == 2:
            number = int(re.search(rb'\sr="(\d+)"', xml[tag.start : tag.start_end]).group(1))
            if number in rows:
                cuts.append((tag.start, tag.close))
    out, position = [], 0
    for start, stop in sorted(cuts):
        out.append(xml[position:start])
        position = stop
    out.append(xml[position:])
    return b"".join(out)


def assert_in_order(xml: bytes) -> None:
    """Rows ascend by number and cells by column, each cell inside its own row (numbers
    implied by position where r is absent, as Excel reads them)."""
    row_number, column = 0, 0
    for tag in scan(xml, max_depth=3):
        start_tag = xml[tag.start : tag.start_end]
        match = re.search(rb'\sr="([^"]*)"', start_tag)
        if tag.local == "row" and tag.depth == 2:
            number = int(match.group(1)) if match else row_number + 1
            assert number > row_number, f"row {number} after row {row_number}"
            row_number, column = number, 0
        elif tag.local == "c" and tag.depth == 3:
            if match:
                cell_row, cell_column = openpyxl.utils.cell.coordinate_to_tuple(match.group(1).decode())
                assert cell_row == row_number, f"cell {match.group(1)} in row {row_number}"
            else:
                cell_column = column + 1
            assert cell_column > column, f"column {cell_column} after column {column} in row {row_number}"
            column = cell_column


def grid(sheet) -> dict[tuple[int, int], tuple]:
    """Every cell holding a value, as {(row, column): key(value)}."""
    return {
        (cell.row, cell.column): key(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None
    }


def looks(sheet) -> dict[tuple[int, int], tuple]:
    """Every cell's value, number format and boldness."""
    return {
        (cell.row, cell.column): (key(cell.value), cell.number_format, bool(cell.font.b))
        for row in sheet.iter_rows()
        for cell in row
    }


# -- workbooks ---------------------------------------------------------------------------------


def openpyxl_book() -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    for column, title in enumerate(["Stream", "Amount", "Share", "Note"], start=1):
        sheet.cell(1, column, title).font = Font(bold=True)
    rows = [
        ("Council tax", 1200.5, 0.25, "core"),
        ("Health", 800, 0.125, "ring-fenced"),
        ("Police", 310.75, 0.5, None),
        ("Fire", 99, 0.0625, "=not a formula"),
        ("Grants", 42.125, 0.75, "last"),
    ]
    for number, row in enumerate(rows, start=2):
        for column, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = sheet.cell(number, column, value)
            if isinstance(value, str):
                cell.data_type = "s"
        sheet.cell(number, 2).number_format = "#,##0.00"
        sheet.cell(number, 3).number_format = "0.0%"
    sheet.row_dimensions[6].height = 21
    sheet["B7"] = "=SUM(B2:B6)"
    sheet["B7"].number_format = "#,##0.00"
    sheet["A7"] = "Total"
    sheet["A7"].font = Font(bold=True)
    sheet.merge_cells("E1:F1")
    sheet["E1"] = "Merged"
    validation = DataValidation(type="list", formula1='"core,ring-fenced"')
    sheet.add_data_validation(validation)
    validation.add("D2:D6")
    sheet.conditional_formatting.add("B2:B6", CellIsRule(operator="greaterThan", formula=["1000"], font=Font(b=True)))
    other = book.create_sheet("Other")
    other["A1"] = "untouched"
    other["B2"] = 3.5
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def xlsxwriter_book() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer)
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    percent = book.add_format({"num_format": "0.0%"})
    sheet = book.add_worksheet("Data")
    sheet.write_row(0, 0, ["Stream", "Amount", "Share", "Note"], bold)
    for index, (name, amount, share, note) in enumerate(
        [("Council tax", 1200.5, 0.25, "core"), ("Health", 800, 0.125, "ring-fenced"), ("Police", 310.75, 0.5, "x")]
    ):
        sheet.write_string(index + 1, 0, name)
        sheet.write_number(index + 1, 1, amount, money)
        sheet.write_number(index + 1, 2, share, percent)
        sheet.write_string(index + 1, 3, note)
    sheet.write_formula("B5", "=SUM(B2:B4)", money, 2311.25)
    sheet.set_row(3, 24)  # row 4 is taller
    sheet.merge_range("F1:G1", "Merged heading", bold)
    sheet.conditional_format("B2:B4", {"type": "data_bar", "data_bar_2010": True})
    sheet.data_validation("D2:D4", {"validate": "list", "source": ["core", "ring-fenced", "x"]})
    sheet.add_sparkline("H2", {"range": "Data!B2:C2"})
    book.add_worksheet("Other").write("A1", "untouched")
    book.close()
    return buffer.getvalue()


# -- workbooks written by openpyxl and by xlsxwriter ------------------------------------------------


def test_openpyxl_workbook_edits_read_back():
    data = openpyxl_book()
    values = {
        (2, 2): 1234.5,  # a number replaced, its format kept
        (3, 4): HOSTILE,  # text that looks like a formula
        (4, 2): None,  # cleared, its format kept
        (7, 2): 99,  # the SUM formula replaced by a number
        (5, 3): True,
        (3, 8): "beyond",  # a new cell in an existing row, past the used range
        (12, 1): "far",  # a new row through values
        (2, 1): 0.1 + 0.2,  # repr-exact
    }
    new_rows = [(9, {1: "New stream", 2: 42.25, 3: 0.125})]
    edited, old, new = edit_workbook(data, "Budget", values, new_rows=new_rows, style_row=6)
    assert_in_order(new)

    before, after = load(data)["Budget"], load(edited)["Budget"]
    assert key(after["B2"].value) == key(1234.5) and after["B2"].number_format == "#,##0.00"
    assert after["D3"].value == HOSTILE and after["D3"].data_type == "s"
    assert after["B4"].value is None and after["B4"].number_format == "#,##0.00"
    assert key(after["B7"].value) == key(99) and after["B7"].number_format == "#,##0.00"
    assert after["C5"].value is True and after["C5"].number_format == "0.0%"
    assert after["H3"].value == "beyond" and after["H3"].number_format == "General"
    assert after["A12"].value == "far"
    assert after["A2"].value.hex() == (0.1 + 0.2).hex()
    # The new row sits between 7 and 12 and takes row 6's number formats and height.
    assert after["A9"].value == "New stream"
    assert key(after["B9"].value) == key(42.25) and after["B9"].number_format == "#,##0.00"
    assert key(after["C9"].value) == key(0.125) and after["C9"].number_format == "0.0%"
    assert after.row_dimensions[9].height == pytest.approx(21)
    assert after["A8"].value is None and after["A10"].value is None

    edited_cells = set(values) | {(9, 1), (9, 2), (9, 3)}
    old_looks, new_looks = looks(before), looks(after)
    for position, look in old_looks.items():
        if position not in edited_cells:
            assert new_looks.get(position, (key(None), "General", False)) == look, cell_ref(*position)
    assert {str(merged) for merged in after.merged_cells.ranges} == {"E1:F1"}

    # The dimension grew to cover H3 and A12; the other sheet is untouched.
    assert dimension(old) == "A1:F7"
    assert dimension(new) == "A1:H12"
    assert grid(load(edited)["Other"]) == grid(load(data)["Other"])


def test_openpyxl_workbook_bytes_outside_the_edits_are_kept():
    data = openpyxl_book()
    values = {(2, 2): 5, (3, 4): HOSTILE, (7, 2): None, (3, 8): 1}
    edited, old, new = edit_workbook(data, "Budget", values, new_rows=[(9, {1: "x"})], style_row=6)
    part = sheet_part(data, "Budget")
    old_parts, new_parts = parts_of(data), parts_of(edited)
    assert list(old_parts) == list(new_parts)
    assert {name: body for name, body in old_parts.items() if name != part} == {
        name: body for name, body in new_parts.items() if name != part
    }
    for local in ("mergeCells", "dataValidations", "conditionalFormatting", "sheetViews", "pageMargins"):
        assert section(old, local) in new
    refs = {cell_ref(*position) for position in values} | {"A9"}
    assert without(old, refs, {3}) == without_empty_rows(without(new, refs, {3}), {9})


def test_xlsxwriter_workbook_edits_read_back():
    data = xlsxwriter_book()
    values = {
        (2, 1): "Council tax (revised)",  # a shared string replaced by an inline string
        (3, 4): 17,  # a shared string replaced by a number
        (2, 2): None,
        (5, 2): 2400,  # a formula with a cached value replaced
        (3, 3): HOSTILE,
        (4, 10): 3.75,  # beyond the sparkline column
    }
    edited, old, new = edit_workbook(data, "Data", values, new_rows=[(6, {1: "Added", 2: 7.5})], style_row=4)
    assert_in_order(new)
    before, after = load(data)["Data"], load(edited)["Data"]
    assert after["A2"].value == "Council tax (revised)" and after["A2"].data_type == "s"
    assert key(after["D3"].value) == key(17)
    assert after["B2"].value is None and after["B2"].number_format == "#,##0.00"
    assert key(after["B5"].value) == key(2400) and after["B5"].number_format == "#,##0.00"
    assert after["C3"].value == HOSTILE and after["C3"].data_type == "s" and after["C3"].number_format == "0.0%"
    assert key(after["J4"].value) == key(3.75)
    assert after["A6"].value == "Added"
    assert key(after["B6"].value) == key(7.5) and after["B6"].number_format == "#,##0.00"
    assert after.row_dimensions[6].height == pytest.approx(24)
    old_looks, new_looks = looks(before), looks(after)
    edited_cells = set(values) | {(6, 1), (6, 2)}
    for position, look in old_looks.items():
        if position not in edited_cells:
            assert new_looks.get(position, (key(None), "General", False)) == look, cell_ref(*position)
    assert after["A1"].font.b and after["F1"].value == "Merged heading"

    assert dimension(old) == "A1:G5"  # the sparkline in H2 lives in extLst, not in a cell
    assert dimension(new) == "A1:J6"
    # The new row copies row 4's look, including the x14ac attribute declared on the root.
    assert b'<row r="6" ht="24" customHeight="1" x14ac:dyDescent="0.25"><c r="A6" t="inlineStr">' in new
    assert after.max_row == 6 and after.max_column == 10

    part = sheet_part(data, "Data")
    old_parts, new_parts = parts_of(data), parts_of(edited)
    assert {n: b for n, b in old_parts.items() if n != part} == {n: b for n, b in new_parts.items() if n != part}
    assert b"<extLst>" in old
    for local in ("mergeCells", "dataValidations", "conditionalFormatting", "extLst", "sheetViews"):
        assert section(old, local) in new
    refs = {cell_ref(*position) for position in values} | {"A6", "B6"}
    assert without(old, refs, {4}) == without_empty_rows(without(new, refs, {4}), {6})


def test_row_spans_widen_when_a_cell_is_added_past_them():
    data = xlsxwriter_book()
    _, old, new = edit_workbook(data, "Data", {(2, 12): 1})
    assert re.search(rb'<row r="2" spans="1:7"', old)
    assert re.search(rb'<row r="2" spans="1:12"', new)


# -- hand-made parts ---------------------------------------------------------------------------------

PREFIXED = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<x:worksheet xmlns:x="{NS_MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<x:dimension ref="A1:C4"/>'
    "<x:sheetData>"
    '<x:row r="1"><x:c r="A1" s="1" t="inlineStr"><x:is><x:t>Head</x:t></x:is></x:c>'
    '<x:c r="C1"><x:v>3</x:v></x:c></x:row>'
    '<x:row r="3"/>'
    '<x:row r="4" ht="30" customHeight="1"><x:c r="B4" s="1"><x:v>2.5</x:v></x:c></x:row>'
    "</x:sheetData>"
    '<x:mergeCells count="1"><x:mergeCell ref="A6:B6"/></x:mergeCells>'
    '<x:pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    "</x:worksheet>"
).encode()


def in_workbook(xml: bytes) -> bytes:
    """A workbook (openpyxl's, with a bold style at index 1) whose first sheet is ``xml``."""
    book = openpyxl.Workbook()
    book.active.title = "Hand"
    book.active["A1"] = "x"
    book.active["A1"].font = Font(bold=True)
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    return replace_part(data, sheet_part(data, "Hand"), xml)


def test_prefixed_namespace_self_closing_row_and_new_rows():
    values = {(3, 2): "in a self-closing row", (1, 2): 7, (2, 3): False, (5, 1): "after", (1, 3): None}
    new = edit_cells(PREFIXED, values, new_rows=[(6, {1: 1.5})], style_row=4)
    assert_in_order(new)
    assert b"<row" not in new and b"<c " not in new  # every new element is in the x: prefix
    assert b'<x:row r="3"><x:c r="B3" s="1" t="inlineStr"><x:is><x:t xml:space="preserve">in a self-closing row' in new
    assert b'<x:row r="6" ht="30" customHeight="1">' in new
    assert dimension(new) == "A1:C6"
    sheet = load(in_workbook(new))["Hand"]
    assert sheet["B3"].value == "in a self-closing row"
    assert key(sheet["B1"].value) == key(7)
    assert sheet["C2"].value is False
    assert sheet["C1"].value is None
    assert sheet["A5"].value == "after"
    assert key(sheet["A6"].value) == key(1.5)
    assert sheet["A1"].value == "Head" and sheet["A1"].font.b
    assert key(sheet["B4"].value) == key(2.5)
    assert section(PREFIXED, "mergeCells") in new


def test_empty_sheet_data():
    empty = f'<worksheet xmlns="{NS_MAIN}"><dimension ref="A1"/><sheetData/><pageMargins left="1"/></worksheet>'
    new = edit_cells(empty.encode(), {(2, 2): "b2", (1, 1): 1})
    assert (
        new
        == (
            f'<worksheet xmlns="{NS_MAIN}"><dimension ref="A1:B2"/><sheetData>'
            '<row r="1"><c r="A1"><v>1</v></c></row>'
            '<row r="2"><c r="B2" t="inlineStr"><is><t xml:space="preserve">b2</t></is></c></row>'
            '</sheetData><pageMargins left="1"/></worksheet>'
        ).encode()
    )
    sheet = load(in_workbook(new))["Hand"]
    assert key(sheet["A1"].value) == key(1) and sheet["B2"].value == "b2"


def test_no_dimension_stays_without_one():
    xml = f'<worksheet xmlns="{NS_MAIN}"><sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData></worksheet>'
    new = edit_cells(xml.encode(), {(9, 9): 2})
    assert b"dimension" not in new
    assert b'</row><row r="9"><c r="I9"><v>2</v></c></row></sheetData>' in new


def test_byte_order_mark_and_indented_xml():
    xml = (
        f'\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<worksheet xmlns="{NS_MAIN}">\r\n'
        '  <dimension ref="A1" />\r\n  <sheetData>\r\n    <row r="1">\r\n'
        '      <c r="A1" t="s">\r\n        <v>0</v>\r\n      </c>\r\n    </row>\r\n'
        '    <row r="3" />\r\n  </sheetData>\r\n</worksheet>'
    ).encode()
    new = edit_cells(xml, {(1, 1): "é", (2, 2): 1, (3, 1): 2})
    assert (
        new
        == (
            f'\ufeff<?xml version="1.0" encoding="utf-8"?>\r\n<worksheet xmlns="{NS_MAIN}">\r\n'
            '  <dimension ref="A1:B3" />\r\n  <sheetData>\r\n    <row r="1">\r\n'
            '      <c r="A1" t="inlineStr"><is><t xml:space="preserve">é</t></is></c>\r\n    </row>\r\n'
            '    <row r="2"><c r="B2"><v>1</v></c></row><row r="3"><c r="A3"><v>2</v></c></row>\r\n'
            "  </sheetData>\r\n</worksheet>"
        ).encode()
    )


def test_edits_in_any_order_give_the_same_bytes():
    values = {(5, 1): "after", (1, 2): 7, (3, 3): "x", (3, 1): "y", (3, 2): "z", (2, 5): 1.25, (4, 4): None}
    rows = [(7, {2: 1}), (6, {1: "a"})]
    expected = edit_cells(PREFIXED, dict(sorted(values.items())), new_rows=sorted(rows), style_row=4)
    shuffler = random.Random(7)
    for _ in range(10):
        items = list(values.items())
        shuffler.shuffle(items)
        assert edit_cells(PREFIXED, dict(items), new_rows=rows[::-1], style_row=4) == expected
    assert_in_order(expected)
    assert b'<x:c r="A3" t="inlineStr">' in expected
    positions = [m.start() for m in re.finditer(rb'<x:c r="[A-C]3"', expected)]
    assert [expected[p + 8 : p + 10] for p in positions] == [b"A3", b"B3", b"C3"]


def test_rows_and_cells_without_r_are_numbered_in_order():
    xml = (
        f'<worksheet xmlns="{NS_MAIN}"><sheetData>'
        "<row><c><v>1</v></c><c><v>2</v></c></row>"
        "<row><c><v>3</v></c></row>"
        '<row r="5"><c r="B5"><v>5</v></c><c><v>6</v></c></row>'
        "</sheetData></worksheet>"
    ).encode()
    new = edit_cells(xml, {(1, 2): "b1", (2, 3): "c2", (4, 1): "a4", (5, 4): 8, (5, 1): 4})
    assert_in_order(new)
    sheet = load(in_workbook(new))["Hand"]
    assert grid(sheet) == {
        (1, 1): key(1),
        (1, 2): key("b1"),
        (2, 1): key(3),
        (2, 3): key("c2"),
        (4, 1): key("a4"),
        (5, 1): key(4),
        (5, 2): key(5),
        (5, 3): key(6),
        (5, 4): key(8),
    }


def test_cell_keeps_style_and_other_attributes_and_loses_formula():
    xml = (
        f'<worksheet xmlns="{NS_MAIN}"><sheetData><row r="2">'
        '<c r="B2" s="4" t="str" ph="1"><f>A1&amp;"x"</f><v>ax</v></c>'
        '<c r="C2" s="5" t="s" cm="1"><v>3</v></c>'
        '<c r="D2" s="6"/>'
        "</row></sheetData></worksheet>"
    ).encode()
    new = edit_cells(xml, {(2, 2): 1.5, (2, 3): None, (2, 4): -0.0})
    assert b'<c r="B2" s="4" ph="1"><v>1.5</v></c>' in new
    assert b'<c r="C2" s="5"/>' in new
    assert b'<c r="D2" s="6"><v>-0.0</v></c>' in new


def test_a_cells_extension_list_is_kept_after_its_new_value():
    ext = '<extLst><ext uri="{X}"><y xmlns="urn:y">kept</y></ext></extLst>'
    xml = part(f'<row r="1"><c r="A1" s="2" t="s"><v>0</v>{ext}</c></row>')
    new = edit_cells(xml, {(1, 1): "new"})
    assert new == part(
        f'<row r="1"><c r="A1" s="2" t="inlineStr"><is><t xml:space="preserve">new</t></is>{ext}</c></row>'
    )
    assert edit_cells(xml, {(1, 1): None}) == part(f'<row r="1"><c r="A1" s="2">{ext}</c></row>')


def test_numbers_are_written_exactly():
    xml = f'<worksheet xmlns="{NS_MAIN}"><sheetData/></worksheet>'.encode()
    numbers = [1e-05, 1e16, 123456789.123, 2**53, -(2**53), 5e-324, 1.7976931348623157e308, 3.0, 0]
    new = edit_cells(xml, {(1, column): value for column, value in enumerate(numbers, start=1)})
    written = re.findall(rb"<v>([^<]*)</v>", new)
    assert written == [repr(n).encode() for n in numbers]
    sheet = load(in_workbook(new))["Hand"]
    assert [key(cell.value) for cell in sheet[1]] == [key(n) for n in numbers]


def test_text_is_escaped_for_xml_and_excel():
    xml = f'<worksheet xmlns="{NS_MAIN}"><sheetData/></worksheet>'.encode()
    new = edit_cells(xml, {(1, 1): "a<b & c>d", (1, 2): "_x0041_ keep", (1, 3): "bell\x07 cr\r", (1, 4): "  padded  "})
    assert b">a&lt;b &amp; c&gt;d<" in new
    assert b">_x005F_x0041_ keep<" in new  # Excel would read _x0041_ as "A"
    assert b">bell_x0007_ cr_x000D_<" in new
    assert b'<t xml:space="preserve">  padded  </t>' in new
    sheet = load(in_workbook(new))["Hand"]
    assert sheet["A1"].value == "a<b & c>d" and sheet["D1"].value == "  padded  "


def test_none_in_a_new_cell_adds_a_styled_blank_only_with_a_style_row():
    xml = f'<worksheet xmlns="{NS_MAIN}"><sheetData><row r="1"><c r="A1" s="3"/></row></sheetData></worksheet>'
    assert edit_cells(xml.encode(), {(2, 1): None}) == xml.encode()
    new = edit_cells(xml.encode(), {(2, 1): None, (2, 2): None}, style_row=1)
    assert b'<row r="2"><c r="A2" s="3"/></row>' in new and b"B2" not in new


def test_a_large_sheet_is_edited_in_one_pass():
    rows = "".join(
        f'<row r="{r}" spans="1:5">'
        + "".join(f'<c r="{cell_ref(r, c)}" s="1"><v>{r * c}</v></c>' for c in range(1, 6))
        + "</row>"
        for r in range(1, 30_001)
    )
    xml = f'<worksheet xmlns="{NS_MAIN}"><dimension ref="A1:E30000"/><sheetData>{rows}</sheetData></worksheet>'.encode()
    values = {(r, 3): f"edit {r}" for r in range(1, 30_001, 7)}
    new = edit_cells(xml, values, new_rows=[(30_001, {1: 1})], style_row=30_000)
    assert new.count(b"<c ") == 150_001
    assert dimension(new) == "A1:E30001"
    assert b'<c r="C15" s="1" t="inlineStr"><is><t xml:space="preserve">edit 15</t></is></c>' in new


# -- refusals ------------------------------------------------------------------------------------


def part(body: str, extra: str = "") -> bytes:
    return f'<worksheet xmlns="{NS_MAIN}"><sheetData>{body}</sheetData>{extra}</worksheet>'.encode()


SHARED = part(
    '<row r="1"><c r="A1"><f t="shared" ref="A1:A3" si="0">B1*2</f><v>2</v></c></row>'
    '<row r="2"><c r="A2"><f t="shared" si="0"/><v>4</v></c></row>'
    '<row r="3"><c r="A3"><f t="shared" si="0"/><v>6</v></c></row>'
)
ARRAY = part(
    '<row r="1"><c r="A1"><f t="array" ref="A1:A2">B1:B2*2</f><v>2</v></c></row><row r="2"><c r="A2"><v>4</v></c></row>'
)


@pytest.mark.parametrize(
    "xml, values, kwargs, words",
    [
        (SHARED, {(1, 1): 5}, {}, "A1 holds the shared formula that cells A1:A3 use"),
        (SHARED, {(1, 1): None}, {}, "shared formula"),
        (ARRAY, {(2, 1): 1}, {}, "A2 is part of the array formula over A1:A2"),
        (ARRAY, {(1, 1): None}, {}, "array formula"),
        (
            part("", '<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>'),
            {(2, 2): 1},
            {},
            "merged range A1:B2",
        ),
        (part('<row r="3"/><row r="2"/>'), {(1, 1): 1}, {}, "row 2 comes after row 3"),
        (part('<row r="1"><c r="B1"/><c r="A1"/></row>'), {(1, 3): 1}, {}, "A1 comes after B1"),
        (part('<row r="1"><c r="A2"/></row>'), {(1, 3): 1}, {}, "A2 is written inside row 1"),
        (part(""), {(1, 1): float("nan")}, {}, "cannot be stored"),
        (part(""), {(1, 1): float("inf")}, {}, "cannot be stored"),
        (part(""), {(1, 1): 2**53 + 1}, {}, "2**53"),
        (part(""), {(1, 1): "x" * 32_768}, {}, "32,767"),
        (part(""), {(1, 1): b"bytes"}, {}, "a bytes cannot be written"),
        (part(""), {(0, 1): 1}, {}, "row 0"),
        (part(""), {(1, 16_385): 1}, {}, "column 16385"),
        (part('<row r="2"/>'), {}, {"new_rows": [(2, {1: 1})]}, "row 2 already exists"),
        (part(""), {(1, 1): 1}, {"new_rows": [(1, {1: 2})]}, "A1 is given twice"),
        (part(""), {(1, 1): 1}, {"style_row": 4}, "style row 4 is not in the sheet"),
        (b'<chartsheet xmlns="x"><sheetData/></chartsheet>', {(1, 1): 1}, {}, "not a worksheet"),
        (b'<worksheet xmlns="urn:other"><sheetData/></worksheet>', {(1, 1): 1}, {}, "not in the SpreadsheetML"),
        (f'<worksheet xmlns="{NS_MAIN}"/>'.encode(), {(1, 1): 1}, {}, "no <sheetData>"),
        (b'<?xml version="1.0" encoding="ISO-8859-1"?><worksheet/>', {(1, 1): 1}, {}, "not UTF-8"),
        (b"<worksheet><sheetData>", {(1, 1): 1}, {}, "not well-formed"),
    ],
)
def test_refusals(xml, values, kwargs, words):
    with pytest.raises(PackageError) as caught:
        edit_cells(xml, values, **kwargs)
    assert words in str(caught.value)
    assert "\n" not in str(caught.value)


def test_shared_formula_dependant_and_the_master_of_one_cell_may_be_replaced():
    new = edit_cells(SHARED, {(2, 1): 10})
    assert b'<c r="A2"><v>10</v></c>' in new and b'ref="A1:A3"' in new
    single = part('<row r="1"><c r="A1"><f t="shared" ref="A1" si="0">B1</f><v>1</v></c></row>')
    assert b'<c r="A1"><v>5</v></c>' in edit_cells(single, {(1, 1): 5})


def test_merged_anchor_may_be_written_and_hidden_cells_cleared():
    xml = part('<row r="1"><c r="A1"/><c r="B1"/></row>', '<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>')
    new = edit_cells(xml, {(1, 1): "anchor", (1, 2): None})
    assert b'<c r="A1" t="inlineStr">' in new and b'<c r="B1"/>' in new


# -- property: random edits on a random grid --------------------------------------------------------

texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12).filter(
    lambda s: not re.search("_x[0-9A-Fa-f]{4}_", s)
)
cell_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    texts,
    st.sampled_from([HOSTILE, "=1+1", "+1", "@SUM(A1)"]),
)
positions = st.tuples(st.integers(1, 7), st.integers(1, 6))


@given(
    source=st.dictionaries(st.tuples(st.integers(1, 5), st.integers(1, 4)), cell_values, max_size=20),
    edits=st.dictionaries(positions, cell_values, max_size=15),
)
def test_random_edits_read_back_as_expected(source, edits):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Grid"
    for (row, column), value in source.items():
        if value is not None:
            cell = sheet.cell(row, column, value)
            if isinstance(value, str):
                cell.data_type = "s"
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()

    expected = grid(load(data)["Grid"])  # as openpyxl wrote them
    for position, value in edits.items():
        if value is None:
            expected.pop(position, None)
        else:
            expected[position] = key(value)
    edited, _, new = edit_workbook(data, "Grid", edits)
    assert_in_order(new)
    assert grid(load(edited)["Grid"]) == expected
    ElementTree.fromstring(new)  # still well-formed
    ref = dimension(new)
    if expected:
        top, left = openpyxl.utils.cell.coordinate_to_tuple(ref.split(":")[0])
        bottom, right = openpyxl.utils.cell.coordinate_to_tuple(ref.split(":")[-1])
        assert all(top <= r <= bottom and left <= c <= right for r, c in expected)
