"""Partners' returns: ``split`` a place workbook into one return per partner, ``merge`` the
returns back, and each partner's own results (``per_partner``, ``pooling run --per-partner``)."""
