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

__all__ = ["Problem", "PeerstudyError", "InputError", "ConfigError", "OutputError", "StageFailed", "ContractError"]


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


class StageFailed(Exception):
    """A notebook failed during a run; the message says which, and why (raised by
    :mod:`peerstudy.pipeline.run`, which tells the study, the notebook and the cell)."""


class ContractError(RuntimeError):
    """A table the project made breaks its own contract: a hand-off table that does not
    fit its schema (:mod:`peerstudy.io.schemas`) where a stage writes it.

    Not a :class:`PeerstudyError`: those describe bad input and are shown without a
    traceback, while this is a bug of the stage that made the table (every check of input
    comes before), so it keeps its traceback, and the pipeline reports it as a failure of
    the code. It carries :class:`Problem` records all the same, one per column and check,
    naming the rows.

    Examples
    --------
    >>> err = ContractError("segments", [Problem(file="segments", field="segment",
    ...                     expected="each value once (a key of the table)", found="'d1@0-4' in rows 0, 3")])
    >>> print(err)
    table 'segments' breaks its schema (peerstudy.io.schemas): segments, field 'segment': expected each value once (a key of the table), found 'd1@0-4' in rows 0, 3.
    This is a bug of the stage that made the table, not of the study's data: please report it with this message.
    """

    def __init__(self, table: str, problems: Problem | Iterable[Problem]):
        self.table = table
        self.problems: tuple[Problem, ...] = (problems,) if isinstance(problems, Problem) else tuple(problems)
        if not self.problems:
            raise ValueError("ContractError needs at least one Problem")
        head = f"table {table!r} breaks its schema (peerstudy.io.schemas)"
        if len(self.problems) == 1:
            body = f"{head}: {self.problems[0]}"
        else:
            body = f"{head}, {len(self.problems)} problems found:\n" + "\n".join(
                f"  {i}. {p}" for i, p in enumerate(self.problems, 1)
            )
        super().__init__(
            body + "\nThis is a bug of the stage that made the table, not of the study's data: "
            "please report it with this message."
        )
