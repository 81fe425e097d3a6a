"""Returns: split the place into partners' workbooks, merge them back, partners' own results."""

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pooling
from pooling.cli import main
from pooling.returns.merge import MergeError, merge, write_merged
from pooling.returns.per_partner import totals, write_per_partner
from pooling.returns.split import split
from pooling.xlsx.container import Package

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "spreadsheets" / "example.xlsx"


@pytest.fixture
def returns(tmp_path):
    place = tmp_path / "place.xlsx"
    shutil.copy(EXAMPLE, place)
    paths = {path.stem.rsplit("-", 1)[1]: path for path in split(place, tmp_path / "returns")}
    return place, paths


def edit(path: Path, sheet: str, changes: dict[str, object]) -> None:
    """Change cells of a return, as a partner's finance officer would in Excel."""
    book = openpyxl.load_workbook(path)
    for ref, value in changes.items():
        book[sheet][ref] = value
    book.save(path)


def find_row(path: Path, sheet: str, code: str) -> int:
    book = openpyxl.load_workbook(path, read_only=True)
    for number, row in enumerate(book[sheet].iter_rows(values_only=True), start=1):
        if row and row[0] == code:
            return number
    raise AssertionError(f"{code} not in {sheet}")


def first_blank_row(path: Path, sheet: str) -> int:
    book = openpyxl.load_workbook(path, read_only=True)
    rows = list(book[sheet].iter_rows(values_only=True))
    return next(number for number, row in enumerate(rows, start=1) if number > 1 and row[0] is None)


def cells(path: Path) -> dict[str, dict[str, object]]:
    book = openpyxl.load_workbook(path)
    return {
        sheet.title: {c.coordinate: c.value for row in sheet.iter_rows() for c in row if c.value is not None}
        for sheet in book.worksheets
    }


