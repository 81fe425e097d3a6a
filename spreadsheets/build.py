"""Build the example workbook ``spreadsheets/example.xlsx``: Northmoor, a fictional county.

Northmoor is a two-tier English shire county of about 600,000 people in 2010/11: a
county council, one district council (Ashdale) in scope, the primary care trust,
police authority, fire and rescue authority, probation trust and Jobcentre Plus.
Budgets are invented but scaled to such a county (money in £000). Outcome values and
cashable savings come from the Unit Cost Database v1.2 (New Economy for the Cabinet
Office); each figure carries its cost code and is the database's estimated cost in
its own price year (not uprated); the one exception is the estate outcome SAV, whose
unit is £1,000 of running costs. Effect rates are judgements, anchored where possible
on the database's unit cost of the service (code cited beside the rate).

The workbook follows the contract (version 1) in the layout of ``pooling template``.
Run ``python spreadsheets/build.py`` to rebuild it and ``spreadsheets/template.xlsx``;
``python spreadsheets/build.py FOLDER`` writes them elsewhere.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from pooling.template import write_place_workbook, write_template

YEARS = ("2011/12", "2012/13", "2013/14", "2014/15")  # the modelled years, for target columns

PLACE = [
    ("Place", "Northmoor"),
    ("Base year", "2010/11"),
    ("Years", 4),
    ("Units", "£000"),
    ("Discount rate", 0.035),  # HM Treasury Green Book
]


def _partner(code, name, kind, pool_min, pool_max):
    return {"Partner": code, "Name": name, "Type": kind, "Pool min %": pool_min, "Pool max %": pool_max}


PARTNERS = [
    _partner("NCC", "Northmoor County Council", "council", 0.02, 0.30),
    _partner("ADC", "Ashdale District Council", "council", 0.03, 0.30),
    _partner("PCT", "NHS Northmoor (primary care trust)", "health", 0.01, 0.05),
    _partner("NPA", "Northmoor Police Authority", "police", 0.02, 0.15),
    _partner("NFR", "Northmoor Fire and Rescue Authority", "fire", 0.03, 0.25),
    _partner("NPT", "Northmoor Probation Trust", "probation", 0.05, 0.40),
    _partner("JCP", "Jobcentre Plus, Northmoor district", "other", 0.05, 0.40),
]


def _stream(code, partner, source, base, poolable="yes", ring_fenced_to=None):
    return {
        "Stream": code,
        "Partner": partner,
        "Source": source,
        "Base": base,
        "Poolable": poolable,
        "Ring-fenced to": ring_fenced_to,
    }


# Base-year (2010/11) amounts in £000. NHS and DWP money is `other`: the 2010 Spending
# Review protected the NHS, and Jobcentre Plus budgets are not local-government grants.
FUNDING = [
    _stream("NCC-CT", "NCC", "council tax", 182_000),
    _stream("NCC-FG", "NCC", "grant", 88_000),  # formula grant
    _stream("NCC-DSG", "NCC", "grant", 160_000, poolable="no", ring_fenced_to="SCH"),
    _stream("NCC-EIG", "NCC", "grant", 16_000),  # Early Intervention Grant
    _stream("NCC-SP", "NCC", "grant", 12_000),  # Supporting People
    _stream("NCC-DIP", "NCC", "grant", 1_800, ring_fenced_to="DA"),  # Drug Intervention Programme
    _stream("NCC-FEES", "NCC", "fees", 24_000),  # social care charges and other fees
    _stream("ADC-CT", "ADC", "council tax", 7_200),
    _stream("ADC-FG", "ADC", "grant", 4_300),
    _stream("ADC-HPG", "ADC", "grant", 450),  # homelessness prevention grant
    _stream("ADC-FEES", "ADC", "fees", 2_900),  # car parking, planning, licensing
    _stream("ADC-BID", "ADC", "business rates", 300, ring_fenced_to="HLR"),  # BID levy, town centre
    _stream("PCT-ALLOC", "PCT", "other", 872_000),  # revenue allocation from the Department of Health
    _stream("PCT-SM", "PCT", "grant", 5_500, ring_fenced_to="DA, ALC"),  # pooled treatment budget
    _stream("PCT-REAB", "PCT", "grant", 2_400, ring_fenced_to="REA"),  # NHS support for reablement
    _stream("PCT-FEES", "PCT", "fees", 8_000),  # prescription charges and other income
    _stream("NPA-PG", "NPA", "grant", 62_000),  # Home Office police grant
    _stream("NPA-FG", "NPA", "grant", 36_000),  # DCLG formula grant
    _stream("NPA-CT", "NPA", "council tax", 48_000),  # police precept
    _stream("NPA-NPF", "NPA", "grant", 6_000, ring_fenced_to="NPOL"),  # neighbourhood policing fund
    _stream("NPA-FEES", "NPA", "fees", 3_000),  # special police services, firearms licences
    _stream("NFR-FG", "NFR", "grant", 15_500),
    _stream("NFR-CT", "NFR", "council tax", 19_000),
    _stream("NFR-FEES", "NFR", "fees", 800),
    _stream("NPT-NOMS", "NPT", "grant", 19_500),  # NOMS contract funding
    _stream("NPT-OTH", "NPT", "other", 600),  # partnership income
    _stream("JCP-ADM", "JCP", "other", 24_000),  # DWP administration budget, local offices
    _stream("JCP-FSF", "JCP", "other", 6_000),  # Flexible Support Fund and local programmes
]


def _programme(code, name, lead, pooled, baseline, minimum=None, maximum=None):
    return {
        "Programme": code,
        "Name": name,
        "Lead": lead,
        "Pooled": pooled,
        "Baseline": baseline,
        "Min": minimum,
        "Max": maximum,
    }


# Spend per year in £000. Min is the statutory or contractual floor; pooled programmes
# are the multi-agency ('wicked') ones, statutory core services stay with their lead.
PROGRAMMES = [
    _programme("SCH", "Schools (Dedicated Schools Grant)", "NCC", "no", 160_000, 110_000),
    _programme("ASC", "Adult social care", "NCC", "no", 165_000, 146_000),
    _programme("CSC", "Children's social care and looked-after children", "NCC", "no", 55_000, 50_000),
    _programme("CCS", "County core services (highways, transport, libraries)", "NCC", "no", 62_000, 40_000),
    _programme("TF", "Troubled families", "NCC", "yes", 3_000, 0, 20_000),
    _programme("YTH", "Youth services and NEET support", "NCC", "yes", 9_000, 2_000, 15_000),
    _programme("DA", "Drug and alcohol services", "NCC", "yes", 9_000, 3_000, 25_000),
    _programme("AST", "Asset rationalisation (shared public estate)", "NCC", "yes", 1_500, 0, 10_000),
    _programme("SPH", "Supporting People (housing-related support)", "NCC", "yes", 12_000, 3_000, 20_000),
    _programme("DCS", "District core services (waste, planning, benefits)", "ADC", "no", 12_500, 10_000),
    _programme("HLR", "Housing-led regeneration", "ADC", "yes", 2_000, 0, 12_000),
    _programme("ACU", "Acute hospital care", "PCT", "no", 520_000, 462_000),
    _programme("PCC", "Primary, community and mental health care", "PCT", "no", 340_000, 283_000),
    _programme("ALC", "Alcohol liaison and brief interventions", "PCT", "yes", 1_500, 0, 6_000),
    _programme("REA", "Reablement and intermediate care", "PCT", "yes", 12_000, 8_000, 30_000),
    _programme("NPOL", "Neighbourhood policing", "NPA", "no", 40_000, 28_000),
    _programme("POLC", "Response, investigation and other policing", "NPA", "no", 105_000, 82_000),
    _programme("DV", "Domestic violence (IDVAs and MARAC)", "NPA", "yes", 1_200, 0, 5_000),
    _programme("CSP", "Anti-social behaviour and community safety", "NPA", "yes", 2_500, 0, 12_000),
    _programme("FRSP", "Fire and rescue response", "NFR", "no", 29_000, 25_500),
    _programme("FPRV", "Fire prevention (home fire safety checks)", "NFR", "yes", 3_500, 500, 12_000),
    _programme("PRO", "Offender management (statutory supervision)", "NPT", "no", 16_000, 12_000),
    _programme("RRO", "Reducing re-offending (offender management)", "NPT", "yes", 3_500, 500, 12_000),
    _programme("JCPS", "Jobcentre Plus core jobseeker services", "JCP", "no", 24_000, 20_000),
    _programme("EMP", "Employment support (work clubs, skills)", "JCP", "yes", 4_000, 0, 15_000),
]


def _outcome(code, name, unit, value, target, penalty=None, by_year=None):
    row = {
        "Outcome": code,
        "Name": name,
        "Unit": unit,
        "Value per unit": value,
        "Target": target,
        "Shortfall penalty": penalty,
    }
    return row | {year: (by_year or {}).get(year) for year in YEARS}


# Value per unit in £ (cost code beside it); Target is outcome units per year, with
# a year's column overriding it where the plan ramps up.
OUTCOMES = [
    _outcome(
        "DTX",
        "Drug and alcohol users in effective treatment",
        "person",
        3_419,
        2_800,
        5_000,  # HE2.0
        by_year={"2012/13": 3_000, "2013/14": 3_200, "2014/15": 3_400},
    ),
    _outcome("ADM", "Non-elective hospital admissions avoided", "admission", 1_438, 4_000),  # HE6.0.2
    # SS7.0: £522 a week x 52
    _outcome("RES", "Permanent admissions to residential care avoided", "person-year", 27_144, 500),
    _outcome("LAC", "Children kept safely out of care", "child-year", 44_676, 100, 60_000),  # SS1.0
    _outcome("OFF", "Offences avoided (burglary-equivalent)", "offence", 1_361, 11_000, 2_000),  # CR7.6
    _outcome("ASB", "Anti-social behaviour incidents avoided", "incident", 500, 4_000),  # CR1.0
    _outcome("FIRE", "Dwelling fires prevented", "fire", 44_523, 180),  # FI3.0
    _outcome("WORK", "Workless claimants into sustained work", "claimant-year", 9_800, 1_800),  # E&E1.0
    _outcome("NEET", "Young people (18-24) out of NEET", "person-year", 4_263, 1_500),  # E&E6.0
    _outcome("HOM", "Homelessness applications prevented", "application", 2_501, 2_500, 4_000),  # HO3.0
    _outcome("DVI", "Domestic violence incidents prevented", "incident", 2_470, 1_500),  # CR2.0
    # not a UCD cost: the unit is £1,000 of running costs, worth £1,000
    _outcome(
        "SAV",
        "Public estate running costs released",
        "£1,000",
        1_000,
        1_000,
        by_year={"2011/12": 500, "2013/14": 1_500, "2014/15": 2_000},
    ),
]


def _effects(programme, outcome, *segments):
    """Rows for one programme and outcome: segments are (per £m, up to £000 or None)."""
    return [{"Programme": programme, "Outcome": outcome, "Per £m": rate, "Up to": up_to} for rate, up_to in segments]


# Outcome units per £1m spent in a year, with diminishing returns as programmes scale.
EFFECTS = [
    # HE2.2: £2,604 a person in effective treatment (384 per £1m), less drop-out
    *_effects("DA", "DTX", (220, 6_000), (160, 12_000), (90, None)),
    *_effects("DA", "OFF", (150, 6_000), (100, 12_000), (50, None)),  # HE2.0.1: less drug-related crime
    *_effects("ALC", "ADM", (600, 2_000), (400, 4_000), (200, None)),  # liaison nurses in A&E and on wards
    *_effects("ALC", "DTX", (100, 3_000), (50, None)),  # HE1.10: £742 a course of psychological help
    # SS11.0: £2,046 a reablement user (489 per £1m); 1 in 25 avoids residential care
    *_effects("REA", "RES", (20, 15_000), (14, 25_000), (8, None)),
    *_effects("REA", "ADM", (100, 15_000), (50, None)),  # readmissions avoided
    *_effects("TF", "LAC", (8, 5_000), (5, None)),  # about £10,000 a family; 1 in 12 kept out of care
    *_effects("TF", "OFF", (200, 5_000), (120, None)),
    *_effects("TF", "WORK", (12, 5_000), (8, None)),
    *_effects("TF", "DVI", (50, None)),
    *_effects("YTH", "NEET", (120, 4_000), (70, None)),
    *_effects("YTH", "OFF", (100, 4_000), (50, None)),
    *_effects("SPH", "HOM", (150, 6_000), (80, None)),  # HO5.0: £642 a prevention, alongside support
    *_effects("SPH", "RES", (6, None)),
    # E&E4.0-4.2: £3,610 of Work Programme fees a sustained job (277 per £1m), less deadweight
    *_effects("EMP", "WORK", (180, 4_000), (120, 8_000), (60, None)),
    *_effects("EMP", "NEET", (40, None)),
    *_effects("HLR", "HOM", (200, 3_000), (100, None)),
    *_effects("HLR", "WORK", (25, None)),
    *_effects("HLR", "OFF", (30, None)),
    # prolific offenders, each committing dozens of offences a year; CR3.2: £357 a year of supervision
    *_effects("RRO", "OFF", (800, 3_000), (500, 6_000), (250, None)),
    *_effects("RRO", "WORK", (15, None)),
    *_effects("RRO", "HOM", (40, None)),
    *_effects("DV", "DVI", (300, 2_000), (150, None)),
    *_effects("DV", "LAC", (2, None)),
    *_effects("CSP", "ASB", (800, 3_000), (400, 8_000), (150, None)),
    *_effects("CSP", "OFF", (100, None)),
    # FI7.0: £16 an hour of fire safety work, about 25,000 home checks per £1m
    *_effects("FPRV", "FIRE", (30, 3_000), (20, 6_000), (10, None)),
    *_effects("AST", "SAV", (500, 3_000), (300, 6_000), (150, None)),
]


def _saving(outcome, beneficiary, per_unit, cashable, lag=1):
    return {
        "Outcome": outcome,
        "Beneficiary": beneficiary,
        "£ per unit": per_unit,
        "Cashable %": cashable,
        "Lag": lag,
    }


# Cashable savings to the partner that saves, often not the one that pays.
SAVINGS = [
    _saving("DTX", "PCT", 1_719, 0.40),  # HE2.0.3 health and social care
    _saving("DTX", "NPA", 1_408, 0.25),  # HE2.0.1 criminal justice system
    _saving("ADM", "PCT", 1_438, 0.30),  # HE6.0.2
    _saving("RES", "NCC", 27_144, 0.40),  # SS7.0: £522 a week x 52
    _saving("LAC", "NCC", 44_676, 0.50),  # SS1.0
    _saving("OFF", "NPA", 683, 0.20),  # CR7.6.1
    _saving("OFF", "NPT", 81, 0.20),  # CR7.6.2
    _saving("ASB", "NPA", 500, 0.30),  # CR1.0
    _saving("FIRE", "NFR", 3_186, 0.25),  # FI2.0
    _saving("WORK", "JCP", 9_234, 0.20),  # E&E1.0.1
    _saving("WORK", "PCT", 566, 0.20),  # E&E1.0.2
    _saving("NEET", "JCP", 4_263, 0.20, lag=2),  # E&E6.0
    _saving("HOM", "ADC", 2_501, 0.50),  # HO3.0
    _saving("DVI", "PCT", 1_171, 0.25),  # CR2.0.1
    _saving("DVI", "NPA", 415, 0.30),  # CR2.0.3
    _saving("DVI", "NCC", 193, 0.25),  # CR2.0.4
    _saving("DVI", "ADC", 110, 0.25),  # CR2.0.5
    _saving("SAV", "NCC", 350, 0.60, lag=2),  # shares of £1,000 released, by building occupier
    _saving("SAV", "PCT", 250, 0.60, lag=2),
    _saving("SAV", "NPA", 200, 0.60, lag=2),
    _saving("SAV", "NFR", 100, 0.60, lag=2),
    _saving("SAV", "ADC", 100, 0.60, lag=2),
]


# How sure the evidence is: the Low and High of each rate, as a share of the central
# value, for the Total Place themes whose savings the seed quotes as ranges (£18-30m for
# housing-led regeneration, £6.5-15m for asset rationalisation) and for the programmes
# whose evidence is thinnest. Sweeps and Monte Carlo runs draw between them.
EFFECT_RANGES = {
    "HLR": (18 / 24, 30 / 24),  # Durham: £18-30m, around £24m
    "AST": (6.5 / 10.75, 15 / 10.75),  # Lewisham: £6.5-15m, around £10.75m
    "DA": (0.8, 1.2),
    "RRO": (0.75, 1.25),
    "TF": (0.6, 1.3),
    "ALC": (0.7, 1.2),
}
SAVING_RANGES = {"DTX": (0.7, 1.3), "OFF": (0.6, 1.4), "LAC": (0.8, 1.1), "WORK": (0.85, 1.15)}


def _with_ranges(rows: list[dict], key: str, value: str, ranges: dict) -> list[dict]:
    """The rows with Low and High columns, filled where ``ranges`` names the row's key."""
    ranged = []
    for row in rows:
        low, high = ranges.get(row[key], (None, None))
        ranged.append(
            row | {"Low": None if low is None else round(row[value] * low, 2), "High": None if high is None else round(row[value] * high, 2)}
        )
    return ranged


def example_sheets() -> dict[str, list]:
    """The example's sheets, by name, in workbook order."""
    return {
        "Place": PLACE,
        "Partners": PARTNERS,
        "Funding": FUNDING,
        "Programmes": PROGRAMMES,
        "Outcomes": OUTCOMES,
        "Effects": _with_ranges(EFFECTS, "Programme", "Per £m", EFFECT_RANGES),
        "Savings": _with_ranges(SAVINGS, "Outcome", "£ per unit", SAVING_RANGES),
    }


def build_example(path: str | os.PathLike) -> Path:
    """Write the Northmoor example workbook to ``path`` in the template's layout."""
    return write_place_workbook(Path(path), example_sheets())


def main(argv: list[str] | None = None) -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description="Build the example workbook and the blank template.")
    parser.add_argument(
        "folder", nargs="?", type=Path, default=here, help="where to write (default: beside this script)"
    )
    args = parser.parse_args(argv)
    print(build_example(args.folder / "example.xlsx"))
    print(write_template(args.folder / "template.xlsx"))


if __name__ == "__main__":
    main()
