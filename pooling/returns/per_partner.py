"""Each partner's own results: a workbook about itself, not the whole place.

``pooling run SCENARIO --per-partner DIR`` writes, for every partner, its return (the
rows it owns, as ``pooling split`` makes them) with the comments of the place results
on its own cells, and these sheets:

* Summary: its money, what went where, its pool share, the savings it received;
* Stream use: each of its streams by year, available and used, and by programme;
* Pool share: its contribution to pooled programmes against its minimum and maximum;
* Led programmes: the programmes it leads, their allocation, and whose money paid;
* Savings received: the cashable savings it received, from which outcomes;
* Constraints: the binding constraints that involve it, in words.

Every figure is a slice of the place results, so the partners' figures add up to the
place's.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import fmt
from ..files import check_output, write_output
from ..outputs import PER_PARTNER
from ..report import savings_by_outcome
from ..tables import read_place_package
from ..xlsx.book import BOLD, TITLE, Book
from ..xlsx.container import Package
from ..xlsx.graft import graft
from ..xlsx.refs import cell_ref, parse_ref, split_sheet_ref
from .split import partner_files, partner_return, place_tables


def stream_use(result, partner: str) -> pd.DataFrame:
    frame = result.tables.streams.frame
    return frame[frame["Partner"] == partner].reset_index(drop=True)


def flows_from(result, partner: str) -> pd.DataFrame:
    frame = result.tables.flows.frame
    return frame[frame["Partner"] == partner].reset_index(drop=True)


def flows_into(result, partner: str) -> pd.DataFrame:
    """Money spent on the programmes ``partner`` leads, whoever's stream it came from."""
    frame = result.tables.flows.frame
    return frame[frame["Lead"] == partner].reset_index(drop=True)


def pool_share(result, partner: str) -> pd.DataFrame:
    frame = result.tables.pool.frame
    return frame[frame["Partner"] == partner].drop(columns=["Partner", "Name"]).reset_index(drop=True)


def led_programmes(result, partner: str) -> pd.DataFrame:
    frame = result.tables.allocation.frame.iloc[:-1]
    return frame[frame["Lead"] == partner].reset_index(drop=True)


def savings_received(result, partner: str) -> pd.DataFrame:
    rows = []
    for t, year in enumerate(result.place.year_labels, start=1):
        for saving, source, level, amount in savings_by_outcome(result.model, result.solution, partner, t):
            rows.append(
                {
                    "Year": year,
                    "Outcome": saving.outcome,
                    "Name": result.place.outcomes[saving.outcome].name,
                    "Achieved in": result.place.year_labels[source - 1],
                    "Achieved": level,
                    "£ per unit": saving.per_unit,
                    "Cashable %": saving.cashable,
                    f"Received ({result.place.units})": amount,
                }
            )
    columns = [
        "Year",
        "Outcome",
        "Name",
        "Achieved in",
        "Achieved",
        "£ per unit",
        "Cashable %",
        f"Received ({result.place.units})",
    ]
    return pd.DataFrame(rows, columns=columns)


def involves(result, info, partner: str) -> bool:
    """Does a constraint concern ``partner``: its stream, its pool share, a programme it leads?"""
    keys = info.keys
    if "partner" in keys:
        return keys["partner"] == partner
    if "stream" in keys:
        return result.model.stream(keys["stream"]).partner == partner
    if "programme" in keys:
        return result.place.programmes[keys["programme"]].lead == partner
    return False


def constraints(result, partner: str) -> pd.DataFrame:
    frame = result.tables.constraints.frame
    keep = [involves(result, item.info, partner) for item in result.binding]
    return frame[keep].reset_index(drop=True)


def totals(result, partner: str) -> dict[str, float]:
    """The partner's money over all years, in the workbook unit."""
    use, pool = stream_use(result, partner), pool_share(result, partner)
    out, into = flows_from(result, partner), flows_into(result, partner)
    return {
        "available": float(use["Available"].sum()),
        "used": float(use["Used"].sum()),
        "pooled": float(pool["Contribution"].sum()),
        "spent on others' programmes": float(out[out["Lead"] != partner]["Amount"].sum()),
        "received from others for its programmes": float(into[into["Partner"] != partner]["Amount"].sum()),
        "spent on the programmes it leads": float(led_programmes(result, partner)["Total"].sum()),
        "savings received": float(pool["Savings received"].sum()),
    }


