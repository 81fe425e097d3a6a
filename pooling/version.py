"""The version of pooling (one place: the package, the Audit sheets and setup.cfg read it)."""

__version__ = "0.1.0"
