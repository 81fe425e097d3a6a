"""Every error a user can meet, and the exit status the command line gives it.

Each carries a message fit for the terminal as it is: the command line prints it and
exits with the error's ``exit_status``, never with a traceback. The statuses are the
contract's (0 solved to optimality, 1 bad input, 2 bad usage, 3 infeasible or
unbounded) and one more: 4 when the solver itself could not be run or did not finish.
"""

from __future__ import annotations

EXIT_INPUT, EXIT_USAGE, EXIT_NOT_OPTIMAL, EXIT_SOLVER = 1, 2, 3, 4


class InputError(Exception):
    """Bad input: a workbook or scenario the tool cannot use. Exit status 1."""

    exit_status = EXIT_INPUT

    def lines(self) -> list[str]:
        return str(self).splitlines() or [type(self).__name__]


class WriteError(Exception):
    """The output could not be written; the target is untouched. Exit status 2: the
    command asked for a file that cannot be written (open in Excel, not ours to replace)."""

    exit_status = EXIT_USAGE


class SolverError(Exception):
    """The solver could not be run at all, or did not finish in its time limit (not: the
    model has no solution). Exit status 4."""

    exit_status = EXIT_SOLVER


class NotOptimal(Exception):
    """The scenario has no optimal plan (infeasible or unbounded); ``result`` says why (its
    diagnosis names what would have to give). Exit status 3."""

    exit_status = EXIT_NOT_OPTIMAL

    def __init__(self, result):
        self.result = result
        super().__init__(f"{result.scenario.name}: the scenario is {result.status} ({result.solution.message})")
