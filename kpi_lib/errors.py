"""Typed errors: the CLI turns each into one line naming the file and the place."""

from __future__ import annotations

from dataclasses import dataclass


class KpiError(Exception):
    """Base of every error a user can cause; never shown as a traceback."""


@dataclass
class InputError(KpiError):
    """A problem with an input file, located as precisely as we can."""

    path: str
    problem: str
    page: int | None = None
    line: int | None = None
    cell: str | None = None

    def __str__(self) -> str:
        where = [self.path]
        if self.page is not None:
            where.append(f"page {self.page}")
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.cell is not None:
            where.append(f"cell {self.cell}")
        return f"{': '.join(where)}: {self.problem}"


class UsageError(KpiError):
    """Bad arguments or parameters (unknown period, KPI id, parameter name...)."""


class StoreError(KpiError):
    """The processed store is missing or fails validation."""
