"""The input workbook's sheets and columns, as data (the outputs' are in ``outputs.py``).

One table drives three things: validation (``validate.py``), the blank template
(``template.py``) and the workbook documentation (``docs/workbook.md``). The names
are the contract's (version 1): a later version may add optional sheets and columns,
never rename or remove one.

Column kinds
------------
code      a code, read as text even when it looks like a number (``007`` stays ``007``)
text      free text
choice    one of ``choices``, matched case-insensitively
yesno     ``yes`` or ``no`` (also ``y``/``n``, ``true``/``false`` and Excel booleans)
codes     comma-separated codes
money     an amount in the workbook's unit, zero or more
pounds    an amount in £ whatever the workbook's unit, zero or more
quantity  a number of outcome units (or units per £m), zero or more
percent   a share: Excel percentage (25% is 0.25); a number above 1 is read as a
          percent (25 means 25%); must lie in 0-100%
whole     a whole number, at least 1
any       the cell as it is (the Place sheet's values, checked setting by setting)
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from .outputs import RUN

#: A cell that may not be blank.
REQUIRED = object()

PARTNER_TYPES = ("council", "police", "fire", "health", "probation", "other")
SOURCES = ("council tax", "grant", "business rates", "fees", "other")
UNITS = {"£": 1.0, "£000": 1_000.0, "£m": 1_000_000.0}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    help: str
    blank: object = REQUIRED
    required: bool = True  # must the column be present?
    choices: tuple[str, ...] = ()
    refers_to: str | None = None  # the sheet whose codes this column holds
    blank_means: str = ""  # what a blank cell means, in words, where the value alone does not say

    @functools.cached_property
    def key(self) -> str:
        return normalise(self.name)


@dataclass(frozen=True)
class SheetSpec:
    name: str
    help: str
    columns: tuple[Column, ...]
    optional: bool = False

    @property
    def key(self) -> str:
        return normalise(self.name)

    @property
    def code_column(self) -> Column:
        return self.columns[0]

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.key == normalise(name):
                return column
        raise KeyError(name)


@dataclass(frozen=True)
class Setting:
    name: str
    kind: str  # text, yearlabel, years, units, rate
    help: str
    default: object = REQUIRED

    @property
    def key(self) -> str:
        return normalise(self.name)


@functools.lru_cache(maxsize=4096)
def normalise(header: object) -> str:
    """Header as matched: case-insensitive, surrounding and repeated spaces ignored."""
    return " ".join(str(header).split()).casefold()


PLACE_SETTINGS: tuple[Setting, ...] = (
    Setting("Place", "text", "Name of the place, e.g. Northmoor."),
    Setting("Base year", "yearlabel", "Last actual financial year, written 2010/11."),
    Setting("Years", "years", "Number of years modelled after the base year.", 4),
    Setting("Units", "units", "Unit of every money figure in the workbook: £, £000 or £m.", "£000"),
    Setting(
        "Discount rate",
        "rate",
        "Annual discount rate for future years (HM Treasury Green Book: 0.035).",
        0.035,
    ),
)

PLACE = SheetSpec(
    "Place",
    "Two columns, Setting | Value: the place's name, base year, years modelled, money unit and discount rate.",
    (
        Column("Setting", "text", "The setting's name (Place, Base year, Years, Units, Discount rate)."),
        Column("Value", "any", "The setting's value.", blank=None),
    ),
)

PARTNERS = SheetSpec(
    "Partners",
    "One row per partner body in the place.",
    (
        Column("Partner", "code", "Short code of the partner, e.g. NCC."),
        Column("Name", "text", "Full name of the partner.", blank=None),
        Column("Type", "choice", "council, police, fire, health, probation or other.", choices=PARTNER_TYPES),
        Column(
            "Pool min %",
            "percent",
            "Smallest share of the partner's poolable funding it puts into pooled programmes each year. Blank = 0%.",
            blank=0.0,
        ),
        Column(
            "Pool max %",
            "percent",
            "Largest share of the partner's poolable funding it puts into pooled programmes each year. Blank = 100%.",
            blank=1.0,
        ),
    ),
)

FUNDING = SheetSpec(
    "Funding",
    "One row per funding stream.",
    (
        Column("Stream", "code", "Short code of the funding stream, e.g. NCC-CT."),
        Column("Partner", "code", "The partner that holds the stream.", refers_to="Partners"),
        Column(
            "Source",
            "choice",
            "council tax, grant, business rates, fees or other.",
            choices=SOURCES,
        ),
        Column("Base", "money", "Base-year amount, in the workbook's unit."),
        Column(
            "Poolable",
            "yesno",
            "yes if the stream may fund pooled programmes. Blank = yes.",
            blank=True,
        ),
        Column(
            "Ring-fenced to",
            "codes",
            "Comma-separated programme codes the stream is ring-fenced to. Blank = not ring-fenced.",
            blank=(),
            blank_means="not ring-fenced",
            refers_to="Programmes",
        ),
    ),
)

PROGRAMMES = SheetSpec(
    "Programmes",
    "One row per programme (service) money can be spent on.",
    (
        Column("Programme", "code", "Short code of the programme, e.g. DAS."),
        Column("Name", "text", "Full name of the programme.", blank=None),
        Column("Lead", "code", "The partner that leads (and in silo funds) the programme.", refers_to="Partners"),
        Column(
            "Pooled",
            "yesno",
            "yes if the programme may be funded from the pool. Blank = no.",
            blank=False,
        ),
        Column("Baseline", "money", "Base-year spend, in the workbook's unit. Blank = 0.", blank=0.0),
        Column("Min", "money", "Least spend per year (a statutory floor). Blank = 0.", blank=0.0),
        Column("Max", "money", "Most spend per year. Blank = no limit.", blank=None, blank_means="no limit"),
    ),
)

OUTCOMES = SheetSpec(
    "Outcomes",
    "One row per outcome. Optional extra columns headed by a year label (e.g. 2012/13) "
    "override Target for that year; a blank cell there keeps Target.",
    (
        Column("Outcome", "code", "Short code of the outcome, e.g. WORK."),
        Column("Name", "text", "What the outcome counts.", blank=None),
        Column("Unit", "text", "The unit it is counted in, e.g. people into work.", blank=None),
        Column("Value per unit", "pounds", "Value of one unit of the outcome, in £ whatever the workbook unit."),
        Column(
            "Target",
            "quantity",
            "Target per year, in outcome units. Blank = none.",
            blank=None,
            blank_means="no target",
        ),
        Column(
            "Shortfall penalty",
            "pounds",
            "£ per unit short of the target. Blank = Value per unit.",
            blank=None,
            blank_means="Value per unit",
        ),
    ),
)

EFFECTS = SheetSpec(
    "Effects",
    "What programmes achieve: outcome units per £1m spent in a year. Several rows for one "
    "programme and outcome are segments taken in order of Up to, with rates that do not "
    "increase (diminishing returns); only the last may leave Up to blank.",
    (
        Column("Programme", "code", "The programme that spends.", refers_to="Programmes"),
        Column("Outcome", "code", "The outcome it improves.", refers_to="Outcomes"),
        Column("Per £m", "quantity", "Outcome units per £1m spent in a year, for this segment."),
        Column(
            "Up to",
            "money",
            "Programme spend per year (workbook unit) up to which this rate holds. Blank = no limit.",
            blank=None,
            blank_means="no limit",
        ),
        Column(
            "Low",
            "quantity",
            "Lowest plausible Per £m, for sweeps and Monte Carlo runs (an extension of the contract; "
            "a plain run ignores it). Blank = Per £m.",
            blank=None,
            blank_means="Per £m",
            required=False,
        ),
        Column(
            "High",
            "quantity",
            "Highest plausible Per £m, for sweeps and Monte Carlo runs (ignored by a plain run). Blank = Per £m.",
            blank=None,
            blank_means="Per £m",
            required=False,
        ),
    ),
)

SAVINGS = SheetSpec(
    "Savings",
    "Cashable savings that outcomes return to a partner, often not the one who paid (the 'wrong pocket').",
    (
        Column("Outcome", "code", "The outcome whose improvement saves money.", refers_to="Outcomes"),
        Column("Beneficiary", "code", "The partner that makes the saving.", refers_to="Partners"),
        Column("£ per unit", "pounds", "Saving per outcome unit, in £ whatever the workbook unit."),
        Column(
            "Cashable %",
            "percent",
            "Share of the saving that is cash the partner can spend again. Blank = 100%.",
            blank=1.0,
        ),
        Column(
            "Lag",
            "whole",
            "Years after the outcome that the saving arrives (1 = the next year). Blank = 1.",
            blank=1,
        ),
        Column(
            "Low",
            "pounds",
            "Lowest plausible £ per unit, for sweeps and Monte Carlo runs (an extension of the contract; "
            "a plain run ignores it). Blank = £ per unit.",
            blank=None,
            blank_means="£ per unit",
            required=False,
        ),
        Column(
            "High",
            "pounds",
            "Highest plausible £ per unit, for sweeps and Monte Carlo runs (ignored by a plain run). Blank = £ per unit.",
            blank=None,
            blank_means="£ per unit",
            required=False,
        ),
    ),
    optional=True,
)

#: The contract's sheets, in the order the template writes them.
SHEETS: tuple[SheetSpec, ...] = (PLACE, PARTNERS, FUNDING, PROGRAMMES, OUTCOMES, EFFECTS, SAVINGS)

_KIND_WORDS = {
    "code": "code (text)",
    "text": "text",
    "choice": "one of the list",
    "yesno": "yes / no",
    "codes": "codes, comma-separated",
    "money": "money, workbook unit, ≥ 0",
    "pounds": "money in £, ≥ 0",
    "quantity": "number ≥ 0",
    "percent": "percentage 0-100%",
    "whole": "whole number ≥ 1",
    "any": "as the setting says",
}


def markdown() -> str:
    """The workbook reference (docs/workbook.md), written from this schema."""
    lines = [
        "# The input workbook",
        "",
        "<!-- Generated from pooling/schema.py by `python docs/generate.py`; do not edit by hand. -->",
        "",
        "This is version 1 of the workbook contract: a later version may add optional sheets and",
        "columns, never rename or remove one. Sheet names and headers are matched case-insensitively",
        "with surrounding spaces ignored; sheets may come in any order; the header row may sit below a",
        "title (the first row, of the top 20, that holds the sheet's first column); other sheets and",
        "other columns are kept and ignored. Codes are text, even when they look like numbers (`007`",
        "stays `007`), and references match them exactly. Money is in the workbook's unit (Place:",
        "Units) unless the column says £. A column whose name ends in `%` takes an Excel percentage",
        "(25% is stored as 0.25); a number above 1 is read as a percent (25 means 25%). A formula",
        "cell must have a calculated value (save the workbook in Excel or LibreOffice); one whose",
        "value is empty text reads as a blank. Every column below must be present, even where a",
        "blank cell has a default (only those marked optional may be left out); a header that is",
        "nearly right (`Per £ m`, `Cashable`) is named by its cell with the header it should be.",
        "",
        "`pooling template OUT.xlsx` writes a blank workbook in this layout, with this guidance as a",
        "comment on every header and dropdowns for the lists and codes. `pooling validate WORKBOOK`",
        "lists every problem as `Sheet!Cell: what is wrong`.",
        "",
        "## Place",
        "",
        PLACE.help,
        "",
        "| Setting | meaning | default |",
        "| --- | --- | --- |",
    ]
    for setting in PLACE_SETTINGS:
        default = "required" if setting.default is REQUIRED else f"`{setting.default}`"
        lines.append(f"| {setting.name} | {setting.help} | {default} |")
    lines.append("")
    for sheet in SHEETS[1:]:
        lines += [f"## {sheet.name}{' (optional)' if sheet.optional else ''}", "", sheet.help, ""]
        lines += ["| column | kind | meaning | blank means |", "| --- | --- | --- | --- |"]
        for column in sheet.columns:
            kind = _KIND_WORDS[column.kind]
            if column.choices:
                kind += ": " + ", ".join(f"`{choice}`" for choice in column.choices)
            if column.refers_to:
                kind += f" from {column.refers_to}"
            if column.blank_means:
                blank = column.blank_means
            elif column.blank is REQUIRED:
                blank = "not allowed"
            elif column.blank is None or column.blank == ():
                blank = "the code" if column.name == "Name" else "none"
            elif isinstance(column.blank, bool):
                blank = "yes" if column.blank else "no"
            elif column.kind == "percent":
                blank = f"{column.blank:.0%}"
            else:
                blank = f"`{column.blank}`"
            optional = "" if column.required else " (column optional)"
            lines.append(f"| {column.name}{optional} | {kind} | {column.help} | {blank} |")
        lines.append("")
    lines += [
        "## What is checked",
        "",
        "Before anything is solved, and all at once: missing sheets or columns; unknown or duplicate",
        "codes (with the nearest known code suggested); non-numbers; negative money, values, targets",
        "and rates; Min above Max; percentages outside 0-100%; Pool min % above Pool max %; effect",
        "rates that increase with Up to; an Up to that is not above the previous one; a blank Up to",
        "that is not the last segment; a lag that is not a whole number of at least 1; a Low above or",
        "a High below its value; a formula with no calculated value, or a cell holding an Excel error",
        "(`#REF!`); bad Place settings (a base year like `2010/11`, whole Years, Units `£`,",
        "`£000` or `£m`, a discount rate written as a fraction); stream codes that clash with the",
        "streams the model adds (`FREEZE-<partner>`, `SAVINGS-<partner>`). Year columns on Outcomes",
        "outside the modelled years are noted and ignored.",
        "",
        "## Extensions",
        "",
        "`Low` and `High` on Effects and Savings are an extension of version 1 (optional columns, so",
        "a workbook without them is unchanged): a plausible range for `Per £m` or `£ per unit`, used by",
        "`pooling sweep --samples` and ignored by a plain run. See docs/sweeps.md.",
        "",
        "## The output workbook",
        "",
        "`pooling run` writes a new workbook: the input, every part of it as it was, plus the result",
        "sheets, in this order: " + ", ".join(RUN.names) + " (Diagnosis only when the",
        "scenario is infeasible; Programme limits and Funding used only when it is solved). The",
        "contract's results sheet *Outcomes* is named *Outcomes achieved*, because the input already",
        "has a sheet called Outcomes and Excel sheet names must differ. Input cells whose constraints",
        "bind carry a comment by `pooling` with the shadow price in words; comments already there are",
        "kept. [results.md](results.md) describes every sheet.",
        "",
    ]
    return "\n".join(lines)