def test_every_partner_gets_a_return_with_only_its_rows(returns):
    place, paths = returns
    assert set(paths) == {"NCC", "ADC", "PCT", "NPA", "NFR", "NPT", "JCP"}
    book = openpyxl.load_workbook(paths["PCT"])
    assert book.sheetnames[0] == "Cover"
    funding = [row for row in book["Funding"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert funding and all(row[1] == "PCT" for row in funding)
    programmes = [row for row in book["Programmes"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert {row[2] for row in programmes} == {"PCT"}
    led = {row[0] for row in programmes}
    effects = [row for row in book["Effects"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert effects and {row[0] for row in effects} <= led
    savings = [row for row in book["Savings"].iter_rows(min_row=2, values_only=True) if row[0]]
    assert savings and {row[1] for row in savings} == {"PCT"}
    # Outcomes for reference, complete and locked; Funding protected with unlocked data cells
    assert len([r for r in book["Outcomes"].iter_rows(min_row=2, values_only=True) if r[0]]) == 12
    assert book["Outcomes"].protection.sheet and book["Funding"].protection.sheet
    assert book["Funding"]["D2"].protection.locked is False
    assert book["Funding"]["D1"].comment is not None  # header guidance
    assert book["Funding"].data_validations.dataValidation  # dropdowns


def test_round_trip_merges_exactly_the_edits(returns, tmp_path):
    place, paths = returns
    # NCC changes a base; ADC adds a stream; PCT raises a programme maximum.
    row = find_row(paths["NCC"], "Funding", "NCC-FG")
    edit(paths["NCC"], "Funding", {f"D{row}": 90_500})
    blank = first_blank_row(paths["ADC"], "Funding")
    edit(paths["ADC"], "Funding", {f"A{blank}": "ADC-NEW", f"B{blank}": "ADC", f"C{blank}": "fees", f"D{blank}": 750})
    row = find_row(paths["PCT"], "Programmes", "ALC")
    edit(paths["PCT"], "Programmes", {f"G{row}": 7_000})
    merged = tmp_path / "merged.xlsx"
    plan = write_merged(place, list(paths.values()), merged)
    assert len(plan.edits) == 6  # one base, the four cells of the new row, one maximum
    before, after = cells(place), cells(merged)
    expected = {sheet: dict(values) for sheet, values in before.items()}
    changed = {(e.sheet, f"{'ABCDEFG'[e.column - 1]}{e.row}"): e.new for e in plan.edits}
    for (sheet, ref), value in changed.items():
        expected[sheet][ref] = value
    for sheet in before:
        assert after[sheet] == expected[sheet], sheet
    # exactly the three edits a finance officer made
    funding_rows = {v: k for k, v in before["Funding"].items() if k.startswith("A")}
    assert changed[("Funding", "D" + funding_rows["NCC-FG"][1:])] == 90_500
    programme_rows = {v: k for k, v in before["Programmes"].items() if k.startswith("A")}
    assert changed[("Programmes", "G" + programme_rows["ALC"][1:])] == 7_000
    new_row = max(int(k[1:]) for k in before["Funding"] if k.startswith("A")) + 1
    assert [after["Funding"][f"{c}{new_row}"] for c in "ABCD"] == ["ADC-NEW", "ADC", "fees", 750]
    changes = list(openpyxl.load_workbook(merged)["Changes"].iter_rows(min_row=2, values_only=True))
    assert len(changes) == len(plan.edits) == 6
    assert ("Funding", "D" + funding_rows["NCC-FG"][1:], 88000, 90500, "NCC") == changes[0][:5]
    # the merged place is valid and its new stream is there
    place_after, _ = pooling.load(merged)
    assert place_after.streams["ADC-NEW"].base == pytest.approx(750)
    assert place_after.programmes["ALC"].max == pytest.approx(7000)


def test_a_split_with_no_edits_merges_back_to_the_same_objective(returns, tmp_path):
    place, paths = returns
    merged = tmp_path / "merged.xlsx"
    plan = write_merged(place, list(paths.values()), merged)
    assert plan.edits == []
    scenario = tmp_path / "s.toml"
    text = (ROOT / "scenarios" / "sr2010-pooled.toml").read_text()
    scenario.write_text(text.replace("../spreadsheets/example.xlsx", "merged.xlsx"))
    original = pooling.run(ROOT / "scenarios" / "sr2010-pooled.toml", counterpart=False)
    again = pooling.run(scenario, counterpart=False)
    assert again.objective == pytest.approx(original.objective, rel=1e-12)


def test_edits_out_of_scope_are_refused_by_file_and_cell(returns, tmp_path):
    place, paths = returns
    # NCC edits the place's Outcomes (reference), points a row at ADC's stream, adds a row for ADC
    edit(paths["NCC"], "Outcomes", {"D2": 9999})
    row = find_row(paths["NCC"], "Funding", "NCC-FG")
    place_row_column = openpyxl.load_workbook(paths["NCC"])["Funding"].max_column
    book = openpyxl.load_workbook(paths["NCC"])
    adc_row = find_row(place, "Funding", "ADC-CT")
    book["Funding"].cell(row, place_row_column).value = adc_row
    blank = first_blank_row(paths["NCC"], "Funding")
    for column, value in zip("ABCD", ["X-1", "ADC", "grant", 10]):
        book["Funding"][f"{column}{blank}"] = value
    book.save(paths["NCC"])
    with pytest.raises(MergeError) as caught:
        merge(place, [paths["NCC"]])
    lines = caught.value.lines()
    name = paths["NCC"].name
    assert any(line.startswith(f"{name}: Outcomes!D2: Outcomes is for reference") for line in lines)
    assert any(
        line.startswith(f"{name}: Funding!A{row}: row {adc_row} of Funding belongs to ADC, not NCC") for line in lines
    )
    assert any(line.startswith(f"{name}: Funding!A{blank}: a new row for ADC") for line in lines)


def test_two_returns_changing_one_cell_are_refused(returns, tmp_path):
    place, paths = returns
    copy = paths["NCC"].with_name("second-NCC.xlsx")
    shutil.copy(paths["NCC"], copy)
    row = find_row(paths["NCC"], "Funding", "NCC-FG")
    edit(paths["NCC"], "Funding", {f"D{row}": 1})
    edit(copy, "Funding", {f"D{row}": 2})
    with pytest.raises(MergeError) as caught:
        merge(place, [paths["NCC"], copy])
    (line,) = caught.value.lines()
    assert line.startswith(f"second-NCC.xlsx: Funding!D{row}: Funding!D")
    assert f"also changed by {paths['NCC'].name} (Funding!D{row})" in line


def test_handing_a_row_to_another_partner_is_refused(returns):
    place, paths = returns
    row = find_row(paths["NCC"], "Programmes", "TF")
    edit(paths["NCC"], "Programmes", {f"C{row}": "ADC"})
    with pytest.raises(MergeError) as caught:
        merge(place, [paths["NCC"]])
    assert any(f"Programmes!C{row}: Lead changed to 'ADC'" in line for line in caught.value.lines())


def test_bad_figures_in_a_return_are_named_by_the_return_cell(returns):
    place, paths = returns
    row = find_row(paths["NFR"], "Funding", "NFR-CT")
    edit(paths["NFR"], "Funding", {f"D{row}": -5})
    with pytest.raises(MergeError) as caught:
        merge(place, [paths["NFR"]])
    (line,) = caught.value.lines()
    assert line.startswith(f"{paths['NFR'].name}: Funding!D{row} (place Funding!D")
    assert line.endswith("Base is negative (-5)")


def test_per_partner_results_add_up_to_the_place(tmp_path):
    result = pooling.run(ROOT / "scenarios" / "sr2010-pooled.toml", counterpart=False)
    place_totals = result.totals()
    partners = {code: totals(result, code) for code in result.place.partners}
    for key, place_key in (
        ("available", "available"),
        ("used", "spent"),
        ("pooled", "pooled"),
        ("savings received", "savings received"),
        ("spent on others' programmes", "spent on others' programmes"),
    ):
        assert sum(t[key] for t in partners.values()) == pytest.approx(place_totals[place_key], rel=1e-12)
    assert sum(t["spent on the programmes it leads"] for t in partners.values()) == pytest.approx(
        place_totals["spent"], rel=1e-12
    )
    paths = write_per_partner(result, tmp_path / "partners")
    assert len(paths) == len(result.place.partners)
    book = openpyxl.load_workbook(paths[0])
    assert {"Summary", "Stream use", "Pool share", "Led programmes", "Savings received", "Constraints"} <= set(
        book.sheetnames
    )
    annotated = [
        c for s in book.worksheets for row in s.iter_rows() for c in row if c.comment and "pooling:\n" in c.comment.text
    ]
    assert annotated  # its binding input cells carry comments, as in the place results


def test_command_line_split_merge_and_per_partner(tmp_path):
    place = tmp_path / "place.xlsx"
    shutil.copy(EXAMPLE, place)
    runner = CliRunner()
    result = runner.invoke(main, ["split", str(place), "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    assert result.output.count("Wrote") == 7
    returns = sorted((tmp_path / "r").glob("*.xlsx"))
    result = runner.invoke(main, ["merge", str(place), *map(str, returns), "-o", str(tmp_path / "m.xlsx")])
    assert result.exit_code == 0, result.output
    assert "0 changed cells" in result.output
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "T"\nworkbook = "{place.name}"\n')
    result = runner.invoke(
        main, ["run", str(scenario), "-o", str(tmp_path / "out.xlsx"), "--per-partner", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "p").glob("*-results-*.xlsx"))) == 7


def test_a_second_split_never_replaces_returns(returns):
    place, paths = returns
    edit(paths["NCC"], "Funding", {"D2": 4242})
    before = {path: path.read_bytes() for path in paths.values()}
    with pytest.raises(pooling.WriteError) as caught:
        split(place, next(iter(paths.values())).parent)
    assert "already holds returns" in str(caught.value)
    assert paths["NCC"].name in str(caught.value)
    assert {path: path.read_bytes() for path in paths.values()} == before


def test_per_partner_results_are_replaced_only_after_a_backup(tmp_path):
    result = pooling.run(ROOT / "scenarios" / "sr2010-pooled.toml", counterpart=False)
    first = write_per_partner(result, tmp_path / "partners")
    earlier, inode = first[0].read_bytes(), first[0].stat().st_ino
    write_per_partner(result, tmp_path / "partners")
    assert first[0].stat().st_ino != inode  # replaced by a new file, renamed into place
    assert first[0].with_name(first[0].name + ".bak").read_bytes() == earlier
    (tmp_path / "partners" / f".~lock.{first[1].name}#").write_text("someone")
    with pytest.raises(pooling.WriteError, match="open in Excel"):
        write_per_partner(result, tmp_path / "partners")


def with_calculation_chain(path: Path, quote: str) -> None:
    """Give ``path`` a calculation chain, as Excel saves one beside formulas (its
    relationship and content type written with ``quote`` around attribute values)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts["xl/calcChain.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<calcChain xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><c r="D2" i="3"/></calcChain>'
    )
    q = quote.encode()
    relationship = (
        b"<Relationship Id=" + q + b"rIdChain" + q + b" Type=" + q + b"http://schemas.openxmlformats.org/"
        b"officeDocument/2006/relationships/calcChain" + q + b" Target=" + q + b"calcChain.xml" + q + b"/>"
    )
    override = (
        b"<Override PartName=" + q + b"/xl/calcChain.xml" + q + b" ContentType=" + q + b"application/"
        b"vnd.openxmlformats-officedocument.spreadsheetml.calcChain+xml" + q + b"/>"
    )
    rels = "xl/_rels/workbook.xml.rels"
    parts[rels] = parts[rels].replace(b"</Relationships>", relationship + b"</Relationships>")
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", override + b"</Types>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


@pytest.mark.parametrize("quote", ['"', "'"])
def test_a_merge_that_changes_cells_drops_the_calculation_chain(tmp_path, quote):
    place = tmp_path / "place.xlsx"
    shutil.copy(EXAMPLE, place)
    with_calculation_chain(place, quote)
    original = Package.open(place)
    paths = {path.stem.rsplit("-", 1)[1]: path for path in split(place, tmp_path / "returns")}
    unchanged = tmp_path / "unchanged.xlsx"
    write_merged(place, list(paths.values()), unchanged)
    assert "xl/calcChain.xml" in Package.open(unchanged).parts  # nothing changed, nothing dropped
    row = find_row(paths["NCC"], "Funding", "NCC-FG")
    edit(paths["NCC"], "Funding", {f"D{row}": 90_500})
    merged = tmp_path / "merged.xlsx"
    write_merged(place, list(paths.values()), merged)
    package = Package.open(merged)
    assert "xl/calcChain.xml" not in package.parts
    rels = "xl/_rels/workbook.xml.rels"
    # Exactly the chain's relationship and type are cut out; the rest as written.
    assert b"calcChain" not in package.parts[rels]
    assert b"calcChain" not in package.parts["[Content_Types].xml"]
    kept = {rel_id for rel_id, *_ in package.relationships("xl/workbook.xml")}
    assert {rel_id for rel_id, *_ in original.relationships("xl/workbook.xml")} - kept == {"rIdChain"}
    place_after, _ = pooling.load(merged)
    assert place_after.streams["NCC-FG"].base == pytest.approx(90_500)


def test_two_partners_whose_codes_would_share_a_file_are_refused(tmp_path):
    from .helpers import place_sheets, write_sheets

    sheets = place_sheets(
        partners=[("A&B", "council", None, None), ("A_B", "health", None, None)],
        funding=[("G1", "A&B", "grant", 100, None, None), ("G2", "A_B", "grant", 100, None, None)],
        programmes=[("P", "A&B", "yes", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 10, None)],
    )
    place = write_sheets(tmp_path / "place.xlsx", sheets)
    with pytest.raises(pooling.WriteError, match="'A&B' and 'A_B' would share the file place-return-A_B.xlsx"):
        split(place, tmp_path / "returns")
    assert not (tmp_path / "returns").exists()


def test_a_merge_that_changes_a_cell_a_formula_reads_says_so_and_is_not_run_stale(tmp_path):
    # As Excel saves it: Funding!D3 (NCC-FG's Base) is =D2*0.5 with its result 91,000
    # stored, and the workbook does not ask to be recalculated. NCC's return changes D2.
    import re

    from .corpus import Package as Parts

    place = tmp_path / "place.xlsx"
    parts = Parts.read(EXAMPLE.read_bytes())
    funding = parts.sheet_part("Funding").lstrip("/")
    parts.put(funding, re.sub(rb'<c r="D3"([^>]*)><v>88000</v></c>', rb'<c r="D3"\1><f>D2*0.5</f><v>91000</v></c>',
                              parts.parts[funding]))  # fmt: skip
    parts.put("xl/workbook.xml", parts.parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b""))
    parts.save(place)
    assert pooling.load(place)[0].streams["NCC-FG"].base == pytest.approx(91_000)
    paths = {path.stem.rsplit("-", 1)[1]: path for path in split(place, tmp_path / "returns")}
    edit(paths["NCC"], "Funding", {f"D{find_row(paths['NCC'], 'Funding', 'NCC-CT')}": 200_000})
    merged = tmp_path / "merged.xlsx"
    result = CliRunner().invoke(main, ["merge", str(place), *map(str, paths.values()), "-o", str(merged)])
    assert result.exit_code == 0, result.output
    assert "Recalculate before running" in result.output and "Funding!D3 (=D2*0.5) reads Funding!D2" in result.output
    assert b'fullCalcOnLoad="1"' in Package.open(merged).parts["xl/workbook.xml"]
    changes = [row for row in openpyxl.load_workbook(merged)["Changes"].iter_rows(values_only=True)]
    assert ("Funding", "D3", "=D2*0.5", "recalculate") in [row[:4] for row in changes]
    # The stored 91,000 is what D2 was, not what it is: the run refuses it by cell.
    refused = CliRunner().invoke(main, ["validate", str(merged)])
    assert refused.exit_code == 1
    assert "Funding!D3: formula =D2*0.5 may hold an out-of-date value" in refused.output
