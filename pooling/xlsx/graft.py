"""Add the result sheets and cell comments to the user's workbook at the zip level.

Loading a finance team's workbook with openpyxl and saving it again drops what
openpyxl does not understand (shapes, slicers, sparklines, Excel 2010 extensions,
formatted comments...). So we never do that. The result sheets are made in a
workbook of their own (``write.py``), then grafted into the original package:

* every original part is copied byte for byte, except the few that must list the
  new sheets: the workbook part (new ``<sheet>`` entries and print titles), its
  relationships, ``[Content_Types].xml`` and the styles part (the result sheets'
  fonts, fills, borders, number formats and cell formats appended after the
  original ones, so every original style index still means what it meant);
* the workbook opens on Summary: ``activeTab`` in the workbook view, and an input
  sheet saved as the selected tab loses its ``tabSelected`` attribute (two selected
  tabs are a group in Excel);
* each edit is a splice into the original bytes at offsets found by
  :func:`~pooling.xlsx.container.scan`, never a re-serialisation;
* comments go on an input sheet as a new comments part and VML drawing, which
  needs one ``<legacyDrawing>`` element in the sheet and one relationship. A sheet
  that already carries comments gets ours added to its comments part and drawing
  (a cell with a comment of its own keeps it); one whose parts cannot take them is
  left untouched, and the caller is told why (its notes stay in the Constraints
  sheet).
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr, unescape

from defusedxml import ElementTree as SafeET

from .comments import AUTHOR, comment_elements, comments_xml, note_shapes, note_shapetype, vml_xml
from .container import (
    NS_MAIN,
    NS_PKG_REL,
    NS_REL,
    REL_COMMENTS,
    REL_STYLES,
    REL_VML,
    REL_WORKSHEET,
    Package,
    Splices,
    child_tags,
    scan,
)
from .styles import merge_styles, restyle_sheet

CT_COMMENTS = "application/vnd.openxmlformats-officedocument.spreadsheetml.comments+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_RELS = "application/vnd.openxmlformats-package.relationships+xml"

# Children of <worksheet> that must come after <legacyDrawing> (ECMA-376 CT_Worksheet).
_AFTER_LEGACY_DRAWING = {
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
}
# Children of <workbook> that come after <definedNames> (CT_Workbook).
_AFTER_DEFINED_NAMES = {
    "calcPr", "oleSize", "customWorkbookViews", "pivotCaches", "smartTagPr", "smartTagTypes",
    "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst",
}  # fmt: skip


@dataclass
class GraftReport:
    """What the graft did that the user should know."""

    sheet_names: dict[str, str] = field(default_factory=dict)  # result sheet -> name given
    annotated: dict[str, int] = field(default_factory=dict)  # input sheet -> comments added
    not_annotated: dict[str, str] = field(default_factory=dict)  # input sheet -> why not
    edited_parts: list[str] = field(default_factory=list)  # original parts that were spliced
    fallback: str = ""  # why the results went to a workbook of their own, if they did
    backup: object = None  # the verified backup written before an in-place write
    written: object = None  # the file written (beside the target, after a fallback)


def shared_strings(package: Package) -> list[str]:
    """The plain text of each shared string of one of our results packages."""
    parts = [t for _, kind, t, _ in package.relationships(package.workbook_part) if kind.endswith("/sharedStrings")]
    if not parts:
        return []
    ns = f"{{{NS_MAIN}}}"
    table = SafeET.fromstring(package.parts[parts[0]])
    return ["".join(node.text or "" for node in item.iter(ns + "t")) for item in table.findall(ns + "si")]


_SHARED_CELL = re.compile(rb'<c ([^>]*?)\bt="s"([^>]*)><v>(\d+)</v></c>')


def inline_strings(xml: bytes, shared: list[str]) -> bytes:
    """Our result sheets with their shared strings written inline, so they need no
    shared-strings part of their own in the user's package."""
    if not shared:
        return xml

    def inline(match):
        text = escape(shared[int(match.group(3))]).encode()
        return (
            b"<c "
            + match.group(1)
            + b't="inlineStr"'
            + match.group(2)
            + b'><is><t xml:space="preserve">'
            + text
            + b"</t></is></c>"
        )

    return _SHARED_CELL.sub(inline, xml)


