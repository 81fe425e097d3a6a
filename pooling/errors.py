"""The errors a user can cause, apart from the solver's verdict.

Every one carries a message fit for the terminal as it is: the command line prints
it and exits 1 (bad input) or 2 (bad usage), never with a traceback.
"""


class InputError(Exception):
    """Bad input: a workbook or scenario the tool cannot use. Exit status 1."""

    def lines(self) -> list[str]:
        return str(self).splitlines() or [type(self).__name__]


class WriteError(Exception):
    """The output could not be written; the target is untouched."""
