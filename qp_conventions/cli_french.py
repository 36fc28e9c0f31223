"""The command line's own words in French: its help and its usage errors.

typer (0.29, tested; pinned in pyproject.toml) writes them in English, with a click of its
own inside. This module is the one place that makes them French, through the hooks click
documents for it, and nothing else:
- `FrenchCommand` and `FrenchGroup` (typer's `cls=`) write the help themselves: usage
  line, arguments, options and commands, with the help texts given in cli.py;
- `usage_error` says a usage error in French from its kind and its data (the option,
  the parameter), never from its English text.
"""

from __future__ import annotations

import difflib

import typer
from typer.core import TyperCommand, TyperGroup

HELP = "Affiche cette aide et quitte."


class _FrenchHelp:
    """The help of a command or of the group, in French."""

    def get_help_option(self, ctx):
        option = super().get_help_option(ctx)
        if option is not None:
            option.help = HELP
            # typer coerces a flag's value through pydantic (80 ms of imports) unless it
            # is already a bool: without a default, `-h` absent is None, and `qp --version`
            # would import pydantic for nothing.
            option.default = False
        return option

    def format_usage(self, ctx, formatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)),
                              prefix="Utilisation : ")

    def format_options(self, ctx, formatter) -> None:
        arguments, options = [], []
        for param in self.get_params(ctx):
            if param.hidden:
                continue
            if param.param_type_name == "argument":
                repeated = "..." if param.nargs == -1 else ""
                arguments.append(((param.metavar or param.name.upper()) + repeated, param.help or ""))
            else:
                names = ", ".join(param.opts + param.secondary_opts)
                shown = names if param.is_flag or not param.metavar else f"{names} {param.metavar}"
                options.append((shown, param.help or ""))
        # (click adds « : » after a section's title; the space is French typography)
        for title, rows in (("Arguments ", arguments), ("Options ", options)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
        if isinstance(self, TyperGroup):
            commands = [(name, self.get_command(ctx, name).get_short_help_str(limit=200))
                        for name in self.list_commands(ctx)]
            with formatter.section("Commandes "):
                formatter.write_dl(commands)


class FrenchCommand(_FrenchHelp, TyperCommand):
    def parse_args(self, ctx, args):
        ctx.allow_extra_args = True  # said here, in French, rather than by click
        rest = super().parse_args(ctx, args)
        if ctx.args:
            raise ExtraArguments(f"argument(s) en trop : {' '.join(ctx.args)}")
        return rest

    def collect_usage_pieces(self, ctx):
        # typer 0.29 shows a required argument as « {TERRITOIRE} »; the usual « TERRITOIRE »
        # (and « [TERRITOIRE] » when optional) is what the README and man pages write.
        return [piece[1:-1] if piece.startswith("{") and piece.endswith("}") else piece
                for piece in super().collect_usage_pieces(ctx)]


class FrenchGroup(_FrenchHelp, TyperGroup):
    def resolve_command(self, ctx, args):
        name = args[0] if args else ""
        if name and not name.startswith("-") and self.get_command(ctx, name) is None:
            known = self.list_commands(ctx)
            close = difflib.get_close_matches(name.lower(), known, n=1, cutoff=0.5)
            hint = f" (vouliez-vous dire {close[0]} ?)" if close else ""
            raise UnknownCommand(f"commande inconnue « {name} »{hint} : {', '.join(known)}")
        return super().resolve_command(ctx, args)


class UnknownCommand(Exception):
    """A command that does not exist, said in French (usage error, exit code 2)."""


class ExtraArguments(UnknownCommand):
    """Arguments a command does not take, said in French (usage error, exit code 2)."""


def usage_error(exc: typer.TyperException, argv: list[str]) -> str:
    """A usage error of the command line, in French, from its kind and its data; `argv`
    is the command line (« --all=3 » gives a value to an option that takes none)."""
    option = getattr(exc, "option_name", None)
    param = getattr(exc, "param", None)
    kind = type(exc).__name__
    if kind == "NoSuchOption":
        possible = getattr(exc, "possibilities", None) or []
        hint = f" (vouliez-vous dire {possible[0]} ?)" if possible else ""
        return f"option inconnue : {option}{hint}"
    if kind == "BadOptionUsage":
        if any(arg.startswith(f"{option}=") for arg in argv):
            return f"l'option {option} ne prend pas de valeur"
        return f"l'option {option} attend une valeur"
    if param is not None:  # a value that does not convert (BadParameter, MissingParameter)
        if getattr(param, "param_type_name", "") == "argument":  # named as the help names it
            names = param.metavar or param.name.upper()
        else:
            names = " / ".join(getattr(param, "opts", None) or [param.name])
        if kind == "MissingParameter":
            return f"{names} manquant"
        expected = {int: " : nombre entier attendu", float: " : nombre attendu"}.get(
            type(param.default), "")
        return f"valeur invalide pour {names}{expected}"
    return f"ligne de commande invalide ({exc.format_message()})"
