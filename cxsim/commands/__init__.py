"""Sub-command groups of the `cxsim` command, each a thin layer over the public API."""
