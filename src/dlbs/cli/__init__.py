"""The `dlbs` command: a thin typer layer. Commands live in one module per group; errors are
mapped to exit codes here, in one place: 0 success, 1 a user-facing error (one line on stderr)."""

from __future__ import annotations

import logging
import os
import sys

import click
import typer

try:  # typer >= 0.2x vendors its own click; catch both, whichever raised
    from typer._click import exceptions as _typer_click_exceptions  # type: ignore[attr-defined]

    _CLICK_ERRORS: tuple[type[Exception], ...] = (click.exceptions.ClickException,
                                                  _typer_click_exceptions.ClickException)
    _ABORTS: tuple[type[BaseException], ...] = (click.exceptions.Abort, typer.Abort)
except ImportError:
    _CLICK_ERRORS = (click.exceptions.ClickException,)
    _ABORTS = (click.exceptions.Abort, typer.Abort)

from dlbs.cli.app import app, err_console
from dlbs.errors import DlbsError

# Registering the command groups on the one app:
from dlbs.cli import backup_cmd, cluster_cmd, files_cmd, gui_cmd, node_cmd  # noqa: F401  isort: skip


def main(argv: list[str] | None = None) -> None:
    try:
        rv = app(args=argv, standalone_mode=False)
    except DlbsError as exc:
        err_console.print(f"[red]error:[/red] {exc}", highlight=False, markup=True, soft_wrap=True)
        sys.exit(1)
    except _ABORTS:
        err_console.print("aborted")
        sys.exit(130)
    except _CLICK_ERRORS as exc:
        err_console.print(f"[red]error:[/red] {exc.format_message()}", highlight=False, soft_wrap=True)  # type: ignore[attr-defined]
        sys.exit(1)
    except KeyboardInterrupt:
        err_console.print("interrupted")
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug, not a user error: still one line, never a traceback
        logging.getLogger("dlbs.cli").debug("internal error", exc_info=True)
        err_console.print(f"[red]internal error:[/red] {type(exc).__name__}: {exc} (please report this; "
                          "DLBS_DEBUG=1 shows the traceback)", highlight=False, soft_wrap=True)
        if os.environ.get("DLBS_DEBUG"):
            raise
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)


__all__ = ["app", "main"]