def rename_references(xml: bytes, renamed: dict[str, str]) -> bytes:
    """Sheet references in a chart's formulas (``<c:f>``) pointed at the sheets' new names."""

    def fix(match):
        formula = unescape(match.group(2).decode())
        for old, new in renamed.items():
            quoted = "'" + new.replace("'", "''") + "'!"
            formula = formula.replace("'" + old.replace("'", "''") + "'!", quoted)
            formula = re.sub(r"(?<![\w'.])" + re.escape(old) + "!", quoted, formula)
        return match.group(1) + escape(formula).encode() + match.group(3)

    return re.sub(rb"(<(?:\w+:)?f>)([^<]*)(</(?:\w+:)?f>)", fix, xml)


def _relationship_xml(rid: str, kind: str, target: str, prefix: str = "", mode: str = "Internal") -> bytes:
    external = ' TargetMode="External"' if mode == "External" else ""
    return (
        f"<{prefix}Relationship Id={quoteattr(rid)} Type={quoteattr(kind)} Target={quoteattr(target)}{external}/>"
    ).encode()


def _rels_part(part: str) -> str:
    folder, base = posixpath.split(part)
    return posixpath.join(folder, "_rels", base + ".rels")


def _relative(source_part: str, target_part: str) -> str:
    return posixpath.relpath(target_part, posixpath.dirname(source_part) or ".")


def _empty_rels() -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG_REL}"></Relationships>'.encode()


NEW_COMMENTS, ADD_TO_COMMENTS, ADD_TO_DRAWING, SKIP = "new", "add to comments", "add to drawing", "skip"


def annotation_mode(package: Package, sheet) -> tuple[str, str | None, str | None, str]:
    """How comments get onto ``sheet``: (mode, its comments part, its VML drawing, why not).

    No comments yet: new comments and drawing parts (the sheet gains one element and
    one relationship). Comments already there: ours are added to their parts. A legacy
    drawing without comments (form controls): a comments part is added, and the note
    shapes go into that drawing.
    """
    relationships = package.relationships(sheet.part)
    comments = [target for _, kind, target, _ in relationships if kind == REL_COMMENTS]
    drawings = [target for _, kind, target, _ in relationships if kind == REL_VML]
    if comments and not drawings:
        return SKIP, None, None, "its comments have no drawing part; the notes are in the Constraints sheet"
    if comments:
        return ADD_TO_COMMENTS, comments[0], drawings[0], ""
    if drawings:
        return ADD_TO_DRAWING, None, drawings[0], ""
    return NEW_COMMENTS, None, None, ""


def planned_edits(package: Package, note_sheets: set[str]) -> dict[str, str]:
    """The original parts a graft will edit, and why; every other part is kept byte for byte."""
    edits = {
        package.workbook_part: "the result sheets added to the list of sheets",
        _rels_part(package.workbook_part): "relationships to the result sheets added",
        "[Content_Types].xml": "content types of the added parts",
    }
    styles = [t for _, kind, t, _ in package.relationships(package.workbook_part) if kind == REL_STYLES]
    if styles:
        edits[styles[0]] = "the result sheets' cell formats appended after the original ones"
    for sheet in package.sheets:
        if selected_views(package.parts.get(sheet.part, b"")):
            edits[sheet.part] = "its tab no longer selected, so the workbook opens on Summary (cells untouched)"
        if sheet.name not in note_sheets:
            continue
        mode, comments, drawing, _ = annotation_mode(package, sheet)
        if mode == NEW_COMMENTS:
            why = "one <legacyDrawing> element added, for the comments"
            edits[sheet.part] = f"{edits[sheet.part]}; {why}" if sheet.part in edits else why
        if mode in (NEW_COMMENTS, ADD_TO_DRAWING):
            edits[_rels_part(sheet.part)] = "relationships to the comments added"
        if mode == ADD_TO_COMMENTS:
            edits[comments] = "comments added on binding cells"
        if mode in (ADD_TO_COMMENTS, ADD_TO_DRAWING):
            edits[drawing] = "note shapes added for the comments"
    return {part: why for part, why in edits.items() if part in package.parts}


_TAB_SELECTED = re.compile(rb"""\s+tabSelected\s*=\s*(?:"[^"]*"|'[^']*')""")