def partner_sheets(result, partner: str) -> bytes:
    """The partner's result sheets, as a workbook of their own (its bytes)."""
    place, units = result.place, result.place.units
    money = fmt.EXCEL_MONEY if units != "£m" else fmt.EXCEL_MONEY_DECIMALS
    name = place.partners[partner].name
    book = Book((place.name, f"{name}: {result.scenario.name}", f"{result.started:%d %b %Y}"))
    sheet = book.sheet("Summary")
    rows = [
        ("Partner", f"{name} ({partner})"),
        ("Place", place.name),
        ("Scenario", result.scenario.name),
        ("Status", result.status),
        ("Years", f"{place.year_labels[0]} to {place.year_labels[-1]}"),
        ("Workbook unit", units),
    ] + [(f"Total {key} ({units})", value) for key, value in totals(result, partner).items()]
    last = sheet.table(["Setting", "Value"], rows, {"Value": money}, widths={"Setting": 48, "Value": 60})
    row = last + 2
    sheet.put(row, 1, "What binds for this partner, worth most first", style=TITLE)
    for statement in result.statements:
        if any(involves(result, item.info, partner) for item in statement.items):
            row += 1
            sheet.paragraph(row, statement.sentence, 2, per_line=100)
    sheet.finish(repeat_header=False)

    pool, led = pool_share(result, partner), led_programmes(result, partner)
    received = f"Received ({units})"
    for title, frame, formats in (
        ("Stream use", stream_use(result, partner), {"Available": money, "Used": money}),
        ("Stream use by programme", flows_from(result, partner), {"Amount": money}),
        ("Pool share", pool, {c: money for c in pool.columns[2:]}),
        ("Led programmes", led, {c: money for c in led.columns[4:]}),
        ("Led programmes funded by", flows_into(result, partner), {"Amount": money}),
        (
            "Savings received",
            savings_received(result, partner),
            {received: money, "Cashable %": fmt.EXCEL_PERCENT, "Achieved": fmt.EXCEL_QUANTITY},
        ),
        ("Constraints", constraints(result, partner), {"Shadow price": fmt.EXCEL_MONEY_DECIMALS}),
    ):
        sheet = book.sheet(title)
        sheet.frame(frame, formats, widths={"Meaning": 110} if title == "Constraints" else None)
        if frame.empty:
            sheet.put(2, 1, "None for this partner.", style=BOLD)
        sheet.finish()
    return book.bytes()


def partner_results(result, partner: str, tables, place_hash: str) -> bytes:
    """The partner's return, annotated, with its result sheets: a workbook's bytes."""
    made = partner_return(
        tables, partner, result.place.name, result.package.path.name, place_hash, results=result.scenario.name
    )
    base = Package.from_bytes(made.data)
    titles = {table.title: name for name, table in tables.items()}
    notes = {}
    for where, text in result.notes.items():
        title, ref = split_sheet_ref(where)
        sheet = titles.get(title)
        row, column = parse_ref(ref)
        mapped = made.rows.get((sheet, row)) if sheet else None
        if mapped is not None:
            notes[f"{title}!{cell_ref(mapped, column)}"] = text
    data, _ = graft(base, partner_sheets(result, partner), notes)
    return data


def check_per_partner_targets(package_path: Path, partners, folder: Path) -> dict[str, Path]:
    """The per-partner files, every one checked (not open in Excel, not a file pooling did
    not write, a name the file system takes): before solving, and again before writing."""
    targets = partner_files(Path(folder), package_path, partners, "results")
    for target in targets.values():
        check_output(target, PER_PARTNER.signature, "pooling run --per-partner")
    return targets


def write_per_partner(result, folder: Path) -> list[Path]:
    """One results workbook per partner in ``folder``; the files written.

    Every target is checked before any is written: none may be open in Excel, and an
    existing file is replaced only if pooling wrote it, after a verified backup.
    """
    folder = Path(folder)
    targets = check_per_partner_targets(result.package.path, result.place.partners, folder)
    ours = PER_PARTNER.signature
    folder.mkdir(parents=True, exist_ok=True)
    tables = place_tables(read_place_package(result.package))
    written = []
    for partner, target in targets.items():
        make = lambda partner=partner: partner_results(result, partner, tables, result.package.sha256)
        write_output(target, make, ours, "pooling run --per-partner")
        written.append(target)
    return written
