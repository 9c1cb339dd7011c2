"""The one typer app every command group registers on, and the shared output helpers."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

app = typer.Typer(
    name="dlbs",
    help="dlbs: your own devices as one private, encrypted, deduplicated backup network.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
# Piped into grep or a file, rich would fold tables to 80 columns and cut paths with "…": output
# that is not a terminal gets all the width it needs (tables still size to their content).
console = Console(highlight=False, soft_wrap=True, width=None if sys.stdout.isatty() else 4096)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

NodeOption = typer.Option(None, "--node", envvar="DLBS_NODE",
                          help="URL of the node's web port (default http://127.0.0.1:5000).")


def print_json(data: Any) -> None:
    """Machine-readable output for scripts: plain JSON on stdout, no colour."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def human_size(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(n) < 1024 or unit == "TiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} TiB"
