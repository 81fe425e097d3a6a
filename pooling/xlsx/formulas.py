"""Formulas and the cells they read: which stored values a change of a cell leaves stale.

Excel stores each formula's last result beside it, and ``pooling`` reads those results
(it does not calculate). When a merge changes a cell that a formula reads, the formula's
stored result is out of date until the workbook is recalculated. This module finds such
formulas from the sheet XML: every A1 reference in a formula's text (with or without a
sheet name, ranges included), and for a shared formula the references of its master
shifted over the block the formula is shared across.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from defusedxml import ElementTree as SafeET

from .container import NS_MAIN
from .refs import FORMULA_REFERENCE, column_index

_CELL = re.compile(r"([A-Z]{1,3})(\d+)")
# fullCalcOnLoad on the workbook's calcPr: recalculate every formula when it is opened.
_FULL_CALCULATION = re.compile(rb'<(?:\w+:)?calcPr\b[^>]*\bfullCalcOnLoad="(?:1|true)"')


@dataclass(frozen=True)
class Formula:
    sheet: str  # the title of the sheet it is on
    row: int
    column: int
    text: str  # as written, without the leading =
    reads: tuple[tuple[str, int, int, int, int], ...]  # (sheet, first row, first column, last row, last column)

    def reads_cell(self, sheet: str, row: int, column: int) -> bool:
        return any(
            name == sheet and top <= row <= bottom and left <= column <= right
            for name, top, left, bottom, right in self.reads
        )


def formulas(title: str, part: bytes) -> list[Formula]:
    """Every formula cell of one sheet part, with the ranges it reads."""
    found, shared = [], {}
    cell_tag, formula_tag = f"{{{NS_MAIN}}}c", f"{{{NS_MAIN}}}f"
    for _, node in SafeET.iterparse(io.BytesIO(part), events=("end",)):
        if node.tag != cell_tag:
            continue
        formula = node.find(formula_tag)
        match = _CELL.fullmatch(node.get("r", ""))
        if formula is not None and match:
            row, column = int(match.group(2)), column_index(match.group(1))
            text = (formula.text or "").strip()
            if formula.get("t") == "shared" and text:
                shared[formula.get("si")] = (text, formula.get("ref", ""), row, column)
            if formula.get("t") == "shared" and not text and formula.get("si") in shared:
                text, _block, first_row, first_column = shared[formula.get("si")]
                reads = _shifted(title, text, row - first_row, column - first_column)
            else:
                reads = _reads(title, text)
            found.append(Formula(title, row, column, text, reads))
        node.clear()
    return found


def _reads(title: str, text: str) -> tuple[tuple[str, int, int, int, int], ...]:
    return _shifted(title, text, 0, 0)


def _shifted(title: str, text: str, down: int, right: int) -> tuple[tuple[str, int, int, int, int], ...]:
    """The ranges ``text`` reads, moved ``down`` rows and ``right`` columns (a shared
    formula's copy; $ anchors are moved too, which can only widen what is flagged)."""
    found = []
    for match in FORMULA_REFERENCE.finditer(text.replace('"', " ")):
        quoted, plain, first_col, first_row, last_col, last_row = match.groups()
        sheet = (quoted.replace("''", "'") if quoted else plain) or title
        top, left = int(first_row) + down, column_index(first_col) + right
        bottom = int(last_row) + down if last_row else top
        far_right = column_index(last_col) + right if last_col else left
        found.append((sheet, min(top, bottom), min(left, far_right), max(top, bottom), max(left, far_right)))
    return tuple(found)


def recalculates_on_open(workbook_part: bytes) -> bool:
    """Does the workbook ask Excel to recalculate every formula when it is opened?"""
    return bool(_FULL_CALCULATION.search(workbook_part))


def ask_to_recalculate(workbook_part: bytes) -> bytes:
    """The workbook part with ``fullCalcOnLoad="1"`` on its calcPr (added if absent), so
    Excel and LibreOffice recalculate every formula when the file is next opened."""
    if recalculates_on_open(workbook_part):
        return workbook_part
    existing = re.search(rb"<((?:\w+:)?)calcPr\b", workbook_part)
    if existing:
        end = existing.end()
        return workbook_part[:end] + b' fullCalcOnLoad="1"' + workbook_part[end:]
    closing = re.search(rb"</((?:\w+:)?)workbook>", workbook_part)
    prefix = closing.group(1)
    # calcPr follows sheets/functionGroups/externalReferences/definedNames in CT_Workbook:
    # placed before the elements that come after it, or just before the end.
    later = re.search(rb"<(?:\w+:)?(?:oleSize|customWorkbookViews|pivotCaches|smartTagPr|smartTagTypes|"
                      rb"webPublishing|fileRecoveryPr|webPublishObjects|extLst)\b", workbook_part)  # fmt: skip
    at = later.start() if later else closing.start()
    return workbook_part[:at] + b"<" + prefix + b'calcPr fullCalcOnLoad="1"/>' + workbook_part[at:]
