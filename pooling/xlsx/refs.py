"""A1 references, the one place they are read and written.

Columns as letters (``AA`` is column 27), cells as ``D7``, ranges as ``A1:C9``, and
references qualified by a sheet (``Funding!D7``) as Excel writes them. Rows and columns
are 1-based, as in Excel.
"""

from __future__ import annotations

import functools
import re

MAX_ROW = 1_048_576
MAX_COLUMN = 16_384

_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?([0-9]{1,7})")


@functools.lru_cache(maxsize=1024)
def column_letter(column: int) -> str:
    """'A' for 1, 'Z' for 26, 'AA' for 27."""
    letters = ""
    while column > 0:
        column, remainder = divmod(column - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


def column_index(letters: str) -> int:
    """1 for 'A', 27 for 'AA' (either case)."""
    index = 0
    for char in letters.upper():
        index = index * 26 + (ord(char) - 64)
    return index


def cell_ref(row: int, column: int) -> str:
    """``D7`` for row 7, column 4."""
    return f"{column_letter(column)}{row}"


def parse_ref(text: str) -> tuple[int, int]:
    """(row, column) of ``D7`` or ``$D$7``; ValueError for anything else, or a cell outside
    Excel's grid."""
    match = _REF.fullmatch(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not a cell reference")
    row, column = int(match.group(2)), column_index(match.group(1))
    if not (1 <= row <= MAX_ROW and 1 <= column <= MAX_COLUMN):
        raise ValueError(f"{text!r} is outside the sheet")
    return row, column


def parse_range(text: str) -> tuple[int, int, int, int]:
    """(first row, first column, last row, last column) of ``A1:C9`` or ``B2``."""
    first, _, last = text.strip().partition(":")
    top, left = parse_ref(first)
    bottom, right = parse_ref(last) if last else (top, left)
    return min(top, bottom), min(left, right), max(top, bottom), max(left, right)


def range_text(top: int, left: int, bottom: int, right: int) -> str:
    """``B2`` for one cell, ``A1:C9`` for a range."""
    if (top, left) == (bottom, right):
        return cell_ref(top, left)
    return f"{cell_ref(top, left)}:{cell_ref(bottom, right)}"


def sheet_ref(title: str, ref: str) -> str:
    """``Funding!D7``: a cell of a sheet, as the terminal and comments name it."""
    return f"{title}!{ref}"


def split_sheet_ref(where: str) -> tuple[str, str]:
    """(sheet title, cell) of ``Funding!D7``."""
    title, _, ref = where.rpartition("!")
    return title, ref


# A reference inside a formula's text: an optional sheet ('Funding streams'! or Funding!),
# a cell with optional $ anchors, and an optional second cell making it a range; not a
# function name that looks like a cell (LOG10( ). Groups: quoted sheet, plain sheet,
# first column, first row, last column, last row.
FORMULA_REFERENCE = re.compile(
    r"(?:(?:'((?:[^']|'')+)'|([A-Za-z_][\w.]*))!)?"
    r"\$?([A-Z]{1,3})\$?(\d{1,7})(?::\$?([A-Z]{1,3})\$?(\d{1,7}))?(?![\w(])"
)