def selected_views(xml: bytes) -> list:
    """The ``<sheetView>`` start tags of a sheet part that mark its tab as selected."""
    if b"tabSelected" not in xml:
        return []
    views = [tag for tag in scan(xml, max_depth=2) if tag.local == "sheetView" and tag.depth == 2]
    return [tag for tag in views if _TAB_SELECTED.search(xml[tag.start : tag.start_end])]


_KINDS = (
    ("spreadsheetml.worksheet", "worksheet"),
    ("spreadsheetml.chartsheet", "chart sheet"),
    ("drawingml.chart", "chart"),
    ("drawing+xml", "drawing (shapes, images, charts)"),
    ("vmlDrawing", "legacy drawing (comments, form controls)"),
    ("spreadsheetml.comments", "comments"),
    ("threadedcomments", "threaded comments"),
    ("vbaProject", "macros (VBA project)"),
    ("slicerCache", "slicer cache"),
    ("slicer", "slicer"),
    ("timeline", "timeline"),
    ("pivotTable", "pivot table"),
    ("pivotCache", "pivot cache"),
    ("spreadsheetml.table", "table"),
    ("externalLink", "link to another workbook"),
    ("customXmlProperties", "custom XML properties"),
    ("classificationlabels", "sensitivity label"),
    ("theme", "theme"),
    ("spreadsheetml.styles", "styles"),
    ("sharedStrings", "shared strings"),
    ("calcChain", "calculation chain"),
    ("ctrlProp", "form control"),
    ("printerSettings", "printer settings"),
    ("core-properties", "document properties"),
    ("extended-properties", "document properties"),
    ("custom-properties", "custom document properties"),
    ("relationships", "relationships"),
    ("image/", "image"),
    ("sheet.main", "workbook"),
    ("sheet.macroEnabled.main", "workbook (macro-enabled)"),
)


def part_kind(package: Package, part: str) -> str:
    """What a part holds, in words, from its content type."""
    if part == "[Content_Types].xml":
        return "content types"
    if part.startswith("customXml/"):
        return "custom XML"
    content_type = package.content_types.get(part, "")
    for needle, kind in _KINDS:
        if needle in content_type:
            return kind
    return content_type or "other"


def inventory(package: Package, note_sheets: set[str]) -> list[tuple[str, str, str]]:
    """(part, what it holds, what the graft does to it) for every part of the input."""
    edits = planned_edits(package, note_sheets)
    return [
        (part, part_kind(package, part), f"edited: {edits[part]}" if part in edits else "kept byte for byte")
        for part in package.order
    ]


