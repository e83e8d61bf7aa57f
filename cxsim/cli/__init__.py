"""The `cxsim` command: a thin layer over the public API."""
