"""`dlbs gui`: the Tkinter desktop app (a client of a node's HTTP API)."""

from __future__ import annotations

import typer

from dlbs.cli.app import NodeOption, app


@app.command()
def gui(node: str | None = NodeOption) -> None:
    """Open the desktop app."""
    from dlbs.gui.app import run

    run(node)
