"""Independent test oracle: the contract's model, read and solved from scratch.

Written from ``/work/shared/contract.md`` (version 1) alone, without looking at
``pooling``: it reads the workbook with openpyxl and builds the LP with highspy's
own API (no PuLP), so that a disagreement with the real tool points at a bug in
one of the two. ``oracle_solve(workbook_path, scenario) -> (status, objective)``.

Contract rules implemented (section of contract.md in brackets)
----------------------------------------------------------------
[intro]      sheet names and headers matched case-insensitively, spaces trimmed;
             extra sheets and columns ignored; codes are text (`007` stays `007`; a
             numeric cell 7 becomes "7"); a column whose name ends in `%` takes a
             fraction, a number above 1 is a percent (25 -> 0.25).
[Place]      Years default 4, Units default £000 (k = 1, 1e3, 1e6), Discount rate
             default 0.035; year t is the t-th financial year after Base year.
[Partners]   Pool min % / Pool max % blank = 0 / 100%.
[Funding]    Poolable blank = yes; Ring-fenced to = comma-separated programme codes.
[Programmes] Pooled blank = no; Min blank = 0; Max blank = no limit.
[Outcomes]   Target blank = none; Shortfall penalty blank = Value per unit; a column
             headed by a year label (`2012/13`) overrides Target for that year, a
             blank cell there keeps Target.
[Effects]    segments of a (programme, outcome) taken in order of `Up to` (blank =
             no limit = last); width w_j = Up to_j - Up to_{j-1}, from 0.
[Savings]    optional; Cashable % blank = 100%; Lag blank = 1.
[scenario]   defaults: objective "outcomes", pooling "pooled", ring_fencing
             "removed", council_tax.freeze true, freeze_grant {council 0.025,
             police 0.03, fire 0.03}, growth 0, change all 0.
[model]      d_t = (1 + r)^-(t-1).
             A[s,t]: council tax = Base (frozen) or Base (1 + growth)^t; other
             workbook streams Base (1 + g_s)^t with g_s the most specific of
             change.stream, change.partner, change.source, change.default;
             FREEZE-<i> (freeze only, i's Type has a rate, i has council-tax
             streams) = rate x sum of i's council-tax Base each year, poolable, not
             ring-fenced; SAVINGS-<i> for each beneficiary i, poolable, not
             ring-fenced, A = sum over rows o->i with t - Lag >= 1 of
             (£ per unit x Cashable % / k) x out[o, t - Lag].
             x[s,p,t] >= 0 exists when i(s) = lead(p), or (pooled) when s is
             poolable and p has Pooled = yes.
             1 stream limit  sum_p x[s,p,t] <= A[s,t]
             2 ring-fence    sum_{p not in RF(s)} x[s,p,t] <= 0, for streams kept
             3 bounds        Min_p <= spend[p,t] <= Max_p
             4 pool share    (pooled) min% B[i,t] <= sum_{s of i poolable not
                             SAVINGS} sum_{p pooled} x[s,p,t] <= max% B[i,t],
                             B[i,t] = sum of A over i's poolable non-SAVINGS streams
             5 effects       0 <= y[p,o,j,t] <= w_j; sum_j y[p,o,j,t] <= spend[p,t];
                             out[o,t] = sum_p sum_j rho_j y[p,o,j,t] k / 1e6
             6 targets       outcomes: out + short >= Target, short >= 0;
                             least-cost: out >= Target
             objective       outcomes: max sum_t d_t sum_o (Value out - Penalty short)
                             in £; least-cost: min sum_t d_t sum_{s,p} x in the
                             workbook unit.

Choices where the contract is open (the plain reading)
-------------------------------------------------------
- A share of exactly 1 in a `%` column is 100% (only numbers *above* 1 are percents).
- `Discount rate` is a plain number (0.035), not a `%` column: it is used as given.
- Year columns on Outcomes whose year lies outside 1..T are ignored; a header is a
  year column when it looks like `YYYY/YY` with YY = YYYY + 1 (mod 100).
- A scenario's `freeze_grant` table replaces the default table (it is not merged).
- `change` never applies to council-tax streams (they follow `council_tax`), nor to
  FREEZE- and SAVINGS- streams.
- `ring_fencing` as a list: the listed streams that have a `Ring-fenced to` stay
  ring-fenced; every other stream is free.
- Ring-fence rows (rule 2) are only built for streams with a variable outside RF(s).
- out[o,t] is a free variable tied by an equality; short[o,t] exists only for
  (o, t) with a target under the `outcomes` objective.
- The stream limit of a SAVINGS stream in a year with no contributing row is
  sum_p x <= 0; every partner gets a pool-share row (trivial when B = 0).
- Effects rows for the same (programme, outcome) with the same `Up to` give a
  zero-width segment; rows are sorted by `Up to` whatever their order in the sheet.
- Partner, programme and outcome codes are matched exactly (case-sensitive) after
  trimming; yes/no, Type, Source and Units are matched case-insensitively.
- Input is assumed valid (the oracle does not validate); partner Type and stream
  Source are lower-cased before use.
"""

