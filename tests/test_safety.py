"""Safe reading and writing: no formula injection, no damage, backups, lock files, fuzzing."""

import datetime as dt
import os
import re
import stat
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

import pooling
from pooling.cli import main
from pooling.errors import InputError, WriteError
from pooling.files import atomic_write

from .helpers import place_sheets, write_sheets

HOSTILE_NAMES = ['=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "+1+1", "@SUM(A1)"]


def small_sheets(programme_name="Programme P"):
    sheets = place_sheets(
        partners=[("A", "council", None, 0.5), ("B", "health", 0.1, None)],
        funding=[("CT", "A", "council tax", 100, None, None), ("G", "B", "other", 100, None, None)],
        programmes=[("P", "A", "yes", 10, 5, 80), ("Q", "B", "no", 10, None, None)],
        outcomes=[("O", 1000, 1, None)],
        effects=[("P", "O", 10, 50), ("P", "O", 5, None), ("Q", "O", 3, None)],
        savings=[("O", "B", 200, 0.5, 1)],
        years=2,
    )
    sheets["Programmes"][1][1] = programme_name
    return sheets


def scenario_file(folder: Path, workbook: str = "place.xlsx") -> Path:
    path = folder / "scenario.toml"
    path.write_text(f'name = "Test"\nworkbook = "{workbook}"\n', encoding="utf-8")
    return path


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_user_text_is_written_as_text_never_a_formula(tmp_path, name):
    write_sheets(tmp_path / "place.xlsx", small_sheets(name))
    out = tmp_path / "out.xlsx"
    result = pooling.run(scenario_file(tmp_path), output=out)
    assert result.optimal
    book = openpyxl.load_workbook(out)
    found = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value == name]
    assert any(cell.parent.title == "Allocation" for cell in found)
    assert all(cell.data_type == "s" for cell in found)
    with zipfile.ZipFile(out) as archive:
        for part in archive.namelist():
            if part.startswith("xl/worksheets/") and part.endswith(".xml"):
                assert not re.search(rb"<(\w+:)?f[\s>]", archive.read(part)), part


def test_in_place_writes_only_after_a_verified_backup(tmp_path):
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    original = path.read_bytes()
    result = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "--in-place"])
    assert result.exit_code == 0, result.output
    backup = tmp_path / "place.xlsx.bak"
    assert backup.read_bytes() == original
    assert "Summary" in openpyxl.load_workbook(path, read_only=True).sheetnames
    assert "backed up to" in result.output

    # A second in-place run refuses: the workbook already holds results.
    again = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "--in-place"])
    assert again.exit_code != 0
    assert "already holds the results" in again.output
    assert backup.read_bytes() == original


def test_replacing_an_earlier_output_keeps_a_backup_of_it(tmp_path):
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    out = tmp_path / "out.xlsx"
    pooling.run(scenario_file(tmp_path), output=out)
    first = out.read_bytes()
    again = pooling.run(scenario_file(tmp_path), output=out)
    assert (tmp_path / "out.xlsx.bak").read_bytes() == first
    assert any("backed up" in message for message in again.messages)


def test_re_running_to_the_same_output_keeps_one_backup_the_previous_result(tmp_path):
    # One user reached out.xlsx.bak133: each run's backup is the result it replaces, in one
    # NAME.bak. A .bak that is not ours (a user's own file of that name) is never replaced.
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    out = tmp_path / "out.xlsx"
    outputs = []
    for name in ("Programme P", "Programme Q", "Programme R", "Programme S"):
        write_sheets(tmp_path / "place.xlsx", small_sheets(name))  # each run's result differs
        pooling.run(scenario_file(tmp_path), output=out)
        outputs.append(out.read_bytes())
    assert sorted(path.name for path in tmp_path.glob("out.xlsx*")) == ["out.xlsx", "out.xlsx.bak"]
    assert (tmp_path / "out.xlsx.bak").read_bytes() == outputs[-2]
    (tmp_path / "out.xlsx.bak").write_bytes(b"a user's own notes")
    pooling.run(scenario_file(tmp_path), output=out)
    assert (tmp_path / "out.xlsx.bak").read_bytes() == b"a user's own notes"
    assert (tmp_path / "out.xlsx.bak2").read_bytes() == outputs[-1]


def test_in_place_runs_keep_every_earlier_backup_of_the_users_workbook(tmp_path):
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    (tmp_path / "place.xlsx.bak").write_bytes(b"an older copy of the user's")
    original = path.read_bytes()
    result = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "--in-place"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "place.xlsx.bak").read_bytes() == b"an older copy of the user's"
    assert (tmp_path / "place.xlsx.bak2").read_bytes() == original


