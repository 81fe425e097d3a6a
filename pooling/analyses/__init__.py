"""Analyses that solve a place many times: scenarios side by side (``compare``), who gains
from pooling (``partnership``), grids and Monte Carlo (``sweep``), on one parallel map
(``parallel``); their workbooks are laid out in ``books``."""