from __future__ import annotations

import re

import clarabel
import highspy
import numpy as np
import openpyxl
from scipy import sparse

INF = highspy.kHighsInf
UNITS = {"£": 1.0, "£000": 1e3, "£m": 1e6}
DEFAULT_FREEZE_GRANT = {"council": 0.025, "police": 0.03, "fire": 0.03}
YEAR_RE = re.compile(r"^(\d{4})/(\d{2})$")


# --------------------------------------------------------------------------- reading
def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _code(v):
    """Codes are text; a numeric cell that is a whole number is written without `.0`."""
    if _blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _num(v, default=None):
    return default if _blank(v) else float(v)


def _pct(v, default):
    """The percentage rule: 0.25 is 25%, and a number above 1 is a percent."""
    if _blank(v):
        return default
    v = float(v)
    return v / 100.0 if v > 1 else v


def _yes(v, default: bool) -> bool:
    return default if _blank(v) else str(v).strip().lower() == "yes"


def read_workbook(path) -> dict[str, list[dict]]:
    """Every sheet as a list of row dicts keyed by trimmed lower-case header."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    sheets = {}
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            continue
        keys = [None if _blank(h) else str(h).strip().lower() for h in header]
        table = []
        for row in rows:
            if all(_blank(v) for v in row):
                continue
            table.append({k: (v.strip() if isinstance(v, str) else v) for k, v in zip(keys, row) if k is not None})
        sheets[ws.title.strip().lower()] = table
    wb.close()
    return sheets


# --------------------------------------------------------------------------- the LP
class _LP:
    """Columns and rows accumulated as plain lists, then passed to HiGHS at once."""

    def __init__(self):
        self.cost, self.lb, self.ub = [], [], []
        self.row_lb, self.row_ub, self.rows = [], [], []

    def var(self, lb=0.0, ub=INF, cost=0.0) -> int:
        self.cost.append(cost)
        self.lb.append(lb)
        self.ub.append(ub)
        return len(self.cost) - 1

    def row(self, coefs: dict[int, float], lb=-INF, ub=INF):
        self.rows.append(coefs)
        self.row_lb.append(lb)
        self.row_ub.append(ub)

    def highs(self, maximise: bool) -> highspy.Highs:
        """A HiGHS instance holding this LP."""
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = len(self.cost), len(self.rows)
        lp.col_cost_ = np.array(self.cost, dtype=float)
        lp.col_lower_ = np.array(self.lb, dtype=float)
        lp.col_upper_ = np.array(self.ub, dtype=float)
        lp.row_lower_ = np.array(self.row_lb, dtype=float)
        lp.row_upper_ = np.array(self.row_ub, dtype=float)
        lp.sense_ = highspy.ObjSense.kMaximize if maximise else highspy.ObjSense.kMinimize
        start, index, value = [0], [], []
        for coefs in self.rows:
            for col, a in coefs.items():
                if a != 0.0:
                    index.append(col)
                    value.append(a)
            start.append(len(index))
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.num_col_, lp.a_matrix_.num_row_ = lp.num_col_, lp.num_row_
        lp.a_matrix_.start_ = np.array(start, dtype=np.int32)
        lp.a_matrix_.index_ = np.array(index, dtype=np.int32)
        lp.a_matrix_.value_ = np.array(value, dtype=float)
        h.passModel(lp)
        return h

    def solve(self, maximise: bool):
        h = self.highs(maximise)
        h.run()
        st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kUnboundedOrInfeasible:
            h.setOptionValue("presolve", "off")
            h.clearSolver()
            h.run()
            st = h.getModelStatus()
        if st == highspy.HighsModelStatus.kOptimal:
            self.values = np.array(h.getSolution().col_value)
            return "optimal", h.getInfo().objective_function_value
        if st == highspy.HighsModelStatus.kModelEmpty:  # no columns: only the row bounds matter
            ok = all(lo <= 1e-9 and hi >= -1e-9 for lo, hi in zip(self.row_lb, self.row_ub))
            return ("optimal", 0.0) if ok else ("infeasible", None)
        if st == highspy.HighsModelStatus.kInfeasible:
            return "infeasible", None
        if st == highspy.HighsModelStatus.kUnbounded:
            return "unbounded", None
        raise RuntimeError(f"HiGHS ended with {h.modelStatusToString(st)}")


# --------------------------------------------------------------------------- the model
def build(workbook_path, scenario: dict | None = None):
    """Read the workbook, resolve the scenario and build the LP. Returns (lp, maximise, info)."""
    sc = dict(scenario or {})
    objective = sc.get("objective", "outcomes")
    pooled_mode = sc.get("pooling", "pooled") == "pooled"
    ring_fencing = sc.get("ring_fencing", "removed")
    ct = sc.get("council_tax", {}) or {}
    freeze = ct.get("freeze", True)
    freeze_grant = ct.get("freeze_grant", DEFAULT_FREEZE_GRANT)
    growth = ct.get("growth", 0.0)
    ch = sc.get("change", {}) or {}

    wb = read_workbook(workbook_path)

    # Place
    settings = {
        str(r.get("setting")).strip().lower(): r.get("value") for r in wb["place"] if not _blank(r.get("setting"))
    }
    T = int(_num(settings.get("years"), 4))
    unit = "£000" if _blank(settings.get("units")) else str(settings["units"]).strip()
    k = {u.lower(): f for u, f in UNITS.items()}[unit.lower()]
    r = _num(settings.get("discount rate"), 0.035)
    base_first = int(YEAR_RE.match(str(settings["base year"]).strip()).group(1))
    years = range(1, T + 1)
    d = {t: (1.0 + r) ** -(t - 1) for t in years}

    # Partners
    partners = {}
    for row in wb["partners"]:
        partners[_code(row["partner"])] = dict(
            type=str(row.get("type") or "").strip().lower(),
            pmin=_pct(row.get("pool min %"), 0.0),
            pmax=_pct(row.get("pool max %"), 1.0),
        )

    # Programmes
    progs = {}
    for row in wb["programmes"]:
        progs[_code(row["programme"])] = dict(
            lead=_code(row["lead"]),
            pooled=_yes(row.get("pooled"), False),
            min=_num(row.get("min"), 0.0),
            max=_num(row.get("max"), INF),
            baseline=_num(row.get("baseline"), 0.0),
        )

    # Outcomes, with year columns overriding Target
    outs = {}
    for row in wb["outcomes"]:
        value = _num(row["value per unit"])
        target = _num(row.get("target"))
        targets = {t: target for t in years}
        for key, v in row.items():
            m = YEAR_RE.match(key)
            if m and (int(m.group(1)) + 1) % 100 == int(m.group(2)):
                t = int(m.group(1)) - base_first
                if t in targets and not _blank(v):
                    targets[t] = float(v)
        outs[_code(row["outcome"])] = dict(
            value=value, penalty=_num(row.get("shortfall penalty"), value), target=targets
        )

    # Effects: segments sorted by Up to, blank last
    segs: dict[tuple, list] = {}
    for row in wb["effects"]:
        up = _num(row.get("up to"))
        segs.setdefault((_code(row["programme"]), _code(row["outcome"])), []).append(
            (INF if up is None else up, _num(row["per £m"]))
        )
    effects = {}
    for key, rows in segs.items():
        rows.sort(key=lambda x: x[0])
        prev, widths = 0.0, []
        for up, rate in rows:
            widths.append((INF if up == INF else up - prev, rate))
            prev = up
        effects[key] = widths

    # Savings (optional sheet)
    savings = []
    for row in wb.get("savings", []):
        savings.append(
            dict(
                outcome=_code(row["outcome"]),
                to=_code(row["beneficiary"]),
                per_k=_num(row["£ per unit"]) * _pct(row.get("cashable %"), 1.0) / k,
                lag=int(_num(row.get("lag"), 1)),
            )
        )

    # Streams: workbook, FREEZE-, SAVINGS-
    def rate_of(code, partner, source):
        for table, key in (("stream", code), ("partner", partner), ("source", source)):
            if key in (ch.get(table) or {}):
                return float(ch[table][key])
        return float(ch.get("default", 0.0))

    streams = {}  # code -> partner, poolable, rf (set|None), A {t: const}, savings flag
    ct_base: dict[str, float] = {}
    for row in wb["funding"]:
        code, partner = _code(row["stream"]), _code(row["partner"])
        source = str(row["source"]).strip().lower()
        base = _num(row["base"])
        if source == "council tax":
            ct_base[partner] = ct_base.get(partner, 0.0) + base
            A = {t: base if freeze else base * (1.0 + growth) ** t for t in years}
        else:
            g = rate_of(code, partner, source)
            A = {t: base * (1.0 + g) ** t for t in years}
        rf = None
        if not _blank(row.get("ring-fenced to")):
            rf = {c.strip() for c in str(row["ring-fenced to"]).split(",") if c.strip()}
        streams[code] = dict(partner=partner, poolable=_yes(row.get("poolable"), True), rf=rf, A=A, savings=False)
    if freeze:
        for partner, base in ct_base.items():
            rate = freeze_grant.get(partners[partner]["type"])
            if rate is not None:
                streams[f"FREEZE-{partner}"] = dict(
                    partner=partner, poolable=True, rf=None, A={t: rate * base for t in years}, savings=False
                )
    for partner in dict.fromkeys(s["to"] for s in savings):
        streams[f"SAVINGS-{partner}"] = dict(
            partner=partner, poolable=True, rf=None, A={t: 0.0 for t in years}, savings=True
        )

    if ring_fencing == "kept":
        kept = {s for s, v in streams.items() if v["rf"] is not None}
    elif ring_fencing == "removed":
        kept = set()
    else:
        kept = {str(s) for s in ring_fencing if s in streams and streams[s]["rf"] is not None}

    # Variables
    lp = _LP()
    least_cost = objective == "least-cost"
    x = {}
    for s, st in streams.items():
        for p, pg in progs.items():
            if st["partner"] == pg["lead"] or (pooled_mode and st["poolable"] and pg["pooled"]):
                for t in years:
                    x[s, p, t] = lp.var(cost=d[t] if least_cost else 0.0)
    out = {(o, t): lp.var(lb=-INF, cost=0.0 if least_cost else d[t] * outs[o]["value"]) for o in outs for t in years}

    # 1 stream limit (SAVINGS: A is an expression in earlier outcomes)
    for s, st in streams.items():
        for t in years:
            coefs = {x[s, p, t]: 1.0 for p in progs if (s, p, t) in x}
            if not coefs:
                continue
            if st["savings"]:
                for sv in savings:
                    if f"SAVINGS-{sv['to']}" == s and t - sv["lag"] >= 1:
                        col = out[sv["outcome"], t - sv["lag"]]
                        coefs[col] = coefs.get(col, 0.0) - sv["per_k"]
                lp.row(coefs, ub=0.0)
            else:
                lp.row(coefs, ub=st["A"][t])

    # 2 ring-fences that stay
    for s in kept:
        for t in years:
            coefs = {x[s, p, t]: 1.0 for p in progs if (s, p, t) in x and p not in streams[s]["rf"]}
            if coefs:
                lp.row(coefs, ub=0.0)

    # 3 programme bounds
    spend = {(p, t): {x[s, p, t]: 1.0 for s in streams if (s, p, t) in x} for p in progs for t in years}
    for p, pg in progs.items():
        for t in years:
            lp.row(spend[p, t], lb=pg["min"], ub=pg["max"])

    # 4 pool shares
    if pooled_mode:
        for i, pt in partners.items():
            mine = [s for s, st in streams.items() if st["partner"] == i and st["poolable"] and not st["savings"]]
            for t in years:
                B = sum(streams[s]["A"][t] for s in mine)
                coefs = {x[s, p, t]: 1.0 for s in mine for p, pg in progs.items() if pg["pooled"] and (s, p, t) in x}
                lp.row(coefs, lb=pt["pmin"] * B, ub=pt["pmax"] * B)

    # 5 effects
    made = {(o, t): {out[o, t]: 1.0} for o in outs for t in years}  # out - sum rho y k/1e6 = 0
    for (p, o), segments in effects.items():
        for t in years:
            coefs = {col: -1.0 for col in spend[p, t]}
            for w, rho in segments:
                yv = lp.var(ub=w)
                coefs[yv] = 1.0
                made[o, t][yv] = -rho * k / 1e6
            lp.row(coefs, ub=0.0)
    for coefs in made.values():
        lp.row(coefs, lb=0.0, ub=0.0)

    # 6 targets
    shorts = []
    for o, oc in outs.items():
        for t in years:
            target = oc["target"][t]
            if target is None:
                continue
            if least_cost:
                lp.row({out[o, t]: 1.0}, lb=target)
            else:
                short = lp.var(cost=-d[t] * oc["penalty"])
                shorts.append(short)
                lp.row({out[o, t]: 1.0, short: 1.0}, lb=target)

    n_short = 0 if least_cost else sum(1 for o in outs for t in years if outs[o]["target"][t] is not None)
    info = dict(
        x=len(x),
        out=len(out),
        short=n_short,
        y=len(lp.cost) - len(x) - len(out) - n_short,
        rows=len(lp.rows),
        T=T,
        k=k,
        spend=spend,
        baseline={p: pg["baseline"] for p, pg in progs.items()},
        outcome_columns=[*out.values(), *shorts],
        shorts=shorts,
    )
    return lp, not least_cost, info


def oracle_solve(workbook_path, scenario: dict | None = None) -> tuple[str, float | None]:
    """Solve the contract's model; returns ("optimal" | "infeasible" | "unbounded", objective).

    The objective is in £ for `outcomes` and in the workbook unit (discounted) for
    `least-cost`; it is None unless the status is "optimal".
    """
    lp, maximise, _ = build(workbook_path, scenario)
    return lp.solve(maximise)


def oracle_targets_met(workbook_path, scenario: dict | None = None) -> bool:
    """Has the contract's model an optimal plan that meets every yearly target (for
    least cost, where targets are constraints: an optimal plan at all)?"""
    lp, maximise, info = build(workbook_path, scenario)
    status, _ = lp.solve(maximise)
    if status != "optimal":
        return False
    return all(lp.values[column] <= 1e-6 for column in info["shorts"])


# --------------------------------------------------------------------------- the reported plan
def oracle_plan(workbook_path, scenario: dict | None = None) -> dict[tuple[str, int], float] | None:
    """Stage 2 of "Which plan is reported" (contract v1.1): spend[p,t] of the plan within
    eps = 1e-7 max(|z*|, 1) of z* that minimises sum (spend - Baseline)^2 / max(Baseline, 1).

    Written from the contract alone: the value LP by HiGHS's simplex; then the same rows
    with the objective as a band row (divided by max(|z*|, 1)), one column per spend[p,t]
    tied to its sum of x, and the QP  min 1/2 s'Ps + q's  handed to Clarabel (an
    interior-point conic solver) in its own form Ax + slack = b, slack in the zero cone
    for equalities and the nonnegative cone otherwise. HiGHS's active-set QP would do in
    principle, but stalls on these degenerate models. None unless the value LP is optimal.
    """
    lp, maximise, info = build(workbook_path, scenario)
    status, z = lp.solve(maximise)
    if status != "optimal":
        return None
    eps = 1e-7 * max(abs(z), 1.0)
    size = max(abs(z), 1.0)
    band = {j: c / size for j, c in enumerate(lp.cost) if c != 0.0}
    if maximise:
        lp.row(band, lb=(z - eps) / size)
    else:
        lp.row(band, ub=(z + eps) / size)
    column = {}
    for (p, t), coefs in info["spend"].items():
        column[p, t] = lp.var(lb=-INF)
        lp.row({column[p, t]: 1.0, **{j: -a for j, a in coefs.items()}}, lb=0.0, ub=0.0)
    n = len(lp.cost)
    q = np.zeros(n)
    diagonal = np.zeros(n)
    for (p, _), j in column.items():
        # w (s - B)^2 = w s^2 - 2 w B s + constant: P = 2w, q = -2wB
        weight = 1.0 / max(info["baseline"][p], 1.0)
        diagonal[j] = 2.0 * weight
        q[j] = -2.0 * weight * info["baseline"][p]
    # Columns in units of their kind's typical size (x = D u): money and outcome units
    # differ by orders of magnitude, which an interior-point method reads badly.
    first = np.abs(np.append(lp.values, [0.0] * len(column)))
    for (p, t), j in column.items():
        first[j] = sum(first[i] for i in info["spend"][p, t])
    kind = np.zeros(n, dtype=bool)
    kind[info["outcome_columns"]] = True
    scale = np.ones(n)
    for members in (kind, ~kind):
        sizes = first[members & (first > 0)]
        typical = float(np.median(sizes)) if len(sizes) else 1.0
        scale[members] = np.maximum(first[members], typical)

    equalities, inequalities = [], []  # (coefs, b) for  coefs . x (+ slack) = / <= b
    for coefs, lo, hi in zip(lp.rows, lp.row_lb, lp.row_ub):
        if lo == hi:
            equalities.append((coefs, hi))
            continue
        if hi < INF:
            inequalities.append((coefs, hi))
        if lo > -INF:
            inequalities.append(({j: -a for j, a in coefs.items()}, -lo))
    for j in range(n):
        if lp.ub[j] < INF:
            inequalities.append(({j: 1.0}, lp.ub[j]))
        if lp.lb[j] > -INF:
            inequalities.append(({j: -1.0}, -lp.lb[j]))
    rows = equalities + inequalities
    a = sparse.csc_matrix(
        (
            [a for coefs, _ in rows for a in coefs.values()],
            ([i for i, (coefs, _) in enumerate(rows) for _ in coefs], [j for coefs, _ in rows for j in coefs]),
        ),
        shape=(len(rows), n),
    )
    b = np.array([bound for _, bound in rows])
    d = sparse.diags(scale)
    a, diagonal, q = (a @ d).tocsc(), diagonal * scale * scale, q * scale
    settings = clarabel.DefaultSettings()
    settings.verbose = False
    settings.tol_gap_abs = settings.tol_gap_rel = settings.tol_feas = 1e-12
    settings.max_iter = 500
    cones = [clarabel.ZeroConeT(len(equalities)), clarabel.NonnegativeConeT(len(inequalities))]
    solution = clarabel.DefaultSolver(sparse.diags(diagonal).tocsc(), q, a, b, cones, settings).solve()
    if str(solution.status) not in ("Solved", "AlmostSolved"):
        raise RuntimeError(f"the oracle's stage 2 ended with {solution.status}")
    return {key: solution.x[j] * scale[j] for key, j in column.items()}


def oracle_value_held(workbook_path, scenario: dict | None, programme: str, most: float) -> float | None:
    """The value LP's optimum with ``programme``'s spend held at or below ``most`` every year
    (its minimum, for switching values); None unless optimal."""
    lp, maximise, info = build(workbook_path, scenario)
    for (p, _), coefs in info["spend"].items():
        if p == programme:
            lp.row(dict(coefs), ub=most)
    status, z = lp.solve(maximise)
    return z if status == "optimal" else None