@pytest.mark.parametrize("lock", ["~$place.xlsx", "~$ace.xlsx", ".~lock.place.xlsx#"])
def test_refuses_while_the_workbook_is_open(tmp_path, lock):
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    before = path.read_bytes()
    (tmp_path / lock).write_bytes(b"user")
    result = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "--in-place"])
    assert result.exit_code != 0
    assert "is open in Excel or LibreOffice" in result.output
    assert path.read_bytes() == before
    assert not (tmp_path / "place.xlsx.bak").exists()


def test_in_place_and_output_together_is_bad_usage(tmp_path):
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    result = CliRunner().invoke(
        main, ["run", str(scenario_file(tmp_path)), "--in-place", "-o", str(tmp_path / "x.xlsx")]
    )
    assert result.exit_code == 2


def test_output_keeps_the_permissions_of_the_input(tmp_path):
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    os.chmod(path, 0o640)
    out = tmp_path / "out.xlsx"
    pooling.run(scenario_file(tmp_path), output=out)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_target_and_no_temporary_file(tmp_path):
    target = tmp_path / "out.xlsx"
    target.write_bytes(b"before")

    def refuse(path):
        raise WriteError("checked and refused")

    with pytest.raises(WriteError):
        atomic_write(target, b"after", verify=refuse)
    assert target.read_bytes() == b"before"
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"]


# -- fuzzing: the loader loads, or refuses cleanly ---------------------------------------------

CELL_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["yes", "no", "council", "grant", "2010/11", "007", "=1+", "#DIV/0!", "25%", "", " "]),
    st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 1, 1)),
)


@given(data=st.data())
def test_mutated_cells_load_or_give_a_clean_error(tmp_path, data):
    sheets = small_sheets()
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        name = data.draw(st.sampled_from(sorted(sheets)))
        rows = sheets[name]
        row = data.draw(st.integers(min_value=0, max_value=len(rows) - 1))
        column = data.draw(st.integers(min_value=0, max_value=len(rows[row]) - 1))
        rows[row][column] = data.draw(CELL_VALUES)
    path = write_sheets(tmp_path / "fuzz.xlsx", sheets)
    try:
        place, _ = pooling.load(path)
    except InputError as error:
        assert error.lines() and all(line.strip() for line in error.lines())
    else:
        assert place.years >= 1


@given(
    flips=st.lists(
        st.tuples(st.floats(min_value=0, max_value=1), st.integers(min_value=1, max_value=255)), min_size=1, max_size=8
    )
)
def test_mutated_bytes_load_or_give_a_clean_error(tmp_path, flips):
    source = tmp_path / "source.xlsx"
    if not source.exists():
        write_sheets(source, small_sheets())
    data = bytearray(source.read_bytes())
    for where, mask in flips:
        data[int(where * (len(data) - 1))] ^= mask
    path = tmp_path / "flipped.xlsx"
    path.write_bytes(bytes(data))
    try:
        pooling.load(path)
    except InputError as error:
        assert len(error.lines()) >= 1


def test_comment_text_with_control_characters_is_well_formed_xml():
    from xml.etree import ElementTree

    from pooling.xlsx.comments import comments_xml

    part = comments_xml({"B2": "bell\x07 & <tab>\t _x0041_ stays"})
    texts = [node.text for node in ElementTree.fromstring(part).iter() if node.tag.endswith("}t")]
    # Excel reads _xHHHH_ back as the character: \x07 survives, the literal _x0041_ too.
    assert texts[1] == "\nbell_x0007_ & <tab>\t _x005F_x0041_ stays"


def test_a_written_part_that_is_not_well_formed_is_refused_before_the_rename(tmp_path):
    from pooling.files import verify_workbook

    good = tmp_path / "good.xlsx"
    write_sheets(good, small_sheets())
    bad = tmp_path / "bad.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(bad, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b"<row></sheetData>")  # an unclosed element
            target.writestr(info, data)
    verify_workbook(good)
    with pytest.raises(WriteError, match="sheet1.xml is not well-formed"):
        verify_workbook(bad)


