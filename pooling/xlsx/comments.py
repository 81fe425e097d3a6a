"""Excel comments ("notes") as we write them: the comments part and its VML drawing.

A note on a cell needs two things in the package: a ``<comment>`` in the sheet's
comments part (its text) and a shape in a legacy VML drawing (where it shows, hidden
until hovered). ``graft.py`` decides where they go; this module writes them.
"""

from __future__ import annotations

from .cells import excel_text
from .container import NS_MAIN
from .refs import parse_ref

AUTHOR = "pooling"


def _sorted(cells: dict[str, str]) -> list[tuple[str, str]]:
    return sorted(cells.items(), key=lambda item: parse_ref(item[0]))


def comment_elements(cells: dict[str, str], author_id: int, prefix: str = "") -> bytes:
    p = prefix
    items = []
    for ref, text in _sorted(cells):
        items.append(
            f'<{p}comment ref="{ref}" authorId="{author_id}"><{p}text>'
            f'<{p}r><{p}rPr><{p}b/><{p}sz val="9"/><{p}rFont val="Tahoma"/><{p}family val="2"/></{p}rPr><{p}t>{AUTHOR}:</{p}t></{p}r>'
            f'<{p}r><{p}rPr><{p}sz val="9"/><{p}rFont val="Tahoma"/><{p}family val="2"/></{p}rPr>'
            f'<{p}t xml:space="preserve">\n{excel_text(text)}</{p}t></{p}r>'
            f"</{p}text></{p}comment>"
        )
    return "".join(items).encode()


def comments_xml(cells: dict[str, str]) -> bytes:
    """A new comments part: one comment per cell, authored by pooling."""
    return (
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        + f'<comments xmlns="{NS_MAIN}"><authors><author>{AUTHOR}</author></authors><commentList>'.encode()
        + comment_elements(cells, 0)
        + b"</commentList></comments>"
    )


def note_shapes(cells: dict[str, str], first_id: int, v: str = "v", o: str = "o", x: str = "x") -> bytes:
    """VML shapes for notes (hidden until hovered), one per cell."""
    shapes = []
    for number, (ref, text) in enumerate(_sorted(cells)):
        row, column = parse_ref(ref)
        lines = sum(1 + len(line) // 60 for line in text.split("\n")) + 1
        height = min(400, 12 * lines + 10)
        shapes.append(
            f'<{v}:shape id="_x0000_s{first_id + number}" type="#_x0000_t202" '
            f'style="position:absolute;margin-left:80pt;margin-top:2pt;width:320pt;height:{height}pt;z-index:{number + 1};visibility:hidden" '
            f'fillcolor="#ffffe1" {o}:insetmode="auto"><{v}:fill color2="#ffffe1"/>'
            f'<{v}:shadow on="t" color="black" obscured="t"/><{v}:path {o}:connecttype="none"/>'
            f'<{v}:textbox style="mso-direction-alt:auto"><div style="text-align:left"></div></{v}:textbox>'
            f'<{x}:ClientData ObjectType="Note"><{x}:MoveWithCells/><{x}:SizeWithCells/>'
            f"<{x}:Anchor>{column}, 15, {max(row - 2, 0)}, 2, {column + 5}, 15, {row + 8}, 4</{x}:Anchor>"
            f"<{x}:AutoFill>False</{x}:AutoFill><{x}:Row>{row - 1}</{x}:Row><{x}:Column>{column - 1}</{x}:Column>"
            f"</{x}:ClientData></{v}:shape>"
        )
    return "".join(shapes).encode()


def note_shapetype(v: str = "v", o: str = "o") -> bytes:
    return (
        f'<{v}:shapetype id="_x0000_t202" coordsize="21600,21600" {o}:spt="202" path="m,l,21600r21600,l21600,xe">'
        f'<{v}:stroke joinstyle="miter"/><{v}:path gradientshapeok="t" {o}:connecttype="rect"/></{v}:shapetype>'
    ).encode()


def vml_xml(cells: dict[str, str], idmap: int) -> bytes:
    """A new legacy VML drawing holding the notes' shapes."""
    return (
        b'<xml xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" '
        b'xmlns:x="urn:schemas-microsoft-com:office:excel">'
        + f'<o:shapelayout v:ext="edit"><o:idmap v:ext="edit" data="{idmap}"/></o:shapelayout>'.encode()
        + note_shapetype()
        + note_shapes(cells, idmap * 1024 + 1)
        + b"</xml>"
    )
