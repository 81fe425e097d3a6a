"""Numbers as finance teams write them: £ with thousands separators, £k and £m, 2013/14.

Also the Excel number formats used on result sheets, so the terminal and the
workbook show a figure the same way.
"""

from __future__ import annotations

# Excel number formats for result sheets.
EXCEL_MONEY = "#,##0;[Red]-#,##0"
EXCEL_MONEY_DECIMALS = "#,##0.00;[Red]-#,##0.00"
EXCEL_QUANTITY = "#,##0.0;[Red]-#,##0.0"
EXCEL_PERCENT = "0.0%"
EXCEL_FULL = "General"


def _trim(value: float, decimals: int) -> str:
    return f"{value:,.{decimals}f}"


def _whole(value: float) -> bool:
    return abs(value - round(value)) < 0.005


def money_pounds(value: float) -> str:
    """An amount in £: £15, £2.50, £420, £12,345, £1.23m."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value >= 1_000_000:
        return f"{sign}£{_trim(value / 1_000_000, 2)}m"
    if value >= 100 or _whole(value):
        return f"{sign}£{_trim(value, 0)}"
    return f"{sign}£{_trim(value, 2)}"


def money_together(*values: float) -> list[str]:
    """Amounts in £ for one sentence, all in the same unit, chosen by the largest: £m to two
    decimals from £1m up (£0.40m beside £44.89m, not £404,268), else as money_pounds."""
    if max((abs(value) for value in values), default=0.0) >= 1_000_000:
        return [f"{'-' if value < 0 else ''}£{_trim(abs(value) / 1_000_000, 2)}m" for value in values]
    return [money_pounds(value) for value in values]


def money_units(value: float, units: str) -> str:
    """An amount in the workbook's unit, as the input cells show it: £95,000k for 95,000
    in £000; £2.50m in £m; £1,234 in £."""
    sign = "-" if value < 0 else ""
    value = abs(value)
    if units == "£000":
        return f"{sign}£{_trim(value, 0 if value >= 100 or _whole(value) else 1 if value >= 1 else 3)}k"
    if units == "£m":
        return f"{sign}£{_trim(value, 1 if value >= 10 else 2)}m"
    return sign + money_pounds(value)


def money_short(value: float, units: str) -> str:
    """An amount in the workbook's unit for a list of large figures: £m from £1m up."""
    pounds = value * {"£": 1.0, "£000": 1_000.0, "£m": 1_000_000.0}[units]
    if abs(pounds) >= 1_000_000:
        return f"{'-' if pounds < 0 else ''}£{_trim(abs(pounds) / 1_000_000, 1)}m"
    return money_pounds(pounds)


def quantity(value: float) -> str:
    """Outcome units: 1,234, 12.3 or 0.34."""
    if abs(value - round(value)) < 0.005 or abs(value) >= 100:
        return _trim(round(value), 0)
    return _trim(value, 1 if abs(value) >= 10 else 2).rstrip("0").rstrip(".")