def _start(scenario: Path, pause: str | None = None):
    import subprocess
    import sys

    environment = {**os.environ, "POOLING_TEST_PAUSE": pause or ""}
    command = [sys.executable, "-m", "pooling", "run", str(scenario), "--in-place"]
    return subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(path: Path, process) -> None:
    import time

    deadline = time.monotonic() + 60
    while not path.exists():
        assert process.poll() is None, process.communicate()[0]
        assert time.monotonic() < deadline, "the paused run never reached its step"
        time.sleep(0.01)


@pytest.mark.parametrize("step", ["solved", "locked", "backed up"])
def test_two_in_place_runs_interleaved_never_lose_the_original(tmp_path, step):
    # Run A stops at `step` (a test hook in the product, released by a file); run B runs
    # to the end meanwhile; then A goes on. Whatever the order, the original input must
    # be recoverable byte for byte, and neither run may report a backup it did not make.
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    original = path.read_bytes()
    scenario = scenario_file(tmp_path)
    lock = path.with_name(f".~pooling.{path.name}.lock")
    go = lock.with_name(lock.name + ".go")
    first = _start(scenario, pause=step)
    _wait_for(Path(f"{go}.waiting"), first)
    second = _start(scenario)
    second_output = second.communicate(timeout=120)[0]
    go.write_text("go", encoding="ascii")
    first_output = first.communicate(timeout=120)[0]

    codes = sorted([first.returncode, second.returncode])
    assert codes == [0, 2], (first_output, second_output)  # one writes, the other refuses
    refused = second_output if second.returncode else first_output
    assert "Traceback" not in first_output + second_output
    assert "another pooling run" in refused or "changed while the scenario was solved" in refused
    backups = sorted(tmp_path.glob("place.xlsx.bak*"))
    assert [backup.read_bytes() == original for backup in backups] == [True]
    assert not lock.exists()
    assert not list(tmp_path.glob(".*.tmp"))


def test_a_killed_runs_lock_and_temporary_files_are_cleared_by_the_next(tmp_path):
    # A lock and a temporary file left by a process that no longer exists (pid 2**22 + 1
    # is above Linux's default pid_max) do not stop the next run, and are removed by it.
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    dead = 2**22 + 1
    import time

    (tmp_path / ".~pooling.out.xlsx.lock").write_text(f"{dead} {time.time():.0f}\n", encoding="ascii")
    leftover = tmp_path / f".out.pooling-{dead}.abc123.tmp"
    leftover.write_bytes(b"half a workbook")
    result = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 0, result.output
    assert not leftover.exists()
    assert not (tmp_path / ".~pooling.out.xlsx.lock").exists()
    assert path.exists()


# -- the operating system says no: one line, an exit status, nothing half-written ------------


def _one_line_failure(result, status: int) -> str:
    assert result.exit_code == status, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    return result.output.strip()


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "fifo"])
def test_a_device_or_pipe_given_as_the_workbook_is_refused_before_reading(tmp_path, device):
    if device == "fifo":
        device = tmp_path / "pipe.xlsx"
        os.mkfifo(device)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(f'name = "Test"\nworkbook = "{device}"\n', encoding="utf-8")
    output = _one_line_failure(CliRunner().invoke(main, ["run", str(scenario)]), 1)
    assert "not a file but a device, a pipe or a socket" in output


def test_a_scenario_nested_ten_thousand_deep_or_with_a_byte_order_mark(tmp_path):
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    deep = tmp_path / "deep.toml"
    deep.write_text('name = "x"\nworkbook = "place.xlsx"\nv = ' + "[" * 10_000 + "]" * 10_000 + "\n", encoding="utf-8")
    output = _one_line_failure(CliRunner().invoke(main, ["run", str(deep)]), 1)
    assert "nested too deeply" in output
    # Notepad's UTF-8 with a byte-order mark is read as UTF-8.
    marked = scenario_file(tmp_path)
    marked.write_bytes(b"\xef\xbb\xbf" + marked.read_bytes())
    result = CliRunner().invoke(main, ["run", str(marked), "-o", str(tmp_path / "out.xlsx")])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("arguments", [["--seed", "-1"], ["--samples", "-1"], ["--samples", "1000000000"]])
def test_sweep_numbers_out_of_range_are_bad_usage(tmp_path, arguments):
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    command = ["sweep", str(scenario_file(tmp_path)), "--vary", "change.default=0,-0.05", *arguments]
    output = _one_line_failure(CliRunner().invoke(main, command), 2)
    assert "Invalid value" in output


