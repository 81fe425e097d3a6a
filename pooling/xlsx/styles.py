"""The styles of our result sheets, appended to the styles of the user's workbook.

Every original style index keeps its meaning: our fonts, fills, borders, number formats
and cell formats go after the user's, and the cell-format numbers in our sheets are
renumbered to match (:func:`restyle_sheet`). The styles part is spliced, never
re-serialised (``container.Splices``).
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape, quoteattr

from defusedxml import ElementTree as SafeET

from .container import NS_MAIN, PackageError, Splices, child_tags, set_count

_STYLE_LISTS = ("numFmts", "fonts", "fills", "borders", "cellXfs")


def _serialise(element, prefix: str) -> str:
    """An element of our own results styles, written in the original part's prefix."""
    name = prefix + element.tag.rsplit("}", 1)[-1]
    attributes = "".join(f" {key.rsplit('}', 1)[-1]}={quoteattr(value)}" for key, value in element.attrib.items())
    children = "".join(_serialise(child, prefix) for child in element)
    text = escape(element.text) if element.text else ""
    if not children and not text:
        return f"<{name}{attributes}/>"
    return f"<{name}{attributes}>{text}{children}</{name}>"


def merge_styles(original: bytes, results: bytes) -> tuple[bytes, dict[int, int]]:
    """Append the results' styles to the original styles part.

    Returns the new styles part and the map from a result cell-format index (the
    ``s`` attribute of a cell) to its index in the merged part.
    """
    ns = f"{{{NS_MAIN}}}"
    ours = SafeET.fromstring(results)
    theirs = SafeET.fromstring(original)
    root, children = child_tags(original)
    by_local = {tag.local: tag for tag in children}
    prefix = root.prefix

    def existing(local: str) -> list:
        node = theirs.find(ns + local)
        return list(node) if node is not None else []

    their_formats = {node.get("formatCode"): int(node.get("numFmtId")) for node in existing("numFmts")}
    next_format = max([163, *their_formats.values()]) + 1
    format_map: dict[int, int] = {}
    new_formats = []
    for node in ours.find(ns + "numFmts") if ours.find(ns + "numFmts") is not None else []:
        old_id, code = int(node.get("numFmtId")), node.get("formatCode")
        if code in their_formats:
            format_map[old_id] = their_formats[code]
        else:
            format_map[old_id] = next_format
            their_formats[code] = next_format
            new_formats.append(f'<{prefix}numFmt numFmtId="{next_format}" formatCode={quoteattr(code)}/>')
            next_format += 1

    offsets = {local: len(existing(local)) for local in ("fonts", "fills", "borders", "cellXfs")}
    additions: dict[str, list[str]] = {"numFmts": new_formats}
    for local in ("fonts", "fills", "borders"):
        node = ours.find(ns + local)
        additions[local] = [_serialise(child, prefix) for child in (node if node is not None else [])]
    xf_map = {}
    new_xfs = []
    for index, xf in enumerate(ours.find(ns + "cellXfs")):
        number_format = int(xf.get("numFmtId", "0"))
        xf.set("numFmtId", str(format_map.get(number_format, number_format)))
        for key, local in (("fontId", "fonts"), ("fillId", "fills"), ("borderId", "borders")):
            xf.set(key, str(int(xf.get(key, "0")) + offsets[local]))
        xf.set("xfId", "0")
        new_xfs.append(_serialise(xf, prefix))
        xf_map[index] = offsets["cellXfs"] + index
    additions["cellXfs"] = new_xfs

    splices = Splices(original)
    for local in _STYLE_LISTS:
        items = additions[local]
        if not items:
            continue
        tag = by_local.get(local)
        total = len(existing(local)) + len(items)
        body = "".join(items).encode()
        if tag is None:
            if local != "numFmts":
                raise PackageError(f"the styles part has no <{local}> list")
            # numFmts is the first child of styleSheet.
            splices.insert(
                root.start_end, f'<{prefix}numFmts count="{total}">'.encode() + body + f"</{prefix}numFmts>".encode()
            )
        elif tag.empty:
            start_tag = original[tag.start : tag.start_end - 2] + b">"
            start_tag = re.sub(rb'(\scount=")\d*(")', rb"\g<1>" + str(total).encode() + rb"\g<2>", start_tag)
            splices.replace(tag.start, tag.close, start_tag + body + f"</{tag.name}>".encode())
        else:
            set_count(splices, original, tag, total)
            splices.insert(tag.end, body)
    return splices.apply(), xf_map


_CELL_STYLE = re.compile(rb'(<(?:c|row)\b[^>]*?\ss=")(\d+)(")')
_COL_STYLE = re.compile(rb'(<col\b[^>]*?\sstyle=")(\d+)(")')


def restyle_sheet(xml: bytes, xf_map: dict[int, int]) -> bytes:
    """Renumber the cell formats of one of our result sheets (written by XlsxWriter)."""

    def swap(match):
        return match.group(1) + str(xf_map.get(int(match.group(2)), 0)).encode() + match.group(3)

    return _COL_STYLE.sub(swap, _CELL_STYLE.sub(swap, xml))
