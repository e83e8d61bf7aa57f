"""The engine: counts flow through the journey; where runs execute; what they return."""
