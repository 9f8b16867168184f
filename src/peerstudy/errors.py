"""The project's exceptions: one hierarchy, one message format.

Every check of user input (raw files, coder sheets, codebooks, study parameters,
arguments of public functions) raises a subclass of :class:`PeerstudyError`. Each
carries one or more :class:`Problem` records that name the file, row and field, what
was expected, what was found, and how to fix it. The command line prints the message
without a traceback; notebooks show it as one readable error.

Examples
--------
>>> problem = Problem(file="data/raw/s/answers.csv", row=4, field="age",
...                   expected="an age in years", found="'abc'",
...                   fix="correct the age in the export")
>>> print(InputError(problem))
data/raw/s/answers.csv, row 4, field 'age': expected an age in years, found 'abc'. Fix: correct the age in the export.
>>> err = InputError([problem, Problem(field="sex", expected="male or female", found="'x'")])
>>> len(err.problems)
2
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Problem", "PeerstudyError", "InputError", "ConfigError", "OutputError"]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as it can be.

    Parameters
    ----------
    expected, found
        What the check wanted and what it got (quote values with ``repr``).
    file
        Path of the offending file, relative to the project root where possible.
    row
        Row as a spreadsheet program shows it (1-based, header rows counted).
    field
        Column, parameter or key name.
    fix
        What the user should do about it.
    """

    expected: str
    found: str
    file: str | None = None
    row: int | None = None
    field: str | None = None
    fix: str = ""

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field:
            where.append(f"field {self.field!r}")
        head = ", ".join(where)
        text = f"expected {self.expected}, found {self.found}."
        if self.fix:
            text += f" Fix: {self.fix.rstrip('.')}."
        return f"{head}: {text}" if head else text


class PeerstudyError(Exception):
    """Base class of every error raised on bad input; holds all problems found."""

    def __init__(self, problems: Problem | Iterable[Problem]):
        if isinstance(problems, Problem):
            problems = [problems]
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError("PeerstudyError needs at least one Problem")
        super().__init__(self._format())

    def _format(self) -> str:
        if len(self.problems) == 1:
            return str(self.problems[0])
        lines = [f"{len(self.problems)} problems found:"]
        lines += [f"  {i}. {p}" for i, p in enumerate(self.problems, 1)]
        return "\n".join(lines)


class InputError(PeerstudyError):
    """Data given to the project (a file, a table, an array) is not as expected."""


class ConfigError(PeerstudyError):
    """A study parameter file, a notebook parameter or a function option is wrong."""


class OutputError(PeerstudyError):
    """Outputs cannot be written: a read-only or full output root, a file where a folder
    belongs. Nothing half-written is left in place."""
