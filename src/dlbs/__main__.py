"""`python -m dlbs` runs the CLI."""

from dlbs.cli import main

main()