class Grafter:
    """One graft of a results package into an original package."""

    def __init__(self, original: Package, results: Package):
        self.original = original
        self.results = results
        self.parts = dict(original.parts)
        self.order = list(original.order)
        self.report = GraftReport()
        self.content_overrides: list[tuple[str, str]] = []
        self.content_defaults: dict[str, str] = {}
        self.rel_ids: dict[str, set[str]] = {}
        self.copied: list[str] = []  # parts copied from the results (drawings, charts)
        self.opens_on: int | None = None  # the sheet the workbook opens on: the results' own (Summary)

    # -- bookkeeping ---------------------------------------------------------------------

    def add_part(self, name: str, data: bytes) -> None:
        if name not in self.parts:
            self.order.append(name)
        self.parts[name] = data

    def free_name(self, wanted: str) -> str:
        """``wanted`` or a numbered variant no part of the package uses (case-insensitively)."""
        taken = {name.casefold() for name in self.parts}
        folder, base = posixpath.split(wanted)
        stem, dot, ext = base.rpartition(".")
        stem = re.sub(r"\d+$", "", stem)
        number = 1
        while True:
            candidate = posixpath.join(folder, f"{stem}{number}{dot}{ext}")
            if candidate.casefold() not in taken:
                return candidate
            number += 1

    def new_rel_id(self, part: str) -> str:
        ids = self.rel_ids.setdefault(part, {rid for rid, _, _, _ in self.original.relationships(part)})
        number = len(ids) + 1
        while f"rId{number}" in ids:
            number += 1
        ids.add(f"rId{number}")
        return f"rId{number}"

    def add_relationship(self, source_part: str, kind: str, target_part: str) -> str:
        rid = self.new_rel_id(source_part)
        rels = _rels_part(source_part)
        data = self.parts.get(rels) or _empty_rels()
        root, _ = child_tags(data)
        splices = Splices(data)
        element = _relationship_xml(rid, kind, _relative(source_part, target_part), root.prefix)
        if root.empty:
            splices.replace(
                root.start,
                root.close,
                data[root.start : root.start_end - 2] + b">" + element + f"</{root.name}>".encode(),
            )
        else:
            splices.insert(root.end, element)
        if rels in self.original.parts and rels not in self.report.edited_parts:
            self.report.edited_parts.append(rels)
        self.add_part(rels, splices.apply())
        return rid

    # -- result sheets -------------------------------------------------------------------

    def graft_sheets(self) -> None:
        original, results = self.original, self.results
        styles = [t for _, kind, t, _ in original.relationships(original.workbook_part) if kind == REL_STYLES]
        result_styles = [t for _, kind, t, _ in results.relationships(results.workbook_part) if kind == REL_STYLES]
        xf_map: dict[int, int] = {}
        if result_styles:
            if styles and styles[0] in self.parts:
                merged, xf_map = merge_styles(self.parts[styles[0]], results.parts[result_styles[0]])
                self.parts[styles[0]] = merged
                self.report.edited_parts.append(styles[0])
            else:  # a workbook without a styles part: ours becomes its styles
                name = self.free_name("xl/styles.xml")
                self.add_part(name, results.parts[result_styles[0]])
                self.add_relationship(original.workbook_part, REL_STYLES, name)
                self.content_overrides.append((name, results.content_types[result_styles[0]]))
                xf_map = {}

        shared = shared_strings(results)
        taken = {sheet.name.casefold() for sheet in original.sheets}
        next_id = max([0, *(sheet.sheet_id for sheet in original.sheets)]) + 1
        sheet_entries, index_map, title_map = [], {}, {}
        workbook_xml = self.parts[original.workbook_part]
        workbook_root, _ = child_tags(workbook_xml)
        prefix = workbook_root.prefix
        declare_r = (
            "" if b"xmlns:r=" in workbook_xml[workbook_root.start : workbook_root.start_end] else f' xmlns:r="{NS_REL}"'
        )
        for index, sheet in enumerate(results.sheets):
            title = sheet.name
            number = 2
            while title.casefold() in taken:
                suffix = f" ({number})"
                title = sheet.name[: 31 - len(suffix)] + suffix
                number += 1
            taken.add(title.casefold())
            self.report.sheet_names[sheet.name] = title
            title_map[sheet.name] = title
            part = self.free_name("xl/worksheets/sheet1.xml")
            data = inline_strings(results.parts[sheet.part], shared)
            if xf_map:
                data = restyle_sheet(data, xf_map)
            self.add_part(part, data)
            self.content_overrides.append((part, CT_WORKSHEET))
            self.copy_related(sheet.part, part)
            rid = self.add_relationship(original.workbook_part, REL_WORKSHEET, part)
            state = "" if sheet.state == "visible" else f' state="{sheet.state}"'
            sheet_entries.append(
                f'<{prefix}sheet name={quoteattr(title)} sheetId="{next_id}"{state} r:id="{rid}"{declare_r}/>'
            )
            index_map[index] = len(original.sheets) + index
            if selected_views(results.parts[sheet.part]):
                self.opens_on = index_map[index]
            next_id += 1
        renamed = {old: new for old, new in title_map.items() if old != new}
        if renamed:  # charts of a renamed result sheet must point at its new name
            for part in self.copied:
                if part.startswith("xl/charts/"):
                    self.parts[part] = rename_references(self.parts[part], renamed)
        self.extend_workbook(sheet_entries, self.defined_names(index_map, title_map, prefix))

    def copy_related(self, source: str, new_source: str) -> None:
        """Copy the parts a result sheet refers to (drawings, charts), renamed to fit."""
        relationships = self.results.relationships(source)
        if not relationships:
            return
        lines = []
        for rid, kind, target, mode in relationships:
            if mode == "External":  # a hyperlink to a web page: the same link, still external
                lines.append(_relationship_xml(rid, kind, target, mode=mode))
                continue
            new_target = self.free_name(target)
            self.add_part(new_target, self.results.parts[target])
            self.copied.append(new_target)
            content_type = self.results.content_types.get(target, "")
            if content_type:
                self.content_overrides.append((new_target, content_type))
            self.copy_related(target, new_target)
            lines.append(_relationship_xml(rid, kind, _relative(new_source, new_target)))
        rels = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="{NS_PKG_REL}">'.encode()
        self.add_part(_rels_part(new_source), rels + b"".join(lines) + b"</Relationships>")

    def defined_names(self, index_map: dict[int, int], title_map: dict[str, str], prefix: str) -> list[str]:
        """Print titles and areas of the result sheets, pointed at their new positions."""
        workbook = SafeET.fromstring(self.results.parts[self.results.workbook_part])
        names = workbook.find(f"{{{NS_MAIN}}}definedNames")
        entries = []
        for node in names if names is not None else []:
            local = node.get("localSheetId")
            if local is None or int(local) not in index_map:
                continue
            text = node.text or ""
            for old, new in title_map.items():
                text = text.replace(f"'{old}'!", "'" + new.replace("'", "''") + "'!")
            entries.append(
                f'<{prefix}definedName name={quoteattr(node.get("name"))} localSheetId="{index_map[int(local)]}">'
                f"{escape(text)}</{prefix}definedName>"
            )
        return entries

    def extend_workbook(self, sheet_entries: list[str], name_entries: list[str]) -> None:
        part = self.original.workbook_part
        data = self.parts[part]
        _, children = child_tags(data)
        by_local = {tag.local: tag for tag in children}
        splices = Splices(data)
        sheets = by_local["sheets"]
        if sheets.empty:
            splices.replace(
                sheets.start, sheets.close, f"<{sheets.name}>{''.join(sheet_entries)}</{sheets.name}>".encode()
            )
        else:
            splices.insert(sheets.end, "".join(sheet_entries).encode())
        if name_entries:
            body = "".join(name_entries).encode()
            existing = by_local.get("definedNames")
            if existing is not None and not existing.empty:
                splices.insert(existing.end, body)
            elif existing is not None:
                splices.replace(
                    existing.start,
                    existing.close,
                    f"<{existing.name}>".encode() + body + f"</{existing.name}>".encode(),
                )
            else:
                after = [tag for tag in children if tag.local in _AFTER_DEFINED_NAMES]
                at = after[0].start if after else max(tag.close for tag in children)
                prefix = sheets.prefix
                splices.insert(at, f"<{prefix}definedNames>".encode() + body + f"</{prefix}definedNames>".encode())
        self.parts[part] = splices.apply()
        self.report.edited_parts.append(part)

    def open_on_results(self) -> None:
        """Open the workbook on the results' own active sheet (Summary), not the user's.

        Excel opens on the workbook view's ``activeTab`` and treats every sheet whose
        view says ``tabSelected`` as selected with it (a group, where typing edits all
        of them), so the input sheets lose that one attribute; nothing else in them
        changes.
        """
        if self.opens_on is None:
            return
        for sheet in self.original.sheets:
            data = self.parts.get(sheet.part, b"")
            views = selected_views(data)
            if views:
                splices = Splices(data)
                for tag in views:
                    splices.replace(tag.start, tag.start_end, _TAB_SELECTED.sub(b"", data[tag.start : tag.start_end]))
                self.parts[sheet.part] = splices.apply()
                self.report.edited_parts.append(sheet.part)
        part = self.original.workbook_part
        data = self.parts[part]
        tags = scan(data, max_depth=2)
        views = [tag for tag in tags if tag.local == "bookViews" and tag.depth == 1]
        splices = Splices(data)
        if views and not views[0].empty:
            first = next(
                tag for tag in tags if tag.local == "workbookView" and tag.depth == 2 and tag.start > views[0].start
            )
            start_tag = data[first.start : first.start_end]
            if re.search(rb'\sactiveTab\s*=\s*"[^"]*"', start_tag):
                new = re.sub(rb'(\sactiveTab\s*=\s*")[^"]*(")', rb"\g<1>%d\g<2>" % self.opens_on, start_tag, count=1)
            else:
                cut = len(start_tag) - (2 if first.empty else 1)
                new = start_tag[:cut] + b' activeTab="%d"' % self.opens_on + start_tag[cut:]
            splices.replace(first.start, first.start_end, new)
        else:
            sheets = next(tag for tag in tags if tag.local == "sheets" and tag.depth == 1)
            prefix = sheets.prefix
            view = f'<{prefix}bookViews><{prefix}workbookView activeTab="{self.opens_on}"/></{prefix}bookViews>'
            if views:  # an empty <bookViews/>
                splices.replace(views[0].start, views[0].close, view.encode())
            else:
                splices.insert(sheets.start, view.encode())
        self.parts[part] = splices.apply()

    # -- comments on input sheets ---------------------------------------------------------

    def annotate(self, notes: dict[str, str]) -> None:
        """Put each note (keyed "Sheet!D7") on its cell as an Excel comment.

        A sheet with no comments gets a new comments part and VML drawing. A sheet that
        already has them (the template's guidance, a colleague's notes) gets ours added
        to its parts; a cell that already carries a comment keeps it, unchanged.
        """
        by_sheet: dict[str, dict[str, str]] = {}
        for where, text in notes.items():
            title, _, ref = where.rpartition("!")
            by_sheet.setdefault(title, {})[ref] = text
        vml_ids = [
            int(n)
            for name, data in self.parts.items()
            if name.endswith(".vml")
            for n in re.findall(rb'data="(\d+)', data)
        ]
        self.next_vml = max([0, *vml_ids]) + 1
        for sheet in self.original.sheets:
            cells = by_sheet.get(sheet.name)
            if not cells:
                continue
            mode, comments, drawing, reason = annotation_mode(self.original, sheet)
            if mode == SKIP:
                self.report.not_annotated[sheet.name] = reason
                continue
            if mode == ADD_TO_COMMENTS:
                added = self._add_to_comments(sheet.name, comments, drawing, cells)
            else:
                added = self._new_comments(sheet, cells, drawing)
            if added:
                self.report.annotated[sheet.name] = added

    def _new_comments(self, sheet, cells: dict[str, str], drawing: str | None) -> int:
        # A legacy drawing (form controls) already there takes the note shapes; if it
        # cannot, no comments part is added either (comments without shapes are damage).
        if drawing is not None and not self._add_shapes(sheet.name, drawing, cells):
            return 0
        comments_part = self.free_name("xl/comments1.xml")
        self.add_part(comments_part, comments_xml(cells))
        self.content_overrides.append((comments_part, CT_COMMENTS))
        self.add_relationship(sheet.part, REL_COMMENTS, comments_part)
        if drawing is not None:
            return len(cells)
        vml_part = self.free_name("xl/drawings/vmlDrawing1.vml")
        self.add_part(vml_part, vml_xml(cells, self.next_vml))
        self.next_vml += 1
        self.content_defaults.setdefault("vml", CT_VML)
        vml_rid = self.add_relationship(sheet.part, REL_VML, vml_part)
        data = self.parts[sheet.part]
        root, children = child_tags(data)
        after = [tag for tag in children if tag.local in _AFTER_LEGACY_DRAWING]
        at = after[0].start if after else root.end
        namespace = "" if b"xmlns:r=" in data[root.start : root.start_end] else f' xmlns:r="{NS_REL}"'
        splices = Splices(data)
        splices.insert(at, f'<{root.prefix}legacyDrawing r:id="{vml_rid}"{namespace}/>'.encode())
        self.parts[sheet.part] = splices.apply()
        if sheet.part not in self.report.edited_parts:
            self.report.edited_parts.append(sheet.part)
        return len(cells)

    def _add_to_comments(self, title: str, comments_part: str, drawing: str, cells: dict[str, str]) -> int:
        data = self.parts[comments_part]
        tree = SafeET.fromstring(data)
        ns = f"{{{NS_MAIN}}}"
        taken = {node.get("ref") for node in tree.iter(ns + "comment")}
        authors = [node.text or "" for node in tree.iter(ns + "author")]
        kept = {ref: text for ref, text in cells.items() if ref not in taken}
        skipped = len(cells) - len(kept)
        if skipped:
            self.report.not_annotated[f"{title} ({skipped} cells)"] = (
                "those cells already carry a comment, left as it was"
            )
        if not kept:
            return 0
        if not self._add_shapes(title, drawing, kept):
            return 0
        tags = scan(data, max_depth=1)
        root = tags[0]
        by_local = {tag.local: tag for tag in tags if tag.depth == 1}
        splices = Splices(data)
        if AUTHOR in authors:
            author_id = authors.index(AUTHOR)
        else:
            author_id = len(authors)
            tag = by_local["authors"]
            element = f"<{root.prefix}author>{AUTHOR}</{root.prefix}author>".encode()
            if tag.empty:
                splices.replace(tag.start, tag.close, f"<{tag.name}>".encode() + element + f"</{tag.name}>".encode())
            else:
                splices.insert(tag.end, element)
        body = comment_elements(kept, author_id, root.prefix)
        tag = by_local["commentList"]
        if tag.empty:
            splices.replace(tag.start, tag.close, f"<{tag.name}>".encode() + body + f"</{tag.name}>".encode())
        else:
            splices.insert(tag.end, body)
        self.parts[comments_part] = splices.apply()
        self.report.edited_parts.append(comments_part)
        return len(kept)

    def _add_shapes(self, title: str, drawing: str, cells: dict[str, str]) -> bool:
        """Append note shapes to an existing VML drawing (VML is often not well-formed XML,
        so it is spliced as text, in the drawing's own namespace prefixes)."""
        data = self.parts.get(drawing)
        end = data.rfind(b"</xml>") if data else -1
        if end < 0:
            self.report.not_annotated[title] = (
                "its drawing part could not be read; the notes are in the Constraints sheet"
            )
            return False
        prefixes = {}
        for urn, default in (("vml", "v"), ("office:office", "o"), ("office:excel", "x")):
            match = re.search(rb'xmlns:([\w.-]+)="urn:schemas-microsoft-com:' + urn.encode() + rb'"', data)
            prefixes[default] = match.group(1).decode() if match else None
        if None in prefixes.values():
            self.report.not_annotated[title] = (
                "its drawing part lacks the VML namespaces; the notes are in the Constraints sheet"
            )
            return False
        first = max([1024, *(int(n) for n in re.findall(rb"_x0000_s(\d+)", data))]) + 1
        shapes = note_shapes(cells, first, prefixes["v"], prefixes["o"], prefixes["x"])
        if b"_x0000_t202" not in data:  # a drawing of form controls: add the note shape type
            v, o = prefixes["v"], prefixes["o"]
            shapes = note_shapetype(v, o) + shapes
        self.parts[drawing] = data[:end] + shapes + data[end:]
        self.report.edited_parts.append(drawing)
        return True

    # -- content types and output ---------------------------------------------------------

    def finish_content_types(self) -> None:
        part = "[Content_Types].xml"
        data = self.parts[part]
        root, children = child_tags(data)
        existing_defaults = {
            m.group(1).decode().lower() for m in re.finditer(rb'<(?:\w+:)?Default\b[^>]*\sExtension="([^"]+)"', data)
        }
        lines = []
        for extension, content_type in self.content_defaults.items():
            if extension not in existing_defaults:
                lines.append(
                    f"<{root.prefix}Default Extension={quoteattr(extension)} ContentType={quoteattr(content_type)}/>"
                )
        for name, content_type in self.content_overrides:
            lines.append(
                f"<{root.prefix}Override PartName={quoteattr('/' + name)} ContentType={quoteattr(content_type)}/>"
            )
        if lines:
            splices = Splices(data)
            # Defaults must precede Overrides in well-behaved files; both are allowed in any order.
            splices.insert(root.end, "".join(lines).encode())
            self.parts[part] = splices.apply()
            self.report.edited_parts.append(part)

    def to_bytes(self) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in self.order:
                info = zipfile.ZipInfo(name, date_time=self.original.dates.get(name, (1980, 1, 1, 0, 0, 0)))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, self.parts[name])
        return buffer.getvalue()


def graft(original: Package, results: bytes, notes: dict[str, str]) -> tuple[bytes, GraftReport]:
    """The original package with the results' sheets added and ``notes`` as comments."""
    grafter = Grafter(original, Package.from_bytes(results))
    grafter.graft_sheets()
    grafter.open_on_results()
    grafter.annotate(notes)
    grafter.finish_content_types()
    return grafter.to_bytes(), grafter.report