def test_a_full_disk_leaves_no_output_and_no_temporary_file(tmp_path, monkeypatch):
    import errno

    write_sheets(tmp_path / "place.xlsx", small_sheets())

    def full(_descriptor):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("pooling.files.os.fsync", full)
    result = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "-o", str(tmp_path / "out.xlsx")])
    output = _one_line_failure(result, 2)
    assert "No space left on device" in output
    assert sorted(path.name for path in tmp_path.iterdir()) == ["place.xlsx", "scenario.toml"]


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path):
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    # /proc refuses new files even to root, who can write into a read-only (mode 0555) folder.
    result = CliRunner().invoke(main, ["run", str(scenario_file(tmp_path)), "-o", "/proc/pooling-out.xlsx"])
    output = _one_line_failure(result, 2)
    assert "/proc" in output


def test_a_partner_code_too_long_for_a_file_name_writes_no_returns(tmp_path):
    sheets = small_sheets()
    long_code = "B" * 300
    for sheet in ("Partners", "Funding", "Programmes", "Savings"):
        for row in sheets[sheet][1:]:
            row[:] = [long_code if cell == "B" else cell for cell in row]
    place = write_sheets(tmp_path / "place.xlsx", sheets)
    result = CliRunner().invoke(main, ["split", str(place), "-o", str(tmp_path / "returns")])
    output = _one_line_failure(result, 2)
    assert "shorter code" in output
    assert not (tmp_path / "returns").exists() or not list((tmp_path / "returns").iterdir())


def test_an_output_that_will_be_refused_is_refused_before_solving(tmp_path):
    path = write_sheets(tmp_path / "place.xlsx", small_sheets())
    scenario = scenario_file(tmp_path)
    result = CliRunner().invoke(main, ["run", str(scenario), "-o", str(path)])
    assert result.exit_code == 2 and "this is the input workbook" in result.output
    assert "Solving" not in result.output
    result = CliRunner().invoke(main, ["run", str(scenario), "-o", str(tmp_path / "no-such-folder" / "out.xlsx")])
    assert result.exit_code == 2 and "does not exist" in result.output and "Solving" not in result.output


def test_per_partner_files_that_would_collide_are_refused_before_anything_is_written(tmp_path):
    sheets = small_sheets()
    for sheet in ("Partners", "Funding", "Programmes", "Savings"):
        for row in sheets[sheet][1:]:
            row[:] = ["a" if cell == "A" else cell for cell in row]
    sheets["Partners"][2][0] = "A"  # partner codes 'a' and 'A' would share one file name
    for sheet in ("Funding", "Programmes", "Savings"):
        for row in sheets[sheet][1:]:
            row[:] = ["A" if cell == "B" else cell for cell in row]
    write_sheets(tmp_path / "place.xlsx", sheets)
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(
        main, ["run", str(scenario_file(tmp_path)), "-o", str(out), "--per-partner", str(tmp_path / "each")]
    )
    assert result.exit_code == 2, result.output
    assert "would share the file" in result.output
    assert not out.exists()


def test_what_is_accepted_as_input_is_accepted_when_written_with_its_results():
    # An input of exactly MAX_PARTS parts is accepted; its output holds more (the result
    # sheets), and pooling's check of what it wrote must allow for them.
    import io

    from pooling.xlsx.container import MAX_PARTS, PackageError, preflight

    def package(count: int) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            for number in range(count - 1):
                archive.writestr(f"xl/media/part{number}.bin", b"")
        return buffer.getvalue()

    preflight(package(MAX_PARTS))
    with pytest.raises(PackageError, match="parts"):
        preflight(package(MAX_PARTS + 20))
    preflight(package(MAX_PARTS + 20), written=True)


def test_every_command_gives_its_files_the_permissions_a_new_file_gets(tmp_path):
    # The temporary file is private (0600) until it is renamed: the result must not be.
    write_sheets(tmp_path / "place.xlsx", small_sheets())
    scenario = scenario_file(tmp_path)
    previous = os.umask(0o022)
    try:
        outputs = {
            "compare": (["compare", str(scenario), str(scenario), "-o", str(tmp_path / "c.xlsx")], tmp_path / "c.xlsx"),
            "partners": (["partners", str(scenario), "-o", str(tmp_path / "p.xlsx")], tmp_path / "p.xlsx"),
            "template": (["template", str(tmp_path / "t.xlsx")], tmp_path / "t.xlsx"),
        }
        for name, (command, path) in outputs.items():
            result = CliRunner().invoke(main, command)
            assert result.exit_code == 0, (name, result.output)
            assert stat.S_IMODE(path.stat().st_mode) == 0o644, name
    finally:
        os.umask(previous)
