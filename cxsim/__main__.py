"""`python -m cxsim` runs the CLI."""

from cxsim.cli import main

main()
