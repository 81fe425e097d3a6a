"""Partners' returns merged back into the place workbook.

``merge`` reads the returns back, refuses (by file and cell) any edit to a row the
partner does not own, to a reference sheet, or to a cell another return also changed
or the place workbook changed since, validates the merged place as a whole (every
problem named by the file and cell it came from), and writes the place workbook with
exactly those edits spliced into its sheets and a Changes sheet listing them.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path

from defusedxml import ElementTree as SafeET

from .. import schema
from ..errors import InputError, WriteError
from ..files import check_output, write_output
from ..outputs import MERGE
from ..schema import normalise
from ..tables import find_header_row, read_place
from ..validate import ValidationError, validate
from ..xlsx.book import Book
from ..xlsx.cells import edit_cells
from ..xlsx.container import Package, scan
from ..xlsx.formulas import Formula, ask_to_recalculate, formulas
from ..xlsx.graft import graft
from ..xlsx.read import RawSheet, RawWorkbook
from ..xlsx.refs import cell_ref, column_letter
from .split import BASE, COVER, OWNED, PLACE_ROW, REFERENCE, PlaceTable, blank, leads, owner, place_tables


class MergeError(InputError):
    """Returns that cannot be merged; every problem is a line naming file and cell."""


@dataclass
class Edit:
    sheet: str  # contract sheet name
    row: int  # place row
    column: int
    old: object
    new: object
    partner: str
    file: str
    source: str  # Sheet!Cell in the return


@dataclass
class MergePlan:
    edits: list[Edit]
    tables: dict[str, PlaceTable]  # the place tables with the edits applied
    added_rows: dict[str, list[int]]  # sheet -> place rows added
    # Formulas of the place workbook that read a cell an edit changes: their stored results
    # are out of date until the workbook is recalculated.
    stale: list[tuple[Formula, Edit]] = field(default_factory=list)

    def stale_lines(self) -> list[str]:
        return [
            f"{formula.sheet}!{cell_ref(formula.row, formula.column)} (={formula.text}) reads "
            f"{self.tables[edit.sheet].title}!{cell_ref(edit.row, edit.column)}, which {edit.partner}'s return changed"
            for formula, edit in self.stale
        ]


def read_return(path: Path) -> tuple[str, RawWorkbook]:
    """The partner code a return is for, and its raw sheets."""
    raw = read_place(Path(path), {normalise(COVER), normalise(BASE)})
    cover = raw.sheets.get(normalise(COVER))
    partner = None
    if cover is not None:
        for _, values in cover.rows:
            if values and values[0] == "Partner" and len(values) > 1 and values[1] is not None:
                partner = str(values[1]).strip()
    if partner is None:
        raise MergeError(f"{Path(path).name}: Cover!B13: no partner code; this is not a return made by pooling split")
    return partner, raw


def plan_merge(place_raw: RawWorkbook, returns: list[Path]) -> MergePlan:
    """Every edit the returns make, checked; raise MergeError listing every problem."""
    tables = place_tables(place_raw)
    led = leads(tables)
    problems: list[str] = []
    edits: list[Edit] = []
    touched: dict[tuple[str, int, int], Edit] = {}
    added: dict[str, list[int]] = {}
    next_row = {name: table.last_row + 1 for name, table in tables.items()}
    for path in returns:
        path = Path(path)
        try:
            partner, raw = read_return(path)
        except InputError as error:
            problems += error.lines()
            continue
        name = path.name
        if tables["Partners"] and partner not in {
            tables["Partners"].code(v, "Partner") for v in tables["Partners"].rows.values()
        }:
            problems.append(f"{name}: Cover!B13: partner '{partner}' is not in the place workbook")
            continue
        base = _base_values(raw)
        new_programmes = set()
        for spec in schema.SHEETS:
            table = tables.get(spec.name)
            sheet = raw.sheets.get(spec.key)
            if table is None or sheet is None:
                continue
            found = find_header_row(sheet, spec)
            if found is None:
                problems.append(f"{name}: {sheet.title}: no header row")
                continue
            header_row, header_values = found
            columns, place_column, header_problems = _match_columns(table, header_values, name, sheet.title, header_row)
            problems += header_problems
            if place_column is None:
                continue
            for number, values in sheet.rows:
                if number <= header_row:
                    continue
                values = list(values)
                where_row = f"{name}: {sheet.title}!"
                place_row = values[place_column - 1] if place_column <= len(values) else None
                if isinstance(place_row, float) and place_row.is_integer():
                    place_row = int(place_row)  # numbers read as floats
                elif blank(place_row):
                    place_row = None
                data = {place: values[ret - 1] if ret <= len(values) else None for ret, place in columns.items()}
                if all(blank(value) for value in data.values()) and place_row is None:
                    continue
                if place_row is None:  # a new row
                    if spec.name in REFERENCE:
                        problems.append(
                            f"{where_row}{cell_ref(number, 1)}: {spec.name} is for reference; rows cannot be added here"
                        )
                        continue
                    row_values = [data.get(column) for column in range(1, len(table.headers) + 1)]
                    belongs = owner(tables, spec.name, row_values, {**led, **{p: partner for p in new_programmes}})
                    if spec.name == "Programmes" and table.code(row_values, "Lead") == partner:
                        new_programmes.add(table.code(row_values, "Programme"))
                        belongs = partner
                    if belongs != partner:
                        problems.append(
                            f"{where_row}{cell_ref(number, 1)}: a new row for {belongs or 'another partner'}; a return may only add {partner}'s rows"
                        )
                        continue
                    target = next_row[spec.name]
                    next_row[spec.name] += 1
                    added.setdefault(spec.name, []).append(target)
                    for column, value in data.items():
                        if not blank(value):
                            edit = Edit(
                                spec.name,
                                target,
                                column,
                                None,
                                value,
                                partner,
                                name,
                                f"{sheet.title}!{cell_ref(number, _return_column(columns, column))}",
                            )
                            edits.append(edit)
                    continue
                if not isinstance(place_row, int) or place_row not in table.rows:
                    problems.append(
                        f"{where_row}{cell_ref(number, place_column)}: Place row {place_row!r} is not a row of {spec.name} in the place workbook"
                    )
                    continue
                current = table.rows[place_row]
                if spec.name not in REFERENCE and owner(tables, spec.name, current, led) != partner:
                    problems.append(
                        f"{where_row}{cell_ref(number, 1)}: row {place_row} of {spec.name} belongs to {owner(tables, spec.name, current, led)}, not {partner}"
                    )
                    continue
                for column, value in data.items():
                    sent = base.get((spec.name, place_row, table.headers[column - 1] or column_letter(column)))
                    if _same(value, sent):
                        continue
                    source = f"{sheet.title}!{cell_ref(number, _return_column(columns, column))}"
                    if spec.name in REFERENCE:
                        problems.append(
                            f"{name}: {source}: {spec.name} is for reference; it cannot be changed in a return"
                        )
                        continue
                    now = current[column - 1]
                    if not _same(now, sent):
                        problems.append(
                            f"{name}: {source}: the place workbook's {table.title}!{cell_ref(place_row, column)} has changed since this return was made ({sent!r} → {now!r})"
                        )
                        continue
                    edit = Edit(spec.name, place_row, column, now, value, partner, name, source)
                    edits.append(edit)
        # ownership may not be given away: a changed Partner, Lead or Beneficiary
        for edit in edits:
            if edit.file == name and edit.old is not None and edit.sheet in OWNED:
                header = tables[edit.sheet].headers[edit.column - 1]
                if header and normalise(header) in ("partner", "lead", "beneficiary") and _code_of(edit.new) != partner:
                    problems.append(
                        f"{name}: {edit.source}: {header} changed to '{edit.new}'; a return cannot hand a row to another partner"
                    )
    for edit in edits:
        key = (edit.sheet, edit.row, edit.column)
        if key in touched and touched[key].file != edit.file:
            other = touched[key]
            problems.append(
                f"{edit.file}: {edit.source}: {tables[edit.sheet].title}!{cell_ref(edit.row, edit.column)} is also changed by "
                f"{other.file} ({other.source})"
            )
        touched.setdefault(key, edit)
    if problems:
        raise MergeError("\n".join(problems))
    merged = _apply(tables, edits)
    _check_merged(place_raw, merged, edits)
    return MergePlan(edits, merged, added)


def _base_values(raw: RawWorkbook) -> dict[tuple[str, int, str], object]:
    sheet = raw.sheets.get(normalise(BASE))
    values = {}
    for number, row in sheet.rows if sheet is not None else []:
        if number == 1 or len(row) < 4:
            continue
        values[(row[0], row[1], row[2])] = row[3]
    return values


def _match_columns(table: PlaceTable, header_values, name, title, header_row):
    """Return column -> place column, the Place row column, and problems with headers."""
    problems = []
    columns: dict[int, int] = {}
    place_column = None
    for index, value in enumerate(header_values, start=1):
        if value is None or str(value).strip() == "":
            continue
        if normalise(value) == normalise(PLACE_ROW):
            place_column = index
            continue
        column = table.column(str(value))
        if column is None:
            problems.append(
                f"{name}: {title}!{cell_ref(header_row, index)}: column '{value}' is not in the place workbook; a return cannot add columns"
            )
        else:
            columns[index] = column
    for column, header in enumerate(table.headers, start=1):
        if header is not None and column not in columns.values():
            problems.append(f"{name}: {title}!{header_row}:{header_row}: column '{header}' is missing")
    if place_column is None:
        problems.append(
            f"{name}: {title}!{header_row}:{header_row}: the 'Place row' column is missing; this is not a return made by pooling split"
        )
    return columns, place_column, problems


def _return_column(columns: dict[int, int], place_column: int) -> int:
    return next(ret for ret, place in columns.items() if place == place_column)


def _same(a, b) -> bool:
    """Two cell values are the same (blank is blank however written; numbers by value)."""
    if blank(a) and blank(b):
        return True
    if (
        isinstance(a, (int, float))
        and isinstance(b, (int, float))
        and not isinstance(a, bool)
        and not isinstance(b, bool)
    ):
        return float(a) == float(b)  # both read from cells written from the same value
    return a == b


def _code_of(value) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value).strip()


def _apply(tables: dict[str, PlaceTable], edits: list[Edit]) -> dict[str, PlaceTable]:
    merged = {}
    for name, table in tables.items():
        copy = PlaceTable(
            table.spec,
            table.title,
            table.header_row,
            list(table.headers),
            {r: list(v) for r, v in table.rows.items()},
            dict(table.uncalculated),
        )
        merged[name] = copy
    for edit in edits:
        table = merged[edit.sheet]
        row = table.rows.setdefault(edit.row, [None] * len(table.headers))
        row[edit.column - 1] = edit.new
        table.uncalculated.pop((edit.row, edit.column), None)
    return merged


def _check_merged(place_raw: RawWorkbook, merged: dict[str, PlaceTable], edits: list[Edit]) -> None:
    """Validate the merged place; name each problem by the return and cell it came from."""
    sheets = {}
    for table in merged.values():
        header = place_raw.sheets[table.spec.key]
        rows = [(number, values) for number, values in header.rows if number <= table.header_row]
        rows += [(number, tuple(values)) for number, values in sorted(table.rows.items())]
        sheets[table.spec.key] = RawSheet(table.title, rows, table.uncalculated)
    raw = RawWorkbook(place_raw.path, place_raw.package, sheets)
    try:
        validate(raw)
    except ValidationError as error:
        sources = {f"{merged[e.sheet].title}!{cell_ref(e.row, e.column)}": e for e in edits}
        lines = []
        for problem in error.problems:
            edit = sources.get(problem.where)
            if edit is not None:
                lines.append(f"{edit.file}: {edit.source} (place {problem.where}): {problem.message}")
            else:
                lines.append(f"{place_raw.path.name}: {problem}")
        raise MergeError("\n".join(lines)) from None


def merge(place_path: Path, returns: list[Path]) -> tuple[MergePlan, Package]:
    """Read the place workbook and the returns; every edit, checked and validated, and the
    formulas whose stored results the edits leave out of date."""
    place_path = Path(place_path)
    raw = read_place(place_path)
    plan = plan_merge(raw, list(returns))
    plan.stale = stale_formulas(raw.package, plan)
    return plan, raw.package


def stale_formulas(package: Package, plan: MergePlan) -> list[tuple[Formula, Edit]]:
    """Every formula of the workbook that reads a cell an edit changes (a formula the edit
    itself replaces is gone, not stale)."""
    changed = {(plan.tables[edit.sheet].title, edit.row, edit.column): edit for edit in plan.edits}
    found = []
    for sheet in package.sheets:
        part = package.parts.get(sheet.part, b"")
        if b"<f" not in part and b":f" not in part:
            continue
        for formula in formulas(sheet.name, part):
            if (sheet.name, formula.row, formula.column) in changed:
                continue
            for (title, row, column), edit in changed.items():
                if formula.reads_cell(title, row, column):
                    found.append((formula, edit))
                    break
    return found


def merged_workbook(package: Package, plan: MergePlan) -> bytes:
    """The place workbook with the edits spliced into its sheets and a Changes sheet added."""
    parts = dict(package.parts)
    by_sheet: dict[str, dict[tuple[int, int], object]] = {}
    for edit in plan.edits:
        by_sheet.setdefault(edit.sheet, {})[(edit.row, edit.column)] = edit.new
    titles = {sheet.name: sheet.part for sheet in package.sheets}
    for name, values in by_sheet.items():
        table = plan.tables[name]
        part = titles[table.title]
        original_rows = [row for row in table.rows if row not in plan.added_rows.get(name, [])]
        style_row = max(original_rows, default=table.header_row)
        parts[part] = edit_cells(parts[part], values, style_row=style_row)
    order, content_types = list(package.order), dict(package.content_types)
    if by_sheet:
        drop_calculation_chain(package, parts, order, content_types)
    if plan.stale:
        # Excel recalculates on opening; until then pooling refuses the stored results.
        parts[package.workbook_part] = ask_to_recalculate(parts[package.workbook_part])
    edited = Package(
        path=package.path,
        parts=parts,
        order=order,
        content_types=content_types,
        workbook_part=package.workbook_part,
        sheets=list(package.sheets),
        mode=package.mode,
        dates=dict(package.dates),
    )
    changes = _changes_workbook(plan)
    data, _ = graft(edited, changes, {})
    return data


def drop_calculation_chain(package: Package, parts: dict, order: list, content_types: dict) -> None:
    """Remove the calculation chain (``xl/calcChain.xml``), its relationship and its type.

    The chain lists every formula cell in the order Excel last calculated them. A merged
    figure can replace a formula, and a chain naming a cell with no formula makes Excel
    offer to repair the file; without a chain, Excel rebuilds it silently on open. The
    three go together or not at all: a relationship or type left pointing at a missing
    part would itself need repair.
    """
    rels = posixpath.join(
        posixpath.dirname(package.workbook_part), "_rels", posixpath.basename(package.workbook_part) + ".rels"
    )
    for rel_id, kind, target, _ in package.relationships(package.workbook_part):
        if not kind.endswith("/calcChain"):
            continue
        new_rels = _without_child(parts[rels], "Id", rel_id)
        new_types = _without_child(parts["[Content_Types].xml"], "PartName", "/" + target)
        if new_rels is None or new_types is None:
            continue
        parts[rels], parts["[Content_Types].xml"] = new_rels, new_types
        parts.pop(target, None)
        if target in order:
            order.remove(target)
        content_types.pop(target, None)


def _without_child(xml: bytes, attribute: str, value: str) -> bytes | None:
    """``xml`` without the one child of its root whose ``attribute`` is ``value``, cut
    out at its byte offsets (everything else kept as written); None unless exactly one."""
    children = list(SafeET.fromstring(xml))
    matches = [index for index, child in enumerate(children) if child.get(attribute) == value]
    tags = [tag for tag in scan(xml, max_depth=1) if tag.depth == 1]
    if len(matches) != 1 or len(tags) != len(children):
        return None
    tag = tags[matches[0]]
    return xml[: tag.start] + xml[tag.close :]


def _changes_workbook(plan: MergePlan) -> bytes:
    """A workbook holding the Changes sheet: every edit the merge made, and whose."""
    book = Book(("Merged returns", "", ""))
    sheet = book.sheet("Changes")
    rows = [
        (
            plan.tables[edit.sheet].title,
            cell_ref(edit.row, edit.column),
            edit.old,
            edit.new,
            edit.partner,
            edit.file,
            edit.source,
            "added row" if edit.row in plan.added_rows.get(edit.sheet, []) else "changed",
        )
        for edit in plan.edits
    ]
    rows += [
        (
            formula.sheet,
            cell_ref(formula.row, formula.column),
            "=" + formula.text,
            "recalculate",
            edit.partner,
            edit.file,
            edit.source,
            "formula out of date until recalculated",
        )  # fmt: skip
        for formula, edit in plan.stale
    ]
    columns = ["Sheet", "Cell", "Old value", "New value", "Partner", "Return", "Return cell", "Change"]
    sheet.table(columns, rows, widths={"Return": 36, "Return cell": 24})
    if not rows:
        sheet.put(2, 1, "No return changed anything.")
    sheet.finish()
    return book.bytes()


def write_merged(place_path: Path, returns: list[Path], target: Path) -> MergePlan:
    """Merge the returns into a new copy of the place workbook, written atomically."""
    place_path, target = Path(place_path), Path(target)
    if target.resolve() == place_path.resolve():
        raise WriteError(f"{target}: this is the place workbook; merge into a new file")
    check_output(target, MERGE.signature, "pooling merge", kind=None)  # before the work; the kind once it is known
    plan, package = merge(place_path, returns)
    write_output(
        target,
        lambda: merged_workbook(package, plan),
        MERGE.signature,
        "pooling merge",
        package.kind,
        package.mode,
        package,
    )
    return plan
