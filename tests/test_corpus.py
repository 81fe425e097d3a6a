"""Nothing lost, nothing let in: hostile files are refused, rich workbooks keep every part."""

import io
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pooling
from pooling.cli import main
from pooling.write import note_sheets
from pooling.xlsx.container import Package
from pooling.xlsx.graft import planned_edits

from .corpus import FEATURES, HOSTILE, differences, example_like_sheets, hostile_files, rich_workbooks


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    return hostile_files(tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def rich(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rich")
    return rich_workbooks(folder, example_like_sheets())


VIEW_STATE = re.compile(rb' (?:count|activeTab)="\d+"| tabSelected="1"')


def only_inserted(before: bytes, after: bytes) -> bool:
    """Every byte of ``before`` is in ``after``, in order (list counts and which tab is
    selected aside): edits only insert."""
    before, after = VIEW_STATE.sub(b"", before), VIEW_STATE.sub(b"", after)
    position = 0
    for byte in before:
        position = after.find(bytes([byte]), position) + 1
        if position == 0:
            return False
    return True


def scenario_for(path: Path, folder: Path) -> Path:
    scenario = folder / f"{path.stem}.toml"
    scenario.write_text(f'name = "Test"\nworkbook = "{path.as_posix()}"\n', encoding="utf-8")
    return scenario


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_file_is_refused_with_one_line(hostile, name):
    result = CliRunner().invoke(main, ["validate", str(hostile[name])])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert lines[0] == "Bad input (1 problem):"
    assert len(lines) == 2 and str(hostile[name]) in lines[1]
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "name", ["billion-laughs-sharedstrings", "quadratic-blowup", "billion-laughs-workbook", "padded-prolog-laughs"]
)
def test_entity_bombs_are_named_as_such(hostile, name):
    with pytest.raises(pooling.PackageError, match="DTD or XML entities"):
        pooling.load(hostile[name])


def test_hostile_file_named_by_a_scenario_is_refused(hostile, tmp_path):
    result = CliRunner().invoke(
        main, ["run", str(scenario_for(hostile["many-cells"], tmp_path)), "-o", str(tmp_path / "o.xlsx")]
    )
    assert result.exit_code == 1
    assert "zip bomb" in result.output or "unpacks to 104,945,285 bytes" in result.output
    assert not (tmp_path / "o.xlsx").exists()


@pytest.mark.parametrize("name", [feature.name for feature in FEATURES] + ["everything"])
def test_rich_workbook_keeps_every_part(rich, tmp_path, name):
    source = rich[name]
    assert differences(source, example_like_sheets()) == []
    out = tmp_path / f"out{source.suffix}"
    result = pooling.run(scenario_for(source, tmp_path), output=out)
    assert result.optimal
    assert result.notes, "the example-like place has binding constraints to annotate"
    original = Package.open(source)
    written = Package.open(out)
    may_edit = planned_edits(original, note_sheets(result.notes))
    for part, data in original.parts.items():
        assert part in written.parts, f"{part} was dropped"
        if part not in may_edit:
            assert written.parts[part] == data, f"{part} changed"
        else:
            assert only_inserted(data, written.parts[part]), f"{part} lost original bytes"
    # Only parts that list sheets, formats and comments are ever edited.
    for part in may_edit:
        assert part in {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "[Content_Types].xml", "xl/styles.xml"} or (
            part.startswith(("xl/worksheets/", "xl/comments", "xl/drawings/vmlDrawing"))
        ), part
    # The contract sheets still read as given, and the results are there.
    assert differences(out, example_like_sheets()) == []
    assert "Summary" in openpyxl.load_workbook(out, read_only=True).sheetnames


def selected_tabs(package: Package) -> list[str]:
    return [sheet.name for sheet in package.sheets if b'tabSelected="1"' in package.parts[sheet.part]]


def test_the_result_opens_on_summary_and_input_sheets_lose_only_their_tab_selection(rich, tmp_path):
    # A workbook saved by Excel has its active sheet's tab selected; the result must open
    # on Summary alone (two selected tabs are a group, where typing edits both).
    source = rich["chart"]
    original = Package.open(source)
    assert selected_tabs(original) == [original.sheets[0].name]
    out = tmp_path / "out.xlsx"
    result = pooling.run(scenario_for(source, tmp_path), output=out)
    written = Package.open(out)
    assert selected_tabs(written) == ["Summary"]
    assert openpyxl.load_workbook(out, read_only=True).active.title == "Summary"
    first = original.sheets[0]
    if first.name not in note_sheets(result.notes):  # no comments added: the attribute is the only change
        assert written.parts[first.part] == original.parts[first.part].replace(b' tabSelected="1"', b"", 1)
    assert "no longer selected" in planned_edits(original, note_sheets(result.notes))[first.part]


def test_sheet_edits_keep_excel_2010_extensions_intact(rich, tmp_path):
    # A sheet that gains comments gets one <legacyDrawing> element; its extLst (2010 data
    # validation, data bars, sparklines) is carried over byte for byte.
    source = rich["everything"]
    out = tmp_path / "out.xlsm"
    result = pooling.run(scenario_for(source, tmp_path), output=out)
    original, written = Package.open(source), Package.open(out)
    checked = 0
    for sheet in original.sheets:
        before = original.parts[sheet.part].replace(b' tabSelected="1"', b"", 1)  # the one view edit
        after = written.parts[sheet.part]
        start = before.rfind(b"<extLst>")  # the worksheet's own, its last child
        if start >= 0:
            assert after.endswith(before[start:])
            checked += 1
        if before != after:
            assert after.count(b"legacyDrawing") == before.count(b"legacyDrawing") + 1
    assert checked >= 1
    assert result.optimal


def test_macros_are_kept_and_the_output_stays_macro_enabled(rich, tmp_path):
    source = rich["macros"]
    with zipfile.ZipFile(source) as archive:
        project = archive.read("xl/vbaProject.bin")
    refused = CliRunner().invoke(main, ["run", str(scenario_for(source, tmp_path)), "-o", str(tmp_path / "out.xlsx")])
    assert refused.exit_code != 0
    assert "must end in .xlsm" in refused.output
    out = tmp_path / "out.xlsm"
    assert CliRunner().invoke(main, ["run", str(scenario_for(source, tmp_path)), "-o", str(out)]).exit_code == 0
    written = Package.open(out)
    assert written.parts["xl/vbaProject.bin"] == project
    assert written.kind == ".xlsm"


def test_default_output_name_follows_the_input_kind(rich, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    scenario = scenario_for(rich["macros"], tmp_path)
    assert CliRunner().invoke(main, ["run", str(scenario)]).exit_code == 0
    assert (tmp_path / f"{scenario.stem}-results.xlsm").exists()


def test_an_unusual_package_gets_its_results_in_a_workbook_of_their_own(tmp_path, monkeypatch):
    from pooling import write

    path = tmp_path / "place.xlsx"
    path.write_bytes(rich_workbooks(tmp_path, example_like_sheets(), ["chart"])["chart"].read_bytes())

    def refuse(*args, **kwargs):
        raise pooling.PackageError("a part the graft does not understand")

    monkeypatch.setattr(write, "graft", refuse)
    out = tmp_path / "out.xlsx"
    result = pooling.run(scenario_for(path, tmp_path), output=out)
    assert result.optimal
    names = openpyxl.load_workbook(out, read_only=True).sheetnames
    assert names[0] == "Summary" and "Partners" not in names
    summary = [row for row in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)]
    assert any(row[0] == "Note" and "workbook of their own" in row[1] for row in summary)
    assert any("workbook of their own" in message for message in result.messages)


def test_a_fallback_never_replaces_the_input_nor_names_an_xlsx_as_xlsm(rich, tmp_path, monkeypatch):
    from pooling import write

    def fail(*args, **kwargs):
        raise RuntimeError("something the graft did not expect")

    monkeypatch.setattr(write, "graft", fail)
    # In place: the input stays exactly as it was; the results go beside it.
    path = tmp_path / "place.xlsx"
    shutil.copy(rich["chart"], path)
    before = path.read_bytes()
    result = pooling.run(scenario_for(path, tmp_path))
    report = result.write(in_place=True)
    assert path.read_bytes() == before
    assert report.written == tmp_path / "place-results.xlsx" == result.output
    assert "Summary" in openpyxl.load_workbook(result.output, read_only=True).sheetnames
    assert any("RuntimeError" in message for message in result.messages)
    # A macro workbook: results without macros are an .xlsx, never an .xlsm.
    result = pooling.run(scenario_for(rich["macros"], tmp_path), output=tmp_path / "out.xlsm")
    assert not (tmp_path / "out.xlsm").exists()
    assert result.output == tmp_path / "out.xlsx"
    assert Package.open(result.output).kind == ".xlsx"


@pytest.mark.parametrize("drawing", ["as Excel writes it", "with an unclosed <br>", "without VML namespaces"])
def test_notes_join_a_sheets_form_controls_or_are_left_out_whole(tmp_path, drawing):
    from .corpus import _contract_workbook, _Feature

    def button(book):
        book.worksheets["Funding"].insert_button("J2", {"caption": "Recalculate"})

    data = _contract_workbook(example_like_sheets(), [_Feature("button", draw=button)])
    path = tmp_path / "place.xlsx"
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if info.filename.endswith(".vml"):
                if drawing == "with an unclosed <br>":  # as Office writes VML: HTML, not XML
                    assert b"</div>" in part
                    part = part.replace(b"</div>", b"<br></div>", 1)
                elif drawing == "without VML namespaces":
                    part = part.replace(b'xmlns:v="urn:schemas-microsoft-com:vml"', b"")
            target.writestr(info, part)
    out = tmp_path / "out.xlsx"
    result = pooling.run(scenario_for(path, tmp_path), output=out)
    written = Package.open(out)
    funding = next(sheet for sheet in written.sheets if sheet.name == "Funding")
    comments = [target for _, kind, target, _ in written.relationships(funding.part) if kind.endswith("/comments")]
    notes = [where for where in result.notes if where.startswith("Funding!")]
    assert notes  # the example's Funding sheet has binding cells
    assert not any("workbook of their own" in message for message in result.messages)
    if drawing == "without VML namespaces":
        assert comments == []  # no comments part without the shapes to show them
        assert "lacks the VML namespaces" in " ".join(result.messages)
    else:
        assert len(comments) == 1
        assert written.parts[comments[0]].count(b"<comment ") == len(notes)
