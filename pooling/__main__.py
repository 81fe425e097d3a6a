"""python -m pooling: the command line."""

from .cli import entry

entry()
