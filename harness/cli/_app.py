"""The Typer application all command modules register on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup, TyperOption
from typer.models import CommandFunctionType

__all__ = ["app", "import_app", "sandbox_app", "task_app"]


def _mark_switches(params: list[Any]) -> list[Any]:
    """Give every switch an empty metavar, so the help shows no value placeholder for it.

    Typer's rich help prints each option's type (`<bool>` for a switch, `--help` included)
    whatever it is; its plain help leaves a flag's type out. An explicit metavar is shown
    instead of the type, and a switch never takes a value, so an empty one is exact.
    """
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and param.metavar is None:
            param.metavar = ""
    return params


OPTIONAL_VALUE_OPTIONS: dict[str, tuple[str, tuple[str, ...]]] = {"--retry-failed": ("infra", ("infra", "all"))}
"""Options whose value may be left out: option -> (the value it then takes, the values it accepts)."""


def _fill_optional_values(args: list[str]) -> list[str]:
    """`--retry-failed` alone means `--retry-failed infra` (typer's click has no optional option values)."""
    filled: list[str] = []
    for index, arg in enumerate(args):
        filled.append(arg)
        if arg in OPTIONAL_VALUE_OPTIONS:
            implied, accepted = OPTIONAL_VALUE_OPTIONS[arg]
            following = args[index + 1] if index + 1 < len(args) else None
            if following not in accepted:
                filled.append(implied)
    return filled


class _Command(TyperCommand):
    """A command whose switches read as switches in `--help`."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _mark_switches(super().get_params(ctx))

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return list(super().parse_args(ctx, _fill_optional_values(args)))


class _Group(TyperGroup):
    """A command group whose `--help` reads as a switch."""

    def get_params(self, ctx: Any) -> list[Any]:
        return _mark_switches(super().get_params(ctx))


class _Typer(typer.Typer):
    """A Typer app whose groups and commands show switches without a value placeholder."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=_Group, **kwargs)

    def command(
        self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any
    ) -> Callable[[CommandFunctionType], CommandFunctionType]:
        return super().command(name, cls=cls or _Command, **kwargs)


app = _Typer(
    name="harness",
    help="Run LLM evaluation rounds: dispatch, sandboxed hidden tests, blind peer judging, published files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
sandbox_app = _Typer(help="Build the sandbox image and run hidden tests in it.", no_args_is_help=True)
task_app = _Typer(help="Check and scaffold task folders.", no_args_is_help=True)
import_app = _Typer(help="Import past rounds as replayable run folders.", no_args_is_help=True)
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(task_app, name="task")
app.add_typer(import_app, name="import")
