"""The result workbooks' sheets and columns, as data: the outputs beside the inputs' schema.

One table per workbook the tool writes (:data:`RUN`, the annotated workbook of ``pooling
run``; :data:`PER_PARTNER`, :data:`COMPARISON`, :data:`PARTNERSHIP`, :data:`SWEEP`,
:data:`MERGE`) drives the tables ``report.py`` builds, how the writers format them, the
check that a file is one of ours before it is replaced (``signature``), and the sheet
reference in ``docs/results.md``. Adding a result sheet is a record here and the
function that fills its table.

Column kinds
------------
text      words or codes
year      a financial year, 2011/12
money     an amount in the workbook's unit (whole units; two decimals when it is £m)
pounds    an amount in £, whatever the workbook's unit
price     a shadow price, to two decimals, in the unit its row names
quantity  outcome units, to one decimal
percent   a share, shown as a percentage
full      a number at full precision (General format), for machines and auditors

A column's name may hold ``{units}`` (the workbook unit), ``{objective_unit}`` (£, or the
workbook unit for least cost) and ``{step}`` (£1,000 or £1m); a column marked
``per_year`` stands for one column per modelled year, headed by the year.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ResultColumn:
    name: str
    kind: str
    help: str
    per_year: bool = False
    width: float | None = None  # characters; None: from the contents


@dataclass(frozen=True)
class ResultSheet:
    name: str
    help: str
    columns: tuple[ResultColumn, ...] = ()  # empty: laid out by hand (a board page, an audit)
    table: str | None = None  # the attribute of ``report.Tables`` that fills it
    placeholder: bool = False  # with no table for this run (no plan), still written, saying why
    total_row: bool = False  # its table's last row is a total, ruled off
    autofilter: bool = False
    portrait: bool = False
    note: str = ""  # a line under the table; may hold {units} and {base_year}

    def headers(self, years: list[str] = (), **names: str) -> list[str]:
        """The column headings, per-year columns expanded and names filled in."""
        found = []
        for column in self.columns:
            if column.per_year:
                found += list(years)
            else:
                found.append(column.name.format(**names) if names else column.name)
        return found

    def kinds(self, years: list[str] = (), **names: str) -> dict[str, str]:
        """Heading -> column kind, as :meth:`headers` names them."""
        found = {}
        for column in self.columns:
            for heading in years if column.per_year else [column.name.format(**names) if names else column.name]:
                found[heading] = column.kind
        return found

    def widths(self, **names: str) -> dict[str, float]:
        return {
            (column.name.format(**names) if names else column.name): column.width
            for column in self.columns
            if column.width is not None
        }


@dataclass(frozen=True)
class ResultBook:
    command: str
    help: str
    sheets: tuple[ResultSheet, ...]
    signature: tuple[str, ...] = field(default=())  # sheets that mark a file as written by ``command``

    def sheet(self, name: str) -> ResultSheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(sheet.name for sheet in self.sheets)


def _c(name: str, kind: str, help: str, **options) -> ResultColumn:
    return ResultColumn(name, kind, help, **options)


RUN = ResultBook(
    "pooling run",
    "The input workbook, every part of it as it was, with these sheets added (the contract's "
    "results sheet Outcomes is named Outcomes achieved, because the input has a sheet called "
    "Outcomes and Excel sheet names must differ).",
    (
        ResultSheet(
            "Summary",
            "A board paper. The place and scenario; the headline in sentences; what binds, worth most "
            "first; the Setting | Value block (status, objective value at full precision, totals, the "
            "objective with pooling switched and the partnership dividend, each with its unit; machines find "
            "it by its Setting header); spending by programme and year (pooled programmes marked *, with "
            "their subtotal) and funding used by partner and year, in £000 or £m, rounded so that every "
            "row, column and total adds up; outcomes against targets; a native chart for each (the spending "
            "chart's bands: the pooled programmes, the largest others, the rest as Other). A4 landscape, fitted to the page width, each table on a page "
            "of its own, place, scenario and date in the header.",
        ),
        ResultSheet(
            "Diagnosis",
            "Only when the scenario is infeasible: the smallest relaxation that would make the plan feasible, "
            "by input cell.",
            (
                _c("Input cell", "text", "The cell whose figure has to give."),
                _c("Constraint", "text", "The constraint family."),
                _c("Year", "year", "The year it has to give in."),
                _c("Relaxation needed", "quantity", "How much, in money (workbook unit) or outcome units."),
                _c("What has to give", "text", "The relaxation in a sentence.", width=120),
            ),
        ),
        ResultSheet(
            "Allocation",
            "Programme × year spend in the workbook's unit, with the base-year baseline and totals: the plan "
            "the rule picks among the optima (closest to the base-year budget; docs/model.md).",
            (
                _c("Programme", "text", "The programme's code."),
                _c("Name", "text", "Its name."),
                _c("Lead", "text", "The partner that leads it."),
                _c("Pooled", "text", "May it be funded from the pool."),
                _c("Baseline", "money", "Base-year spend."),
                _c("Year", "money", "Spend in each modelled year.", per_year=True),
                _c("Total", "money", "Spend over the modelled years."),
            ),
            table="allocation",
            placeholder=True,
            total_row=True,
            note="Spend per year in {units}. Baseline is the base year ({base_year}).",
        ),
        ResultSheet(
            "Flows",
            "Every non-zero x[s,p,t]: money from a stream to a programme in a year, at full precision, "
            "with the programme's lead; a vertex with the least money crossing partners, so no dust.",
            (
                _c("Stream", "text", "The funding stream."),
                _c("Partner", "text", "The partner that holds it."),
                _c("Programme", "text", "The programme it funds."),
                _c("Year", "year", "The year."),
                _c("Amount", "exact", "The money, in the workbook's unit, at full precision (shown to 2 decimals)."),
                _c("Lead", "text", "The programme's lead partner."),
            ),
            table="flows",
            placeholder=True,
            autofilter=True,
        ),
        ResultSheet(
            "Pool",
            "Partner × year: poolable funding, contribution to pooled programmes, its minimum and maximum "
            "(pooled scenarios only), savings received, money spent on others' programmes.",
            (
                _c("Partner", "text", "The partner's code."),
                _c("Name", "text", "Its name."),
                _c("Year", "year", "The year."),
                _c("Poolable funding", "money", "B[i,t]: its poolable funding, savings excluded."),
                _c("Contribution", "money", "What it puts into pooled programmes."),
                _c("Min", "money", "Pool min % of its poolable funding."),
                _c("Max", "money", "Pool max % of its poolable funding."),
                _c("Savings received", "money", "Cashable savings it receives from earlier outcomes."),
                _c("Spent on others' programmes", "money", "Its money on programmes other partners lead."),
            ),
            table="pool",
            placeholder=True,
        ),
        ResultSheet(
            "Outcomes achieved",
            "Outcome × year: achieved, target and shortfall, with the outcome's name, unit and value.",
            (
                _c("Outcome", "text", "The outcome's code."),
                _c("Year", "year", "The year."),
                _c("Achieved", "quantity", "Outcome units achieved."),
                _c("Target", "quantity", "The year's target (blank: none)."),
                _c("Shortfall", "quantity", "Units short of the target."),
                _c("Name", "text", "The outcome's name."),
                _c("Unit", "text", "Its unit."),
                _c("Value (£)", "pounds", "Achieved × value per unit, before discounting."),
            ),
            table="outcomes",
            placeholder=True,
        ),
        ResultSheet(
            "Constraints",
            "Every binding constraint: family, what it binds, year, shadow price and its unit, slack, one "
            "sentence, the input cell, the constraint's name in the model.",
            (
                _c("Family", "text", "The constraint family."),
                _c("Binds", "text", "What it binds.", width=45),
                _c("Year", "year", "The year."),
                _c("Shadow price", "price", "Change of the objective per unit more right-hand side."),
                _c("Shadow price unit", "text", "The shadow price's unit."),
                _c(
                    "Slack",
                    "quantity",
                    "Room left: zero, as every constraint listed binds (to the solvers' tolerance).",
                ),
                _c("Meaning", "text", "The constraint in a sentence.", width=120),
                _c("Input cell", "text", "The input cells it comes from.", width=24),
                _c("Constraint", "text", "Its name in the model.", width=40),
            ),
            table="constraints",
            placeholder=True,
        ),
        ResultSheet(
            "Sensitivity",
            "Contract v1.1: one row per binding constraint of the value LP, with how far its right-hand side "
            "may rise or fall with the shadow price unchanged (HiGHS's ranging of the optimal basis: where "
            "the optimum is degenerate the range is the one that surely holds, and may be narrower than the "
            "one that does; blank = no limit, or, under CBC, a price HiGHS's basis does not share).",
            (
                _c("Constraint", "text", "Its name in the model.", width=40),
                _c("Family", "text", "The constraint family."),
                _c("Year", "year", "The year."),
                _c("Input cell", "text", "The input cells it comes from.", width=24),
                _c("Right-hand side", "quantity", "The limit, target or amount, in the constraint's unit."),
                _c("Shadow price", "price", "Change of the objective per unit more right-hand side."),
                _c("Allowable increase", "quantity", "How far the right-hand side may rise at this price."),
                _c("Allowable decrease", "quantity", "How far the right-hand side may fall at this price."),
            ),
            table="sensitivity",
            placeholder=True,
        ),
        ResultSheet(
            "Switching values",
            "Contract v1.1 (Green Book 2020, 5.60-5.61): the value at which the plan's decision changes, "
            "found by solving again (bisection to 0.1%). For each programme's effect rate (every Per £m of its "
            "Effects rows scaled together, 100% being the evidence as written): for one funded above its "
            "minimum, how small its effect may be before that funding is worth nothing; for one at its "
            "minimum, how large before it would get more (up to twice the evidence). For every effect together, "
            "each scenario rate over several streams, each stream's annual change, each Savings row's £ per unit, "
            "each freeze-grant rate and each Pool max %: where a yearly target is first missed (or, for least "
            "cost, the plan becomes infeasible) and, for the first, the scenario rates, the freeze grants and "
            "Pool max %, where pooling stops beating silo. "
            "Blank when nothing switches in that range.",
            (
                _c("Input", "text", "The input.", width=50),
                _c("Cell", "text", "Its cells.", width=30),
                _c("Value", "percent", "The input as written (100% of an effect; a stream's rate a year)."),
                _c("Switching value", "percent", "Where the decision switches."),
                _c("Change %", "percent", "The switching value against the value, as a share of it."),
                _c("What changes", "text", "What switches, in words.", width=110),
            ),
            table="switching",
            placeholder=True,
        ),
        ResultSheet(
            "Programme limits",
            "Every programme at its minimum or maximum, or unfunded, in each year, and why.",
            (
                _c("Programme", "text", "The programme's code."),
                _c("Name", "text", "Its name.", width=40),
                _c("Year", "year", "The year."),
                _c("Position", "text", "At its minimum, at its maximum, or not funded."),
                _c("Spend", "money", "Its spend that year."),
                _c("Limit", "money", "The limit it sits at."),
                _c("Its money is worth ({objective_unit} per {step})", "pounds", "A step more spent on it."),
                _c("Best other use ({objective_unit} per {step})", "pounds", "The same step in its best other use."),
                _c("Why", "text", "The position in a sentence.", width=120),
            ),
            table="positions",
        ),
        ResultSheet(
            "Funding used",
            "Stream × year: money available (as the scenario's levers set it) and used.",
            (
                _c("Stream", "text", "The funding stream."),
                _c("Partner", "text", "The partner that holds it."),
                _c("Year", "year", "The year."),
                _c("Available", "money", "A[s,t]: what the stream holds that year."),
                _c("Used", "money", "What the plan spends of it."),
                _c("How set", "text", "The lever that set the amount."),
            ),
            table="streams",
        ),
        ResultSheet(
            "Audit",
            "Files and their SHA-256, every lever as resolved, solver and version, tool version, time, each "
            "phase's run time, the plan rule with each stage's solver, status and time and the plan's own "
            "objective value, and every part of the input package with what was done to it.",
            (
                _c("Item", "text", "What is recorded.", width=32),
                _c("Value", "text", "Its value.", width=100),
            ),
            portrait=True,
        ),
    ),
    signature=("Summary", "Allocation", "Flows", "Pool", "Outcomes achieved", "Constraints", "Audit"),
)

PER_PARTNER = ResultBook(
    "pooling run --per-partner",
    "One workbook per partner: its return (the rows it owns) with the comments of the place results on "
    "its cells, and its slice of the results, so that every partner's figures add up to the place's.",
    (
        ResultSheet("Summary", "Its money, what went where, its pool share, the savings it received."),
        ResultSheet("Stream use", "Each of its streams by year: available and used."),
        ResultSheet("Stream use by programme", "Where each of its streams went."),
        ResultSheet("Pool share", "Its contribution to pooled programmes against its minimum and maximum."),
        ResultSheet("Led programmes", "The programmes it leads and their allocation."),
        ResultSheet("Led programmes funded by", "Whose money paid for the programmes it leads."),
        ResultSheet("Savings received", "The cashable savings it received, from which outcomes."),
        ResultSheet("Constraints", "The binding constraints that involve it, in words."),
    ),
    signature=("Summary", "Stream use", "Constraints"),
)

COMPARISON = ResultBook(
    "pooling compare",
    "Scenarios side by side, the price of each lever, and each lever's share of a difference.",
    (
        ResultSheet("Comparison", "Status, objective and totals by scenario; every lever as resolved; a chart."),
        ResultSheet(
            "Lever prices",
            "The price of each lever that alone separates two scenarios.",
            (
                _c("Lever", "text", "The lever that differs."),
                _c("Price of", "text", "What its price is called."),
                _c("From", "text", "The scenario it moves from.", width=36),
                _c("To", "text", "The scenario it moves to.", width=36),
                _c("Price", "pounds", "Good news when positive, in the objective's unit."),
                _c("Unit", "text", "The objective's unit."),
                _c("Meaning", "text", "The price in a sentence.", width=90),
            ),
        ),
        ResultSheet(
            "Lever shares",
            "For every two optimal scenarios on one workbook and objective, each lever that separates them and "
            "its share of the difference B − A (Shapley value over the levers: every mixture of the two solved; "
            "the shares add up to the difference).",
            (
                _c("From (A)", "text", "Scenario A.", width=36),
                _c("To (B)", "text", "Scenario B.", width=36),
                _c("Lever", "text", "A lever that differs."),
                _c("In A", "text", "Its setting in A.", width=30),
                _c("In B", "text", "Its setting in B.", width=30),
                _c(
                    "Share of B − A",
                    "pounds",
                    "What moving this lever gives of the difference, in the objective's unit.",
                ),
                _c("B − A", "pounds", "The difference of the objectives."),
                _c("Unit", "text", "The objective's unit."),
                _c("Meaning", "text", "The shares in a sentence.", width=90),
            ),
        ),
        ResultSheet("Programmes", "Spend by programme over the years, by scenario, and each less the first."),
        ResultSheet("Partners", "Funding used by partner, by scenario, and each less the first."),
        ResultSheet("Outcomes", "Outcomes achieved over the years, by scenario, and each less the first."),
        ResultSheet("Audit", "Each scenario's files, hashes, solver and objective at full precision.", portrait=True),
    ),
    signature=("Comparison", "Lever prices", "Programmes", "Partners", "Outcomes", "Audit"),
)

PARTNERSHIP = ResultBook(
    "pooling partners",
    "Who gains from pooling: the dividend, fair shares, the walk-away test, the core, money flows and a "
    "settlement of cashable savings.",
    (
        ResultSheet(
            "Partnership", "What a board can quote, and each partner's fair share, walk-away loss and settlement."
        ),
        ResultSheet("Coalitions", "Every coalition solved: its members, status, objective and gain over all in silo."),
        ResultSheet("Money flows", "By partner and year: money into others' programmes, and theirs into its own."),
        ResultSheet("Settlement", "The payments between partners that share the cashable savings fairly."),
        ResultSheet("Audit", "The scenario, the workbook, the solver and the method.", portrait=True),
    ),
    signature=("Partnership", "Coalitions"),
)

SWEEP = ResultBook(
    "pooling sweep",
    "Many runs of one place: a grid of levers and Monte Carlo samples of its uncertain inputs.",
    (
        ResultSheet("Runs", "One row per run: its levers, sample, status, objective, outcomes, spend and draws."),
        ResultSheet("Percentiles", "P10, P50 and P90 of the objective, outcomes and spend at each grid point."),
        ResultSheet("Targets", "The probability each target is met, at each grid point."),
        ResultSheet("Tornado", "What moves the objective most."),
        ResultSheet("Not optimal", "The runs with no optimal plan, and what the solver said."),
        ResultSheet("Audit", "The scenario, the grid, the samples and the seed.", portrait=True),
    ),
    signature=("Runs", "Percentiles", "Tornado"),
)

NATIONAL = ResultBook(
    "pooling sweep (several places)",
    "The same grid and samples on several places (several scenario files, or --places).",
    (
        ResultSheet(
            "National",
            "One row per place and grid point: runs, runs with no optimal plan, the unit of the money "
            "columns, the objective's P10, P50 "
            "and P90, the partnership dividend's (each sample's pooled run less its silo run) when the grid "
            "varies pooling over silo and pooled, and the target least sure to be met with its probability; "
            "a chart of the objective's P10, P50 and P90 by place.",
        ),
        ResultSheet("Runs", "Every place's runs, one row each, the place in the first column."),
        ResultSheet("Audit", "The scenarios, the grid, the samples and the seed.", portrait=True),
    ),
    signature=("National", "Runs"),
)

MERGE = ResultBook(
    "pooling merge",
    "The place workbook with the returns' edits spliced into its sheets, and:",
    (ResultSheet("Changes", "Every edit: sheet, cell, old value, new value, partner, return, return cell."),),
    signature=("Changes",),
)

BOOKS: tuple[ResultBook, ...] = (RUN, PER_PARTNER, COMPARISON, PARTNERSHIP, SWEEP, NATIONAL, MERGE)


def markdown() -> str:
    """The sheet reference of docs/results.md, written from these tables (headings shown
    as they read for a workbook in £000 maximising outcome value)."""
    names = {"units": "£000", "objective_unit": "£", "step": "£1,000"}
    lines = []
    for book in BOOKS:
        lines += [f"### `{book.command}`", "", book.help, "", "| sheet | what it holds |", "| --- | --- |"]
        for sheet in book.sheets:
            text = sheet.help
            if sheet.columns:
                shown = ["one per year" if c.per_year else f"`{c.name.format(**names)}`" for c in sheet.columns]
                text += " Columns: " + ", ".join(shown) + "."
            text = text.replace("|", "\\|")
            lines.append(f"| {sheet.name} | {text} |")
        lines.append("")
    return "\n".join(lines)
