"""`dlbs gui`: the Tkinter desktop app (a client of a node's HTTP API)."""

from __future__ import annotations

import typer

from dlbs.cli.app import NodeOption, app, err_console


@app.command()
def gui(node: str | None = NodeOption) -> None:
    """Open the desktop app."""
    try:
        from dlbs.gui.app import run
    except ImportError as exc:  # Python built without Tk (e.g. Debian/Ubuntu without python3-tk)
        err_console.print(f"dlbs gui needs tkinter ({exc}). On Debian/Ubuntu: sudo apt-get install python3-tk")
        raise typer.Exit(1) from None
    try:
        run(node)
    except SystemExit as exc:
        if isinstance(exc.code, str):
            err_console.print(exc.code)
            raise typer.Exit(1) from None
        raise
