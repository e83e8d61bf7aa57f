"""cxsim: what a bad customer experience costs, and which fix pays back."""

__version__ = "0.1.0"
