"""Numbers for people: money in a currency, counts, shares and display tables (no model, no
engine: every layer may use them)."""
