"""The command line through click's CliRunner: exit statuses and the words a user sees."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import pooling
from pooling.cli import main

from .contract_check import settings_block
from .helpers import place_sheets, write_sheets


def tiny_place(tmp_path: Path, reachable: bool = True) -> Path:
    sheets = place_sheets(
        partners=[("A", "council", None, None)],
        funding=[("CT", "A", "council tax", 100, None, None)],
        programmes=[("P", "A", "yes", 0, None, None)],
        outcomes=[("O", 1000, 0.5 if reachable else 5, None)],
        effects=[("P", "O", 10, None)],
        years=2,
    )
    return write_sheets(tmp_path / "place.xlsx", sheets)


def scenario(tmp_path: Path, text: str = "", workbook: str = "place.xlsx") -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(f'name = "Test"\nworkbook = "{workbook}"\n{text}', encoding="utf-8")
    return path


def invoke(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_run_solves_writes_and_summarises(tmp_path):
    tiny_place(tmp_path)
    out = tmp_path / "out.xlsx"
    result = invoke("run", scenario(tmp_path), "-o", out)
    assert result.exit_code == 0, result.output
    assert "Status:     optimal" in result.output
    # Council tax 100 (frozen) + freeze grant 2.5: 102.5 a year at 10 per £1m → 1.025
    # units, £1,025 a year, two years undiscounted.
    assert "Objective:  £2,050" in result.output
    assert f"Wrote {out}" in result.output
    assert out.exists()


def test_run_json_prints_full_precision(tmp_path):
    tiny_place(tmp_path)
    result = invoke("run", scenario(tmp_path), "-o", tmp_path / "out.xlsx", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "optimal"
    assert data["objective"] == pytest.approx(2050.0, rel=1e-9)
    assert data["objective_unit"] == "£"
    assert data["largest_allocations"][0]["programme"] == "P"


def test_lever_flags_override_the_file_and_are_audited(tmp_path):
    tiny_place(tmp_path)
    out = tmp_path / "out.xlsx"
    # No freeze, council tax growing 10%: 110 and 121 → (110 + 121) × 10 → £2,310.
    result = invoke("run", scenario(tmp_path), "-o", out, "--no-freeze", "--set", "council_tax.growth=0.1", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["objective"] == pytest.approx(2310.0)
    import openpyxl

    audit = dict(openpyxl.load_workbook(out)["Audit"].iter_rows(min_row=2, values_only=True))
    assert audit["Lever: council_tax.freeze"] == "no"
    assert audit["Lever: council_tax.growth"] == "10.00% a year"
    assert "council_tax.growth=0.1" in audit["Lever: overrides"]


def test_bad_workbook_exits_1_listing_every_problem(tmp_path):
    path = tiny_place(tmp_path)
    import openpyxl

    book = openpyxl.load_workbook(path)
    book["Funding"]["D2"] = -5
    book["Programmes"]["C2"] = "Z"
    book.save(path)
    result = invoke("validate", path)
    assert result.exit_code == 1
    assert "Funding!D2: Base is negative (-5)" in result.output
    assert "Programmes!C2: unknown partner 'Z'" in result.output
    assert "Traceback" not in result.output
    assert invoke("run", scenario(tmp_path), "-o", tmp_path / "o.xlsx").exit_code == 1


def test_bad_scenario_exits_1_naming_the_key(tmp_path):
    tiny_place(tmp_path)
    result = invoke("run", scenario(tmp_path, 'pooling = "shared"\nspeed = 3\n[change]\nsource = { grnt = 0.1 }'))
    assert result.exit_code == 1
    assert "pooling: must be 'pooled' or 'silo', not 'shared'" in result.output
    assert "speed: unknown key" in result.output
    assert "change.source.grnt: unknown source" in result.output


def test_not_a_workbook_exits_1_with_one_line(tmp_path):
    (tmp_path / "place.xlsx").write_text("a,b\n1,2\n")
    result = invoke("validate", tmp_path / "place.xlsx")
    assert result.exit_code == 1
    assert "CSV" in result.output


def test_bad_usage_exits_2(tmp_path):
    assert invoke("run").exit_code == 2
    assert invoke("run", "x.toml", "--pooling", "sideways").exit_code == 2
    assert invoke("frobnicate").exit_code == 2


def test_infeasible_exits_3_and_still_writes_why(tmp_path):
    tiny_place(tmp_path, reachable=False)
    out = tmp_path / "out.xlsx"
    result = invoke("run", scenario(tmp_path, 'objective = "least-cost"'), "-o", out)
    assert result.exit_code == 3, result.output
    assert "Status:     infeasible" in result.output
    import openpyxl

    summary = settings_block(openpyxl.load_workbook(out)["Summary"])
    assert summary["Status"] == "infeasible"


def test_never_writes_over_the_input(tmp_path):
    path = tiny_place(tmp_path)
    before = path.read_bytes()
    result = invoke("run", scenario(tmp_path), "-o", path)
    assert result.exit_code != 0
    assert "input workbook" in result.output
    assert path.read_bytes() == before


def test_never_replaces_a_file_pooling_did_not_write(tmp_path):
    tiny_place(tmp_path)
    other = tmp_path / "budget.xlsx"
    write_sheets(other, {"Mine": [["precious"]]})
    before = other.read_bytes()
    result = invoke("run", scenario(tmp_path), "-o", other)
    assert result.exit_code != 0
    assert "not written by pooling" in result.output
    assert other.read_bytes() == before


def test_template_writes_a_blank_workbook_and_refuses_to_overwrite(tmp_path):
    out = tmp_path / "template.xlsx"
    assert invoke("template", out).exit_code == 0
    import openpyxl

    book = openpyxl.load_workbook(out)
    assert {"Place", "Partners", "Funding", "Programmes", "Outcomes", "Effects", "Savings"} <= set(book.sheetnames)
    assert book["Funding"]["D1"].value == "Base"
    assert book["Funding"]["D1"].comment is not None
    assert any("council tax" in dv.formula1 for dv in book["Funding"].data_validations.dataValidation)
    assert invoke("template", out).exit_code == 2


@pytest.mark.parametrize("command", ["run", "validate", "template"])
def test_help_has_an_example(command):
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output


def test_setting_one_freeze_grant_rate_keeps_the_others():
    changed = pooling.scenario_from_dict({"workbook": "x.xlsx"}, overrides={"council_tax.freeze_grant.police": 0.02})
    # The contract's defaults are council 2.5%, police 3%, fire 3%: only police changes.
    assert changed.freeze_grant == pytest.approx({"council": 0.025, "police": 0.02, "fire": 0.03})
    own = {"workbook": "x.xlsx", "council_tax": {"freeze_grant": {"council": 0.01}}}
    changed = pooling.scenario_from_dict(own, overrides={"council_tax.freeze_grant.police": 0.02})
    assert changed.freeze_grant == pytest.approx({"council": 0.01, "police": 0.02})  # the file's table, added to


def test_validate_needs_neither_the_solver_nor_pandas():
    # A finance officer checking a workbook should not wait for the solver libraries to load.
    import subprocess
    import sys

    example = Path(__file__).resolve().parent.parent / "spreadsheets" / "example.xlsx"
    code = (
        "import sys\n"
        "from pooling.cli import main\n"
        f"sys.argv = ['pooling', 'validate', {str(example)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
        "print(sorted(name for name in ('pandas', 'pulp', 'highspy') if name in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout.strip().splitlines()[-1] == "[]"


def test_run_imports_neither_pandas_nor_pyarrow(tmp_path):
    # A treasurer's run should not wait for the data-frame libraries: its tables are plain rows.
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    out = tmp_path / "out.xlsx"
    code = (
        "import sys\n"
        "from pooling.cli import main\n"
        f"sys.argv = ['pooling', 'run', {str(root / 'scenarios' / 'sr2010-pooled.toml')!r}, '-o', {str(out)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code in (0, None), exit.code\n"
        "print(sorted(name for name in ('pandas', 'pyarrow', 'highspy') if name in sys.modules))\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert run.stdout.strip().splitlines()[-1] == "['highspy']"  # the solver, and nothing heavier
    assert out.exists()


def test_a_variant_is_named_by_its_levers_not_the_file_title(tmp_path):
    tiny_place(tmp_path)
    path = scenario(tmp_path, text="")
    path.write_text('name = "Pooled, council tax frozen"\nworkbook = "place.xlsx"\n', encoding="utf-8")
    out = tmp_path / "out.xlsx"
    result = invoke("run", path, "-o", out, "--pooling", "silo", "--no-freeze", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["scenario"] == "scenario.toml with: silo, no freeze"
    # Unfrozen with 0% growth keeps council tax flat and loses the freeze grant: said, naming the key.
    assert any("council_tax.growth" in message for message in data["messages"])
    import openpyxl

    summary = dict(row[:2] for row in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True) if row[0])
    assert summary["Scenario"] == "scenario.toml with: silo, no freeze"
    printed = invoke("run", path, "-o", tmp_path / "again.xlsx", "--pooling", "silo", "--no-freeze")
    assert "Pooled, council tax frozen" not in printed.output
    assert "scenario.toml with: silo, no freeze" in printed.output
