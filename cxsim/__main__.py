"""`python -m cxsim` runs the CLI."""

from cxsim.cli.main import main

main()
