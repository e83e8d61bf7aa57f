"""Errors that are the user's to fix (exit code 2, no traceback)."""

from __future__ import annotations

from dataclasses import dataclass


class UserError(Exception):
    """Bad input or a bad option: the CLI prints the message and exits with code 2."""


class ScenarioWarning(UserWarning):
    """A scenario that is valid but probably not what was meant (the CLI prints these)."""


@dataclass(frozen=True)
class Problem:
    """One problem in a scenario: where it is and what is wrong."""

    source: str
    line: int | None
    column: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = self.source
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScenarioError(UserError):
    """A scenario that does not load; holds one `Problem` per thing wrong."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
