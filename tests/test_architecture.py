"""The package's layout holds: modules import only their own pipeline step or earlier ones,
imports sit at the top of modules (but for optional dependencies), and every constraint
family the model builds has its record. See docs/architecture.md."""

import ast
from pathlib import Path

import pytest

import pooling
from pooling import families

PACKAGE = Path(pooling.__file__).resolve().parent

# Each module's step, in pipeline order: a module may import modules of its own step or
# an earlier one, never a later one. ``xlsx.*`` is every module of pooling/xlsx.
STEPS = (
    ("foundation", ("version", "errors", "fmt", "precision", "files", "xlsx.*")),
    ("data", ("schema", "outputs", "place")),
    ("load and validate", ("tables", "validate", "scenario")),
    ("build", ("funding", "families", "model")),
    ("solve", ("solve", "rule")),
    ("explain", ("words", "explain", "diagnose", "switching", "report", "rounding")),
    ("write", ("board", "write", "template", "paper")),
    ("run", ("pipeline",)),
    ("analyses and returns", ("analyses.*", "returns.*", "synthetic")),
    ("command line and public API", ("cli", "__init__", "__main__")),
)
# Imports allowed inside functions: optional dependencies, each with a comment saying so.
OPTIONAL = {"dask.distributed", "pyarrow"}
# Imported where first used, so that ``pooling run`` starts without them (each says so).
ON_USE = {"pandas"}


def modules() -> dict[str, Path]:
    """Dotted name (relative to the package) -> file, for every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__" and len(parts) > 1:
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def step_of(name: str) -> int:
    for number, (_, members) in enumerate(STEPS):
        for member in members:
            if name == member or (member.endswith(".*") and name.startswith(member[:-2] + ".")):
                return number
            if member.endswith(".*") and name == member[:-2]:  # the subpackage's own __init__
                return number
    raise AssertionError(f"pooling.{name} has no place in the layout (tests/test_architecture.py STEPS)")


def internal_imports(name: str, path: Path) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for each import of another pooling module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name.split(".")[:-1] if path.name != "__init__.py" else name.split(".")
    if name == "__init__":
        package = []
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            target = ".".join([*base, *(node.module.split(".") if node.module else [])])
            targets = [target] if node.module else [".".join([*base, alias.name]) for alias in node.names]
            for target in targets:
                found.append((target or "__init__", node.lineno, id(node) in top))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == "pooling" or alias.name.startswith("pooling."):
                    found.append(
                        (alias.name.removeprefix("pooling").lstrip(".") or "__init__", node.lineno, id(node) in top)
                    )
    return found


def resolve(target: str, known: dict[str, Path]) -> str:
    """``xlsx.container.Package``-style targets (a name imported from a package) to a module."""
    while target and target not in known:
        target = target.rpartition(".")[0]
    return target or "__init__"


def test_every_module_has_a_place_in_the_layout():
    for name in modules():
        step_of(name)


def test_no_module_imports_a_later_pipeline_step():
    known = modules()
    backwards = []
    for name, path in known.items():
        for target, line, _ in internal_imports(name, path):
            module = resolve(target, known)
            if step_of(module) > step_of(name):
                backwards.append(
                    f"pooling/{path.relative_to(PACKAGE)}:{line}: {name} ({STEPS[step_of(name)][0]}) imports "
                    f"{module} ({STEPS[step_of(module)][0]})"
                )
    assert not backwards, "\n".join(backwards)


def test_imports_sit_at_the_top_of_modules_but_for_optional_dependencies():
    inside = []
    for path in modules().values():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        top = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)) or id(node) in top:
                continue
            if isinstance(node, ast.ImportFrom) and node.module == "__future__":
                continue
            names = [node.module] if isinstance(node, ast.ImportFrom) else [alias.name for alias in node.names]
            nearby = " ".join(lines[max(0, node.lineno - 3) : node.lineno]).casefold()
            if all(module in OPTIONAL for module in names) and "optional" in nearby:
                continue
            if all(module in ON_USE for module in names) and "on use" in nearby:
                continue
            inside.append(f"pooling/{path.relative_to(PACKAGE)}:{node.lineno}: import of {', '.join(names)}")
    assert not inside, "\n".join(inside)


def test_the_architecture_document_names_every_module():
    text = (PACKAGE.parent / "docs" / "architecture.md").read_text(encoding="utf-8")
    for path in modules().values():
        assert f"`{path.relative_to(PACKAGE.parent).as_posix()}`" in text, f"docs/architecture.md does not name {path}"


@pytest.fixture(scope="module")
def example_model():
    from pooling.model import build

    place, _ = pooling.load(PACKAGE.parent / "spreadsheets" / "example.xlsx")
    scenario = pooling.read_scenario(PACKAGE.parent / "scenarios" / "sr2010-pooled-ringfenced.toml")
    return build(place, scenario)


def test_every_family_the_model_builds_has_its_record(example_model):
    built = {info.family for info in example_model.registry.values()}
    assert built <= set(families.FAMILIES), "a constraint was registered with a family not in families.FAMILIES"
    assert len(built) >= 8  # the pooled, ring-fenced example builds (nearly) every family


def test_every_family_record_is_complete():
    names = [family.name for family in families.FAMILIES]
    assert len(set(names)) == len(names)
    for family in families.FAMILIES:
        assert family.unit in (families.MONEY, families.OUTCOME_UNITS)
        assert "{step}" in family.step or family.unit == families.OUTCOME_UNITS
        assert callable(family.subject) and callable(family.state)
        assert (family.relaxed is not None) == family.relaxes, f"{family.name}: relaxes without words, or words unused"
